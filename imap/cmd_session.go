package imap

func cmdCapability(c *conn, cmd *command) result {
	c.w.Raw("* ")
	c.writeCapabilities()
	c.w.CRLF()
	return ok("")
}

func cmdNoop(c *conn, cmd *command) result { return ok("") }

func cmdLogout(c *conn, cmd *command) result {
	c.untagged("BYE Logging out")
	c.state.Store(stateLogout)
	c.status(cmd.Tag, "OK", "", "LOGOUT completed")
	return result{bye: true}
}

func cmdID(c *conn, cmd *command) result {
	// RFC 2971 3.1: the server answers with its own parameters.
	c.w.Raw("* ID ")
	if len(c.srv.ID) == 0 {
		c.w.Nil()
	} else {
		c.w.BeginList()
		first := true
		for _, k := range sortedKeys(c.srv.ID) {
			if !first {
				c.w.SP()
			}
			first = false
			c.w.String(k)
			c.w.SP()
			c.w.NString(c.srv.ID[k])
		}
		c.w.EndList()
	}
	c.w.CRLF()
	return ok("")
}

func cmdEnable(c *conn, cmd *command) result {
	a := cmd.Args.(*enableArgs)
	var enabled []string
	for _, cp := range a.Capabilities {
		// RFC 5161 3.1: only what is enabled now is listed.
		if cp == "IMAP4REV2" && !c.rev2 {
			c.rev2 = true
			// RFC 9051 5.1: IMAP4rev2 mailbox names are UTF-8,
			// and strings may carry UTF-8.
			c.p.UTF8 = true
			c.w.UTF8 = true
			enabled = append(enabled, "IMAP4rev2")
		}
		if cp == "CONDSTORE" && !c.condStore {
			c.enableCondStore()
			enabled = append(enabled, "CONDSTORE")
		}
		if cp == "QRESYNC" && !c.qresync && c.qresyncOffered() {
			// RFC 7162 3.2.3: ENABLE QRESYNC enables CONDSTORE
			// too.
			c.enableCondStore()
			c.qresync = true
			enabled = append(enabled, "QRESYNC")
		}
		if cp == "UTF8=ACCEPT" && !c.utf8Accept {
			c.utf8Accept = true
			// RFC 6855 3: the client may send UTF-8 in quoted
			// strings and mailbox names are raw UTF-8 both ways (no
			// modified UTF-7), as in IMAP4rev2.
			c.p.UTF8 = true
			c.w.UTF8 = true
			enabled = append(enabled, "UTF8=ACCEPT")
		}
	}
	c.w.Raw("* ENABLED")
	for _, e := range enabled {
		c.w.SP()
		c.w.Raw(e)
	}
	c.w.CRLF()
	return ok("")
}

func cmdNamespace(c *conn, cmd *command) result {
	// RFC 2342: one personal namespace, no prefix, "/" delimiter.
	c.untagged(`NAMESPACE (("" "/")) NIL NIL`)
	return ok("")
}
