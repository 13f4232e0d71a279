package imap

// envelope is the ENVELOPE of a message (RFC 9051 7.5.2). String
// fields are the header values unfolded, RFC 2047 encoded words left as
// they are on the wire; "" is sent as NIL.
type envelope struct {
	Date      string
	Subject   string
	From      []address
	Sender    []address // From when the header has no (or an empty) Sender
	ReplyTo   []address // From when the header has no (or an empty) Reply-To
	To        []address
	Cc        []address
	Bcc       []address
	InReplyTo string
	MessageID string
}

// address is one address structure of an envelope. RFC 9051 7.5.2: a group start has an empty Host and the group name in Mailbox; a
// group end has all four fields empty.
type address struct {
	Name    string // display name (phrase), quoting removed, encoded words kept
	ADL     string // source route ("@a,@b"), obsolete
	Mailbox string // local part
	Host    string // domain
}

// Placeholders for the parts of a malformed address, as Dovecot writes
// them, so that an address with no domain is not mistaken for a group.
const (
	missingMailbox = "MISSING_MAILBOX"
	missingDomain  = "MISSING_DOMAIN"
)

// envelope field indexes.
const (
	envDate = iota
	envSubject
	envFrom
	envSender
	envReplyTo
	envTo
	envCc
	envBcc
	envInReplyTo
	envMessageID
	envFields
)

var envelopeFieldNames = [envFields]string{"Date", "Subject", "From", "Sender", "Reply-To", "To", "Cc", "Bcc", "In-Reply-To", "Message-ID"}

// envelopeOf computes the ENVELOPE from a message header.
func envelopeOf(h *Header) *envelope {
	var vals [envFields]string
	var have [envFields]bool
	for _, f := range h.Fields {
		for i, n := range envelopeFieldNames {
			if !have[i] && equalFoldASCII(f.Name, n) {
				vals[i], have[i] = f.Value, true
			}
		}
	}
	return buildEnvelope(&vals)
}

func buildEnvelope(v *[envFields]string) *envelope {
	e := &envelope{
		Date:      unfold(v[envDate]),
		Subject:   unfold(v[envSubject]),
		From:      parseAddressList(v[envFrom]),
		Sender:    parseAddressList(v[envSender]),
		ReplyTo:   parseAddressList(v[envReplyTo]),
		To:        parseAddressList(v[envTo]),
		Cc:        parseAddressList(v[envCc]),
		Bcc:       parseAddressList(v[envBcc]),
		InReplyTo: unfold(v[envInReplyTo]),
		MessageID: unfold(v[envMessageID]),
	}
	// RFC 9051 7.5.2: an absent or empty Sender or Reply-To takes
	// the value of From.
	if len(e.Sender) == 0 {
		e.Sender = e.From
	}
	if len(e.ReplyTo) == 0 {
		e.ReplyTo = e.From
	}
	return e
}

// Envelope writes an ENVELOPE structure (RFC 9051 9, envelope).
func (w *writer) Envelope(e *envelope) {
	w.BeginList()
	w.NString(e.Date)
	w.SP()
	w.NString(e.Subject)
	for _, l := range [...][]address{e.From, e.Sender, e.ReplyTo, e.To, e.Cc, e.Bcc} {
		w.SP()
		w.addressList(l)
	}
	w.SP()
	w.NString(e.InReplyTo)
	w.SP()
	w.NString(e.MessageID)
	w.EndList()
}

// addressList writes "(" 1*address ")" or NIL; addresses are not
// separated by spaces.
func (w *writer) addressList(l []address) {
	if len(l) == 0 {
		w.Nil()
		return
	}
	w.BeginList()
	for _, a := range l {
		w.BeginList()
		w.NString(a.Name)
		w.SP()
		w.NString(a.ADL)
		w.SP()
		w.NString(a.Mailbox)
		w.SP()
		w.NString(a.Host)
		w.EndList()
	}
	w.EndList()
}
