package dkim

import (
	"context"
	"errors"
	"net"
)

// TXTResolver looks up DNS TXT records. *net.Resolver implements it; a
// server passes its own caching resolver so that every lookup goes
// through one place with one timeout policy.
//
// LookupTXT returns one string per TXT record (the record's
// character-strings joined, as net.Resolver does). A name that does not
// exist or has no TXT record is reported as a *net.DNSError with
// IsNotFound set, or as an empty answer; any other error is taken as
// temporary (a DKIM temperror).
type TXTResolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
}

// TXTResolverFunc adapts a function to TXTResolver.
type TXTResolverFunc func(ctx context.Context, name string) ([]string, error)

// LookupTXT calls f.
func (f TXTResolverFunc) LookupTXT(ctx context.Context, name string) ([]string, error) {
	return f(ctx, name)
}

// isNotFound reports whether a resolver error means "no such record".
func isNotFound(err error) bool {
	var dnsErr *net.DNSError
	return errors.As(err, &dnsErr) && dnsErr.IsNotFound
}
