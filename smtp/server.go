package smtp

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/mailwright/mailwright/internal/netserver"
)

// ErrServerClosed is returned by Serve and ListenAndServe after Shutdown or Close.
var ErrServerClosed = errors.New("smtp: server closed")

// Defaults for the Server limits, used when a field is zero.
const (
	DefaultMaxMessageBytes = 32 << 20 // 32 MiB
	DefaultMaxRecipients   = 100      // RFC 5321 4.5.3.1.8: at least 100
	DefaultMaxLineLength   = 2048     // RFC 5321 4.5.3.1.4 asks for 512; parameters need more
	DefaultMaxBadCommands  = 20
	DefaultMaxAuthFailures = 3
	DefaultMaxConnections  = 1000
	// DefaultMaxConnectionsPerIP lets the busiest senders open the few
	// parallel connections they use, while one source cannot take every
	// slot of DefaultMaxConnections.
	DefaultMaxConnectionsPerIP = 32
	DefaultCommandTimeout      = 5 * time.Minute  // RFC 5321 4.5.3.2.7
	DefaultDataTimeout         = 10 * time.Minute // RFC 5321 4.5.3.2.5, for the whole DATA phase
	maxAuthLineLength          = 12288            // RFC 4954 4
	defaultHandshakeTimeout    = 30 * time.Second
)

// Server is an ESMTP (RFC 5321) or LMTP (RFC 2033) server. The zero value
// is usable once Backend is set; every limit has a safe default.
type Server struct {
	// Addr is the TCP address to listen on, ":25" if empty (":24" with LMTP).
	Addr string
	// Backend receives the mail. It must be set; if it implements
	// Validator, the server checks it before serving.
	Backend Backend
	// Domain is the host name in the greeting and EHLO reply ("localhost" if empty).
	Domain string
	// TLSConfig enables STARTTLS (RFC 3207) and is used by the TLS serve
	// methods. STARTTLS is offered only when it has a certificate
	// (Certificates, GetCertificate or GetConfigForClient); nil disables
	// it.
	TLSConfig *tls.Config
	// LMTP makes the server speak LMTP (RFC 2033): LHLO instead of
	// HELO/EHLO and one reply per recipient after the message.
	LMTP bool
	// AllowInsecureAuth allows AUTH on connections without TLS. Off by
	// default: passwords are not accepted in plaintext.
	AllowInsecureAuth bool
	// EnableDSN advertises DSN (RFC 3461) and accepts its MAIL and RCPT
	// parameters. Enable it only if the backend honours them.
	EnableDSN bool
	// DisableSMTPUTF8 stops advertising SMTPUTF8 (RFC 6531); non-ASCII
	// addresses are then refused.
	DisableSMTPUTF8 bool
	// DisableChunking stops advertising CHUNKING and BINARYMIME (RFC 3030).
	DisableChunking bool
	// EnableRequireTLS advertises REQUIRETLS (RFC 8689) on TLS sessions
	// and accepts its MAIL parameter (MailOptions.RequireTLS). Enable it
	// only if the backend honours it; delivery.Agent does.
	EnableRequireTLS bool

	// MaxMessageBytes is the largest message accepted, advertised with SIZE.
	MaxMessageBytes int64
	// MaxRecipients is the number of recipients per message; more get 452 4.5.3.
	MaxRecipients int
	// MaxLineLength bounds a command line, in bytes including CRLF.
	MaxLineLength int
	// MaxBadCommands is how many failed commands a session may send before
	// it is closed with 421.
	MaxBadCommands int
	// MaxAuthFailures is how many failed AUTH attempts end the session.
	MaxAuthFailures int
	// LoginLimiter, if set, throttles AUTH across sessions: it is asked
	// before credentials are checked (a refused attempt gets 454 4.7.0
	// and a "login blocked" log line), and told of each failure and
	// success; a failure is answered after the wait it returns. One
	// mailbox/throttle.Logins can serve the SMTP, IMAP and POP3 servers
	// together. Nil: failures are only counted per session
	// (MaxAuthFailures).
	LoginLimiter LoginLimiter
	// MaxConnections caps concurrent connections (DefaultMaxConnections if
	// 0, no cap if negative); over it a client gets 421 and is disconnected.
	MaxConnections int
	// MaxConnectionsPerIP caps concurrent connections from one source: an
	// IPv4 address or an IPv6 /64 (see IPv4PrefixLength). Over it a client
	// gets 421 4.7.0 and is disconnected. DefaultMaxConnectionsPerIP if 0,
	// no cap if negative.
	MaxConnectionsPerIP int
	// IPv4PrefixLength and IPv6PrefixLength say how many leading bits of a
	// client's address are one source for MaxConnectionsPerIP: 32 and 64
	// if 0, since a host on an IPv6 network has a /64 to pick addresses
	// from.
	IPv4PrefixLength, IPv6PrefixLength int
	// CommandTimeout bounds the wait for each whole command line and for
	// writing a reply.
	CommandTimeout time.Duration
	// DataTimeout bounds the whole DATA phase, or each BDAT chunk.
	DataTimeout time.Duration

	// Logger receives connection errors, backend errors, recovered
	// panics, configuration warnings and failed logins (see the package
	// documentation for their format). Nil means slog.Default(), as
	// net/http logs to the standard logger; set a logger with
	// slog.DiscardHandler to silence the server.
	Logger *slog.Logger
	// BaseContext returns the base context for the connections accepted on
	// l; context.Background() if nil.
	BaseContext func(l net.Listener) context.Context
	// ConnContext may modify the context of a new connection.
	ConnContext func(ctx context.Context, c net.Conn) context.Context

	ns netserver.Server // listeners, connections and their goroutines
}

// ListenAndServe listens on s.Addr (":25" if empty, ":24" with LMTP) and
// serves connections. It returns ErrServerClosed after Shutdown or Close,
// and refuses to start (binding nothing) when the Backend is nil or fails
// its Validate.
func (s *Server) ListenAndServe() error { return s.ns.ListenAndServe(s.protocol()) }

// ListenAndServeTLS listens on s.Addr (":465" if empty) and serves
// connections over implicit TLS (RFC 8314), with the certificate and key
// in the given PEM files, or those of s.TLSConfig when both names are
// empty. Without a certificate it refuses to start.
func (s *Server) ListenAndServeTLS(certFile, keyFile string) error {
	return s.ns.ListenAndServeTLS(s.protocol(), certFile, keyFile)
}

// ServeTLS serves connections accepted from l over implicit TLS, as
// ListenAndServeTLS does.
func (s *Server) ServeTLS(l net.Listener, certFile, keyFile string) error {
	return s.ns.ServeTLS(s.protocol(), l, certFile, keyFile)
}

// Serve accepts connections on l and serves each in its own goroutine. A
// connection that is a *tls.Conn (from tls.NewListener) is treated as
// implicit TLS. Serve closes l when it returns; it always returns a
// non-nil error, after Shutdown or Close ErrServerClosed. It refuses to
// start, and closes l, when the Backend is nil or fails its Validate; it
// logs a warning when its sessions offer AUTH that no client can use (no
// TLS, and AllowInsecureAuth off) at the first such session.
func (s *Server) Serve(l net.Listener) error { return s.ns.Serve(s.protocol(), l) }

// protocol describes the server to netserver, which listens, accepts and
// runs the sessions.
func (s *Server) protocol() *netserver.Protocol {
	port := ":25"
	if s.LMTP {
		port = ":24"
	}
	return &netserver.Protocol{
		Name:    "smtp",
		Closed:  ErrServerClosed,
		Addr:    s.Addr,
		Port:    port,
		TLSPort: ":465",
		// No TCP keep-alives: sessions are bounded by CommandTimeout and
		// DataTimeout, and the three setsockopt calls per connection cost
		// about 3% of the CPU of a one-message session.
		KeepAlive:         -1,
		TLSConfig:         s.TLSConfig,
		AllowInsecureAuth: s.AllowInsecureAuth,
		// A server that only receives mail offers no AUTH: it is warned
		// of at the first session that does (Conn.serve).
		LoginOptional:    true,
		HandshakeTimeout: defaultHandshakeTimeout,
		MaxConns:         netserver.Limit(s.MaxConnections, DefaultMaxConnections),
		MaxPerIP:         netserver.Limit(s.MaxConnectionsPerIP, DefaultMaxConnectionsPerIP),
		PrefixIPv4:       s.IPv4PrefixLength,
		PrefixIPv6:       s.IPv6PrefixLength,
		Logger:           s.logger(),
		BaseContext:      s.BaseContext,
		ConnContext:      s.ConnContext,
		Backend:          s.Backend,
		Check:            s.validate,
		NewSession:       s.newSession,
	}
}

// validate refuses a Backend that fails its own Validate: it would fail
// the clients one by one.
func (s *Server) validate() error {
	if v, ok := s.Backend.(Validator); ok {
		if err := v.Validate(); err != nil {
			return fmt.Errorf("smtp: Backend: %w", err)
		}
	}
	return nil
}

func (s *Server) newSession(raw net.Conn, ctx context.Context, cancel context.CancelFunc) netserver.Session {
	return trackedConn{&Conn{server: s, nc: raw, ctx: ctx, cancel: cancel}}
}

// trackedConn is how netserver sees a connection, without adding
// methods to the exported Conn that backends see.
type trackedConn struct{ c *Conn }

func (t trackedConn) Abort()      { t.c.abort() }
func (t trackedConn) WakeIfIdle() { t.c.shutdownIfIdle() }
func (t trackedConn) Finish()     { t.c.finish() }

func (t trackedConn) Serve(nc net.Conn, tlsState *tls.ConnectionState, tlsConfig *tls.Config, over netserver.Cap) {
	t.c.start(nc, tlsState, tlsConfig, over)
}

// Shutdown stops the server gracefully: it closes the listeners, closes
// connections that are idle between commands (with 421), lets those in the
// middle of a command or transaction finish it, and waits for all to end.
// If ctx ends first, the remaining connections are closed and ctx.Err()
// is returned.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.ns.Shutdown(ctx)
	s.ns.Wait()
	return err
}

// Close closes the listeners and all connections at once, and waits for
// their goroutines to end.
func (s *Server) Close() error {
	err := s.ns.Close()
	s.ns.Wait()
	return err
}

func (s *Server) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

func (s *Server) domain() string {
	if s.Domain != "" {
		return s.Domain
	}
	return "localhost"
}

func orDefault[T int | int64 | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// Buffers are pooled: with one connection per message (as most MTAs send)
// allocating them anew would dominate the cost of a small message.
var (
	readerPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 4096) }}
	writerPool = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 4096) }}
)

func getReader(r io.Reader) *bufio.Reader {
	br := readerPool.Get().(*bufio.Reader)
	br.Reset(r)
	return br
}

func getWriter(w io.Writer) *bufio.Writer {
	bw := writerPool.Get().(*bufio.Writer)
	bw.Reset(w)
	return bw
}

func putBuffers(br *bufio.Reader, bw *bufio.Writer) {
	br.Reset(nil)
	readerPool.Put(br)
	bw.Reset(nil)
	writerPool.Put(bw)
}
