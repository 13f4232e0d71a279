package managesieve

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/mailwright/mailwright/delivery/sieve"
	"github.com/mailwright/mailwright/internal/netserver"
)

// ErrServerClosed is returned by Serve, ListenAndServe and their TLS forms
// after a call to Shutdown or Close.
var ErrServerClosed = errors.New("managesieve: Server closed")

// Defaults for the zero values of the Server fields.
const (
	DefaultIdleTimeout         = 10 * time.Minute
	DefaultWriteTimeout        = 2 * time.Minute
	DefaultMaxLineLength       = 8192
	DefaultMaxScriptSize       = 1 << 20
	DefaultMaxScripts          = 64
	DefaultMaxConnections      = 256
	DefaultMaxConnectionsPerIP = 16
	DefaultMaxAuthFailures     = 3
)

const (
	readBufferSize  = 4096
	writeBufferSize = 4096
)

// Server is a ManageSieve server (RFC 5804): users upload, check, list,
// activate, rename and delete their Sieve scripts, which local delivery
// then runs. It offers STARTTLS, AUTHENTICATE PLAIN (and the mechanisms
// of a SASLBackend), UNAUTHENTICATE, and quotas on the size and number of
// scripts. Set the fields, then call one of the Serve methods; do not
// change the fields afterwards. The zero value of each field is a safe
// default.
type Server struct {
	// Addr is the TCP address ListenAndServe and ListenAndServeTLS listen
	// on; empty means ":4190" (RFC 5804 1.8).
	Addr string
	// Backend authenticates users and opens their scripts (NewBackend
	// serves a mailbox.Store).
	Backend Backend
	// TLSConfig enables STARTTLS (RFC 5804 2.2) and is the configuration
	// of the TLS serve methods. STARTTLS is offered only when it has a
	// certificate.
	TLSConfig *tls.Config
	// AllowInsecureAuth accepts passwords on a connection without TLS.
	// By default AUTHENTICATE waits for STARTTLS, and the SASL capability
	// is empty until then.
	AllowInsecureAuth bool
	// Implementation is the IMPLEMENTATION capability. Default
	// "mailwright".
	Implementation string
	// Sieve configures the checks of PUTSCRIPT and CHECKSCRIPT, and the
	// SIEVE capability: give the options local delivery runs scripts
	// with (delivery.SieveFilter.Options), so that a script the server
	// takes is one delivery can run.
	Sieve sieve.Options
	// MaxScriptSize bounds a script, in bytes (QUOTA/MAXSIZE). Zero
	// means DefaultMaxScriptSize.
	MaxScriptSize int
	// MaxScripts bounds the scripts of a user (QUOTA/MAXSCRIPTS). Zero
	// means DefaultMaxScripts; negative means no limit.
	MaxScripts int

	// IdleTimeout bounds the wait for each complete command, literals
	// included: a deadline set once, not renewed by the bytes that
	// arrive. It also bounds TLS handshakes. Zero means
	// DefaultIdleTimeout.
	IdleTimeout time.Duration
	// WriteTimeout bounds each write of up to the server's buffer size to
	// the client. Zero means DefaultWriteTimeout.
	WriteTimeout time.Duration
	// MaxLineLength is the longest command line, CRLF included. Zero
	// means DefaultMaxLineLength.
	MaxLineLength int
	// MaxConnections and MaxConnectionsPerIP cap the concurrent
	// connections, overall and from one IP address; over a cap a new
	// connection gets BYE (TRYLATER). Zero means the default; negative
	// means no cap.
	MaxConnections      int
	MaxConnectionsPerIP int
	// MaxAuthFailures is the number of failed authentications after which
	// the connection is closed. Zero means DefaultMaxAuthFailures;
	// negative means no limit.
	MaxAuthFailures int

	// Logger receives connection and backend errors, recovered panics and
	// failed logins (netserver's one format, proto=managesieve). Nil
	// means slog.Default().
	Logger *slog.Logger
	// BaseContext and ConnContext give the connections' contexts, as in
	// net/http; the server cancels a connection's context when it ends.
	BaseContext func(l net.Listener) context.Context
	ConnContext func(ctx context.Context, c net.Conn) context.Context

	ns netserver.Server

	readers sync.Pool // *bufio.Reader
	writers sync.Pool // *bufio.Writer
}

func (s *Server) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

func orDefault[T int | time.Duration](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}

func (s *Server) idleTimeout() time.Duration  { return orDefault(s.IdleTimeout, DefaultIdleTimeout) }
func (s *Server) writeTimeout() time.Duration { return orDefault(s.WriteTimeout, DefaultWriteTimeout) }
func (s *Server) maxLineLength() int          { return orDefault(s.MaxLineLength, DefaultMaxLineLength) }
func (s *Server) maxScriptSize() int          { return orDefault(s.MaxScriptSize, DefaultMaxScriptSize) }
func (s *Server) maxScripts() int             { return netserver.Limit(s.MaxScripts, DefaultMaxScripts) }
func (s *Server) maxAuthFailures() int {
	return netserver.Limit(s.MaxAuthFailures, DefaultMaxAuthFailures)
}

// ListenAndServe listens on s.Addr (":4190" if empty) and serves
// ManageSieve on it. It returns ErrServerClosed after Shutdown or Close,
// and refuses to start (binding nothing) when Backend is nil.
func (s *Server) ListenAndServe() error { return s.ns.ListenAndServe(s.protocol()) }

// ListenAndServeTLS listens on s.Addr and serves ManageSieve over implicit
// TLS, with the certificate and key in the given PEM files, or those of
// s.TLSConfig when both names are empty.
func (s *Server) ListenAndServeTLS(certFile, keyFile string) error {
	return s.ns.ListenAndServeTLS(s.protocol(), certFile, keyFile)
}

// ServeTLS serves ManageSieve over implicit TLS on the connections
// accepted from l.
func (s *Server) ServeTLS(l net.Listener, certFile, keyFile string) error {
	return s.ns.ServeTLS(s.protocol(), l, certFile, keyFile)
}

// Serve accepts connections on l and serves each in its own goroutine.
// It closes l when it returns, and returns ErrServerClosed after Shutdown
// or Close.
func (s *Server) Serve(l net.Listener) error { return s.ns.Serve(s.protocol(), l) }

// Close closes the listeners and every connection at once.
func (s *Server) Close() error { return s.ns.Close() }

// Shutdown stops the server gracefully: it closes the listeners, ends the
// sessions that wait for a command (nothing is lost: every command is
// complete when it is answered), lets the others finish their command,
// and waits for them. If ctx ends first, it closes the remaining
// connections as Close does and returns ctx's error.
func (s *Server) Shutdown(ctx context.Context) error { return s.ns.Shutdown(ctx) }

// protocol describes the server to netserver.
func (s *Server) protocol() *netserver.Protocol {
	return &netserver.Protocol{
		Name:              "managesieve",
		Closed:            ErrServerClosed,
		Addr:              s.Addr,
		Port:              ":4190",
		TLSPort:           ":4190",
		TLSConfig:         s.TLSConfig,
		AllowInsecureAuth: s.AllowInsecureAuth,
		HandshakeTimeout:  s.idleTimeout(),
		MaxConns:          netserver.Limit(s.MaxConnections, DefaultMaxConnections),
		MaxPerIP:          netserver.Limit(s.MaxConnectionsPerIP, DefaultMaxConnectionsPerIP),
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

func (s *Server) getReader(c *conn) *bufio.Reader {
	if v := s.readers.Get(); v != nil {
		br := v.(*bufio.Reader)
		br.Reset(c.nc)
		return br
	}
	return bufio.NewReaderSize(c.nc, max(readBufferSize, s.maxLineLength()))
}

func (s *Server) getWriter(c *conn) *bufio.Writer {
	if v := s.writers.Get(); v != nil {
		bw := v.(*bufio.Writer)
		bw.Reset(connWriter{c})
		return bw
	}
	return bufio.NewWriterSize(connWriter{c}, writeBufferSize)
}
