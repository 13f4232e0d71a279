package imap

// genURLAuthArgs are the arguments of GENURLAUTH (RFC 4467 6.1):
// 1*(SP url-rump SP mechanism).
type genURLAuthArgs struct {
	Rumps      []string
	Mechanisms []string
}

// resetKeyArgs are the arguments of RESETKEY (RFC 4467 6.2): no mailbox
// resets every key of the user.
type resetKeyArgs struct {
	Mailbox    string
	Mechanisms []string
}

// urlFetchArgs are the arguments of URLFETCH (RFC 4467 6.3, RFC 5524 4).
type urlFetchArgs struct {
	URLs []urlFetchArg
}

// urlFetchArg is one URL of URLFETCH, with the RFC 5524 parameters when
// it came in parentheses (Extended).
type urlFetchArg struct {
	URL               string
	Extended          bool
	Body, Binary      bool // at most one of them
	BodyPartStructure bool
}

// maxURLsPerCommand bounds the URLs of one GENURLAUTH or URLFETCH.
const maxURLsPerCommand = 1000

func parseGenURLAuth(p *parser, cmd *command) error {
	a := &genURLAuthArgs{}
	for len(a.Rumps) == 0 || !p.eol() {
		if len(a.Rumps) == maxURLsPerCommand {
			return &commandError{Status: "BAD", Code: "LIMIT", Message: "Too many URLs"}
		}
		if err := p.sp(); err != nil {
			return err
		}
		u, err := p.astring()
		if err != nil {
			return err
		}
		if err := p.sp(); err != nil {
			return err
		}
		mech, err := p.urlAuthMechanism()
		if err != nil {
			return err
		}
		a.Rumps = append(a.Rumps, string(u))
		a.Mechanisms = append(a.Mechanisms, mech)
	}
	cmd.Args = a
	return nil
}

// urlAuthMechanism reads mechanism = "INTERNAL" / 1*(ALPHA / DIGIT / "-"
// / ".") (RFC 4467 9).
func (p *parser) urlAuthMechanism() (string, error) {
	start := p.pos
	for p.pos < len(p.line) && isMechChar(p.line[p.pos]) {
		p.pos++
	}
	if p.pos == start {
		return "", badf("Expected a URLAUTH mechanism")
	}
	return string(p.line[start:p.pos]), nil
}

func parseResetKey(p *parser, cmd *command) error {
	a := &resetKeyArgs{}
	cmd.Args = a
	if p.eol() {
		return nil
	}
	if err := p.sp(); err != nil {
		return err
	}
	mbox, err := p.mailbox()
	if err != nil {
		return err
	}
	a.Mailbox = mbox
	for !p.eol() {
		if len(a.Mechanisms) == maxURLsPerCommand {
			return &commandError{Status: "BAD", Code: "LIMIT", Message: "Too many mechanisms"}
		}
		if err := p.sp(); err != nil {
			return err
		}
		mech, err := p.urlAuthMechanism()
		if err != nil {
			return err
		}
		a.Mechanisms = append(a.Mechanisms, mech)
	}
	return nil
}

func parseURLFetch(p *parser, cmd *command) error {
	a := &urlFetchArgs{}
	for len(a.URLs) == 0 || !p.eol() {
		if len(a.URLs) == maxURLsPerCommand {
			return &commandError{Status: "BAD", Code: "LIMIT", Message: "Too many URLs"}
		}
		if err := p.sp(); err != nil {
			return err
		}
		arg, err := p.urlFetchArg()
		if err != nil {
			return err
		}
		a.URLs = append(a.URLs, arg)
	}
	cmd.Args = a
	return nil
}

// urlFetchArg reads url / "(" url *(SP url-fetch-param) ")" (RFC 5524 4):
// url-fetch-param = "BODY" / "BINARY" / "BODYPARTSTRUCTURE".
func (p *parser) urlFetchArg() (urlFetchArg, error) {
	var a urlFetchArg
	if !p.accept('(') {
		u, err := p.astring()
		a.URL = string(u)
		return a, err
	}
	a.Extended = true
	u, err := p.astring()
	if err != nil {
		return a, err
	}
	a.URL = string(u)
	for !p.accept(')') {
		if err := p.sp(); err != nil {
			return a, err
		}
		switch kw := p.keyword(); string(kw) {
		case "BODY":
			a.Body = true
		case "BINARY":
			a.Binary = true
		case "BODYPARTSTRUCTURE":
			a.BodyPartStructure = true
		default:
			return a, badf("Unknown URLFETCH parameter")
		}
	}
	if a.Body && a.Binary {
		return a, badf("URLFETCH cannot have both BODY and BINARY")
	}
	return a, nil
}
