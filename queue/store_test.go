package queue

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

var errCrashed = errors.New("simulated crash")

// crashFS records the store's write operations and, if failAt > 0, "crashes"
// at that operation: it fails, a write is torn in half, and every later
// operation fails too, so that no cleanup happens, as when the process
// dies.
type crashFS struct {
	real   osFS
	mu     sync.Mutex
	failAt int
	n      int
	dead   bool
	ops    []string
	hook   func(op string) // called before each operation, without mu
}

func (c *crashFS) step(op string) error {
	if c.hook != nil {
		c.hook(op)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dead {
		return errCrashed
	}
	c.n++
	c.ops = append(c.ops, op)
	if c.n == c.failAt {
		c.dead = true
		return errCrashed
	}
	return nil
}

func (c *crashFS) opLog() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.ops)
}

func opName(kind, path string) string {
	return kind + " " + filepath.Base(filepath.Dir(path)) + "/" + kindOf(path)
}

// kindOf abstracts a file name to "body", "env", "env.tmp", "log" or
// "done" so that op logs do not depend on IDs.
func kindOf(path string) string {
	base := filepath.Base(path)
	switch {
	case strings.HasSuffix(base, segSuffix):
		return "log"
	case strings.HasSuffix(base, doneSuffix):
		return "done"
	case strings.HasSuffix(base, bodySuffix):
		return "body"
	case strings.HasSuffix(base, envSuffix):
		return "env"
	case strings.Contains(base, envSuffix+"."):
		return "env.tmp"
	}
	return base
}

func (c *crashFS) Create(name string) (writeFile, error) {
	if err := c.step(opName("create", name)); err != nil {
		return nil, err
	}
	f, err := c.real.Create(name)
	if err != nil {
		return nil, err
	}
	return &crashFile{fs: c, f: f, name: kindOf(name)}, nil
}

func (c *crashFS) CreateSegment(name string) (segmentFile, error) {
	if err := c.step(opName("create", name)); err != nil {
		return nil, err
	}
	f, err := c.real.CreateSegment(name)
	if err != nil {
		return nil, err
	}
	return &crashSegment{fs: c, f: f}, nil
}

func (c *crashFS) OpenAppend(name string) (writeFile, error) {
	if err := c.step(opName("open", name)); err != nil {
		return nil, err
	}
	f, err := c.real.OpenAppend(name)
	if err != nil {
		return nil, err
	}
	return &crashAppend{fs: c, f: f}, nil
}

func (c *crashFS) Rename(o, n string) error {
	if err := c.step(opName("rename", o) + " -> " + filepath.Base(filepath.Dir(n))); err != nil {
		return err
	}
	return c.real.Rename(o, n)
}

func (c *crashFS) Remove(name string) error {
	if err := c.step(opName("remove", name)); err != nil {
		return err
	}
	return c.real.Remove(name)
}

func (c *crashFS) SyncDir(dir string) error {
	if err := c.step("syncdir " + filepath.Base(dir)); err != nil {
		return err
	}
	return c.real.SyncDir(dir)
}

type crashFile struct {
	fs   *crashFS
	f    writeFile
	name string
}

func (f *crashFile) Write(p []byte) (int, error) {
	if err := f.fs.step("write " + f.name); err != nil {
		// A torn write: part of the data reached the file.
		n, _ := f.f.Write(p[:len(p)/2])
		return n, err
	}
	return f.f.Write(p)
}

func (f *crashFile) Sync() error {
	if err := f.fs.step("sync " + f.name); err != nil {
		return err
	}
	return f.f.Sync()
}

func (f *crashFile) Close() error {
	err := f.fs.step("close " + f.name)
	f.f.Close() // the kernel closes files of a dead process too
	return err
}

// crashSegment is a segment file under crashFS. Reads are not steps.
type crashSegment struct {
	fs *crashFS
	f  segmentFile
}

func (f *crashSegment) WriteAt(p []byte, off int64) (int, error) {
	if err := f.fs.step("write log"); err != nil {
		n, _ := f.f.WriteAt(p[:len(p)/2], off) // torn
		return n, err
	}
	return f.f.WriteAt(p, off)
}

func (f *crashSegment) ReadAt(p []byte, off int64) (int, error) { return f.f.ReadAt(p, off) }

func (f *crashSegment) Truncate(size int64) error {
	if err := f.fs.step("truncate log"); err != nil {
		return err
	}
	return f.f.Truncate(size)
}

func (f *crashSegment) Datasync() error {
	if err := f.fs.step("datasync log"); err != nil {
		return err
	}
	return f.f.Datasync()
}

func (f *crashSegment) Close() error {
	f.f.Close() // not a step: readers may close it after a crash too
	return nil
}

type crashAppend struct {
	fs *crashFS
	f  writeFile
}

func (f *crashAppend) Write(p []byte) (int, error) {
	if err := f.fs.step("write done"); err != nil {
		n, _ := f.f.Write(p[:len(p)/2])
		return n, err
	}
	return f.f.Write(p)
}

func (f *crashAppend) Sync() error {
	if err := f.fs.step("sync done"); err != nil {
		return err
	}
	return f.f.Sync()
}

func (f *crashAppend) Close() error {
	f.f.Close()
	return nil
}

// openQueue opens the queue at dir; it is not started, so that nothing
// but the test's own calls touches it.
func openQueue(t *testing.T, dir string, o Options) *Queue {
	t.Helper()
	q, err := Open(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// startQueue opens and starts the queue at dir.
func startQueue(t *testing.T, dir string, o Options) *Queue {
	t.Helper()
	q := openQueue(t, dir, o)
	if err := q.Start(); err != nil {
		t.Fatal(err)
	}
	return q
}

func basicEnvelope() Envelope {
	return Envelope{
		From:       "alice@sender.example",
		Return:     ReturnHeaders,
		EnvelopeID: "QQ314159",
		BodyType:   "8BITMIME",
		Recipients: []Recipient{
			{Address: "bob@b.example", Notify: []DSNNotify{NotifySuccess, NotifyFailure}, OriginalRecipientType: "rfc822", OriginalRecipient: "Bob@B.example"},
			{Address: "carol@c.example"},
		},
	}
}

const basicBody = "From: alice@sender.example\r\nTo: bob@b.example\r\nSubject: hi\r\n\r\nHello.\r\n"

// TestEnqueueDurable checks that Enqueue returns with the message appended
// to a segment and synced (the new segment's directory entry too), that a
// second enqueue only appends and syncs, and that a reopened queue has
// the message.
func TestEnqueueDurable(t *testing.T) {
	dir := t.TempDir()
	cfs := &crashFS{}
	q := openQueue(t, dir, Options{fs: cfs})
	id, err := q.Enqueue(context.Background(), basicEnvelope(), strings.NewReader(basicBody))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"create seg/log", "write log", // the segment and its header
		"write log",                   // the record, in one write
		"datasync log", "syncdir seg", // in parallel: sorted here
	}
	// ops returns the log with the parallel syncs of the first commit
	// in a fixed order.
	ops := func() []string {
		got := cfs.opLog()
		if len(got) >= 5 {
			slices.Sort(got[3:5])
		}
		return got
	}
	if got := ops(); !slices.Equal(got, want) {
		t.Errorf("file operations:\n got %q\nwant %q", got, want)
	}
	id2, err := q.Enqueue(context.Background(), basicEnvelope(), strings.NewReader(basicBody))
	if err != nil {
		t.Fatal(err)
	}
	want = append(want, "write log", "datasync log")
	if got := ops(); !slices.Equal(got, want) {
		t.Errorf("file operations after a second enqueue:\n got %q\nwant %q", got, want)
	}
	if n := msgFiles(t, dir); !slices.Equal(n, []string{"seg:" + id, "seg:" + id2}) {
		t.Fatalf("stored: %v", n)
	}
	if n := dirNames(t, filepath.Join(dir, "tmp")); len(n) != 0 {
		t.Fatalf("tmp/ not empty: %v", n)
	}
	q.Remove(id2)
	before, _ := q.Get(id)
	q.Close()

	q2 := openQueue(t, dir, Options{})
	defer q2.Close()
	after, err := q2.Get(id)
	if err != nil {
		t.Fatalf("reopened queue lost the message: %v", err)
	}
	b1, _ := marshalEnvelope(before)
	b2, _ := marshalEnvelope(after)
	if string(b1) != string(b2) {
		t.Errorf("state changed across reopen:\n%s\n%s", b1, b2)
	}
	if after.Size != int64(len(basicBody)) || after.From != "alice@sender.example" || after.EnvelopeID != "QQ314159" ||
		after.Return != ReturnHeaders || after.Recipients[0].OriginalRecipient != "Bob@B.example" ||
		!slices.Equal(after.Recipients[0].Notify, []DSNNotify{NotifySuccess, NotifyFailure}) {
		t.Errorf("reloaded message: %+v", after)
	}
	rc, err := q2.OpenBody(id)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if string(got) != basicBody {
		t.Errorf("OpenBody = %q", got)
	}
	if l := q2.List(); len(l) != 1 || l[0].ID != id || l[0].Pending != 2 {
		t.Errorf("List = %+v", l)
	}
}

// TestEnqueueCrashAtEveryStep crashes Enqueue at each of its file
// operations in turn and checks, after a restart, that the message is
// either absent or complete, that an acknowledged message is present,
// and that no debris is left.
func TestEnqueueCrashAtEveryStep(t *testing.T) {
	for failAt := 1; ; failAt++ {
		dir := t.TempDir()
		cfs := &crashFS{failAt: failAt}
		q := openQueue(t, dir, Options{fs: cfs})
		id, err := q.Enqueue(context.Background(), basicEnvelope(), strings.NewReader(basicBody))
		q.Close()
		crashed := cfs.dead
		if err == nil && crashed {
			t.Fatalf("step %d: Enqueue acknowledged although the crash hit it", failAt)
		}

		q2 := openQueue(t, dir, Options{})
		list := q2.List()
		switch {
		case len(list) == 0:
			if err == nil {
				t.Fatalf("step %d: acknowledged message lost", failAt)
			}
		case len(list) == 1:
			m, _ := q2.Get(list[0].ID)
			rc, oerr := q2.OpenBody(m.ID)
			if oerr != nil {
				t.Fatalf("step %d: visible message without body: %v", failAt, oerr)
			}
			b, _ := io.ReadAll(rc)
			rc.Close()
			if string(b) != basicBody || len(m.Recipients) != 2 {
				t.Fatalf("step %d: visible message is incomplete: %q", failAt, b)
			}
		default:
			t.Fatalf("step %d: %d messages", failAt, len(list))
		}
		if c := q2.Corrupt(); len(c) != 0 {
			t.Fatalf("step %d: corrupt entries %v", failAt, c)
		}
		if n := dirNames(t, filepath.Join(dir, "tmp")); len(n) != 0 {
			t.Fatalf("step %d: tmp/ not cleaned: %v", failAt, n)
		}
		if n := msgFiles(t, dir); len(n) != len(list) {
			t.Fatalf("step %d: msg/ holds %v", failAt, n)
		}
		q2.Close()
		if !crashed {
			if err != nil || id == "" {
				t.Fatalf("no crash but Enqueue failed: %v", err)
			}
			if failAt < 5 {
				t.Fatal("crash injection did not work")
			}
			return // every step has been crashed
		}
	}
}

// TestEnqueueLargeCrashAtEveryStep crashes, at each of its steps, the
// enqueue of a message too large for one write (its header is written
// last) into a segment that already holds an acknowledged message: after
// a restart the first message is intact, the second absent or complete,
// and nothing is reported corrupt.
func TestEnqueueLargeCrashAtEveryStep(t *testing.T) {
	large := strings.Repeat("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd\r\n", 1600) // 100 KiB
	for k := 1; ; k++ {
		dir := t.TempDir()
		cfs := &crashFS{}
		q := openQueue(t, dir, Options{fs: cfs})
		first, err := q.Enqueue(context.Background(), basicEnvelope(), strings.NewReader(basicBody))
		if err != nil {
			t.Fatal(err)
		}
		cfs.mu.Lock()
		cfs.failAt = cfs.n + k
		cfs.mu.Unlock()
		id, err := q.Enqueue(context.Background(), basicEnvelope(), strings.NewReader(large))
		q.Close()
		crashed := cfs.dead
		if err == nil && crashed {
			t.Fatalf("step %d: Enqueue acknowledged although the crash hit it", k)
		}

		q2 := openQueue(t, dir, Options{})
		for _, got := range queuedIDs(q2) {
			want := large
			if got == first {
				want = basicBody
			}
			rc, oerr := q2.OpenBody(got)
			if oerr != nil {
				t.Fatalf("step %d: %v", k, oerr)
			}
			b, _ := io.ReadAll(rc)
			rc.Close()
			if string(b) != want {
				t.Fatalf("step %d: message %s has a body of %d bytes", k, got, len(b))
			}
		}
		ids := queuedIDs(q2)
		if !slices.Contains(ids, first) || err == nil && !slices.Contains(ids, id) || len(ids) > 2 {
			t.Fatalf("step %d: queued %v (first %s, second %s acknowledged: %v)", k, ids, first, id, err == nil)
		}
		if c := q2.Corrupt(); len(c) != 0 {
			t.Fatalf("step %d: corrupt entries %v", k, c)
		}
		q2.Close()
		if !crashed {
			if k < 8 {
				t.Fatalf("crash injection did not work: %d steps", k)
			}
			return
		}
	}
}

// TestSaveCrashAtEveryStep crashes a state update at each step: after a
// restart the envelope holds either the old or the new state.
func TestSaveCrashAtEveryStep(t *testing.T) {
	for failAt := 1; ; failAt++ {
		dir := t.TempDir()
		q := openQueue(t, dir, Options{})
		id, err := q.Enqueue(context.Background(), basicEnvelope(), strings.NewReader(basicBody))
		if err != nil {
			t.Fatal(err)
		}
		m, _ := q.Get(id)
		q.Close()

		cfs := &crashFS{failAt: failAt}
		st, err := openStore(dir, cfs)
		if err != nil {
			t.Fatal(err)
		}
		updated := m.clone()
		updated.Recipients[0].State = StateDelivered
		updated.Recipients[0].Attempts = 1
		updated.Recipients[0].Result = &Result{Status: StatusDelivered, Code: 250, Message: "ok"}
		serr := st.save(updated)
		st.close()

		q2 := openQueue(t, dir, Options{})
		got, gerr := q2.Get(id)
		if gerr != nil || len(q2.Corrupt()) != 0 {
			t.Fatalf("step %d: message lost or corrupt: %v %v", failAt, gerr, q2.Corrupt())
		}
		state := got.Recipients[0].State
		if serr == nil && state != StateDelivered {
			t.Fatalf("step %d: acknowledged update lost", failAt)
		}
		if state != StateDelivered && state != StatePending {
			t.Fatalf("step %d: state %q", failAt, state)
		}
		q2.Close()
		if !cfs.dead {
			if serr != nil {
				t.Fatal(serr)
			}
			return
		}
	}
}

// toOldLayout closes q and rewrites the messages ids in the layout of
// earlier versions: msg/<id>.env and msg/<id>.msg, no segments.
func toOldLayout(t *testing.T, dir string, q *Queue, ids []string) {
	t.Helper()
	for _, id := range ids {
		m, err := q.Get(id)
		if err != nil {
			t.Fatal(err)
		}
		rc, err := q.OpenBody(id)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(rc)
		rc.Close()
		env, err := marshalEnvelope(m)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "msg", id+".msg"), body, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "msg", id+".env"), env, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	q.Close()
	for _, name := range dirNames(t, filepath.Join(dir, "seg")) {
		if err := os.Remove(filepath.Join(dir, "seg", name)); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCorruptEnvelope checks, for a queue in the old layout (body and
// envelope in two files), that unreadable envelopes are set aside in
// corrupt/, logged, reported as events and listed, and that the other
// messages load and are delivered.
func TestCorruptEnvelope(t *testing.T) {
	dir := t.TempDir()
	q := openQueue(t, dir, Options{})
	var ids []string
	for i := 0; i < 3; i++ {
		id, err := q.Enqueue(context.Background(), basicEnvelope(), strings.NewReader(basicBody))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	toOldLayout(t, dir, q, ids)
	// ids[0]: garbage; ids[1]: body missing; ids[2]: intact.
	if err := os.WriteFile(filepath.Join(dir, "msg", ids[0]+".env"), []byte(`{"v":1,"id":`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "msg", ids[1]+".msg")); err != nil {
		t.Fatal(err)
	}

	events := &eventLog{}
	logBuf := &syncBuffer{}
	q2 := openQueue(t, dir, Options{OnEvent: events.add, Logger: newTextLogger(logBuf)})
	if l := q2.List(); len(l) != 1 || l[0].ID != ids[2] {
		t.Fatalf("List = %+v", l)
	}
	corrupt := q2.Corrupt()
	if len(corrupt) != 2 {
		t.Fatalf("Corrupt() = %+v", corrupt)
	}
	for _, id := range ids[:2] {
		var c *CorruptMessage
		for i := range corrupt {
			if corrupt[i].ID == id {
				c = &corrupt[i]
			}
		}
		if c == nil || c.Err == nil || c.Path != filepath.Join(dir, "corrupt", id+".env") || !fileExists(c.Path) {
			t.Fatalf("corrupt entry for %s: %+v", id, c)
		}
		if fileExists(filepath.Join(dir, "msg", id+".env")) {
			t.Errorf("%s still in msg/", id)
		}
		if !strings.Contains(logBuf.String(), id) {
			t.Errorf("corrupt %s not logged:\n%s", id, logBuf.String())
		}
	}
	// The garbage envelope's body is kept beside it.
	if !fileExists(filepath.Join(dir, "corrupt", ids[0]+".msg")) {
		t.Error("body of the corrupt envelope not set aside")
	}
	ev := events.kind(EventCorrupt)
	if len(ev) != 2 || ev[0].Err == nil || ev[1].Err == nil {
		t.Fatalf("corrupt events: %+v", ev)
	}
	q2.Close()

	// They stay listed after another restart, without new events.
	events2 := &eventLog{}
	q3 := openQueue(t, dir, Options{OnEvent: events2.add})
	defer q3.Close()
	if c := q3.Corrupt(); len(c) != 2 || c[0].Err != nil {
		t.Errorf("Corrupt() after restart = %+v", c)
	}
	if n := len(events2.kind(EventCorrupt)); n != 0 {
		t.Errorf("%d corrupt events for files already set aside", n)
	}
}

// TestOpenCleansDebris checks that Open empties tmp/ and deletes bodies
// whose envelope never became visible.
func TestOpenCleansDebris(t *testing.T) {
	dir := t.TempDir()
	q := openQueue(t, dir, Options{})
	q.Close()
	os.WriteFile(filepath.Join(dir, "tmp", "x.msg"), []byte("partial"), 0o600)
	os.WriteFile(filepath.Join(dir, "msg", "0123-orphan.msg"), []byte("orphan"), 0o600)
	q = openQueue(t, dir, Options{})
	defer q.Close()
	if n := dirNames(t, filepath.Join(dir, "tmp")); len(n) != 0 {
		t.Errorf("tmp/ = %v", n)
	}
	if n := msgFiles(t, dir); len(n) != 0 {
		t.Errorf("msg/ = %v", n)
	}
}

// TestOpenLocked checks that a directory is used by one queue at a time.
func TestOpenLocked(t *testing.T) {
	dir := t.TempDir()
	q := openQueue(t, dir, Options{})
	if _, err := Open(dir, Options{}); !errors.Is(err, errLocked) {
		t.Errorf("second Open: %v", err)
	}
	q.Close()
	q2 := openQueue(t, dir, Options{})
	q2.Close()
}

// TestGroupCommit checks that concurrent enqueues share fdatasyncs: while
// one commit round runs, the enqueues that append meanwhile wait and are
// all covered by the next round.
func TestGroupCommit(t *testing.T) {
	const n = 10
	dir := t.TempDir()
	release := make(chan struct{})
	var creates, writes int
	var mu sync.Mutex
	allWritten := make(chan struct{})
	cfs := &crashFS{}
	first := true
	cfs.hook = func(op string) {
		mu.Lock()
		switch op {
		case "create seg/log":
			creates++ // each new segment's header is one more write
		case "write log":
			writes++
			if writes-creates == n {
				close(allWritten)
			}
		case "datasync log":
			if first {
				first = false
				mu.Unlock()
				<-release // hold the first round until all have appended
				return
			}
		}
		mu.Unlock()
	}
	q := openQueue(t, dir, Options{fs: cfs})
	defer q.Close()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := q.Enqueue(context.Background(), basicEnvelope(), strings.NewReader(basicBody))
			errs <- err
		}()
	}
	select {
	case <-allWritten:
	case <-time.After(10 * time.Second):
		t.Fatal("enqueues did not append their records")
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	// The first round covered the first appends; all the others waited
	// and share the second.
	q.store.commit.mu.Lock()
	rounds := q.store.commit.rounds
	q.store.commit.mu.Unlock()
	if rounds != 2 {
		t.Errorf("%d commit rounds for %d enqueues, want 2", rounds, n)
	}
	if q.Len() != n {
		t.Errorf("Len = %d", q.Len())
	}
}

// TestSlowBodies: enqueues whose bodies are slow to arrive hold their
// segments, but do not hold up other enqueues.
func TestSlowBodies(t *testing.T) {
	dir := t.TempDir()
	q := openQueue(t, dir, Options{fs: osFS{noSync: true}})
	defer q.Close()
	var writers []*io.PipeWriter
	errs := make(chan error, segPool+1)
	for i := 0; i < segPool+1; i++ {
		pr, pw := io.Pipe()
		writers = append(writers, pw)
		go func() {
			_, err := q.Enqueue(context.Background(), basicEnvelope(), pr)
			errs <- err
		}()
		pw.Write([]byte("Subject: slow\r\n")) // it now holds a segment
	}
	done := make(chan error, 1)
	go func() {
		_, err := q.Enqueue(context.Background(), basicEnvelope(), strings.NewReader(basicBody))
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("an enqueue waited for slow ones")
	}
	for _, pw := range writers {
		pw.Write([]byte("\r\nbody\r\n"))
		pw.Close()
	}
	for range writers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if q.Len() != segPool+2 {
		t.Errorf("Len = %d", q.Len())
	}
	for _, s := range q.List() {
		if s.Size != int64(len(basicBody)) && s.Size != int64(len("Subject: slow\r\n\r\nbody\r\n")) {
			t.Errorf("message %s: size %d", s.ID, s.Size)
		}
	}
}

// TestEnqueueRejects checks envelope validation and the context.
func TestEnqueueRejects(t *testing.T) {
	dir := t.TempDir()
	q := openQueue(t, dir, Options{})
	bad := []Envelope{
		{From: "a@x"},
		{From: "a@x\r\nRCPT TO:<evil@x>", Recipients: []Recipient{{Address: "b@y"}}},
		{From: "a@x", Recipients: []Recipient{{Address: "b@y\n"}}},
		{From: "a@x", Recipients: []Recipient{{Address: ""}}},
		{From: "a@x", Recipients: []Recipient{{Address: "b@y", Notify: []DSNNotify{NotifyNever, NotifySuccess}}}},
		{From: "a@x", Recipients: []Recipient{{Address: "b@y", Notify: []DSNNotify{"SOMETIMES"}}}},
		{From: "a@x", Return: "ALL", Recipients: []Recipient{{Address: "b@y"}}},
		{From: "a@x", EnvelopeID: strings.Repeat("x", 101), Recipients: []Recipient{{Address: "b@y"}}},
	}
	for i, env := range bad {
		if _, err := q.Enqueue(context.Background(), env, strings.NewReader("x")); err == nil {
			t.Errorf("envelope %d accepted", i)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := q.Enqueue(ctx, basicEnvelope(), strings.NewReader(basicBody)); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Enqueue: %v", err)
	}
	if n := msgFiles(t, dir); len(n) != 0 {
		t.Errorf("msg/ after rejected enqueues: %v", n)
	}
	q.Close()
	if _, err := q.Enqueue(context.Background(), basicEnvelope(), strings.NewReader(basicBody)); !errors.Is(err, ErrClosed) {
		t.Errorf("Enqueue after Close: %v", err)
	}
}

var _ = fmt.Sprint

// TestRemoveDurable checks that Queue.Remove returns only after the
// removal is on disk: the done mark written and fsync'd, then the segment
// directory fsync'd (it may hold a new .done file), so that a removed
// message cannot come back after a crash, as a delivered one may.
func TestRemoveDurable(t *testing.T) {
	dir := t.TempDir()
	cfs := &crashFS{}
	q := openQueue(t, dir, Options{fs: cfs})
	defer q.Close()
	var ids []string
	for range 2 {
		id, err := q.Enqueue(context.Background(), basicEnvelope(), strings.NewReader(basicBody))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	before := len(cfs.opLog())
	if err := q.Remove(ids[0]); err != nil {
		t.Fatal(err)
	}
	got := cfs.opLog()[before:]
	want := []string{"open seg/done", "write done", "sync done", "syncdir seg"}
	if !slices.Equal(got, want) {
		t.Errorf("file operations of Remove:\n got %q\nwant %q", got, want)
	}
	// A second removal appends to the open .done file and syncs it again.
	before = len(cfs.opLog())
	if err := q.Remove(ids[1]); err != nil {
		t.Fatal(err)
	}
	got = cfs.opLog()[before:]
	if want := []string{"write done", "sync done", "syncdir seg"}; !slices.Equal(got, want) {
		t.Errorf("file operations of the second Remove:\n got %q\nwant %q", got, want)
	}
	if q.Len() != 0 {
		t.Errorf("%d messages queued after removing both", q.Len())
	}
}

// TestRemoveFailure: a Remove whose done mark cannot be synced reports
// the error instead of claiming the removal.
func TestRemoveFailure(t *testing.T) {
	dir := t.TempDir()
	cfs := &crashFS{}
	q := openQueue(t, dir, Options{fs: cfs})
	defer q.Close()
	id, err := q.Enqueue(context.Background(), basicEnvelope(), strings.NewReader(basicBody))
	if err != nil {
		t.Fatal(err)
	}
	cfs.hook = func(op string) {
		if op == "sync done" {
			cfs.mu.Lock()
			cfs.failAt = cfs.n + 1
			cfs.mu.Unlock()
		}
	}
	if err := q.Remove(id); err == nil {
		t.Error("Remove succeeded although its done mark could not be synced")
	}
}
