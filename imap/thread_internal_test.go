package imap

import (
	"fmt"
	"testing"
	"time"
)

// itemsFromBytes turns fuzz input into messages over a small set of
// Message-IDs, so that duplicates, self-references and loops are common:
// each group of three bytes is one message's own ID, its references (up
// to two) and its subject.
func itemsFromBytes(data []byte) []sortItem {
	var items []sortItem
	base := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i+2 < len(data) && len(items) < 200; i += 3 {
		id, r, s := data[i], data[i+1], data[i+2]
		it := sortItem{seq: uint32(len(items) + 1), uid: uint32(len(items) + 1)}
		if id%8 != 0 {
			it.msgID = fmt.Sprintf("<%d@x>", id%8)
		}
		for k := 0; k < int(r%3); k++ {
			it.refs = append(it.refs, fmt.Sprintf("<%d@x>", (r>>(2+3*k))%8))
		}
		it.subject = []string{"", "A", "B"}[s%3]
		it.reply = s&4 != 0
		it.date = base.Add(time.Duration(s>>3) * time.Hour)
		items = append(items, it)
	}
	return items
}

// checkThreads verifies that every message is in the threads exactly once
// and that no container is its own ancestor.
func checkThreads(t *testing.T, items []sortItem, roots []*tnode) {
	seen := make(map[uint32]int)
	var walk func(n *tnode, depth int)
	walk = func(n *tnode, depth int) {
		if depth > len(items)+2 {
			t.Fatal("threads deeper than the number of messages: a loop")
		}
		if n.item != nil {
			seen[n.item.seq]++
		} else if len(n.children) == 0 {
			t.Fatal("an empty dummy container is left")
		}
		for _, c := range n.children {
			walk(c, depth+1)
		}
	}
	for _, r := range roots {
		walk(r, 0)
	}
	for i := range items {
		if seen[items[i].seq] != 1 {
			t.Fatalf("message %d appears %d times", items[i].seq, seen[items[i].seq])
		}
	}
	if len(seen) != len(items) {
		t.Fatalf("%d messages in the threads, want %d", len(seen), len(items))
	}
}

func FuzzThreadReferences(f *testing.F) {
	f.Add([]byte{1, 0, 1, 2, 1, 1, 1, 9, 2})
	f.Add([]byte{1, 2, 0, 2, 1, 0, 3, 5, 12, 0, 0, 1, 0, 0, 1})
	f.Add([]byte{9, 9, 9, 1, 1, 1, 1, 1, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		items := itemsFromBytes(data)
		checkThreads(t, items, threadReferences(items))
	})
}

func BenchmarkThreadReferences(b *testing.B) {
	// 1000 messages in chains of ten replies, with shared subjects.
	items := make([]sortItem, 1000)
	base := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := range items {
		it := &items[i]
		it.seq, it.uid = uint32(i+1), uint32(i+1)
		it.msgID = fmt.Sprintf("<%d@x>", i)
		if i%10 != 0 {
			it.refs = []string{fmt.Sprintf("<%d@x>", i-i%10), fmt.Sprintf("<%d@x>", i-1)}
			it.reply = true
		}
		it.subject = fmt.Sprintf("S%d", i/30)
		it.date = base.Add(time.Duration(i) * time.Minute)
	}
	b.ReportAllocs()
	for b.Loop() {
		cp := append([]sortItem(nil), items...)
		threadReferences(cp)
	}
}

func BenchmarkBaseSubject(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		baseSubject("Re: [list] Fwd: RE:  [Fwd: Quarterly   budget (fwd)]")
	}
}
