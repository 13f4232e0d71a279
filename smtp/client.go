package smtp

import (
	"bufio"
	"cmp"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-sasl"

	"github.com/mailwright/mailwright/internal/saslmech"
)

// Defaults for the zero values of the Client fields.
const (
	// RFC 5321 4.5.3.2: a client should wait 5 minutes for the greeting and
	// for the replies to MAIL and RCPT, 2 minutes for the reply to DATA and
	// 3 minutes for each send of message data; 5 minutes covers them all.
	clientDefaultCommandTimeout = 5 * time.Minute
	// RFC 5321 4.5.3.2.6: 10 minutes for the reply to the end of the data,
	// because the server may be processing the message meanwhile.
	clientDefaultSubmissionTimeout = 10 * time.Minute
	clientDefaultMaxReplyLines     = 128
	clientDefaultMaxLineLength     = 8192
	clientDefaultLocalName         = "localhost"
	clientDialTimeout              = 30 * time.Second
	clientReadBufferSize           = 4096
	clientWriteBufferSize          = 8192
)

// MissingExtensionError reports that a command needs an SMTP extension that
// the server did not advertise in its EHLO reply, for example an SMTPUTF8
// address sent to a server without SMTPUTF8. Nothing was sent. It matches
// errors.ErrUnsupported with errors.Is.
type MissingExtensionError struct {
	Extension string // EHLO keyword, e.g. "SMTPUTF8", "8BITMIME", "CHUNKING"
}

// Error implements error.
func (e *MissingExtensionError) Error() string {
	return "smtp: server does not support " + e.Extension
}

// Is makes errors.Is(err, errors.ErrUnsupported) true.
func (e *MissingExtensionError) Is(target error) bool { return target == errors.ErrUnsupported }

// Client is an SMTP (RFC 5321), ESMTP or LMTP (RFC 2033) client connection.
//
// Create one with DialContext, DialTLSContext, NewClient or NewLMTPClient,
// set the exported fields before the first command, then send one or more
// mail transactions (Send, SendMail, or Mail/Rcpt/Data step by step) and
// end with Quit. Hello (EHLO) is sent implicitly by the first command that
// needs it.
//
// Every method that talks to the server takes a context for that call.
// When it ends during the call, the read or write in progress is cut
// short and the call returns an error that wraps ctx.Err(); a context
// already done when the call begins fails it before anything is sent. The
// timeouts (CommandTimeout, SubmissionTimeout) apply as well, whichever
// comes first.
//
// Any reply with a 4xx or 5xx code is returned as an *Error. Transport
// errors, timeouts, cancelled calls and malformed replies (ErrBadReply)
// leave the connection in an unknown state: the Client then refuses
// further commands (Quit and Close still release it).
//
// A Client is not safe for concurrent use, except that Close may be called
// from another goroutine to abort a command in progress.
type Client struct {
	// LocalName is the name sent with EHLO, HELO or LHLO when Hello is not
	// called explicitly; "localhost" if empty. RFC 5321 4.1.1.1 wants the
	// client's fully qualified domain name or an address literal.
	LocalName string

	// CommandTimeout bounds each command: writing it and reading its whole
	// reply, and each write of message data. Zero means 5 minutes
	// (RFC 5321 4.5.3.2). The greeting read by NewClient uses the default.
	CommandTimeout time.Duration

	// SubmissionTimeout bounds the wait for the reply (or, in LMTP, the
	// replies) after the end of the message data. Zero means 10 minutes
	// (RFC 5321 4.5.3.2.6).
	SubmissionTimeout time.Duration

	// MaxReplyLines is the largest number of lines accepted in one reply;
	// zero means 128. A longer reply fails with ErrBadReply.
	MaxReplyLines int

	// MaxLineLength is the longest reply line accepted, in bytes without the
	// line ending; zero means 8192. A longer line fails with ErrBadReply.
	// RFC 5321 4.5.3.1.5 allows 512 octets, but real servers exceed it.
	MaxLineLength int

	connMu    sync.Mutex // guards conn against a concurrent Close during StartTLS, and cancelErr
	conn      net.Conn
	cancelErr error // the call's context ended (see do): deadlines stay in the past
	br        *bufio.Reader
	bw        *bufio.Writer

	lmtp       bool
	serverName string // host name from Dial, for TLS verification
	isTLS      bool
	broken     error // set when the connection is out of step; sticky

	didHello  bool
	helloName string
	helloErr  error
	ext       map[string]string // EHLO keywords (upper case) to parameters; nil after HELO
	authMechs []string
	enhanced  bool // ENHANCEDSTATUSCODES advertised

	// Transaction state for the step-by-step API.
	txUTF8   bool
	txBinary bool
	rcpts    []string // accepted recipients, for LMTP replies

	chunkBuf []byte // BDAT buffer, kept across messages
	copyBuf  []byte // Send's copy buffer, kept across messages
}

// DialContext connects to the SMTP server at addr ("host:port") and reads
// its greeting; ctx bounds both, with at most 30 seconds for the TCP
// connection. Once DialContext has returned, the end of ctx no longer
// matters (each method takes its own). The host part of addr is
// remembered as the TLS server name for StartTLS.
func DialContext(ctx context.Context, addr string) (*Client, error) {
	d := &net.Dialer{Timeout: clientDialTimeout}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	c, err := NewClient(ctx, conn)
	if err != nil {
		return nil, err
	}
	c.serverName, _, _ = net.SplitHostPort(addr)
	return c, nil
}

// Dial is DialContext with context.Background.
func Dial(addr string) (*Client, error) { return DialContext(context.Background(), addr) }

// DialTLSContext connects to the SMTP server at addr with implicit TLS (RFC
// 8314, as on port 465) and reads its greeting; ctx bounds the connection,
// the TLS handshake and the greeting, as for DialContext. If config is nil
// or has no ServerName, the host part of addr is used to verify the
// certificate.
func DialTLSContext(ctx context.Context, addr string, config *tls.Config) (*Client, error) {
	host, _, _ := net.SplitHostPort(addr)
	d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: clientDialTimeout}, Config: clientTLSConfig(config, host)}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	c, err := NewClient(ctx, conn)
	if err != nil {
		return nil, err
	}
	c.serverName = host
	return c, nil
}

// DialTLS is DialTLSContext with context.Background.
func DialTLS(addr string, config *tls.Config) (*Client, error) {
	return DialTLSContext(context.Background(), addr, config)
}

// NewClient returns a Client speaking SMTP over an existing connection, such
// as one from a net.Dialer with a chosen source address. It reads the
// server's greeting, within ctx and the default CommandTimeout, and fails
// unless it is 220; RFC 5321 3.1 lets a server greet with 554 to refuse
// service, and that comes back as an *Error, after the Client has sent
// QUIT. On any error the connection is closed. If conn is a *tls.Conn the
// session counts as TLS. As NewClient cannot know the server's host name,
// StartTLS needs a tls.Config with ServerName set (or InsecureSkipVerify).
func NewClient(ctx context.Context, conn net.Conn) (*Client, error) {
	return newClient(ctx, conn, false)
}

// NewLMTPClient is like NewClient, for the Local Mail Transfer Protocol
// (RFC 2033), typically over a Unix socket. The Client then greets with LHLO
// and, after the message data, reads one reply per accepted recipient: Send
// reports them in its per-recipient results, LMTPData hands them to a
// callback, and the writer from Data returns them joined into one error.
func NewLMTPClient(ctx context.Context, conn net.Conn) (*Client, error) {
	return newClient(ctx, conn, true)
}

func newClient(ctx context.Context, conn net.Conn, lmtp bool) (*Client, error) {
	c := &Client{conn: conn, lmtp: lmtp}
	c.br = bufio.NewReaderSize(clientConnIO{c}, clientReadBufferSize)
	c.bw = bufio.NewWriterSize(clientConnIO{c}, clientWriteBufferSize)
	_, c.isTLS = conn.(*tls.Conn)
	var r *clientReply
	err := c.do(ctx, func() (err error) {
		r, err = c.readReply(c.commandTimeout())
		return err
	})
	if err != nil {
		conn.Close()
		return nil, err
	}
	if r.code != 220 {
		if r.code == 554 {
			// RFC 5321 3.1: a server that greets with 554 "MUST still wait
			// for the client to send a QUIT". Do not wait for its answer.
			c.bw.WriteString("QUIT\r\n")
			c.bw.Flush()
		}
		conn.Close()
		if err := r.toError(); err != nil {
			return nil, err
		}
		return nil, clientBadReply("greeting %q", r.String())
	}
	return c, nil
}

// clientConnIO gives the buffered reader and writer the current connection
// (it changes after STARTTLS) and refreshes the write deadline on every
// write: RFC 5321 4.5.3.2.5 times each send of data, not the whole message.
type clientConnIO struct{ c *Client }

func (x clientConnIO) Read(p []byte) (int, error) { return x.c.conn.Read(p) }

func (x clientConnIO) Write(p []byte) (int, error) {
	x.c.setWriteDeadline(time.Now().Add(x.c.commandTimeout()))
	return x.c.conn.Write(p)
}

func (c *Client) commandTimeout() time.Duration {
	if c.CommandTimeout > 0 {
		return c.CommandTimeout
	}
	return clientDefaultCommandTimeout
}

func (c *Client) submissionTimeout() time.Duration {
	if c.SubmissionTimeout > 0 {
		return c.SubmissionTimeout
	}
	return clientDefaultSubmissionTimeout
}

// clientTLSConfig returns config, or a copy with ServerName set to host when
// the caller left it empty and verification is on.
func clientTLSConfig(config *tls.Config, host string) *tls.Config {
	if config == nil {
		config = &tls.Config{}
	}
	if config.ServerName == "" && !config.InsecureSkipVerify && host != "" {
		config = config.Clone()
		config.ServerName = host
	}
	return config
}

// fail marks the connection as unusable (later commands return the error)
// and returns the error to report: err, or the end of the call's context
// when that is what cut the I/O short.
func (c *Client) fail(err error) error {
	if cerr := c.cancelled(); cerr != nil {
		err = cerr
	}
	if c.broken == nil {
		c.broken = err
	}
	return err
}

// usable returns an error if an earlier failure broke the connection.
func (c *Client) usable() error {
	if c.broken != nil {
		return fmt.Errorf("smtp: connection unusable after an earlier error: %w", c.broken)
	}
	return nil
}

// readReply reads one reply; the whole reply must arrive within timeout.
func (c *Client) readReply(timeout time.Duration) (*clientReply, error) {
	if err := c.usable(); err != nil {
		return nil, err
	}
	c.setReadDeadline(time.Now().Add(timeout))
	maxLines, maxLen := c.MaxReplyLines, c.MaxLineLength
	if maxLines <= 0 {
		maxLines = clientDefaultMaxReplyLines
	}
	if maxLen <= 0 {
		maxLen = clientDefaultMaxLineLength
	}
	r, err := readClientReply(c.br, maxLines, maxLen, c.enhanced)
	if err != nil {
		return nil, c.fail(err)
	}
	if r.code == 421 {
		// RFC 5321 3.8: 421 means the server is closing the connection.
		c.fail(r.toError())
	}
	return r, nil
}

// writeLine buffers one command line. Arguments are checked by the callers;
// this is the last guard against a CR, LF or NUL splitting a command.
func (c *Client) writeLine(line string) error {
	if err := c.usable(); err != nil {
		return err
	}
	if strings.ContainsAny(line, "\r\n\x00") {
		return errors.New("smtp: CR, LF or NUL in command")
	}
	c.bw.WriteString(line)
	if _, err := c.bw.WriteString("\r\n"); err != nil {
		return c.fail(err)
	}
	return nil
}

// flush sends the buffered commands.
func (c *Client) flush() error {
	if err := c.bw.Flush(); err != nil {
		return c.fail(err)
	}
	return nil
}

// roundTrip sends one command and reads its reply, whatever the code.
func (c *Client) roundTrip(line string) (*clientReply, error) {
	if err := c.writeLine(line); err != nil {
		return nil, err
	}
	if err := c.flush(); err != nil {
		return nil, err
	}
	return c.readReply(c.commandTimeout())
}

// check turns a reply into the command's result: nil when its first digit is
// class, an *Error for 4xx and 5xx, and ErrBadReply (breaking the connection)
// for any other code, which means client and server are out of step.
func (c *Client) check(r *clientReply, class int) error {
	if r.code/100 == class {
		return nil
	}
	if err := r.toError(); err != nil {
		return err
	}
	return c.fail(clientBadReply("unexpected reply %q", r.String()))
}

// cmd sends one command and checks its reply against class.
func (c *Client) cmd(class int, line string) (*clientReply, error) {
	r, err := c.roundTrip(line)
	if err != nil {
		return nil, err
	}
	return r, c.check(r, class)
}

// Hello sends EHLO (LHLO for LMTP) with localName, or LocalName if it is
// empty, and records the extensions that the server advertises. If the server
// does not know EHLO (500 or 502), it falls back to HELO, as RFC 5321
// 4.1.4 suggests; the session then has no extensions. Other methods call
// Hello implicitly; calling it again restarts the session (RFC 5321 4.1.4:
// EHLO clears any transaction).
func (c *Client) Hello(ctx context.Context, localName string) error {
	return c.do(ctx, func() error { return c.helloAs(localName) })
}

func (c *Client) helloAs(localName string) error {
	if err := c.usable(); err != nil {
		return err
	}
	localName = cmp.Or(localName, c.LocalName, clientDefaultLocalName)
	if strings.ContainsAny(localName, " \t\r\n\x00") {
		return errors.New("smtp: invalid local name")
	}
	c.didHello = true
	c.helloName = localName
	c.helloErr = c.hello()
	return c.helloErr
}

// ensureHello sends the implicit Hello once and returns its result.
func (c *Client) ensureHello() error {
	if !c.didHello {
		return c.helloAs("")
	}
	if c.helloErr != nil {
		return c.helloErr
	}
	return c.usable()
}

func (c *Client) hello() error {
	c.ext, c.authMechs, c.enhanced = nil, nil, false
	c.resetTx()
	verb := "EHLO "
	if c.lmtp {
		verb = "LHLO "
	}
	r, err := c.roundTrip(verb + c.helloName)
	if err != nil {
		return err
	}
	if r.code/100 == 2 {
		c.parseExtensions(r.lines)
		return nil
	}
	if !c.lmtp && (r.code == 500 || r.code == 502) {
		_, err = c.cmd(2, "HELO "+c.helloName)
		return err
	}
	return c.check(r, 2)
}

// parseExtensions reads the EHLO reply: the first line names the server,
// each further line is "KEYWORD [params]" (RFC 5321 4.1.1.1).
func (c *Client) parseExtensions(lines []string) {
	c.ext = make(map[string]string, len(lines))
	for _, line := range lines[1:] {
		kw, params, _ := strings.Cut(strings.TrimSpace(line), " ")
		if kw == "" {
			continue
		}
		kw = strings.ToUpper(kw)
		params = strings.TrimSpace(params)
		// Some old servers advertise "AUTH=LOGIN PLAIN" (a pre-RFC 2554
		// draft); treat it as AUTH.
		if rest, ok := strings.CutPrefix(kw, "AUTH="); ok {
			params = strings.TrimSpace(rest + " " + params)
			if _, seen := c.ext["AUTH"]; seen {
				c.addAuthMechs(params)
				continue
			}
			kw = "AUTH"
		}
		c.ext[kw] = params
		if kw == "AUTH" {
			c.addAuthMechs(params)
		}
	}
	_, c.enhanced = c.ext["ENHANCEDSTATUSCODES"]
}

func (c *Client) addAuthMechs(params string) {
	for _, m := range strings.Fields(params) {
		c.authMechs = append(c.authMechs, strings.ToUpper(m))
	}
}

// Extension reports whether the server advertised the EHLO keyword name
// (case-insensitive), and its parameters, e.g. "52428800" for SIZE. It sends
// Hello first if needed, bounded by CommandTimeout only (call Hello first
// to bound it by a context); it returns false if that failed. So do
// SupportsAuth and MaxMessageSize.
func (c *Client) Extension(name string) (bool, string) {
	if err := c.ensureHello(); err != nil {
		return false, ""
	}
	v, ok := c.ext[strings.ToUpper(name)]
	return ok, v
}

func (c *Client) hasExt(name string) bool {
	_, ok := c.ext[name]
	return ok
}

// SupportsAuth reports whether the server advertised the SASL mechanism mech
// (case-insensitive) in its AUTH extension (RFC 4954).
func (c *Client) SupportsAuth(mech string) bool {
	if err := c.ensureHello(); err != nil {
		return false
	}
	for _, m := range c.authMechs {
		if strings.EqualFold(m, mech) {
			return true
		}
	}
	return false
}

// MaxMessageSize returns the fixed maximum message size that the server
// announced with SIZE (RFC 1870 section 4). ok is false when there is none:
// no SIZE extension, or SIZE without a number or with 0.
func (c *Client) MaxMessageSize() (size int64, ok bool) {
	if found, v := c.Extension("SIZE"); found && v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 {
			return n, true
		}
	}
	return 0, false
}

// TLSConnectionState returns the TLS state of the connection; ok is false if
// it does not use TLS.
func (c *Client) TLSConnectionState() (state tls.ConnectionState, ok bool) {
	tc, ok := c.conn.(*tls.Conn)
	if !ok {
		return state, false
	}
	return tc.ConnectionState(), true
}

// StartTLS upgrades the connection with STARTTLS (RFC 3207) and sends EHLO
// again, since RFC 3207 4.2 requires the client to forget what it learnt
// before TLS. If config has no ServerName and does not skip verification,
// the host given to Dial is used. A refusal (e.g. 454) is an *Error and the
// session goes on in plain text; a failed handshake breaks the Client.
func (c *Client) StartTLS(ctx context.Context, config *tls.Config) error {
	return c.do(ctx, func() error { return c.startTLS(config) })
}

func (c *Client) startTLS(config *tls.Config) error {
	if err := c.ensureHello(); err != nil {
		return err
	}
	if c.isTLS {
		return errors.New("smtp: TLS already active")
	}
	if _, err := c.cmd(2, "STARTTLS"); err != nil {
		return err
	}
	// Bytes that arrived with the 220 were sent before the handshake, in
	// plain text: an attacker's injected replies (CVE-2011-0411). Refuse.
	if c.br.Buffered() > 0 {
		return c.fail(clientBadReply("data after the STARTTLS reply, before the TLS handshake"))
	}
	tconn := tls.Client(c.conn, clientTLSConfig(config, c.serverName))
	deadline := time.Now().Add(c.commandTimeout())
	c.setReadDeadline(deadline)
	c.setWriteDeadline(deadline)
	if err := tconn.Handshake(); err != nil {
		return c.fail(err)
	}
	c.connMu.Lock()
	c.conn = tconn
	c.connMu.Unlock()
	c.isTLS = true
	c.helloErr = c.hello()
	return c.helloErr
}

// Auth authenticates with the SASL client a (RFC 4954). The initial response,
// if the mechanism has one, goes on the AUTH line ("=" when empty); each 334
// challenge is base64-decoded and passed to a.Next. If a.Next fails, or a
// challenge is not valid base64, Auth cancels the exchange with "*". A
// rejection (e.g. 535) is an *Error. A client from NewSCRAMClient or
// NewOAuthBearerClient learns the connection's TLS state and the server's
// mechanisms first, and checks the outcome (see there).
func (c *Client) Auth(ctx context.Context, a sasl.Client) error {
	return c.do(ctx, func() error { return c.auth(a) })
}

func (c *Client) auth(a sasl.Client) error {
	if err := c.ensureHello(); err != nil {
		return err
	}
	if b, ok := a.(saslmech.Binder); ok {
		var cs *tls.ConnectionState
		if st, ok := c.TLSConnectionState(); ok {
			cs = &st
		}
		b.Bind(cs, c.authMechs)
	}
	cancelled, err := c.authExchange(a)
	if e, ok := a.(saslmech.Ender); ok && !cancelled {
		err = e.End(err)
	}
	return err
}

// authExchange runs the exchange; cancelled says that the client side
// ended it.
func (c *Client) authExchange(a sasl.Client) (cancelled bool, err error) {
	mech, ir, err := a.Start()
	if err != nil {
		return true, err
	}
	if mech == "" || strings.ContainsAny(mech, " \t\r\n\x00") {
		return true, fmt.Errorf("smtp: invalid SASL mechanism name %q", mech)
	}
	line := "AUTH " + mech
	if ir != nil {
		// RFC 4954 section 4: "=" stands for an empty initial response.
		if len(ir) == 0 {
			line += " ="
		} else {
			line += " " + base64.StdEncoding.EncodeToString(ir)
		}
	}
	r, err := c.roundTrip(line)
	for err == nil && r.code == 334 {
		challenge, derr := base64.StdEncoding.DecodeString(r.message())
		if derr != nil {
			c.cancelAuth()
			return true, clientBadReply("SASL challenge is not base64")
		}
		resp, nerr := a.Next(challenge)
		if nerr != nil {
			c.cancelAuth()
			return true, nerr
		}
		r, err = c.roundTrip(base64.StdEncoding.EncodeToString(resp))
	}
	if err != nil {
		return false, err
	}
	return false, c.check(r, 2)
}

// cancelAuth sends "*" (RFC 4954 section 4) and reads the server's reply,
// normally 501, so that the session stays in step.
func (c *Client) cancelAuth() {
	c.roundTrip("*")
}

// resetTx forgets the state of the current mail transaction.
func (c *Client) resetTx() {
	c.txUTF8, c.txBinary = false, false
	c.rcpts = c.rcpts[:0]
}

// clientCheckAddress refuses an address that would break the command line:
// CR, LF and NUL (RFC 5321 2.3.8), and angle brackets, which would end the
// path early and let the rest pass as parameters.
func clientCheckAddress(addr string) error {
	if strings.ContainsAny(addr, "\r\n\x00<>") {
		return fmt.Errorf("smtp: invalid character in address %q", addr)
	}
	return nil
}

func clientIsASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// mailLine builds the MAIL command. Parameters are added only for extensions
// that the server advertised; a parameter that changes the meaning of the
// message (SMTPUTF8, 8BITMIME, BINARYMIME) without its extension is an error,
// while advisory ones (SIZE, DSN's RET and ENVID, AUTH) are left out.
func (c *Client) mailLine(from string, opts *MailOptions) (line string, utf8, binary bool, err error) {
	if err := clientCheckAddress(from); err != nil {
		return "", false, false, err
	}
	if opts == nil {
		opts = &MailOptions{}
	}
	var b strings.Builder
	b.WriteString("MAIL FROM:<")
	b.WriteString(from)
	b.WriteByte('>')
	// RFC 6531 3.4: a non-ASCII address needs SMTPUTF8.
	utf8 = opts.UTF8 || !clientIsASCII(from)
	if utf8 {
		if !c.hasExt("SMTPUTF8") {
			return "", false, false, &MissingExtensionError{Extension: "SMTPUTF8"}
		}
		b.WriteString(" SMTPUTF8")
	}
	switch opts.Body {
	case "":
	case Body7Bit:
		if c.hasExt("8BITMIME") {
			b.WriteString(" BODY=7BIT")
		}
	case Body8BitMIME:
		if !c.hasExt("8BITMIME") {
			return "", false, false, &MissingExtensionError{Extension: "8BITMIME"}
		}
		b.WriteString(" BODY=8BITMIME")
	case BodyBinaryMIME:
		// RFC 3030 section 3: BINARYMIME is only valid with BDAT.
		if !c.hasExt("BINARYMIME") {
			return "", false, false, &MissingExtensionError{Extension: "BINARYMIME"}
		}
		if !c.hasExt("CHUNKING") {
			return "", false, false, &MissingExtensionError{Extension: "CHUNKING"}
		}
		b.WriteString(" BODY=BINARYMIME")
		binary = true
	default:
		return "", false, false, fmt.Errorf("smtp: invalid BODY type %q", opts.Body)
	}
	if opts.Size < 0 {
		return "", false, false, errors.New("smtp: negative message size")
	}
	if opts.Size > 0 && c.hasExt("SIZE") {
		b.WriteString(" SIZE=")
		b.WriteString(strconv.FormatInt(opts.Size, 10))
	}
	if c.hasExt("DSN") {
		// RFC 3461 4.3 and 4.4.
		switch opts.Return {
		case "":
		case DSNReturnFull, DSNReturnHeaders:
			b.WriteString(" RET=")
			b.WriteString(string(opts.Return))
		default:
			return "", false, false, fmt.Errorf("smtp: invalid RET value %q", opts.Return)
		}
		if opts.EnvelopeID != "" {
			b.WriteString(" ENVID=")
			b.WriteString(encodeXtext(opts.EnvelopeID))
		}
	}
	if opts.RequireTLS {
		// RFC 8689 4.2.1: the next hop must support REQUIRETLS, and it
		// offers it only over TLS.
		if _, tlsOn := c.TLSConnectionState(); !c.hasExt("REQUIRETLS") || !tlsOn {
			return "", false, false, &MissingExtensionError{Extension: "REQUIRETLS"}
		}
		b.WriteString(" REQUIRETLS")
	}
	if opts.Auth != "" && c.hasExt("AUTH") {
		// RFC 4954 section 5: AUTH=<> means the submitter is unknown.
		b.WriteString(" AUTH=")
		if opts.Auth == "<>" {
			b.WriteString("<>")
		} else {
			b.WriteString(encodeXtext(opts.Auth))
		}
	}
	return b.String(), utf8, binary, nil
}

// rcptLine builds the RCPT command. NOTIFY and ORCPT (RFC 3461) are sent only
// to a server that advertised DSN; without it RFC 3461 4.1 expects the client
// itself to report "relayed", which is the caller's business.
func (c *Client) rcptLine(to string, opts *RcptOptions, utf8 bool) (string, error) {
	if err := clientCheckAddress(to); err != nil {
		return "", err
	}
	if to == "" {
		return "", errors.New("smtp: empty recipient address")
	}
	if !utf8 && !clientIsASCII(to) {
		if !c.hasExt("SMTPUTF8") {
			return "", &MissingExtensionError{Extension: "SMTPUTF8"}
		}
		return "", errors.New("smtp: non-ASCII recipient in a transaction started without SMTPUTF8")
	}
	line := "RCPT TO:<" + to + ">"
	if opts == nil || !c.hasExt("DSN") {
		return line, nil
	}
	if len(opts.Notify) > 0 {
		var b strings.Builder
		for i, n := range opts.Notify {
			switch n {
			case DSNNotifyNever:
				// RFC 3461 4.1: NEVER stands alone.
				if len(opts.Notify) > 1 {
					return "", errors.New("smtp: NOTIFY=NEVER combined with other values")
				}
			case DSNNotifySuccess, DSNNotifyFailure, DSNNotifyDelay:
			default:
				return "", fmt.Errorf("smtp: invalid NOTIFY value %q", n)
			}
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(string(n))
		}
		line += " NOTIFY=" + b.String()
	}
	if opts.OriginalRecipient != "" {
		typ := cmp.Or(opts.OriginalRecipientType, "rfc822")
		// RFC 3461 4.2: addr-type is an atom.
		for i := 0; i < len(typ); i++ {
			ch := typ[i]
			if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || clientIsDigit(ch) || ch == '-') {
				return "", fmt.Errorf("smtp: invalid ORCPT address type %q", typ)
			}
		}
		line += " ORCPT=" + typ + ";" + encodeXtext(opts.OriginalRecipient)
	}
	return line, nil
}

// Mail starts a mail transaction with MAIL FROM (RFC 5321 4.1.1.2); from may
// be "" for the null reverse-path of bounces. Options are sent only as the
// server's extensions allow (see MailOptions): a non-ASCII address or
// opts.UTF8 needs SMTPUTF8, Body8BitMIME needs 8BITMIME, BodyBinaryMIME needs
// BINARYMIME and CHUNKING (and then the message goes with Bdat); without them
// Mail returns a *MissingExtensionError and sends nothing.
func (c *Client) Mail(ctx context.Context, from string, opts *MailOptions) error {
	return c.do(ctx, func() error { return c.mail(from, opts) })
}

func (c *Client) mail(from string, opts *MailOptions) error {
	if err := c.ensureHello(); err != nil {
		return err
	}
	line, utf8, binary, err := c.mailLine(from, opts)
	if err != nil {
		return err
	}
	if _, err := c.cmd(2, line); err != nil {
		return err
	}
	c.resetTx()
	c.txUTF8, c.txBinary = utf8, binary
	return nil
}

// Rcpt adds a recipient with RCPT TO (RFC 5321 4.1.1.3). NOTIFY and ORCPT go
// only to a server that offers DSN. A non-ASCII address needs a transaction
// started with SMTPUTF8.
func (c *Client) Rcpt(ctx context.Context, to string, opts *RcptOptions) error {
	return c.do(ctx, func() error { return c.rcpt(to, opts) })
}

func (c *Client) rcpt(to string, opts *RcptOptions) error {
	if err := c.ensureHello(); err != nil {
		return err
	}
	line, err := c.rcptLine(to, opts, c.txUTF8)
	if err != nil {
		return err
	}
	if _, err := c.cmd(2, line); err != nil {
		return err
	}
	c.rcpts = append(c.rcpts, to)
	return nil
}

// Reset aborts the current mail transaction with RSET (RFC 5321 4.1.1.5).
func (c *Client) Reset(ctx context.Context) error {
	return c.do(ctx, func() error {
		if err := c.ensureHello(); err != nil {
			return err
		}
		if _, err := c.cmd(2, "RSET"); err != nil {
			return err
		}
		c.resetTx()
		return nil
	})
}

// Noop sends NOOP (RFC 5321 4.1.1.9), e.g. to check that a connection kept
// for reuse is still alive.
func (c *Client) Noop(ctx context.Context) error {
	return c.do(ctx, func() error {
		if err := c.ensureHello(); err != nil {
			return err
		}
		_, err := c.cmd(2, "NOOP")
		return err
	})
}

// Verify asks the server with VRFY (RFC 5321 4.1.1.6) whether addr is a valid
// mailbox. 250, 251 and 252 ("cannot verify, but will accept") count as
// success. A non-ASCII address needs SMTPUTF8 (RFC 6531 3.7.4.2).
func (c *Client) Verify(ctx context.Context, addr string) error {
	return c.do(ctx, func() error { return c.verify(addr) })
}

func (c *Client) verify(addr string) error {
	if err := c.ensureHello(); err != nil {
		return err
	}
	// The argument is a user name or mailbox, possibly in angle brackets;
	// only what would split the command line is refused.
	if addr == "" || strings.ContainsAny(addr, "\r\n\x00") {
		return fmt.Errorf("smtp: invalid VRFY argument %q", addr)
	}
	line := "VRFY " + addr
	if !clientIsASCII(addr) {
		if !c.hasExt("SMTPUTF8") {
			return &MissingExtensionError{Extension: "SMTPUTF8"}
		}
		line += " SMTPUTF8"
	}
	_, err := c.cmd(2, line)
	return err
}

// Quit sends QUIT (RFC 5321 4.1.1.10) and closes the connection, also when
// ctx ends before the reply. If the connection is already unusable it is
// just closed.
func (c *Client) Quit(ctx context.Context) error {
	if c.broken != nil {
		c.Close()
		return nil
	}
	err := c.do(ctx, func() error {
		_, err := c.cmd(2, "QUIT")
		return err
	})
	return cmp.Or(err, c.Close())
}

// Close closes the connection without QUIT. It may be called from another
// goroutine to abort a command in progress.
func (c *Client) Close() error {
	c.connMu.Lock()
	defer c.connMu.Unlock()
	return c.conn.Close()
}
