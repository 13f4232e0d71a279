package queue

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
)

// fillSegment enqueues n messages (body i = "message <i>") into a new
// queue at dir with no Deliverer, closes it, and returns their IDs and the
// path of the one segment holding them.
func fillSegment(t *testing.T, dir string, n int) ([]string, string) {
	t.Helper()
	q := openQueue(t, dir, Options{})
	var ids []string
	for i := 0; i < n; i++ {
		id, err := q.Enqueue(context.Background(), Envelope{From: "a@sender.example", Recipients: []Recipient{{Address: "b@b.example"}}},
			strings.NewReader(testBody(i)))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	q.Close()
	var logs []string
	for _, name := range dirNames(t, filepath.Join(dir, "seg")) {
		if strings.HasSuffix(name, segSuffix) {
			logs = append(logs, filepath.Join(dir, "seg", name))
		}
	}
	if len(logs) != 1 {
		t.Fatalf("segments: %v", logs)
	}
	return ids, logs[0]
}

func testBody(i int) string {
	return "Subject: " + strings.Repeat("x", i) + "\r\n\r\nmessage " + strings.Repeat("y", 3*i) + "\r\n"
}

// records returns the records of a segment file.
func records(t *testing.T, path string) []segRecord {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := scanSegment(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	return sc.records
}

// patchFile overwrites part of a file.
func patchFile(t *testing.T, path string, off int64, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

// appendFile appends to a file.
func appendFile(t *testing.T, path string, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(b); err != nil {
		t.Fatal(err)
	}
}

// queuedIDs returns the IDs that a queue lists, sorted.
func queuedIDs(q *Queue) []string {
	var ids []string
	for _, s := range q.List() {
		ids = append(ids, s.ID)
	}
	slices.Sort(ids)
	return ids
}

// checkBodies checks that each listed message reads back its body.
func checkBodies(t *testing.T, q *Queue, ids []string, idx []int) {
	t.Helper()
	for _, i := range idx {
		rc, err := q.OpenBody(ids[i])
		if err != nil {
			t.Fatalf("OpenBody %d: %v", i, err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if string(b) != testBody(i) {
			t.Errorf("body %d = %q", i, b)
		}
	}
}

// TestSegmentTornTail: an append that a crash cut short at the end of a
// segment (never acknowledged) is dropped silently, whether its header
// made it to disk or not; the records before it load.
func TestSegmentTornTail(t *testing.T) {
	for _, tc := range []struct {
		name string
		tail func(whole []byte, last segRecord) []byte
	}{
		{"header written, data cut", func(whole []byte, last segRecord) []byte {
			rec := whole[last.off:last.end()]
			return rec[:len(rec)-5]
		}},
		{"header not yet written", func(whole []byte, last segRecord) []byte {
			rec := slices.Clone(whole[last.off:last.end()])
			clear(rec[:recHeaderSize])
			return rec
		}},
		{"header cut", func(whole []byte, last segRecord) []byte { return whole[last.off : last.off+10] }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			ids, path := fillSegment(t, dir, 3)
			whole, _ := os.ReadFile(path)
			recs := records(t, path)
			appendFile(t, path, tc.tail(whole, recs[2]))

			events := &eventLog{}
			q := openQueue(t, dir, Options{OnEvent: events.add})
			defer q.Close()
			if got := queuedIDs(q); !slices.Equal(got, slices.Sorted(slices.Values(ids))) {
				t.Errorf("queued %v, want %v", got, ids)
			}
			checkBodies(t, q, ids, []int{0, 1, 2})
			if c := q.Corrupt(); len(c) != 0 {
				t.Errorf("torn tail reported as corrupt: %+v", c)
			}
			if n := len(events.kind(EventCorrupt)); n != 0 {
				t.Errorf("%d corrupt events", n)
			}
		})
	}
}

// TestSegmentCorruptRecord: a record whose data or header is damaged, in
// the middle of a segment or at its end, is reported (Corrupt, event,
// copy in corrupt/) and the other records still load; at the next Open it
// is listed again but not copied or reported as new.
func TestSegmentCorruptRecord(t *testing.T) {
	for _, tc := range []struct {
		name   string
		victim int
		header bool // damage the header rather than the body
	}{
		{"body in the middle", 1, false},
		{"body at the end", 2, false},
		{"header in the middle", 1, true},
		{"header at the end", 2, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			ids, path := fillSegment(t, dir, 3)
			recs := records(t, path)
			v := recs[tc.victim]
			if tc.header {
				patchFile(t, path, v.off+14, []byte{0xff}) // a length byte
			} else {
				patchFile(t, path, v.bodyOff+3, []byte("#"))
			}

			events := &eventLog{}
			q := openQueue(t, dir, Options{OnEvent: events.add})
			var want []string
			var idx []int
			for i, id := range ids {
				if i != tc.victim {
					want = append(want, id)
					idx = append(idx, i)
				}
			}
			slices.Sort(want)
			if got := queuedIDs(q); !slices.Equal(got, want) {
				t.Fatalf("queued %v, want %v", got, want)
			}
			checkBodies(t, q, ids, idx)
			c := q.Corrupt()
			if len(c) != 1 || c[0].Err == nil {
				t.Fatalf("Corrupt() = %+v", c)
			}
			if !tc.header && c[0].ID != ids[tc.victim] {
				t.Errorf("corrupt ID %q, want %q", c[0].ID, ids[tc.victim])
			}
			copied, err := os.ReadFile(c[0].Path)
			if err != nil || filepath.Dir(c[0].Path) != filepath.Join(dir, "corrupt") {
				t.Fatalf("corrupt copy %s: %v", c[0].Path, err)
			}
			if int64(len(copied)) != v.end()-v.off {
				t.Errorf("copied %d bytes, the record has %d", len(copied), v.end()-v.off)
			}
			if ev := events.kind(EventCorrupt); len(ev) != 1 || ev[0].Err == nil {
				t.Errorf("corrupt events %+v", ev)
			}
			q.Close()

			events2 := &eventLog{}
			q2 := openQueue(t, dir, Options{OnEvent: events2.add})
			defer q2.Close()
			if got := queuedIDs(q2); !slices.Equal(got, want) {
				t.Errorf("after restart: queued %v, want %v", got, want)
			}
			if c2 := q2.Corrupt(); len(c2) != 1 || c2[0].Err != nil || c2[0].Path != c[0].Path {
				t.Errorf("after restart: Corrupt() = %+v", c2)
			}
			if n := len(events2.kind(EventCorrupt)); n != 0 {
				t.Errorf("after restart: %d corrupt events", n)
			}
			if n := dirNames(t, filepath.Join(dir, "corrupt")); len(n) != 1 {
				t.Errorf("corrupt/ = %v", n)
			}
		})
	}
}

// TestSegmentLifecycle: a segment stays while any of its messages is
// queued; finished messages stay finished across a restart (done marks);
// the state saved for a deferred message wins over the envelope in the
// segment after a restart; once the last message is finished, the
// segment, its done marks and the state files are deleted.
func TestSegmentLifecycle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		d := newFakeDeliverer()
		d.setBehave(func(dl *Delivery) []Result {
			if dl.Domain == "slow.example" {
				return []Result{TempFail(451, "4.3.0", "later", "")}
			}
			return []Result{Delivered(250, "2.0.0", "ok", "")}
		})
		open := func() *Queue {
			return startQueue(t, dir, Options{Deliverer: d, fs: osFS{noSync: true}, DelayWarning: -1})
		}
		q := open()
		var fast []string
		for i := 0; i < 3; i++ {
			id, err := q.Enqueue(context.Background(), Envelope{From: "a@sender.example", Recipients: []Recipient{{Address: "r@fast.example"}}}, strings.NewReader(testBody(i)))
			if err != nil {
				t.Fatal(err)
			}
			fast = append(fast, id)
		}
		slow, err := q.Enqueue(context.Background(), Envelope{From: "a@sender.example", Recipients: []Recipient{{Address: "r@slow.example"}}}, strings.NewReader(testBody(3)))
		if err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if got := queuedIDs(q); !slices.Equal(got, []string{slow}) {
			t.Fatalf("queued %v", got)
		}
		q.Close()
		// The segment is still there with the slow message; the others are
		// marked done, and the slow one has its state in msg/.
		if got := msgFiles(t, dir); !slices.Equal(got, []string{slow + envSuffix, "seg:" + slow}) {
			t.Fatalf("stored after the first run: %v", got)
		}

		q = open()
		if got := queuedIDs(q); !slices.Equal(got, []string{slow}) {
			t.Fatalf("after restart: queued %v (done marks lost?)", got)
		}
		m, err := q.Get(slow)
		if err != nil {
			t.Fatal(err)
		}
		if r := m.Recipients[0]; r.State != StateDeferred || r.Attempts != 1 || len(m.History) != 1 {
			t.Errorf("after restart: state %+v, history %d: the saved state did not win", r, len(m.History))
		}
		if n := len(d.callsFor(fast[0])); n != 1 {
			t.Errorf("finished message attempted %d times", n)
		}
		d.setBehave(nil) // everything is delivered now
		if err := q.RetryNow(slow); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if q.Len() != 0 {
			t.Fatalf("still queued: %v", queuedIDs(q))
		}
		// The loaded segment is closed to appends: deleted as soon as its
		// last message is finished, with its .done file and the state file.
		if n := dirNames(t, filepath.Join(dir, "seg")); len(n) != 0 {
			t.Errorf("seg/ = %v", n)
		}
		if n := dirNames(t, filepath.Join(dir, "msg")); len(n) != 0 {
			t.Errorf("msg/ = %v", n)
		}
		q.Close()
	})
}

// TestSegmentRoll: a segment takes at most segMaxRecords records; a full
// one is deleted when its messages are finished while the queue runs on.
func TestSegmentRoll(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		te := newTestEnv(t)
		release := te.d.hold()
		n := segMaxRecords + 10
		for i := 0; i < n; i++ {
			te.enqueue(Envelope{From: "a@sender.example", Recipients: []Recipient{{Address: "r@b.example"}}}, "x\r\n")
		}
		logs := 0
		for _, name := range dirNames(t, filepath.Join(te.dir, "seg")) {
			if strings.HasSuffix(name, segSuffix) {
				logs++
			}
		}
		if logs < 2 {
			t.Fatalf("%d segments for %d messages", logs, n)
		}
		release()
		synctest.Wait()
		if got := msgFiles(t, te.dir); len(got) != 0 {
			t.Errorf("%d messages still stored", len(got))
		}
		// Only segments still open to appends may remain.
		left := 0
		for _, name := range dirNames(t, filepath.Join(te.dir, "seg")) {
			if strings.HasSuffix(name, segSuffix) {
				left++
			}
		}
		if left > segPool || left >= logs {
			t.Errorf("%d of %d segments left", left, logs)
		}
	})
}

// TestOldLayoutDelivered: a queue written by an earlier version (body and
// envelope files in msg/) loads, is delivered and its files removed.
func TestOldLayoutDelivered(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		q := openQueue(t, dir, Options{})
		id, err := q.Enqueue(context.Background(), basicEnvelope(), strings.NewReader(basicBody))
		if err != nil {
			t.Fatal(err)
		}
		toOldLayout(t, dir, q, []string{id})
		d := newFakeDeliverer()
		q = startQueue(t, dir, Options{Deliverer: d})
		defer q.Close()
		synctest.Wait()
		calls := d.callsFor(id)
		if len(calls) != 2 || calls[0].body != basicBody {
			t.Fatalf("calls %+v", calls)
		}
		if q.Len() != 0 {
			t.Fatalf("still queued: %v", queuedIDs(q))
		}
		for _, f := range msgFiles(t, dir) {
			if strings.Contains(f, id) {
				t.Errorf("left: %s", f)
			}
		}
	})
}
