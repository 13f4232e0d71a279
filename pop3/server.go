package pop3

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"github.com/mailwright/mailwright/internal/netserver"
)

// ErrServerClosed is returned by Serve, ListenAndServe and their TLS forms
// after a call to Shutdown or Close.
var ErrServerClosed = errors.New("pop3: Server closed")

// Defaults for the zero values of the Server fields.
const (
	// RFC 1939 section 3: the autologout timer must be at least 10 minutes.
	DefaultIdleTimeout         = 10 * time.Minute
	DefaultWriteTimeout        = 2 * time.Minute
	DefaultMaxLineLength       = 512
	DefaultMaxConnections      = 1024
	DefaultMaxConnectionsPerIP = 32
	DefaultMaxAuthFailures     = 3
)

const (
	readBufferSize  = 4096
	writeBufferSize = 8192
	copyBufferSize  = 16384
)

// Server is a POP3 server (RFC 1939) with CAPA and extended response codes
// (RFC 2449), STLS (RFC 2595), AUTH (RFC 5034; PLAIN and LOGIN) and the
// SYS and AUTH response codes (RFC 3206). Set the fields, then call one of
// the Serve methods; do not change the fields afterwards. The zero value
// of each field is a safe default.
type Server struct {
	// Addr is the TCP address ListenAndServe and ListenAndServeTLS listen
	// on; empty means ":110" and ":995".
	Addr string
	// Backend authenticates users and opens their maildrops. If it also
	// implements APOPBackend, the greeting carries an APOP timestamp and
	// the APOP command is accepted.
	Backend Backend
	// TLSConfig enables STLS (RFC 2595) and is used by the TLS serve
	// methods. STLS is offered only when it has a certificate
	// (Certificates, GetCertificate or GetConfigForClient); nil disables
	// it.
	TLSConfig *tls.Config
	// AllowInsecureAuth accepts USER/PASS and AUTH PLAIN/LOGIN on a
	// connection without TLS. By default passwords are refused until STLS
	// (RFC 2595 section 2.3), and CAPA does not list USER and SASL before.
	// APOP, which does not send the password, is allowed either way.
	AllowInsecureAuth bool
	// Hostname goes into the APOP timestamp; empty means os.Hostname.
	Hostname string
	// Implementation, if set, is advertised as CAPA IMPLEMENTATION.
	Implementation string
	// Expire, if set, is advertised as CAPA EXPIRE (RFC 2449 section 6.7):
	// "NEVER" or a number of days the server keeps messages. The backend
	// applies the policy; the server only announces it.
	Expire string
	// LoginDelay, if set, is advertised as CAPA LOGIN-DELAY in seconds
	// (RFC 2449 section 6.5). The backend enforces it by failing Login with
	// &Error{Code: "LOGIN-DELAY"}.
	LoginDelay time.Duration

	// IdleTimeout bounds the wait for each complete command line, and
	// each AUTH response line: a deadline set once, not renewed by the
	// bytes that arrive, so a client sending a byte a second is cut off
	// too. When it expires the connection is closed without a reply and
	// nothing is deleted (RFC 1939 section 3: the autologout timer, which
	// must be at least 10 minutes). It also bounds TLS handshakes. Zero
	// means DefaultIdleTimeout.
	IdleTimeout time.Duration
	// WriteTimeout bounds each write of up to the server's buffer size
	// (8 KiB) to the client, so a client that stops reading a long RETR is
	// cut off. Zero means DefaultWriteTimeout.
	WriteTimeout time.Duration
	// MaxLineLength is the longest command line accepted, CRLF included
	// (RFC 2449 section 4 allows clients 255 octets); longer lines get
	// "-ERR" and are discarded without being buffered. Zero means
	// DefaultMaxLineLength. AUTH response lines may be up to
	// max(MaxLineLength, 4096) octets.
	MaxLineLength int
	// MaxConnections caps the concurrent connections; over the cap a new
	// connection gets "-ERR [SYS/TEMP]" and is closed. Zero means
	// DefaultMaxConnections; negative means no cap.
	MaxConnections int
	// MaxConnectionsPerIP caps the concurrent connections from one source
	// (an IPv4 address or an IPv6 /64, see IPv4PrefixLength), the same
	// way. Zero means DefaultMaxConnectionsPerIP; negative means no cap.
	MaxConnectionsPerIP int
	// IPv4PrefixLength and IPv6PrefixLength say how many leading bits of a
	// client's address are one source for MaxConnectionsPerIP: 32 and 64
	// if zero, since a host on an IPv6 network has a /64 to pick
	// addresses from.
	IPv4PrefixLength, IPv6PrefixLength int
	// MaxAuthFailures is the number of failed authentications after which
	// the connection is closed. Zero means DefaultMaxAuthFailures; negative
	// means no limit.
	MaxAuthFailures int
	// LoginLimiter, if set, throttles logins across sessions: it is asked
	// before credentials are checked (a refused attempt gets -ERR
	// [SYS/TEMP] and a "login blocked" log line), and told of each
	// failure and success; a failure is answered after the wait it
	// returns. One mailbox/throttle.Logins can serve the POP3, IMAP and
	// SMTP servers together. Nil: failures are only counted per session
	// (MaxAuthFailures).
	LoginLimiter LoginLimiter

	// Logger receives connection errors, backend errors, recovered
	// panics, configuration warnings and failed logins (see the package
	// documentation for their format). Nil means slog.Default(), as
	// net/http logs to the standard logger; set a logger with
	// slog.DiscardHandler to silence the server.
	Logger *slog.Logger
	// BaseContext, if set, returns the base context of the connections
	// accepted on l, as in net/http. Nil means context.Background.
	BaseContext func(l net.Listener) context.Context
	// ConnContext, if set, derives the context of one connection from the
	// base context. The server cancels the result when the connection ends
	// or the server is closed; every Backend and Maildrop call gets it.
	ConnContext func(ctx context.Context, c net.Conn) context.Context

	ns netserver.Server // listeners, connections and their caps

	hostOnce sync.Once
	hostname string

	readers sync.Pool // *bufio.Reader
	writers sync.Pool // *bufio.Writer
	buffers sync.Pool // *[]byte of copyBufferSize
}

func (s *Server) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

func (s *Server) idleTimeout() time.Duration {
	if s.IdleTimeout > 0 {
		return s.IdleTimeout
	}
	return DefaultIdleTimeout
}

func (s *Server) writeTimeout() time.Duration {
	if s.WriteTimeout > 0 {
		return s.WriteTimeout
	}
	return DefaultWriteTimeout
}

func (s *Server) maxLineLength() int {
	if s.MaxLineLength > 0 {
		return s.MaxLineLength
	}
	return DefaultMaxLineLength
}

// readerSize is the input buffer size: a whole line must fit in it.
func (s *Server) readerSize() int {
	return max(readBufferSize, s.maxLineLength())
}

func (s *Server) getHostname() string {
	s.hostOnce.Do(func() {
		s.hostname = s.Hostname
		if s.hostname == "" {
			h, err := os.Hostname()
			if err != nil || h == "" {
				h = "localhost"
			}
			s.hostname = h
		}
	})
	return s.hostname
}

// ListenAndServe listens on s.Addr (":110" if empty) and serves POP3 on it.
// It returns ErrServerClosed after Shutdown or Close, and refuses to start
// (binding nothing) when Backend is nil.
func (s *Server) ListenAndServe() error { return s.ns.ListenAndServe(s.protocol()) }

// ListenAndServeTLS listens on s.Addr (":995" if empty) and serves POP3
// over implicit TLS (RFC 8314), with the certificate and key in the given
// PEM files, or those of s.TLSConfig when both names are empty. Without a
// certificate it refuses to start.
func (s *Server) ListenAndServeTLS(certFile, keyFile string) error {
	return s.ns.ListenAndServeTLS(s.protocol(), certFile, keyFile)
}

// ServeTLS serves POP3 over implicit TLS on the connections accepted from
// l, as ListenAndServeTLS does.
func (s *Server) ServeTLS(l net.Listener, certFile, keyFile string) error {
	return s.ns.ServeTLS(s.protocol(), l, certFile, keyFile)
}

// Serve accepts connections on l and serves each in its own goroutine.
// A connection that is a *tls.Conn (from tls.NewListener) is treated as
// implicit TLS. Serve closes l when it returns; it returns ErrServerClosed
// after Shutdown or Close. It refuses to start, and closes l, when Backend
// is nil; it logs a warning when no client can log in with a password (no
// TLS, and AllowInsecureAuth off).
func (s *Server) Serve(l net.Listener) error { return s.ns.Serve(s.protocol(), l) }

// protocol describes the server to netserver, which listens, accepts and
// runs the sessions.
func (s *Server) protocol() *netserver.Protocol {
	return &netserver.Protocol{
		Name:              "pop3",
		Closed:            ErrServerClosed,
		Addr:              s.Addr,
		Port:              ":110",
		TLSPort:           ":995",
		TLSConfig:         s.TLSConfig,
		AllowInsecureAuth: s.AllowInsecureAuth,
		HandshakeTimeout:  s.idleTimeout(),
		MaxConns:          netserver.Limit(s.MaxConnections, DefaultMaxConnections),
		MaxPerIP:          netserver.Limit(s.MaxConnectionsPerIP, DefaultMaxConnectionsPerIP),
		PrefixIPv4:        s.IPv4PrefixLength,
		PrefixIPv6:        s.IPv6PrefixLength,
		Logger:            s.logger(),
		BaseContext:       s.BaseContext,
		ConnContext:       s.ConnContext,
		Backend:           s.Backend,
		NewSession:        s.newSession,
	}
}

func (s *Server) newSession(raw net.Conn, ctx context.Context, cancel context.CancelFunc) netserver.Session {
	return &conn{srv: s, raw: raw, nc: raw, ctx: ctx, cancel: cancel}
}

func (s *Server) shuttingDown() bool { return s.ns.ShuttingDown() }

// Close closes the listeners and every connection at once. Sessions end
// without entering the UPDATE state, so nothing is deleted; their contexts
// are cancelled and their maildrops closed. Use Shutdown to let sessions
// finish.
func (s *Server) Close() error { return s.ns.Close() }

// Shutdown stops the server gracefully: it closes the listeners, closes
// the connections that are waiting for a command before login (they lose
// nothing), and waits for the logged-in sessions to finish with QUIT or
// the idle timeout. If ctx ends first, it closes the remaining
// connections as Close does and returns ctx's error.
func (s *Server) Shutdown(ctx context.Context) error { return s.ns.Shutdown(ctx) }

func (s *Server) getReader(r *conn) *bufio.Reader {
	if v := s.readers.Get(); v != nil {
		br := v.(*bufio.Reader)
		br.Reset(r.nc)
		return br
	}
	return bufio.NewReaderSize(r.nc, s.readerSize())
}

func (s *Server) getWriter(c *conn) *bufio.Writer {
	if v := s.writers.Get(); v != nil {
		bw := v.(*bufio.Writer)
		bw.Reset(connWriter{c})
		return bw
	}
	return bufio.NewWriterSize(connWriter{c}, writeBufferSize)
}
