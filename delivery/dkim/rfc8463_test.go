package dkim

import (
	"crypto/ed25519"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/mailwright/mailwright/delivery/internal/authtest"
	"github.com/mailwright/mailwright/delivery/internal/msgauth"
)

// RFC 8463 Appendix A: a message signed twice by football.example.com,
// with Ed25519 (selector brisbane, the RFC 8032 test key) and RSA
// (selector test), as published.
const (
	rfc8463Ed25519Sig = "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n" +
		" d=football.example.com; i=@football.example.com;\r\n" +
		" q=dns/txt; s=brisbane; t=1528637909; h=from : to :\r\n" +
		" subject : date : message-id : from : subject : date;\r\n" +
		" bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n" +
		" b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus\r\n" +
		" Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==\r\n"
	rfc8463RSASig = "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;\r\n" +
		" d=football.example.com; i=@football.example.com;\r\n" +
		" q=dns/txt; s=test; t=1528637909; h=from : to : subject :\r\n" +
		" date : message-id : from : subject : date;\r\n" +
		" bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n" +
		" b=F45dVWDfMbQDGHJFlXUNB2HKfbCeLRyhDXgFpEL8GwpsRe0IeIixNTe3\r\n" +
		" DhCVlUrSjV4BwcVcOF6+FF3Zo9Rpo1tFOeS9mPYQTnGdaSGsgeefOsk2Jz\r\n" +
		" dA+L10TeYt9BgDfQNZtKdN1WO//KgIqXP7OdEFE4LjFYNcUxZQ4FADY+8=\r\n"
	rfc8463Message = "From: Joe SixPack <joe@football.example.com>\r\n" +
		"To: Suzie Q <suzie@shopping.example.net>\r\n" +
		"Subject: Is dinner ready?\r\n" +
		"Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n" +
		"Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n" +
		"\r\n" +
		"Hi.\r\n" +
		"\r\n" +
		"We lost the game.  Are you hungry yet?\r\n" +
		"\r\n" +
		"Joe.\r\n" +
		"\r\n"
	rfc8463RSAKey = "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB"
	// rfc8463Seed is the private key behind rfc8463Key (RFC 8032 7.1, test 1).
	rfc8463Seed = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A="
)

func rfc8463Zone() *authtest.Zone {
	z := &authtest.Zone{}
	z.Set("brisbane._domainkey.football.example.com", rfc8463Key)
	z.Set("test._domainkey.football.example.com", rfc8463RSAKey)
	return z
}

func TestRFC8463Verify(t *testing.T) {
	v := &Verifier{Resolver: rfc8463Zone()}
	res := verify(t, v, rfc8463Ed25519Sig+rfc8463RSASig+rfc8463Message)
	if got := statuses(res); got != "pass pass" {
		t.Fatalf("%q: %v %v", got, res[0].Err, res[1].Err)
	}
	if got := statuses(verify(t, v, rfc8463Ed25519Sig+rfc8463RSASig+alterBody(rfc8463Message))); got != "fail fail" {
		t.Errorf("altered: %q", got)
	}
}

// TestRFC8463Sign: Ed25519 signatures are deterministic, so signing the
// RFC's message with the RFC's key and tags must give the RFC's b=, byte
// for byte (our folding differs from the RFC's; relaxed canonicalization
// makes that irrelevant).
func TestRFC8463Sign(t *testing.T) {
	seed, _ := base64.StdEncoding.DecodeString(rfc8463Seed)
	key := ed25519.NewKeyFromSeed(seed)
	br := bufioReader(rfc8463Message)
	h, _ := msgauth.ReadHeader(br, 0)
	names := "from : to : subject : date : message-id : from : subject : date"
	tags := tagsOf("v", "1", "a", "ed25519-sha256", "c", "relaxed/relaxed",
		"d", "football.example.com", "i", "@football.example.com", "q", "dns/txt", "s", "brisbane",
		"t", "1528637909", "h", names, "bh", "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=")
	field, err := msgauth.SignField(FieldName, tags, msgauth.Relaxed, msgauth.PickAll(h, msgauth.NewIndex(h), msgauth.SplitList(names, ":")), key, msgauth.Ed25519SHA256)
	if err != nil {
		t.Fatal(err)
	}
	got := msgauth.RemoveFWS(string(field[strings.LastIndex(string(field), "b=")+2:]))
	if want := "/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11BusFa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw=="; got != want {
		t.Errorf("b=%s\nwant %s", got, want)
	}
	// And our Signer's own signature of the message verifies.
	s := &Signer{Keys: map[string][]Key{"football.example.com": {{"brisbane", key}}}}
	if got := statuses(verify(t, &Verifier{Resolver: rfc8463Zone()}, signed(t, s, rfc8463Message))); got != "pass" {
		t.Errorf("our signature: %q", got)
	}
}
