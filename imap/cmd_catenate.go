package imap

import (
	"errors"
	"io"
	"strings"
	"time"
)

// catenateReader is the message data of a CATENATE message (RFC 4469):
// it pulls the parts from the connection as the backend reads, a TEXT
// literal straight from the socket and a URL part from the store, so that
// a message of any size passes with memory bounded by buffers. Its size is
// not known in advance (AppendOptions.Size -1).
type catenateReader struct {
	c    *conn
	urls *urlResolver
	used int64 // bytes of the message so far

	cur    io.Reader
	target *urlTarget // the open message of the current URL part

	// err is the first failure, returned by every later Read; res is
	// the response for it, and skip tells that the rest of the command
	// is still to be skipped (the parser skips it itself after a
	// syntax error).
	err  error
	res  result
	skip bool
	done bool // the closing ")" was read
}

// errCatenate is what Read returns after a failure; the backend gets it
// from its read and the server answers with catenateReader.res.
var errCatenate = errors.New("imap: CATENATE failed")

func (r *catenateReader) Read(b []byte) (int, error) {
	for {
		if r.err != nil {
			return 0, r.err
		}
		if r.cur != nil {
			n, err := r.cur.Read(b)
			r.used += int64(n)
			if err == io.EOF {
				r.endPart()
				if n > 0 {
					return n, nil
				}
				continue
			}
			if err != nil {
				if r.target != nil {
					// The store failed while reading a URL part.
					r.fail(r.c.backendError("APPEND", err), true)
					return n, r.err
				}
				r.err, r.res = err, result{bye: true}
			}
			return n, err
		}
		if r.done {
			return 0, io.EOF
		}
		part, err := r.c.p.NextCatenatePart(r.used)
		if err != nil {
			r.err = err
			var pe *commandError
			switch {
			case errors.As(err, &pe) && pe.Fatal:
				r.c.untagged("BYE " + sanitize(pe.Message))
				r.res = result{bye: true}
			case errors.As(err, &pe):
				r.res = result{status: pe.Status, code: pe.Code, text: pe.Message}
			default:
				r.res = result{bye: true}
			}
			return 0, errCatenate
		}
		if part == nil {
			r.done = true
			return 0, io.EOF
		}
		if part.URL == "" {
			r.cur = part.Body
			continue
		}
		if err := r.openURL(part.URL); err != nil {
			return 0, err
		}
	}
}

// openURL makes the data a URL part names the current part (RFC 4469 5).
func (r *catenateReader) openURL(url string) error {
	t, err := r.urls.resolve(url, false)
	var d io.Reader
	var n int64
	if err == nil {
		if d, n, err = t.data(false); err != nil {
			t.close()
		}
	}
	switch {
	case err != nil && isBadURL(err):
		r.c.logger().Debug("imap: CATENATE URL refused", "url", url, "err", err)
		// RFC 4469 5: NO [BADURL url], before any later literal is
		// invited (the client waits for "+" and gets the NO instead).
		r.fail(no("BADURL "+badURLText(url), "Cannot resolve the URL"), true)
		return r.err
	case err != nil:
		r.fail(r.c.backendError("APPEND", err), true)
		return r.err
	case n > r.c.p.maxAppend()-r.used:
		t.close()
		r.fail(no("TOOBIG", "Message too large"), true)
		return r.err
	}
	r.cur, r.target = d, t
	return nil
}

func (r *catenateReader) endPart() {
	r.cur = nil
	if r.target != nil {
		r.target.close()
		r.target = nil
	}
}

func (r *catenateReader) fail(res result, skip bool) {
	r.err, r.res, r.skip = errCatenate, res, skip
}

// finish ends the message after the backend's Append returned: it
// releases what is open and, after a failure, skips the rest of the
// command. It returns the response for a failure of the CATENATE itself,
// or nil (then the backend's own error, if any, decides).
func (r *catenateReader) finish(appendErr error) *result {
	r.endPart()
	switch {
	case r.err != nil:
		if r.skip {
			if err := r.c.p.SkipCommand(); err != nil {
				return &result{bye: true}
			}
		}
		return &r.res
	case appendErr != nil:
		if err := r.c.p.SkipCommand(); err != nil {
			return &result{bye: true}
		}
		return nil
	case !r.done:
		// The backend stopped reading before the end: the message
		// it stored is cut short.
		r.c.logger().Error("imap: Append returned before the end of a CATENATE message")
		if err := r.c.p.SkipCommand(); err != nil {
			return &result{bye: true}
		}
		res := no("SERVERBUG", codeText["SERVERBUG"])
		return &res
	}
	return nil
}

// badURLText makes a URL fit the BADURL response code (RFC 4469 6:
// url-resp-text has no "]", "\" or control characters).
func badURLText(url string) string {
	return strings.Map(func(c rune) rune {
		if c < ' ' || c == ']' || c == '\\' || c == 0x7f {
			return -1
		}
		return c
	}, url)
}

// urlResolver returns a resolver for the URLs of one command of the
// session: its own mailboxes, the selected one for relative URLs.
func (c *conn) urlResolver() *urlResolver {
	r := &urlResolver{ctx: c.ctx, backend: c.srv.Backend, self: c.user, name: c.user.Username(), now: time.Now}
	if c.mbox != nil {
		r.selected = c.mbox.name
	}
	return r
}
