package delivery

import (
	"context"
	"crypto/tls"
	"errors"

	"github.com/emersion/go-sasl"

	"github.com/mailwright/mailwright/mailbox"
	"github.com/mailwright/mailwright/smtp"
)

var _ smtp.SASLAuthenticator = (*session)(nil)

// replyAuthTempFail answers an AUTH that Accounts or the TokenVerifier
// could not check (RFC 4954 6).
var replyAuthTempFail = &smtp.Error{Code: 454, EnhancedCode: smtp.EnhancedCode{4, 7, 0}, Message: "Temporary authentication failure"}

// sasl returns the mechanisms beyond PLAIN and LOGIN: SCRAM-SHA-256 and
// -PLUS when Accounts keeps SCRAM credentials, OAUTHBEARER with a
// TokenVerifier.
func (a *Agent) sasl() mailbox.SASL {
	return mailbox.SASL{Auth: a.Accounts, TokenVerifier: a.TokenVerifier}
}

// AuthMechanisms implements smtp.SASLAuthenticator.
func (s *session) AuthMechanisms() []string {
	return s.a.sasl().Mechanisms(s.tlsState())
}

// AuthSASL implements smtp.SASLAuthenticator.
func (s *session) AuthSASL(ctx context.Context, mech string) (sasl.Server, error) {
	ex, err := s.a.sasl().Start(ctx, mech, mailbox.SASLChannel{TLS: s.tlsState(), ChannelBinding: s.c.ChannelBinding})
	if err != nil {
		return nil, err
	}
	return &smtpSASL{ex: ex, a: s.a}, nil
}

func (s *session) tlsState() *tls.ConnectionState {
	if cs, ok := s.c.TLS(); ok {
		return &cs
	}
	return nil
}

// smtpSASL is an exchange of mailbox.SASL as AUTH runs it.
type smtpSASL struct {
	ex *mailbox.SASLExchange
	a  *Agent
}

func (s *smtpSASL) Next(response []byte) ([]byte, bool, error) {
	ch, done, err := s.ex.Next(response)
	switch {
	case errors.Is(err, mailbox.ErrAuthFailed):
		err = smtp.ErrAuthFailed
	case err != nil:
		s.a.logger().Warn("delivery: SASL "+s.ex.Mechanism()+" login could not be checked", "err", err)
		err = replyAuthTempFail
	}
	return ch, done, err
}

// Identity is the account, which Conn.AuthIdentity reports.
func (s *smtpSASL) Identity() string { return s.ex.User() }

// Username is the name the client gave, for the log of a failure.
func (s *smtpSASL) Username() string { return s.ex.Username() }
