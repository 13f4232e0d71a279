package saslmech

import (
	"errors"
	"testing"

	"github.com/emersion/go-sasl"
)

// The example of RFC 7628 4.1, and 4.3's failure.
const rfc7628Message = "n,a=user@example.com,\x01host=server.example.com\x01port=143\x01auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01"

func TestParseOAuthBearer(t *testing.T) {
	m, err := ParseOAuthBearer(rfc7628Message)
	want := OAuthBearerMessage{AuthzID: "user@example.com", Host: "server.example.com", Port: 143, Token: "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg=="}
	if err != nil || m != want {
		t.Fatalf("got %+v, %v", m, err)
	}
	if got := FormatOAuthBearer(want); got != rfc7628Message {
		t.Fatalf("FormatOAuthBearer = %q", got)
	}
	for _, ok := range []string{
		"n,,\x01auth=bearer tok\x01\x01",
		"y,,\x01auth=Bearer  tok=\x01ext=any value\x01\x01",
	} {
		if _, err := ParseOAuthBearer(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{
		"", "n,,", "n,,\x01\x01", "n,,auth=Bearer x\x01\x01", "n,,\x01auth=Bearer x\x01",
		"p=tls-unique,,\x01auth=Bearer x\x01\x01", "n,,\x01auth=Basic x\x01\x01", "n,,\x01auth=Bearer \x01\x01",
		"n,,\x01auth=Bearer a b\x01\x01", "n,,\x01port=99999\x01auth=Bearer x\x01\x01",
		"n,,\x01auth=Bearer x\x01auth=Bearer y\x01\x01", "n,,\x011=x\x01auth=Bearer x\x01\x01",
		"n,,\x01host=\x00\x01auth=Bearer x\x01\x01",
	} {
		if _, err := ParseOAuthBearer(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestOAuthBearerExchange(t *testing.T) {
	verify := func(m OAuthBearerMessage) error {
		switch m.Token {
		case "good":
			return nil
		case "broken":
			return errors.New("introspection endpoint down")
		}
		return &OAuthError{Status: "invalid_token", Scope: "mail"}
	}
	s := &OAuthBearerServer{Verify: verify}
	if serr, cerr := Exchange(&OAuthBearerClient{Message: OAuthBearerMessage{AuthzID: "u", Token: "good"}}, s); serr != nil || cerr != nil {
		t.Fatalf("good token: %v, %v", serr, cerr)
	}

	s = &OAuthBearerServer{Verify: verify}
	serr, cerr := Exchange(&OAuthBearerClient{Message: OAuthBearerMessage{AuthzID: "u,v", Token: "bad"}}, s)
	var f *Failure
	if !errors.As(serr, &f) || f.Code != "invalid_token" || s.Username() != "u,v" {
		t.Fatalf("bad token: server %v, user %q", serr, s.Username())
	}
	var oe *sasl.OAuthBearerError
	if !errors.As(cerr, &oe) || oe.Status != "invalid_token" || oe.Scope != "mail" {
		t.Fatalf("bad token: client %v", cerr)
	}

	s = &OAuthBearerServer{Verify: verify}
	if serr, _ := Exchange(&OAuthBearerClient{Message: OAuthBearerMessage{Token: "broken"}}, s); serr == nil || errors.As(serr, &f) {
		t.Fatalf("verifier failure: %v", serr)
	}

	s = &OAuthBearerServer{Verify: verify}
	if _, _, err := s.Next([]byte("n,,garbage")); !errors.As(err, &f) || f.Code != "invalid_request" {
		t.Fatalf("malformed: %v", err)
	}
}

func TestOAuthBearerClientChecks(t *testing.T) {
	for _, m := range []OAuthBearerMessage{{Token: ""}, {Token: "a b"}, {Token: "x", Host: "h\x01"}} {
		if _, _, err := (&OAuthBearerClient{Message: m}).Start(); err == nil {
			t.Errorf("%+v started", m)
		}
	}
	c := &OAuthBearerClient{Message: OAuthBearerMessage{Token: "t"}}
	for _, bad := range []string{"", "{}", "not json", `{"status":1}`} {
		if _, err := c.Next([]byte(bad)); err == nil {
			t.Errorf("error response %q accepted", bad)
		}
	}
}
