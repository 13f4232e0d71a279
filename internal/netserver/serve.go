package netserver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"
)

// Protocol describes a protocol server to Server: its configuration, read
// from the protocol server's fields at each call, and how to start a
// session.
type Protocol struct {
	// Name prefixes errors and log messages ("imap").
	Name string
	// Closed is returned by the serve methods after Close or Shutdown
	// (the package's ErrServerClosed).
	Closed error
	// Addr is the address ListenAndServe and ListenAndServeTLS listen on;
	// if empty, Port and TLSPort (":143", ":993").
	Addr, Port, TLSPort string
	// KeepAlive is the TCP keep-alive period of the connections that
	// ListenAndServe accepts, as in net.ListenConfig: 0 is Go's default,
	// negative turns keep-alives off.
	KeepAlive time.Duration
	// TLSConfig enables STARTTLS and is the base of implicit TLS.
	TLSConfig *tls.Config
	// AllowInsecureAuth accepts passwords without TLS. Serve warns when
	// it is off and there is no TLS: no client can log in.
	AllowInsecureAuth bool
	// LoginOptional says that a session may have no login to offer (an
	// SMTP server that only receives mail): Serve does not warn, and the
	// protocol calls WarnNoLogin when a session offers one.
	LoginOptional bool
	// HandshakeTimeout bounds the implicit-TLS handshake.
	HandshakeTimeout time.Duration
	// MaxConns and MaxPerIP cap the connections (0 or less: no cap).
	MaxConns, MaxPerIP int
	// PrefixIPv4 and PrefixIPv6 say how many leading bits of a client's
	// address are one source for MaxPerIP (0 or less: DefaultPrefixIPv4
	// and DefaultPrefixIPv6).
	PrefixIPv4, PrefixIPv6 int
	// Logger receives the warnings, failed handshakes (Debug) and
	// recovered panics.
	Logger *slog.Logger
	// BaseContext and ConnContext are the server's, as in net/http.
	BaseContext func(net.Listener) context.Context
	ConnContext func(context.Context, net.Conn) context.Context
	// Backend is the server's Backend: nil refuses to start, since no
	// client could be served.
	Backend any
	// Check, if set, reports a further configuration the server cannot
	// serve with (a Backend that fails its own validation).
	Check func() error
	// NewSession returns the session of a new connection: raw is the TCP
	// connection, ctx its context, which the server cancels (with cancel)
	// when the connection ends or the server closes; Abort must call
	// cancel too.
	NewSession func(raw net.Conn, ctx context.Context, cancel context.CancelFunc) Session
}

// ListenAndServe listens on p's address and serves connections.
func (s *Server) ListenAndServe(p *Protocol) error {
	if err := p.check(); err != nil {
		return err
	}
	l, err := s.listen(p, p.Port)
	if err != nil {
		return err
	}
	return s.serve(p, l, nil)
}

// ListenAndServeTLS listens on p's address and serves connections over
// implicit TLS, with the certificate in certFile and keyFile, or
// p.TLSConfig's when both are empty.
func (s *Server) ListenAndServeTLS(p *Protocol, certFile, keyFile string) error {
	if err := p.check(); err != nil {
		return err
	}
	cfg, err := p.implicitTLS(certFile, keyFile)
	if err != nil {
		return err
	}
	l, err := s.listen(p, p.TLSPort)
	if err != nil {
		return err
	}
	return s.serve(p, l, cfg)
}

// ServeTLS serves connections from l over implicit TLS, as
// ListenAndServeTLS does. It closes l when it returns.
func (s *Server) ServeTLS(p *Protocol, l net.Listener, certFile, keyFile string) error {
	if l == nil {
		return errors.New(p.Name + ": ServeTLS with a nil listener")
	}
	if err := p.check(); err != nil {
		l.Close()
		return err
	}
	cfg, err := p.implicitTLS(certFile, keyFile)
	if err != nil {
		l.Close()
		return err
	}
	return s.serve(p, l, cfg)
}

// Serve accepts connections on l and serves each in its own goroutine; a
// connection that is a *tls.Conn (from tls.NewListener) gets its
// handshake first, as with ServeTLS. Serve closes l when it returns; after
// Close or Shutdown, it returns p.Closed.
func (s *Server) Serve(p *Protocol, l net.Listener) error {
	if l == nil {
		return errors.New(p.Name + ": Serve with a nil listener")
	}
	if err := p.check(); err != nil {
		l.Close()
		return err
	}
	return s.serve(p, l, nil)
}

// check refuses a server that cannot work, before it binds a port or
// accepts a client (the serve methods then close the listener).
func (p *Protocol) check() error {
	if p.Backend == nil {
		return errors.New(p.Name + ": Server.Backend is nil")
	}
	if p.Check == nil {
		return nil
	}
	return p.Check()
}

// implicitTLS returns the TLS configuration of an implicit-TLS listener:
// without a certificate the server would start and fail every handshake.
func (p *Protocol) implicitTLS(certFile, keyFile string) (*tls.Config, error) {
	cfg, err := ImplicitTLSConfig(p.TLSConfig, certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("%s: ServeTLS: %w", p.Name, err)
	}
	return cfg, nil
}

// listen listens on p.Addr, or def if it is empty.
func (s *Server) listen(p *Protocol, def string) (net.Listener, error) {
	if s.ShuttingDown() {
		return nil, p.Closed
	}
	addr := p.Addr
	if addr == "" {
		addr = def
	}
	lc := net.ListenConfig{KeepAlive: p.KeepAlive}
	return lc.Listen(context.Background(), "tcp", addr)
}

// serve serves l once p has passed its check.
func (s *Server) serve(p *Protocol, l net.Listener, implicitTLS *tls.Config) error {
	if implicitTLS != nil {
		s.tlsServing.Add(1)
		defer s.tlsServing.Add(-1)
	} else if !p.LoginOptional && !HasCertificate(p.TLSConfig) && !p.AllowInsecureAuth {
		p.Logger.Warn(p.Name+": no TLS configured (TLSConfig has no certificate) and AllowInsecureAuth is off: no client can log in",
			"addr", l.Addr().String())
	}
	base := context.Background()
	if p.BaseContext != nil {
		base = p.BaseContext(l)
		if base == nil {
			panic(p.Name + ": BaseContext returned a nil context")
		}
	}
	return s.acceptLoop(l, p.Closed, p.Logger, p.Name, func(nc net.Conn) {
		s.start(p, base, implicitTLS, nc)
	})
}

// acceptLoop accepts connections on l and hands each to handle, which
// must not block. l is closed when it returns; after Close or Shutdown,
// it returns closed. Temporary accept errors (out of file descriptors)
// are retried with back-off, as net/http does.
func (s *Server) acceptLoop(l net.Listener, closed error, logger *slog.Logger, name string, handle func(net.Conn)) error {
	l = &onceCloseListener{Listener: l}
	defer l.Close()
	if !s.trackListener(&l, true) {
		return closed
	}
	defer s.trackListener(&l, false)
	var delay time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			if s.ShuttingDown() {
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
