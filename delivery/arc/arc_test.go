package arc

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/mailwright/mailwright/delivery/authres"
	"github.com/mailwright/mailwright/delivery/dkim"
)

func TestChain(t *testing.T) {
	z := world(t)
	if res := verifyChain(t, z, original); res.CV != None || len(res.Sets) != 0 {
		t.Fatalf("no chain: %+v", res)
	}
	one := hop(t, z, listSealer(), "mx.lists.example.net", original, listFooter)
	res := verifyChain(t, z, one)
	if res.CV != Pass || res.OldestPass != 0 || len(res.Sets) != 1 {
		t.Fatalf("one set: %+v", res)
	}
	s := res.Sets[0]
	if s.Instance != 1 || s.CV != None || s.Domain != "lists.example.net" || s.Selector != "arc" ||
		s.SignatureDomain != "lists.example.net" || s.Results == nil || s.Results.AuthServID != "mx.lists.example.net" ||
		s.Results.Results[1].String() != "arc=none" {
		t.Errorf("set 1: %+v %v", s, s.Results)
	}
	// The relay changes the message again: the list's message signature
	// breaks, the seals hold, and oldest-pass says where the change was.
	two := hop(t, z, relaySealer(), "mx.relay.example.com", one, func(m string) string { return m + "relay footer\r\n" })
	res = verifyChain(t, z, two)
	if res.CV != Pass || res.OldestPass != 2 || len(res.Sets) != 2 || res.Sets[1].CV != Pass {
		t.Fatalf("two sets: %+v", res)
	}
	if got := res.MethodResult().String(); got != "arc=pass header.oldest-pass=2" {
		t.Errorf("MethodResult %s", got)
	}
	unchanged := hop(t, z, relaySealer(), "mx.relay.example.com", one, nil)
	if res := verifyChain(t, z, unchanged); res.CV != Pass || res.OldestPass != 0 {
		t.Errorf("unchanged: %+v", res)
	}
}

func TestChainBroken(t *testing.T) {
	z := world(t)
	one := hop(t, z, listSealer(), "mx.lists.example.net", original, listFooter)
	// The relay adds a footer too, so the list's message signature no
	// longer verifies: stripping the relay's set shows.
	two := hop(t, z, relaySealer(), "mx.relay.example.com", one, func(m string) string { return m + "relay\r\n" })
	first := func(m, old, new string) string { return strings.Replace(m, old, new, 1) }
	tests := []struct {
		name string
		msg  string
		want string // in Err
	}{
		{"body changed after the last seal", two + "more\r\n", "ARC-Message-Signature i=2: body hash"},
		{"signed field changed", first(two, "Subject: [list]", "Subject: [LIST]"), "ARC-Message-Signature i=2"},
		{"earlier results forged", first(two, "ARC-Authentication-Results: i=1; mx.lists.example.net;\r\n\tspf=pass", "ARC-Authentication-Results: i=1; mx.lists.example.net;\r\n\tspf=fail"), "ARC-Seal i=2"},
		{"newest set removed", dropSet(two, 2), "ARC-Message-Signature i=1"},
		{"oldest set removed", dropSet(two, 1), "instance 1 is incomplete"},
		{"a field missing", dropField(two, "ARC-Message-Signature: i=1"), "instance 1 is incomplete"},
		{"a field twice", "ARC-Authentication-Results: i=1; x; none\r\n" + two, "two ARC-Authentication-Results with i=1"},
		{"a gap", renumber(one, 1, 2), "instance 1 is incomplete"},
		{"malformed seal", first(two, "ARC-Seal: i=2; cv=pass", "ARC-Seal: i=2; cv=maybe"), "cv="},
		{"cv=none after the first", first(two, "i=2; cv=pass", "i=2; cv=none"), "cv=none"},
		{"instance past 50", renumber(one, 1, 51), "instance"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := verifyChain(t, z, tt.msg)
			if res.CV != Fail || res.Err == nil || !strings.Contains(res.Err.Error(), tt.want) {
				t.Errorf("got %s, %v; want fail with %q", res.CV, res.Err, tt.want)
			}
		})
	}
}

// TestSealFailedChain: a forwarder that finds the chain failed says so
// (cv=fail) and seals only its own set; the chain stays failed for
// whoever comes next.
func TestSealFailedChain(t *testing.T) {
	z := world(t)
	one := hop(t, z, listSealer(), "mx.lists.example.net", original, listFooter)
	broken := strings.Replace(one, "ARC-Seal: i=1; cv=none; a=rsa-sha256; d=lists.example.net", "ARC-Seal: i=1; cv=none; a=rsa-sha256; d=relay.example.com", 1)
	if res := verifyChain(t, z, broken); res.CV != Fail {
		t.Fatalf("broken: %+v", res)
	}
	two := hop(t, z, relaySealer(), "mx.relay.example.com", broken, nil)
	if !strings.HasPrefix(two, "ARC-Seal: i=2; cv=fail;") {
		t.Fatalf("sealed as %.60q", two)
	}
	res := verifyChain(t, z, two)
	if res.CV != Fail || !errors.Is(res.Err, ErrChain) || !strings.Contains(res.Err.Error(), "reports cv=fail") {
		t.Errorf("after a cv=fail seal: %+v", res)
	}
	// A chain too malformed to read is sealed as failed too.
	garbage := "ARC-Seal: nonsense\r\n" + original
	set, err := relaySealer().Seal(strings.NewReader(garbage), &authres.Header{AuthServID: "mx"}, Pass)
	if err != nil || !strings.HasPrefix(string(set), "ARC-Seal: i=1; cv=fail;") {
		t.Errorf("over garbage: %.60q, %v", set, err)
	}
}

func TestSealArguments(t *testing.T) {
	z := world(t)
	one := hop(t, z, listSealer(), "mx.lists.example.net", original, nil)
	results := &authres.Header{AuthServID: "mx"}
	if _, err := relaySealer().Seal(strings.NewReader(one), results, None); err == nil {
		t.Error("sealed an existing chain with cv=none")
	}
	// A first set is cv=none whatever the caller says.
	set, err := listSealer().Seal(strings.NewReader(original), results, Pass)
	if err != nil || !strings.HasPrefix(string(set), "ARC-Seal: i=1; cv=none;") {
		t.Errorf("first set: %.40q %v", set, err)
	}
	full := original
	for i := 1; i <= 50; i++ {
		full = hop(t, z, listSealer(), "mx", full, nil)
	}
	if res := verifyChain(t, z, full); res.CV != Pass || len(res.Sets) != 50 {
		t.Errorf("50 sets: %s %v", res.CV, res.Err)
	}
	if _, err := listSealer().Seal(strings.NewReader(full), results, Pass); !errors.Is(err, ErrTooManySets) {
		t.Errorf("51st set: %v", err)
	}
	if _, err := listSealer().Seal(strings.NewReader(original), nil, None); err == nil {
		t.Error("sealed without results")
	}
}

func TestEd25519Seal(t *testing.T) {
	z := world(t)
	s := &Sealer{Domain: "ed.example.com", Selector: "ed", Key: edKey}
	msg := hop(t, z, s, "mx.ed.example.com", original, nil)
	if res := verifyChain(t, z, msg); res.CV != Pass {
		t.Errorf("%s %v", res.CV, res.Err)
	}
}

func TestVerifyKeyProblems(t *testing.T) {
	z := world(t)
	one := hop(t, z, listSealer(), "mx.lists.example.net", original, nil)
	z.Set(dkim.KeyName("arc", "lists.example.net"), "v=DKIM1; k=rsa; p=")
	if res := verifyChain(t, z, one); res.CV != Fail || !errors.Is(res.Err, dkim.ErrKeyRevoked) {
		t.Errorf("revoked: %+v", res)
	}
	z.Fail(dkim.KeyName("arc", "lists.example.net"))
	if res := verifyChain(t, z, one); res.CV != Fail {
		t.Errorf("DNS failure: %+v", res)
	}
}

// dropSet removes the three fields of instance i.
func dropSet(msg string, i int) string {
	for _, name := range []string{"ARC-Seal", "ARC-Message-Signature", "ARC-Authentication-Results"} {
		msg = dropField(msg, name+": i="+strconv.Itoa(i))
	}
	return msg
}

// dropField removes the field that starts with prefix (and its
// continuation lines).
func dropField(msg, prefix string) string {
	start := strings.Index(msg, prefix)
	if start < 0 {
		return msg
	}
	end := start
	for {
		nl := strings.Index(msg[end:], "\r\n")
		end += nl + 2
		if msg[end] != ' ' && msg[end] != '\t' {
			break
		}
	}
	return msg[:start] + msg[end:]
}

// renumber changes the instance of a set's three fields (breaking seals
// is beside the point: the structure check comes first).
func renumber(msg string, from, to int) string {
	for _, name := range []string{"ARC-Seal", "ARC-Message-Signature", "ARC-Authentication-Results"} {
		msg = strings.Replace(msg, name+": i="+strconv.Itoa(from)+";", name+": i="+strconv.Itoa(to)+";", 1)
	}
	return msg
}
