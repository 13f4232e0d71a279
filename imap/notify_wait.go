package imap

// waitCommand waits for the first byte of the next command. Under NOTIFY
// (RFC 5465 3.1: the server sends notifications between commands) it
// tells the client the events that happen meanwhile: a helper goroutine
// waits for the byte while this one writes, as in IDLE. The helper always
// ends before waitCommand returns.
func (c *conn) waitCommand() error {
	ready, updates := c.notifyChannels()
	if ready == nil && updates == nil {
		_, err := c.br.Peek(1)
		return err
	}
	peeked := make(chan error, 1)
	go func() {
		_, err := c.br.Peek(1)
		peeked <- err
	}()
	for {
		select {
		case err := <-peeked:
			return err
		case <-ready:
			c.deliverNotify()
		case <-updates:
			c.notifySelectedUpdates()
		}
		if err := c.flush(); err != nil {
			c.raw.Close()
			<-peeked
			return err
		}
		// NOTIFY may have ended (an overflow).
		ready, updates = c.notifyChannels()
	}
}

// notifyChannels are what NOTIFY waits on: the watch of the user's
// mailboxes and, with SELECTED or SELECTED-DELAYED, the selected mailbox's
// updates. Both are nil without NOTIFY.
func (c *conn) notifyChannels() (ready, updates <-chan struct{}) {
	st := c.notify
	if st == nil {
		return nil, nil
	}
	if st.watch != nil {
		ready = st.watch.Ready()
	}
	if st.selected != nil && st.selected.Events&evMessageNew != 0 && c.mbox != nil {
		updates = c.mbox.mb.Updates()
	}
	return ready, updates
}
