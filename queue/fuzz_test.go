package queue

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// FuzzEnvelope feeds the envelope file parser arbitrary bytes: it must not
// panic, and what it accepts must survive a round trip unchanged.
func FuzzEnvelope(f *testing.F) {
	m := &Message{
		ID: "0000018f2a3b4c5d-0a1b2c3d", From: "alice@sender.example", Return: ReturnFull, EnvelopeID: "QQ314159",
		UTF8: true, BodyType: "8BITMIME", Arrival: t0, Size: 1234, DelayWarned: true,
		Recipients: []RecipientStatus{
			{Recipient: Recipient{Address: "bob@b.example", Notify: []DSNNotify{NotifySuccess, NotifyDelay}, OriginalRecipientType: "rfc822", OriginalRecipient: "bob@b.example"},
				State: StateDeferred, Attempts: 3, LastAttempt: t0.Add(time.Hour), NextAttempt: t0.Add(75 * time.Minute),
				Result: &Result{Status: StatusTemporary, Code: 451, EnhancedCode: "4.4.1", Message: "later", RemoteMTA: "mx.b.example"}},
			{Recipient: Recipient{Address: "carol@c.example"}, State: StateDelivered, Reported: true},
		},
		History: []Attempt{{Time: t0, Recipients: []string{"bob@b.example"}, Result: Result{Status: StatusTemporary, Code: 421}}},
	}
	seed, err := marshalEnvelope(m)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte(`{"v":1,"id":"a","from":"","arrival":"2025-01-01T00:00:00Z","size":0,"rcpts":[{"addr":"x@y","state":"pending"}]}`))
	f.Add([]byte(`{"v":1,"id":"a","from":"","arrival":"2025-01-01T00:00:00+01:00","size":0,"rcpts":[{"addr":"x@y","state":"failed","result":{"status":"permanent","code":550,"enhanced":"5.1.1"}}]}`))
	f.Add([]byte(`{"v":2}`))
	f.Add([]byte(`{"v":1,"id":"../x"}`))
	f.Add([]byte("null"))
	f.Add([]byte(`{"v":1,"id":"a","rcpts":[{"addr":"x@y","state":"pending","notify":["NEVER","SUCCESS"]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := parseEnvelope(data)
		if err != nil {
			return
		}
		if m == nil || len(m.Recipients) == 0 || !validID(m.ID) {
			t.Fatalf("accepted an invalid message: %+v", m)
		}
		for _, r := range m.Recipients {
			if strings.ContainsAny(r.Address, "\r\n\x00") {
				t.Fatalf("accepted a control character in %q", r.Address)
			}
		}
		b1, err := marshalEnvelope(m)
		if err != nil {
			t.Fatalf("accepted envelope does not marshal: %v", err)
		}
		m2, err := parseEnvelope(b1)
		if err != nil {
			t.Fatalf("re-parse of %s: %v", b1, err)
		}
		b2, err := marshalEnvelope(m2)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b1, b2) {
			t.Fatalf("round trip changed the envelope:\n%s\n%s", b1, b2)
		}
		// A clone marshals the same (clone is used for every save).
		if b3, _ := marshalEnvelope(m2.clone()); !bytes.Equal(b2, b3) {
			t.Fatalf("clone differs:\n%s\n%s", b2, b3)
		}
	})
}

// FuzzCopyHeader checks the header extraction used for text/rfc822-headers:
// it copies a prefix of the message, ending at the first blank line, within
// the limit.
func FuzzCopyHeader(f *testing.F) {
	f.Add([]byte(basicBody), 1000)
	f.Add([]byte("Subject: x\n\nbody\n"), 1000)
	f.Add([]byte("Subject: x"), 5)
	f.Add([]byte(strings.Repeat("a", 5000)+"\r\n\r\nbody"), 100000)
	f.Fuzz(func(t *testing.T, msg []byte, max int) {
		if max < 1 || max > 1<<20 {
			return
		}
		var out bytes.Buffer
		if err := copyHeader(&out, bytes.NewReader(msg), max); err != nil {
			t.Fatal(err)
		}
		got := out.Bytes()
		if !bytes.HasPrefix(msg, got) {
			// Only a final line break may have been added.
			trimmed, ok := bytes.CutSuffix(got, []byte("\r\n"))
			if !ok || !bytes.HasPrefix(msg, trimmed) {
				t.Fatalf("output is not a prefix of the input: %q", got)
			}
		}
		if len(got) > max+2 {
			t.Fatalf("%d bytes out, limit %d", len(got), max)
		}
		if len(got) > 0 && got[len(got)-1] != '\n' {
			t.Fatalf("output does not end with a line break: %q", got)
		}
		// Nothing after the first blank line.
		for _, sep := range []string{"\n\n", "\n\r\n"} {
			if i := bytes.Index(got, []byte(sep)); i >= 0 && i+len(sep) != len(got) {
				t.Fatalf("output goes past the blank line: %q", got)
			}
		}
	})
}
