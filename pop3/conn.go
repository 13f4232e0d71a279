package pop3

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net"
	"runtime/debug"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/mailwright/mailwright/internal/lineio"
	"github.com/mailwright/mailwright/internal/netserver"
	"github.com/mailwright/mailwright/internal/safetext"
)

// conn is one client connection and its POP3 session.
type conn struct {
	srv *Server
	// raw is the TCP connection: deadlines and Close go to it. nc is what
	// the session reads and writes: raw, or TLS over raw.
	raw      net.Conn
	nc       net.Conn
	tlsState *tls.ConnectionState
	tlsCfg   *tls.Config // of the handshake; nil if unknown
	ctx      context.Context
	cancel   context.CancelFunc
	log      *slog.Logger

	br *bufio.Reader
	bw *bufio.Writer

	// state and idle are read by Shutdown from another goroutine.
	state atomic.Int32
	idle  atomic.Bool

	timestamp    string // APOP banner, when the backend supports APOP
	user         string // from USER
	authFailures int

	maildrop  Maildrop
	msgs      []Message
	deleted   []bool
	liveCount int
	liveSize  int64

	cmd     command
	dw      dotWriter
	lineBuf []byte // a line that does not fit br's buffer at once
}

// connWriter is the bufio.Writer's destination: each write gets its own
// deadline, so WriteTimeout bounds a stalled client, not a long transfer.
type connWriter struct{ c *conn }

func (w connWriter) Write(p []byte) (int, error) {
	w.c.raw.SetWriteDeadline(time.Now().Add(w.c.srv.writeTimeout()))
	return w.c.nc.Write(p)
}

// errLineTooLong is returned by readLine after discarding an over-long line.
var errLineTooLong = errors.New("pop3: line too long")

// errShutdown ends a session that waits for a command before login while
// the server shuts down.
var errShutdown = errors.New("pop3: server shutting down")

func (c *conn) logger() *slog.Logger {
	if c.log == nil {
		c.log = c.srv.logger().With("remote", c.raw.RemoteAddr().String())
	}
	return c.log
}

// Abort ends the connection at once, for Close: the context is cancelled
// and the socket closed.
func (c *conn) Abort() {
	c.cancel()
	c.raw.Close()
}

// WakeIfIdle is called by Shutdown: a session waiting for its next command
// before login is woken (and then ends); logged-in sessions go on.
func (c *conn) WakeIfIdle() {
	if c.idle.Load() && c.state.Load() == stateAuthorization {
		c.raw.SetReadDeadline(time.Unix(1, 0))
	}
}

// Serve runs the session once netserver has accepted the connection (and
// done the implicit-TLS handshake): the greeting, or the refusal of a
// connection over a cap, then the commands.
func (c *conn) Serve(nc net.Conn, tlsState *tls.ConnectionState, tlsConfig *tls.Config, over netserver.Cap) {
	c.nc, c.tlsState, c.tlsCfg = nc, tlsState, tlsConfig
	c.state.Store(stateAuthorization)
	c.br = c.srv.getReader(c)
	c.bw = c.srv.getWriter(c)

	if over != netserver.UnderCaps {
		// RFC 3206: SYS/TEMP, a transient system problem.
		c.reply(false, "SYS/TEMP", over.Text())
		c.flush()
		return
	}

	// RFC 1939 section 4 (greeting) and section 7 (APOP timestamp).
	if _, ok := c.srv.Backend.(APOPBackend); ok {
		var r [8]byte
		rand.Read(r[:])
		c.timestamp = "<" + hex.EncodeToString(r[:]) + "." +
			strconv.FormatInt(time.Now().UnixNano(), 10) + "@" + c.srv.getHostname() + ">"
		c.reply(true, "", "POP3 server ready "+c.timestamp)
	} else {
		c.reply(true, "", "POP3 server ready")
	}

	for {
		line, err := c.readCommand()
		if err == errLineTooLong {
			c.reply(false, "", "Line too long")
			continue
		}
		if err != nil {
			c.endOnReadError(err)
			return
		}
		// c.cmd, not a local: a local passed to the handler escapes and
		// costs an allocation per command.
		if c.cmd, err = parseCommand(line); err != nil {
			c.reply(false, "", err.Error())
			continue
		}
		cmd := &c.cmd
		if cmd.spec.states&c.state.Load() == 0 {
			if c.state.Load() == stateAuthorization {
				c.reply(false, "", "Not logged in; "+cmd.spec.name+" is valid after login")
			} else {
				c.reply(false, "", "Already logged in; "+cmd.spec.name+" is valid only before login")
			}
			continue
		}
		if !cmd.spec.handle(c, cmd) {
			c.flush()
			return
		}
	}
}

// endOnReadError logs why a session ended while waiting for input. RFC 1939
// section 3: after the autologout timer, the connection is closed without
// a response and without entering the UPDATE state.
func (c *conn) endOnReadError(err error) {
	var ne net.Error
	switch {
	case err == errShutdown, c.srv.shuttingDown():
		c.logger().Debug("pop3: session closed by shutdown")
	case errors.As(err, &ne) && ne.Timeout():
		c.logger().Debug("pop3: autologout after idle timeout")
	case err == io.EOF:
	default:
		c.logger().Debug("pop3: read error", "err", err)
	}
}

// Finish ends the session when Serve returns: the maildrop is closed
// (without Delete unless QUIT did it), the connection closed and the
// buffers returned.
func (c *conn) Finish() {
	c.closeMaildrop()
	c.cancel()
	c.nc.Close()
	if c.br != nil {
		c.br.Reset(nil)
		c.srv.readers.Put(c.br)
		c.br = nil
	}
	if c.bw != nil {
		c.bw.Reset(nil)
		c.srv.writers.Put(c.bw)
		c.bw = nil
	}
}

// closeMaildrop releases the maildrop, if the session holds one.
func (c *conn) closeMaildrop() {
	if c.maildrop == nil {
		return
	}
	md := c.maildrop
	c.maildrop = nil
	defer func() {
		if v := recover(); v != nil {
			c.logger().Error("pop3: panic in Maildrop.Close", "panic", v, "stack", string(debug.Stack()))
		}
	}()
	if err := md.Close(); err != nil {
		c.logger().Warn("pop3: closing maildrop", "err", err)
	}
}

// hasLine reports whether a whole line is already buffered (pipelining).
func (c *conn) hasLine() bool {
	n := c.br.Buffered()
	if n == 0 {
		return false
	}
	b, _ := c.br.Peek(n)
	return bytes.Contains(b, crlf)
}

// flush sends the buffered responses.
func (c *conn) flush() error {
	return c.bw.Flush()
}

// readCommand returns the next command line. RFC 2449 section 6.6
// (PIPELINING): responses are flushed only when no further command is
// buffered, so a pipelined batch is answered in one write.
func (c *conn) readCommand() ([]byte, error) {
	if !c.hasLine() {
		if err := c.flush(); err != nil {
			return nil, err
		}
	}
	// The deadline covers the whole line (and a discarded over-long one).
	c.idle.Store(true)
	c.raw.SetReadDeadline(time.Now().Add(c.srv.idleTimeout()))
	if c.srv.shuttingDown() && c.state.Load() == stateAuthorization {
		c.idle.Store(false)
		return nil, errShutdown
	}
	line, err := c.readLine(c.srv.maxLineLength())
	c.idle.Store(false)
	return line, err
}

// readLine reads one line of at most limit octets (CRLF included) and
// returns it without its CRLF. Only CRLF ends a line (RFC 1939 3): a bare
// LF or CR stays in the line, which parseCommand refuses as one bad
// command (see package lineio). A longer line is read to its end and
// dropped, never held in memory, and errLineTooLong returned.
func (c *conn) readLine(limit int) ([]byte, error) {
	line, buf, err := lineio.ReadLine(c.br, c.lineBuf, limit)
	c.lineBuf = buf
	if err == lineio.ErrTooLong {
		return nil, errLineTooLong
	}
	return line, err
}

// reply writes a one-line response: "+OK text" or "-ERR [code] text".
// Write errors stick in the bufio.Writer and surface at the next flush.
func (c *conn) reply(ok bool, code, text string) {
	if ok {
		c.bw.WriteString("+OK")
	} else {
		c.bw.WriteString("-ERR")
	}
	if code != "" {
		c.bw.WriteString(" [")
		c.bw.WriteString(code)
		c.bw.WriteByte(']')
	}
	if text != "" {
		c.bw.WriteByte(' ')
		c.bw.WriteString(text)
	}
	c.bw.WriteString("\r\n")
}

// writeInt writes n in decimal without allocating.
func (c *conn) writeInt(n int64) {
	c.bw.Write(strconv.AppendInt(c.bw.AvailableBuffer(), n, 10))
}

// connInfo describes the connection for the Backend.
func (c *conn) connInfo() ConnInfo {
	return ConnInfo{RemoteAddr: c.raw.RemoteAddr(), LocalAddr: c.raw.LocalAddr(), TLS: c.tlsState, tlsConfig: c.tlsCfg}
}

// startTLS runs the STLS handshake (RFC 2595 section 4) after "+OK".
func (c *conn) startTLS() bool {
	if err := c.flush(); err != nil {
		return false
	}
	// Whatever the client sent behind STLS, before the handshake, is
	// plaintext an attacker could have injected: drop it (RFC 2595
	// section 4, as RFC 3207 section 4.2 spells out for SMTP).
	c.br.Discard(c.br.Buffered())
	tc := tls.Server(c.raw, c.srv.TLSConfig)
	st, err := netserver.Handshake(c.ctx, tc, c.raw, c.srv.idleTimeout())
	if err != nil {
		c.logger().Debug("pop3: STLS handshake failed", "err", err)
		return false
	}
	c.tlsState, c.tlsCfg = st, c.srv.TLSConfig
	c.nc = tc
	c.br.Reset(tc)
	// The session starts over (RFC 2595 section 4): forget USER.
	c.user = ""
	return true
}

// secure reports whether passwords may be sent on this connection now.
func (c *conn) secure() bool {
	return c.tlsState != nil || c.srv.AllowInsecureAuth
}

// insecureReply refuses a password on a plaintext connection (RFC 2595
// section 2.3) and tells the client what to do.
func (c *conn) insecureReply() {
	c.reply(false, "AUTH", "Plaintext authentication disallowed on an unencrypted connection"+c.srv.ns.PlaintextHint(c.srv.TLSConfig, "STLS"))
}

// replyError sends a backend error as the client should see it: the code
// and text of a *Error, the standard text for a bare code, or SYS/TEMP
// with a generic text for anything else (whose text is only logged).
func (c *conn) replyError(op string, err error) {
	var e *Error
	if errors.As(err, &e) && (e.Code != "" || e.Message != "") {
		text := safetext.Line(e.Message)
		if text == "" {
			text = codeText[e.Code]
		}
		if text == "" {
			text = "Command failed"
		}
		if e.Code == "SYS/TEMP" || e.Code == "SYS/PERM" {
			c.logger().Warn("pop3: backend error", "op", op, "err", err)
		}
		c.reply(false, e.Code, text)
		return
	}
	c.logger().Error("pop3: backend error", "op", op, "err", err)
	c.reply(false, "SYS/TEMP", codeText["SYS/TEMP"])
}

// codeText is the standard text for a response code without a message.
var codeText = map[string]string{
	"IN-USE":      "Maildrop already in use by another session",
	"LOGIN-DELAY": "Logging in too often; try again later",
	"AUTH":        "Authentication failed",
	"SYS/TEMP":    "Temporary server error, try again later",
	"SYS/PERM":    "Server error",
}
