package spf

import (
	"context"
	"errors"
	"net/netip"
)

// Resolver is the DNS that a Checker asks. Its contract separates the two
// kinds of empty answer, which SPF treats differently, from failures:
//
//   - a name that does not exist (NXDOMAIN) returns an error that
//     errors.Is(err, ErrNoSuchDomain) recognizes;
//   - a name without records of the type (NODATA) returns no records and
//     a nil error;
//   - anything else (a timeout, SERVFAIL, a cancelled context) is an
//     error that a later query may not repeat: SPF's temperror.
//
// [DNS] implements it over miekg/dns; a test can implement it over a map.
type Resolver interface {
	// LookupTXT returns one string per TXT record, its character-strings
	// joined without separators (RFC 7208 3.3).
	LookupTXT(ctx context.Context, name string) ([]string, error)
	LookupA(ctx context.Context, name string) ([]netip.Addr, error)
	LookupAAAA(ctx context.Context, name string) ([]netip.Addr, error)
	// LookupMX returns the exchange host names (without the final dot).
	LookupMX(ctx context.Context, name string) ([]string, error)
	// LookupPTR returns the names of addr (without the final dot).
	LookupPTR(ctx context.Context, addr netip.Addr) ([]string, error)
}

// ErrNoSuchDomain is the error, possibly wrapped, of a Resolver lookup of
// a name that does not exist (NXDOMAIN).
var ErrNoSuchDomain = errors.New("no such domain")
