package imap

// Envelope is the ENVELOPE of a message (RFC 9051 section 7.5.2). String
// fields are the header values unfolded, RFC 2047 encoded words left as
// they are on the wire; "" is sent as NIL.
type Envelope struct {
	Date      string
	Subject   string
	From      []Address
	Sender    []Address // From when the header has no (or an empty) Sender
	ReplyTo   []Address // From when the header has no (or an empty) Reply-To
	To        []Address
	Cc        []Address
	Bcc       []Address
	InReplyTo string
	MessageID string
}

// Address is one address structure of an envelope. RFC 9051 section
// 7.5.2: a group start has an empty Host and the group name in Mailbox; a
// group end has all four fields empty.
type Address struct {
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

// EnvelopeOf computes the ENVELOPE from a message header.
func EnvelopeOf(h *Header) *Envelope {
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

func buildEnvelope(v *[envFields]string) *Envelope {
	e := &Envelope{
		Date:      Unfold(v[envDate]),
		Subject:   Unfold(v[envSubject]),
		From:      ParseAddressList(v[envFrom]),
		Sender:    ParseAddressList(v[envSender]),
		ReplyTo:   ParseAddressList(v[envReplyTo]),
		To:        ParseAddressList(v[envTo]),
		Cc:        ParseAddressList(v[envCc]),
		Bcc:       ParseAddressList(v[envBcc]),
		InReplyTo: Unfold(v[envInReplyTo]),
		MessageID: Unfold(v[envMessageID]),
	}
	// RFC 9051 section 7.5.2: an absent or empty Sender or Reply-To takes
	// the value of From.
	if len(e.Sender) == 0 {
		e.Sender = e.From
	}
	if len(e.ReplyTo) == 0 {
		e.ReplyTo = e.From
	}
	return e
}

// Envelope writes an ENVELOPE structure (RFC 9051 section 9, envelope).
func (w *Writer) Envelope(e *Envelope) {
	w.BeginList()
	w.NString(e.Date)
	w.SP()
	w.NString(e.Subject)
	for _, l := range [...][]Address{e.From, e.Sender, e.ReplyTo, e.To, e.Cc, e.Bcc} {
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
func (w *Writer) addressList(l []Address) {
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
