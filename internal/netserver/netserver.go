// Package netserver is the part of the smtp, pop3 and imap servers that
// is not protocol: listening (ListenAndServe, ListenAndServeTLS,
// ServeTLS, Serve), the accept loop with back-off, the implicit-TLS
// handshake, connection caps overall and per IP address, the connection
// context, panic recovery, Close, and a graceful Shutdown that wakes idle
// sessions and waits for the others. It also refuses to start a server
// whose configuration cannot work, and logs failed logins in one format.
//
// A protocol server holds a Server and describes itself with a Protocol
// at each call; the session, everything that speaks the protocol, stays
// in the protocol package:
//
//	type Server struct{ ...; ns netserver.Server }
//	func (s *Server) Serve(l net.Listener) error { return s.ns.Serve(s.protocol(), l) }
package netserver

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Conn is what a Server needs of a protocol session to close it.
type Conn interface {
	// Abort ends the connection at once: cancel its context and close the
	// socket (Close, or Shutdown past its deadline).
	Abort()
	// WakeIfIdle ends the connection if it is waiting for a command in a
	// state where ending loses nothing (Shutdown).
	WakeIfIdle()
}

// Cap says which connection cap a new connection is over.
type Cap int

// Caps.
const (
	UnderCaps Cap = iota
	OverTotal
	OverPerIP
)

// Server keeps one protocol server's listeners and connections. The zero
// value is ready to use.
type Server struct {
	inShutdown atomic.Bool
	tlsServing atomic.Int32 // ServeTLS calls under way
	noLogin    sync.Once    // WarnNoLogin
	mu         sync.Mutex
	listeners  map[*net.Listener]struct{}
	conns      map[Conn]struct{}
	perIP      map[netip.Prefix]int // counted connections by source
	active     int                  // connections counted against the caps
	sessions   sync.WaitGroup       // one per registered connection
}

// ShuttingDown reports whether Close or Shutdown has been called.
func (s *Server) ShuttingDown() bool { return s.inShutdown.Load() }

// ServesTLS reports whether a ServeTLS or ListenAndServeTLS call is
// serving implicit TLS, so that a plaintext client may be told to
// connect with TLS.
func (s *Server) ServesTLS() bool { return s.tlsServing.Load() > 0 }

// WarnNoLogin logs, once per server, that a session offers a login no
// client can use: no TLS configured, none served, and AllowInsecureAuth
// off (a Protocol with LoginOptional). It does nothing when a login is
// possible.
func (s *Server) WarnNoLogin(p *Protocol) {
	if HasCertificate(p.TLSConfig) || p.AllowInsecureAuth || s.ServesTLS() {
		return
	}
	s.noLogin.Do(func() {
		p.Logger.Warn(p.Name + ": sessions offer a login, but there is no TLS configured (TLSConfig has no certificate) and AllowInsecureAuth is off: no client can log in")
	})
}

// add registers c, from the source src (an invalid prefix for a client
// that has no IP address: not capped per source), and reports which cap
// it is over (maxConns and maxPerIP: 0 or less means none). A connection over a
// cap is registered (so Close reaches it) but not counted; its session
// only refuses it. ok is false, and c is not registered, when the server
// is shutting down.
func (s *Server) add(c Conn, src netip.Prefix, maxConns, maxPerIP int) (over Cap, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ShuttingDown() {
		return UnderCaps, false
	}
	if s.conns == nil {
		s.conns = make(map[Conn]struct{})
		s.perIP = make(map[netip.Prefix]int)
	}
	switch {
	case maxConns > 0 && s.active >= maxConns:
		over = OverTotal
	case maxPerIP > 0 && src.IsValid() && s.perIP[src] >= maxPerIP:
		over = OverPerIP
	default:
		s.active++
		if src.IsValid() {
			s.perIP[src]++
		}
	}
	s.conns[c] = struct{}{}
	// Under s.mu, so that Close either sees c or refuses it: Wait never
	// misses a session.
	s.sessions.Add(1)
	return over, true
}

// remove unregisters c when its session ends; counted says whether add
// counted it (it was under the caps).
func (s *Server) remove(c Conn, src netip.Prefix, counted bool) {
	s.mu.Lock()
	delete(s.conns, c)
	if counted {
		s.active--
		if src.IsValid() {
			if s.perIP[src]--; s.perIP[src] <= 0 {
				delete(s.perIP, src) // the map holds live sources only
			}
		}
	}
	s.mu.Unlock()
	s.sessions.Done()
}

func (s *Server) trackListener(l *net.Listener, add bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if add {
		if s.ShuttingDown() {
			return false
		}
		if s.listeners == nil {
			s.listeners = make(map[*net.Listener]struct{})
		}
		s.listeners[l] = struct{}{}
	} else {
		delete(s.listeners, l)
	}
	return true
}

func (s *Server) closeListenersLocked() error {
	var err error
	for l := range s.listeners {
		if cerr := (*l).Close(); cerr != nil && err == nil {
			err = cerr
		}
	}
	return err
}

// Close closes the listeners and aborts every connection.
func (s *Server) Close() error {
	s.inShutdown.Store(true)
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.closeListenersLocked()
	for c := range s.conns {
		c.Abort()
	}
	return err
}

// Shutdown closes the listeners, wakes idle connections, and waits for all
// connections to end; if ctx ends first it aborts the rest as Close does
// and returns ctx's error.
func (s *Server) Shutdown(ctx context.Context) error {
	s.inShutdown.Store(true)
	s.mu.Lock()
	err := s.closeListenersLocked()
	for c := range s.conns {
		c.WakeIfIdle()
	}
	s.mu.Unlock()

	wait := time.Millisecond
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		if s.numConns() == 0 {
			return err
		}
		select {
		case <-ctx.Done():
			s.Close()
			return ctx.Err()
		case <-timer.C:
			wait = min(2*wait, 100*time.Millisecond)
			timer.Reset(wait)
		}
	}
}

// Wait waits until the goroutines of all sessions have ended (after
// Close, or Shutdown).
func (s *Server) Wait() { s.sessions.Wait() }

func (s *Server) numConns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// onceCloseListener makes Close safe to call from Serve and from Close.
type onceCloseListener struct {
	net.Listener
	once sync.Once
	err  error
}

func (l *onceCloseListener) Close() error {
	l.once.Do(func() { l.err = l.Listener.Close() })
	return l.err
}

// Text is the refusal a connection over the cap c gets, in every
// protocol's own reply syntax.
func (c Cap) Text() string {
	switch c {
	case OverTotal:
		return "Too many connections, try again later"
	case OverPerIP:
		return "Too many connections from your address or network, try again later"
	}
	return ""
}
