package imap

import "strconv"

// partialRange is an RFC 9394 partial-range: positions in a list of
// results, the first being 1. FromEnd counts from the last result (-1 is
// the last, -2 the one before): "-1:-100" is the newest hundred. First <=
// Last always; "4:2" is stored as 2:4 (RFC 9394 4: a range 500:400 is the
// same as 400:500).
type partialRange struct {
	First, Last uint32
	FromEnd     bool
}

// window returns the indexes lo..hi (hi excluded) of the results that the
// range selects in a list of n; ok is false when it selects none (the
// response then carries NIL, RFC 9394 3.1).
func (r partialRange) window(n int) (lo, hi int, ok bool) {
	if int64(r.First) > int64(n) {
		return 0, 0, false
	}
	last := min(int64(r.Last), int64(n))
	if r.FromEnd {
		return n - int(last), n - int(r.First) + 1, true
	}
	return int(r.First) - 1, int(last), true
}

// appendTo appends the range as the client should see it echoed.
func (r partialRange) appendTo(b []byte) []byte {
	if r.FromEnd {
		b = append(b, '-')
	}
	b = strconv.AppendUint(b, uint64(r.First), 10)
	b = append(b, ':')
	if r.FromEnd {
		b = append(b, '-')
	}
	return strconv.AppendUint(b, uint64(r.Last), 10)
}

// String returns the range as appendTo writes it.
func (r partialRange) String() string { return string(r.appendTo(nil)) }

// slice returns the runs of x that r selects, by position in x (x in
// mailbox order): the UID FETCH PARTIAL modifier of RFC 9394 3.3.
func (x msgRuns) slice(r partialRange) msgRuns {
	lo, hi, ok := r.window(x.Len())
	if !ok {
		return nil
	}
	var out msgRuns
	pos := 0
	for _, run := range x {
		n := run.hi - run.lo + 1
		// The part of this run between positions lo and hi.
		a, b := max(lo, pos), min(hi, pos+n)
		if a < b {
			out = append(out, msgRun{run.lo + a - pos, run.lo + b - pos - 1})
		}
		pos += n
		if pos >= hi {
			break
		}
	}
	return out
}
