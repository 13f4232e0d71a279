package spf

import (
	"context"
	"strconv"
	"strings"
)

// macroContext gives the macro letters their values for one domain of a
// check (RFC 7208 7.2).
type macroContext struct {
	ctx    context.Context
	ch     *check
	domain string
}

func (m macroContext) macroValue(letter byte) (string, error) {
	ch := m.ch
	switch letter {
	case 's':
		return ch.local + "@" + ch.senderDomain, nil
	case 'l':
		return ch.local, nil
	case 'o':
		return ch.senderDomain, nil
	case 'd':
		return m.domain, nil
	case 'i':
		return dottedIP(ch.ip), nil
	case 'p':
		return ch.validatedName(m.ctx, m.domain)
	case 'v':
		if ch.ip.Is4() {
			return "in-addr", nil
		}
		return "ip6", nil
	case 'h':
		return ch.helo, nil
	case 'c':
		return ch.ip.String(), nil
	case 'r':
		if ch.Receiver == "" {
			return "unknown", nil
		}
		return ch.Receiver, nil
	case 't':
		return strconv.FormatInt(ch.now.Unix(), 10), nil
	}
	return "", nil // parseMacroExpand lets no other letter through
}

// validatedName is %{p}: domain itself if it is a validated name of the
// client, else a validated subdomain of it, else any validated name, else
// "unknown" (RFC 7208 7.3). Its lookups count like a ptr mechanism's
// (RFC 7208 4.6.4).
func (ch *check) validatedName(ctx context.Context, domain string) (string, error) {
	if !ch.validatedDone {
		if o, ok := ch.countLookup(); !ok {
			return "", &errLimit{o.err.Error()}
		}
	}
	names, err := ch.validatedNames(ctx)
	if err != nil {
		return "", err
	}
	for _, n := range names {
		if strings.EqualFold(n, domain) {
			return n, nil
		}
	}
	for _, n := range names {
		if hasSuffixFold(n, "."+domain) {
			return n, nil
		}
	}
	if len(names) > 0 {
		return names[0], nil
	}
	return "unknown", nil
}

// target expands a domain-spec into the name to look up: without a final
// dot, and shortened from the left to 253 octets (RFC 7208 7.3).
func (ch *check) target(ctx context.Context, spec MacroString, domain string) (string, error) {
	name, err := spec.expand(macroContext{ctx, ch, domain})
	if err != nil {
		return "", err
	}
	name = strings.TrimSuffix(name, ".")
	for len(name) > 253 {
		i := strings.IndexByte(name, '.')
		if i < 0 {
			break
		}
		name = name[i+1:]
	}
	return name, nil
}

// explanation is the text of a fail (RFC 7208 6.2): the expansion of the
// one TXT record at the exp= target, or the Checker's default when there
// is no exp=, no single record, or anything in it is wrong.
func (ch *check) explanation(ctx context.Context, rec *Record, domain string) string {
	env := macroContext{ctx, ch, domain}
	if !rec.Exp.IsZero() {
		if text, ok := ch.domainExplanation(ctx, rec.Exp, env); ok {
			return text
		}
	}
	def := ch.Explanation
	if def == "" {
		def = DefaultExplanation
	}
	if text, ok := expandExplanation(def, env); ok {
		return text
	}
	return ""
}

func (ch *check) domainExplanation(ctx context.Context, spec MacroString, env macroContext) (string, bool) {
	name, err := ch.target(ctx, spec, env.domain)
	if err != nil || !validDomain(name, false) {
		return "", false
	}
	// RFC 7208 6.2: the exp lookup does not count toward the limits.
	txts, err := ch.resolver.LookupTXT(ctx, name)
	if err != nil || len(txts) != 1 {
		return "", false
	}
	return expandExplanation(txts[0], env)
}

// expandExplanation expands an explain-string; the result must be
// printable ASCII of a bounded length, since it reaches an SMTP reply.
func expandExplanation(s string, env macroContext) (string, bool) {
	m, err := parseMacroString(s, true)
	if err != nil {
		return "", false
	}
	text, err := m.expand(env)
	if err != nil || len(text) > maxExplanation {
		return "", false
	}
	for i := 0; i < len(text); i++ {
		if text[i] < ' ' || text[i] > '~' {
			return "", false
		}
	}
	return text, true
}
