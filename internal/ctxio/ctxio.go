// Package ctxio stops reading when a context ends, for copies of message
// bodies whose source no deadline interrupts (the queue's Enqueue, the
// SMTP client's Send, mbox appends).
package ctxio

import (
	"context"
	"io"
)

// Reader returns a reader that reads from r until ctx is done, and then
// fails with ctx's error. The check is made before each Read: a Read of r
// already blocked is not interrupted.
func Reader(ctx context.Context, r io.Reader) io.Reader {
	if ctx.Done() == nil {
		return r // never done
	}
	return reader{ctx, r}
}

type reader struct {
	ctx context.Context
	r   io.Reader
}

func (r reader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}
