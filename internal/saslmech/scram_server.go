package saslmech

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"strconv"
)

// SCRAMServer is the server side of one SCRAM exchange (RFC 5802 5), a
// sasl.Server. Its three steps: the client-first-message (or an empty
// challenge asking for it), then the client-final-message, answered with
// the server-final-message as a last challenge (RFC 4422 5: additional
// data with success travels as a challenge in SMTP, IMAP and POP3), then
// the client's empty response, which ends the exchange with success.
// Every refusal is a *Failure, except errors of Lookup.
type SCRAMServer struct {
	// Mech is the mechanism family.
	Mech SCRAM
	// Plus says that the client chose the -PLUS mechanism.
	Plus bool
	// PlusOffered says that the server offered the -PLUS mechanism on
	// this connection, which a client with flag 'y' did not see: the sign
	// of a downgrade (RFC 5802 6).
	PlusOffered bool
	// Binding returns the channel binding data of a type.
	Binding func(kind string) ([]byte, error)
	// Lookup returns the credentials of username. ok false means that it
	// has none to use; cred is then made-up (DecoyCredentials), so that
	// the exchange goes on as for a user with credentials and fails at
	// the proof: a client cannot tell the two apart.
	Lookup func(username string) (cred Credentials, ok bool, err error)
	// Authorize, called after a valid proof when the client gave an
	// authorization identity, says whether username may act as authzid.
	// Nil refuses every authzid.
	Authorize func(username, authzid string) bool
	// Nonce returns the server's part of the nonce; nil makes 18 random
	// bytes (tests set it for the RFC's example).
	Nonce func() string

	step        int
	asked       bool // an empty challenge asked for the first message
	username    string
	first       clientFirst
	cbind       []byte // the c= value the client must send
	cred        Credentials
	found       bool
	nonce       string
	serverFirst string
}

// Username returns the user name of the client-first-message, "" before
// it: for the log of a failed exchange.
func (s *SCRAMServer) Username() string { return s.username }

// Next implements sasl.Server.
func (s *SCRAMServer) Next(response []byte) (challenge []byte, done bool, err error) {
	if len(response) > MaxMessage {
		return nil, false, malformed("message too long")
	}
	switch s.step {
	case 0:
		if response == nil && !s.asked {
			s.asked = true
			return []byte{}, false, nil
		}
		return s.clientFirst(string(response))
	case 1:
		return s.clientFinal(string(response))
	case 2:
		s.step = 3
		if len(response) != 0 {
			return nil, false, malformed("response after server-final-message")
		}
		return nil, true, nil
	}
	return nil, false, malformed("exchange already ended")
}

func (s *SCRAMServer) clientFirst(msg string) ([]byte, bool, error) {
	s.step = -1 // a failure ends the exchange
	m, err := parseClientFirst(msg)
	if err != nil {
		return nil, false, err
	}
	s.first, s.username = m, m.username
	// RFC 5802 6: the channel binding flag against the mechanism. A 'p'
	// under the name without -PLUS, which Cyrus SASL's clients send
	// (imtest -m SCRAM-SHA-256-PLUS says "AUTHENTICATE SCRAM-SHA-256"
	// with "p=tls-unique"), is taken as -PLUS: the binding is checked all
	// the same, so it is no weaker.
	switch {
	case s.Plus && m.gs2.Flag != 'p':
		return nil, false, fail("channel-binding-not-supported", "-PLUS mechanism without channel binding")
	case m.gs2.Flag == 'y' && s.PlusOffered:
		return nil, false, fail("server-does-support-channel-binding", "client thinks the server does not offer -PLUS: downgrade")
	}
	s.cbind = []byte(m.gs2.Raw)
	if m.gs2.Flag == 'p' {
		if s.Binding == nil {
			return nil, false, fail("unsupported-channel-binding-type", m.gs2.CBName)
		}
		data, err := s.Binding(m.gs2.CBName)
		if err != nil || len(data) == 0 {
			return nil, false, fail("unsupported-channel-binding-type", m.gs2.CBName)
		}
		s.cbind = append(s.cbind, data...)
	}
	s.cred, s.found, err = s.Lookup(m.username)
	if err != nil {
		return nil, false, err
	}
	snonce := ""
	if s.Nonce != nil {
		snonce = s.Nonce()
	} else {
		var b [18]byte
		rand.Read(b[:])
		snonce = base64.RawURLEncoding.EncodeToString(b[:])
	}
	s.nonce = m.nonce + snonce
	s.serverFirst = "r=" + s.nonce + ",s=" + base64.StdEncoding.EncodeToString(s.cred.Salt) + ",i=" + strconv.Itoa(s.cred.Iterations)
	s.step = 1
	return []byte(s.serverFirst), false, nil
}

func (s *SCRAMServer) clientFinal(msg string) ([]byte, bool, error) {
	s.step = -1
	m, err := parseClientFinal(msg)
	if err != nil {
		return nil, false, err
	}
	if subtle.ConstantTimeCompare(m.cbind, s.cbind) != 1 {
		return nil, false, fail("channel-bindings-dont-match", "c= differs from the header and binding data")
	}
	if m.nonce != s.nonce {
		return nil, false, fail("other-error", "nonce differs")
	}
	authMessage := s.first.bare + "," + s.serverFirst + "," + m.withoutProof
	// RFC 5802 3: ClientKey = ClientProof XOR ClientSignature, and
	// H(ClientKey) must be StoredKey.
	sig := s.Mech.hmac(s.cred.StoredKey, authMessage)
	if len(m.proof) != len(sig) {
		return nil, false, fail("invalid-proof", "proof of the wrong length")
	}
	key := make([]byte, len(sig))
	subtle.XORBytes(key, m.proof, sig)
	if !hmac.Equal(s.Mech.h(key), s.cred.StoredKey) || !s.found {
		return nil, false, fail("invalid-proof", "wrong password, unknown user or no SCRAM credentials")
	}
	if z := s.first.gs2.AuthzID; z != "" && (s.Authorize == nil || !s.Authorize(s.username, z)) {
		return nil, false, fail("other-error", "authorization identity refused")
	}
	s.step = 2
	return []byte("v=" + base64.StdEncoding.EncodeToString(s.Mech.hmac(s.cred.ServerKey, authMessage))), false, nil
}

// DecoyCredentials makes up credentials for a user that has none, from a
// secret key: the same name gets the same salt each time, as a real user
// does, and no password matches them.
func (m SCRAM) DecoyCredentials(key []byte, username string, iterations int) Credentials {
	salt := m.hmac(key, "salt\x00", username)[:saltLen]
	return Credentials{
		Salt:       salt,
		Iterations: iterations,
		StoredKey:  m.hmac(key, "stored\x00", username),
		ServerKey:  m.hmac(key, "server\x00", username),
	}
}
