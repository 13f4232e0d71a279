package smtp

import (
	"errors"
	"io"
	"strings"
	"time"
)

// errBURLFailed ends a transaction whose BURL could not be resolved: the
// reply has been sent, and the transaction is abandoned (RFC 4468 3:
// nothing of the message is delivered).
var errBURLFailed = errors.New("smtp: BURL failed")

// errBURLRead is what the session reads when the content of a BURL URL
// cannot be read to its end; the reply is the session's.
var errBURLRead = &Error{Code: 451, EnhancedCode: EnhancedCode{4, 6, 6}, Message: "Message content not available"}

// cmdBURL starts message data with a chunk whose content a URL names
// (RFC 4468 3). It is a chunk like BDAT's, and the two mix in one
// transaction (later ones are read by bdatReader); LAST ends the message.
func (c *Conn) cmdBURL(arg string) error {
	if _, ok := c.session.(BURLSession); !ok || c.server.DisableChunking {
		return c.fail(replyUnknown)
	}
	if _, _, ok := parseBURL(arg); !ok {
		return c.fail(replyBadBURL)
	}
	if e := c.checkDataState(true); e != nil {
		return c.fail(e)
	}
	r := c.startChunks()
	r.nextURL(arg)
	if r.err == errBURLFailed {
		c.resetTransaction()
		return nil
	}
	return c.receiveChunks(r)
}

// nextURL makes the URL of a BURL command the current chunk. A URL that
// the session cannot open is answered at once and ends the transfer.
func (r *bdatReader) nextURL(arg string) {
	c := r.c
	url, last, ok := parseBURL(arg)
	if !ok {
		c.writeReply(replyBadBURL)
		r.err = errBURLFailed
		return
	}
	r.startChunk(0, last)
	r.wasURL = true
	if r.draining {
		return // the session is done: the content is not needed
	}
	c.nc.SetDeadline(time.Now().Add(orDefault(c.server.DataTimeout, DefaultDataTimeout)))
	rc, err := c.session.(BURLSession).FetchURL(c.ctx, url)
	if err != nil {
		if e, ok := errorAs(err); ok {
			c.writeReply(e)
		} else {
			c.logBackendError(err)
			c.writeReply(replyLocalError)
		}
		r.err = errBURLFailed
		return
	}
	r.url = rc
}

// readURL reads the content of the current BURL chunk.
func (r *bdatReader) readURL(p []byte) (int, error) {
	n, err := r.url.Read(p)
	r.n += int64(n)
	if r.limit > 0 && r.n > r.limit {
		r.tooLarge = true
		r.endURL()
		return n, ErrDataTooLarge
	}
	switch {
	case err == io.EOF:
		r.endURL()
		if n == 0 {
			return r.Read(p)
		}
		return n, nil
	case err != nil:
		r.c.server.logger().Warn("smtp: reading a BURL URL failed", "remote", r.c.nc.RemoteAddr().String(), "err", err)
		r.endURL()
		r.err = errBURLRead
		return n, r.err
	}
	return n, nil
}

func (r *bdatReader) endURL() {
	r.url.Close()
	r.url = nil
	if r.last {
		r.err = io.EOF
	}
}

// parseBURL parses the argument of BURL: absolute-URI [SP "LAST"] (RFC
// 4468 3). The URL is not checked beyond being one word of printable
// ASCII: the session resolves it.
func parseBURL(arg string) (url string, last bool, ok bool) {
	url, rest, _ := strings.Cut(arg, " ")
	if url == "" || !strings.Contains(url, ":") {
		return "", false, false
	}
	for i := 0; i < len(url); i++ {
		if c := url[i]; c <= ' ' || c >= 0x7f {
			return "", false, false
		}
	}
	switch {
	case rest == "":
	case strings.EqualFold(rest, "LAST"):
		last = true
	default:
		return "", false, false
	}
	return url, last, true
}
