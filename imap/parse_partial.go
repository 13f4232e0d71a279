package imap

// partialRange reads an RFC 9394 4 partial-range:
//
//	partial-range       = partial-range-first / partial-range-last
//	partial-range-first = nz-number ":" nz-number
//	partial-range-last  = MINUS nz-number ":" MINUS nz-number
//
// "*" is not allowed, and both ends have the same sign.
func (p *parser) partialRange() (partialRange, error) {
	var r partialRange
	r.FromEnd = p.accept('-')
	a, err := p.nzNumber()
	if err != nil {
		return r, badf("Invalid partial range")
	}
	if !p.accept(':') {
		return r, badf("Invalid partial range: expected first:last")
	}
	if p.accept('-') != r.FromEnd {
		return r, badf("Invalid partial range: both ends must have the same sign")
	}
	b, err := p.nzNumber()
	if err != nil {
		return r, badf("Invalid partial range")
	}
	r.First, r.Last = min(a, b), max(a, b)
	return r, nil
}
