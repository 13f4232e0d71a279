// Package clientio is the connection plumbing of the protocol clients
// (pop3.Client; smtp.Client follows the same design): calls bounded by a
// timeout and by a per-call context whose end cuts the I/O in progress
// short, a connection that STARTTLS/STLS can replace while Close may come
// from another goroutine, and reads of lines bounded in length.
package clientio

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// pastDeadline is a deadline long past: set on a connection, it makes the
// read or write in progress fail at once.
var pastDeadline = time.Unix(1, 0)

// Conn is a client's connection. Read and Write go to the current
// net.Conn; Do runs one call of the client under a context and a timeout.
// Close and the context watcher of Do may run in other goroutines; every
// other method is called from the client's goroutine.
type Conn struct {
	prefix string // of the errors Do returns, e.g. "pop3: "

	mu        sync.Mutex // guards nc against Close and the watcher, and cancelErr
	nc        net.Conn
	cancelErr error // the call's context ended: deadlines stay in the past
}

// New returns a Conn over nc whose context errors start with prefix.
func New(nc net.Conn, prefix string) *Conn {
	return &Conn{nc: nc, prefix: prefix}
}

// Read reads from the current connection.
func (c *Conn) Read(p []byte) (int, error) { return c.nc.Read(p) }

// Write writes to the current connection.
func (c *Conn) Write(p []byte) (int, error) { return c.nc.Write(p) }

// NetConn returns the current connection.
func (c *Conn) NetConn() net.Conn { return c.nc }

// Replace makes nc the connection, after a TLS handshake over the old one.
func (c *Conn) Replace(nc net.Conn) {
	c.mu.Lock()
	c.nc = nc
	c.mu.Unlock()
}

// Close closes the current connection. It may be called from any
// goroutine, to abort a call in progress.
func (c *Conn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nc.Close()
}

// Do runs f, one call of the client, with a deadline of timeout from now
// for all its reads and writes. A context already done fails the call
// before f runs (nothing was sent, the client stays usable). While f runs,
// the end of ctx moves the deadlines into the past, so that the read or
// write in progress returns at once; Cause then reports ctx's error in
// place of the I/O error. A call that finished before ctx ended keeps its
// result.
//
// A context is a call's, not the connection's, as in database/sql: one
// client serves calls with different deadlines.
func (c *Conn) Do(ctx context.Context, timeout time.Duration, f func() error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s%w", c.prefix, err)
	}
	c.nc.SetDeadline(time.Now().Add(timeout))
	if ctx.Done() == nil {
		return f() // never cancelled: nothing to watch
	}
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(fired)
		c.mu.Lock()
		defer c.mu.Unlock()
		c.cancelErr = fmt.Errorf("%s%w", c.prefix, ctx.Err())
		c.nc.SetDeadline(pastDeadline)
	})
	err := f()
	if !stop() {
		// The deadlines stay in the past until the next call sets its
		// own; wait for the watcher so that it cannot set them later.
		<-fired
		c.mu.Lock()
		c.cancelErr = nil
		c.mu.Unlock()
	}
	return err
}

// Cause returns the error to report for err, an I/O error of the call in
// progress (called within Do's f): the error of the call's context if it
// ended during the call, else err.
func (c *Conn) Cause(err error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cancelErr != nil {
		return c.cancelErr
	}
	return err
}

// TLSConfig returns config, or a copy with ServerName set to host when the
// caller left it empty and verification is on; a nil config is an empty
// one.
func TLSConfig(config *tls.Config, host string) *tls.Config {
	if config == nil {
		config = &tls.Config{}
	}
	if config.ServerName == "" && !config.InsecureSkipVerify && host != "" {
		config = config.Clone()
		config.ServerName = host
	}
	return config
}

// ErrLineTooLong reports a line longer than ReadLine's limit.
var ErrLineTooLong = errors.New("line too long")

// ReadLine reads one line of at most maxLen bytes and returns it without
// its line ending, CRLF or a lone LF (which servers send and almost every
// client accepts); a CR elsewhere stays in the line for the caller's
// parser to refuse. At most about maxLen bytes are buffered, whatever the
// peer sends: a longer line is ErrLineTooLong, with the rest unread. An end
// of input before the line ending is io.ErrUnexpectedEOF.
func ReadLine(br *bufio.Reader, maxLen int) (string, error) {
	chunk, err := br.ReadSlice('\n')
	var buf []byte
	for err == bufio.ErrBufferFull {
		if len(buf)+len(chunk) > maxLen+2 {
			return "", ErrLineTooLong
		}
		buf = append(buf, chunk...)
		chunk, err = br.ReadSlice('\n')
	}
	if err != nil {
		if err == io.EOF {
			return "", io.ErrUnexpectedEOF
		}
		return "", err
	}
	line := chunk
	if buf != nil {
		line = append(buf, chunk...)
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	if len(line) > maxLen {
		return "", ErrLineTooLong
	}
	return string(line), nil
}
