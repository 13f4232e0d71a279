package saslmech

// Failure is an exchange that a server refused because of what the client
// sent: a malformed message, a wrong proof or token, a channel binding
// that does not match. Other errors of a server's Next are failures of
// what it asked (a lookup, a verifier) and pass through unchanged.
type Failure struct {
	// Code is the SCRAM server-error value (RFC 5802 7), e.g.
	// "invalid-proof", or the OAUTHBEARER status (RFC 7628 3.2.2), e.g.
	// "invalid_token".
	Code string
	// Why says more, for logs; it is not sent to the client.
	Why string
}

func (e *Failure) Error() string { return "SASL " + e.Code + ": " + e.Why }

func fail(code, why string) error { return &Failure{Code: code, Why: why} }
