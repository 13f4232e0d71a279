package imap

import (
	"errors"
	"net"
	"time"
)

type idleLine struct {
	done bool
	err  error
}

// idleUpdates tells the client in IDLE what changed: everything in the
// selected mailbox, or under NOTIFY what it asked for.
func (c *conn) idleUpdates() {
	if c.notify != nil {
		c.notifySelectedUpdates()
		c.deliverNotify()
		return
	}
	if c.mbox != nil {
		c.sendUpdates(true)
	}
}

// cmdIdle waits for DONE (RFC 2177), sending updates of the selected
// mailbox as they happen. One helper goroutine reads the DONE line while
// the session goroutine waits for changes; the helper always ends before
// IDLE returns. The idle timeout bounds the whole IDLE (RFC 2177 3: clients re-issue IDLE at least every 29 minutes).
func cmdIdle(c *conn, cmd *command) result {
	c.w.Raw("+ idling")
	c.w.CRLF()
	c.idleUpdates()
	if err := c.flush(); err != nil {
		return result{bye: true}
	}
	c.raw.SetReadDeadline(time.Now().Add(c.srv.idleTimeout()))
	lines := make(chan idleLine, 1)
	go func() {
		line, err := c.p.ReadLine()
		lines <- idleLine{done: err == nil && isDone(line), err: err}
	}()
	c.idle.Store(true)
	defer c.idle.Store(false)
	if c.srv.shuttingDown() {
		c.raw.SetReadDeadline(time.Unix(1, 0))
	}
	// RFC 5465 4: under NOTIFY, IDLE tells what NOTIFY asked for.
	ready, updates := c.notifyChannels()
	if c.notify == nil && c.mbox != nil {
		updates = c.mbox.mb.Updates()
	}
	for {
		select {
		case l := <-lines:
			c.idle.Store(false)
			if l.err != nil {
				var ne net.Error
				var pe *commandError
				switch {
				case c.srv.shuttingDown():
					c.untagged("BYE Server shutting down")
				case errors.As(l.err, &ne) && ne.Timeout():
					c.untagged("BYE IDLE for too long; autologout")
				case errors.As(l.err, &pe):
					return bad("Expected DONE")
				}
				return result{bye: true}
			}
			if !l.done {
				return bad("Expected DONE")
			}
			return ok("IDLE terminated")
		case <-updates:
			c.idleUpdates()
		case <-ready:
			c.deliverNotify()
		}
		if err := c.flush(); err != nil {
			// The helper ends when the connection is closed.
			c.raw.Close()
			<-lines
			return result{bye: true}
		}
		// NOTIFY may have ended (an overflow).
		ready, _ = c.notifyChannels()
	}
}
