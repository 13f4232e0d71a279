package netserver

import (
	"context"
	"crypto/tls"
	"net"
	"net/netip"
	"runtime/debug"
	"time"
)

// refuseTimeout bounds the refusal sent to a connection over a cap, and
// its implicit-TLS handshake.
const refuseTimeout = 5 * time.Second

// Session is one connection's protocol session as Server runs it.
type Session interface {
	Conn
	// Serve runs the session in the connection's goroutine. nc is the
	// connection to speak over: the raw connection, or TLS over it after
	// an implicit-TLS handshake (tls is then its state, and tlsConfig the
	// configuration of the handshake, nil when a tls.NewListener made
	// it). A connection over a cap gets the protocol's refusal from
	// Serve, and nothing more.
	Serve(nc net.Conn, tls *tls.ConnectionState, tlsConfig *tls.Config, over Cap)
	// Finish releases what the session holds and closes its connection
	// (over TLS, so that the client gets close_notify). It runs when Serve
	// returns or panics, and also when the handshake fails; the server then
	// cancels the context and unregisters the connection.
	Finish()
}

// start sets up a new connection: its context, its session, its place
// under the caps; then runs it in a goroutine of its own.
func (s *Server) start(p *Protocol, base context.Context, implicitTLS *tls.Config, nc net.Conn) {
	raw := nc
	var tc *tls.Conn
	if c, ok := nc.(*tls.Conn); ok {
		// From a tls.NewListener: implicit TLS already wraps the socket,
		// with a configuration we do not know.
		raw, tc = c.NetConn(), c
		implicitTLS = nil
	} else if implicitTLS != nil {
		tc = tls.Server(nc, implicitTLS)
	}
	ctx := base
	if p.ConnContext != nil {
		ctx = p.ConnContext(ctx, nc)
		if ctx == nil {
			panic(p.Name + ": ConnContext returned a nil context")
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	sess := p.NewSession(raw, ctx, cancel)
	src := p.source(raw.RemoteAddr())
	over, ok := s.add(sess, src, p.MaxConns, p.MaxPerIP)
	if !ok {
		cancel()
		raw.Close()
		return
	}
	go s.run(p, sess, raw, tc, implicitTLS, ctx, cancel, src, over)
}

// run is a connection's goroutine: the implicit-TLS handshake, then the
// session, with a panic ending only this session.
func (s *Server) run(p *Protocol, sess Session, raw net.Conn, tc *tls.Conn, tlsConfig *tls.Config, ctx context.Context, cancel context.CancelFunc, src netip.Prefix, over Cap) {
	defer s.end(p, sess, raw, cancel, src, over == UnderCaps)
	defer p.recoverPanic(raw)
	nc := raw
	var st *tls.ConnectionState
	if tc != nil {
		timeout := p.HandshakeTimeout
		if over != UnderCaps {
			timeout = refuseTimeout
		}
		var err error
		if st, err = Handshake(ctx, tc, raw, timeout); err != nil {
			p.Logger.Debug(p.Name+": TLS handshake failed", "remote", raw.RemoteAddr().String(), "err", err)
			return
		}
		nc = tc
	}
	if over != UnderCaps {
		raw.SetDeadline(time.Now().Add(refuseTimeout))
	}
	sess.Serve(nc, st, tlsConfig, over)
}

// end finishes a session, then cancels its context and unregisters it.
// Finish closes the connection (a second Close would cost an error value
// per connection); if it panicked, end closes the socket.
func (s *Server) end(p *Protocol, sess Session, raw net.Conn, cancel context.CancelFunc, src netip.Prefix, counted bool) {
	if !p.finish(sess, raw) {
		raw.Close()
	}
	cancel()
	s.remove(sess, src, counted)
}

// source returns the source a connection from remote counts against for
// the per-IP cap: its network of PrefixIPv4 or PrefixIPv6 bits, or an
// invalid prefix when remote has no IP address.
func (p *Protocol) source(remote net.Addr) netip.Prefix {
	ip, ok := RemoteIP(remote)
	if !ok {
		return netip.Prefix{}
	}
	return Source(ip, p.PrefixIPv4, p.PrefixIPv6)
}

// finish calls sess.Finish and reports whether it returned; a panic in it
// is recovered and logged.
func (p *Protocol) finish(sess Session, raw net.Conn) (returned bool) {
	defer p.recoverPanic(raw)
	sess.Finish()
	return true
}

// recoverPanic, deferred, logs a panic of the session on c and lets the
// server go on.
func (p *Protocol) recoverPanic(c net.Conn) {
	if v := recover(); v != nil {
		p.Logger.Error(p.Name+": panic in session", "remote", c.RemoteAddr().String(), "panic", v, "stack", string(debug.Stack()))
	}
}
