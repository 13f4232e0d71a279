package imap

import (
	"testing"
)

func viewOf(uids ...uint32) *selected {
	s := &selected{}
	for _, u := range uids {
		s.msgs = append(s.msgs, MessageInfo{UID: u})
	}
	return s
}

func mustSet(t testing.TB, s string) SeqSet {
	t.Helper()
	if s == "" {
		return SeqSet{}
	}
	set, err := parseSeqSetString(s)
	if err != nil {
		t.Fatal(err)
	}
	return set.Resolve(0)
}

func TestVanishedFilter(t *testing.T) {
	s := viewOf(1, 3, 5, 9, 10)
	for _, c := range []struct {
		set, within string
		above       uint32
		want        string
	}{
		{"1:10", "", 0, "2,4,6:8"},
		{"1:12", "", 0, "2,4,6:8,11:12"},
		{"1:12", "", 4, "6:8,11:12"},
		{"1:12", "2:7,11", 0, "2,4,6:7,11"},
		{"2,4", "1:3", 0, "2"},
		{"1,3,5", "", 0, ""},
		{"1:4294967295", "4294967290:4294967295", 0, "4294967290:4294967295"},
		{"6:8", "1:2,20:30", 0, ""},
		{"1:12", "", 4294967295, ""},
	} {
		got := s.vanishedFilter(mustSet(t, c.set), mustSet(t, c.within), c.within != "", c.above).String()
		if got != c.want {
			t.Errorf("vanishedFilter(%s, %s, %d) = %q, want %q", c.set, c.within, c.above, got, c.want)
		}
	}
}

func TestSeqMatchFloor(t *testing.T) {
	s := viewOf(1, 3, 5, 9, 10)
	for _, c := range []struct {
		seqs, uids string
		want       uint32
	}{
		{"1:5", "1,3,5,9:10", 10},
		{"1:3", "1,3,5", 5},
		{"1:3", "1:3", 1},                   // seq 2 was UID 2: gone
		{"2,4", "3,9", 9},                   // sparse pairs
		{"4,5", "9,11", 9},                  // stops at the mismatch
		{"5:9", "10:14", 10},                // beyond the view: stop
		{"1:2", "1", 1},                     // fewer UIDs than numbers
		{"1:4294967295", "1:4294967295", 1}, // never expanded past the view
	} {
		if got := s.seqMatchFloor(mustSet(t, c.seqs), mustSet(t, c.uids)); got != c.want {
			t.Errorf("seqMatchFloor(%s, %s) = %d, want %d", c.seqs, c.uids, got, c.want)
		}
	}
}

// BenchmarkVanishedFilter: a 100,000-message view with every other UID
// expunged, known-uids of 10,000 ranges.
func BenchmarkVanishedFilter(b *testing.B) {
	s := &selected{}
	for u := uint32(1); u <= 200000; u += 2 {
		s.msgs = append(s.msgs, MessageInfo{UID: u})
	}
	exp := SeqSet{Ranges: []SeqRange{{1, 200000}}}
	var kb SeqSetBuilder
	for i := uint32(0); i < 10000; i++ {
		kb.AddRange(i*20+1, i*20+10)
	}
	known := kb.Set()
	b.ReportAllocs()
	for b.Loop() {
		s.vanishedFilter(exp, known, true, 0)
	}
}
