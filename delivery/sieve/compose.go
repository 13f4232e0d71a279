package sieve

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// outgoing builds the messages this package writes: vacation replies and
// notifications.
type outgoing struct {
	bytes.Buffer
}

func (o *outgoing) field(name, value string) { fmt.Fprintf(o, "%s: %s\r\n", name, value) }

// start writes Message-ID (kind names the message in it) and Date.
func (o *outgoing) start(kind, hostname string, now time.Time) {
	if hostname == "" {
		hostname = "localhost"
	}
	var id [12]byte
	_, _ = rand.Read(id[:])
	o.field("Message-ID", "<"+kind+"."+hex.EncodeToString(id[:])+"@"+hostname+">")
	o.field("Date", now.Format(time.RFC1123Z))
}

// textBody ends the header with a UTF-8 text body.
func (o *outgoing) textBody(body string) []byte {
	o.field("MIME-Version", "1.0")
	o.field("Content-Type", "text/plain; charset=utf-8")
	o.field("Content-Transfer-Encoding", "8bit")
	o.WriteString("\r\n")
	return o.end(toCRLF(body))
}

// end appends the rest and makes the message end in CRLF.
func (o *outgoing) end(rest string) []byte {
	o.WriteString(rest)
	if !bytes.HasSuffix(o.Bytes(), []byte("\r\n")) {
		o.WriteString("\r\n")
	}
	return o.Bytes()
}

// autoSubmitted reports whether a message is automatic: it has an
// Auto-Submitted field other than "no" (RFC 3834 5).
func autoSubmitted(h map[string][]string) bool {
	for _, a := range h["auto-submitted"] {
		if !strings.EqualFold(strings.TrimSpace(stripComments(a)), "no") {
			return true
		}
	}
	return false
}
