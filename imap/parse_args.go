package imap

import (
	"encoding/base64"
)

// commandSpec is one row of the parser's command table: a command name,
// the function that parses its arguments, and whether UID may prefix it.
type commandSpec struct {
	name  string
	parse func(p *parser, cmd *command) error // nil: no arguments
	uid   bool                                // allowed after UID
}

// commands lists every command the parser knows. Each parse function reads
// the arguments after the command name (and the space before them) up to
// the end of the command, except APPEND, which stops after the mailbox.
var commands = func() map[string]*commandSpec {
	list := []commandSpec{
		{name: "CAPABILITY"}, {name: "NOOP"}, {name: "LOGOUT"}, {name: "STARTTLS"},
		{name: "CHECK"}, {name: "CLOSE"}, {name: "UNSELECT"}, {name: "IDLE"}, {name: "NAMESPACE"},
		{name: "EXPUNGE", parse: parseExpunge, uid: true},
		{name: "LOGIN", parse: parseLogin},
		{name: "AUTHENTICATE", parse: parseAuthenticate},
		{name: "SELECT", parse: parseSelect},
		{name: "EXAMINE", parse: parseSelect},
		{name: "CREATE", parse: parseCreate},
		{name: "DELETE", parse: parseMailboxArg},
		{name: "SUBSCRIBE", parse: parseMailboxArg},
		{name: "UNSUBSCRIBE", parse: parseMailboxArg},
		{name: "RENAME", parse: parseRename},
		{name: "LIST", parse: parseList},
		{name: "LSUB", parse: parseLsub},
		{name: "STATUS", parse: parseStatus},
		{name: "APPEND", parse: parseAppend},
		{name: "SEARCH", parse: parseSearch, uid: true},
		{name: "FETCH", parse: parseFetch, uid: true},
		{name: "STORE", parse: parseStore, uid: true},
		{name: "COPY", parse: parseCopy, uid: true},
		{name: "MOVE", parse: parseCopy, uid: true},
		{name: "ENABLE", parse: parseEnable},
		{name: "ID", parse: parseID},
		{name: "SORT", parse: parseSort, uid: true},
		{name: "THREAD", parse: parseThread, uid: true},
		{name: "CANCELUPDATE", parse: parseCancelUpdate},
		{name: "NOTIFY", parse: parseNotify},
		{name: "GENURLAUTH", parse: parseGenURLAuth},
		{name: "RESETKEY", parse: parseResetKey},
		{name: "URLFETCH", parse: parseURLFetch},
	}
	m := make(map[string]*commandSpec, len(list))
	for i := range list {
		m[list[i].name] = &list[i]
	}
	return m
}()

// parseCommand parses the tag, the command name and its arguments.
func (p *parser) parseCommand() (*command, error) {
	start := p.pos
	for p.pos < len(p.line) && isTagChar(p.line[p.pos]) {
		p.pos++
	}
	if p.pos == start {
		if p.bare {
			return nil, badf(errBareLine)
		}
		return nil, badf("Invalid tag")
	}
	p.tag = string(p.line[start:p.pos])
	if p.truncated {
		return nil, &commandError{Status: "BAD", Code: "TOOBIG", Message: "Command line too long"}
	}
	if p.bare {
		return nil, badf(errBareLine)
	}
	if err := p.sp(); err != nil {
		return nil, badf("Missing command")
	}
	name := p.keyword()
	if len(name) == 0 {
		return nil, badf("Missing command")
	}
	cmd := &command{Tag: p.tag}
	if string(name) == "UID" {
		if err := p.sp(); err != nil {
			return nil, badf("Missing command after UID")
		}
		name = p.keyword()
		cmd.UID = true
	}
	spec := commands[string(name)]
	if spec == nil {
		if p.peek() != 0 && p.peek() != ' ' {
			return nil, badf("Invalid command name")
		}
		return nil, badf("Unknown command " + string(name))
	}
	if cmd.UID && !spec.uid {
		return nil, badf("UID " + spec.name + " is not a command")
	}
	cmd.Name = spec.name
	if spec.parse == nil {
		return cmd, p.expectEOL()
	}
	if err := spec.parse(p, cmd); err != nil {
		return nil, err
	}
	if cmd.Name == "APPEND" {
		return cmd, nil
	}
	return cmd, p.expectEOL()
}

func parseExpunge(p *parser, cmd *command) error {
	if !cmd.UID {
		return nil
	}
	if err := p.sp(); err != nil {
		return err
	}
	set, err := p.seqSet()
	if err != nil {
		return err
	}
	cmd.Args = &expungeArgs{UIDs: set}
	return nil
}

func parseLogin(p *parser, cmd *command) error {
	if err := p.sp(); err != nil {
		return err
	}
	u, err := p.astring()
	if err != nil {
		return err
	}
	args := &loginArgs{Username: string(u)}
	if err := p.sp(); err != nil {
		return err
	}
	pw, err := p.astring()
	if err != nil {
		return err
	}
	args.Password = string(pw)
	cmd.Args = args
	return nil
}

func parseAuthenticate(p *parser, cmd *command) error {
	if err := p.sp(); err != nil {
		return err
	}
	mech := p.keyword()
	if len(mech) == 0 {
		return badf("Missing SASL mechanism")
	}
	args := &authenticateArgs{Mechanism: string(mech)}
	if p.accept(' ') {
		// RFC 4959: the initial response, "=" for an empty one.
		start := p.pos
		for p.pos < len(p.line) && isAtomChar(p.line[p.pos]) {
			p.pos++
		}
		ir := p.line[start:p.pos]
		if len(ir) == 0 {
			return badf("Missing initial response")
		}
		if len(ir) == 1 && ir[0] == '=' {
			args.InitialResponse = []byte{}
		} else {
			dec, err := decodeBase64(ir)
			if err != nil {
				return &commandError{Status: "BAD", Message: "Invalid base64 initial response", Err: err}
			}
			args.InitialResponse = dec
		}
	}
	cmd.Args = args
	return nil
}

func decodeBase64(b []byte) ([]byte, error) {
	out := make([]byte, base64.StdEncoding.DecodedLen(len(b)))
	n, err := base64.StdEncoding.Strict().Decode(out, b)
	if err != nil {
		return nil, err
	}
	return out[:n], nil
}

func parseSelect(p *parser, cmd *command) error {
	if err := p.sp(); err != nil {
		return err
	}
	mbox, err := p.mailbox()
	if err != nil {
		return err
	}
	args := &selectArgs{Mailbox: mbox}
	cmd.Args = args
	if !p.accept(' ') {
		return nil
	}
	// RFC 4466 select-params = SP "(" select-param *(SP select-param) ")"
	if err := p.expect('(', "Expected select parameters"); err != nil {
		return err
	}
	for first := true; !p.accept(')'); first = false {
		if !first {
			if err := p.sp(); err != nil {
				return err
			}
		}
		switch kw := string(p.keyword()); kw {
		case "CONDSTORE":
			args.CondStore = true
		case "QRESYNC":
			if args.QResync != nil {
				return badf("QRESYNC given twice")
			}
			q, err := p.qresyncParam()
			if err != nil {
				return err
			}
			args.QResync = q
		case "":
			return badf("Expected a select parameter")
		default:
			return badf("Unknown select parameter " + kw)
		}
	}
	if !args.CondStore && args.QResync == nil {
		return badf("Empty select parameters")
	}
	return nil
}

// qresyncParam reads SP "(" uidvalidity SP mod-sequence-value [SP
// known-uids] [SP seq-match-data] ")" (RFC 7162 7).
func (p *parser) qresyncParam() (*qresyncArgs, error) {
	if err := p.sp(); err != nil {
		return nil, err
	}
	if err := p.expect('(', "Expected QRESYNC parameters"); err != nil {
		return nil, err
	}
	q := &qresyncArgs{}
	var err error
	if q.UIDValidity, err = p.nzNumber(); err != nil {
		return nil, err
	}
	if err := p.sp(); err != nil {
		return nil, err
	}
	if q.ModSeq, err = p.number64(); err != nil {
		return nil, err
	}
	if q.ModSeq == 0 {
		return nil, badf("Invalid mod-sequence")
	}
	if p.accept(' ') {
		if p.peek() != '(' {
			if q.KnownUIDs, err = p.knownSet(); err != nil {
				return nil, err
			}
			if !p.accept(' ') {
				return q, p.expect(')', "Expected )")
			}
		}
		if err := p.expect('(', "Expected sequence match data"); err != nil {
			return nil, err
		}
		if q.SeqMatchSeqs, err = p.knownSet(); err != nil {
			return nil, err
		}
		if err := p.sp(); err != nil {
			return nil, err
		}
		if q.SeqMatchUIDs, err = p.knownSet(); err != nil {
			return nil, err
		}
		if err := p.expect(')', "Expected )"); err != nil {
			return nil, err
		}
	}
	return q, p.expect(')', "Expected )")
}

// knownSet reads a sequence set without "*" or "$" (RFC 7162 known-uids).
func (p *parser) knownSet() (SeqSet, error) {
	set, err := p.seqSet()
	if err != nil {
		return set, err
	}
	if set.saved || set.Dynamic() {
		return set, badf("* and $ are not allowed here")
	}
	return set, nil
}

func parseCreate(p *parser, cmd *command) error {
	if err := p.sp(); err != nil {
		return err
	}
	mbox, err := p.mailbox()
	if err != nil {
		return err
	}
	args := &createArgs{Mailbox: mbox}
	cmd.Args = args
	if !p.accept(' ') {
		return nil
	}
	// RFC 4466 create-params; RFC 6154 3: "USE" SP "(" [use-attr *(SP use-attr)] ")"
	if err := p.expect('(', "Expected create parameters"); err != nil {
		return err
	}
	for first := true; !p.accept(')'); first = false {
		if !first {
			if err := p.sp(); err != nil {
				return err
			}
		}
		kw := string(p.keyword())
		if kw != "USE" {
			return badf("Unknown CREATE parameter " + kw)
		}
		if err := p.sp(); err != nil {
			return err
		}
		if err := p.expect('(', "Expected ( after USE"); err != nil {
			return err
		}
		if args.SpecialUse == nil {
			args.SpecialUse = []string{}
		}
		for first := true; !p.accept(')'); first = false {
			if !first {
				if err := p.sp(); err != nil {
					return err
				}
			}
			if !p.accept('\\') {
				return badf("Expected a special-use attribute")
			}
			a := p.atom()
			if len(a) == 0 {
				return badf("Expected a special-use attribute")
			}
			args.SpecialUse = append(args.SpecialUse, canonicalSpecialUse("\\"+string(a)))
		}
	}
	if args.SpecialUse == nil {
		return badf("Empty CREATE parameters")
	}
	return nil
}

var specialUses = [...]string{`\All`, `\Archive`, `\Drafts`, `\Flagged`, `\Junk`, `\Sent`, `\Trash`, `\Important`}

func canonicalSpecialUse(a string) string {
	for _, s := range specialUses {
		if equalFoldASCII(a, s) {
			return s
		}
	}
	return a
}

func parseMailboxArg(p *parser, cmd *command) error {
	if err := p.sp(); err != nil {
		return err
	}
	mbox, err := p.mailbox()
	if err != nil {
		return err
	}
	cmd.Args = &mailboxArgs{Mailbox: mbox}
	return nil
}

func parseRename(p *parser, cmd *command) error {
	if err := p.sp(); err != nil {
		return err
	}
	from, err := p.mailbox()
	if err != nil {
		return err
	}
	if err := p.sp(); err != nil {
		return err
	}
	to, err := p.mailbox()
	if err != nil {
		return err
	}
	cmd.Args = &renameArgs{From: from, To: to}
	return nil
}

func parseLsub(p *parser, cmd *command) error {
	if err := p.sp(); err != nil {
		return err
	}
	ref, err := p.mailbox()
	if err != nil {
		return err
	}
	if err := p.sp(); err != nil {
		return err
	}
	pat, matchable, err := p.listMailbox()
	if err != nil {
		return err
	}
	args := &listArgs{Reference: ref}
	if matchable {
		args.Patterns = []string{pat}
	}
	cmd.Args = args
	return nil
}

// parseList reads RFC 5258 6:
//
//	list = "LIST" [SP list-select-opts] SP mailbox SP mbox-or-pat [SP list-return-opts]
func parseList(p *parser, cmd *command) error {
	args := &listArgs{}
	cmd.Args = args
	if err := p.sp(); err != nil {
		return err
	}
	if p.peek() == '(' {
		args.Extended = true
		if err := p.listSelectOpts(args); err != nil {
			return err
		}
		if err := p.sp(); err != nil {
			return err
		}
	}
	var err error
	// The reference is a mailbox name; "" is common.
	ref, err := p.astring()
	if err != nil {
		return err
	}
	if len(ref) > 0 {
		if args.Reference, err = p.decodeMailbox(ref); err != nil {
			return err
		}
	}
	if err := p.sp(); err != nil {
		return err
	}
	if p.accept('(') {
		args.Extended = true
		if p.peek() == ')' {
			return badf("Empty pattern list")
		}
		for first := true; !p.accept(')'); first = false {
			if !first {
				if err := p.sp(); err != nil {
					return err
				}
			}
			pat, matchable, err := p.listMailbox()
			if err != nil {
				return err
			}
			if matchable {
				args.Patterns = append(args.Patterns, pat)
			}
		}
	} else {
		pat, matchable, err := p.listMailbox()
		if err != nil {
			return err
		}
		if matchable {
			args.Patterns = []string{pat}
		}
	}
	if p.accept(' ') {
		if !p.acceptKeyword("RETURN") {
			return badf("Expected RETURN")
		}
		args.Extended = true
		if err := p.sp(); err != nil {
			return err
		}
		if err := p.listReturnOpts(args); err != nil {
			return err
		}
	}
	return nil
}

func (p *parser) listSelectOpts(args *listArgs) error {
	p.pos++ // '('
	base := false
	for first := true; !p.accept(')'); first = false {
		if !first {
			if err := p.sp(); err != nil {
				return err
			}
		}
		switch kw := string(p.keyword()); kw {
		case "SUBSCRIBED":
			args.SelectSubscribed, base = true, true
		case "REMOTE":
			args.SelectRemote = true
		case "RECURSIVEMATCH":
			args.SelectRecursiveMatch = true
		case "SPECIAL-USE":
			args.SelectSpecialUse, base = true, true
		case "":
			return badf("Expected a selection option")
		default:
			// RFC 5258 3: unknown selection options are refused.
			return badf("Unknown LIST selection option " + kw)
		}
	}
	if args.SelectRecursiveMatch && !base {
		// RFC 5258 3: RECURSIVEMATCH needs another selection option.
		return badf("RECURSIVEMATCH requires another selection option")
	}
	return nil
}

func (p *parser) listReturnOpts(args *listArgs) error {
	if err := p.expect('(', "Expected return options"); err != nil {
		return err
	}
	for first := true; !p.accept(')'); first = false {
		if !first {
			if err := p.sp(); err != nil {
				return err
			}
		}
		switch kw := string(p.keyword()); kw {
		case "SUBSCRIBED":
			args.ReturnSubscribed = true
		case "CHILDREN":
			args.ReturnChildren = true
		case "SPECIAL-USE":
			args.ReturnSpecialUse = true
		case "STATUS":
			// RFC 5819: STATUS (status-att-list)
			if err := p.sp(); err != nil {
				return err
			}
			items, err := p.statusItems()
			if err != nil {
				return err
			}
			args.ReturnStatus = items
		case "":
			return badf("Expected a return option")
		default:
			return badf("Unknown LIST return option " + kw)
		}
	}
	return nil
}

func parseStatus(p *parser, cmd *command) error {
	if err := p.sp(); err != nil {
		return err
	}
	mbox, err := p.mailbox()
	if err != nil {
		return err
	}
	if err := p.sp(); err != nil {
		return err
	}
	items, err := p.statusItems()
	if err != nil {
		return err
	}
	cmd.Args = &statusArgs{Mailbox: mbox, Items: items}
	return nil
}

// statusItems reads "(" status-att *(SP status-att) ")".
func (p *parser) statusItems() ([]statusItem, error) {
	if err := p.expect('(', "Expected status items"); err != nil {
		return nil, err
	}
	items := []statusItem{}
	for first := true; !p.accept(')'); first = false {
		if !first {
			if err := p.sp(); err != nil {
				return nil, err
			}
		}
		kw := p.keyword()
		found := false
		for _, it := range statusItems {
			if string(kw) == string(it) {
				items = append(items, it)
				found = true
				break
			}
		}
		if !found {
			return nil, badf("Unknown status item " + string(kw))
		}
	}
	if len(items) == 0 {
		return nil, badf("Empty status item list")
	}
	return items, nil
}

func parseAppend(p *parser, cmd *command) error {
	if err := p.sp(); err != nil {
		return err
	}
	mbox, err := p.mailbox()
	if err != nil {
		return err
	}
	if p.eol() {
		return badf("Missing message")
	}
	cmd.Args = &appendArgs{Mailbox: mbox}
	p.state = stateAppend
	return nil
}

func parseCopy(p *parser, cmd *command) error {
	if err := p.sp(); err != nil {
		return err
	}
	set, err := p.seqSet()
	if err != nil {
		return err
	}
	if err := p.sp(); err != nil {
		return err
	}
	mbox, err := p.mailbox()
	if err != nil {
		return err
	}
	cmd.Args = &copyArgs{Set: set, Mailbox: mbox}
	return nil
}

// parseStore reads RFC 7162 7:
//
//	store = "STORE" SP sequence-set [store-modifiers] SP store-att-flags
func parseStore(p *parser, cmd *command) error {
	if err := p.sp(); err != nil {
		return err
	}
	set, err := p.seqSet()
	if err != nil {
		return err
	}
	args := &storeArgs{Set: set}
	if err := p.sp(); err != nil {
		return err
	}
	if p.accept('(') {
		for first := true; !p.accept(')'); first = false {
			if !first {
				if err := p.sp(); err != nil {
					return err
				}
			}
			kw := string(p.keyword())
			if kw != "UNCHANGEDSINCE" || args.HasUnchangedSince {
				return badf("Unknown STORE modifier " + kw)
			}
			if err := p.sp(); err != nil {
				return err
			}
			if args.UnchangedSince, err = p.number64(); err != nil {
				return err
			}
			args.HasUnchangedSince = true
		}
		if !args.HasUnchangedSince {
			return badf("Empty STORE modifiers")
		}
		if err := p.sp(); err != nil {
			return err
		}
	}
	switch {
	case p.accept('+'):
		args.Mode = StoreAdd
	case p.accept('-'):
		args.Mode = StoreRemove
	}
	switch item := p.word(); {
	case equalFoldASCII(string(item), "FLAGS"):
	case equalFoldASCII(string(item), "FLAGS.SILENT"):
		args.Silent = true
	default:
		return badf("Expected FLAGS, +FLAGS or -FLAGS")
	}
	if err := p.sp(); err != nil {
		return err
	}
	if p.peek() == '(' {
		if args.Flags, err = p.flagList(); err != nil {
			return err
		}
	} else {
		for first := true; first || p.accept(' '); first = false {
			f, err := p.flag()
			if err != nil {
				return err
			}
			args.Flags = append(args.Flags, f)
		}
	}
	if args.Flags == nil {
		args.Flags = []string{}
	}
	cmd.Args = args
	return nil
}

func parseEnable(p *parser, cmd *command) error {
	args := &enableArgs{}
	for p.accept(' ') {
		c := p.keyword()
		if len(c) == 0 {
			return badf("Expected a capability")
		}
		args.Capabilities = append(args.Capabilities, string(c))
	}
	if len(args.Capabilities) == 0 {
		return badf("Missing capability")
	}
	cmd.Args = args
	return nil
}

// RFC 2971 3.3: at most 30 field-value pairs.
const maxIDFields = 30

func parseID(p *parser, cmd *command) error {
	if err := p.sp(); err != nil {
		return err
	}
	args := &idArgs{}
	cmd.Args = args
	if p.acceptKeyword("NIL") {
		return nil
	}
	if err := p.expect('(', "Expected ID parameter list or NIL"); err != nil {
		return err
	}
	args.Fields = []idField{}
	for first := true; !p.accept(')'); first = false {
		if !first {
			if err := p.sp(); err != nil {
				return err
			}
		}
		if len(args.Fields) == maxIDFields {
			return badf("Too many ID fields")
		}
		name, err := p.string()
		if err != nil {
			return err
		}
		f := idField{Name: string(name)}
		if err := p.sp(); err != nil {
			return err
		}
		v, _, err := p.nstring()
		if err != nil {
			return err
		}
		f.Value = string(v)
		args.Fields = append(args.Fields, f)
	}
	return nil
}
