package delivery

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"unicode/utf8"
)

// Limits of the aliases parser: a file is meant for people to edit, and
// these are far above what one needs.
const (
	maxAliasLine    = 64 << 10 // bytes in one entry, continuation lines included
	maxAliasTargets = 1000     // targets of one alias
	maxAliasName    = 254      // RFC 5321 4.5.3.1.3: a path is at most 256 octets with its brackets
)

// Aliases maps local names to their targets, in the format of
// /etc/aliases (aliases(5)):
//
//	# comment
//	postmaster: root
//	root:       alice
//	team:       alice, bob,
//	            carol@example.net
//	sales@example.org: bob
//
// A name is a local part (matching that name at every local domain) or
// a full address (matching at that domain only, for hosting several
// domains). A name may also be a pattern, tried only for addresses that
// no alias or account names exactly: "*" in the local part matches any
// text ("*-dev@example.org", "bounces-*"), and "@example.org" is the
// catch-all of a domain, which takes every address there that nothing
// else takes. The pattern with the most literal characters wins, one
// with a domain before one without. A domain without a catch-all still
// refuses unknown users at RCPT, so no mail is accepted that would later
// bounce. Targets are local users, other aliases (expanded in turn),
// or addresses at other domains, which mail is forwarded to. Entries are
// separated by commas and may continue on lines that start with white
// space; lines whose first non-blank character is '#' are comments, also
// inside a list. Names are matched without regard to ASCII case.
//
// Program (|cmd), file (/path) and :include: targets are refused: they
// would run code or write files with the server's privileges.
//
// An Aliases is safe for concurrent use; Update replaces its contents
// atomically, for a reload while the server runs.
type Aliases struct {
	m atomic.Pointer[aliasTable]
}

// aliasTable is the parsed file: names matched exactly, and patterns in
// the order they are tried.
type aliasTable struct {
	exact map[string][]string
	wild  []wildAlias
}

// wildAlias is a pattern alias: a glob on the local part, at a domain or
// (domain "") at every local domain.
type wildAlias struct {
	name, local, domain string
	targets             []string
}

func newAliasTable(m map[string][]string) *aliasTable {
	t := &aliasTable{exact: map[string][]string{}}
	for name, targets := range m {
		if !isAliasPattern(name) {
			t.exact[name] = targets
			continue
		}
		local, domain := splitAddress(name)
		t.wild = append(t.wild, wildAlias{name: name, local: local, domain: domain, targets: targets})
	}
	// Most specific first: more literal characters, then a domain.
	slices.SortFunc(t.wild, func(a, b wildAlias) int {
		if c := cmp.Compare(len(b.local)-strings.Count(b.local, "*"), len(a.local)-strings.Count(a.local, "*")); c != 0 {
			return c
		}
		if c := cmp.Compare(len(b.domain), len(a.domain)); c != 0 && (a.domain == "" || b.domain == "") {
			return c
		}
		return strings.Compare(a.name, b.name)
	})
	return t
}

// isAliasPattern tells a pattern name ("*" in the local part; a
// catch-all "@domain" is parsed as "*@domain") from a plain one.
func isAliasPattern(name string) bool { return strings.Contains(name, "*") }

// ParseAliases reads an aliases file. An error names the offending line.
func ParseAliases(r io.Reader) (*Aliases, error) {
	m, err := parseAliases(r)
	if err != nil {
		return nil, err
	}
	a := new(Aliases)
	a.m.Store(newAliasTable(m))
	return a, nil
}

// LoadAliases reads the aliases file at path.
func LoadAliases(path string) (*Aliases, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	a, err := ParseAliases(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return a, nil
}

// Lookup returns the targets of name ("team" or "team@example.org"),
// matched without regard to ASCII case. The slice must not be modified.
func (a *Aliases) Lookup(name string) ([]string, bool) {
	if a == nil {
		return nil, false
	}
	m := a.m.Load()
	if m == nil {
		return nil, false
	}
	t, ok := m.exact[strings.ToLower(name)]
	return t, ok
}

// Match returns the targets of the first pattern alias that matches addr
// (a full address at a local domain), and the pattern as the file wrote
// it (lower case). Exact names are Lookup's.
func (a *Aliases) Match(addr string) (targets []string, pattern string, ok bool) {
	if a == nil {
		return nil, "", false
	}
	m := a.m.Load()
	if m == nil {
		return nil, "", false
	}
	local, domain := splitAddress(strings.ToLower(addr))
	for _, w := range m.wild {
		if (w.domain == "" || sameDomain(w.domain, domain)) && globMatch(w.local, local) {
			return w.targets, w.name, true
		}
	}
	return nil, "", false
}

// Len returns the number of aliases, patterns included.
func (a *Aliases) Len() int {
	if m := a.m.Load(); m != nil {
		return len(m.exact) + len(m.wild)
	}
	return 0
}

// Update replaces the contents of a with those of b (a reload, e.g. on
// SIGHUP); lookups in progress see either the old or the new set.
func (a *Aliases) Update(b *Aliases) {
	a.m.Store(b.m.Load())
}

// parseAliases is the parser proper, separate from I/O state so that it
// can be fuzzed.
func parseAliases(r io.Reader) (map[string][]string, error) {
	m := make(map[string][]string)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), maxAliasLine)
	var entry strings.Builder
	entryLine, lineNo := 0, 0
	flush := func() error {
		if entry.Len() == 0 {
			return nil
		}
		name, targets, err := parseAliasEntry(entry.String())
		entry.Reset()
		if err != nil {
			return fmt.Errorf("line %d: %w", entryLine, err)
		}
		if _, dup := m[name]; dup {
			return fmt.Errorf("line %d: alias %q defined twice", entryLine, name)
		}
		m[name] = targets
		return nil
	}
	for sc.Scan() {
		lineNo++
		line := strings.TrimSuffix(sc.Text(), "\r")
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "" || trimmed[0] == '#':
			// Comments and blank lines do not end an entry: an indented
			// line after them still continues it.
			continue
		case line[0] == ' ' || line[0] == '\t':
			if entry.Len() == 0 {
				return nil, fmt.Errorf("line %d: continuation line without an alias", lineNo)
			}
			if entry.Len()+len(trimmed) > maxAliasLine {
				return nil, fmt.Errorf("line %d: entry too long", lineNo)
			}
			entry.WriteByte(' ')
			entry.WriteString(trimmed)
		default:
			if err := flush(); err != nil {
				return nil, err
			}
			entry.WriteString(trimmed)
			entryLine = lineNo
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("line %d: line too long", lineNo+1)
		}
		return nil, err
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return m, nil
}

// parseAliasEntry parses "name: target, target, ...".
func parseAliasEntry(s string) (string, []string, error) {
	name, list, ok := strings.Cut(s, ":")
	if !ok {
		return "", nil, errors.New(`missing ":" after the alias name`)
	}
	name = strings.TrimSpace(name)
	if err := checkAliasName(name); err != nil {
		return "", nil, fmt.Errorf("alias name: %w", err)
	}
	if strings.HasPrefix(name, "@") {
		name = "*" + name // the catch-all is the pattern of every local part
	}
	var targets []string
	for t := range strings.SplitSeq(list, ",") {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		switch {
		case strings.HasPrefix(t, "|"), strings.HasPrefix(t, "/"), strings.HasPrefix(t, `"|`), strings.HasPrefix(t, `"/`):
			return "", nil, fmt.Errorf("alias %q: program and file targets are not supported: %q", name, t)
		case strings.HasPrefix(strings.ToLower(t), ":include:"):
			return "", nil, fmt.Errorf("alias %q: :include: is not supported", name)
		}
		t = strings.TrimSuffix(strings.TrimPrefix(t, "<"), ">")
		if strings.Contains(t, "*") {
			return "", nil, fmt.Errorf("alias %q: target %q: wildcards are for alias names only", name, t)
		}
		if err := checkAliasWord(t); err != nil {
			return "", nil, fmt.Errorf("alias %q: target %q: %w", name, t, err)
		}
		if len(targets) == maxAliasTargets {
			return "", nil, fmt.Errorf("alias %q: more than %d targets", name, maxAliasTargets)
		}
		targets = append(targets, t)
	}
	if len(targets) == 0 {
		return "", nil, fmt.Errorf("alias %q has no targets", name)
	}
	return strings.ToLower(name), targets, nil
}

// checkAliasName checks an alias name: a word as checkAliasWord allows,
// or a pattern: "@domain", or "*" wildcards in the local part.
func checkAliasName(s string) error {
	if domain, ok := strings.CutPrefix(s, "@"); ok {
		if domain == "" || strings.ContainsAny(domain, "@*") {
			return errors.New("malformed catch-all: want @domain")
		}
		return checkAliasWord("x" + s)
	}
	if _, domain := splitAddress(s); strings.Contains(domain, "*") {
		return errors.New("wildcard in the domain")
	}
	return checkAliasWord(s)
}

// globMatch reports whether s matches pattern, where "*" matches any
// text (also none). Backtracking only to the last "*" keeps it linear
// in practice and quadratic at worst.
func globMatch(pattern, s string) bool {
	p, i := 0, 0
	star, next := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, next = p, i
			p++
		case p < len(pattern) && pattern[p] == s[i]:
			p++
			i++
		case star >= 0:
			p, next = star+1, next+1
			i = next
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// checkAliasWord checks a name or target: a local part or an address, with
// no white space, control characters, quotes or list syntax, at most one
// '@' with something on both sides.
func checkAliasWord(s string) error {
	if s == "" {
		return errors.New("empty")
	}
	if len(s) > maxAliasName {
		return errors.New("too long")
	}
	if !utf8.ValidString(s) {
		return errors.New("invalid UTF-8")
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c <= ' ' || c == 0x7f:
			return errors.New("white space or control character")
		case c == '"' || c == ',' || c == ':' || c == '<' || c == '>' || c == '(' || c == ')' || c == '\\' || c == ';':
			return fmt.Errorf("character %q not allowed", c)
		}
	}
	if at := strings.IndexByte(s, '@'); at >= 0 {
		if at == 0 || at == len(s)-1 || strings.IndexByte(s[at+1:], '@') >= 0 {
			return errors.New("malformed address")
		}
	}
	return nil
}
