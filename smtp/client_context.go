package smtp

import (
	"context"
	"fmt"
	"time"
)

// Each method of the Client that talks to the server takes a context for
// that call, as the methods of database/sql and net.Dialer.DialContext do:
// a context is a call's, not the connection's, so that one Client serves
// calls with different deadlines (a short one for NOOP on a kept
// connection, a long one for a large message).

// clientPastDeadline is a deadline long past: set on the connection, it
// makes the read or write in progress fail at once.
var clientPastDeadline = time.Unix(1, 0)

// do runs one call of the Client under ctx. A context already done fails
// the call before anything is sent, and the Client stays usable. While f
// runs, the end of ctx moves the connection's deadlines into the past, so
// that the read or write in progress returns at once; the failure that
// follows is reported as ctx's error (see fail) and leaves the Client
// unusable, since client and server are then out of step. A call that
// finished before ctx ended keeps its result.
func (c *Client) do(ctx context.Context, f func() error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	if ctx.Done() == nil {
		return f() // never cancelled: nothing to watch
	}
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(fired)
		c.connMu.Lock()
		defer c.connMu.Unlock()
		c.cancelErr = fmt.Errorf("smtp: %w", ctx.Err())
		c.conn.SetDeadline(clientPastDeadline)
	})
	err := f()
	if !stop() {
		// The deadlines stay in the past for now: the next call sets
		// its own before any I/O.
		<-fired
		c.connMu.Lock()
		c.cancelErr = nil
		c.connMu.Unlock()
	}
	return err
}

// doInData is do for a call in the middle of message data (a Write or
// Close of the writer from Data or Bdat). The data cannot be left half
// sent, so a context already done breaks the Client too. A nil ctx is a
// call within Send, which watches the whole transaction itself.
func (c *Client) doInData(ctx context.Context, f func() error) error {
	if ctx == nil {
		return f()
	}
	if err := ctx.Err(); err != nil {
		return c.fail(fmt.Errorf("smtp: %w", err))
	}
	return c.do(ctx, f)
}

// writeInData calls write(p) under doInData.
func (c *Client) writeInData(ctx context.Context, write func([]byte) (int, error), p []byte) (n int, err error) {
	err = c.doInData(ctx, func() error {
		n, err = write(p)
		return err
	})
	return n, err
}

// cancelled returns the error of the call's context if it ended during
// the call, else nil.
func (c *Client) cancelled() error {
	c.connMu.Lock()
	defer c.connMu.Unlock()
	return c.cancelErr
}

// setReadDeadline and setWriteDeadline set a deadline for the next I/O,
// unless the call's context has ended: the deadline then stays in the
// past.
func (c *Client) setReadDeadline(t time.Time) {
	c.connMu.Lock()
	if c.cancelErr == nil {
		c.conn.SetReadDeadline(t)
	}
	c.connMu.Unlock()
}

func (c *Client) setWriteDeadline(t time.Time) {
	c.connMu.Lock()
	if c.cancelErr == nil {
		c.conn.SetWriteDeadline(t)
	}
	c.connMu.Unlock()
}
