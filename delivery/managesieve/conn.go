package managesieve

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync/atomic"
	"time"

	"github.com/mailwright/mailwright/internal/netserver"
	"github.com/mailwright/mailwright/internal/safetext"
)

// maxSkip bounds the literal the server reads and drops to answer NO
// (QUOTA/MAXSIZE) and go on; past it, the session ends.
const maxSkip = 16 << 20

// conn is one client connection and its ManageSieve session.
type conn struct {
	srv *Server
	// raw is the TCP connection: deadlines and Close go to it. nc is what
	// the session reads and writes: raw, or TLS over raw.
	raw      net.Conn
	nc       net.Conn
	tlsState *tls.ConnectionState
	ctx      context.Context
	cancel   context.CancelFunc
	log      *slog.Logger

	br   *bufio.Reader
	bw   *bufio.Writer
	p    parser
	out  []byte // the response being written
	idle atomic.Bool

	user         string  // the authenticated user, for OWNER
	scripts      Scripts // nil until AUTHENTICATE succeeds
	authFailures int
}

// connWriter gives each write its own deadline, so that WriteTimeout
// bounds a stalled client.
type connWriter struct{ c *conn }

func (w connWriter) Write(p []byte) (int, error) {
	w.c.raw.SetWriteDeadline(time.Now().Add(w.c.srv.writeTimeout()))
	return w.c.nc.Write(p)
}

var errShutdown = errors.New("managesieve: server shutting down")

func (c *conn) logger() *slog.Logger {
	if c.log == nil {
		c.log = c.srv.logger().With("remote", c.raw.RemoteAddr().String())
	}
	return c.log
}

// Abort ends the connection at once (Close).
func (c *conn) Abort() {
	c.cancel()
	c.raw.Close()
}

// WakeIfIdle ends a session that waits for a command (Shutdown): every
// command is complete when it is answered, so nothing is lost.
func (c *conn) WakeIfIdle() {
	if c.idle.Load() {
		c.raw.SetReadDeadline(time.Unix(1, 0))
	}
}

// Serve runs the session: the greeting (the capabilities, then OK, RFC
// 5804 1.7) or the refusal of a connection over a cap, then the commands.
func (c *conn) Serve(nc net.Conn, tlsState *tls.ConnectionState, _ *tls.Config, over netserver.Cap) {
	c.nc, c.tlsState = nc, tlsState
	c.br = c.srv.getReader(c)
	c.bw = c.srv.getWriter(c)
	c.p = parser{r: c.br, maxLine: c.srv.maxLineLength(), maxLiteral: int64(c.srv.maxScriptSize()), maxSkip: maxSkip}
	if over != netserver.UnderCaps {
		c.respond(respBYE, codeTryLater, over.Text())
		c.bw.Flush()
		return
	}
	c.writeCapabilities()
	c.respond(respOK, "", "ManageSieve ready")
	for {
		cmd, err := c.readCommand()
		var se syntaxError
		switch {
		case err == nil:
		case errors.Is(err, errLineTooLong):
			c.respond(respNO, "", "Line too long")
			continue
		case errors.As(err, &se):
			c.respond(respNO, "", string(se))
			continue
		case errors.Is(err, errLiteralTooLarge):
			c.respond(respNO, codeMaxSize, "Script too large")
			continue
		case errors.Is(err, errLiteralHuge):
			c.respond(respBYE, codeMaxSize, "Literal too large")
			c.bw.Flush()
			return
		default:
			c.endOnReadError(err)
			return
		}
		spec := commands[cmd.name]
		switch {
		case spec == nil:
			c.respond(respNO, "", "Unknown command")
		case spec.state == stateAuth && c.scripts == nil:
			c.respond(respNO, "", "Log in first")
		case spec.state == stateNotAuth && c.scripts != nil:
			c.respond(respNO, "", "Already logged in")
		default:
			if !spec.handle(c, cmd) {
				c.bw.Flush()
				return
			}
		}
	}
}

// readCommand returns the next command. Responses are flushed first,
// unless the client has already sent the next command (pipelining). The
// deadline covers the whole command, literals included.
func (c *conn) readCommand() (*command, error) {
	if c.br.Buffered() == 0 {
		if err := c.bw.Flush(); err != nil {
			return nil, err
		}
	}
	c.idle.Store(true)
	c.raw.SetReadDeadline(time.Now().Add(c.srv.idleTimeout()))
	if c.srv.ns.ShuttingDown() && c.br.Buffered() == 0 {
		c.idle.Store(false)
		return nil, errShutdown
	}
	cmd, err := c.p.readCommand()
	c.idle.Store(false)
	return cmd, err
}

// endOnReadError ends a session that was waiting for input: a BYE to a
// client that is still there (RFC 5804 1.3), a log line at Debug.
func (c *conn) endOnReadError(err error) {
	var ne net.Error
	switch {
	case err == errShutdown || c.srv.ns.ShuttingDown():
		c.bye("Server shutting down")
	case errors.As(err, &ne) && ne.Timeout():
		c.bye("Disconnected for inactivity")
	case err == io.EOF:
	default:
		c.logger().Debug("managesieve: read error", "err", err)
	}
}

func (c *conn) bye(text string) {
	c.respond(respBYE, "", text)
	c.bw.Flush()
}

// Finish ends the session: the connection is closed and the buffers
// returned.
func (c *conn) Finish() {
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

// respond writes a response line. Write errors stick in the writer and
// end the session at the next flush.
func (c *conn) respond(kind, code, text string) {
	c.out = appendResponse(c.out[:0], kind, code, text)
	c.bw.Write(c.out)
}

// writeLine writes strings separated by spaces, then CRLF: a capability
// or a LISTSCRIPTS line.
func (c *conn) writeLine(first string, rest ...string) {
	c.out = appendString(c.out[:0], first)
	for _, s := range rest {
		c.out = append(c.out, ' ')
		c.out = append(c.out, s...)
	}
	c.out = append(c.out, "\r\n"...)
	c.bw.Write(c.out)
}

// connInfo describes the connection for the Backend.
func (c *conn) connInfo() ConnInfo {
	return ConnInfo{RemoteAddr: c.raw.RemoteAddr(), LocalAddr: c.raw.LocalAddr(), TLS: c.tlsState}
}

// secure reports whether passwords may be sent now.
func (c *conn) secure() bool { return c.tlsState != nil || c.srv.AllowInsecureAuth }

// replyError answers a backend error: an *Error as it says, anything
// else as NO (TRYLATER) with a generic text, logged.
func (c *conn) replyError(op string, err error) {
	var e *Error
	if errors.As(err, &e) && (e.Code != "" || e.Message != "") {
		text := safetext.Line(e.Message)
		if text == "" {
			text = "Command failed"
		}
		c.respond(respNO, e.Code, text)
		return
	}
	c.logger().Error("managesieve: backend error", "op", op, "err", err)
	c.respond(respNO, codeTryLater, "Temporary server error, try again later")
}
