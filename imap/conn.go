package imap

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"time"

	"github.com/mailwright/mailwright/internal/netserver"
	"github.com/mailwright/mailwright/internal/safetext"
)

// Session states (RFC 9051 3).
const (
	stateNotAuth int32 = 1 << iota
	stateAuth
	stateSelected
	stateLogout
)

// conn is one client connection and its IMAP session.
type conn struct {
	srv *Server
	// raw is the TCP connection (deadlines, Close); nc is raw or TLS over it.
	raw      net.Conn
	nc       net.Conn
	tlsState *tls.ConnectionState
	tlsCfg   *tls.Config // of the handshake; nil if unknown
	ctx      context.Context
	cancel   context.CancelFunc
	log      *slog.Logger

	br *bufio.Reader
	bw *bufio.Writer
	w  *writer
	p  *parser

	state atomic.Int32
	idle  atomic.Bool // waiting for a command or in IDLE: Shutdown may wake it

	user         User
	curTag       string // tag of the command in progress (for LOGIN and AUTHENTICATE)
	authFailures int
	badCommands  int
	rev2         bool // ENABLE IMAP4rev2
	utf8Accept   bool // ENABLE UTF8=ACCEPT (RFC 6855)
	// condStore is set by ENABLE CONDSTORE or any CONDSTORE enabling
	// command (RFC 7162 3.1): from then on every FETCH response
	// carrying flags also carries UID and MODSEQ.
	condStore bool
	// qresync is set by ENABLE QRESYNC (RFC 7162 3.2.3): SELECT
	// (QRESYNC ...) and UID FETCH (VANISHED) are allowed, and expunges are
	// told with VANISHED instead of EXPUNGE.
	qresync bool
	mbox    *selected
	// notify is the NOTIFY SET in force (RFC 5465), nil before it and
	// after NOTIFY NONE; quietFlags is set while NOTIFY applies flag
	// changes of the selected mailbox that the client did not ask to hear
	// of.
	notify     *notifyState
	quietFlags bool

	// appendCheck, when set, is called by the parser's Continue hook before
	// the data of an APPEND message is invited.
	appendCheck func(announcedLiteral) error
}

type connWriter struct{ c *conn }

func (w connWriter) Write(p []byte) (int, error) {
	w.c.raw.SetWriteDeadline(time.Now().Add(w.c.srv.writeTimeout()))
	return w.c.nc.Write(p)
}

var errShutdown = errors.New("imap: server shutting down")

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

// WakeIfIdle is called by Shutdown: a session waiting for a command (or in
// IDLE) is woken, says BYE and ends; a command in progress finishes first.
func (c *conn) WakeIfIdle() {
	if c.idle.Load() {
		c.raw.SetReadDeadline(time.Unix(1, 0))
	}
}

// Serve runs the session once netserver has accepted the connection (and
// done the implicit-TLS handshake): the greeting, or the refusal of a
// connection over a cap, then the commands.
func (c *conn) Serve(nc net.Conn, tlsState *tls.ConnectionState, tlsConfig *tls.Config, over netserver.Cap) {
	c.nc, c.tlsState, c.tlsCfg = nc, tlsState, tlsConfig
	c.state.Store(stateNotAuth)
	c.br = c.srv.getReader(c)
	c.bw = c.srv.getWriter(c)
	c.w = newWriter(c.bw)
	c.newParser()

	if over != netserver.UnderCaps {
		c.untagged("BYE [UNAVAILABLE] " + over.Text())
		c.flush()
		return
	}
	// RFC 9051 7.1.1: the greeting may carry the capabilities.
	c.w.Raw("* OK [")
	c.writeCapabilities()
	c.w.Raw("] IMAP server ready")
	c.w.CRLF()

	for {
		cmd, err := c.readCommand()
		if err != nil {
			var pe *commandError
			if errors.As(err, &pe) {
				if !c.parseError(pe) {
					return
				}
				continue
			}
			c.endOnReadError(err)
			return
		}
		if !c.dispatch(cmd) {
			c.flush()
			return
		}
		if c.srv.shuttingDown() {
			c.untagged("BYE Server shutting down")
			c.flush()
			return
		}
	}
}

func (c *conn) newParser() {
	c.p = newParser(c.br)
	c.p.MaxLineLength = c.srv.MaxLineLength
	c.p.MaxLiteralSize = c.srv.MaxLiteralSize
	c.p.MaxAppendSize = c.srv.maxAppendSize()
	c.p.LiteralMinus = c.srv.LiteralMinus
	c.p.Continue = c.continueLiteral
}

// continueLiteral is the parser's Continue hook: it checks a literal before
// the client sends it, invites synchronizing literals with "+", and gives
// each literal a fresh command timeout.
func (c *conn) continueLiteral(l announcedLiteral) error {
	if l.Append && c.appendCheck != nil {
		if err := c.appendCheck(l); err != nil {
			return err
		}
	}
	c.raw.SetReadDeadline(time.Now().Add(c.srv.commandTimeout()))
	if l.NonSync {
		return nil
	}
	c.w.Raw("+ Ready for literal data")
	c.w.CRLF()
	return c.flush()
}

// readCommand flushes the responses when no more input is buffered (a
// pipelined batch is answered in one write), waits up to IdleTimeout for a
// command to start and CommandTimeout for it to arrive whole.
func (c *conn) readCommand() (*command, error) {
	if c.br.Buffered() == 0 {
		if err := c.flush(); err != nil {
			return nil, err
		}
		c.idle.Store(true)
		c.raw.SetReadDeadline(time.Now().Add(c.srv.idleTimeout()))
		if c.srv.shuttingDown() {
			c.idle.Store(false)
			return nil, errShutdown
		}
		err := c.waitCommand()
		c.idle.Store(false)
		if err != nil {
			return nil, err
		}
	}
	c.raw.SetReadDeadline(time.Now().Add(c.srv.commandTimeout()))
	return c.p.ReadCommand()
}

// parseError answers a refused command; it reports whether the session
// goes on.
func (c *conn) parseError(pe *commandError) bool {
	if pe.Fatal {
		c.untagged("BYE " + sanitize(pe.Message))
		c.flush()
		return false
	}
	if pe.SearchSave && c.mbox != nil {
		// RFC 5182 2.1: a failed SEARCH RETURN (SAVE) empties "$".
		c.mbox.saved = nil
	}
	tag := pe.Tag
	if tag == "" {
		tag = "*"
	}
	c.status(tag, pe.Status, pe.Code, pe.Message)
	if pe.Status == "BAD" {
		return c.countBad()
	}
	return true
}

// countBad counts a BAD response and ends the session after too many.
func (c *conn) countBad() bool {
	c.badCommands++
	if m := netserver.Limit(c.srv.MaxBadCommands, DefaultMaxBadCommands); m > 0 && c.badCommands >= m {
		c.untagged("BYE Too many invalid commands")
		c.flush()
		return false
	}
	return true
}

func (c *conn) endOnReadError(err error) {
	var ne net.Error
	switch {
	case err == errShutdown, c.srv.shuttingDown():
		c.untagged("BYE Server shutting down")
		c.flush()
	case errors.As(err, &ne) && ne.Timeout():
		// RFC 9051 7.1.5: BYE before an autologout.
		c.untagged("BYE Autologout; idle for too long")
		c.flush()
	case err == io.EOF:
		// The client shut down its sending side, maybe after pipelined
		// commands: it still gets their responses.
		c.flush()
	case errors.Is(err, io.ErrUnexpectedEOF):
		// Likewise, with the last command cut short.
		c.flush()
		c.logger().Debug("imap: read error", "err", err)
	default:
		c.logger().Debug("imap: read error", "err", err)
	}
}

// Finish ends the session when Serve returns: the mailbox is closed, the
// user logged out, the connection closed and the buffers returned.
func (c *conn) Finish() {
	c.stopNotify()
	c.closeMailbox()
	if c.user != nil {
		u := c.user
		c.user = nil
		c.safe("Logout", func() error { return u.Logout() })
	}
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

// safe calls a backend cleanup function, logging its error or panic.
func (c *conn) safe(op string, fn func() error) {
	defer func() {
		if v := recover(); v != nil {
			c.logger().Error("imap: panic in backend", "op", op, "panic", v, "stack", string(debug.Stack()))
		}
	}()
	if err := fn(); err != nil {
		c.logger().Warn("imap: backend error", "op", op, "err", err)
	}
}

func (c *conn) closeMailbox() {
	if c.mbox == nil {
		return
	}
	mb := c.mbox.mb
	c.mbox = nil
	c.safe("Close", mb.Close)
	if c.state.Load() == stateSelected {
		c.state.Store(stateAuth)
	}
}

func (c *conn) flush() error { return c.w.Flush() }

// untagged writes "* " + text + CRLF.
func (c *conn) untagged(text string) {
	c.w.Raw("* ")
	c.w.Raw(text)
	c.w.CRLF()
}

// status writes a status response: tag status [code] text.
func (c *conn) status(tag, status, code, text string) {
	c.w.Raw(tag)
	c.w.SP()
	c.w.Raw(status)
	if code != "" {
		c.w.Raw(" [")
		c.w.Raw(code)
		c.w.Byte(']')
	}
	if text == "" {
		text = "done"
	}
	c.w.SP()
	c.w.Raw(sanitize(text))
	c.w.CRLF()
}

// connInfo describes the connection for the Backend.
func (c *conn) connInfo() ConnInfo {
	return ConnInfo{RemoteAddr: c.raw.RemoteAddr(), LocalAddr: c.raw.LocalAddr(), TLS: c.tlsState, tlsConfig: c.tlsCfg}
}

func (c *conn) secure() bool { return c.tlsState != nil || c.srv.AllowInsecureAuth }

// capabilities lists what this connection offers now (RFC 9051 7.2.2): exactly what is configured and valid in the current state.
func (c *conn) writeCapabilities() {
	c.w.Raw("CAPABILITY IMAP4rev1 IMAP4rev2")
	st := c.state.Load()
	if st == stateNotAuth {
		if netserver.HasCertificate(c.srv.TLSConfig) && c.tlsState == nil {
			c.w.Raw(" STARTTLS")
		}
		if c.secure() {
			c.w.Raw(" AUTH=PLAIN")
			if sb, ok := c.srv.Backend.(SASLBackend); ok {
				for _, m := range sb.AuthMechanisms(c.connInfo()) {
					if m != "PLAIN" && isAtom(m) {
						c.w.Raw(" AUTH=" + m)
					}
				}
			}
		} else {
			c.w.Raw(" LOGINDISABLED")
		}
	}
	if c.srv.LiteralMinus {
		c.w.Raw(" LITERAL-")
	} else {
		c.w.Raw(" LITERAL+")
	}
	c.w.Raw(" SASL-IR ID ENABLE IDLE NAMESPACE UIDPLUS MOVE UNSELECT CHILDREN SPECIAL-USE CREATE-SPECIAL-USE ESEARCH SEARCHRES LIST-EXTENDED LIST-STATUS")
	// RFC 7889 3: APPENDLIMIT=n, the largest APPEND message this
	// server accepts in any mailbox (MaxAppendSize).
	c.w.Raw(" APPENDLIMIT=")
	c.w.Number64(uint64(c.srv.maxAppendSize()))
	// RFC 8438: STATUS SIZE, in IMAP4rev1 sessions too.
	c.w.Raw(" STATUS=SIZE")
	// RFC 3502: several messages in one APPEND, all or none; RFC 4469:
	// CATENATE.
	c.w.Raw(" MULTIAPPEND CATENATE")
	// RFC 3516: FETCH BINARY[], BINARY.SIZE and APPEND of literal8.
	c.w.Raw(" BINARY")
	// RFC 6855: UTF-8 mailbox names and strings once enabled.
	c.w.Raw(" UTF8=ACCEPT")
	// RFC 7162 3.1: CONDSTORE.
	c.w.Raw(" CONDSTORE")
	// RFC 7162 3.2: QRESYNC, once logged in, when the user's
	// mailboxes remember expunges (QResyncUser).
	if st != stateNotAuth && c.qresyncOffered() {
		c.w.Raw(" QRESYNC")
	}
	// RFC 5465: NOTIFY, once logged in, when the backend can watch all
	// the user's mailboxes (NotifyUser).
	if st != stateNotAuth && c.notifyOffered() {
		c.w.Raw(" NOTIFY")
	}
	// RFC 5256: SORT and THREAD=ORDEREDSUBJECT; RFC 5957: SORT=DISPLAY;
	// RFC 5267 3: ESORT (SORT RETURN).
	c.w.Raw(" SORT SORT=DISPLAY ESORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES")
	// RFC 5267 4: updating and partial SEARCH and SORT; RFC 9394: PARTIAL
	// with ranges from the end, and UID FETCH (PARTIAL).
	c.w.Raw(" CONTEXT=SEARCH CONTEXT=SORT PARTIAL")
	if c.urlAuthOffered() {
		c.w.Raw(" URLAUTH URLAUTH=BINARY")
	}
}

// sanitize keeps a text on one line of printable characters and removes
// "[" at its start, which a client would read as a response code.
func sanitize(s string) string { return strings.TrimLeft(safetext.Line(s), "[") }

// result is how a command handler ends: the tagged status response.
type result struct {
	status string // "OK", "NO", "BAD"
	code   string
	text   string
	bye    bool // the session ends after the response
}

func ok(text string) result           { return result{status: "OK", text: text} }
func okCode(code, text string) result { return result{status: "OK", code: code, text: text} }
func no(code, text string) result     { return result{status: "NO", code: code, text: text} }
func bad(text string) result          { return result{status: "BAD", text: text} }

// backendError turns a Backend error into the response the client sees:
// the code and text of an *Error, or NO [SERVERBUG] with a generic text,
// the error being logged.
func (c *conn) backendError(op string, err error) result {
	var e *Error
	if errors.As(err, &e) && (e.Code != "" || e.Text != "") {
		code := missingMailboxCode(op, e.Code)
		text := e.Text
		if text == "" {
			text = codeText[code]
		}
		if text == "" {
			text = op + " failed"
		}
		st := "NO"
		if e.Bad {
			st = "BAD"
		}
		if code == "SERVERBUG" {
			c.logger().Error("imap: backend error", "op", op, "err", err)
		}
		return result{status: st, code: code, text: text}
	}
	if c.ctx.Err() != nil {
		return no("UNAVAILABLE", "Connection closing")
	}
	c.logger().Error("imap: backend error", "op", op, "err", err)
	return no("SERVERBUG", codeText["SERVERBUG"])
}
