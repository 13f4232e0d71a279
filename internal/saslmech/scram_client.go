package saslmech

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// SCRAMClient is the client side of a SCRAM exchange, a sasl.Client. The
// protocol client calls Bind before Start, so that it knows the TLS state
// and the server's mechanisms, and End with the outcome: a server that
// says yes without proving that it knows the credentials (the v= of the
// server-final-message) is refused.
type SCRAMClient struct {
	Mech               SCRAM
	Username, Password string
	// AuthzID is the authorization identity, usually empty.
	AuthzID string
	// CBType is the channel binding type to use with -PLUS; empty picks
	// the first of BindingTypes that the connection has.
	CBType string
	// Nonce returns the client's nonce; nil makes 18 random bytes.
	Nonce func() string

	tls      *tls.ConnectionState
	offered  []string
	mech     string
	gs2      string
	cbdata   []byte
	nonce    string
	bare     string
	step     int
	expected []byte // the server signature
	verified bool
}

// Binder is implemented by client mechanisms that want to know the
// connection before Start: its TLS state (nil without TLS) and the
// mechanisms the server offered, upper-case.
type Binder interface {
	Bind(cs *tls.ConnectionState, offered []string)
}

// Ender is implemented by client mechanisms that check the outcome of an
// exchange: End gets the protocol's result (nil for success) and returns
// what the caller should see.
type Ender interface {
	End(err error) error
}

// Bind implements Binder.
func (c *SCRAMClient) Bind(cs *tls.ConnectionState, offered []string) {
	c.tls, c.offered = cs, offered
}

// Start implements sasl.Client: it chooses the mechanism and the channel
// binding flag (RFC 5802 6): -PLUS with 'p' when the connection uses TLS
// and the server offers -PLUS, 'y' when it uses TLS and the server does
// not (so that a server that does can see the downgrade), 'n' without
// TLS.
func (c *SCRAMClient) Start() (string, []byte, error) {
	if c.Username == "" {
		return "", nil, errors.New("SCRAM: empty user name")
	}
	c.mech = c.Mech.Name
	flag, cbName := byte('n'), ""
	if c.tls != nil {
		flag = 'y'
		if slices.Contains(c.offered, c.Mech.Name+PlusSuffix) {
			var err error
			if cbName, c.cbdata, err = c.binding(); err != nil {
				return "", nil, err
			}
			flag, c.mech = 'p', c.Mech.Name+PlusSuffix
		}
	}
	c.gs2 = GS2(flag, cbName, c.AuthzID)
	if c.Nonce != nil {
		c.nonce = c.Nonce()
	} else {
		var b [18]byte
		rand.Read(b[:])
		c.nonce = base64.RawURLEncoding.EncodeToString(b[:])
	}
	c.bare = "n=" + EncodeSASLName(c.Username) + ",r=" + c.nonce
	return c.mech, []byte(c.gs2 + c.bare), nil
}

// binding picks the channel binding type and computes its data.
func (c *SCRAMClient) binding() (string, []byte, error) {
	var cert *x509.Certificate
	if len(c.tls.PeerCertificates) > 0 {
		cert = c.tls.PeerCertificates[0]
	}
	kinds := BindingTypes
	if c.CBType != "" {
		kinds = []string{c.CBType}
	}
	var last error
	for _, k := range kinds {
		data, err := Binding(k, c.tls, cert)
		if err == nil {
			return k, data, nil
		}
		last = err
	}
	return "", nil, fmt.Errorf("SCRAM: no channel binding on this connection: %w", last)
}

// Next implements sasl.Client.
func (c *SCRAMClient) Next(challenge []byte) ([]byte, error) {
	switch c.step {
	case 0:
		c.step = 1
		return c.serverFirst(string(challenge))
	case 1:
		c.step = 2
		m, err := parseServerFinal(string(challenge))
		if err != nil {
			return nil, err
		}
		if m.err != "" {
			return nil, fmt.Errorf("SCRAM: the server refused: %s", m.err)
		}
		if !hmac.Equal(m.verifier, c.expected) {
			return nil, errors.New("SCRAM: the server's signature is wrong: it does not know the credentials")
		}
		c.verified = true
		return []byte{}, nil
	}
	return nil, errors.New("SCRAM: unexpected challenge after the server-final-message")
}

func (c *SCRAMClient) serverFirst(msg string) ([]byte, error) {
	m, err := parseServerFirst(msg)
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(m.nonce, c.nonce) || len(m.nonce) == len(c.nonce) {
		return nil, errors.New("SCRAM: the server's nonce does not extend the client's")
	}
	if m.iterations < MinIterations || m.iterations > MaxIterations {
		return nil, fmt.Errorf("SCRAM: iteration count %d outside [%d, %d]", m.iterations, MinIterations, MaxIterations)
	}
	salted := c.Mech.saltedPassword(c.Password, m.salt, m.iterations)
	clientKey := c.Mech.clientKey(salted)
	withoutProof := "c=" + base64.StdEncoding.EncodeToString(append([]byte(c.gs2), c.cbdata...)) + ",r=" + m.nonce
	authMessage := c.bare + "," + msg + "," + withoutProof
	proof := make([]byte, len(clientKey))
	subtle.XORBytes(proof, clientKey, c.Mech.hmac(c.Mech.h(clientKey), authMessage))
	c.expected = c.Mech.hmac(c.Mech.hmac(salted, "Server Key"), authMessage)
	return []byte(withoutProof + ",p=" + base64.StdEncoding.EncodeToString(proof)), nil
}

// End implements Ender: success counts only once the server proved that
// it knows the credentials.
func (c *SCRAMClient) End(err error) error {
	if err == nil && !c.verified {
		return errors.New("SCRAM: the server accepted without its signature (server-final-message): it is not known to hold the credentials")
	}
	return err
}
