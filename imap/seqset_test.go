package imap

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseSeqSet(t *testing.T) {
	tests := []struct {
		in     string
		ranges []SeqRange
		saved  bool
		str    string
	}{
		{"1", []SeqRange{{1, 1}}, false, "1"},
		{"1:5", []SeqRange{{1, 5}}, false, "1:5"},
		{"5:1", []SeqRange{{1, 5}}, false, "1:5"},
		{"*", []SeqRange{{0, 0}}, false, "*"},
		{"1:*", []SeqRange{{1, 0}}, false, "1:*"},
		{"*:4", []SeqRange{{4, 0}}, false, "4:*"},
		{"2,4:7,9,12:*", []SeqRange{{2, 2}, {4, 7}, {9, 9}, {12, 0}}, false, "2,4:7,9,12:*"},
		{"3:3", []SeqRange{{3, 3}}, false, "3"},
		{"$", nil, true, "$"},
		{"4294967295", []SeqRange{{4294967295, 4294967295}}, false, "4294967295"},
	}
	for _, tt := range tests {
		s, err := parseSeqSetString(tt.in)
		if err != nil {
			t.Errorf("ParseSeqSet(%q): %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(s.Ranges, tt.ranges) && !(len(s.Ranges) == 0 && len(tt.ranges) == 0) || s.saved != tt.saved {
			t.Errorf("ParseSeqSet(%q) = %+v, want %v saved=%v", tt.in, s, tt.ranges, tt.saved)
		}
		if got := s.String(); got != tt.str {
			t.Errorf("ParseSeqSet(%q).String() = %q, want %q", tt.in, got, tt.str)
		}
	}
	for _, bad := range []string{"", "0", "1:0", "01", "1,", ",1", "1::2", "a", "4294967296", "1:2:3", "$,1", "1,$", "-1", "1 2"} {
		if _, err := parseSeqSetString(bad); err == nil {
			t.Errorf("ParseSeqSet(%q) succeeded", bad)
		}
	}
	if _, err := parseSeqSetString(strings.Repeat("1,", defaultMaxSeqRanges) + "1"); !errors.Is(err, errSeqSetTooLarge) {
		t.Errorf("too many ranges: err = %v", err)
	}
}

func TestSeqSetContains(t *testing.T) {
	s, _ := parseSeqSetString("2,4:6,10:*")
	for _, tt := range []struct {
		n, max uint32
		want   bool
	}{
		{1, 20, false}, {2, 20, true}, {3, 20, false}, {5, 20, true}, {7, 20, false},
		{10, 20, true}, {20, 20, true}, {21, 20, false},
		// RFC 9051 6.4.8: "10:*" with a largest UID of 8 covers 8:10.
		{8, 8, true}, {9, 8, true}, {0, 20, false},
	} {
		if got := s.Contains(tt.n, tt.max); got != tt.want {
			t.Errorf("Contains(%d, %d) = %v, want %v", tt.n, tt.max, got, tt.want)
		}
	}
	star, _ := parseSeqSetString("*")
	if star.Contains(1, 0) {
		t.Error("* in an empty mailbox contains 1")
	}
	if !star.Contains(7, 7) || star.Contains(6, 7) {
		t.Error("* is not the largest number")
	}
}

func TestSeqSetResolveAndAll(t *testing.T) {
	s, _ := parseSeqSetString("9:*,1:3,2:5,20,7")
	var got [][2]uint32
	for lo, hi := range s.All(12) {
		got = append(got, [2]uint32{lo, hi})
	}
	want := [][2]uint32{{9, 12}, {1, 3}, {2, 5}, {20, 20}, {7, 7}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("All(12) = %v, want %v", got, want)
	}
	if r := s.Resolve(12).String(); r != "1:5,7,9:12,20" {
		t.Errorf("Resolve(12) = %s", r)
	}
	if m := s.Max(12); m != 20 {
		t.Errorf("Max = %d", m)
	}
	if s.String() != "9:*,1:3,2:5,20,7" {
		t.Errorf("Resolve modified the set: %s", s)
	}
	empty, _ := parseSeqSetString("*")
	for lo, hi := range empty.All(0) {
		t.Errorf("All(0) of * yields %d:%d", lo, hi)
	}
	if !s.Dynamic() || (SeqSet{Ranges: []SeqRange{{1, 2}}}).Dynamic() {
		t.Error("Dynamic")
	}
	// Early stop of the iterator.
	n := 0
	for range s.All(12) {
		n++
		break
	}
	if n != 1 {
		t.Error("All does not stop")
	}
}

func TestSeqSetBuilder(t *testing.T) {
	tests := []struct {
		nums []uint32
		want string
	}{
		{[]uint32{1, 2, 3, 7, 9, 10}, "1:3,7,9:10"},
		{[]uint32{5}, "5"},
		{nil, ""},
		{[]uint32{3, 2, 1}, "3,2,1"}, // order is kept (COPYUID correspondence)
		{[]uint32{1, 1, 2, 2, 3}, "1:3"},
		{[]uint32{4294967294, 4294967295}, "4294967294:4294967295"},
	}
	for _, tt := range tests {
		if got := SeqSetFromNumbers(tt.nums).String(); got != tt.want {
			t.Errorf("SeqSetFromNumbers(%v) = %q, want %q", tt.nums, got, tt.want)
		}
	}
	var b SeqSetBuilder
	b.AddRange(1, 5)
	b.Add(6)
	b.AddRange(10, 12)
	b.AddRange(13, 13)
	if got := b.Set().String(); got != "1:6,10:13" {
		t.Errorf("builder = %s", got)
	}
	if b.Len() != 2 {
		t.Errorf("Len = %d", b.Len())
	}
}

func TestSeqSetContainsResolve(t *testing.T) {
	s, err := parseSeqSetString("7,1:3,5:*")
	if err != nil {
		t.Fatal(err)
	}
	if s.Contains(4, 10) || !s.Contains(9, 10) || s.Resolve(10).String() != "1:3,5:10" {
		t.Errorf("Contains(4) %v, Contains(9) %v, Resolve(10) %s", s.Contains(4, 10), s.Contains(9, 10), s.Resolve(10))
	}
}

// parseSeqSetString parses a sequence set (numbers, "*", ranges "a:b", commas) or
// "$". It accepts at most defaultMaxSeqRanges ranges, as the parser does.
func parseSeqSetString(s string) (SeqSet, error) {
	return parseSeqSet([]byte(s), defaultMaxSeqRanges)
}
