package saslmech

import "testing"

// BenchmarkNewCredentials is what an account costs the server once per
// password (set, or first login): PBKDF2-SHA-256 with 4096 iterations.
func BenchmarkNewCredentials(b *testing.B) {
	b.ReportAllocs()
	salt := []byte("0123456789abcdef")
	for b.Loop() {
		SHA256.NewCredentials("correct horse battery staple", salt, MinIterations)
	}
}

// BenchmarkServerExchange is the server's part of one SCRAM-SHA-256 login,
// the client's messages made beforehand: no PBKDF2, a few HMACs.
func BenchmarkServerExchange(b *testing.B) {
	b.ReportAllocs()
	e := rfcExamples[1]
	cred := SHA256.NewCredentials("pencil", mustB64(e.salt), 4096)
	for b.Loop() {
		s := &SCRAMServer{Mech: SHA256, Nonce: func() string { return e.snonce },
			Lookup: func(string) (Credentials, bool, error) { return cred, true, nil }}
		s.Next([]byte(e.c1))
		if _, _, err := s.Next([]byte(e.c2)); err != nil {
			b.Fatal(err)
		}
		s.Next([]byte{})
	}
}

func mustB64(s string) []byte {
	b, err := decodeB64(s)
	if err != nil {
		panic(err)
	}
	return b
}
