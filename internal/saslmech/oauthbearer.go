package saslmech

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/emersion/go-sasl"
)

// OAuthBearer is the mechanism name of RFC 7628.
const OAuthBearer = "OAUTHBEARER"

// kvsep separates the key-value pairs of an OAUTHBEARER message.
const kvsep = "\x01"

// OAuthBearerMessage is the client's message of OAUTHBEARER (RFC 7628
// 3.1):
//
//	gs2-header kvsep *kvpair kvsep, kvpair = key "=" value kvsep
type OAuthBearerMessage struct {
	AuthzID string // from the GS2 header, "" if none
	Host    string // host=, "" if none
	Port    int    // port=, 0 if none
	Token   string // the b64token of auth=Bearer
}

// ParseOAuthBearer parses the client's message.
func ParseOAuthBearer(msg string) (OAuthBearerMessage, error) {
	var m OAuthBearerMessage
	if len(msg) > MaxMessage {
		return m, errors.New("message too long")
	}
	h, rest, err := ParseGS2Header(msg)
	if err != nil {
		return m, err
	}
	// RFC 7628 3.1: the mechanism has no channel binding.
	if h.Flag == 'p' {
		return m, errors.New("channel binding is not supported")
	}
	m.AuthzID = h.AuthzID
	body, ok := strings.CutPrefix(rest, kvsep)
	if !ok || !strings.HasSuffix(body, kvsep) {
		return m, errors.New("missing kvsep")
	}
	body = body[:len(body)-1]
	seen := map[string]bool{}
	for len(body) > 0 {
		var pair string
		pair, body, ok = strings.Cut(body, kvsep)
		if !ok {
			return m, errors.New("key-value pair without kvsep")
		}
		key, value, ok := strings.Cut(pair, "=")
		if !ok || !isAlpha(key) || !validKVValue(value) {
			return m, errors.New("malformed key-value pair")
		}
		if seen[key] {
			return m, errors.New("key " + key + " twice")
		}
		seen[key] = true
		switch key {
		case "host":
			m.Host = value
		case "port":
			p, err := strconv.Atoi(value)
			if err != nil || p < 0 || p > 65535 || value[0] == '+' {
				return m, errors.New("malformed port")
			}
			m.Port = p
		case "auth":
			if m.Token, err = bearerToken(value); err != nil {
				return m, err
			}
		}
		// RFC 7628 3.1: other keys are extensions, ignored.
	}
	if !seen["auth"] {
		return m, errors.New("no auth= pair")
	}
	return m, nil
}

func isAlpha(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

// value = *(VCHAR / SP / HTAB / CR / LF)
func validKVValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 || c > 0x7e) && c != '\t' && c != '\r' && c != '\n' {
			return false
		}
	}
	return true
}

// bearerToken reads "Bearer" 1*SP b64token (RFC 6750 2.1; the scheme is
// case-insensitive, RFC 7235 2.1).
func bearerToken(v string) (string, error) {
	scheme, tok, ok := strings.Cut(v, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", errors.New("auth= is not a Bearer token")
	}
	tok = strings.TrimLeft(tok, " ")
	body := strings.TrimRight(tok, "=")
	if body == "" {
		return "", errors.New("empty bearer token")
	}
	for i := 0; i < len(body); i++ {
		c := body[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~+/", c) >= 0) {
			return "", errors.New("bearer token is not a b64token")
		}
	}
	return tok, nil
}

// FormatOAuthBearer writes the client's message (without channel
// binding: flag 'n').
func FormatOAuthBearer(m OAuthBearerMessage) string {
	s := GS2('n', "", m.AuthzID) + kvsep
	if m.Host != "" {
		s += "host=" + m.Host + kvsep
	}
	if m.Port != 0 {
		s += "port=" + strconv.Itoa(m.Port) + kvsep
	}
	return s + "auth=Bearer " + m.Token + kvsep + kvsep
}

// OAuthError is the server's error response of OAUTHBEARER (RFC 7628
// 3.2.2), sent as JSON: the status (an error code of RFC 6749 5.2 or
// RFC 6750 3.1, e.g. "invalid_token"), and optionally the scope the
// token needs and where the client can find the OpenID configuration.
type OAuthError struct {
	Status              string `json:"status"`
	Scope               string `json:"scope,omitempty"`
	OpenIDConfiguration string `json:"openid-configuration,omitempty"`
}

func (e *OAuthError) Error() string { return "OAUTHBEARER: " + e.Status }

// OAuthBearerServer is the server side of OAUTHBEARER, a sasl.Server. A
// refused token gets the error response as a challenge; the client's
// answer (RFC 7628 3.2.3: a single kvsep) then ends the exchange with a
// *Failure whose Code is the status. A malformed message fails at once.
type OAuthBearerServer struct {
	// Verify checks the message's token. An *OAuthError refuses it with
	// that response; other errors are failures of the verifier and pass
	// through.
	Verify func(m OAuthBearerMessage) error

	step     int
	asked    bool
	username string
	refused  *OAuthError
}

// Username returns the authorization identity the client named, for the
// log of a failed exchange.
func (s *OAuthBearerServer) Username() string { return s.username }

// Next implements sasl.Server.
func (s *OAuthBearerServer) Next(response []byte) ([]byte, bool, error) {
	switch s.step {
	case 0:
		if response == nil && !s.asked {
			s.asked = true
			return []byte{}, false, nil
		}
		s.step = -1
		m, err := ParseOAuthBearer(string(response))
		if err != nil {
			return nil, false, fail("invalid_request", err.Error())
		}
		s.username = m.AuthzID
		err = s.Verify(m)
		var oe *OAuthError
		if errors.As(err, &oe) {
			s.refused, s.step = oe, 1
			b, _ := json.Marshal(oe)
			return b, false, nil
		}
		if err != nil {
			return nil, false, err
		}
		return nil, true, nil
	case 1:
		s.step = -1
		return nil, false, fail(s.refused.Status, "token refused")
	}
	return nil, false, fail("invalid_request", "exchange already ended")
}

// ParseOAuthError reads the server's error response.
func ParseOAuthError(b []byte) (*OAuthError, error) {
	if len(b) > MaxMessage {
		return nil, errors.New("OAUTHBEARER: error response too long")
	}
	var e OAuthError
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, errors.New("OAUTHBEARER: error response is not JSON: " + err.Error())
	}
	if e.Status == "" {
		return nil, errors.New("OAUTHBEARER: error response without status")
	}
	return &e, nil
}

// OAuthBearerClient is the client side of OAUTHBEARER, a sasl.Client.
// Unlike go-sasl's, it escapes the authorization identity, answers an
// error response with a kvsep as RFC 7628 3.2.3 requires, and End adds
// that response to the protocol's refusal.
type OAuthBearerClient struct {
	Message OAuthBearerMessage
	refused *OAuthError
}

// NewOAuthBearerClient returns a client for go-sasl's options: Username is
// the authorization identity.
func NewOAuthBearerClient(opts *sasl.OAuthBearerOptions) *OAuthBearerClient {
	return &OAuthBearerClient{Message: OAuthBearerMessage{AuthzID: opts.Username, Host: opts.Host, Port: opts.Port, Token: opts.Token}}
}

// Start implements sasl.Client.
func (c *OAuthBearerClient) Start() (string, []byte, error) {
	if _, err := bearerToken("Bearer " + c.Message.Token); err != nil {
		return "", nil, errors.New("OAUTHBEARER: " + err.Error())
	}
	if strings.ContainsAny(c.Message.Host, kvsep+"\x00") || !validKVValue(c.Message.Host) {
		return "", nil, errors.New("OAUTHBEARER: invalid host")
	}
	return OAuthBearer, []byte(FormatOAuthBearer(c.Message)), nil
}

// Next implements sasl.Client: the only challenge is an error response.
func (c *OAuthBearerClient) Next(challenge []byte) ([]byte, error) {
	if c.refused != nil {
		return nil, errors.New("OAUTHBEARER: unexpected challenge after the error response")
	}
	e, err := ParseOAuthError(challenge)
	if err != nil {
		return nil, err
	}
	c.refused = e
	return []byte(kvsep), nil
}

// End implements Ender: a refusal carries the server's error response
// too, as a *sasl.OAuthBearerError (go-sasl's type, so that applications
// can name it) for errors.As.
func (c *OAuthBearerClient) End(err error) error {
	if err != nil && c.refused != nil {
		return errors.Join(err, &sasl.OAuthBearerError{Status: c.refused.Status, Scope: c.refused.Scope})
	}
	return err
}
