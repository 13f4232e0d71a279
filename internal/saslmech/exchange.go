package saslmech

import (
	"errors"

	"github.com/emersion/go-sasl"
)

// ErrClientCancelled is the server's side of an exchange that Exchange
// ended because the client's Next failed (a protocol would send "*").
var ErrClientCancelled = errors.New("sasl: the client cancelled")

// Exchange runs client c against server s in memory, as a protocol would
// between its two ends, for tests: it returns the server's error (nil
// when the client authenticated) and the client's outcome (through End,
// for an Ender).
func Exchange(c sasl.Client, s sasl.Server) (serverErr, clientErr error) {
	_, ir, err := c.Start()
	if err != nil {
		return ErrClientCancelled, err
	}
	return exchangeFrom(c, s, ir)
}

// exchangeFrom goes on with an exchange whose client has started and
// whose first message is first.
func exchangeFrom(c sasl.Client, s sasl.Server, first []byte) (serverErr, clientErr error) {
	end := func(err error) error {
		if e, ok := c.(Ender); ok {
			return e.End(err)
		}
		return err
	}
	resp := first
	for {
		ch, done, err := s.Next(resp)
		if err != nil {
			return err, end(err)
		}
		if done {
			return nil, end(nil)
		}
		if resp, err = c.Next(ch); err != nil {
			return ErrClientCancelled, err
		}
	}
}
