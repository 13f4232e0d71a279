package imap

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/mailwright/mailwright/internal/netserver"
)

// ErrServerClosed is returned by Serve, ListenAndServe and their TLS forms
// after a call to Shutdown or Close.
var ErrServerClosed = errors.New("imap: Server closed")

// Defaults for the zero values of the Server fields.
const (
	// RFC 3501 5.4 (RFC 9051 5.4): an inactivity
	// autologout timer must be at least 30 minutes.
	DefaultIdleTimeout         = 30 * time.Minute
	DefaultCommandTimeout      = 5 * time.Minute
	DefaultWriteTimeout        = 2 * time.Minute
	DefaultMaxConnections      = 1024
	DefaultMaxConnectionsPerIP = 32
	DefaultMaxAuthFailures     = 3
	DefaultMaxBadCommands      = 20
)

const (
	readBufferSize  = 4096
	writeBufferSize = 4096
)

// Server is an IMAP4rev1 (RFC 3501) and IMAP4rev2 (RFC 9051) server. Set
// the fields, then call one of the Serve methods; do not change the fields
// afterwards. The zero value of each field is a safe default.
//
// Extensions: IDLE, UIDPLUS, MOVE, LITERAL+ (or LITERAL-), SPECIAL-USE,
// CREATE-SPECIAL-USE, NAMESPACE, ID, ENABLE, UNSELECT, CHILDREN, SASL-IR,
// ESEARCH, SEARCHRES (RFC 5182: SEARCH RETURN (SAVE) and "$"),
// LIST-EXTENDED (RFC 5258), LIST-STATUS (RFC 5819), APPENDLIMIT (RFC
// 7889), STATUS=SIZE (RFC 8438), MULTIAPPEND (RFC 3502), UTF8=ACCEPT (RFC
// 6855), CONDSTORE (RFC 7162 3.1), QRESYNC (RFC 7162 3.2, advertised after login when the User implements QResyncUser and
// its mailboxes VanishedReporter), SORT, THREAD=ORDEREDSUBJECT and
// THREAD=REFERENCES (RFC 5256), ESORT (RFC 5267 3: SORT RETURN
// with MIN, MAX, COUNT, ALL), SORT=DISPLAY (RFC 5957), CATENATE (RFC
// 4469), URLAUTH and URLAUTH=BINARY (RFC 4467, RFC 5524: advertised when
// the Backend is a URLAuthBackend and, after login, the User an
// AccessKeyUser), STARTTLS and LOGINDISABLED.
//
// MULTIAPPEND is all or none (RFC 3502): the messages are stored as they
// arrive, and when a later one fails those already stored are removed
// again through Mailbox.SetFlags and Mailbox.Expunge. Sessions with the
// mailbox selected may see them come and go; if that removal fails, the
// messages stay and the failure is logged.
type Server struct {
	// Addr is the TCP address ListenAndServe and ListenAndServeTLS listen
	// on; empty means ":143" and ":993".
	Addr string
	// Backend authenticates users and serves their mailboxes.
	Backend Backend
	// TLSConfig enables STARTTLS and is used by the TLS serve methods.
	// STARTTLS is offered only when it has a certificate (Certificates,
	// GetCertificate or GetConfigForClient); nil disables it.
	TLSConfig *tls.Config
	// AllowInsecureAuth accepts LOGIN and AUTHENTICATE PLAIN on a
	// connection without TLS. By default CAPABILITY announces
	// LOGINDISABLED there and passwords are refused (RFC 9051 6.2.3).
	AllowInsecureAuth bool
	// LiteralMinus advertises LITERAL- instead of LITERAL+ (RFC 7888):
	// non-synchronizing literals are limited to 4096 bytes.
	LiteralMinus bool
	// ID is the server's RFC 2971 identification ("name", "version" ...);
	// nil answers ID with NIL.
	ID map[string]string

	// IdleTimeout bounds the wait for the first byte of each command, and
	// the length of an IDLE (the client must re-issue it): RFC 3501
	// 5.4 asks for at least 30 minutes. Zero means
	// DefaultIdleTimeout.
	IdleTimeout time.Duration
	// CommandTimeout bounds the time a command takes to arrive once its
	// first byte has (literals included; each APPEND message gets it
	// anew), so a client sending one byte a second is cut off. It also
	// bounds TLS handshakes. Zero means DefaultCommandTimeout.
	CommandTimeout time.Duration
	// WriteTimeout bounds each write of up to the output buffer (16 KiB).
	// Zero means DefaultWriteTimeout.
	WriteTimeout time.Duration
	// MaxLineLength bounds the non-literal text of a command. Zero means
	// DefaultMaxLineLength.
	MaxLineLength int
	// MaxLiteralSize bounds the literals of a command, APPEND aside. Zero
	// means DefaultMaxLiteralSize.
	MaxLiteralSize int64
	// MaxAppendSize bounds one APPEND message (NO [TOOBIG] before the
	// data is sent; also advertised as APPENDLIMIT). Zero means
	// DefaultMaxAppendSize.
	MaxAppendSize int64
	// MaxConnections and MaxConnectionsPerIP cap concurrent connections,
	// overall and from one source (an IPv4 address or an IPv6 /64, see
	// IPv4PrefixLength); over a cap a connection gets "* BYE
	// [UNAVAILABLE]". Zero means the default; negative means no cap.
	MaxConnections      int
	MaxConnectionsPerIP int
	// IPv4PrefixLength and IPv6PrefixLength say how many leading bits of a
	// client's address are one source for MaxConnectionsPerIP: 32 and 64
	// if zero, since a host on an IPv6 network has a /64 to pick
	// addresses from.
	IPv4PrefixLength, IPv6PrefixLength int
	// MaxAuthFailures is the number of failed LOGIN/AUTHENTICATE after
	// which the connection is closed. Zero means the default; negative
	// means no limit.
	MaxAuthFailures int
	// LoginLimiter, if set, throttles logins across sessions: it is asked
	// before credentials are checked (a refused attempt gets NO
	// [UNAVAILABLE] and a "login blocked" log line), and told of each
	// failure and success; a failure is answered after the wait it
	// returns. One mailbox/throttle.Logins can serve the IMAP, POP3 and
	// SMTP servers together. Nil: failures are only counted per session
	// (MaxAuthFailures).
	LoginLimiter LoginLimiter
	// MaxBadCommands is the number of BAD responses after which the
	// connection is closed with BYE. Zero means the default; negative
	// means no limit.
	MaxBadCommands int
	// Location is the time zone internal dates are shown and searched in;
	// nil means time.Local.
	Location *time.Location

	// Logger receives connection errors, backend errors, recovered
	// panics, configuration warnings and failed logins (see the package
	// documentation for their format). Nil means slog.Default(), as
	// net/http logs to the standard logger; set a logger with
	// slog.DiscardHandler to silence the server.
	Logger *slog.Logger
	// BaseContext, if set, returns the base context of the connections
	// accepted on l, as in net/http. Nil means context.Background.
	BaseContext func(l net.Listener) context.Context
	// ConnContext, if set, derives the context of one connection. The
	// server cancels it when the connection ends or the server closes.
	ConnContext func(ctx context.Context, c net.Conn) context.Context

	ns netserver.Server // listeners, connections and their caps

	recent recentTracker

	readers sync.Pool
	writers sync.Pool
}

func (s *Server) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

func dur(v, def time.Duration) time.Duration {
	if v > 0 {
		return v
	}
	return def
}

func (s *Server) idleTimeout() time.Duration    { return dur(s.IdleTimeout, DefaultIdleTimeout) }
func (s *Server) commandTimeout() time.Duration { return dur(s.CommandTimeout, DefaultCommandTimeout) }
func (s *Server) writeTimeout() time.Duration   { return dur(s.WriteTimeout, DefaultWriteTimeout) }

func (s *Server) maxAppendSize() int64 {
	if s.MaxAppendSize > 0 {
		return s.MaxAppendSize
	}
	return DefaultMaxAppendSize
}

func (s *Server) location() *time.Location {
	if s.Location != nil {
		return s.Location
	}
	return time.Local
}

// ListenAndServe listens on s.Addr (":143" if empty) and serves IMAP on it.
// It returns ErrServerClosed after Shutdown or Close, and refuses to start
// (binding nothing) when Backend is nil.
func (s *Server) ListenAndServe() error { return s.ns.ListenAndServe(s.protocol()) }

// ListenAndServeTLS listens on s.Addr (":993" if empty) and serves IMAP
// over implicit TLS (RFC 8314), with the certificate and key in the given
// PEM files, or those of s.TLSConfig when both names are empty. Without a
// certificate it refuses to start.
func (s *Server) ListenAndServeTLS(certFile, keyFile string) error {
	return s.ns.ListenAndServeTLS(s.protocol(), certFile, keyFile)
}

// ServeTLS serves IMAP over implicit TLS on the connections accepted from
// l, as ListenAndServeTLS does.
func (s *Server) ServeTLS(l net.Listener, certFile, keyFile string) error {
	return s.ns.ServeTLS(s.protocol(), l, certFile, keyFile)
}

// Serve accepts connections on l and serves each in its own goroutine.
// A connection that is a *tls.Conn (from tls.NewListener) is treated as
// implicit TLS. Serve closes l when it returns; it returns ErrServerClosed
// after Shutdown or Close. It refuses to start, and closes l, when Backend
// is nil; it logs a warning when no client can log in (no TLS, and
// AllowInsecureAuth off).
func (s *Server) Serve(l net.Listener) error { return s.ns.Serve(s.protocol(), l) }

// protocol describes the server to netserver, which listens, accepts and
// runs the sessions.
func (s *Server) protocol() *netserver.Protocol {
	return &netserver.Protocol{
		Name:              "imap",
		Closed:            ErrServerClosed,
		Addr:              s.Addr,
		Port:              ":143",
		TLSPort:           ":993",
		TLSConfig:         s.TLSConfig,
		AllowInsecureAuth: s.AllowInsecureAuth,
		HandshakeTimeout:  s.commandTimeout(),
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

// Close closes the listeners and every connection at once: a command in
// progress is cut off, its context cancelled; each session's mailbox is
// closed and its user logged out. Use Shutdown to let commands finish.
func (s *Server) Close() error { return s.ns.Close() }

// Shutdown stops the server gracefully: it closes the listeners, ends the
// sessions that wait for a command or are in IDLE (with BYE), lets each
// command in progress finish and then ends its session the same way, and
// waits for all connections to close. If ctx ends first, it closes the
// remaining connections as Close does and returns ctx's error.
func (s *Server) Shutdown(ctx context.Context) error { return s.ns.Shutdown(ctx) }

func (s *Server) getReader(r *conn) *bufio.Reader {
	if v := s.readers.Get(); v != nil {
		br := v.(*bufio.Reader)
		br.Reset(r.nc)
		return br
	}
	return bufio.NewReaderSize(r.nc, readBufferSize)
}

func (s *Server) getWriter(c *conn) *bufio.Writer {
	if v := s.writers.Get(); v != nil {
		bw := v.(*bufio.Writer)
		bw.Reset(connWriter{c})
		return bw
	}
	return bufio.NewWriterSize(connWriter{c}, writeBufferSize)
}
