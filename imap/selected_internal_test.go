package imap

import (
	"slices"
	"testing"
)

// TestResolveRuns checks that resolve names the right messages as runs of
// indexes, one run per range at most, for sequence numbers, UIDs and "$".
func TestResolveRuns(t *testing.T) {
	s := &selected{saved: []uint32{3, 8, 9, 11}}
	for _, u := range []uint32{2, 3, 5, 8, 9} {
		s.msgs = append(s.msgs, MessageInfo{UID: u})
	}
	for _, tc := range []struct {
		set   string
		saved bool
		uid   bool
		want  msgRuns
		valid bool
	}{
		{set: "1:*", want: msgRuns{{0, 4}}, valid: true},
		{set: "2,4:5", want: msgRuns{{1, 1}, {3, 4}}, valid: true},
		{set: "6", valid: false},
		{set: "1:3,5:100", uid: true, want: msgRuns{{0, 1}, {2, 4}}, valid: true},
		{set: "4,6:7,10:*", uid: true, want: msgRuns{{4, 4}}, valid: true}, // "*" is the largest UID, 9
		{set: "6:7", uid: true, valid: true},
		{saved: true, want: msgRuns{{1, 1}, {3, 4}}, valid: true}, // 11 is not there
	} {
		var set SeqSet
		if tc.saved {
			set.saved = true
		} else {
			var err error
			if set, err = parseSeqSetString(tc.set); err != nil {
				t.Fatal(err)
			}
		}
		got, valid := s.resolve(set, tc.uid)
		if valid != tc.valid || !slices.Equal(got, tc.want) {
			t.Errorf("resolve(%q, uid=%v, saved=%v) = %v, %v; want %v, %v", tc.set, tc.uid, tc.saved, got, valid, tc.want, tc.valid)
		}
		if all := slices.Collect(got.All()); len(all) != got.Len() {
			t.Errorf("%v: All yields %v, Len %d", got, all, got.Len())
		}
	}
}
