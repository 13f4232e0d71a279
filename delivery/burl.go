package delivery

import (
	"context"
	"errors"
	"io"

	"github.com/mailwright/mailwright/imap"
	"github.com/mailwright/mailwright/smtp"
)

// URLFetcher resolves the URLs of BURL (RFC 4468) for a client that
// authenticated as user: with Agent.BURL set, a client sends a message it
// has stored over IMAP by naming it, instead of uploading it again.
type URLFetcher interface {
	// FetchURL opens the content url names. An *smtp.Error refuses it
	// with that reply; any other error gives 451 4.3.0.
	FetchURL(ctx context.Context, user, url string) (io.ReadCloser, error)
}

// IMAPURLs resolves BURL URLs in-process through the backend of the IMAP
// server that gave them out (imap.FetchURL): URLAUTH-authorized URLs (RFC
// 4467) whose access identifier allows the submitting user
// ("submit+user", as RFC 4468 5 recommends, or "user+user", "authuser",
// "anonymous"). Backend must implement imap.URLAuthBackend
// (mailbox.IMAPBackend does). The message streams from the store.
type IMAPURLs struct {
	Backend imap.Backend
}

var (
	errURLResolution = &smtp.Error{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 6}, Message: "IMAP URL resolution failed"}
	errBURLNeedsAuth = &smtp.Error{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required for BURL"}
)

// FetchURL implements URLFetcher. A URL that does not resolve (bad syntax,
// no such message, a token that does not verify, an access identifier that
// does not allow user) gives 554 5.6.6 (RFC 4468 6).
func (f IMAPURLs) FetchURL(ctx context.Context, user, url string) (io.ReadCloser, error) {
	r, _, err := imap.FetchURL(ctx, f.Backend, user, url)
	if errors.Is(err, imap.ErrBadURL) {
		return nil, &smtp.Error{Code: errURLResolution.Code, EnhancedCode: errURLResolution.EnhancedCode,
			Message: errURLResolution.Message, Err: err}
	}
	return r, err
}

// The session types with BURL (smtp.BURLSession), when Agent.BURL is set.
type (
	burlSession       struct{ *session }
	burlVerifySession struct{ verifySession }
)

var (
	_ smtp.BURLSession = burlSession{}
	_ smtp.BURLSession = burlVerifySession{}
	_ smtp.Verifier    = burlVerifySession{}
)

func (s burlSession) FetchURL(ctx context.Context, url string) (io.ReadCloser, error) {
	return s.fetchURL(ctx, url)
}

func (s burlVerifySession) FetchURL(ctx context.Context, url string) (io.ReadCloser, error) {
	return s.fetchURL(ctx, url)
}

// fetchURL resolves a BURL URL for the authenticated client; a client
// that has not authenticated cannot use BURL (RFC 4468 3).
func (s *session) fetchURL(ctx context.Context, url string) (io.ReadCloser, error) {
	user := s.c.AuthIdentity()
	if user == "" {
		return nil, errBURLNeedsAuth
	}
	return s.a.BURL.FetchURL(ctx, user, url)
}
