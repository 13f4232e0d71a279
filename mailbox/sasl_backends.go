package mailbox

import (
	"context"
	"errors"

	"github.com/mailwright/mailwright/imap"
	"github.com/mailwright/mailwright/pop3"
)

var (
	_ imap.SASLBackend = (*IMAPBackend)(nil)
	_ pop3.SASLBackend = (*POP3Backend)(nil)
)

// AuthMechanisms implements imap.SASLBackend: the mechanisms of SASL for
// Auth and TokenVerifier (SCRAM-SHA-256 and -PLUS, OAUTHBEARER).
func (b *IMAPBackend) AuthMechanisms(conn imap.ConnInfo) []string {
	return b.sasl().Mechanisms(conn.TLS)
}

// AuthSASL implements imap.SASLBackend.
func (b *IMAPBackend) AuthSASL(ctx context.Context, conn imap.ConnInfo, mech string) (imap.SASLServer, error) {
	ex, err := b.sasl().Start(ctx, mech, SASLChannel{TLS: conn.TLS, ChannelBinding: conn.ChannelBinding})
	if err != nil {
		return nil, err
	}
	return &imapSASL{ex: ex, b: b}, nil
}

func (b *IMAPBackend) sasl() SASL { return SASL{Auth: b.Auth, TokenVerifier: b.TokenVerifier} }

// imapSASL is an exchange of SASL as AUTHENTICATE runs it.
type imapSASL struct {
	ex *SASLExchange
	b  *IMAPBackend
}

func (s *imapSASL) Next(response []byte) ([]byte, bool, error) {
	ch, done, err := s.ex.Next(response)
	if errors.Is(err, ErrAuthFailed) {
		err = &imap.Error{Code: "AUTHENTICATIONFAILED", Err: err}
	}
	return ch, done, err
}

func (s *imapSASL) Username() string { return s.ex.Username() }

func (s *imapSASL) User(ctx context.Context) (imap.User, error) {
	return s.b.Store.newIMAPUser(&imapUser{s: s.b.Store, user: s.ex.User(), cache: s.b.caches()}), nil
}

// AuthMechanisms implements pop3.SASLBackend: the mechanisms of SASL for
// Auth and TokenVerifier (SCRAM-SHA-256 and -PLUS, OAUTHBEARER).
func (b *POP3Backend) AuthMechanisms(conn pop3.ConnInfo) []string {
	return b.sasl().Mechanisms(conn.TLS)
}

// AuthSASL implements pop3.SASLBackend.
func (b *POP3Backend) AuthSASL(ctx context.Context, conn pop3.ConnInfo, mech string) (pop3.SASLServer, error) {
	ex, err := b.sasl().Start(ctx, mech, SASLChannel{TLS: conn.TLS, ChannelBinding: conn.ChannelBinding})
	if err != nil {
		return nil, err
	}
	return &pop3SASL{ex: ex, b: b}, nil
}

func (b *POP3Backend) sasl() SASL { return SASL{Auth: b.Auth, TokenVerifier: b.TokenVerifier} }

// pop3SASL is an exchange of SASL as AUTH runs it.
type pop3SASL struct {
	ex *SASLExchange
	b  *POP3Backend
}

func (s *pop3SASL) Next(response []byte) ([]byte, bool, error) {
	ch, done, err := s.ex.Next(response)
	if errors.Is(err, ErrAuthFailed) {
		err = &pop3.Error{Code: "AUTH", Err: err} // the standard text
	}
	return ch, done, err
}

func (s *pop3SASL) Username() string { return s.ex.Username() }

func (s *pop3SASL) Maildrop(ctx context.Context) (pop3.Maildrop, error) {
	return s.b.Store.OpenMaildrop(ctx, s.ex.User())
}
