package mailbox

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"
)

func FuzzCanonicalName(f *testing.F) {
	for _, s := range []string{"INBOX", "inbox/a", "Lists/Go", "a.b", "Entwürfe", "&", "a//b", ".x", "日本語/メール", "a%b", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		canon, err := CanonicalName(name)
		if err != nil {
			return
		}
		if again, err := CanonicalName(canon); err != nil || again != canon {
			t.Fatalf("canonical form %q not stable: %q %v", canon, again, err)
		}
		if canon == Inbox {
			return
		}
		d := diskName(canon)
		if len(d) > maxDiskNameLen || strings.ContainsAny(d, "/\x00") || d == "." || d == ".." {
			t.Fatalf("unsafe disk name %q for %q", d, canon)
		}
		back, ok := folderFromDisk(d)
		if !ok || back != canon {
			t.Fatalf("round trip %q -> %q -> %q %v", canon, d, back, ok)
		}
	})
}

func FuzzMUTF7(f *testing.F) {
	for _, s := range []string{"&-", "&AOk-", "&Jjo-!", "a&b", "&ZeVnLIqe-", "&AGE-", "&2D3cAA-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d, ok := decodeMUTF7(s); ok {
			if !utf8.ValidString(d) {
				t.Fatalf("decoded %q to invalid UTF-8", s)
			}
			if e := encodeMUTF7(d); e != s {
				t.Fatalf("%q decodes to %q which encodes to %q: two spellings", s, d, e)
			}
		}
		if utf8.ValidString(s) {
			if d, ok := decodeMUTF7(encodeMUTF7(s)); !ok || d != s {
				t.Fatalf("round trip of %q: %q %v", s, d, ok)
			}
		}
	})
}

func FuzzParseIndex(f *testing.F) {
	var b bytes.Buffer
	formatIndex(&b, &indexData{uidValidity: 7, uidNext: 3, hms: 9, ceiling: 1009, uidlistID: "ab", uidlistSize: 40},
		[]msgRec{{uid: 1, modseq: 2, size: 10, raw: 9, date: 5, name: "1.M1.h,S=9,W=10:2,S"}, {uid: 2, modseq: 9, size: 3, raw: 3, inNew: true, name: "2.M2.h"}})
	f.Add(b.Bytes())
	f.Add([]byte("MWIDX1 1 1 0 0 x 0 0 0 0 0\nend 0\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		// The CRC would stop almost every mutation: fuzz the body parser
		// too, on the data as if its CRC were right.
		if i := bytes.LastIndex(data, []byte("\nend ")); i >= 0 {
			parseIndexBody(data[:i+1])
		} else if len(data) > 0 && data[len(data)-1] == '\n' {
			parseIndexBody(data)
		}
		idx, err := parseIndex(data)
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := formatIndex(&out, idx, idx.msgs); err != nil {
			t.Fatal(err)
		}
		idx2, err := parseIndex(out.Bytes())
		if err != nil || len(idx2.msgs) != len(idx.msgs) {
			t.Fatalf("re-parse: %v", err)
		}
		for i := 1; i < len(idx.msgs); i++ {
			if idx.msgs[i].uid <= idx.msgs[i-1].uid {
				t.Fatal("UIDs not ascending")
			}
		}
	})
}

func FuzzParseUidlist(f *testing.F) {
	f.Add([]byte("MWUID1 ab 7 3\nR1001\n+1 1.M1.h,S=3\n+2 2.M2.h\n"), int64(0))
	f.Add([]byte("MWUID1 ab 7 3\n+1 a\n+1 b\n+x\n+2 tor"), int64(14))
	f.Fuzz(func(t *testing.T, data []byte, from int64) {
		ul := parseUidlist(data, from)
		if !ul.ok {
			return
		}
		if ul.size > int64(len(data)) {
			t.Fatalf("size %d beyond data %d", ul.size, len(data))
		}
		seen := map[string]bool{}
		for uid, base := range ul.entries {
			if uid == 0 || uid >= ul.uidNext || base == "" || strings.ContainsAny(base, "/:") {
				t.Fatalf("bad entry %d %q (uidnext %d)", uid, base, ul.uidNext)
			}
			seen[base] = true
		}
	})
}

// FuzzLFReader checks that random-access reads of an LF file see exactly
// its CRLF form.
func FuzzLFReader(f *testing.F) {
	f.Add([]byte("a\nb\r\nc\n\n"), uint16(3), uint8(4))
	f.Add([]byte("\n\n\n\r\r\n"), uint16(0), uint8(1))
	f.Fuzz(func(t *testing.T, raw []byte, off uint16, n uint8) {
		var want bytes.Buffer
		if _, err := copyCRLF(bg, &want, bytes.NewReader(raw)); err != nil {
			t.Fatal(err)
		}
		size, _ := crlfSize(bytes.NewReader(raw))
		if size != int64(want.Len()) {
			t.Fatalf("crlfSize %d, converted %d", size, want.Len())
		}
		r := &lfReader{f: memReader{bytes.NewReader(raw)}, size: size}
		all, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(all, want.Bytes()) {
			t.Fatalf("Read: %q %v, want %q", all, err, want.Bytes())
		}
		buf := make([]byte, int(n)+1)
		for _, o := range []int64{int64(off), int64(off) / 2, 0, int64(off)} {
			k, err := r.ReadAt(buf, o)
			exp := []byte{}
			if o < size {
				exp = want.Bytes()[o:min(o+int64(len(buf)), size)]
			}
			if !bytes.Equal(buf[:k], exp) || (k < len(buf) && err != io.EOF) {
				t.Fatalf("ReadAt(%d) = %q %v, want %q", o, buf[:k], err, exp)
			}
		}
	})
}

// FuzzCopyCRLF checks copyCRLF against a whole-buffer conversion, with
// the input arriving a byte, a few bytes or a line at a time (an SMTP body
// arrives a line per Read), and that the output goes out in few writes.
func FuzzCopyCRLF(f *testing.F) {
	f.Add([]byte("Subject: x\n\nbody\r\nmore\n"), uint8(1))
	f.Add([]byte("no newline at the end"), uint8(3))
	f.Add([]byte("\r\n\n\r\r\n\n"), uint8(2))
	f.Add(bytes.Repeat([]byte("line of text\n"), 3000), uint8(13))
	f.Fuzz(func(t *testing.T, raw []byte, step uint8) {
		var want []byte
		for i, c := range raw {
			if c == '\n' && (i == 0 || raw[i-1] != '\r') {
				want = append(want, '\r')
			}
			want = append(want, c)
		}
		readers := []io.Reader{&stepReader{raw: raw, step: int(step)%64 + 1}, bytes.NewReader(raw)}
		if len(raw) < 4096 {
			readers = append(readers, iotest.OneByteReader(bytes.NewReader(raw)))
		}
		for _, r := range readers {
			var w countingWriter
			n, err := copyCRLF(bg, &w, r)
			if err != nil || n != int64(len(want)) || !bytes.Equal(w.buf, want) {
				t.Fatalf("copyCRLF(%q) = %q, %d, %v; want %q", raw, w.buf, n, err, want)
			}
			if most := len(want)/(copyChunk/2) + 1; w.writes > most {
				t.Fatalf("%d bytes written in %d writes, want at most %d", len(want), w.writes, most)
			}
		}
	})
}

// stepReader returns step bytes per Read.
type stepReader struct {
	raw  []byte
	step int
}

func (r *stepReader) Read(p []byte) (int, error) {
	if len(r.raw) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), r.step)], r.raw)
	r.raw = r.raw[n:]
	return n, nil
}

type countingWriter struct {
	buf    []byte
	writes int
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	w.writes++
	return len(p), nil
}
