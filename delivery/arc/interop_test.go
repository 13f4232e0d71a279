package arc

import (
	"strings"
	"testing"

	"github.com/mailwright/mailwright/delivery/internal/authtest"
)

// TestDkimpyVerifiesOurChains: dkimpy (python3-dkim) validates chains we
// sealed, of one and two sets, and fails them once tampered with.
func TestDkimpyVerifiesOurChains(t *testing.T) {
	t.Parallel()
	py := authtest.NewDkimpy(t)
	z := world(t)
	one := hop(t, z, listSealer(), "mx.lists.example.net", original, listFooter)
	two := hop(t, z, relaySealer(), "mx.relay.example.com", one, func(m string) string { return m + "relay\r\n" })
	msgs := []string{one, two, two + "tampered\r\n",
		strings.Replace(two, "i=1; mx.lists.example.net;\r\n\tspf=pass", "i=1; mx.lists.example.net;\r\n\tspf=fail", 1)}
	got := py.ARCVerify(z, msgs...)
	for i, want := range []string{"pass", "pass", "fail", "fail"} {
		if got[i].CV != want {
			t.Errorf("message %d: dkimpy says cv=%q (%s), want %s", i, got[i].CV, got[i].Reason, want)
		}
	}
}

// TestMixedChain: dkimpy seals the first set, we seal the second, dkimpy
// the third; each side validates the chain at every step.
func TestMixedChain(t *testing.T) {
	t.Parallel()
	py := authtest.NewDkimpy(t)
	z := world(t)
	// dkimpy seals what its own Authentication-Results says (arc= gives cv).
	pySeal := func(msg, authServID, arcResult string) string {
		ar := "Authentication-Results: " + authServID + "; spf=pass smtp.mailfrom=example.org" + arcResult + "\r\n"
		msg = ar + msg
		return py.ARCSign(authtest.SignRequest{Message: msg, Selector: "arc", Domain: "lists.example.net", Key: listKey},
			authServID, 1700000000) + msg
	}
	one := pySeal(original, "mx.lists.example.net", "")
	if res := verifyChain(t, z, one); res.CV != Pass || res.Sets[0].Results == nil || res.Sets[0].Results.AuthServID != "mx.lists.example.net" {
		t.Fatalf("dkimpy's first set: %+v\n%s", res, one)
	}
	two := hop(t, z, relaySealer(), "mx.relay.example.com", one, func(m string) string { return m + "relay footer\r\n" })
	if got := py.ARCVerify(z, two); got[0].CV != "pass" {
		t.Fatalf("dkimpy on our second set: %+v\n%s", got, two)
	}
	three := pySeal(two, "mx.lists.example.net", "; arc=pass")
	res := verifyChain(t, z, three)
	if res.CV != Pass || len(res.Sets) != 3 || res.OldestPass != 2 {
		t.Errorf("dkimpy's third set: %s %v oldest-pass %d\n%s", res.CV, res.Err, res.OldestPass, three)
	}
	if res := verifyChain(t, z, strings.Replace(three, "relay footer", "relay f00ter", 1)); res.CV != Fail {
		t.Errorf("tampered: %s", res.CV)
	}
}
