package smtp

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mailwright/mailwright/internal/netserver"
	"github.com/mailwright/mailwright/internal/safetext"
	"github.com/mailwright/mailwright/internal/saslmech"
)

// Conn is one client connection. Sessions use it to learn who they are
// talking to; its methods may be called from Session methods.
type Conn struct {
	server  *Server
	nc      net.Conn // the current connection: plain, or TLS after STARTTLS
	br      *bufio.Reader
	bw      *bufio.Writer
	ctx     context.Context
	cancel  context.CancelFunc
	session Session

	helo         string
	ehlo         bool // EHLO or LHLO: extensions are in use
	tlsState     *tls.ConnectionState
	tlsConfig    *tls.Config // of the handshake; nil if unknown
	authIdentity string
	authFailures int
	badCommands  int
	refused      bool // NewSession refused the connection

	// The current transaction.
	inMail     bool
	mailOpts   MailOptions
	rcpts      []string
	inBDAT     bool   // BDAT chunks of this transaction have started
	pendingCmd []byte // a command read while a BDAT transfer was under way
	lineBuf    []byte // accumulates command lines longer than the read buffer
	scratch    [24]byte
	data       dataReader
	result     [1]error

	// Shutdown coordination with Server.Shutdown.
	stateMu      sync.Mutex
	idle         bool // waiting for a command outside a transaction
	shuttingDown bool
}

// RemoteAddr returns the client's address.
func (c *Conn) RemoteAddr() net.Addr { return c.nc.RemoteAddr() }

// LocalAddr returns the address the client connected to.
func (c *Conn) LocalAddr() net.Addr { return c.nc.LocalAddr() }

// Hostname returns the name the client gave in HELO, EHLO or LHLO.
func (c *Conn) Hostname() string { return c.helo }

// Extended reports whether the client greeted with EHLO or LHLO (and so
// may use service extensions) rather than HELO; a Received header says
// "ESMTP" or "SMTP" accordingly (RFC 3848).
func (c *Conn) Extended() bool { return c.ehlo }

// TLS returns the TLS state when the connection is encrypted.
func (c *Conn) TLS() (tls.ConnectionState, bool) {
	if c.tlsState == nil {
		return tls.ConnectionState{}, false
	}
	return *c.tlsState, true
}

// ChannelBinding returns the TLS channel binding data of type kind (RFC
// 5056) for a SASL mechanism with channel binding, such as
// SCRAM-SHA-256-PLUS: "tls-exporter" (RFC 9266; TLS 1.3, or TLS 1.2
// with the extended master secret), "tls-unique" (RFC 5929 3; TLS 1.2
// only) or "tls-server-end-point" (RFC 5929 4). It fails without TLS and
// for a type the connection does not have; tls-server-end-point needs a
// TLSConfig with one certificate and no GetCertificate or
// GetConfigForClient, since crypto/tls does not tell a server which
// certificate its handshake presented.
func (c *Conn) ChannelBinding(kind string) ([]byte, error) {
	return saslmech.Binding(kind, c.tlsState, saslmech.ServedCertificate(c.tlsConfig))
}

// AuthIdentity returns the identity the client authenticated as with AUTH,
// or "" before authentication.
func (c *Conn) AuthIdentity() string { return c.authIdentity }

// Server returns the server the connection belongs to.
func (c *Conn) Server() *Server { return c.server }

// connReader reads from the current connection, first flushing buffered
// replies: a reply is sent when the server would otherwise wait for the
// client, which is exactly what RFC 2920 PIPELINING asks for, and sends a
// whole pipelined group of replies in one write.
type connReader struct{ c *Conn }

func (r connReader) Read(p []byte) (int, error) {
	if r.c.bw.Buffered() > 0 {
		if err := r.c.bw.Flush(); err != nil {
			return 0, err
		}
	}
	return r.c.nc.Read(p)
}

type connWriter struct{ c *Conn }

func (w connWriter) Write(p []byte) (int, error) { return w.c.nc.Write(p) }

// errCloseConn ends the command loop after a reply that closes the session.
var errCloseConn = errors.New("close connection")

// start runs the session once netserver has accepted the connection (and
// done the implicit-TLS handshake): the refusal of a connection over a
// cap, or the greeting and the commands.
func (c *Conn) start(nc net.Conn, tlsState *tls.ConnectionState, tlsConfig *tls.Config, over netserver.Cap) {
	c.stateMu.Lock()
	c.nc = nc
	c.stateMu.Unlock()
	c.tlsState, c.tlsConfig = tlsState, tlsConfig
	c.br = getReader(connReader{c})
	c.bw = getWriter(connWriter{c})
	if over != netserver.UnderCaps {
		c.writeReply(&Error{Code: 421, EnhancedCode: EnhancedCode{4, 7, 0}, Message: over.Text()})
		c.bw.Flush()
		return
	}
	c.serve()
}

// finish ends the connection: it logs the session out, closes the
// connection (TLS included) and returns the buffers to their pools.
func (c *Conn) finish() {
	if c.session != nil {
		c.resetTransaction()
		if err := c.session.Logout(c.ctx); err != nil {
			c.server.logger().Debug("smtp: logout", "err", err)
		}
	}
	c.cancel()
	c.nc.Close()
	if c.br != nil {
		putBuffers(c.br, c.bw)
	}
}

func (c *Conn) serve() {
	s := c.server
	c.nc.SetDeadline(time.Now().Add(orDefault(s.CommandTimeout, DefaultCommandTimeout)))
	sess, err := s.Backend.NewSession(c.ctx, c)
	if err != nil {
		if e, ok := errorAs(err); ok {
			// RFC 5321 3.1: refuse with 554 and wait for QUIT.
			c.refused = true
			c.writeReplyNoEnhanced(e.Code, e.Message)
		} else {
			s.logger().Error("smtp: new session", "remote", c.nc.RemoteAddr().String(), "err", err)
			c.writeReply(replyLocalError)
			c.bw.Flush()
			return
		}
	} else {
		c.session = sess
		if !s.AllowInsecureAuth && !netserver.HasCertificate(s.TLSConfig) && len(c.authMechanisms()) > 0 {
			s.ns.WarnNoLogin(s.protocol())
		}
		kind := " ESMTP mailwright"
		if s.LMTP {
			kind = " LMTP mailwright"
		}
		c.writeReplyNoEnhanced(220, s.domain()+kind)
	}

	for {
		line, err := c.readCommand()
		if err == errLineTooLong {
			if c.fail(replyLineTooLong) != nil {
				c.bw.Flush()
				return
			}
			continue
		}
		if err != nil {
			c.readFailed(err)
			return
		}
		if err := c.handle(line); err != nil {
			c.bw.Flush()
			return
		}
	}
}

// readCommand waits for the next command line, within CommandTimeout, and
// returns it without its line ending.
func (c *Conn) readCommand() ([]byte, error) {
	if line := c.pendingCmd; line != nil {
		c.pendingCmd = nil
		return line, nil
	}
	timeout := orDefault(c.server.CommandTimeout, DefaultCommandTimeout)
	c.stateMu.Lock()
	if c.shuttingDown && !c.inMail {
		c.stateMu.Unlock()
		return nil, errShutdown
	}
	c.idle = !c.inMail
	c.nc.SetDeadline(time.Now().Add(timeout))
	c.stateMu.Unlock()

	line, err := c.readLine(orDefault(c.server.MaxLineLength, DefaultMaxLineLength))

	c.stateMu.Lock()
	c.idle = false
	if c.shuttingDown && err == nil {
		// Shutdown poked the deadline after this command arrived: let the
		// command (and its transaction) finish.
		c.nc.SetDeadline(time.Now().Add(timeout))
	}
	shutdown := c.shuttingDown
	c.stateMu.Unlock()
	if err != nil && shutdown && isTimeout(err) {
		return nil, errShutdown
	}
	return line, err
}

var (
	errShutdown    = errors.New("server shutting down")
	errLineTooLong = errors.New("line too long")
)

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// readFailed handles the end of the command stream.
func (c *Conn) readFailed(err error) {
	switch {
	case errors.Is(err, errShutdown):
		c.writeReply(replyShuttingDown)
	case isTimeout(err):
		c.writeReply(replyTimeout)
	default:
		return // the client went away
	}
	c.nc.SetWriteDeadline(time.Now().Add(time.Second))
	c.bw.Flush()
}

// shutdownIfIdle is called by Server.Shutdown: a connection waiting for a
// command outside a transaction is woken up to say 421 and close; one in a
// transaction closes at its next command after the transaction ends.
func (c *Conn) shutdownIfIdle() {
	c.stateMu.Lock()
	defer c.stateMu.Unlock()
	c.shuttingDown = true
	if c.idle {
		c.nc.SetReadDeadline(time.Now())
	}
}

// abort is called by Server.Close: it cancels the context and closes the socket.
func (c *Conn) abort() {
	c.cancel()
	c.stateMu.Lock()
	c.nc.Close()
	c.stateMu.Unlock()
}

// handle runs one command line. A non-nil error closes the connection.
func (c *Conn) handle(line []byte) error {
	if hasBadChars(line) {
		return c.fail(replyBadChars)
	}
	verb, arg := parseCommand(line)
	if c.refused && verb != "QUIT" {
		return c.fail(replyRejected)
	}
	h, ok := commands[verb]
	if !ok {
		return c.fail(replyUnknown)
	}
	return h(c, arg)
}

// commandHandler runs one command; its error closes the connection.
type commandHandler func(c *Conn, arg string) error

// commands maps each verb to its handler.
var commands map[string]commandHandler

func init() {
	commands = map[string]commandHandler{
		"HELO":     (*Conn).cmdHELO,
		"EHLO":     (*Conn).cmdEHLO,
		"LHLO":     (*Conn).cmdLHLO,
		"MAIL":     (*Conn).cmdMAIL,
		"RCPT":     (*Conn).cmdRCPT,
		"DATA":     (*Conn).cmdDATA,
		"BDAT":     (*Conn).cmdBDAT,
		"BURL":     (*Conn).cmdBURL,
		"RSET":     (*Conn).cmdRSET,
		"NOOP":     (*Conn).cmdNOOP,
		"QUIT":     (*Conn).cmdQUIT,
		"HELP":     (*Conn).cmdHELP,
		"VRFY":     (*Conn).cmdVRFY,
		"EXPN":     (*Conn).cmdEXPN,
		"VERB":     (*Conn).cmdVERB,
		"STARTTLS": (*Conn).cmdSTARTTLS,
		"AUTH":     (*Conn).cmdAUTH,
	}
}

// fail sends an error reply and counts it; past MaxBadCommands the
// connection is closed with 421.
func (c *Conn) fail(e *Error) error {
	c.writeReply(e)
	c.badCommands++
	if c.badCommands >= orDefault(c.server.MaxBadCommands, DefaultMaxBadCommands) {
		c.writeReply(replyTooManyErrors)
		return errCloseConn
	}
	return nil
}

// failWith reports a backend error: an *Error as it is, anything else as a
// generic temporary failure whose cause is logged, not sent.
func (c *Conn) failWith(err error) error {
	if e, ok := errorAs(err); ok {
		return c.fail(e)
	}
	c.logBackendError(err)
	return c.fail(replyLocalError)
}

func (c *Conn) logBackendError(err error) {
	if c.ctx.Err() != nil {
		return
	}
	c.server.logger().Error("smtp: backend error", "remote", c.nc.RemoteAddr().String(), "err", err)
}

// writeReply writes a reply with its enhanced status code (RFC 2034).
// A message of several lines becomes a multiline reply; CR and LF from a
// backend's text never reach the wire unescaped.
func (c *Conn) writeReply(e *Error) {
	ec := e.EnhancedCode
	if ec == (EnhancedCode{}) && e.Code >= 200 && e.Code != 354 && e.Code != 334 {
		ec = EnhancedCode{e.Code / 100, 0, 0}
	}
	msg := e.Message
	for {
		line, rest, more := strings.Cut(msg, "\n")
		c.writeLine(e.Code, more, ec, strings.TrimRight(line, "\r"))
		if !more {
			return
		}
		msg = rest
	}
}

// writeReplyNoEnhanced writes a one-line reply without an enhanced code
// (the greeting, EHLO, 334 challenges).
func (c *Conn) writeReplyNoEnhanced(code int, msg string) {
	c.writeLine(code, false, EnhancedCode{}, msg)
}

func (c *Conn) writeLine(code int, more bool, ec EnhancedCode, text string) {
	b := &c.scratch
	c.bw.Write(strconv.AppendInt(b[:0], int64(code), 10))
	if more {
		c.bw.WriteByte('-')
	} else {
		c.bw.WriteByte(' ')
	}
	if ec != (EnhancedCode{}) {
		for i, n := range ec {
			if i > 0 {
				c.bw.WriteByte('.')
			}
			c.bw.Write(strconv.AppendInt(b[:0], int64(n), 10))
		}
		c.bw.WriteByte(' ')
	}
	c.bw.WriteString(safetext.Line(text))
	c.bw.WriteString("\r\n")
}

// resetTransaction ends the current transaction, if any.
func (c *Conn) resetTransaction() {
	if c.inMail && c.session != nil {
		c.session.Reset(c.ctx)
	}
	c.stateMu.Lock()
	c.inMail = false
	c.stateMu.Unlock()
	c.mailOpts = MailOptions{}
	c.rcpts = c.rcpts[:0]
	c.inBDAT = false
}

// ---------------------------------------------------------------- greetings

func (c *Conn) cmdHELO(arg string) error {
	if c.server.LMTP {
		return c.fail(replyLMTPHello)
	}
	return c.hello(arg, false)
}

func (c *Conn) cmdEHLO(arg string) error {
	if c.server.LMTP {
		return c.fail(replyLMTPHello)
	}
	return c.hello(arg, true)
}

func (c *Conn) cmdLHLO(arg string) error {
	if !c.server.LMTP {
		return c.fail(replyNotLMTP)
	}
	return c.hello(arg, true)
}

// hello handles HELO, EHLO and LHLO: RFC 5321 4.1.4 says they reset the
// transaction like RSET.
func (c *Conn) hello(arg string, extended bool) error {
	domain, _, _ := strings.Cut(arg, " ")
	if domain == "" {
		return c.fail(replyNeedHostname)
	}
	c.resetTransaction()
	c.helo = domain
	c.ehlo = extended
	c.bw.WriteString("250")
	if extended {
		c.bw.WriteByte('-')
	} else {
		c.bw.WriteByte(' ')
	}
	c.bw.WriteString(c.server.domain())
	c.bw.WriteString(" Hello ")
	c.bw.WriteString(safetext.Line(domain))
	c.bw.WriteString("\r\n")
	if extended {
		c.writeExtensions()
	}
	return nil
}

// writeExtensions writes the rest of the EHLO reply: exactly what the
// configuration enables and the session implements.
func (c *Conn) writeExtensions() {
	s := c.server
	var ext [10]string
	n := 0
	add := func(e string) { ext[n] = e; n++ }
	if !s.DisableChunking {
		add("CHUNKING")
		add("BINARYMIME")
	}
	if !s.DisableSMTPUTF8 {
		add("SMTPUTF8")
	}
	if s.EnableDSN {
		add("DSN")
	}
	if netserver.HasCertificate(s.TLSConfig) && c.tlsState == nil {
		add("STARTTLS")
	}
	if s.EnableRequireTLS && c.tlsState != nil {
		add("REQUIRETLS") // RFC 8689 4: only on a TLS session
	}
	if c.authAllowed() {
		if mechs := c.authMechanisms(); len(mechs) > 0 {
			add("AUTH " + strings.Join(mechs, " "))
		}
	}
	if _, ok := c.session.(Verifier); ok {
		add("VRFY")
	}
	if _, ok := c.session.(BURLSession); ok && !s.DisableChunking {
		// RFC 4468 3: the session resolves IMAP URLs.
		add("BURL imap")
	}
	c.bw.WriteString("250-PIPELINING\r\n250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n")
	sep := "250-SIZE "
	if n == 0 {
		sep = "250 SIZE "
	}
	c.bw.WriteString(sep)
	c.bw.Write(strconv.AppendInt(c.scratch[:0], orDefault(s.MaxMessageBytes, DefaultMaxMessageBytes), 10))
	c.bw.WriteString("\r\n")
	for i, e := range ext[:n] {
		if i == n-1 {
			c.bw.WriteString("250 ")
		} else {
			c.bw.WriteString("250-")
		}
		c.bw.WriteString(e)
		c.bw.WriteString("\r\n")
	}
}

// ---------------------------------------------------------------- transaction

func (c *Conn) cmdMAIL(arg string) error {
	switch {
	case c.helo == "":
		return c.fail(c.helloFirst())
	case c.inMail:
		return c.fail(replyNestedMail)
	}
	path, params, perr := parseFromTo(arg, "FROM")
	if perr != nil {
		return c.fail(perr)
	}
	var opts MailOptions
	if e := c.mailParams(params, &opts); e != nil {
		return c.fail(e)
	}
	if path != "" {
		if e := c.checkAddress(path, opts.UTF8, false); e != nil {
			return c.fail(e)
		}
	}
	if opts.Size > orDefault(c.server.MaxMessageBytes, DefaultMaxMessageBytes) {
		return c.fail(replyTooBigAtMail)
	}
	if err := c.session.Mail(c.ctx, path, &opts); err != nil {
		return c.failWith(err)
	}
	c.stateMu.Lock()
	c.inMail = true
	c.stateMu.Unlock()
	c.mailOpts = opts
	c.writeReply(replySenderOK)
	return nil
}

func (c *Conn) helloFirst() *Error {
	if c.server.LMTP {
		return replyLHLOFirst
	}
	return replyHeloFirst
}

// mailParams interprets the MAIL parameters of the extensions advertised.
func (c *Conn) mailParams(params []param, opts *MailOptions) *Error {
	if len(params) > 0 && !c.ehlo {
		return replyBadParam // RFC 1869: parameters only after EHLO
	}
	s := c.server
	for _, p := range params {
		switch p.Key {
		case "SIZE": // RFC 1870
			n, err := strconv.ParseInt(p.Value, 10, 64)
			if err != nil || n < 0 || p.Value[0] == '+' {
				return replyBadParamValue
			}
			opts.Size = n
		case "BODY": // RFC 6152, RFC 3030
			switch v := BodyType(strings.ToUpper(p.Value)); v {
			case Body7Bit, Body8BitMIME:
				opts.Body = v
			case BodyBinaryMIME:
				if s.DisableChunking {
					return replyBadParamValue
				}
				opts.Body = v
			default:
				return replyBadParamValue
			}
		case "SMTPUTF8": // RFC 6531 3.4
			if s.DisableSMTPUTF8 || p.Set {
				return replyBadParam
			}
			opts.UTF8 = true
		case "RET": // RFC 3461 4.3
			if !s.EnableDSN {
				return replyBadParam
			}
			switch v := DSNReturn(strings.ToUpper(p.Value)); v {
			case DSNReturnFull, DSNReturnHeaders:
				opts.Return = v
			default:
				return replyBadParamValue
			}
		case "ENVID": // RFC 3461 4.4
			if !s.EnableDSN {
				return replyBadParam
			}
			v, err := decodeXtext(p.Value)
			if err != nil || len(v) > 100 {
				return replyBadParamValue
			}
			opts.EnvelopeID = v
		case "REQUIRETLS": // RFC 8689 4.1, advertised only over TLS
			if !s.EnableRequireTLS || c.tlsState == nil || p.Set {
				return replyBadParam
			}
			opts.RequireTLS = true
		case "AUTH": // RFC 4954 5
			if len(c.authMechanisms()) == 0 {
				return replyBadParam
			}
			v, err := decodeXtext(p.Value)
			if err != nil {
				return replyBadParamValue
			}
			opts.Auth = v
		default:
			return replyBadParam
		}
	}
	return nil
}

// checkAddress validates a mailbox from MAIL or RCPT.
func (c *Conn) checkAddress(addr string, utf8 bool, rcpt bool) *Error {
	switch parseAddress(addr, utf8, rcpt) {
	case addrOK:
		return nil
	case addrTooLong:
		return replyAddrTooLong
	case addrNeedUTF8:
		return replyNeedUTF8
	default:
		return replyBadAddress
	}
}

func (c *Conn) cmdRCPT(arg string) error {
	switch {
	case c.helo == "":
		return c.fail(c.helloFirst())
	case !c.inMail:
		return c.fail(replyMailFirst)
	case c.inBDAT:
		return c.fail(replyInBDAT)
	}
	path, params, perr := parseFromTo(arg, "TO")
	if perr != nil {
		return c.fail(perr)
	}
	if e := c.checkAddress(path, c.mailOpts.UTF8, true); e != nil {
		return c.fail(e)
	}
	var opts RcptOptions
	if e := c.rcptParams(params, &opts); e != nil {
		return c.fail(e)
	}
	if len(c.rcpts) >= orDefault(c.server.MaxRecipients, DefaultMaxRecipients) {
		// RFC 5321 4.5.3.1.10: 452, and the client retries the rest later.
		c.writeReply(replyTooManyRcpts)
		return nil
	}
	if err := c.session.Rcpt(c.ctx, path, &opts); err != nil {
		return c.failWith(err)
	}
	c.rcpts = append(c.rcpts, path)
	c.writeReply(replyRecipientOK)
	return nil
}

// rcptParams interprets the RCPT parameters (RFC 3461 4.1, 4.2).
func (c *Conn) rcptParams(params []param, opts *RcptOptions) *Error {
	if len(params) > 0 && (!c.ehlo || !c.server.EnableDSN) {
		return replyBadParam
	}
	for _, p := range params {
		switch p.Key {
		case "NOTIFY":
			for v := range strings.SplitSeq(strings.ToUpper(p.Value), ",") {
				switch n := DSNNotify(v); n {
				case DSNNotifyNever, DSNNotifySuccess, DSNNotifyFailure, DSNNotifyDelay:
					opts.Notify = append(opts.Notify, n)
				default:
					return replyBadParamValue
				}
			}
			if len(opts.Notify) > 1 && containsNotify(opts.Notify, DSNNotifyNever) {
				return replyBadParamValue // NEVER must stand alone
			}
		case "ORCPT":
			typ, addr, ok := strings.Cut(p.Value, ";")
			if !ok || typ == "" || !isKeyword(typ) {
				return replyBadParamValue
			}
			decoded, err := decodeXtext(addr)
			if err != nil || decoded == "" || len(decoded) > 500 {
				return replyBadParamValue
			}
			opts.OriginalRecipientType = typ
			opts.OriginalRecipient = decoded
		default:
			return replyBadParam
		}
	}
	return nil
}

func containsNotify(list []DSNNotify, n DSNNotify) bool {
	for _, v := range list {
		if v == n {
			return true
		}
	}
	return false
}

// checkDataState reports why message data cannot start now, if it cannot.
func (c *Conn) checkDataState(bdat bool) *Error {
	switch {
	case c.helo == "":
		return c.helloFirst()
	case !c.inMail:
		return replyNeedMail
	case len(c.rcpts) == 0:
		return replyNoRecipients // RFC 5321 3.3
	case !bdat && c.mailOpts.Body == BodyBinaryMIME:
		return replyBinaryData
	}
	return nil
}

func (c *Conn) cmdDATA(arg string) error {
	if arg != "" {
		return c.fail(replyNoParams)
	}
	if c.inBDAT {
		return c.fail(replyMixedData)
	}
	if e := c.checkDataState(false); e != nil {
		return c.fail(e)
	}
	c.writeReply(replyStartData)
	c.nc.SetDeadline(time.Now().Add(orDefault(c.server.DataTimeout, DefaultDataTimeout)))
	c.data = dataReader{r: c.br, lineStart: true, limit: orDefault(c.server.MaxMessageBytes, DefaultMaxMessageBytes)}
	r := &c.data
	results := c.deliver(r)
	tooLarge, err := r.drain()
	if err != nil {
		return err // the connection broke: nothing was acknowledged
	}
	c.replyDelivery(results, tooLarge)
	return nil
}

// deliver hands the message to the session and returns one result per
// recipient in LMTP mode, or a single result otherwise.
func (c *Conn) deliver(r io.Reader) []error {
	if !c.server.LMTP {
		c.result[0] = c.session.Data(c.ctx, r)
		return c.result[:]
	}
	ls, ok := c.session.(LMTPSession)
	if !ok {
		err := c.session.Data(c.ctx, r)
		results := make([]error, len(c.rcpts))
		for i := range results {
			results[i] = err
		}
		return results
	}
	st := &lmtpStatus{rcpts: c.rcpts, results: make([]error, len(c.rcpts)), set: make([]bool, len(c.rcpts))}
	err := ls.LMTPData(c.ctx, r, st)
	for i := range st.results {
		if !st.set[i] {
			st.results[i] = err
		}
	}
	return st.results
}

type lmtpStatus struct {
	rcpts   []string
	results []error
	set     []bool
}

func (s *lmtpStatus) SetStatus(rcpt string, err error) {
	for i, r := range s.rcpts {
		if r == rcpt {
			s.results[i], s.set[i] = err, true
		}
	}
}

// replyDelivery answers the end of the message data and ends the transaction.
func (c *Conn) replyDelivery(results []error, tooLarge bool) {
	for _, err := range results {
		switch {
		case tooLarge:
			c.writeReply(ErrDataTooLarge)
		case err == nil:
			c.writeReply(replyQueued)
		default:
			if e, ok := errorAs(err); ok {
				c.writeReply(e)
			} else {
				c.logBackendError(err)
				c.writeReply(replyLocalError)
			}
		}
	}
	c.resetTransaction()
	c.nc.SetDeadline(time.Now().Add(orDefault(c.server.CommandTimeout, DefaultCommandTimeout)))
}

func (c *Conn) cmdRSET(arg string) error {
	if arg != "" {
		return c.fail(replyNoParams)
	}
	c.resetTransaction()
	c.writeReply(replyReset)
	return nil
}

func (c *Conn) cmdNOOP(string) error {
	c.writeReply(replyOK) // RFC 5321 4.1.1.9: a parameter is allowed and ignored
	return nil
}

func (c *Conn) cmdQUIT(string) error {
	c.writeReply(replyBye)
	return errCloseConn
}

func (c *Conn) cmdHELP(string) error {
	c.writeReply(&Error{Code: 214, EnhancedCode: EnhancedCode{2, 0, 0}, Message: helpText})
	return nil
}

// cmdVERB answers the old sendmail VERB command (verbose delivery
// reports). mailwright has no verbose mode: VERB is acknowledged and
// changes nothing.
func (c *Conn) cmdVERB(string) error {
	c.writeReply(replyVerbose)
	return nil
}

func (c *Conn) cmdVRFY(arg string) error {
	if arg == "" {
		return c.fail(errSyntax("Syntax: VRFY <name>"))
	}
	v, ok := c.session.(Verifier)
	if !ok {
		c.writeReply(replyCannotVerify) // RFC 5321 3.5.3
		return nil
	}
	mailbox, err := v.Verify(c.ctx, strings.Trim(arg, "<>"))
	if err != nil {
		return c.failWith(err)
	}
	c.writeReply(&Error{Code: 250, EnhancedCode: EnhancedCode{2, 1, 5}, Message: "<" + mailbox + ">"})
	return nil
}

func (c *Conn) cmdEXPN(arg string) error {
	if arg == "" {
		return c.fail(errSyntax("Syntax: EXPN <list>"))
	}
	x, ok := c.session.(Expander)
	if !ok {
		return c.fail(replyNoExpand)
	}
	members, err := x.Expand(c.ctx, arg)
	if err != nil {
		return c.failWith(err)
	}
	if len(members) == 0 {
		return c.fail(&Error{Code: 550, EnhancedCode: EnhancedCode{5, 1, 1}, Message: "List has no members"})
	}
	lines := make([]string, len(members))
	for i, m := range members {
		lines[i] = "<" + m + ">"
	}
	c.writeReply(&Error{Code: 250, EnhancedCode: EnhancedCode{2, 1, 5}, Message: strings.Join(lines, "\n")})
	return nil
}

// ---------------------------------------------------------------- STARTTLS

func (c *Conn) cmdSTARTTLS(arg string) error {
	switch {
	case !netserver.HasCertificate(c.server.TLSConfig):
		return c.fail(replyNotImpl)
	case c.tlsState != nil:
		return c.fail(replyAlreadyTLS)
	case arg != "":
		return c.fail(replyNoParams)
	case c.inMail:
		return c.fail(replyInTransaction)
	}
	c.writeReply(replyStartTLS)
	if err := c.bw.Flush(); err != nil {
		return err
	}
	// RFC 3207 5 and DESIGN.md: anything the client pipelined after
	// STARTTLS arrived in plaintext and is discarded.
	c.br.Reset(connReader{c})
	tc := tls.Server(c.nc, c.server.TLSConfig)
	st, err := netserver.Handshake(c.ctx, tc, c.nc, defaultHandshakeTimeout)
	if err != nil {
		return err
	}
	c.stateMu.Lock()
	c.nc = tc
	c.stateMu.Unlock()
	c.tlsState, c.tlsConfig = st, c.server.TLSConfig
	// RFC 3207 4.2: the client must start again with EHLO.
	c.resetTransaction()
	c.helo, c.ehlo = "", false
	return nil
}
