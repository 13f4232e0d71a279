package sieve

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// comparator is a collation (RFC 4790, RFC 5228 2.7.3).
type comparator int

const (
	cmpOctet   comparator = iota // i;octet
	cmpCasemap                   // i;ascii-casemap, the default
	cmpNumeric                   // i;ascii-numeric
)

// matchType is how values are compared with keys (RFC 5228 2.7.1,
// RFC 5231, draft-ietf-sieve-regex).
type matchType int

const (
	matchIs matchType = iota
	matchContains
	matchMatches
	matchRegex
	matchValue
	matchCount
)

// relation is a relational operator (RFC 5231 5).
type relation int

const (
	relGT relation = iota
	relGE
	relLT
	relLE
	relEQ
	relNE
)

var relations = map[string]relation{"gt": relGT, "ge": relGE, "lt": relLT, "le": relLE, "eq": relEQ, "ne": relNE}

// holds reports whether a comparison result c (-1, 0, 1) satisfies rel.
func (rel relation) holds(c int) bool {
	switch rel {
	case relGT:
		return c > 0
	case relGE:
		return c >= 0
	case relLT:
		return c < 0
	case relLE:
		return c <= 0
	case relEQ:
		return c == 0
	}
	return c != 0
}

// matchTags are the tags of every test that compares: COMPARATOR and
// MATCH-TYPE (RFC 5228 2.7).
var matchTags = []tagSpec{
	{name: "comparator", group: "comparator", param: ArgString},
	{name: "is", group: "match"},
	{name: "contains", group: "match"},
	{name: "matches", group: "match"},
	{name: "regex", ext: "regex", group: "match"},
	{name: "value", ext: "relational", group: "match", param: ArgString},
	{name: "count", ext: "relational", group: "match", param: ArgString},
}

// matcher is a compiled COMPARATOR, MATCH-TYPE and key list.
type matcher struct {
	cmp   comparator
	typ   matchType
	rel   relation
	keys  []str
	regex []*regexp.Regexp // compiled constant keys of :regex
}

// compileMatcher reads the match tags of b and the key list keys.
func (c *compiler) compileMatcher(b *bound, keys Arg) (*matcher, error) {
	m := &matcher{cmp: cmpCasemap, typ: matchIs}
	if a, ok := b.tag("comparator"); ok {
		name := strings.ToLower(a.Strs[0])
		switch name {
		case "i;octet":
			m.cmp = cmpOctet
		case "i;ascii-casemap":
			m.cmp = cmpCasemap
		case "i;ascii-numeric":
			if !c.has("comparator-i;ascii-numeric") {
				return nil, errorf(a.Pos, "comparator %s is not required", a.Strs[0])
			}
			m.cmp = cmpNumeric
		default:
			return nil, errorf(a.Pos, "unknown comparator %q", a.Strs[0])
		}
	}
	switch b.group("match") {
	case "contains":
		m.typ = matchContains
	case "matches":
		m.typ = matchMatches
	case "regex":
		m.typ = matchRegex
	case "value", "count":
		m.typ = matchValue
		if b.group("match") == "count" {
			m.typ = matchCount
		}
		a := b.tagArg(b.group("match"))
		rel, ok := relations[strings.ToLower(a.Strs[0])]
		if !ok {
			return nil, errorf(a.Pos, "invalid relational operator %q", a.Strs[0])
		}
		m.rel = rel
	}
	if m.cmp == cmpNumeric && (m.typ == matchContains || m.typ == matchMatches || m.typ == matchRegex) {
		// RFC 4790 9.1: i;ascii-numeric offers equality and ordering
		// only.
		return nil, errorf(b.tagPos(b.group("match")), "comparator i;ascii-numeric does not support :%s", b.group("match"))
	}
	var err error
	if m.keys, err = c.strs(keys); err != nil {
		return nil, err
	}
	if m.typ == matchRegex {
		m.regex = make([]*regexp.Regexp, len(m.keys))
		for i, k := range m.keys {
			if !k.constant() {
				continue
			}
			if m.regex[i], err = compileRegex(k.lit, m.cmp); err != nil {
				return nil, errorf(keys.StrPos[i], "invalid regular expression %q: %v", k.lit, err)
			}
		}
	}
	return m, nil
}

// compileRegex compiles a POSIX extended regular expression as
// Pigeonhole does (REG_EXTENDED, REG_ICASE for i;ascii-casemap), with
// Go's RE2 engine: leftmost-longest matching, "." matching newlines.
// RE2 refuses back-references, which glibc's regcomp accepts, and reads
// Perl escapes such as \d and \w as classes.
func compileRegex(expr string, cmp comparator) (*regexp.Regexp, error) {
	flags := "(?s)"
	if cmp == cmpCasemap {
		flags = "(?is)"
	}
	re, err := regexp.Compile(flags + expr)
	if err != nil {
		return nil, err
	}
	re.Longest()
	return re, nil
}

// match tests the values against the keys: true when any value matches
// any key (RFC 5228 2.7.1), or for :count when the number of values
// does. On success the match variables of :matches and :regex are set
// (RFC 5229 3.2).
func (m *matcher) match(r *run, values []string) (bool, error) {
	if m.typ == matchCount {
		count := strconv.Itoa(len(values))
		for _, k := range m.keys {
			if err := r.step(1); err != nil {
				return false, err
			}
			if m.rel.holds(compare(m.cmp, count, r.expand(k))) {
				return true, nil
			}
		}
		return false, nil
	}
	return m.matchKeys(r, values, r.expandAll(m.keys))
}

// matchKeys is match with the keys already expanded.
func (m *matcher) matchKeys(r *run, values, keys []string) (bool, error) {
	// :contains under i;ascii-casemap: fold each string once.
	fold := m.typ == matchContains && m.cmp == cmpCasemap
	if fold {
		keys = slices.Clone(keys)
		for i, k := range keys {
			keys[i] = asciiLower(k)
		}
	}
	for _, v := range values {
		if fold {
			v = asciiLower(v)
		}
		for i, k := range keys {
			if err := r.step(m.cost(v, k)); err != nil {
				return false, err
			}
			ok, caps, err := m.matchOne(r, v, k, i)
			if err != nil {
				return false, err
			}
			if ok {
				if caps != nil {
					r.matches = caps
				}
				return true, nil
			}
		}
	}
	return false, nil
}

// cost is the steps one comparison takes: one, and more for long
// strings, so that Limits.MaxSteps bounds the CPU that large headers and
// keys can take.
func (m *matcher) cost(v, k string) int {
	switch m.typ {
	case matchMatches, matchRegex:
		return 1 + len(v)*(len(k)+1)>>12
	}
	return 1 + (len(v)+len(k))>>10
}

// matchOne compares one value with one key (the i-th).
func (m *matcher) matchOne(r *run, v, k string, i int) (bool, []string, error) {
	switch m.typ {
	case matchIs:
		return compare(m.cmp, v, k) == 0, nil, nil
	case matchContains:
		// Under i;ascii-casemap, matchKeys folded both already.
		return strings.Contains(v, k), nil, nil
	case matchMatches:
		caps, ok := glob(k, v, m.cmp == cmpCasemap, r.wantMatches())
		return ok, caps, nil
	case matchRegex:
		var re *regexp.Regexp
		if i < len(m.regex) {
			re = m.regex[i]
		}
		if re == nil {
			var err error
			if re, err = compileRegex(k, m.cmp); err != nil {
				return false, nil, r.errorf("invalid regular expression %q: %v", k, err)
			}
		}
		if !r.wantMatches() {
			return re.MatchString(v), nil, nil
		}
		idx := re.FindStringSubmatchIndex(v)
		if idx == nil {
			return false, nil, nil
		}
		caps := make([]string, 0, min(len(idx)/2, maxMatchIndex+1))
		for j := 0; j+1 < len(idx) && len(caps) <= maxMatchIndex; j += 2 {
			if idx[j] < 0 {
				caps = append(caps, "")
			} else {
				caps = append(caps, v[idx[j]:idx[j+1]])
			}
		}
		return true, caps, nil
	case matchValue:
		return m.rel.holds(compare(m.cmp, v, k)), nil, nil
	}
	return false, nil, nil
}

// wantMatches reports whether match variables are kept: only scripts
// that require variables can read them.
func (r *run) wantMatches() bool {
	return r.frames[len(r.frames)-1].script.requires["variables"]
}

// compare orders a and b under a comparator: -1, 0 or 1.
func compare(cmp comparator, a, b string) int {
	switch cmp {
	case cmpOctet:
		return strings.Compare(a, b)
	case cmpNumeric:
		return compareNumeric(a, b)
	}
	// RFC 4790 9.2: i;ascii-casemap maps a-z to A-Z, then compares
	// octets.
	for i := 0; i < len(a) && i < len(b); i++ {
		ca, cb := upper(a[i]), upper(b[i])
		if ca != cb {
			if ca < cb {
				return -1
			}
			return 1
		}
	}
	switch {
	case len(a) < len(b):
		return -1
	case len(a) > len(b):
		return 1
	}
	return 0
}

func upper(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

// compareNumeric is i;ascii-numeric (RFC 4790 9.1.1): the value of a
// string is the number its leading digits make; a string that does not
// start with a digit is positive infinity.
func compareNumeric(a, b string) int {
	da, db := leadingDigits(a), leadingDigits(b)
	switch {
	case da == "" && db == "":
		return 0
	case da == "":
		return 1
	case db == "":
		return -1
	}
	da, db = strings.TrimLeft(da, "0"), strings.TrimLeft(db, "0")
	if len(da) != len(db) {
		if len(da) < len(db) {
			return -1
		}
		return 1
	}
	return strings.Compare(da, db)
}

func leadingDigits(s string) string {
	i := 0
	for i < len(s) && isDigit(int(s[i])) {
		i++
	}
	return s[:i]
}

// asciiLower maps A-Z to a-z and leaves every other byte alone.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				b[j] = lower(b[j])
			}
			return string(b)
		}
	}
	return s
}
