package smtptest

import (
	"context"
	"io"
	"time"

	"github.com/mailwright/mailwright/smtp"
)

func (s *Server) newSession(ctx context.Context, c *smtp.Conn) (smtp.Session, error) {
	if err := s.faults.Check(ctx, AtConnect, ""); err != nil {
		return nil, err
	}
	sess := &session{srv: s, conn: c}
	if len(s.Users) > 0 {
		return &authSession{sess}, nil
	}
	return sess, nil
}

var errAuthRequired = &smtp.Error{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}

type session struct {
	srv  *Server
	conn *smtp.Conn
	cur  *Message
}

func (s *session) Mail(ctx context.Context, from string, opts *smtp.MailOptions) error {
	if s.srv.AuthRequired && s.conn.AuthIdentity() == "" {
		return errAuthRequired
	}
	if err := s.srv.faults.Check(ctx, AtMail, ""); err != nil {
		return err
	}
	_, isTLS := s.conn.TLS()
	s.cur = &Message{From: from, MailOptions: *opts, Helo: s.conn.Hostname(), AuthUser: s.conn.AuthIdentity(), TLS: isTLS}
	return nil
}

func (s *session) Rcpt(ctx context.Context, to string, opts *smtp.RcptOptions) error {
	if len(s.srv.KnownRecipients) > 0 && !containsFold(s.srv.KnownRecipients, to) {
		return &smtp.Error{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user here"}
	}
	if err := s.srv.faults.Check(ctx, AtRcpt, to); err != nil {
		return err
	}
	s.cur.To = append(s.cur.To, to)
	return nil
}

func (s *session) Data(ctx context.Context, r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if err := s.srv.faults.Check(ctx, AtData, ""); err != nil {
		return err
	}
	m := s.cur
	m.Raw = raw
	m.Received = time.Now()
	return s.srv.deliver(ctx, m)
}

func (s *session) Reset(ctx context.Context)        { s.cur = nil }
func (s *session) Logout(ctx context.Context) error { return nil }

type authSession struct{ *session }

func (s *authSession) AuthPassword(ctx context.Context, identity, username, password string) error {
	if pw, ok := s.srv.Users[username]; ok && pw == password {
		return nil
	}
	return smtp.ErrAuthFailed
}
