package imap

import (
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
)

// Command is a parsed client command.
//
// Args holds the command's arguments, by Name:
//
//	CAPABILITY NOOP LOGOUT STARTTLS CHECK CLOSE UNSELECT IDLE NAMESPACE  nil
//	EXPUNGE                        nil; with UID: *ExpungeArgs
//	LOGIN                          *LoginArgs
//	AUTHENTICATE                   *AuthenticateArgs
//	SELECT EXAMINE                 *SelectArgs
//	CREATE                         *CreateArgs
//	DELETE SUBSCRIBE UNSUBSCRIBE   *MailboxArgs
//	RENAME                         *RenameArgs
//	LIST LSUB                      *ListArgs
//	STATUS                         *StatusArgs
//	APPEND                         *AppendArgs (messages: Parser.NextAppendMessage)
//	SEARCH                         *SearchArgs
//	FETCH                          *FetchArgs
//	STORE                          *StoreArgs
//	COPY MOVE                      *CopyArgs
//	ENABLE                         *EnableArgs
//	ID                             *IDArgs
//	SORT                           *SortArgs
//	THREAD                         *ThreadArgs
type Command struct {
	Tag  string
	Name string // upper case, without the UID prefix
	UID  bool   // the command had the UID prefix (RFC 9051 section 6.4.9)
	Args any
}

// LoginArgs are the arguments of LOGIN.
type LoginArgs struct {
	Username, Password string
}

// AuthenticateArgs are the arguments of AUTHENTICATE.
type AuthenticateArgs struct {
	Mechanism string // upper case
	// InitialResponse is the SASL-IR initial response (RFC 4959), decoded
	// from base64: nil when absent, empty (not nil) for "=".
	InitialResponse []byte
}

// SelectArgs are the arguments of SELECT and EXAMINE.
type SelectArgs struct {
	Mailbox   string
	CondStore bool         // (CONDSTORE) select parameter, RFC 7162 section 3.1.8
	QResync   *QResyncArgs // (QRESYNC (...)) select parameter, RFC 7162 section 3.2.5
}

// QResyncArgs is the QRESYNC select parameter (RFC 7162 section 3.2.5).
type QResyncArgs struct {
	UIDValidity uint32
	ModSeq      uint64
	KnownUIDs   SeqSet // may be empty
	// SeqMatchSeqs and SeqMatchUIDs are the optional sequence match data:
	// message sequence numbers and their corresponding UIDs.
	SeqMatchSeqs, SeqMatchUIDs SeqSet
}

// CreateArgs are the arguments of CREATE.
type CreateArgs struct {
	Mailbox    string
	SpecialUse []string // USE (...) attributes, RFC 6154 section 3
}

// MailboxArgs is the argument of DELETE, SUBSCRIBE and UNSUBSCRIBE.
type MailboxArgs struct {
	Mailbox string
}

// RenameArgs are the arguments of RENAME.
type RenameArgs struct {
	From, To string
}

// ListArgs are the arguments of LIST (RFC 3501, LIST-EXTENDED RFC 5258,
// LIST-STATUS RFC 5819, SPECIAL-USE RFC 6154) and LSUB.
type ListArgs struct {
	Reference string
	Patterns  []string // one for basic LIST and LSUB; several with LIST-EXTENDED
	Extended  bool     // selection or return options, or a pattern list, were given

	SelectSubscribed     bool
	SelectRemote         bool
	SelectRecursiveMatch bool
	SelectSpecialUse     bool

	ReturnSubscribed bool
	ReturnChildren   bool
	ReturnSpecialUse bool
	ReturnStatus     []StatusItem // RETURN (STATUS (...)); nil when not asked
}

// StatusItem is a STATUS data item name.
type StatusItem string

// STATUS items (RFC 9051 section 6.3.11, RFC 7162, RFC 7889).
const (
	StatusMessages      StatusItem = "MESSAGES"
	StatusRecent        StatusItem = "RECENT"
	StatusUIDNext       StatusItem = "UIDNEXT"
	StatusUIDValidity   StatusItem = "UIDVALIDITY"
	StatusUnseen        StatusItem = "UNSEEN"
	StatusDeleted       StatusItem = "DELETED"
	StatusSize          StatusItem = "SIZE"
	StatusHighestModSeq StatusItem = "HIGHESTMODSEQ"
	StatusAppendLimit   StatusItem = "APPENDLIMIT"
)

var statusItems = [...]StatusItem{StatusMessages, StatusRecent, StatusUIDNext, StatusUIDValidity,
	StatusUnseen, StatusDeleted, StatusSize, StatusHighestModSeq, StatusAppendLimit}

// StatusArgs are the arguments of STATUS.
type StatusArgs struct {
	Mailbox string
	Items   []StatusItem
}

// AppendArgs is the mailbox of APPEND; the messages are read with
// Parser.NextAppendMessage.
type AppendArgs struct {
	Mailbox string
}

// SearchReturn is the set of ESEARCH result options (RFC 4731, RFC 5182).
type SearchReturn uint8

// ESEARCH return options.
const (
	SearchReturnMin SearchReturn = 1 << iota
	SearchReturnMax
	SearchReturnAll
	SearchReturnCount
	SearchReturnSave // RFC 5182
)

// SearchArgs are the arguments of SEARCH.
type SearchArgs struct {
	// Charset is the CHARSET given, upper case, or "". Strings in Key are
	// already converted to UTF-8.
	Charset string
	// ESearch is set when RETURN was given: the answer is an ESEARCH
	// response. Return holds the options; RETURN () means ALL.
	ESearch bool
	Return  SearchReturn
	Key     *SearchKey
}

// FetchArgs are the arguments of FETCH.
type FetchArgs struct {
	Set   SeqSet
	Items []FetchItem // macros (ALL, FAST, FULL) are expanded
	// ChangedSince is the CHANGEDSINCE modifier (RFC 7162 section 3.1.4);
	// 0 when absent.
	ChangedSince uint64
	Vanished     bool // VANISHED modifier, RFC 7162 section 3.2.6 (UID FETCH only)
}

// FetchKind is a FETCH data item.
type FetchKind uint8

// FETCH data items (RFC 9051 section 6.4.5, RFC 3501, RFC 3516, RFC 7162).
const (
	FetchEnvelope      FetchKind = iota + 1
	FetchFlags                   // FLAGS
	FetchInternalDate            // INTERNALDATE
	FetchRFC822Size              // RFC822.SIZE
	FetchRFC822                  // RFC822 (= BODY[])
	FetchRFC822Header            // RFC822.HEADER (= BODY.PEEK[HEADER])
	FetchRFC822Text              // RFC822.TEXT (= BODY[TEXT])
	FetchBody                    // BODY: non-extensible body structure
	FetchBodyStructure           // BODYSTRUCTURE
	FetchUID                     // UID
	FetchModSeq                  // MODSEQ
	FetchBodySection             // BODY[section]<partial> and BODY.PEEK
	FetchBinarySection           // BINARY[section]<partial> and BINARY.PEEK
	FetchBinarySize              // BINARY.SIZE[section]
)

var fetchNames = [...]string{
	FetchEnvelope: "ENVELOPE", FetchFlags: "FLAGS", FetchInternalDate: "INTERNALDATE",
	FetchRFC822Size: "RFC822.SIZE", FetchRFC822: "RFC822", FetchRFC822Header: "RFC822.HEADER",
	FetchRFC822Text: "RFC822.TEXT", FetchBody: "BODY", FetchBodyStructure: "BODYSTRUCTURE",
	FetchUID: "UID", FetchModSeq: "MODSEQ", FetchBodySection: "BODY", FetchBinarySection: "BINARY",
	FetchBinarySize: "BINARY.SIZE",
}

// FetchItem is one FETCH data item.
type FetchItem struct {
	Kind    FetchKind
	Section Section // for FetchBodySection, FetchBinarySection, FetchBinarySize
	Peek    bool    // BODY.PEEK / BINARY.PEEK: do not set \Seen
	Partial Partial // <origin.count>; Count 0 when absent
}

// Partial is a partial fetch range "<origin.count>".
type Partial struct {
	Offset, Count int64
}

// Section is a body section specification (RFC 9051 section 6.4.5).
type Section struct {
	Part      []int    // part number, e.g. [1 2 3] for 1.2.3; empty for the whole message
	Specifier string   // "", "HEADER", "HEADER.FIELDS", "HEADER.FIELDS.NOT", "TEXT" or "MIME"
	Fields    []string // header field names of HEADER.FIELDS[.NOT], as the client wrote them
}

// Section specifiers.
const (
	SectionHeader          = "HEADER"
	SectionHeaderFields    = "HEADER.FIELDS"
	SectionHeaderFieldsNot = "HEADER.FIELDS.NOT"
	SectionText            = "TEXT"
	SectionMIME            = "MIME"
)

// AppendTo appends the section specification without brackets, as in a
// FETCH response: "1.2.HEADER.FIELDS (From To)".
func (s Section) AppendTo(b []byte) []byte {
	for i, n := range s.Part {
		if i > 0 {
			b = append(b, '.')
		}
		b = strconv.AppendInt(b, int64(n), 10)
	}
	if s.Specifier != "" {
		if len(s.Part) > 0 {
			b = append(b, '.')
		}
		b = append(b, s.Specifier...)
	}
	if len(s.Fields) > 0 {
		b = append(b, " ("...)
		for i, f := range s.Fields {
			if i > 0 {
				b = append(b, ' ')
			}
			if isAStringAtom(f) {
				b = append(b, f...)
			} else {
				b = strconv.AppendQuote(b, f)
			}
		}
		b = append(b, ')')
	}
	return b
}

// AppendResponseName appends the name under which the item's data is
// returned in a FETCH response: BODY.PEEK[...] is answered as BODY[...],
// a partial BODY as "<origin>" (RFC 9051 section 7.5.2). A partial BINARY
// is answered without the origin, as the msg-att-static grammar of RFC
// 3516 and RFC 9051 has it.
func (it FetchItem) AppendResponseName(b []byte) []byte {
	if int(it.Kind) >= len(fetchNames) || it.Kind == 0 {
		return b
	}
	b = append(b, fetchNames[it.Kind]...)
	switch it.Kind {
	case FetchBodySection, FetchBinarySection, FetchBinarySize:
		b = append(b, '[')
		b = it.Section.AppendTo(b)
		b = append(b, ']')
		if it.Partial.Count > 0 && it.Kind == FetchBodySection {
			b = append(b, '<')
			b = strconv.AppendInt(b, it.Partial.Offset, 10)
			b = append(b, '>')
		}
	}
	return b
}

// ResponseName returns AppendResponseName as a string.
func (it FetchItem) ResponseName() string { return string(it.AppendResponseName(nil)) }

// StoreMode is the operation of STORE.
type StoreMode uint8

// STORE operations.
const (
	StoreReplace StoreMode = iota // FLAGS
	StoreAdd                      // +FLAGS
	StoreRemove                   // -FLAGS
)

// StoreArgs are the arguments of STORE.
type StoreArgs struct {
	Set    SeqSet
	Mode   StoreMode
	Silent bool // .SILENT
	Flags  []string
	// UnchangedSince is the UNCHANGEDSINCE modifier (RFC 7162 section
	// 3.1.3), valid when HasUnchangedSince (0 is a meaningful value).
	UnchangedSince    uint64
	HasUnchangedSince bool
}

// CopyArgs are the arguments of COPY and MOVE.
type CopyArgs struct {
	Set     SeqSet
	Mailbox string
}

// ExpungeArgs is the argument of UID EXPUNGE (RFC 4315 section 2.1).
type ExpungeArgs struct {
	UIDs SeqSet
}

// EnableArgs are the capabilities named in ENABLE (RFC 5161), upper case.
type EnableArgs struct {
	Capabilities []string
}

// IDArgs are the client's ID parameters (RFC 2971); Fields is nil for "ID NIL".
type IDArgs struct {
	Fields []IDField
}

// IDField is one ID parameter. Value is "" for NIL.
type IDField struct {
	Name, Value string
}

// SortCriterion is one SORT criterion (RFC 5256 section 3, RFC 5957).
type SortCriterion struct {
	Key     string // ARRIVAL, CC, DATE, FROM, SIZE, SUBJECT, TO, DISPLAYFROM, DISPLAYTO
	Reverse bool
}

// SortArgs are the arguments of SORT (RFC 5256; RETURN options: ESORT, RFC 5267).
type SortArgs struct {
	Criteria []SortCriterion
	Charset  string // upper case
	ESearch  bool
	Return   SearchReturn
	Key      *SearchKey
}

// ThreadArgs are the arguments of THREAD (RFC 5256).
type ThreadArgs struct {
	Algorithm string // upper case: ORDEREDSUBJECT, REFERENCES, ...
	Charset   string // upper case
	Key       *SearchKey
}

// ---- command table ----

type commandSpec struct {
	name  string
	parse func(p *Parser, cmd *Command) error // nil: no arguments
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
	}
	m := make(map[string]*commandSpec, len(list))
	for i := range list {
		m[list[i].name] = &list[i]
	}
	return m
}()

// parseCommand parses the tag, the command name and its arguments.
func (p *Parser) parseCommand() (*Command, error) {
	start := p.pos
	for p.pos < len(p.line) && isTagChar(p.line[p.pos]) {
		p.pos++
	}
	if p.pos == start {
		return nil, badf("Invalid tag")
	}
	p.tag = string(p.line[start:p.pos])
	if p.truncated {
		return nil, &ParseError{Status: "BAD", Code: "TOOBIG", Message: "Command line too long"}
	}
	if err := p.sp(); err != nil {
		return nil, badf("Missing command")
	}
	name := p.keyword()
	if len(name) == 0 {
		return nil, badf("Missing command")
	}
	cmd := &Command{Tag: p.tag}
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

func parseExpunge(p *Parser, cmd *Command) error {
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
	cmd.Args = &ExpungeArgs{UIDs: set}
	return nil
}

func parseLogin(p *Parser, cmd *Command) error {
	if err := p.sp(); err != nil {
		return err
	}
	u, err := p.astring()
	if err != nil {
		return err
	}
	args := &LoginArgs{Username: string(u)}
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

func parseAuthenticate(p *Parser, cmd *Command) error {
	if err := p.sp(); err != nil {
		return err
	}
	mech := p.keyword()
	if len(mech) == 0 {
		return badf("Missing SASL mechanism")
	}
	args := &AuthenticateArgs{Mechanism: string(mech)}
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
				return &ParseError{Status: "BAD", Message: "Invalid base64 initial response", Err: err}
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

func parseSelect(p *Parser, cmd *Command) error {
	if err := p.sp(); err != nil {
		return err
	}
	mbox, err := p.mailbox()
	if err != nil {
		return err
	}
	args := &SelectArgs{Mailbox: mbox}
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
// known-uids] [SP seq-match-data] ")" (RFC 7162 section 7).
func (p *Parser) qresyncParam() (*QResyncArgs, error) {
	if err := p.sp(); err != nil {
		return nil, err
	}
	if err := p.expect('(', "Expected QRESYNC parameters"); err != nil {
		return nil, err
	}
	q := &QResyncArgs{}
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
func (p *Parser) knownSet() (SeqSet, error) {
	set, err := p.seqSet()
	if err != nil {
		return set, err
	}
	if set.Saved || set.Dynamic() {
		return set, badf("* and $ are not allowed here")
	}
	return set, nil
}

func parseCreate(p *Parser, cmd *Command) error {
	if err := p.sp(); err != nil {
		return err
	}
	mbox, err := p.mailbox()
	if err != nil {
		return err
	}
	args := &CreateArgs{Mailbox: mbox}
	cmd.Args = args
	if !p.accept(' ') {
		return nil
	}
	// RFC 4466 create-params; RFC 6154 section 3: "USE" SP "(" [use-attr *(SP use-attr)] ")"
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

func parseMailboxArg(p *Parser, cmd *Command) error {
	if err := p.sp(); err != nil {
		return err
	}
	mbox, err := p.mailbox()
	if err != nil {
		return err
	}
	cmd.Args = &MailboxArgs{Mailbox: mbox}
	return nil
}

func parseRename(p *Parser, cmd *Command) error {
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
	cmd.Args = &RenameArgs{From: from, To: to}
	return nil
}

func parseLsub(p *Parser, cmd *Command) error {
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
	pat, err := p.listMailbox()
	if err != nil {
		return err
	}
	cmd.Args = &ListArgs{Reference: ref, Patterns: []string{pat}}
	return nil
}

// parseList reads RFC 5258 section 6:
//
//	list = "LIST" [SP list-select-opts] SP mailbox SP mbox-or-pat [SP list-return-opts]
func parseList(p *Parser, cmd *Command) error {
	args := &ListArgs{}
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
		for first := true; !p.accept(')'); first = false {
			if !first {
				if err := p.sp(); err != nil {
					return err
				}
			}
			pat, err := p.listMailbox()
			if err != nil {
				return err
			}
			args.Patterns = append(args.Patterns, pat)
		}
		if len(args.Patterns) == 0 {
			return badf("Empty pattern list")
		}
	} else {
		pat, err := p.listMailbox()
		if err != nil {
			return err
		}
		args.Patterns = []string{pat}
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

func (p *Parser) listSelectOpts(args *ListArgs) error {
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
			// RFC 5258 section 3: unknown selection options are refused.
			return badf("Unknown LIST selection option " + kw)
		}
	}
	if args.SelectRecursiveMatch && !base {
		// RFC 5258 section 3: RECURSIVEMATCH needs another selection option.
		return badf("RECURSIVEMATCH requires another selection option")
	}
	return nil
}

func (p *Parser) listReturnOpts(args *ListArgs) error {
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

func parseStatus(p *Parser, cmd *Command) error {
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
	cmd.Args = &StatusArgs{Mailbox: mbox, Items: items}
	return nil
}

// statusItems reads "(" status-att *(SP status-att) ")".
func (p *Parser) statusItems() ([]StatusItem, error) {
	if err := p.expect('(', "Expected status items"); err != nil {
		return nil, err
	}
	items := []StatusItem{}
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

func parseAppend(p *Parser, cmd *Command) error {
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
	cmd.Args = &AppendArgs{Mailbox: mbox}
	p.state = stateAppend
	return nil
}

func parseCopy(p *Parser, cmd *Command) error {
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
	cmd.Args = &CopyArgs{Set: set, Mailbox: mbox}
	return nil
}

// parseStore reads RFC 7162 section 7:
//
//	store = "STORE" SP sequence-set [store-modifiers] SP store-att-flags
func parseStore(p *Parser, cmd *Command) error {
	if err := p.sp(); err != nil {
		return err
	}
	set, err := p.seqSet()
	if err != nil {
		return err
	}
	args := &StoreArgs{Set: set}
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

func parseEnable(p *Parser, cmd *Command) error {
	args := &EnableArgs{}
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

// RFC 2971 section 3.3: at most 30 field-value pairs.
const maxIDFields = 30

func parseID(p *Parser, cmd *Command) error {
	if err := p.sp(); err != nil {
		return err
	}
	args := &IDArgs{}
	cmd.Args = args
	if p.acceptKeyword("NIL") {
		return nil
	}
	if err := p.expect('(', "Expected ID parameter list or NIL"); err != nil {
		return err
	}
	args.Fields = []IDField{}
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
		f := IDField{Name: string(name)}
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

// ---- FETCH ----

// parseFetch reads RFC 9051 section 9 fetch, with RFC 7162 modifiers:
//
//	fetch = "FETCH" SP sequence-set SP ("ALL" / "FULL" / "FAST" /
//	        fetch-att / "(" fetch-att *(SP fetch-att) ")") [fetch-modifiers]
func parseFetch(p *Parser, cmd *Command) error {
	if err := p.sp(); err != nil {
		return err
	}
	set, err := p.seqSet()
	if err != nil {
		return err
	}
	args := &FetchArgs{Set: set}
	if err := p.sp(); err != nil {
		return err
	}
	if p.accept('(') {
		args.Items = make([]FetchItem, 0, 8)
		for first := true; !p.accept(')'); first = false {
			if !first {
				if err := p.sp(); err != nil {
					return err
				}
			}
			it, err := p.fetchAtt()
			if err != nil {
				return err
			}
			args.Items = append(args.Items, it)
		}
		if len(args.Items) == 0 {
			return badf("Empty fetch attribute list")
		}
	} else {
		if p.acceptKeyword("ALL") {
			args.Items = []FetchItem{{Kind: FetchFlags}, {Kind: FetchInternalDate}, {Kind: FetchRFC822Size}, {Kind: FetchEnvelope}}
		} else if p.acceptKeyword("FAST") {
			args.Items = []FetchItem{{Kind: FetchFlags}, {Kind: FetchInternalDate}, {Kind: FetchRFC822Size}}
		} else if p.acceptKeyword("FULL") {
			args.Items = []FetchItem{{Kind: FetchFlags}, {Kind: FetchInternalDate}, {Kind: FetchRFC822Size}, {Kind: FetchEnvelope}, {Kind: FetchBody}}
		} else {
			it, err := p.fetchAtt()
			if err != nil {
				return err
			}
			args.Items = []FetchItem{it}
		}
	}
	if p.accept(' ') {
		if err := p.fetchModifiers(cmd, args); err != nil {
			return err
		}
	}
	cmd.Args = args
	return nil
}

func (p *Parser) fetchModifiers(cmd *Command, args *FetchArgs) error {
	if err := p.expect('(', "Expected fetch modifiers"); err != nil {
		return err
	}
	changed := false
	for first := true; !p.accept(')'); first = false {
		if !first {
			if err := p.sp(); err != nil {
				return err
			}
		}
		switch kw := string(p.keyword()); kw {
		case "CHANGEDSINCE":
			if changed {
				return badf("CHANGEDSINCE given twice")
			}
			if err := p.sp(); err != nil {
				return err
			}
			n, err := p.number64()
			if err != nil {
				return err
			}
			if n == 0 {
				return badf("Invalid mod-sequence")
			}
			args.ChangedSince, changed = n, true
		case "VANISHED":
			args.Vanished = true
		default:
			return badf("Unknown fetch modifier " + kw)
		}
	}
	if !changed && !args.Vanished {
		return badf("Empty fetch modifiers")
	}
	// RFC 7162 section 3.2.6: VANISHED only in UID FETCH with CHANGEDSINCE.
	if args.Vanished && (!cmd.UID || !changed) {
		return badf("VANISHED requires UID FETCH and CHANGEDSINCE")
	}
	return nil
}

func (p *Parser) fetchAtt() (FetchItem, error) {
	name := p.word()
	var it FetchItem
	switch {
	case equalFoldASCII(string(name), "ENVELOPE"):
		it.Kind = FetchEnvelope
	case equalFoldASCII(string(name), "FLAGS"):
		it.Kind = FetchFlags
	case equalFoldASCII(string(name), "INTERNALDATE"):
		it.Kind = FetchInternalDate
	case equalFoldASCII(string(name), "RFC822.SIZE"):
		it.Kind = FetchRFC822Size
	case equalFoldASCII(string(name), "RFC822"):
		it.Kind = FetchRFC822
	case equalFoldASCII(string(name), "RFC822.HEADER"):
		it.Kind = FetchRFC822Header
	case equalFoldASCII(string(name), "RFC822.TEXT"):
		it.Kind = FetchRFC822Text
	case equalFoldASCII(string(name), "BODYSTRUCTURE"):
		it.Kind = FetchBodyStructure
	case equalFoldASCII(string(name), "UID"):
		it.Kind = FetchUID
	case equalFoldASCII(string(name), "MODSEQ"):
		it.Kind = FetchModSeq
	case equalFoldASCII(string(name), "BODY"), equalFoldASCII(string(name), "BODY.PEEK"):
		it.Peek = len(name) > 4
		if p.peek() != '[' {
			if it.Peek {
				return it, badf("BODY.PEEK needs a section")
			}
			it.Kind = FetchBody
			return it, nil
		}
		it.Kind = FetchBodySection
		sec, err := p.section(false)
		if err != nil {
			return it, err
		}
		it.Section = sec
		it.Partial, err = p.partial()
		return it, err
	case equalFoldASCII(string(name), "BINARY"), equalFoldASCII(string(name), "BINARY.PEEK"), equalFoldASCII(string(name), "BINARY.SIZE"):
		// RFC 3516 section 4.
		if len(name) > 6 && toUpperASCII(name[7]) == 'S' {
			it.Kind = FetchBinarySize
		} else {
			it.Kind = FetchBinarySection
			it.Peek = len(name) > 6
		}
		if p.peek() != '[' {
			return it, badf("BINARY needs a section")
		}
		sec, err := p.section(true)
		if err != nil {
			return it, err
		}
		it.Section = sec
		if it.Kind == FetchBinarySection {
			it.Partial, err = p.partial()
		}
		return it, err
	default:
		if len(name) == 0 {
			return it, badf("Expected a fetch attribute")
		}
		return it, badf("Unknown fetch attribute " + string(name))
	}
	return it, nil
}

// maxSectionParts bounds the depth of a section part number: deeper than
// any message the structure parser keeps.
const maxSectionParts = 64

// section reads "[" section-spec "]" (binary: "[" [section-part] "]").
func (p *Parser) section(binary bool) (Section, error) {
	var s Section
	p.pos++ // '['
	if p.accept(']') {
		return s, nil
	}
	if c := p.peek(); c >= '1' && c <= '9' {
		for {
			n, err := p.nzNumber()
			if err != nil {
				return s, err
			}
			if len(s.Part) == maxSectionParts {
				return s, badf("Section part number too deep")
			}
			s.Part = append(s.Part, int(n))
			if !p.accept('.') {
				break
			}
			if c := p.peek(); c < '0' || c > '9' {
				break // section-text follows
			}
		}
		if p.line[p.pos-1] != '.' {
			// No section-text follows the part number.
			return s, p.expect(']', "Invalid section")
		}
	}
	if binary {
		return s, badf("Invalid binary section")
	}
	kw := p.word()
	switch {
	case equalFoldASCII(string(kw), SectionHeader):
		s.Specifier = SectionHeader
	case equalFoldASCII(string(kw), SectionText):
		s.Specifier = SectionText
	case equalFoldASCII(string(kw), SectionMIME) && len(s.Part) > 0:
		s.Specifier = SectionMIME
	case equalFoldASCII(string(kw), SectionHeaderFields), equalFoldASCII(string(kw), SectionHeaderFieldsNot):
		s.Specifier = SectionHeaderFields
		if len(kw) > len(SectionHeaderFields) {
			s.Specifier = SectionHeaderFieldsNot
		}
		if err := p.sp(); err != nil {
			return s, err
		}
		if err := p.expect('(', "Expected header field list"); err != nil {
			return s, err
		}
		for first := true; !p.accept(')'); first = false {
			if !first {
				if err := p.sp(); err != nil {
					return s, err
				}
			}
			f, err := p.astring()
			if err != nil {
				return s, err
			}
			if !validFieldName(f) {
				return s, badf("Invalid header field name")
			}
			s.Fields = append(s.Fields, string(f))
		}
		if len(s.Fields) == 0 {
			return s, badf("Empty header field list")
		}
	default:
		return s, badf("Invalid section")
	}
	return s, p.expect(']', "Expected ]")
}

// validFieldName checks an RFC 5322 field name: printable ASCII but ':'.
func validFieldName(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c <= ' ' || c >= 0x7f || c == ':' {
			return false
		}
	}
	return true
}

// partial reads an optional "<" number "." nz-number ">".
func (p *Parser) partial() (Partial, error) {
	var pt Partial
	if !p.accept('<') {
		return pt, nil
	}
	off, err := p.number64()
	if err != nil {
		return pt, err
	}
	if err := p.expect('.', "Expected . in partial"); err != nil {
		return pt, err
	}
	n, err := p.number64()
	if err != nil {
		return pt, err
	}
	if n == 0 {
		return pt, badf("Partial length must not be zero")
	}
	pt.Offset, pt.Count = int64(off), int64(n)
	return pt, p.expect('>', "Expected > after partial")
}

// ---- SEARCH, SORT, THREAD ----

// searchReturnOpts reads "RETURN" SP "(" [opt *(SP opt)] ")" after the
// RETURN keyword (RFC 4731 section 3, RFC 5182 section 2).
func (p *Parser) searchReturnOpts() (SearchReturn, error) {
	if err := p.sp(); err != nil {
		return 0, err
	}
	if err := p.expect('(', "Expected return options"); err != nil {
		return 0, err
	}
	var r SearchReturn
	for first := true; !p.accept(')'); first = false {
		if !first {
			if err := p.sp(); err != nil {
				return 0, err
			}
		}
		switch kw := string(p.keyword()); kw {
		case "MIN":
			r |= SearchReturnMin
		case "MAX":
			r |= SearchReturnMax
		case "ALL":
			r |= SearchReturnAll
		case "COUNT":
			r |= SearchReturnCount
		case "SAVE":
			r |= SearchReturnSave
		default:
			return 0, badf("Unknown search return option " + kw)
		}
	}
	if r == 0 {
		// RFC 4731 section 3.1: RETURN () is the same as RETURN (ALL).
		r = SearchReturnAll
	}
	return r, nil
}

func parseSearch(p *Parser, cmd *Command) (rerr error) {
	if err := p.sp(); err != nil {
		return err
	}
	args := &SearchArgs{}
	if p.acceptKeyword("RETURN") {
		r, err := p.searchReturnOpts()
		if err != nil {
			return err
		}
		args.ESearch, args.Return = true, r
		if r&SearchReturnSave != 0 {
			defer func() {
				var pe *ParseError
				if errors.As(rerr, &pe) {
					pe.SearchSave = true
				}
			}()
		}
		if err := p.sp(); err != nil {
			return err
		}
	}
	if p.acceptKeyword("CHARSET") {
		if err := p.sp(); err != nil {
			return err
		}
		cs, err := p.charset()
		if err != nil {
			return err
		}
		args.Charset = cs
		if err := p.sp(); err != nil {
			return err
		}
	}
	key, err := p.searchProgram(args.Charset)
	if err != nil {
		return err
	}
	args.Key = key
	cmd.Args = args
	return nil
}

// charset reads a charset name (astring) and checks that it is known.
func (p *Parser) charset() (string, error) {
	b, err := p.astring()
	if err != nil {
		return "", err
	}
	cs := strings.ToUpper(string(b))
	if !knownCharset(cs) {
		return "", &ParseError{Status: "NO", Code: "BADCHARSET (US-ASCII UTF-8)", Message: "Unsupported charset"}
	}
	return cs, nil
}

var sortKeys = [...]string{"ARRIVAL", "CC", "DATE", "FROM", "SIZE", "SUBJECT", "TO", "DISPLAYFROM", "DISPLAYTO"}

// parseSort reads RFC 5256 section 5 (with RFC 5267 return options):
//
//	sort = ["UID" SP] "SORT" [search-return-opts] SP sort-criteria SP search-criteria
func parseSort(p *Parser, cmd *Command) error {
	if err := p.sp(); err != nil {
		return err
	}
	args := &SortArgs{}
	if p.acceptKeyword("RETURN") {
		r, err := p.searchReturnOpts()
		if err != nil {
			return err
		}
		args.ESearch, args.Return = true, r
		if err := p.sp(); err != nil {
			return err
		}
	}
	if err := p.expect('(', "Expected sort criteria"); err != nil {
		return err
	}
	for first := true; !p.accept(')'); first = false {
		if !first {
			if err := p.sp(); err != nil {
				return err
			}
		}
		var c SortCriterion
		if p.acceptKeyword("REVERSE") {
			c.Reverse = true
			if err := p.sp(); err != nil {
				return err
			}
		}
		kw := p.keyword()
		for _, k := range sortKeys {
			if string(kw) == k {
				c.Key = k
			}
		}
		if c.Key == "" {
			return badf("Unknown sort criterion " + string(kw))
		}
		args.Criteria = append(args.Criteria, c)
	}
	if len(args.Criteria) == 0 {
		return badf("Empty sort criteria")
	}
	if err := p.sp(); err != nil {
		return err
	}
	cs, err := p.charset()
	if err != nil {
		return err
	}
	args.Charset = cs
	if err := p.sp(); err != nil {
		return err
	}
	if args.Key, err = p.searchProgram(cs); err != nil {
		return err
	}
	cmd.Args = args
	return nil
}

// parseThread reads RFC 5256 section 5:
//
//	thread = ["UID" SP] "THREAD" SP thread-alg SP search-criteria
func parseThread(p *Parser, cmd *Command) error {
	if err := p.sp(); err != nil {
		return err
	}
	alg := p.keyword()
	if len(alg) == 0 {
		return badf("Expected a threading algorithm")
	}
	args := &ThreadArgs{Algorithm: string(alg)}
	if err := p.sp(); err != nil {
		return err
	}
	cs, err := p.charset()
	if err != nil {
		return err
	}
	args.Charset = cs
	if err := p.sp(); err != nil {
		return err
	}
	if args.Key, err = p.searchProgram(cs); err != nil {
		return err
	}
	cmd.Args = args
	return nil
}
