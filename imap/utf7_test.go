package imap

import (
	"errors"
	"testing"
)

func TestMailboxNameCoding(t *testing.T) {
	// Pairs of (UTF-8 name, modified UTF-7 encoding), from RFC 3501 5.1.3 and worked out by hand.
	tests := []struct{ name, enc string }{
		{"INBOX", "INBOX"},
		{"", ""},
		{"~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"},
		{"&", "&-"},
		{"Tom & Jerry", "Tom &- Jerry"},
		{"Entwürfe", "Entw&APw-rfe"},
		{"Gelöschte Elemente", "Gel&APY-schte Elemente"},
		{"😀", "&2D3eAA-"},           // a surrogate pair
		{"a😀b€", "a&2D3eAA-b&IKw-"}, // separate runs stay separate
		{"日本", "&ZeVnLA-"},
	}
	for _, tt := range tests {
		if got := encodeMailboxName(tt.name); got != tt.enc {
			t.Errorf("Encode(%q) = %q, want %q", tt.name, got, tt.enc)
		}
		got, err := decodeMailboxName(tt.enc)
		if err != nil || got != tt.name {
			t.Errorf("Decode(%q) = %q, %v; want %q", tt.enc, got, err, tt.name)
		}
	}
}

func TestMailboxNameInvalid(t *testing.T) {
	for _, s := range []string{
		"&",                  // unterminated shift
		"&U,BTFw",            // unterminated shift
		"&AGE-",              // "a" must represent itself
		"&U,BTFw-&ZeVnLIqe-", // null shift "-&"
		"&U,BTF-",            // 4 chars = 24 bits: one unit and 8 leftover bits
		"&Jjo!-",             // character outside the alphabet
		"&2D0-",              // lone high surrogate
		"&3gA-",              // lone low surrogate
		"&-AAA",              // fine "&" then "AAA"? (valid; see below)
		"caf\xc3\xa9",        // raw 8-bit
		"tab\there",          // raw control
		"&AAk-",              // encoded TAB: control characters are refused
		"&U,B-",              // 3 chars = 18 bits: one unit, 2 leftover bits that are not zero
		"&U,BTFwA-",          // superfluous character: 6 leftover bits
	} {
		_, err := decodeMailboxName(s)
		if s == "&-AAA" {
			if err != nil {
				t.Errorf("Decode(%q): %v, want success", s, err)
			}
			continue
		}
		if !errors.Is(err, errMailboxName) {
			t.Errorf("Decode(%q) err = %v, want ErrMailboxName", s, err)
		}
	}
}

func TestEncodeInvalidUTF8(t *testing.T) {
	// An invalid byte becomes U+FFFD, which decodes back as such.
	enc := encodeMailboxName("a\xffb")
	dec, err := decodeMailboxName(enc)
	if err != nil || dec != "a\uFFFDb" {
		t.Errorf("Encode(a\\xffb) = %q, decodes to %q, %v", enc, dec, err)
	}
}

func TestMailboxNameRoundTrip(t *testing.T) {
	enc := encodeMailboxName("Entwürfe & Notizen")
	dec, err := decodeMailboxName(enc)
	if enc != "Entw&APw-rfe &- Notizen" || dec != "Entwürfe & Notizen" || err != nil {
		t.Errorf("encoded %q, decoded %q, %v", enc, dec, err)
	}
}
