package queue

import (
	"strings"
	"testing"
	"testing/synctest"
)

// TestRequireTLSKept: REQUIRETLS (RFC 8689) stays with the message: in
// its envelope file, in each Delivery, and on the bounce, which returns
// only the header and travels under REQUIRETLS too (RFC 8689 5).
func TestRequireTLSKept(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		te := newTestEnv(t)
		te.d.setBehave(func(d *Delivery) []Result {
			return []Result{PermFail(550, "5.7.10", "no verified TLS to mx.b.example", "")}
		})
		id := te.enqueue(Envelope{From: "alice@sender.example", Recipients: []Recipient{{Address: "bob@b.example"}}, RequireTLS: true, Return: ReturnFull}, basicBody)
		synctest.Wait()
		calls := te.d.callsFor(id)
		if len(calls) != 1 || !calls[0].requireTLS {
			t.Fatalf("attempts: %+v, want one with RequireTLS", calls)
		}
		dsns := te.d.dsns()
		if len(dsns) != 1 || !dsns[0].requireTLS {
			t.Fatalf("DSNs: %+v, want one sent with RequireTLS", dsns)
		}
		if p := parseDSN(t, dsns[0].body); p.origType != "text/rfc822-headers" || strings.Contains(p.orig, "Hello.") {
			t.Errorf("the bounce returns %s %q, want the header only", p.origType, p.orig)
		}
	})
}

// TestRequireTLSEnvelopeFile: the flag round-trips through the envelope
// file, and files written before it existed read as false.
func TestRequireTLSEnvelopeFile(t *testing.T) {
	m := &Message{ID: "abc", From: "a@example.org", RequireTLS: true, Recipients: []RecipientStatus{{Recipient: Recipient{Address: "b@example.net"}, State: StatePending}}}
	b, err := marshalEnvelope(m)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"requiretls":true`) {
		t.Errorf("envelope file %s", b)
	}
	back, err := parseEnvelope(b)
	if err != nil || !back.RequireTLS || !back.Envelope().RequireTLS {
		t.Fatalf("parsed %+v, %v", back, err)
	}
	old := `{"v":1,"id":"abc","from":"a@example.org","arrival":"2000-01-01T00:00:00Z","size":3,"rcpts":[{"addr":"b@example.net","state":"pending"}]}`
	back, err = parseEnvelope([]byte(old))
	if err != nil || back.RequireTLS {
		t.Fatalf("old envelope file: %+v, %v", back, err)
	}
	m.RequireTLS = false
	if b, _ := marshalEnvelope(m); strings.Contains(string(b), "requiretls") {
		t.Errorf("without the flag the file changes: %s", b)
	}
}
