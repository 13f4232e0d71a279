package smtp

import (
	"errors"
	"io"
	"strconv"
	"time"
)

// errBDATAborted is what the backend reads when the client abandons a BDAT
// transfer with RSET or QUIT.
var errBDATAborted = errors.New("smtp: BDAT transfer aborted by the client")

// cmdBDAT starts or continues message data sent in chunks (RFC 3030). The
// first BDAT of a transaction hands the backend a reader that streams all
// the chunks: when one chunk is used up the reader itself acknowledges it
// and reads the next BDAT command, so the message never has to be held in
// memory and no second goroutine is needed.
func (c *Conn) cmdBDAT(arg string) error {
	size, last, ok := parseBDAT(arg)
	if !ok {
		// The chunk size is unknown, so the octets that follow cannot be
		// told apart from commands: close rather than misread them.
		c.writeReply(replyBadBDAT)
		return errCloseConn
	}
	if c.server.DisableChunking {
		c.discardChunk(size)
		return c.fail(replyUnknown)
	}
	if e := c.checkDataState(true); e != nil {
		// RFC 3030 2: the chunk is read and discarded before the error.
		if err := c.discardChunk(size); err != nil {
			return err
		}
		return c.fail(e)
	}
	r := c.startChunks()
	r.startChunk(size, last)
	return c.receiveChunks(r)
}

// startChunks begins the chunks of a transaction (BDAT or BURL).
func (c *Conn) startChunks() *bdatReader {
	c.inBDAT = true
	c.nc.SetDeadline(time.Now().Add(orDefault(c.server.DataTimeout, DefaultDataTimeout)))
	return &bdatReader{c: c, limit: orDefault(c.server.MaxMessageBytes, DefaultMaxMessageBytes)}
}

// receiveChunks hands the chunks to the session, reads what it leaves and
// answers the end of the transaction.
func (c *Conn) receiveChunks(r *bdatReader) error {
	results := c.deliver(r)
	tooLarge, err := r.drain()
	if err != nil {
		if errors.Is(err, errBDATAborted) || errors.Is(err, errBURLFailed) {
			// RSET or QUIT runs next; or a BURL failed, and its reply
			// is out.
			c.resetTransaction()
			return nil
		}
		return err
	}
	c.replyDelivery(results, tooLarge)
	return nil
}

// discardChunk skips the octets of a chunk that is refused.
func (c *Conn) discardChunk(size int64) error {
	c.nc.SetDeadline(time.Now().Add(orDefault(c.server.DataTimeout, DefaultDataTimeout)))
	_, err := io.CopyN(io.Discard, c.br, size)
	return err
}

// bdatReader streams the chunks of one BDAT transaction: BDAT chunks
// from the connection, BURL chunks (RFC 4468) from their URL.
type bdatReader struct {
	c         *Conn
	remaining int64         // octets left in the current chunk
	url       io.ReadCloser // the current chunk is a BURL one
	wasURL    bool          // the chunk just used up was a BURL one
	last      bool          // the current chunk is the LAST one
	draining  bool          // the session is done: chunks are only skipped
	n, limit  int64
	tooLarge  bool  // more than limit octets arrived
	err       error // sticky: io.EOF after LAST, or a failure
}

func (r *bdatReader) startChunk(size int64, last bool) {
	r.remaining, r.last, r.wasURL = size, last, false
}

func (r *bdatReader) Read(p []byte) (int, error) {
	for r.remaining == 0 && r.url == nil && r.err == nil {
		r.nextChunk()
	}
	switch {
	case r.tooLarge:
		return 0, ErrDataTooLarge
	case r.url != nil:
		return r.readURL(p)
	case r.remaining == 0:
		return 0, r.err
	}
	if int64(len(p)) > r.remaining {
		p = p[:r.remaining]
	}
	n, err := r.c.br.Read(p)
	r.remaining -= int64(n)
	r.n += int64(n)
	if err != nil {
		if err == io.EOF {
			err = errDataIncomplete
		}
		r.err = err
		return n, err
	}
	if r.limit > 0 && r.n > r.limit {
		r.tooLarge = true
		return n, ErrDataTooLarge
	}
	return n, nil
}

// nextChunk is called when the current chunk is used up: after LAST that
// is the end; otherwise it acknowledges the chunk (RFC 3030 2) and reads
// the next command, which must be BDAT, or RSET/QUIT to abandon.
func (r *bdatReader) nextChunk() {
	if r.last {
		r.err = io.EOF
		return
	}
	c := r.c
	switch {
	case r.tooLarge:
		c.writeReply(ErrDataTooLarge)
	case r.wasURL:
		c.writeReply(replyBURLChunk)
	default:
		c.writeReply(&Error{Code: 250, EnhancedCode: EnhancedCode{2, 0, 0}, Message: strconv.FormatInt(r.n, 10) + " octets received"})
	}
	for {
		line, err := c.readLine(orDefault(c.server.MaxLineLength, DefaultMaxLineLength))
		if err != nil {
			if err == errLineTooLong {
				if c.fail(replyLineTooLong) != nil {
					r.err = errCloseConn
					return
				}
				continue
			}
			r.err = err
			return
		}
		verb, arg := parseCommand(line)
		if hasBadChars(line) {
			verb = "" // refused below, as any command but BDAT, NOOP, RSET and QUIT
		}
		switch verb {
		case "BDAT":
			size, last, ok := parseBDAT(arg)
			if !ok {
				c.writeReply(replyBadBDAT)
				r.err = errCloseConn
				return
			}
			c.nc.SetDeadline(time.Now().Add(orDefault(c.server.DataTimeout, DefaultDataTimeout)))
			r.startChunk(size, last)
			return
		case "BURL":
			if _, ok := c.session.(BURLSession); ok {
				r.nextURL(arg)
				return
			}
			if c.fail(replyInBDAT) != nil {
				r.err = errCloseConn
				return
			}
		case "NOOP":
			c.writeReply(replyOK)
		case "RSET", "QUIT":
			c.pendingCmd = append([]byte(nil), line...)
			r.err = errBDATAborted
			return
		default:
			if c.fail(replyInBDAT) != nil {
				r.err = errCloseConn
				return
			}
		}
	}
}

// drain reads the rest of the transaction's chunks, discarding them. It
// returns nil after the LAST chunk, errBDATAborted when the client
// abandoned the transfer, or the connection's error.
func (r *bdatReader) drain() (tooLarge bool, err error) {
	r.draining = true
	for {
		if r.url != nil {
			// Not on the wire: nothing to skip.
			r.endURL()
			continue
		}
		if r.remaining > 0 {
			n, err := r.c.br.Discard(int(min(r.remaining, 1<<30)))
			r.remaining -= int64(n)
			r.n += int64(n)
			if err != nil {
				return r.tooLarge, err
			}
			if r.limit > 0 && r.n > r.limit {
				r.tooLarge = true
			}
			continue
		}
		if r.err == io.EOF || r.err == errBURLRead {
			return r.tooLarge, nil
		}
		if r.err != nil {
			return r.tooLarge, r.err
		}
		r.nextChunk()
	}
}
