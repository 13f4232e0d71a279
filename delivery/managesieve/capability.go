package managesieve

import (
	"slices"
	"strconv"
	"strings"

	"github.com/emersion/go-sasl"

	"github.com/mailwright/mailwright/delivery/sieve"
	"github.com/mailwright/mailwright/internal/netserver"
)

// extensions are the Sieve extensions scripts may require, as the SIEVE
// capability lists them: sieve.Capabilities, narrowed by the Options.
func (s *Server) extensions() []string {
	if s.Sieve.Extensions == nil {
		return sieve.Capabilities
	}
	var out []string
	for _, e := range sieve.Capabilities {
		if slices.ContainsFunc(s.Sieve.Extensions, func(x string) bool { return strings.EqualFold(x, e) }) {
			out = append(out, e)
		}
	}
	return out
}

// mechanisms are the SASL mechanisms AUTHENTICATE takes now: none before
// TLS unless passwords may go in the clear (RFC 5804 2.1).
func (c *conn) mechanisms() []string {
	if !c.secure() {
		return nil
	}
	mechs := []string{sasl.Plain}
	if sb, ok := c.srv.Backend.(SASLBackend); ok {
		mechs = append(mechs, sb.AuthMechanisms(c.connInfo())...)
	}
	return mechs
}

// writeCapabilities writes the capability lines (RFC 5804 1.7): what the
// configuration enables and the state of the session allows.
func (c *conn) writeCapabilities() {
	impl := c.srv.Implementation
	if impl == "" {
		impl = "mailwright"
	}
	q := func(s string) string { return string(appendString(nil, s)) }
	exts := c.srv.extensions()
	c.writeLine("IMPLEMENTATION", q(impl))
	c.writeLine("SASL", q(strings.Join(c.mechanisms(), " ")))
	c.writeLine("SIEVE", q(strings.Join(exts, " ")))
	if slices.Contains(exts, "enotify") {
		c.writeLine("NOTIFY", q("mailto")) // RFC 5804 1.7: the enotify methods
	}
	redirects := c.srv.Sieve.Limits.MaxRedirects
	if redirects <= 0 {
		redirects = sieve.DefaultLimits.MaxRedirects
	}
	c.writeLine("MAXREDIRECTS", q(strconv.Itoa(redirects)))
	if c.tlsState == nil && netserver.HasCertificate(c.srv.TLSConfig) {
		c.writeLine("STARTTLS")
	}
	if c.scripts != nil {
		c.writeLine("OWNER", q(c.user))
	}
	c.writeLine("UNAUTHENTICATE")
	c.writeLine("VERSION", q("1.0"))
}
