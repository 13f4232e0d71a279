package msgauth

import (
	"slices"
	"strings"
)

// DefaultSignedHeaders are the fields a DKIM signature (or an ARC message
// signature) covers when present: those a reader sees or a mail program
// acts on (RFC 6376 5.4.1).
var DefaultSignedHeaders = []string{
	"From", "Sender", "Reply-To", "Subject", "Date", "Message-ID", "To", "Cc",
	"MIME-Version", "Content-Type", "Content-Transfer-Encoding", "Content-ID", "Content-Description",
	"In-Reply-To", "References",
	"Resent-Date", "Resent-From", "Resent-Sender", "Resent-To", "Resent-Cc", "Resent-Message-ID",
	"List-Id", "List-Help", "List-Unsubscribe", "List-Unsubscribe-Post", "List-Subscribe",
	"List-Post", "List-Owner", "List-Archive",
}

// DefaultOversigned are signed once more than they occur, so that none
// can be added on the way (RFC 6376 8.15): the fields a spoofer would add
// above the signed ones, since readers show the top one.
var DefaultOversigned = []string{
	"From", "Sender", "Reply-To", "Subject", "Date", "Message-ID", "To", "Cc",
	"MIME-Version", "Content-Type", "Content-Transfer-Encoding", "In-Reply-To", "References",
	"List-Unsubscribe", "List-Unsubscribe-Post",
}

// SignedNames is the h= list for h: each of headers as many times as h
// has it, each of oversign once more (so even when absent), From always.
func SignedNames(h Header, headers, oversign []string) []string {
	var names []string
	for _, name := range headers {
		n := h.Count(name)
		if slices.ContainsFunc(oversign, func(o string) bool { return strings.EqualFold(o, name) }) {
			n++
		}
		for range n {
			names = append(names, strings.ToLower(name))
		}
	}
	if !slices.Contains(names, "from") { // RFC 6376 5.4: From MUST be signed
		names = append(names, "from")
	}
	return names
}
