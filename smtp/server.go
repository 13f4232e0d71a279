package smtp

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
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
	DefaultMaxMessageBytes  = 32 << 20 // 32 MiB
	DefaultMaxRecipients    = 100      // RFC 5321 4.5.3.1.8: at least 100
	DefaultMaxLineLength    = 2048     // RFC 5321 4.5.3.1.4 asks for 512; parameters need more
	DefaultMaxBadCommands   = 20
	DefaultMaxAuthFailures  = 3
	DefaultMaxConnections   = 1000
	DefaultCommandTimeout   = 5 * time.Minute  // RFC 5321 4.5.3.2.7
	DefaultDataTimeout      = 10 * time.Minute // RFC 5321 4.5.3.2.5, for the whole DATA phase
	maxAuthLineLength       = 12288            // RFC 4954 4
	defaultHandshakeTimeout = 30 * time.Second
)

// Server is an ESMTP (RFC 5321) or LMTP (RFC 2033) server. The zero value
// is usable once Backend is set; every limit has a safe default.
type Server struct {
	// Addr is the TCP address to listen on, ":25" if empty (":24" with LMTP).
	Addr string
	// Backend receives the mail. It must be set.
	Backend Backend
	// Domain is the host name in the greeting and EHLO reply ("localhost" if empty).
	Domain string
	// TLSConfig enables STARTTLS (RFC 3207), and is used by ListenAndServeTLS.
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
	// MaxConnections caps concurrent connections (DefaultMaxConnections if
	// 0, no cap if negative); over it a client gets 421 and is disconnected.
	MaxConnections int
	// MaxConnectionsPerIP caps concurrent connections from one IP address
	// (no cap if 0).
	MaxConnectionsPerIP int
	// CommandTimeout bounds the wait for each whole command line and for
	// writing a reply.
	CommandTimeout time.Duration
	// DataTimeout bounds the whole DATA phase, or each BDAT chunk.
	DataTimeout time.Duration

	// Logger receives connection errors and panics; slog.Default() if nil.
	Logger *slog.Logger
	// BaseContext returns the base context for the connections accepted on
	// l; context.Background() if nil.
	BaseContext func(l net.Listener) context.Context
	// ConnContext may modify the context of a new connection.
	ConnContext func(ctx context.Context, c net.Conn) context.Context

	track netserver.Tracker // listeners, connections and their caps
	wg    sync.WaitGroup    // connection goroutines, for Close and Shutdown
}

// ListenAndServe listens on s.Addr and serves connections.
func (s *Server) ListenAndServe() error {
	addr := s.Addr
	if addr == "" {
		addr = ":25"
		if s.LMTP {
			addr = ":24"
		}
	}
	l, err := listen(addr)
	if err != nil {
		return err
	}
	return s.Serve(l)
}

// listen opens a TCP listener without TCP keep-alives on the accepted
// connections: sessions are bounded by CommandTimeout and DataTimeout, and
// the three setsockopt calls per connection cost about 3% of the CPU of a
// one-message session.
func listen(addr string) (net.Listener, error) {
	lc := net.ListenConfig{KeepAlive: -1}
	return lc.Listen(context.Background(), "tcp", addr)
}

// ListenAndServeTLS listens on s.Addr and serves connections with implicit
// TLS (RFC 8314, port 465 style). certFile and keyFile may be empty when
// s.TLSConfig holds a certificate.
func (s *Server) ListenAndServeTLS(certFile, keyFile string) error {
	cfg := &tls.Config{}
	if s.TLSConfig != nil {
		cfg = s.TLSConfig.Clone()
	}
	if certFile != "" || keyFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return err
		}
		cfg.Certificates = append(cfg.Certificates, cert)
	}
	addr := s.Addr
	if addr == "" {
		addr = ":465"
	}
	l, err := listen(addr)
	if err != nil {
		return err
	}
	return s.Serve(tls.NewListener(l, cfg))
}

// Serve accepts connections on l and serves each in its own goroutine. It
// always returns a non-nil error; after Shutdown or Close, ErrServerClosed.
func (s *Server) Serve(l net.Listener) error {
	if s.Backend == nil {
		return errors.New("smtp: Server.Backend is nil")
	}
	baseCtx := context.Background()
	if s.BaseContext != nil {
		baseCtx = s.BaseContext(l)
	}
	return s.track.Serve(l, ErrServerClosed, s.logger(), "smtp", func(nc net.Conn) {
		ctx := baseCtx
		if s.ConnContext != nil {
			ctx = s.ConnContext(ctx, nc)
		}
		s.wg.Add(1)
		go s.serveConn(ctx, nc)
	})
}

// admit registers a new connection, enforcing the connection caps. It
// returns a reply to send and close with when a cap is reached, and false
// when the server is shutting down.
func (s *Server) admit(c *Conn) (*Error, bool) {
	c.ipKey = netserver.IPKey(c.nc.RemoteAddr())
	over, ok := s.track.Add(trackedConn{c}, c.ipKey,
		netserver.Limit(s.MaxConnections, DefaultMaxConnections), s.MaxConnectionsPerIP)
	switch {
	case !ok:
		return nil, false
	case over == netserver.OverTotal:
		return &Error{Code: 421, EnhancedCode: EnhancedCode{4, 7, 0}, Message: "Too many connections, try again later"}, true
	case over == netserver.OverPerIP:
		return &Error{Code: 421, EnhancedCode: EnhancedCode{4, 7, 0}, Message: "Too many connections from your address"}, true
	}
	c.counted = true
	return nil, true
}

func (s *Server) release(c *Conn) { s.track.Remove(trackedConn{c}, c.ipKey, c.counted) }

// trackedConn is how the tracker sees a connection, without adding
// methods to the exported Conn that backends see.
type trackedConn struct{ c *Conn }

func (t trackedConn) Abort()      { t.c.abort() }
func (t trackedConn) WakeIfIdle() { t.c.shutdownIfIdle() }

// Shutdown stops the server gracefully: it closes the listeners, closes
// connections that are idle between commands (with 421), lets those in the
// middle of a command or transaction finish it, and waits for all to end.
// If ctx ends first, the remaining connections are closed and ctx.Err()
// is returned.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.track.Shutdown(ctx)
	s.wg.Wait()
	return err
}

// Close closes the listeners and all connections at once, and waits for
// their goroutines to end.
func (s *Server) Close() error {
	err := s.track.Close()
	s.wg.Wait()
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
