package imap

import (
	"errors"
	"iter"
	"slices"
	"strconv"
)

// SeqRange is a range of message sequence numbers or UIDs, Start to Stop
// inclusive. Zero stands for "*", the largest number in use (RFC 9051
// 9, seq-number): numbers proper are never zero. A parsed range is
// normalised: Start <= Stop when both are numbers, and a range with one "*"
// keeps the number in Start.
type SeqRange struct {
	Start, Stop uint32
}

// SeqSet is an RFC 3501 sequence-set, kept as the ranges the client wrote
// (never expanded into a list of numbers), in the client's order.
type SeqSet struct {
	// Ranges are the ranges in the order written.
	Ranges []SeqRange
	// saved is set for "$", the result saved by SEARCH RETURN (SAVE)
	// (RFC 5182 2.1); Ranges is then empty.
	saved bool
}

// defaultMaxSeqRanges is the number of ranges parseSeqSetString accepts.
const defaultMaxSeqRanges = 16384

// Errors returned by parseSeqSetString.
var (
	errSeqSetSyntax   = errors.New("imap: invalid sequence set")
	errSeqSetTooLarge = errors.New("imap: too many ranges in sequence set")
)

func parseSeqSet(s []byte, maxRanges int) (SeqSet, error) {
	if len(s) == 1 && s[0] == '$' {
		return SeqSet{saved: true}, nil
	}
	if len(s) == 0 {
		return SeqSet{}, errSeqSetSyntax
	}
	// Count ranges first so that the slice is allocated once, at its size,
	// and only after the limit check.
	n := 1
	for _, c := range s {
		if c == ',' {
			n++
		}
	}
	if n > maxRanges {
		return SeqSet{}, errSeqSetTooLarge
	}
	set := SeqSet{Ranges: make([]SeqRange, 0, n)}
	for len(s) > 0 {
		a, rest, ok := parseSeqNumber(s)
		if !ok {
			return SeqSet{}, errSeqSetSyntax
		}
		b := a
		if len(rest) > 0 && rest[0] == ':' {
			if b, rest, ok = parseSeqNumber(rest[1:]); !ok {
				return SeqSet{}, errSeqSetSyntax
			}
		}
		set.Ranges = append(set.Ranges, normRange(a, b))
		if len(rest) > 0 {
			if rest[0] != ',' || len(rest) == 1 {
				return SeqSet{}, errSeqSetSyntax
			}
			rest = rest[1:]
		}
		s = rest
	}
	return set, nil
}

func normRange(a, b uint32) SeqRange {
	switch {
	case a == 0:
		return SeqRange{b, 0}
	case b == 0:
		return SeqRange{a, 0}
	case a > b:
		return SeqRange{b, a}
	}
	return SeqRange{a, b}
}

// parseSeqNumber parses nz-number / "*" (0 for "*").
func parseSeqNumber(s []byte) (uint32, []byte, bool) {
	if len(s) == 0 {
		return 0, s, false
	}
	if s[0] == '*' {
		return 0, s[1:], true
	}
	if s[0] < '1' || s[0] > '9' {
		return 0, s, false
	}
	var n uint64
	i := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		n = n*10 + uint64(s[i]-'0')
		if n > 0xffffffff {
			return 0, s, false
		}
	}
	return uint32(n), s[i:], true
}

// IsEmpty reports whether the set has no ranges and is not "$".
func (s SeqSet) IsEmpty() bool { return len(s.Ranges) == 0 && !s.saved }

// Dynamic reports whether the set uses "*", whose meaning depends on the
// mailbox.
func (s SeqSet) Dynamic() bool {
	for _, r := range s.Ranges {
		if r.Start == 0 || r.Stop == 0 {
			return true
		}
	}
	return false
}

// resolve returns the range with "*" replaced by max, ordered low to high.
func (r SeqRange) resolve(max uint32) (lo, hi uint32) {
	lo, hi = r.Start, r.Stop
	if lo == 0 {
		lo = max
	}
	if hi == 0 {
		hi = max
	}
	if lo > hi {
		lo, hi = hi, lo
	}
	return lo, hi
}

// Contains reports whether n is in the set, "*" standing for max (the
// number of messages, or the largest UID in use). RFC 9051 6.4.8:
// a UID range "559:*" includes the largest UID even when it is below 559.
// "$" must be resolved by the caller: it contains nothing here.
func (s SeqSet) Contains(n, max uint32) bool {
	if n == 0 {
		return false
	}
	for _, r := range s.Ranges {
		lo, hi := r.resolve(max)
		if lo <= n && n <= hi {
			return true
		}
	}
	return false
}

// All yields each range as (lo, hi) with "*" replaced by max, lo <= hi and
// lo >= 1, in the order written. Ranges may overlap; use Resolve first to
// visit each number once and in order. A range that resolves to nothing
// (only "*" in an empty mailbox) is skipped.
func (s SeqSet) All(max uint32) iter.Seq2[uint32, uint32] {
	return func(yield func(uint32, uint32) bool) {
		for _, r := range s.Ranges {
			lo, hi := r.resolve(max)
			if hi == 0 {
				continue
			}
			if lo == 0 {
				lo = 1
			}
			if !yield(lo, hi) {
				return
			}
		}
	}
}

// Resolve returns the set with "*" replaced by max and its ranges sorted
// and merged, so that each number appears once, in increasing order. The
// result is a new set; s is not modified.
func (s SeqSet) Resolve(max uint32) SeqSet {
	out := SeqSet{Ranges: make([]SeqRange, 0, len(s.Ranges))}
	for lo, hi := range s.All(max) {
		out.Ranges = append(out.Ranges, SeqRange{lo, hi})
	}
	slices.SortFunc(out.Ranges, func(a, b SeqRange) int {
		switch {
		case a.Start < b.Start:
			return -1
		case a.Start > b.Start:
			return 1
		}
		return 0
	})
	merged := out.Ranges[:0]
	for _, r := range out.Ranges {
		if n := len(merged); n > 0 && uint64(r.Start) <= uint64(merged[n-1].Stop)+1 {
			if r.Stop > merged[n-1].Stop {
				merged[n-1].Stop = r.Stop
			}
			continue
		}
		merged = append(merged, r)
	}
	out.Ranges = merged
	return out
}

// Max returns the largest number in the set after resolving "*" to max, or
// 0 if the set is empty.
func (s SeqSet) Max(max uint32) uint32 {
	var m uint32
	for _, hi := range s.All(max) {
		if hi > m {
			m = hi
		}
	}
	return m
}

// String returns the set in compact form: ranges in their order, a range of
// one number written as that number, "*" as "*"; "$" for a saved result.
func (s SeqSet) String() string {
	return string(s.appendTo(nil))
}

// appendTo appends the compact form of the set to b.
func (s SeqSet) appendTo(b []byte) []byte {
	if s.saved {
		return append(b, '$')
	}
	for i, r := range s.Ranges {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendSeqNumber(b, r.Start)
		if r.Start != r.Stop {
			b = append(b, ':')
			b = appendSeqNumber(b, r.Stop)
		}
	}
	return b
}

func appendSeqNumber(b []byte, n uint32) []byte {
	if n == 0 {
		return append(b, '*')
	}
	return strconv.AppendUint(b, uint64(n), 10)
}

// SeqSetBuilder builds a set from numbers added one at a time, merging runs
// of consecutive increasing numbers into ranges (for COPYUID, RFC 4315, and
// ESEARCH ALL, RFC 4731). The order of the numbers is kept, so that two sets
// built side by side stay in correspondence. The zero value is ready.
type SeqSetBuilder struct {
	set SeqSet
}

// Add appends n (which must not be 0). A repeat of the last number is ignored.
func (b *SeqSetBuilder) Add(n uint32) {
	if n == 0 {
		return
	}
	if k := len(b.set.Ranges); k > 0 {
		last := &b.set.Ranges[k-1]
		if n == last.Stop {
			return
		}
		if last.Stop != 0xffffffff && n == last.Stop+1 {
			last.Stop = n
			return
		}
	}
	b.set.Ranges = append(b.set.Ranges, SeqRange{n, n})
}

// AddRange appends the numbers lo through hi (lo <= hi, lo >= 1).
func (b *SeqSetBuilder) AddRange(lo, hi uint32) {
	if lo == 0 || hi < lo {
		return
	}
	b.Add(lo)
	last := &b.set.Ranges[len(b.set.Ranges)-1]
	if last.Stop == lo && hi > lo {
		last.Stop = hi
	} else if hi > lo {
		b.set.Ranges = append(b.set.Ranges, SeqRange{lo + 1, hi})
	}
}

// Len returns the number of ranges built so far.
func (b *SeqSetBuilder) Len() int { return len(b.set.Ranges) }

// Set returns the set built so far. The builder must not be used after.
func (b *SeqSetBuilder) Set() SeqSet { return b.set }

// SeqSetFromNumbers compresses a list of numbers into ranges, keeping their
// order: SeqSetFromNumbers([]uint32{1, 2, 3, 7, 9, 10}) is "1:3,7,9:10".
func SeqSetFromNumbers(nums []uint32) SeqSet {
	var b SeqSetBuilder
	for _, n := range nums {
		b.Add(n)
	}
	return b.Set()
}
