package saslmech

import (
	"crypto/tls"
	"encoding/base64"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/mailwright/mailwright/internal/testcert"
)

// rfcExample is the example exchange of RFC 5802 5 (SCRAM-SHA-1) and RFC
// 7677 3 (SCRAM-SHA-256): user "user", password "pencil".
type rfcExample struct {
	mech                 SCRAM
	cnonce, snonce, salt string
	c1, s1, c2, s2       string
}

var rfcExamples = []rfcExample{{
	mech:   SHA1,
	cnonce: "fyko+d2lbbFgONRv9qkxdawL", snonce: "3rfcNHYJY1ZVvWVs7j", salt: "QSXCR+Q6sek8bf92",
	c1: "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
	s1: "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
	c2: "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
	s2: "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=",
}, {
	mech:   SHA256,
	cnonce: "rOprNGfwEbeRWgbNEkqO", snonce: "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0", salt: "W22ZaJ0SNY7soEsUEjb6gQ==",
	c1: "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
	s1: "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
	c2: "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
	s2: "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
}}

func (e rfcExample) credentials(t *testing.T) Credentials {
	salt, err := base64.StdEncoding.DecodeString(e.salt)
	if err != nil {
		t.Fatal(err)
	}
	return e.mech.NewCredentials("pencil", salt, 4096)
}

func TestRFCExampleServer(t *testing.T) {
	for _, e := range rfcExamples {
		t.Run(e.mech.Name, func(t *testing.T) {
			cred := e.credentials(t)
			s := &SCRAMServer{Mech: e.mech, Nonce: func() string { return e.snonce },
				Lookup: func(u string) (Credentials, bool, error) { return cred, u == "user", nil }}
			steps := []struct{ in, out string }{{e.c1, e.s1}, {e.c2, e.s2}}
			for _, st := range steps {
				got, done, err := s.Next([]byte(st.in))
				if err != nil || done || string(got) != st.out {
					t.Fatalf("Next(%q) = %q, %v, %v; want %q", st.in, got, done, err, st.out)
				}
			}
			if _, done, err := s.Next([]byte{}); !done || err != nil {
				t.Fatalf("final empty response: done %v, err %v", done, err)
			}
			if s.Username() != "user" {
				t.Errorf("Username = %q", s.Username())
			}
		})
	}
}

func TestRFCExampleClient(t *testing.T) {
	for _, e := range rfcExamples {
		t.Run(e.mech.Name, func(t *testing.T) {
			c := &SCRAMClient{Mech: e.mech, Username: "user", Password: "pencil", Nonce: func() string { return e.cnonce }}
			mech, ir, err := c.Start()
			if err != nil || mech != e.mech.Name || string(ir) != e.c1 {
				t.Fatalf("Start = %q, %q, %v", mech, ir, err)
			}
			c2, err := c.Next([]byte(e.s1))
			if err != nil || string(c2) != e.c2 {
				t.Fatalf("Next(server-first) = %q, %v; want %q", c2, err, e.c2)
			}
			last, err := c.Next([]byte(e.s2))
			if err != nil || len(last) != 0 {
				t.Fatalf("Next(server-final) = %q, %v", last, err)
			}
			if err := c.End(nil); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestClientRefusesForgedServer: a server that does not know the
// credentials cannot make the client believe it (wrong v=, e=, or success
// without v=).
func TestClientRefusesForgedServer(t *testing.T) {
	e := rfcExamples[1]
	start := func() *SCRAMClient {
		c := &SCRAMClient{Mech: e.mech, Username: "user", Password: "pencil", Nonce: func() string { return e.cnonce }}
		c.Start()
		if _, err := c.Next([]byte(e.s1)); err != nil {
			t.Fatal(err)
		}
		return c
	}
	if _, err := start().Next([]byte("v=" + base64.StdEncoding.EncodeToString(make([]byte, 32)))); err == nil {
		t.Error("a wrong server signature was accepted")
	}
	if _, err := start().Next([]byte("e=invalid-proof")); err == nil || !strings.Contains(err.Error(), "invalid-proof") {
		t.Errorf("e= gave %v", err)
	}
	if err := start().End(nil); err == nil {
		t.Error("success without server-final-message was accepted")
	}
	refused := errors.New("535")
	if err := start().End(refused); err != refused {
		t.Errorf("End(refusal) = %v", err)
	}
}

func TestClientChecksServerFirst(t *testing.T) {
	for _, s1 := range []string{
		"r=other,s=QSXCR+Q6sek8bf92,i=4096",                    // nonce not extended
		"r=fyko+d2lbbFgONRv9qkxdawL,s=QSXCR+Q6sek8bf92,i=4096", // nonce not extended by the server
		"r=fyko+d2lbbFgONRv9qkxdawLx,s=QSXCR+Q6sek8bf92,i=4095",
		"r=fyko+d2lbbFgONRv9qkxdawLx,s=QSXCR+Q6sek8bf92,i=99999999",
		"m=x,r=fyko+d2lbbFgONRv9qkxdawLx,s=QSXCR+Q6sek8bf92,i=4096",
		"r=fyko+d2lbbFgONRv9qkxdawLx,s=!!,i=4096",
	} {
		c := &SCRAMClient{Mech: SHA1, Username: "user", Password: "pencil", Nonce: func() string { return "fyko+d2lbbFgONRv9qkxdawL" }}
		c.Start()
		if _, err := c.Next([]byte(s1)); err == nil {
			t.Errorf("server-first %q accepted", s1)
		}
	}
}

// tlsPair returns the states of both ends of a TLS connection over
// loopback, with the server's configuration.
func tlsPair(t *testing.T, version uint16) (server, client *tls.ConnectionState, serverCfg *tls.Config) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	serverCfg = testcert.ServerConfig()
	serverCfg.MinVersion, serverCfg.MaxVersion = version, version
	done := make(chan *tls.ConnectionState, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			done <- nil
			return
		}
		tc := tls.Server(c, serverCfg)
		defer tc.Close()
		if tc.Handshake() != nil {
			done <- nil
			return
		}
		st := tc.ConnectionState()
		done <- &st
		tc.Read(make([]byte, 1)) // until the client closes
	}()
	tc, err := tls.Dial("tcp", l.Addr().String(), testcert.StaticClientConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	st := tc.ConnectionState()
	server = <-done
	if server == nil {
		t.Fatal("server handshake failed")
	}
	return server, &st, serverCfg
}

// exchange runs client c against server s, choosing the mechanism as a
// protocol would from c's Start.
func exchange(c *SCRAMClient, s *SCRAMServer) (serverErr, clientErr error) {
	mech, ir, err := c.Start()
	if err != nil {
		return nil, err
	}
	s.Plus = strings.HasSuffix(mech, PlusSuffix)
	return exchangeFrom(c, s, ir)
}

func TestChannelBinding(t *testing.T) {
	cred := SHA256.NewCredentials("pencil", []byte("salty salt"), 4096)
	for _, tc := range []struct {
		version uint16
		kind    string
	}{
		{tls.VersionTLS13, TLSExporter},
		{tls.VersionTLS13, TLSServerEndPoint},
		{tls.VersionTLS12, TLSUnique},
		{tls.VersionTLS12, TLSExporter},
		{tls.VersionTLS12, TLSServerEndPoint},
	} {
		t.Run(tls.VersionName(tc.version)+"/"+tc.kind, func(t *testing.T) {
			srvState, cliState, cfg := tlsPair(t, tc.version)
			newServer := func(st *tls.ConnectionState) *SCRAMServer {
				return &SCRAMServer{Mech: SHA256, PlusOffered: true,
					Binding: func(kind string) ([]byte, error) { return Binding(kind, st, ServedCertificate(cfg)) },
					Lookup:  func(string) (Credentials, bool, error) { return cred, true, nil }}
			}
			newClient := func() *SCRAMClient {
				c := &SCRAMClient{Mech: SHA256, Username: "user", Password: "pencil", CBType: tc.kind}
				c.Bind(cliState, []string{"SCRAM-SHA-256", "SCRAM-SHA-256-PLUS"})
				return c
			}
			if serr, cerr := exchange(newClient(), newServer(srvState)); serr != nil || cerr != nil {
				t.Fatalf("server %v, client %v", serr, cerr)
			}
			// A man in the middle: another connection (tls-unique,
			// tls-exporter), or another certificate (tls-server-end-point).
			other, _, _ := tlsPair(t, tc.version)
			s := newServer(other)
			if tc.kind == TLSServerEndPoint {
				otherCert, err := testcert.Certificate()
				if err != nil {
					t.Fatal(err)
				}
				s.Binding = func(kind string) ([]byte, error) { return Binding(kind, other, otherCert.Leaf) }
			}
			serr, _ := exchange(newClient(), s)
			var f *Failure
			if !errors.As(serr, &f) || f.Code != "channel-bindings-dont-match" {
				t.Fatalf("binding of another connection: %v", serr)
			}
		})
	}
	t.Run("tls-unique on TLS 1.3", func(t *testing.T) {
		_, cli, _ := tlsPair(t, tls.VersionTLS13)
		if _, err := Binding(TLSUnique, cli, nil); err == nil {
			t.Fatal("tls-unique on TLS 1.3")
		}
	})
}

// TestChannelBindingFlags: the flag of RFC 5802 6 against what the server
// offered, including the downgrade a client with 'y' reveals.
func TestChannelBindingFlags(t *testing.T) {
	cred := SHA256.NewCredentials("pencil", []byte("salty salt"), 4096)
	srvState, cliState, cfg := tlsPair(t, tls.VersionTLS13)
	for _, tc := range []struct {
		name        string
		clientTLS   bool
		offered     []string // to the client
		plusOffered bool     // by the server
		failure     string   // "" for success
	}{
		{"n without TLS", false, nil, false, ""},
		{"y, server without -PLUS", true, []string{"SCRAM-SHA-256"}, false, ""},
		{"y, server with -PLUS: downgrade", true, []string{"SCRAM-SHA-256"}, true, "server-does-support-channel-binding"},
		{"p", true, []string{"SCRAM-SHA-256-PLUS"}, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &SCRAMClient{Mech: SHA256, Username: "user", Password: "pencil"}
			if tc.clientTLS {
				c.Bind(cliState, tc.offered)
			}
			s := &SCRAMServer{Mech: SHA256, PlusOffered: tc.plusOffered,
				Binding: func(kind string) ([]byte, error) { return Binding(kind, srvState, ServedCertificate(cfg)) },
				Lookup:  func(string) (Credentials, bool, error) { return cred, true, nil }}
			serr, cerr := exchange(c, s)
			var f *Failure
			switch {
			case tc.failure == "" && (serr != nil || cerr != nil):
				t.Fatalf("server %v, client %v", serr, cerr)
			case tc.failure != "" && (!errors.As(serr, &f) || f.Code != tc.failure):
				t.Fatalf("server error %v, want %s", serr, tc.failure)
			}
		})
	}
	t.Run("-PLUS with n", func(t *testing.T) {
		s := &SCRAMServer{Mech: SHA256, Plus: true, Lookup: func(string) (Credentials, bool, error) { return cred, true, nil }}
		if _, _, err := s.Next([]byte("n,,n=user,r=abc")); err == nil {
			t.Fatal("-PLUS accepted flag n")
		}
	})
	t.Run("p without -PLUS and without binding data", func(t *testing.T) {
		s := &SCRAMServer{Mech: SHA256, Lookup: func(string) (Credentials, bool, error) { return cred, true, nil }}
		if _, _, err := s.Next([]byte("p=tls-exporter,,n=user,r=abc")); err == nil {
			t.Fatal("SCRAM-SHA-256 accepted flag p without TLS")
		}
	})
	t.Run("p under the name without -PLUS, as Cyrus SASL sends it", func(t *testing.T) {
		c := &SCRAMClient{Mech: SHA256, Username: "user", Password: "pencil", CBType: TLSExporter}
		c.Bind(cliState, []string{"SCRAM-SHA-256-PLUS"})
		s := &SCRAMServer{Mech: SHA256, PlusOffered: true,
			Binding: func(kind string) ([]byte, error) { return Binding(kind, srvState, ServedCertificate(cfg)) },
			Lookup:  func(string) (Credentials, bool, error) { return cred, true, nil }}
		c.Start()
		if serr, cerr := exchangeFrom(c, s, []byte("p=tls-exporter,,"+c.bare)); serr != nil || cerr != nil {
			t.Fatalf("server %v, client %v", serr, cerr)
		}
	})
}

func TestServerRefusals(t *testing.T) {
	cred := SHA256.NewCredentials("pencil", []byte("salty salt"), 4096)
	decoy := SHA256.DecoyCredentials([]byte("key"), "nobody", 4096)
	for _, tc := range []struct {
		name, user, password, authz string
		found                       bool
		authorize                   bool
		failure                     string
	}{
		{"right", "user", "pencil", "", true, false, ""},
		{"wrong password", "user", "pen", "", true, false, "invalid-proof"},
		{"no credentials", "user", "pencil", "", false, false, "invalid-proof"},
		{"authzid refused", "user", "pencil", "admin", true, false, "other-error"},
		{"authzid allowed", "user", "pencil", "user", true, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &SCRAMClient{Mech: SHA256, Username: tc.user, Password: tc.password, AuthzID: tc.authz}
			s := &SCRAMServer{Mech: SHA256,
				Lookup: func(string) (Credentials, bool, error) {
					if tc.found {
						return cred, true, nil
					}
					return decoy, false, nil
				},
				Authorize: func(u, z string) bool { return tc.authorize }}
			serr, _ := exchange(c, s)
			var f *Failure
			switch {
			case tc.failure == "" && serr != nil:
				t.Fatal(serr)
			case tc.failure != "" && (!errors.As(serr, &f) || f.Code != tc.failure):
				t.Fatalf("got %v, want %s", serr, tc.failure)
			}
		})
	}
	t.Run("lookup error passes through", func(t *testing.T) {
		boom := errors.New("store down")
		s := &SCRAMServer{Mech: SHA256, Lookup: func(string) (Credentials, bool, error) { return Credentials{}, false, boom }}
		if _, _, err := s.Next([]byte("n,,n=user,r=abc")); err != boom {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("empty challenge first, then nothing twice", func(t *testing.T) {
		s := &SCRAMServer{Mech: SHA256, Lookup: func(string) (Credentials, bool, error) { return cred, true, nil }}
		if ch, done, err := s.Next(nil); err != nil || done || len(ch) != 0 {
			t.Fatalf("Next(nil) = %q, %v, %v", ch, done, err)
		}
		if _, _, err := s.Next([]byte{}); err == nil {
			t.Fatal("an empty client-first-message was accepted")
		}
	})
}

func TestDecoyStable(t *testing.T) {
	a := SHA256.DecoyCredentials([]byte("k"), "nobody", 4096)
	b := SHA256.DecoyCredentials([]byte("k"), "nobody", 4096)
	c := SHA256.DecoyCredentials([]byte("k"), "somebody", 4096)
	if string(a.Salt) != string(b.Salt) || string(a.Salt) == string(c.Salt) {
		t.Fatal("decoy salts are not stable per name")
	}
}

func TestCredentialsFormat(t *testing.T) {
	// Made by doveadm pw -s SCRAM-SHA-256 -p pencil (Dovecot 2.3.19).
	const dovecot = "{SCRAM-SHA-256}4096,8smYFkW5hhR/EqpGbQ1ZKA==,3qUK0Efjcros7GaybqrOuwj1fUAorE9acQx7MyU/FIY=,XkAHIK6pKfAFg7sr7/RZPgbV9YuCHkgi/yU03Vaqg+4="
	c, err := SHA256.ParseCredentials(dovecot)
	if err != nil {
		t.Fatal(err)
	}
	if got := SHA256.NewCredentials("pencil", c.Salt, c.Iterations); SHA256.Format(got) != dovecot {
		t.Fatalf("our derivation %s differs from Dovecot's", SHA256.Format(got))
	}
	for _, bad := range []string{
		"", "{SCRAM-SHA-1}4096,a,b,c", "{SCRAM-SHA-256}4096,AA==,AA==", "{SCRAM-SHA-256}0,AA==,AA==,AA==",
		"{SCRAM-SHA-256}4096,AA==,AA==,AA==", // keys of the wrong length
	} {
		if _, err := SHA256.ParseCredentials(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestGS2Header(t *testing.T) {
	for _, tc := range []struct {
		in, raw, rest, cb, authz string
		flag                     byte
	}{
		{"n,,n=u", "n,,", "n=u", "", "", 'n'},
		{"y,,x", "y,,", "x", "", "", 'y'},
		{"p=tls-exporter,a=a=2Cb=3Dc,r", "p=tls-exporter,a=a=2Cb=3Dc,", "r", "tls-exporter", "a,b=c", 'p'},
	} {
		h, rest, err := ParseGS2Header(tc.in)
		if err != nil || h.Flag != tc.flag || h.Raw != tc.raw || rest != tc.rest || h.CBName != tc.cb || h.AuthzID != tc.authz {
			t.Errorf("ParseGS2Header(%q) = %+v, %q, %v", tc.in, h, rest, err)
		}
	}
	for _, bad := range []string{"", "n", "n,", "x,,", "F,n,,", "p=,,", "p=a b,,", "n,b=x,", "n,a=x=41,", "n,a=,"} {
		if _, _, err := ParseGS2Header(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
	if got := GS2('p', "tls-unique", "a,b"); got != "p=tls-unique,a=a=2Cb," {
		t.Errorf("GS2 = %q", got)
	}
}
