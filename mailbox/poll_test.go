package mailbox

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestPollKeepsViewExact drives a folder with random changes from another
// session (appends, flag changes, expunges), from the observing session
// itself and from another program (files dropped into new/), and checks
// after each Poll of the observer that (1) the previous view with the
// Update applied is the new view and (2) the new view is exactly the
// folder's visible messages, whichever way Poll took (appends only, the
// in-place comparison, or a new snapshot).
func TestPollKeepsViewExact(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		rng := rand.New(rand.NewPCG(1, 2))
		for range 5 {
			e.append("alice", Inbox, "Subject: seed\r\n\r\nbody\r\n", nil)
		}
		obs := e.open("alice", Inbox)
		other := e.open("alice", Inbox)
		flags := []string{FlagSeen, FlagFlagged, FlagDeleted, "$Work"}
		someUIDs := func(f *Folder) UIDSet {
			var set UIDSet
			for _, m := range f.Messages() {
				if rng.IntN(3) == 0 {
					set = append(set, UIDRange{m.UID, m.UID})
				}
			}
			return set
		}
		dropped := 0
		for step := range 300 {
			switch rng.IntN(7) {
			case 0, 1:
				for range 1 + rng.IntN(3) {
					e.append("alice", Inbox, fmt.Sprintf("Subject: %d\r\n\r\nbody\r\n", step), nil)
				}
			case 2:
				e.poll(other)
				op := []FlagOp{FlagsAdd, FlagsRemove, FlagsReplace}[rng.IntN(3)]
				if _, err := other.SetFlags(bg, someUIDs(other), op, []string{flags[rng.IntN(len(flags))]}, nil); err != nil {
					t.Fatal(err)
				}
			case 3:
				e.poll(other)
				if _, err := other.Expunge(bg, someUIDs(other)); err != nil {
					t.Fatal(err)
				}
			case 4:
				// The observer's own change: Poll must not report it back.
				if _, err := obs.SetFlags(bg, someUIDs(obs), FlagsAdd, []string{flags[rng.IntN(len(flags))]}, nil); err != nil {
					t.Fatal(err)
				}
			case 5:
				if _, err := obs.Expunge(bg, someUIDs(obs)); err != nil {
					t.Fatal(err)
				}
			case 6:
				dropped++
				e.drop("alice", Inbox, "new", fmt.Sprintf("%d.dropped%d.host", time.Now().Unix(), dropped), "Subject: dropped\r\n\r\nx\r\n", time.Time{})
			}
			if rng.IntN(2) == 0 {
				continue
			}
			before := slices.Clone(obs.Messages())
			u := e.poll(obs)
			got := obs.Messages()
			if want := applyUpdate(before, u); !sameView(want, got) {
				t.Fatalf("step %d: view after Poll differs from the previous view with the update applied:\nupdate %+v\n got %v\nwant %v", step, u, viewString(got), viewString(want))
			}
			obs.st.mu.Lock()
			snap, _ := obs.st.snapshot()
			obs.st.mu.Unlock()
			if !sameView(snap, got) {
				t.Fatalf("step %d: view after Poll differs from the folder:\n got %v\nwant %v", step, viewString(got), viewString(snap))
			}
		}
	})
}

// applyUpdate returns view with u applied, as an IMAP client would.
func applyUpdate(view []MessageInfo, u Update) []MessageInfo {
	var out []MessageInfo
	for _, m := range view {
		if slices.Contains(u.Expunged, m.UID) {
			continue
		}
		for _, c := range u.Changed {
			if c.UID == m.UID {
				m = c
			}
		}
		out = append(out, m)
	}
	out = append(out, u.Added...)
	slices.SortFunc(out, func(a, b MessageInfo) int { return int(a.UID) - int(b.UID) })
	return out
}

func sameView(a, b []MessageInfo) bool {
	return slices.EqualFunc(a, b, func(x, y MessageInfo) bool {
		return x.UID == y.UID && x.ModSeq == y.ModSeq && x.Size == y.Size && slices.Equal(x.Flags, y.Flags)
	})
}

func viewString(v []MessageInfo) string {
	s := ""
	for _, m := range v {
		s += fmt.Sprintf(" %d/%d%v", m.UID, m.ModSeq, m.Flags)
	}
	return s
}

// TestPollBelowView: a message that appears with a UID below the view's
// last one (a file another program put back under the UID the UID list
// still names) is reported as added, through a new snapshot.
func TestPollBelowView(t *testing.T) {
	e := memEnv(t, newMemFS(false))
	for range 5 {
		e.append("alice", Inbox, "Subject: x\r\n\r\nbody\r\n", nil)
	}
	f := e.open("alice", Inbox)
	st := f.st
	// As refresh does when the file of UID 3 disappears, then comes back.
	st.mu.Lock()
	i := st.find(3)
	rec := st.msgs[i]
	st.msgs = slices.Delete(st.msgs, i, i+1)
	st.touched(1)
	st.mu.Unlock()
	if u := e.poll(f); !equalUIDs(u.Expunged, []uint32{3}) || len(u.Added) != 0 {
		t.Fatalf("after removal: %+v", u)
	}
	st.mu.Lock()
	st.msgs = slices.Insert(st.msgs, i, rec)
	st.touched(1)
	st.mu.Unlock()
	u := e.poll(f)
	if len(u.Added) != 1 || u.Added[0].UID != 3 || len(u.Expunged) != 0 || len(u.Changed) != 0 {
		t.Fatalf("after the file came back: %+v", u)
	}
	if got := uidsOf(f.Messages()); !equalUIDs(got, []uint32{1, 2, 3, 4, 5}) {
		t.Fatalf("view %v", got)
	}
}

// TestPollFlagLogBound: a session that falls behind by more flag changes
// than the store logs, or a STORE on more messages than it logs at once,
// still gets an exact view (by comparing the whole folder).
func TestPollFlagLogBound(t *testing.T) {
	e := memEnv(t, newMemFS(false))
	for range 600 {
		e.append("alice", Inbox, "Subject: x\r\n\r\nbody\r\n", nil)
	}
	obs := e.open("alice", Inbox)
	other := e.open("alice", Inbox)
	check := func(what string, wantChanged int) {
		t.Helper()
		u := e.poll(obs)
		obs.st.mu.Lock()
		snap, _ := obs.st.snapshot()
		obs.st.mu.Unlock()
		if len(u.Changed) != wantChanged || !sameView(snap, obs.Messages()) {
			t.Fatalf("%s: %d changed (want %d), view matches the folder: %v", what, len(u.Changed), wantChanged, sameView(snap, obs.Messages()))
		}
	}
	for i := range maxFlagLog + 100 {
		op := FlagsAdd // each message in turn, on and off: every call changes one
		if i/8%2 == 1 {
			op = FlagsRemove
		}
		if _, err := other.SetFlags(bg, UIDSetOf(uint32(1+i%8)), op, []string{FlagSeen}, nil); err != nil {
			t.Fatal(err)
		}
	}
	check("after more flag changes than logged", 8)
	if _, err := other.SetFlags(bg, UIDSet{{1, 600}}, FlagsAdd, []string{FlagFlagged}, nil); err != nil {
		t.Fatal(err)
	}
	check("after one STORE on 600 messages", 600)
	if _, err := other.SetFlags(bg, UIDSetOf(7), FlagsRemove, []string{FlagFlagged}, nil); err != nil {
		t.Fatal(err)
	}
	check("after a logged change", 1)
}

// TestInSet checks inSet against UIDSet.Contains on random folders and
// sets: overlapping, reversed and open-ended ranges, nil, pending
// messages.
func TestInSet(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for round := range 500 {
		st := &folderState{}
		uid := uint32(0)
		for range rng.IntN(40) {
			uid += 1 + uint32(rng.IntN(4))
			st.msgs = append(st.msgs, msgRec{uid: uid})
		}
		if len(st.msgs) > 0 && rng.IntN(3) == 0 {
			st.pending = []uint32{st.msgs[rng.IntN(len(st.msgs))].uid}
		}
		var set UIDSet
		if rng.IntN(10) > 0 {
			set = UIDSet{}
			for range rng.IntN(6) {
				a, b := uint32(rng.IntN(int(uid)+3)), uint32(rng.IntN(int(uid)+3))
				if rng.IntN(5) == 0 {
					b = 0 // "*"
				}
				set = append(set, UIDRange{a, b})
			}
		}
		var want []int
		lim := st.visibleLimit()
		for i, m := range st.msgs {
			if uint64(m.uid) < lim && (set == nil || set.Contains(m.uid)) {
				want = append(want, i)
			}
		}
		got := slices.Collect(st.inSet(set))
		if !slices.Equal(got, want) {
			t.Fatalf("round %d: set %v, pending %v, uids %v:\n got %v\nwant %v", round, set, st.pending, uidsOfRecs(st.msgs), got, want)
		}
	}
}

func uidsOfRecs(ms []msgRec) []uint32 {
	var out []uint32
	for _, m := range ms {
		out = append(out, m.uid)
	}
	return out
}
