package pop3

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestParseResponse(t *testing.T) {
	for _, tc := range []struct {
		line string
		want response
		bad  bool
	}{
		{line: "+OK", want: response{kind: responseOK}},
		{line: "+OK 2 320", want: response{kind: responseOK, text: "2 320"}},
		{line: "+ok fine", want: response{kind: responseOK, text: "fine"}},
		{line: "-ERR", want: response{kind: responseErr}},
		{line: "-ERR no such message", want: response{kind: responseErr, text: "no such message"}},
		{line: "-ERR [IN-USE] locked", want: response{kind: responseErr, code: "IN-USE", text: "locked"}},
		{line: "-ERR [SYS/TEMP]", want: response{kind: responseErr, code: "SYS/TEMP"}},
		{line: "-ERR [AUTH]bad", want: response{kind: responseErr, code: "AUTH", text: "bad"}},
		{line: "-ERR [SYS/PERM/X] t", want: response{kind: responseErr, code: "SYS/PERM/X", text: "t"}},
		// Not codes: the text stays as sent.
		{line: "-ERR [] x", want: response{kind: responseErr, text: "[] x"}},
		{line: "-ERR [SYS/] x", want: response{kind: responseErr, text: "[SYS/] x"}},
		{line: "-ERR [A B] x", want: response{kind: responseErr, text: "[A B] x"}},
		{line: "-ERR [A[B] x", want: response{kind: responseErr, text: "[A[B] x"}},
		{line: "-ERR [open", want: response{kind: responseErr, text: "[open"}},
		{line: "-ERR  two spaces", want: response{kind: responseErr, text: " two spaces"}},
		{line: "+", want: response{kind: responseContinuation}},
		{line: "+ ", want: response{kind: responseContinuation}},
		{line: "+ VXNlcm5hbWU6", want: response{kind: responseContinuation, text: "VXNlcm5hbWU6"}},
		{line: "", bad: true},
		{line: "OK", bad: true},
		{line: "+OKAY", bad: true},
		{line: "-ERROR", bad: true},
		{line: "+\tx", bad: true},
		{line: "* OK imap", bad: true},
		{line: "+OK a\rb", bad: true},
		{line: "-ERR a\x00b", bad: true},
	} {
		got, err := parseResponse(tc.line)
		if tc.bad {
			if !errors.Is(err, ErrBadResponse) {
				t.Errorf("parseResponse(%q) = %+v, %v; want ErrBadResponse", tc.line, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("parseResponse(%q) = %+v, %v; want %+v", tc.line, got, err, tc.want)
		}
	}
}

func TestParseListings(t *testing.T) {
	for _, tc := range []struct {
		text  string
		count int
		size  int64
		ok    bool
	}{
		{text: "2 320", count: 2, size: 320, ok: true},
		{text: "0 0", ok: true},
		{text: "2  320 more text", count: 2, size: 320, ok: true},
		{text: "2", ok: false},
		{text: "-1 5", ok: false},
		{text: "2 -5", ok: false},
		{text: "2 +5", ok: false},
		{text: "1234567890 5", ok: false},
		{text: "2 99999999999999999999", ok: false},
	} {
		count, size, err := parseStat(tc.text)
		if tc.ok != (err == nil) || count != tc.count || size != tc.size {
			t.Errorf("parseStat(%q) = %d, %d, %v", tc.text, count, size, err)
		}
	}
	if l, err := parseScanListing("3 1200 extra"); err != nil || l != (ScanListing{3, 1200}) {
		t.Errorf("parseScanListing = %v, %v", l, err)
	}
	if _, err := parseScanListing("0 1200"); err == nil {
		t.Error("message number 0 accepted")
	}
	for _, tc := range []struct {
		line string
		want UniqueIDListing
		ok   bool
	}{
		{"1 whqtswO00WBw418f9t5JxYwZ", UniqueIDListing{1, "whqtswO00WBw418f9t5JxYwZ"}, true},
		{"12 ~!", UniqueIDListing{12, "~!"}, true},
		{"1 " + strings.Repeat("u", 70), UniqueIDListing{1, strings.Repeat("u", 70)}, true},
		{"1 " + strings.Repeat("u", 71), UniqueIDListing{}, false},
		{"1 uid extra", UniqueIDListing{}, false},
		{"1 caf\xc3\xa9", UniqueIDListing{}, false},
		{"1", UniqueIDListing{}, false},
		{"x y", UniqueIDListing{}, false},
	} {
		got, err := parseUniqueIDListing(tc.line)
		if tc.ok != (err == nil) || got != tc.want {
			t.Errorf("parseUniqueIDListing(%q) = %v, %v", tc.line, got, err)
		}
	}
}

func TestAPOPTimestamp(t *testing.T) {
	for text, want := range map[string]string{
		"POP3 server ready <1896.697170952@dbc.mtview.ca.us>": "<1896.697170952@dbc.mtview.ca.us>",
		"Dovecot ready. <5a3.1.6e1a2b3c@host> extra":          "<5a3.1.6e1a2b3c@host>",
		"POP3 server ready": "",
		"<no at sign>":      "",
		"<a@b":              "",
		"<a b@c>":           "",
	} {
		if got := apopTimestamp(text); got != want {
			t.Errorf("apopTimestamp(%q) = %q, want %q", text, got, want)
		}
	}
}

// unstuffReference is the plain statement of RFC 1939 section 3 that
// dotReader must agree with: line by line, the "." line ends the body, a
// leading "." is dropped. ok is false when the input ends before the "."
// line; rest is what follows it.
func unstuffReference(data []byte) (out, rest []byte, ok bool) {
	for len(data) > 0 {
		i := strings.IndexByte(string(data), '\n')
		if i < 0 {
			return out, nil, false
		}
		line := data[:i+1]
		data = data[i+1:]
		if string(line) == ".\r\n" || string(line) == ".\n" {
			return out, data, true
		}
		if line[0] == '.' {
			line = line[1:]
		}
		out = append(out, line...)
	}
	return out, nil, false
}

// readDotted reads data with a dotReader over a bufio.Reader of size
// bufSize fed through feed, in Reads of readSize bytes.
func readDotted(data []byte, bufSize, readSize int, feed func(io.Reader) io.Reader) (out, rest []byte, err error) {
	br := bufio.NewReaderSize(feed(strings.NewReader(string(data))), bufSize)
	r := &dotReader{br: br}
	buf := make([]byte, readSize)
	for {
		n, err := r.Read(buf)
		out = append(out, buf[:n]...)
		if err == io.EOF {
			break
		}
		if err != nil {
			return out, nil, err
		}
		if n == 0 {
			return out, nil, errors.New("Read returned 0, nil")
		}
	}
	rest, _ = io.ReadAll(br)
	return out, rest, nil
}

// checkDotReader compares dotReader with unstuffReference on data.
func checkDotReader(t *testing.T, data []byte) {
	t.Helper()
	want, wantRest, ok := unstuffReference(data)
	for _, feed := range []func(io.Reader) io.Reader{
		func(r io.Reader) io.Reader { return r },
		iotest.OneByteReader,
		iotest.HalfReader,
	} {
		for _, sizes := range [][2]int{{16, 1}, {16, 7}, {4096, 4096}} {
			got, rest, err := readDotted(data, sizes[0], sizes[1], feed)
			if !ok {
				// Cut short: the complete lines, maybe part of the last.
				if !errors.Is(err, io.ErrUnexpectedEOF) || !strings.HasPrefix(string(got), string(want)) || len(got) > len(data) {
					t.Fatalf("%q: got %q, %v; want a prefix %q and io.ErrUnexpectedEOF", data, got, err, want)
				}
				continue
			}
			if err != nil || string(got) != string(want) || string(rest) != string(wantRest) {
				t.Fatalf("%q (buffer %d, reads of %d): got %q, rest %q, %v; want %q, rest %q", data, sizes[0], sizes[1], got, rest, err, want, wantRest)
			}
		}
	}
}

func TestDotReader(t *testing.T) {
	for _, data := range []string{
		".\r\n",
		".\n",
		"hello\r\n.\r\n",
		"..\r\n...\r\n.a\r\na.\r\n. \r\n.\r\nnext",
		".\rx\r\n.\r\n",
		"bare\nlf\n..\n.\n",
		"\r\n\r\n.\r\n",
		strings.Repeat("long line ", 100) + "\r\n." + strings.Repeat("x", 40) + "\r\n.\r\n+OK next",
		"no end\r\n",
		"cut in the middle",
		".",
		".\r",
		"..",
		"",
	} {
		checkDotReader(t, []byte(data))
	}
}

// stuff is what the server's dotWriter sends for content, RETR-style.
func stuff(t testing.TB, content []byte) []byte {
	var b strings.Builder
	var d dotWriter
	d.reset(&b, -1)
	if _, err := d.Write(content); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	return []byte(b.String())
}

func TestDotReaderRoundTrip(t *testing.T) {
	for content, want := range map[string]string{
		"Subject: x\r\n\r\n.\r\n..\r\n.x\r\n": "Subject: x\r\n\r\n.\r\n..\r\n.x\r\n",
		"lf\n.dot\n":                          "lf\r\n.dot\r\n",
		"no final newline\r\n.":               "no final newline\r\n.\r\n",
		"":                                    "",
	} {
		got, _, err := readDotted(stuff(t, []byte(content)), 16, 5, func(r io.Reader) io.Reader { return r })
		if err != nil || string(got) != want {
			t.Errorf("round trip of %q: %q, %v; want %q", content, got, err, want)
		}
	}
}
