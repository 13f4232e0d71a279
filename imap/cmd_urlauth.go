package imap

import (
	"bytes"
	"io"
)

// urlAuthOffered tells whether the session offers URLAUTH (RFC 4467) and
// URLAUTH=BINARY (RFC 5524): the backend resolves the users URLs name
// and, once logged in, the user keeps mailbox access keys.
func (c *conn) urlAuthOffered() bool {
	if _, ok := c.srv.Backend.(URLAuthBackend); !ok {
		return false
	}
	if c.state.Load() == stateNotAuth || c.user == nil {
		return true
	}
	_, ok := c.user.(AccessKeyUser)
	return ok
}

func cmdGenURLAuth(c *conn, cmd *command) result {
	if !c.urlAuthOffered() {
		return bad("URLAUTH is not supported")
	}
	keys := c.user.(AccessKeyUser)
	a := cmd.Args.(*genURLAuthArgs)
	r := c.urlResolver()
	defer r.close()
	// RFC 4467 6.1: all the URLs, or none.
	urls := make([]string, len(a.Rumps))
	for i, rump := range a.Rumps {
		u, res := c.genURLAuth(r, keys, rump, a.Mechanisms[i])
		if res != nil {
			return *res
		}
		urls[i] = u
	}
	c.w.Raw("* GENURLAUTH")
	for _, u := range urls {
		c.w.SP()
		c.w.String(u)
	}
	c.w.CRLF()
	return ok("")
}

// genURLAuth authorizes one rump URL (RFC 4467 6.1, 7): it must name a
// message of the user's own, and gets a token under the mailbox access
// key, which is made on first use.
func (c *conn) genURLAuth(r *urlResolver, keys AccessKeyUser, rump, mech string) (string, *result) {
	fail := func(res result) (string, *result) { return "", &res }
	if !equalFoldASCII(mech, urlAuthMechanism) {
		return fail(no("", "Unsupported URLAUTH mechanism"))
	}
	u, err := parseIMAPURL(rump)
	if err != nil {
		return fail(bad("Invalid URL"))
	}
	if !u.Server || u.User == "" || u.Mailbox == "" || u.UID == 0 || u.Search != "" || u.Access == "" || u.Mechanism != "" {
		return fail(bad("Not a URLAUTH rump URL"))
	}
	if !u.Expire.IsZero() && !r.now().Before(u.Expire) {
		return fail(no("", "The URL has expired already"))
	}
	if !r.isSelf(u.User) {
		return fail(no("NOPERM", "Cannot authorize URLs of another user"))
	}
	if _, err := r.message(c.user, u); err != nil {
		if isBadURL(err) {
			return fail(no("", "No such message"))
		}
		return fail(c.backendError("GENURLAUTH", err))
	}
	key, err := keys.AccessKey(c.ctx, u.Mailbox, true)
	if err != nil {
		return fail(c.backendError("GENURLAUTH", err))
	}
	return rump + ":" + urlAuthMechanism + ":" + urlAuthToken(key, u.Rump), nil
}

func cmdResetKey(c *conn, cmd *command) result {
	if !c.urlAuthOffered() {
		return bad("URLAUTH is not supported")
	}
	keys := c.user.(AccessKeyUser)
	a := cmd.Args.(*resetKeyArgs)
	for _, m := range a.Mechanisms {
		if !equalFoldASCII(m, urlAuthMechanism) {
			return no("", "Unsupported URLAUTH mechanism")
		}
	}
	if a.Mailbox == "" {
		if err := keys.ResetAccessKeys(c.ctx, ""); err != nil {
			return c.backendError("RESETKEY", err)
		}
		return ok("All keys removed")
	}
	name, r := checkName(a.Mailbox)
	if r != nil {
		return *r
	}
	if err := keys.ResetAccessKeys(c.ctx, name); err != nil {
		return c.backendError("RESETKEY", err)
	}
	// RFC 4467 6.2: the mechanisms the mailbox still has.
	return okCode("URLMECH "+urlAuthMechanism, "Key removed")
}

func cmdURLFetch(c *conn, cmd *command) result {
	if !c.urlAuthOffered() {
		return bad("URLAUTH is not supported")
	}
	a := cmd.Args.(*urlFetchArgs)
	r := c.urlResolver()
	defer r.close()
	for _, arg := range a.URLs {
		if err := c.urlFetch(r, arg); err != nil {
			// A literal was cut short: the stream is unusable.
			c.logger().Error("imap: reading a URL failed mid-literal", "err", err)
			return result{bye: true}
		}
	}
	return ok("")
}

// urlFetch answers one URL of URLFETCH (RFC 4467 6.3) with "* URLFETCH
// url data", or with NIL when it cannot be resolved or read; with
// parameters (RFC 5524 4) the data is a list of BODYPARTSTRUCTURE and
// BODY or BINARY items. Only an error of the connection is returned.
func (c *conn) urlFetch(r *urlResolver, arg urlFetchArg) error {
	nilResponse := func(err error) error {
		if isBadURL(err) {
			c.logger().Debug("imap: URLFETCH refused", "url", arg.URL, "err", err)
		} else {
			c.logger().Error("imap: URLFETCH failed", "url", arg.URL, "err", err)
		}
		c.w.Raw("* URLFETCH ")
		c.w.String(arg.URL)
		c.w.Raw(" NIL")
		c.w.CRLF()
		return c.w.Err()
	}
	t, err := r.resolve(arg.URL, true)
	if err != nil {
		return nilResponse(err)
	}
	defer t.close()
	var bps *Part
	if arg.BodyPartStructure {
		if bps, err = t.structure(arg.Binary); err != nil {
			return nilResponse(err)
		}
	}
	// Without parameters the data is the raw section (BODY), as with
	// parentheses around the URL alone.
	withData := !arg.Extended || arg.Body || arg.Binary || !arg.BodyPartStructure
	var d io.Reader
	var n int64
	literal8 := false
	if withData {
		if arg.Binary {
			// RFC 5524 4: literal8 only when the data has NUL.
			if literal8, err = t.dataHasNUL(); err != nil {
				return nilResponse(err)
			}
		}
		if d, n, err = t.data(arg.Binary); err != nil {
			return nilResponse(err)
		}
	}
	c.w.Raw("* URLFETCH ")
	c.w.String(arg.URL)
	c.w.SP()
	if !arg.Extended {
		err = c.w.LiteralFrom(d, n)
		c.w.CRLF()
		return err
	}
	c.w.BeginList()
	if bps != nil {
		c.w.Raw("BODYPARTSTRUCTURE ")
		c.w.BodyStructure(bps, true)
		if withData {
			c.w.SP()
		}
	}
	if withData {
		if arg.Binary {
			c.w.Raw("BINARY ")
		} else {
			c.w.Raw("BODY ")
		}
		if literal8 {
			err = c.w.Literal8From(d, n)
		} else {
			err = c.w.LiteralFrom(d, n)
		}
	}
	c.w.EndList()
	c.w.CRLF()
	return err
}

// dataHasNUL reads the BINARY data of the URL once to tell whether it
// holds NUL, which only a literal8 may carry (RFC 3516 4.3).
func (t *urlTarget) dataHasNUL() (bool, error) {
	d, _, err := t.data(true)
	if err != nil {
		return false, err
	}
	buf := make([]byte, 8<<10)
	for {
		n, err := d.Read(buf)
		if bytes.IndexByte(buf[:n], 0) >= 0 {
			return true, nil
		}
		if err == io.EOF {
			return false, nil
		}
		if err != nil {
			return false, err
		}
	}
}
