package pop3

import (
	"errors"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/mailwright/mailwright/internal/netserver"
	"github.com/mailwright/mailwright/internal/safetext"
)

// Each handler writes its response and returns false to end the session.

func (c *conn) cmdUSER(cmd *command) bool {
	if !c.secure() {
		c.insecureReply()
		return true
	}
	c.user = string(cmd.arg(0))
	// RFC 1939 section 7 allows "+OK" whether or not the mailbox exists,
	// which does not tell an attacker which names are valid.
	c.reply(true, "", "Send PASS")
	return true
}

func (c *conn) cmdPASS(cmd *command) bool {
	if !c.secure() {
		c.insecureReply()
		return true
	}
	if c.user == "" {
		c.reply(false, "", "Send USER first")
		return true
	}
	user := c.user
	c.user = ""
	if !c.allowed("PASS", user) {
		return c.loginResult("PASS", user, nil, errLoginBlocked)
	}
	md, err := c.srv.Backend.Login(c.ctx, c.connInfo(), user, string(cmd.arg(0)))
	return c.loginResult("PASS", user, md, err)
}

func (c *conn) cmdAPOP(cmd *command) bool {
	ab, ok := c.srv.Backend.(APOPBackend)
	if !ok {
		c.reply(false, "", "APOP not supported")
		return true
	}
	digest := cmd.arg(1)
	// RFC 1939 section 7: the digest is 16 octets in lower-case hex.
	if len(digest) != 32 || !isHex(digest) {
		c.reply(false, "", "Invalid APOP digest")
		return true
	}
	user := string(cmd.arg(0))
	if !c.allowed("APOP", user) {
		return c.loginResult("APOP", user, nil, errLoginBlocked)
	}
	md, err := ab.LoginAPOP(c.ctx, c.connInfo(), user, c.timestamp, strings.ToLower(string(digest)))
	return c.loginResult("APOP", user, md, err)
}

func isHex(b []byte) bool {
	for _, d := range b {
		if !('0' <= d && d <= '9' || 'a' <= d && d <= 'f' || 'A' <= d && d <= 'F') {
			return false
		}
	}
	return true
}

// loginResult finishes a PASS, APOP or AUTH attempt. On success the
// session takes the snapshot of the maildrop and enters the TRANSACTION
// state (RFC 1939 section 4).
func (c *conn) loginResult(op, user string, md Maildrop, err error) bool {
	if err != nil {
		if md != nil {
			md.Close()
		}
		return c.authFailed(op, user, err, err == errLoginBlocked || errors.Is(err, ErrAuthFailed))
	}
	if md == nil {
		return c.authFailed(op, user, errors.New("pop3: Backend returned neither a maildrop nor an error"), false)
	}
	c.logins().Succeeded(c.ctx, c.raw.RemoteAddr(), user)
	msgs, err := md.Messages(c.ctx)
	if err == nil {
		err = checkMessages(msgs)
	}
	if err != nil {
		if cerr := md.Close(); cerr != nil {
			c.logger().Warn("pop3: closing maildrop", "err", cerr)
		}
		c.replyError("Messages", err)
		return true
	}
	c.maildrop = md
	c.msgs = msgs
	c.deleted = make([]bool, len(msgs))
	c.liveCount = len(msgs)
	c.liveSize = 0
	for _, m := range msgs {
		c.liveSize += m.Size
	}
	c.state.Store(stateTransaction)
	c.user = user
	c.bw.WriteString("+OK Logged in, ")
	c.writeCounts()
	return true
}

// writeCounts ends a response line with "N messages (M octets)".
func (c *conn) writeCounts() {
	c.writeInt(int64(c.liveCount))
	c.bw.WriteString(" messages (")
	c.writeInt(c.liveSize)
	c.bw.WriteString(" octets)\r\n")
}

// checkMessages refuses UIDs that would break UIDL (RFC 1939 section 7:
// 1 to 70 characters in the range 0x21 to 0x7E).
func checkMessages(msgs []Message) error {
	for _, m := range msgs {
		if len(m.UID) == 0 || len(m.UID) > 70 {
			return errors.New("pop3: backend returned a UID of invalid length: " + strconv.Quote(m.UID))
		}
		for i := 0; i < len(m.UID); i++ {
			if m.UID[i] < 0x21 || m.UID[i] > 0x7e {
				return errors.New("pop3: backend returned a UID with an invalid character: " + strconv.Quote(m.UID))
			}
		}
		if m.Size < 0 {
			return errors.New("pop3: backend returned a negative size for " + m.UID)
		}
	}
	return nil
}

// authFailed answers a failed login (op: PASS, APOP, AUTH PLAIN, AUTH
// LOGIN) and closes the connection after MaxAuthFailures failures of
// credentials or attempts the LoginLimiter refused; each failure is logged
// in the format the protocols share (netserver.LoginFailed), counted by
// the LoginLimiter and answered after its delay.
func (c *conn) authFailed(op, user string, err error, counts bool) bool {
	if !counts {
		c.replyError(op, err)
		return true
	}
	c.authFailures++
	if err != errLoginBlocked { // a blocked attempt is logged by allowed
		c.logins().Failed(c.ctx, c.raw.RemoteAddr(), user, op)
	}
	if m := netserver.Limit(c.srv.MaxAuthFailures, DefaultMaxAuthFailures); m > 0 && c.authFailures >= m {
		if err == errLoginBlocked {
			c.reply(false, errLoginBlocked.Code, errLoginBlocked.Message+"; closing connection")
		} else {
			c.reply(false, "AUTH", "Authentication failed; too many failures, closing connection")
		}
		return false
	}
	if err == errLoginBlocked {
		c.reply(false, errLoginBlocked.Code, errLoginBlocked.Message)
		return true
	}
	c.replyError(op, err)
	return true
}

func (c *conn) cmdSTLS(cmd *command) bool {
	if !netserver.HasCertificate(c.srv.TLSConfig) {
		c.reply(false, "", "STLS not available")
		return true
	}
	if c.tlsState != nil {
		c.reply(false, "", "Already using TLS")
		return true
	}
	c.reply(true, "", "Begin TLS negotiation")
	return c.startTLS()
}

func (c *conn) cmdCAPA(cmd *command) bool {
	w := c.bw
	w.WriteString("+OK Capability list follows\r\n")
	// RFC 2449 section 6.
	w.WriteString("TOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\n")
	if c.state.Load() == stateAuthorization {
		if c.secure() {
			w.WriteString("USER\r\nSASL " + strings.Join(c.authMechanisms(), " ") + "\r\n")
		}
		if netserver.HasCertificate(c.srv.TLSConfig) && c.tlsState == nil {
			w.WriteString("STLS\r\n")
		}
	}
	if c.srv.Expire != "" {
		w.WriteString("EXPIRE " + safetext.Line(c.srv.Expire) + "\r\n")
	}
	if c.srv.LoginDelay > 0 {
		w.WriteString("LOGIN-DELAY " + strconv.FormatInt(int64(c.srv.LoginDelay/time.Second), 10) + "\r\n")
	}
	if c.srv.Implementation != "" {
		w.WriteString("IMPLEMENTATION " + safetext.Line(c.srv.Implementation) + "\r\n")
	}
	w.WriteString(".\r\n")
	return true
}

func (c *conn) cmdQUIT(cmd *command) bool {
	if c.state.Load() != stateTransaction {
		c.reply(true, "", "Bye")
		return false
	}
	// RFC 1939 section 6: the UPDATE state, entered only by QUIT.
	c.state.Store(stateUpdate)
	var uids []string
	for i, d := range c.deleted {
		if d {
			uids = append(uids, c.msgs[i].UID)
		}
	}
	if len(uids) > 0 {
		if err := c.maildrop.Delete(c.ctx, uids); err != nil {
			c.logger().Error("pop3: Delete failed", "err", err, "count", len(uids))
			c.closeMaildrop()
			c.reply(false, "SYS/TEMP", "Some deleted messages not removed")
			return false
		}
	}
	// Release the lock before the client reads "+OK": a client that
	// reconnects at once must not find its maildrop still in use.
	c.closeMaildrop()
	c.bw.WriteString("+OK Bye, ")
	c.writeInt(int64(len(uids)))
	c.bw.WriteString(" messages deleted\r\n")
	return false
}

func (c *conn) cmdSTAT(cmd *command) bool {
	c.bw.WriteString("+OK ")
	c.writeInt(int64(c.liveCount))
	c.bw.WriteByte(' ')
	c.writeInt(c.liveSize)
	c.bw.WriteString("\r\n")
	return true
}

// message resolves a message-number argument, answering -ERR if it is not
// a number, out of range or deleted (RFC 1939 section 5).
func (c *conn) message(arg []byte) (int, bool) {
	n, ok := parseNumber(arg)
	switch {
	case !ok:
		c.reply(false, "", "Invalid message number")
	case n < 1 || n > len(c.msgs):
		c.bw.WriteString("-ERR No such message, only ")
		c.writeInt(int64(len(c.msgs)))
		c.bw.WriteString(" messages in maildrop\r\n")
	case c.deleted[n-1]:
		c.reply(false, "", "Message already deleted")
	default:
		return n - 1, true
	}
	return 0, false
}

func (c *conn) cmdLIST(cmd *command) bool {
	return c.listing(cmd, false)
}

func (c *conn) cmdUIDL(cmd *command) bool {
	return c.listing(cmd, true)
}

// listing answers LIST and UIDL, for one message or as a multi-line
// listing of the messages not deleted.
func (c *conn) listing(cmd *command, uidl bool) bool {
	w := c.bw
	item := func(i int) {
		c.writeInt(int64(i + 1))
		w.WriteByte(' ')
		if uidl {
			w.WriteString(c.msgs[i].UID)
		} else {
			c.writeInt(c.msgs[i].Size)
		}
		w.WriteString("\r\n")
	}
	if cmd.nargs == 1 {
		i, ok := c.message(cmd.arg(0))
		if ok {
			w.WriteString("+OK ")
			item(i)
		}
		return true
	}
	if uidl {
		w.WriteString("+OK Unique-ID listing follows\r\n")
	} else {
		w.WriteString("+OK ")
		c.writeCounts()
	}
	for i := range c.msgs {
		if !c.deleted[i] {
			item(i)
		}
	}
	w.WriteString(".\r\n")
	return true
}

func (c *conn) cmdRETR(cmd *command) bool {
	i, ok := c.message(cmd.arg(0))
	if !ok {
		return true
	}
	return c.sendMessage(i, -1)
}

func (c *conn) cmdTOP(cmd *command) bool {
	i, ok := c.message(cmd.arg(0))
	if !ok {
		return true
	}
	arg := cmd.arg(1)
	n, ok := parseNumber(arg)
	if !ok {
		if len(arg) > 0 && isDigits(arg) {
			// More than 9 digits: more lines than any message has.
			n, ok = int(^uint(0)>>1), true
		} else {
			c.reply(false, "", "Invalid number of lines")
			return true
		}
	}
	return c.sendMessage(i, n)
}

func isDigits(b []byte) bool {
	for _, d := range b {
		if d < '0' || d > '9' {
			return false
		}
	}
	return true
}

// sendMessage streams message i as a multi-line response: all of it
// (lines < 0, RETR) or the header and that many body lines (TOP). Memory
// is bounded by the copy buffer and the output buffer, whatever the size.
func (c *conn) sendMessage(i, lines int) bool {
	rc, err := c.maildrop.Open(c.ctx, c.msgs[i].UID)
	if err != nil {
		c.replyError("Open", err)
		return true
	}
	defer rc.Close()
	if lines < 0 {
		c.bw.WriteString("+OK ")
		c.writeInt(c.msgs[i].Size)
		c.bw.WriteString(" octets\r\n")
	} else {
		c.bw.WriteString("+OK Top of message follows\r\n")
	}
	c.dw.reset(c.bw, lines)
	bufp := c.srv.getBuffer()
	err = c.copyMessage(rc, *bufp)
	c.srv.buffers.Put(bufp)
	if err == errTopDone {
		err = nil
	}
	if err == nil {
		err = c.dw.Close()
	}
	if err != nil {
		if err != c.dw.err {
			// The "+OK" is out: the only way to tell the client the
			// message is incomplete is to drop the connection.
			c.logger().Error("pop3: reading message failed", "uid", c.msgs[i].UID, "err", err)
		}
		return false
	}
	return true
}

// copyMessage copies r into the dotWriter through buf. It is io.CopyBuffer
// without the io.WriterTo shortcut, which would allocate a buffer per
// message for some readers (os.File).
func (c *conn) copyMessage(r io.Reader, buf []byte) error {
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if _, werr := c.dw.Write(buf[:n]); werr != nil {
				return werr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func (s *Server) getBuffer() *[]byte {
	if v := s.buffers.Get(); v != nil {
		return v.(*[]byte)
	}
	b := make([]byte, copyBufferSize)
	return &b
}

func (c *conn) cmdDELE(cmd *command) bool {
	i, ok := c.message(cmd.arg(0))
	if !ok {
		return true
	}
	// RFC 1939 section 5: only marked; removed in the UPDATE state.
	c.deleted[i] = true
	c.liveCount--
	c.liveSize -= c.msgs[i].Size
	c.bw.WriteString("+OK Message ")
	c.writeInt(int64(i + 1))
	c.bw.WriteString(" deleted\r\n")
	return true
}

func (c *conn) cmdNOOP(cmd *command) bool {
	c.reply(true, "", "")
	return true
}

func (c *conn) cmdRSET(cmd *command) bool {
	for i, d := range c.deleted {
		if d {
			c.deleted[i] = false
			c.liveCount++
			c.liveSize += c.msgs[i].Size
		}
	}
	c.bw.WriteString("+OK Maildrop has ")
	c.writeCounts()
	return true
}
