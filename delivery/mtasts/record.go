package mtasts

import (
	"errors"
	"fmt"
	"strings"
)

// Record is the _mta-sts TXT record of a domain (RFC 8461 3.1).
type Record struct {
	// ID identifies the current policy: a change tells senders to fetch
	// it again. 1 to 32 letters and digits.
	ID string
}

// errNoRecord: no TXT record of the domain starts with "v=STSv1".
var errNoRecord = errors.New("mtasts: no _mta-sts record")

// ParseRecord parses the TXT record "v=STSv1; id=20160831085700Z;". The
// version must come first; unknown fields are ignored; of repeated
// fields the first counts (RFC 8461 3.1).
func ParseRecord(txt string) (*Record, error) {
	var r Record
	seen := map[string]bool{}
	for i, field := range strings.Split(txt, ";") {
		field = strings.Trim(field, " \t")
		if field == "" && i > 0 {
			continue // a trailing ';' or an empty field
		}
		key, value, ok := strings.Cut(field, "=")
		if !ok || !validKey(key) {
			return nil, fmt.Errorf("mtasts: bad record field %q", clip(field))
		}
		if i == 0 {
			if key != "v" || value != "STSv1" {
				return nil, fmt.Errorf("mtasts: record does not start with v=STSv1")
			}
			continue
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		if key == "id" {
			if value == "" || len(value) > 32 || strings.IndexFunc(value, func(c rune) bool { return c > 0x7f || !isAlnum(byte(c)) }) >= 0 {
				return nil, fmt.Errorf("mtasts: bad id %q", clip(value))
			}
			r.ID = value
		}
	}
	if r.ID == "" {
		return nil, errors.New("mtasts: record without id")
	}
	return &r, nil
}

// findRecord picks the one STS record among a domain's TXT records. RFC
// 8461 3.1: records that do not start with "v=STSv1" are ignored; if
// other than one remains, or it is invalid, the domain has no policy.
func findRecord(txts []string) (*Record, error) {
	var found []string
	for _, t := range txts {
		if strings.HasPrefix(t, "v=STSv1") {
			found = append(found, t)
		}
	}
	switch len(found) {
	case 0:
		return nil, errNoRecord
	case 1:
		return ParseRecord(found[0])
	}
	return nil, fmt.Errorf("mtasts: %d _mta-sts records", len(found))
}
