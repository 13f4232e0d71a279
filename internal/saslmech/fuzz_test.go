package saslmech

import (
	"testing"
)

// The fuzz targets check that no input panics a parser or an exchange,
// and that what a parser accepts is consistent.

func FuzzGS2Header(f *testing.F) {
	for _, s := range []string{"n,,n=u,r=x", "y,,", "p=tls-exporter,a=a=2Cb,", "n,a==,", "F,n,,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, rest, err := ParseGS2Header(s)
		if err != nil {
			return
		}
		if h.Raw+rest != s {
			t.Fatalf("Raw %q + rest %q != input", h.Raw, rest)
		}
		again, _, err := ParseGS2Header(GS2(h.Flag, h.CBName, h.AuthzID))
		if err != nil || again.AuthzID != h.AuthzID || again.CBName != h.CBName {
			t.Fatalf("re-encoded header parses as %+v, %v", again, err)
		}
	})
}

func FuzzSCRAMClientFirst(f *testing.F) {
	for _, e := range rfcExamples {
		f.Add(e.c1)
	}
	f.Add("p=tls-unique,a=admin,n=us=2Cer,r=abc,x=ext")
	f.Add("n,,m=x,n=user,r=abc")
	f.Fuzz(func(t *testing.T, s string) {
		m, err := parseClientFirst(s)
		if err == nil && (m.username == "" || !validNonce(m.nonce)) {
			t.Fatalf("accepted %+v", m)
		}
	})
}

func FuzzSCRAMClientFinal(f *testing.F) {
	for _, e := range rfcExamples {
		f.Add(e.c2)
	}
	f.Add("c=biws,r=abc,x=y,p=AAAA")
	f.Fuzz(func(t *testing.T, s string) {
		m, err := parseClientFinal(s)
		if err == nil && m.withoutProof+",p=" != s[:len(m.withoutProof)+3] {
			t.Fatalf("without-proof %q of %q", m.withoutProof, s)
		}
	})
}

// FuzzSCRAMServer drives a whole server exchange with two client messages.
func FuzzSCRAMServer(f *testing.F) {
	for _, e := range rfcExamples {
		f.Add(e.c1, e.c2, true)
	}
	f.Add("y,,n=user,r=a", "c=eSws,r=ab,p=AA==", false)
	cred := SHA256.NewCredentials("pencil", []byte("salt"), 4096)
	f.Fuzz(func(t *testing.T, first, final string, plus bool) {
		s := &SCRAMServer{Mech: SHA256, Plus: plus, PlusOffered: true, Nonce: func() string { return "b" },
			Binding: func(string) ([]byte, error) { return []byte("data"), nil },
			Lookup:  func(string) (Credentials, bool, error) { return cred, true, nil }}
		if _, _, err := s.Next([]byte(first)); err != nil {
			return
		}
		s.Next([]byte(final))
		s.Next([]byte{})
	})
}

func FuzzSCRAMServerMessages(f *testing.F) {
	for _, e := range rfcExamples {
		f.Add(e.s1, e.s2)
	}
	f.Add("m=x,r=a,s=AA==,i=1", "e=invalid-proof")
	f.Fuzz(func(t *testing.T, first, final string) {
		if m, err := parseServerFirst(first); err == nil && (m.iterations <= 0 || len(m.salt) == 0) {
			t.Fatalf("accepted %+v", m)
		}
		parseServerFinal(final)
	})
}

func FuzzOAuthBearer(f *testing.F) {
	f.Add(rfc7628Message)
	f.Add("n,,\x01auth=bearer tok\x01ext=1\x01\x01")
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseOAuthBearer(s)
		if err != nil {
			return
		}
		if m.Token == "" {
			t.Fatal("accepted without a token")
		}
		if again, err := ParseOAuthBearer(FormatOAuthBearer(m)); err != nil || again != m {
			t.Fatalf("re-formatted %+v parses as %+v, %v", m, again, err)
		}
	})
}

func FuzzOAuthError(f *testing.F) {
	f.Add([]byte(`{"status":"invalid_token","scope":"mail","openid-configuration":"https://x/.well-known"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if e, err := ParseOAuthError(b); err == nil && e.Status == "" {
			t.Fatal("accepted without status")
		}
	})
}
