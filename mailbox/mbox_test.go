package mailbox

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// mboxMsg is a message as the tests compare them.
type mboxMsg struct {
	From   string
	Offset int64
	Body   string
}

// refParseMbox is the reference reader the streaming MboxReader is checked
// against: the same rules, written the obvious way on a whole input.
func refParseMbox(data []byte, crlf bool) ([]mboxMsg, error) {
	var lines []string
	var offs []int64
	for off := 0; off < len(data); {
		i := bytes.IndexByte(data[off:], '\n')
		end := len(data)
		if i >= 0 {
			end = off + i + 1
		}
		lines = append(lines, string(data[off:end]))
		offs = append(offs, int64(off))
		off = end
	}
	blank := func(l string) bool { return l == "\n" || l == "\r\n" }
	i := 0
	for i < len(lines) && blank(lines[i]) {
		i++
	}
	if i == len(lines) {
		return nil, nil
	}
	if !strings.HasPrefix(lines[i], "From ") {
		return nil, ErrNotMbox
	}
	quoted := regexp.MustCompile(`^>+From `)
	var msgs []mboxMsg
	for i < len(lines) {
		head := lines[i]
		if len(head) > maxMboxFromLine {
			head = head[:maxMboxFromLine]
		}
		head = strings.TrimRight(head, "\r\n")
		var from string
		if f := strings.FieldsFunc(strings.TrimPrefix(head, "From "), func(r rune) bool { return r == ' ' || r == '\t' }); len(f) > 0 {
			from = f[0]
		}
		m := mboxMsg{From: from, Offset: offs[i]}
		i++
		j := i
		for j < len(lines) && !(strings.HasPrefix(lines[j], "From ") && blank(lines[j-1])) {
			j++
		}
		body := lines[i:j]
		if len(body) > 0 && blank(body[len(body)-1]) {
			body = body[:len(body)-1] // the separator, or the blank line at the end
		}
		var b strings.Builder
		for _, l := range body {
			if quoted.MatchString(l) {
				l = l[1:]
			}
			if strings.HasSuffix(l, "\n") {
				l = strings.TrimRight(l[:len(l)-1], "\r")
				if crlf {
					l += "\r\n"
				} else {
					l += "\n"
				}
			}
			b.WriteString(l)
		}
		m.Body = b.String()
		msgs = append(msgs, m)
		i = j
	}
	return msgs, nil
}

// readMbox reads every message of r, reading bodies with reads of varying
// small sizes when small is set (to reach every partial-copy path).
func readMbox(r *MboxReader, small bool) ([]mboxMsg, error) {
	var msgs []mboxMsg
	for {
		m, err := r.Next()
		if err == io.EOF {
			return msgs, nil
		}
		if err != nil {
			return msgs, err
		}
		var body []byte
		if small {
			buf := make([]byte, 7)
			for k := 1; ; k = k%7 + 1 {
				n, err := m.Body.Read(buf[:k])
				body = append(body, buf[:n]...)
				if err == io.EOF {
					break
				}
				if err != nil {
					return msgs, err
				}
			}
		} else {
			if body, err = io.ReadAll(m.Body); err != nil {
				return msgs, err
			}
		}
		msgs = append(msgs, mboxMsg{From: m.From, Offset: m.Offset, Body: string(body)})
	}
}

func TestMboxReader(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []mboxMsg // Offsets checked only when non-zero after the first
		err  error
	}{
		{name: "empty", in: ""},
		{name: "blank lines only", in: "\n\r\n\n"},
		{name: "not mbox", in: "Subject: hi\n\nbody\n", err: ErrNotMbox},
		{name: "From without space", in: "From\n", err: ErrNotMbox},
		{
			name: "two messages",
			in:   "From a@example.org Mon Jan  2 15:04:05 2006\nSubject: 1\n\none\n\nFrom b@example.org Tue Jan  3 15:04:05 2006\nSubject: 2\n\ntwo\n\n",
			want: []mboxMsg{{"a@example.org", 0, "Subject: 1\n\none\n"}, {"b@example.org", 61, "Subject: 2\n\ntwo\n"}},
		},
		{
			name: "leading blank lines",
			in:   "\n\nFrom a x\nbody\n\n",
			want: []mboxMsg{{"a", 2, "body\n"}},
		},
		{
			name: "mboxrd unquoting",
			in:   "From a x\n>From here\n>>From there\n>>>From far\n>Fromage\n>\n> From x\nFrom not after blank\n\n",
			want: []mboxMsg{{"a", 0, "From here\n>From there\n>>From far\n>Fromage\n>\n> From x\nFrom not after blank\n"}},
		},
		{
			name: "no trailing newline",
			in:   "From a x\nlast line",
			want: []mboxMsg{{"a", 0, "last line"}},
		},
		{
			name: "no separating blank line at the end",
			in:   "From a x\nbody\n",
			want: []mboxMsg{{"a", 0, "body\n"}},
		},
		{
			name: "empty message",
			in:   "From a x\n\nFrom b x\n\n",
			want: []mboxMsg{{"a", 0, ""}, {"b", 10, ""}},
		},
		{
			name: "From_ line only",
			in:   "From a x",
			want: []mboxMsg{{"a", 0, ""}},
		},
		{
			name: "blank lines kept but the last",
			in:   "From a x\nbody\n\n\n\nFrom b x\n",
			want: []mboxMsg{{"a", 0, "body\n\n\n"}, {"b", 17, ""}},
		},
		{
			name: "CRLF file",
			in:   "From a x\r\nSubject: 1\r\n\r\n>From one\r\n\r\nFrom b x\r\ntwo\r\n\r\n",
			want: []mboxMsg{{"a", 0, "Subject: 1\n\nFrom one\n"}, {"b", 37, "two\n"}},
		},
		{
			name: "bare CR kept, CRs before LF dropped",
			in:   "From a x\na\rb\r\r\nc\r",
			want: []mboxMsg{{"a", 0, "a\rb\nc\r"}},
		},
		{
			name: "no sender",
			in:   "From \nx\n",
			want: []mboxMsg{{"", 0, "x\n"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readMbox(NewMboxReader(strings.NewReader(tt.in)), false)
			if !errors.Is(err, tt.err) {
				t.Fatalf("error %v, want %v", err, tt.err)
			}
			if fmt.Sprintf("%#v", got) != fmt.Sprintf("%#v", tt.want) {
				t.Errorf("got  %#v\nwant %#v", got, tt.want)
			}
			// The reference reader agrees, and so do small buffers.
			ref, rerr := refParseMbox([]byte(tt.in), false)
			if !errors.Is(rerr, tt.err) || fmt.Sprintf("%#v", ref) != fmt.Sprintf("%#v", tt.want) {
				t.Errorf("reference reader: %q, %v", ref, rerr)
			}
			small, serr := readMbox(newMboxReaderSize(iotest.OneByteReader(strings.NewReader(tt.in)), 16), true)
			if !errors.Is(serr, tt.err) || fmt.Sprintf("%#v", small) != fmt.Sprintf("%#v", tt.want) {
				t.Errorf("small buffers: %q, %v", small, serr)
			}
		})
	}
}

func TestMboxReaderCRLFOutput(t *testing.T) {
	in := "From a x\nSubject: 1\r\n\nbody\r\n>From x\nend"
	r := NewMboxReader(strings.NewReader(in))
	r.CRLF = true
	got, err := readMbox(r, false)
	if err != nil {
		t.Fatal(err)
	}
	want := "Subject: 1\r\n\r\nbody\r\nFrom x\r\nend"
	if len(got) != 1 || got[0].Body != want {
		t.Fatalf("got %q, want one message %q", got, want)
	}
}

func TestMboxReaderFromLine(t *testing.T) {
	tests := []struct {
		line string
		from string
		date time.Time
	}{
		{"From alice@example.org Mon Jan  2 15:04:05 2006", "alice@example.org", time.Date(2006, 1, 2, 15, 4, 5, 0, time.UTC)},
		{"From alice@example.org Mon Jan 02 15:04:05 2006", "alice@example.org", time.Date(2006, 1, 2, 15, 4, 5, 0, time.UTC)},
		{"From MAILER-DAEMON Fri Dec 31 23:59:59 1999 remote from x", "MAILER-DAEMON", time.Date(1999, 12, 31, 23, 59, 59, 0, time.UTC)},
		{"From bob Mon Jan  2 15:04:05 2006 -0700", "bob", time.Date(2006, 1, 2, 22, 4, 5, 0, time.UTC)},
		{"From bob Mon Jan  2 15:04:05 +0100 2006", "bob", time.Date(2006, 1, 2, 14, 4, 5, 0, time.UTC)},
		{"From bob\tMon Jan  2 15:04:05 2006", "bob", time.Date(2006, 1, 2, 15, 4, 5, 0, time.UTC)},
		{"From bob yesterday", "bob", time.Time{}},
		{"From bob", "bob", time.Time{}},
		{"From caf\u00e9\u00a0x@example.org Mon Jan  2 15:04:05 2006", "caf\u00e9\u00a0x@example.org", time.Date(2006, 1, 2, 15, 4, 5, 0, time.UTC)},
	}
	for _, tt := range tests {
		r := NewMboxReader(strings.NewReader(tt.line + "\r\n\r\n"))
		m, err := r.Next()
		if err != nil {
			t.Fatalf("%q: %v", tt.line, err)
		}
		if m.From != tt.from || !m.Date.Equal(tt.date) {
			t.Errorf("%q: from %q date %v, want %q %v", tt.line, m.From, m.Date, tt.from, tt.date)
		}
	}
}

func TestMboxReaderLongFromLine(t *testing.T) {
	in := "From " + strings.Repeat("x", 200000) + " Mon Jan  2 15:04:05 2006\nbody\n"
	r := newMboxReaderSize(strings.NewReader(in), 1024)
	m, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	if len(m.From) != maxMboxFromLine-len("From ") || !m.Date.IsZero() {
		t.Errorf("from of %d bytes, date %v: want the line cut at %d bytes", len(m.From), m.Date, maxMboxFromLine)
	}
	if b, _ := io.ReadAll(m.Body); string(b) != "body\n" {
		t.Errorf("body %q", b)
	}
}

func TestMboxReaderStaleBody(t *testing.T) {
	r := NewMboxReader(strings.NewReader("From a x\none\n\nFrom b x\ntwo\n"))
	m1, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	m2, err := r.Next() // skips the unread body of m1
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m1.Body.Read(make([]byte, 10)); !errors.Is(err, errMboxStale) {
		t.Errorf("read of a skipped body: %v, want errMboxStale", err)
	}
	if b, _ := io.ReadAll(m2.Body); string(b) != "two\n" {
		t.Errorf("second body %q", b)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("after the last message: %v, want io.EOF", err)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("again: %v, want io.EOF", err)
	}
}

func TestMboxReaderReadError(t *testing.T) {
	boom := errors.New("boom")
	in := io.MultiReader(strings.NewReader("From a x\npartial"), iotest.ErrReader(boom))
	r := NewMboxReader(in)
	m, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(m.Body)
	if !errors.Is(err, boom) || string(b) != "partial" {
		t.Errorf("body %q, %v; want \"partial\", boom", b, err)
	}
	if _, err := r.Next(); !errors.Is(err, boom) {
		t.Errorf("Next after a read error: %v", err)
	}
}

func appendString(t testing.TB, w io.Writer, from string, date time.Time, msg string) {
	t.Helper()
	if err := AppendMbox(w, from, date, strings.NewReader(msg)); err != nil {
		t.Fatal(err)
	}
}

func TestAppendMbox(t *testing.T) {
	date := time.Date(2024, 3, 5, 7, 8, 9, 0, time.FixedZone("X", 3600))
	head := "From alice@example.org Tue Mar  5 06:08:09 2024\n"
	tests := []struct {
		name, msg, want string
	}{
		{"plain", "Subject: x\n\nbody\n", "Subject: x\n\nbody\n\n"},
		{"CRLF", "Subject: x\r\n\r\nbody\r\n", "Subject: x\n\nbody\n\n"},
		{"no final newline", "body", "body\n\n"},
		{"final CR", "body\r", "body\n\n"},
		{"empty", "", "\n"},
		{"quoting", "From x\n>From y\n>>From z\nFromage\n>Fro\n >From\n", ">From x\n>>From y\n>>>From z\nFromage\n>Fro\n >From\n\n"},
		{"not a From line", "a\n>From", "a\n>From\n\n"},
		{"quote at end", "a\n>From ", "a\n>>From \n\n"},
		{"bare CR kept", "a\rb\r\r\n", "a\rb\n\n"},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		appendString(t, &b, "alice@example.org", date, tt.msg)
		if got := b.String(); got != head+tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, head+tt.want)
		}
	}
}

func TestAppendMboxSender(t *testing.T) {
	date := time.Date(2024, 3, 5, 7, 8, 9, 0, time.UTC)
	for from, want := range map[string]string{
		"":                      "MAILER-DAEMON",
		"<>":                    "MAILER-DAEMON",
		`"a b"@example.org`:     `"a_b"@example.org`,
		"a\tb\r\nc\x7f@example": "a_b__c_@example",
	} {
		var b bytes.Buffer
		appendString(t, &b, from, date, "x\n")
		m, err := NewMboxReader(&b).Next()
		if err != nil || m.From != want || !m.Date.Equal(date) {
			t.Errorf("sender %q: read back %q %v (%v), want %q", from, m.From, m.Date, err, want)
		}
	}
	if err := AppendMbox(io.Discard, strings.Repeat("a", maxMboxSender+1), date, strings.NewReader("x")); err == nil {
		t.Error("a sender over the limit was accepted")
	}
}

func TestAppendMboxZeroDate(t *testing.T) {
	var b bytes.Buffer
	before := time.Now().Add(-time.Second)
	appendString(t, &b, "a", time.Time{}, "x\n")
	m, err := NewMboxReader(&b).Next()
	if err != nil {
		t.Fatal(err)
	}
	if m.Date.Before(before.Truncate(time.Second)) || m.Date.After(time.Now()) {
		t.Errorf("zero date written as %v, want the current time", m.Date)
	}
}

// normalizeMbox is what a message becomes through AppendMbox and
// MboxReader: a line ending added to a last line without one, and every
// run of CRs before a LF dropped.
func normalizeMbox(msg []byte) string {
	s := string(msg)
	if s != "" && !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(strings.TrimRight(s[:i], "\r"))
		b.WriteByte('\n')
		s = s[i+1:]
	}
}

func sanitizeMboxSender(from string) string {
	if from == "" || from == "<>" {
		return mboxNullSender
	}
	return string(appendMboxSender(nil, from))
}

func checkRoundTrip(t *testing.T, from string, date time.Time, msgs ...[]byte) {
	t.Helper()
	var file bytes.Buffer
	for _, m := range msgs {
		if err := AppendMbox(&file, from, date, bytes.NewReader(m)); err != nil {
			t.Fatal(err)
		}
	}
	for _, small := range []bool{false, true} {
		if small && file.Len() > 64<<10 {
			// A 16-byte buffer is slow, and a file this size crosses the
			// real buffer's boundaries anyway.
			continue
		}
		r := NewMboxReader(bytes.NewReader(file.Bytes()))
		if small {
			r = newMboxReaderSize(iotest.HalfReader(bytes.NewReader(file.Bytes())), 16)
		}
		var got []*MboxMessage
		var bodies []string
		for {
			m, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("reading back %q: %v", file.Bytes(), err)
			}
			b, err := io.ReadAll(m.Body)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, m)
			bodies = append(bodies, string(b))
		}
		if len(got) != len(msgs) {
			t.Fatalf("wrote %d messages, read %d back from %q", len(msgs), len(got), file.Bytes())
		}
		for i, m := range got {
			if want := normalizeMbox(msgs[i]); bodies[i] != want {
				t.Errorf("message %d: read %q, want %q (file %q)", i, bodies[i], want, file.Bytes())
			}
			if want := sanitizeMboxSender(from); m.From != want {
				t.Errorf("message %d: sender %q, want %q", i, m.From, want)
			}
			if !m.Date.Equal(date.Truncate(time.Second)) {
				t.Errorf("message %d: date %v, want %v", i, m.Date, date)
			}
		}
	}
}

func TestMboxRoundTrip(t *testing.T) {
	date := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	cases := []string{
		"", "\n", "\n\n", "\r", "\r\n", "x", "From x", ">From x", "\nFrom x\n", "a\n\nFrom b\n\n",
		"Subject: s\r\n\r\n>>From\r\nFrom >From\r\n", "a\r\r", "\r\r\n\r", ">>>>>", ">\n>", "From ",
		strings.Repeat(">", 100) + "From x\n",
	}
	for _, c := range cases {
		checkRoundTrip(t, "a@b", date, []byte(c), []byte(c), []byte("last\n"))
	}
}

// TestMboxHugeLine sends one line far longer than any buffer through the
// appender and the reader, including a quote run longer than the buffer.
func TestMboxHugeLine(t *testing.T) {
	line := strings.Repeat("y", 1<<20)
	quotes := strings.Repeat(">", 100<<10)
	msg := "Subject: big\n\n" + line + "\r\n" + quotes + "From x\n" + quotes + "x\n" + line
	checkRoundTrip(t, "a@b", time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC), []byte(msg), []byte("next\n"))
}

const patternChunk = "From the line\r\n>From quoted\n" + "0123456789abcdef................................................................\n"

// patternReader produces n bytes of a message with long lines, some of them
// From lines, without holding it in memory.
type patternReader struct {
	n, off int64
}

func (p *patternReader) Read(b []byte) (int, error) {
	if p.off >= p.n {
		return 0, io.EOF
	}
	b = b[:min(int64(len(b)), p.n-p.off)]
	n := copy(b, patternChunk[p.off%int64(len(patternChunk)):])
	p.off += int64(n)
	return n, nil
}

// TestMboxStreams50MB pipes a 50 MB message through AppendMbox into
// MboxReader and checks that memory stays bounded by the buffers.
func TestMboxStreams50MB(t *testing.T) {
	if testing.Short() {
		t.Skip("50 MB stream skipped in -short mode")
	}
	const size = 50 << 20
	pr, pw := io.Pipe()
	go func() {
		w := bufio.NewWriter(pw)
		err := AppendMbox(w, "a@b", time.Now(), &patternReader{n: size})
		if err == nil {
			err = w.Flush()
		}
		pw.CloseWithError(err)
	}()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r := NewMboxReader(pr)
	m, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, m.Body)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("after the message: %v", err)
	}
	runtime.ReadMemStats(&after)
	// Each "\r\n" reads back as "\n", and the last line gets a "\n".
	full, rest := size/len(patternChunk), patternChunk[:size%len(patternChunk)]
	want := int64(size - full*strings.Count(patternChunk, "\r\n") - strings.Count(rest, "\r\n"))
	if rest != "" && !strings.HasSuffix(rest, "\n") {
		want++
	}
	if n != want {
		t.Errorf("read %d bytes, want %d", n, want)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
		t.Errorf("allocated %d bytes to stream %d: not bounded by the buffers", alloc, size)
	}
}

func FuzzMboxReader(f *testing.F) {
	for _, s := range []string{
		"", "\n", "From a x\nbody\n\nFrom b x\n>From q\n\n", "From a x\r\nb\r\n\r\nFrom c\r\n",
		"From a\n>>From\n>\n\n\nFrom b\n", "x", "From a\nl\r\r", "From \n\r\n\r\nFrom ", "\r\nFrom a\r\n>\r\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		want, werr := refParseMbox(data, false)
		got, err := readMbox(NewMboxReader(bytes.NewReader(data)), false)
		if !errors.Is(err, werr) || fmt.Sprintf("%#v", got) != fmt.Sprintf("%#v", want) {
			t.Fatalf("input %q:\n got  %#v %v\n want %#v %v", data, got, err, want, werr)
		}
		// Small buffers, short reads and small Read calls change nothing.
		got, err = readMbox(newMboxReaderSize(iotest.OneByteReader(bytes.NewReader(data)), 16), true)
		if !errors.Is(err, werr) || fmt.Sprintf("%#v", got) != fmt.Sprintf("%#v", want) {
			t.Fatalf("input %q, small buffers:\n got  %#v %v\n want %#v %v", data, got, err, want, werr)
		}
		// CRLF output.
		want, _ = refParseMbox(data, true)
		r := newMboxReaderSize(iotest.HalfReader(bytes.NewReader(data)), 16)
		r.CRLF = true
		got, _ = readMbox(r, false)
		if fmt.Sprintf("%#v", got) != fmt.Sprintf("%#v", want) {
			t.Fatalf("input %q, CRLF:\n got  %#v\n want %#v", data, got, want)
		}
	})
}

func FuzzMboxRoundTrip(f *testing.F) {
	f.Add("a@example.org", int64(1e9), []byte("Subject: x\r\n\r\nFrom here\r\n"), []byte(">From\n\n"))
	f.Add("", int64(0), []byte(""), []byte("\r"))
	f.Add("x y", int64(-1), []byte(">>From \n"), []byte("From"))
	f.Fuzz(func(t *testing.T, from string, unix int64, m1, m2 []byte) {
		if len(from) > maxMboxSender {
			if err := AppendMbox(io.Discard, from, time.Now(), bytes.NewReader(m1)); err == nil {
				t.Fatal("sender over the limit accepted")
			}
			return
		}
		// asctime holds years 1 to 9999 (0 is the zero time, which
		// AppendMbox replaces with now).
		const lo, hi = -62135596800 + 1, 253402300799
		unix = lo + (unix%(hi-lo)+(hi-lo))%(hi-lo)
		checkRoundTrip(t, from, time.Unix(unix, 0).UTC(), m1, m2)
	})
}

func BenchmarkMboxReader(b *testing.B) {
	var file bytes.Buffer
	msg := bytes.Repeat([]byte("A line of an ordinary message, 72 characters long or so, and more.\r\n"), 1500)
	for range 10 {
		AppendMbox(&file, "a@example.org", time.Now(), bytes.NewReader(msg))
	}
	b.SetBytes(int64(file.Len()))
	b.ReportAllocs()
	for b.Loop() {
		r := NewMboxReader(bytes.NewReader(file.Bytes()))
		for {
			m, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, m.Body)
		}
	}
}

func BenchmarkAppendMbox(b *testing.B) {
	msg := bytes.Repeat([]byte("A line of an ordinary message, 72 characters long or so, and more.\r\n"), 1500)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		if err := AppendMbox(io.Discard, "a@example.org", time.Now(), bytes.NewReader(msg)); err != nil {
			b.Fatal(err)
		}
	}
}
