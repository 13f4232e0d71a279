package tlsrpt

import (
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strings"
)

// Record is the _smtp._tls TXT record of a domain (RFC 8460 3).
type Record struct {
	// Mailto are the addresses of the mailto: URIs of rua.
	Mailto []string
	// HTTPS are the https: URIs of rua.
	HTTPS []string
}

// maxRUA bounds the URIs kept from one record.
const maxRUA = 10

// ParseRecord parses "v=TLSRPTv1; rua=mailto:tlsrpt@example.com,https://r.example.com/v1".
// The version comes first; rua is required; unknown fields are ignored,
// and so are URIs of other schemes (RFC 8460 3).
func ParseRecord(txt string) (*Record, error) {
	var r Record
	rua := false
	for i, field := range strings.Split(txt, ";") {
		field = strings.Trim(field, " \t")
		if i == 0 {
			if field != "v=TLSRPTv1" {
				return nil, errors.New("tlsrpt: record does not start with v=TLSRPTv1")
			}
			continue
		}
		if field == "" {
			continue
		}
		key, value, ok := strings.Cut(field, "=")
		if !ok || key == "" {
			return nil, fmt.Errorf("tlsrpt: bad field %q", clip(field))
		}
		if key != "rua" || rua {
			continue
		}
		rua = true
		for u := range strings.SplitSeq(value, ",") {
			if err := r.addURI(strings.Trim(u, " \t")); err != nil {
				return nil, err
			}
		}
	}
	if !rua {
		return nil, errors.New("tlsrpt: record without rua")
	}
	if len(r.Mailto)+len(r.HTTPS) == 0 {
		return nil, errors.New("tlsrpt: no mailto or https URI in rua")
	}
	return &r, nil
}

func (r *Record) addURI(s string) error {
	u, err := url.Parse(s)
	if err != nil || s == "" {
		return fmt.Errorf("tlsrpt: bad rua URI %q", clip(s))
	}
	if len(r.Mailto)+len(r.HTTPS) >= maxRUA {
		return nil
	}
	switch strings.ToLower(u.Scheme) {
	case "mailto":
		addr, err := url.PathUnescape(u.Opaque)
		if err != nil {
			return fmt.Errorf("tlsrpt: bad mailto URI %q", clip(s))
		}
		a, err := mail.ParseAddress(addr)
		if err != nil || a.Name != "" || strings.ContainsAny(a.Address, "\r\n") {
			return fmt.Errorf("tlsrpt: bad mailto address %q", clip(addr))
		}
		r.Mailto = append(r.Mailto, a.Address)
	case "https":
		if u.Host == "" {
			return fmt.Errorf("tlsrpt: https URI without a host %q", clip(s))
		}
		r.HTTPS = append(r.HTTPS, u.String())
	}
	return nil
}

// findRecord picks the one TLSRPT record among a domain's TXT records:
// RFC 8460 3: with none, or more than one, the domain has no TLSRPT.
func findRecord(txts []string) (*Record, error) {
	var found []string
	for _, t := range txts {
		if strings.HasPrefix(t, "v=TLSRPTv1") {
			found = append(found, t)
		}
	}
	if len(found) != 1 {
		return nil, fmt.Errorf("tlsrpt: %d TLSRPT records", len(found))
	}
	return ParseRecord(found[0])
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
