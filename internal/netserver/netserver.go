// Package netserver is the listener and connection bookkeeping that the
// pop3 and imap servers share: the accept loop with back-off, connection
// caps overall and per IP address, Close, and a graceful Shutdown that
// wakes idle sessions and waits for the others. The protocol packages keep
// everything that speaks their protocol.
package netserver

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Conn is what a Tracker needs of a protocol connection.
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

// Tracker keeps one server's listeners and connections. The zero value is
// ready to use.
type Tracker struct {
	inShutdown atomic.Bool
	mu         sync.Mutex
	listeners  map[*net.Listener]struct{}
	conns      map[Conn]struct{}
	perIP      map[string]int
	active     int // connections counted against the caps
}

// ShuttingDown reports whether Close or Shutdown has been called.
func (t *Tracker) ShuttingDown() bool { return t.inShutdown.Load() }

// Serve accepts connections on l and hands each to handle, which must not
// block (it starts the session's goroutine). l is closed when Serve
// returns; after Close or Shutdown, Serve returns closed. Temporary accept
// errors (out of file descriptors) are retried with back-off, as net/http
// does, and logged under name.
func (t *Tracker) Serve(l net.Listener, closed error, logger *slog.Logger, name string, handle func(net.Conn)) error {
	l = &onceCloseListener{Listener: l}
	defer l.Close()
	if !t.trackListener(&l, true) {
		return closed
	}
	defer t.trackListener(&l, false)
	var delay time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			if t.ShuttingDown() {
				return closed
			}
			var te interface{ Temporary() bool }
			if errors.As(err, &te) && te.Temporary() {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				logger.Warn(name+": accept error; retrying", "err", err, "delay", delay)
				time.Sleep(delay)
				continue
			}
			return err
		}
		delay = 0
		handle(nc)
	}
}

// Add registers c, from the address keyed ip, and reports which cap it is
// over (maxConns and maxPerIP: 0 or less means none). A connection over a
// cap is registered (so Close reaches it) but not counted; the caller
// refuses it and calls Remove with counted false. ok is false, and c is
// not registered, when the server is shutting down.
func (t *Tracker) Add(c Conn, ip string, maxConns, maxPerIP int) (over Cap, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ShuttingDown() {
		return UnderCaps, false
	}
	if t.conns == nil {
		t.conns = make(map[Conn]struct{})
		t.perIP = make(map[string]int)
	}
	switch {
	case maxConns > 0 && t.active >= maxConns:
		over = OverTotal
	case maxPerIP > 0 && t.perIP[ip] >= maxPerIP:
		over = OverPerIP
	default:
		t.active++
		t.perIP[ip]++
	}
	t.conns[c] = struct{}{}
	return over, true
}

// Remove unregisters c when its session ends; counted says whether Add
// counted it (it was under the caps).
func (t *Tracker) Remove(c Conn, ip string, counted bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.conns, c)
	if counted {
		t.active--
		if t.perIP[ip]--; t.perIP[ip] <= 0 {
			delete(t.perIP, ip)
		}
	}
}

func (t *Tracker) trackListener(l *net.Listener, add bool) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if add {
		if t.ShuttingDown() {
			return false
		}
		if t.listeners == nil {
			t.listeners = make(map[*net.Listener]struct{})
		}
		t.listeners[l] = struct{}{}
	} else {
		delete(t.listeners, l)
	}
	return true
}

func (t *Tracker) closeListenersLocked() error {
	var err error
	for l := range t.listeners {
		if cerr := (*l).Close(); cerr != nil && err == nil {
			err = cerr
		}
	}
	return err
}

// Close closes the listeners and aborts every connection.
func (t *Tracker) Close() error {
	t.inShutdown.Store(true)
	t.mu.Lock()
	defer t.mu.Unlock()
	err := t.closeListenersLocked()
	for c := range t.conns {
		c.Abort()
	}
	return err
}

// Shutdown closes the listeners, wakes idle connections, and waits for all
// connections to end; if ctx ends first it aborts the rest as Close does
// and returns ctx's error.
func (t *Tracker) Shutdown(ctx context.Context) error {
	t.inShutdown.Store(true)
	t.mu.Lock()
	err := t.closeListenersLocked()
	for c := range t.conns {
		c.WakeIfIdle()
	}
	t.mu.Unlock()

	wait := time.Millisecond
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		if t.numConns() == 0 {
			return err
		}
		select {
		case <-ctx.Done():
			t.Close()
			return ctx.Err()
		case <-timer.C:
			wait = min(2*wait, 100*time.Millisecond)
			timer.Reset(wait)
		}
	}
}

func (t *Tracker) numConns() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.conns)
}

// Limit resolves a limit field: a positive value as it is, zero as def,
// negative as "none" (-1).
func Limit(v, def int) int {
	switch {
	case v > 0:
		return v
	case v == 0:
		return def
	}
	return -1
}

// IPKey returns the key of a remote address for the per-IP cap.
func IPKey(a net.Addr) string {
	switch a := a.(type) {
	case *net.TCPAddr:
		return a.IP.String()
	case nil:
		return ""
	}
	if host, _, err := net.SplitHostPort(a.String()); err == nil {
		return host
	}
	return a.String()
}

// ImplicitTLSConfig returns the configuration for an implicit-TLS
// listener: a clone of base with the certificate from certFile and keyFile
// when they are given. It fails when there is no certificate at all.
func ImplicitTLSConfig(base *tls.Config, certFile, keyFile string) (*tls.Config, error) {
	cfg := &tls.Config{}
	if base != nil {
		cfg = base.Clone()
	}
	if certFile != "" || keyFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, err
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	if len(cfg.Certificates) == 0 && cfg.GetCertificate == nil && cfg.GetConfigForClient == nil {
		return nil, errors.New("implicit TLS needs a certificate")
	}
	return cfg, nil
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
