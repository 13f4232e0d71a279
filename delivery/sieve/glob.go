package sieve

// globElem is one position of a :matches pattern segment: a literal
// byte, or "?" (any).
type globElem struct {
	c   byte
	any bool
}

// glob matches v against a :matches pattern (RFC 5228 2.7.1): "*"
// matches any run of octets, "?" exactly one, and "\" quotes the next
// character. With capture, it also returns the match variables of
// RFC 5229 3.2: ${0} is v, then what each wildcard matched, in order;
// each "*" matches as little as it can, as in Pigeonhole.
//
// The pattern is split at "*" into segments: the first must match at the
// start, the last at the end, and each one between at its earliest
// place, which never loses a match that a later place would allow.
func glob(pat, v string, fold, capture bool) ([]string, bool) {
	var segs [][]globElem
	var cur []globElem
	for i := 0; i < len(pat); i++ {
		switch c := pat[i]; c {
		case '\\':
			if i+1 < len(pat) {
				i++
			}
			cur = append(cur, globElem{c: pat[i]})
		case '*':
			segs = append(segs, cur)
			cur = nil
		case '?':
			cur = append(cur, globElem{any: true})
		default:
			cur = append(cur, globElem{c: c})
		}
	}
	segs = append(segs, cur)

	var caps []string
	add := func(s string) {
		if capture && len(caps) <= maxMatchIndex {
			caps = append(caps, s)
		}
	}
	addAny := func(seg []globElem, at int) {
		for k, e := range seg {
			if e.any {
				add(v[at+k : at+k+1])
			}
		}
	}
	add(v)
	first := segs[0]
	if len(segs) == 1 {
		if len(v) != len(first) || !segmentAt(first, v, 0, fold) {
			return nil, false
		}
		addAny(first, 0)
		return caps, true
	}
	if !segmentAt(first, v, 0, fold) {
		return nil, false
	}
	addAny(first, 0)
	pos := len(first)
	for _, seg := range segs[1 : len(segs)-1] {
		j := pos
		for ; j+len(seg) <= len(v); j++ {
			if segmentAt(seg, v, j, fold) {
				break
			}
		}
		if j+len(seg) > len(v) {
			return nil, false
		}
		add(v[pos:j])
		addAny(seg, j)
		pos = j + len(seg)
	}
	last := segs[len(segs)-1]
	start := len(v) - len(last)
	if start < pos || !segmentAt(last, v, start, fold) {
		return nil, false
	}
	add(v[pos:start])
	addAny(last, start)
	return caps, true
}

// segmentAt reports whether seg matches v at offset at.
func segmentAt(seg []globElem, v string, at int, fold bool) bool {
	if at+len(seg) > len(v) {
		return false
	}
	for k, e := range seg {
		if e.any {
			continue
		}
		c := v[at+k]
		if c != e.c && !(fold && lower(c) == lower(e.c)) {
			return false
		}
	}
	return true
}
