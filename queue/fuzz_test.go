package queue

import (
	"bytes"
	"hash/crc32"
	"strings"
	"testing"
	"time"
)

// FuzzEnvelope feeds the envelope file parser arbitrary bytes: it must not
// panic, and what it accepts must survive a round trip unchanged.
func FuzzEnvelope(f *testing.F) {
	m := &Message{
		ID: "0000018f2a3b4c5d-0a1b2c3d", From: "alice@sender.example", Return: ReturnFull, EnvelopeID: "QQ314159",
		UTF8: true, BodyType: "8BITMIME", RequireTLS: true, Arrival: t0, Size: 1234, DelayWarned: true,
		Recipients: []RecipientStatus{
			{Recipient: Recipient{Address: "bob@b.example", Notify: []DSNNotify{NotifySuccess, NotifyDelay}, OriginalRecipientType: "rfc822", OriginalRecipient: "bob@b.example"},
				State: StateDeferred, Attempts: 3, LastAttempt: t0.Add(time.Hour), NextAttempt: t0.Add(75 * time.Minute),
				Result: &Result{Status: StatusTemporary, Code: 451, EnhancedCode: "4.4.1", Message: "later", RemoteMTA: "mx.b.example"}},
			{Recipient: Recipient{Address: "carol@c.example"}, State: StateDelivered, Reported: true},
		},
		History: []Attempt{{Time: t0, Recipients: []string{"bob@b.example"}, Result: Result{Status: StatusTemporary, Code: 421}}},
	}
	seed, err := marshalEnvelope(m)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte(`{"v":1,"id":"a","from":"","arrival":"2025-01-01T00:00:00Z","size":0,"rcpts":[{"addr":"x@y","state":"pending"}]}`))
	f.Add([]byte(`{"v":1,"id":"a","from":"","arrival":"2025-01-01T00:00:00+01:00","size":0,"rcpts":[{"addr":"x@y","state":"failed","result":{"status":"permanent","code":550,"enhanced":"5.1.1"}}]}`))
	f.Add([]byte(`{"v":2}`))
	f.Add([]byte(`{"v":1,"id":"../x"}`))
	f.Add([]byte("null"))
	f.Add([]byte(`{"v":1,"id":"a","rcpts":[{"addr":"x@y","state":"pending","notify":["NEVER","SUCCESS"]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := parseEnvelope(data)
		if err != nil {
			return
		}
		if m == nil || len(m.Recipients) == 0 || !validID(m.ID) {
			t.Fatalf("accepted an invalid message: %+v", m)
		}
		for _, r := range m.Recipients {
			if strings.ContainsAny(r.Address, "\r\n\x00") {
				t.Fatalf("accepted a control character in %q", r.Address)
			}
		}
		b1, err := marshalEnvelope(m)
		if err != nil {
			t.Fatalf("accepted envelope does not marshal: %v", err)
		}
		m2, err := parseEnvelope(b1)
		if err != nil {
			t.Fatalf("re-parse of %s: %v", b1, err)
		}
		b2, err := marshalEnvelope(m2)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b1, b2) {
			t.Fatalf("round trip changed the envelope:\n%s\n%s", b1, b2)
		}
		// A clone marshals the same (clone is used for every save).
		if b3, _ := marshalEnvelope(m2.clone()); !bytes.Equal(b2, b3) {
			t.Fatalf("clone differs:\n%s\n%s", b2, b3)
		}
	})
}

// FuzzCopyHeader checks the header extraction used for text/rfc822-headers:
// it copies a prefix of the message, ending at the first blank line, within
// the limit.
func FuzzCopyHeader(f *testing.F) {
	f.Add([]byte(basicBody), 1000)
	f.Add([]byte("Subject: x\n\nbody\n"), 1000)
	f.Add([]byte("Subject: x"), 5)
	f.Add([]byte(strings.Repeat("a", 5000)+"\r\n\r\nbody"), 100000)
	f.Fuzz(func(t *testing.T, msg []byte, max int) {
		if max < 1 || max > 1<<20 {
			return
		}
		var out bytes.Buffer
		if err := copyHeader(&out, bytes.NewReader(msg), max); err != nil {
			t.Fatal(err)
		}
		got := out.Bytes()
		if !bytes.HasPrefix(msg, got) {
			// Only a final line break may have been added.
			trimmed, ok := bytes.CutSuffix(got, []byte("\r\n"))
			if !ok || !bytes.HasPrefix(msg, trimmed) {
				t.Fatalf("output is not a prefix of the input: %q", got)
			}
		}
		if len(got) > max+2 {
			t.Fatalf("%d bytes out, limit %d", len(got), max)
		}
		if len(got) > 0 && got[len(got)-1] != '\n' {
			t.Fatalf("output does not end with a line break: %q", got)
		}
		// Nothing after the first blank line.
		for _, sep := range []string{"\n\n", "\n\r\n"} {
			if i := bytes.Index(got, []byte(sep)); i >= 0 && i+len(sep) != len(got) {
				t.Fatalf("output goes past the blank line: %q", got)
			}
		}
	})
}

// testRecord is a record for buildSegment.
type testRecord struct {
	id         string
	body, env  []byte
	headerLast bool // leave the header zeroed, as a crash before it is written would
}

// buildSegment encodes a segment the way appendRecord writes one.
func buildSegment(key uint64, recs []testRecord) []byte {
	b := appendSegmentHeader(nil, key)
	for _, r := range recs {
		crc := crc32.Update(keyCRC(key), castagnoli, []byte(r.id))
		crc = crc32.Update(crc, castagnoli, r.body)
		crc = crc32.Update(crc, castagnoli, r.env)
		var hb [recHeaderSize]byte
		if !r.headerLast {
			encodeRecordHeader(hb[:], key, recordHeader{idLen: len(r.id), envLen: int64(len(r.env)), bodyLen: int64(len(r.body)), dataCRC: crc})
		}
		b = append(b, hb[:]...)
		b = append(b, r.id...)
		b = append(b, r.body...)
		b = append(b, r.env...)
	}
	return b
}

// FuzzSegment feeds the segment parser arbitrary bytes: it must not panic
// and what it reports must lie inside the file, in order, without
// overlap. It also checks that records built around the fuzzed body read
// back exactly, and that a segment embedded in a body (another key)
// yields no record of its own, even when the outer record is damaged.
func FuzzSegment(f *testing.F) {
	inner := buildSegment(7, []testRecord{{id: "0000000000000001-aa", body: []byte("evil"), env: []byte(`{"v":1}`)}})
	f.Add(buildSegment(1, []testRecord{{id: "0000000000000001-aa", body: []byte("hello\r\n"), env: []byte(`{"v":1}`)}}), []byte("body"), 3)
	f.Add(buildSegment(2, []testRecord{
		{id: "0000000000000001-aa", body: []byte("one"), env: []byte("{}")},
		{id: "0000000000000002-bb", body: []byte("two"), env: []byte("{}"), headerLast: true},
	}), inner, 40)
	f.Add([]byte(segMagic+"\x00\x00\x00\x00\x00\x00\x00\x01"+recMagic), []byte{}, 0)
	f.Add([]byte("MWQSEG0"), []byte("x"), -1)
	f.Fuzz(func(t *testing.T, data, body []byte, flip int) {
		checkScan(t, data)

		recs := []testRecord{
			{id: "0000000000000001-aa", body: body, env: []byte(`{"env":1}`)},
			{id: "0000000000000002-bb", body: inner, env: []byte(`{"env":2}`)},
			{id: "0000000000000003-cc", body: body, env: []byte(`{"env":3}`)},
		}
		seg := buildSegment(99, recs)
		sc := checkScan(t, seg)
		if len(sc.records) != len(recs) || len(sc.damage) != 0 || sc.tornAt != -1 {
			t.Fatalf("built segment: %d records, damage %v, torn at %d", len(sc.records), sc.damage, sc.tornAt)
		}
		for i, r := range sc.records {
			if r.id != recs[i].id || !bytes.Equal(seg[r.bodyOff:r.bodyOff+r.bodyLen], recs[i].body) || !bytes.Equal(seg[r.envOff:r.end()], recs[i].env) {
				t.Fatalf("record %d read back wrong: %+v", i, r)
			}
		}
		// Damage one byte: whatever is found is a record built here, never
		// one of the embedded segment (whose key differs).
		if flip >= 0 && len(seg) > 0 {
			seg[flip%len(seg)] ^= 0x5a
			for _, r := range checkScan(t, seg).records {
				if r.id == "0000000000000001-aa" && bytes.Equal(seg[r.bodyOff:r.bodyOff+r.bodyLen], []byte("evil")) {
					t.Fatal("record of the embedded segment accepted")
				}
			}
		}
	})
}

// checkScan scans data and checks the invariants of the result.
func checkScan(t *testing.T, data []byte) *segScan {
	t.Helper()
	sc, err := scanSegment(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return &segScan{tornAt: -1}
	}
	size := int64(len(data))
	pos := int64(segHeaderSize)
	ri, di := 0, 0
	for ri < len(sc.records) || di < len(sc.damage) {
		var off, end int64
		if di >= len(sc.damage) || ri < len(sc.records) && sc.records[ri].off < sc.damage[di].off {
			r := sc.records[ri]
			ri++
			if !validID(r.id) || r.bodyOff != r.off+recHeaderSize+int64(len(r.id)) || r.envOff != r.bodyOff+r.bodyLen || r.envLen <= 0 {
				t.Fatalf("inconsistent record %+v", r)
			}
			off, end = r.off, r.end()
		} else {
			d := sc.damage[di]
			di++
			if d.err == nil || d.id != "" && !validID(d.id) {
				t.Fatalf("inconsistent damage %+v", d)
			}
			off, end = d.off, d.end
		}
		if off != pos || end <= off || end > size {
			t.Fatalf("stretch [%d, %d) after %d in %d bytes", off, end, pos, size)
		}
		pos = end
	}
	if sc.tornAt >= 0 && sc.tornAt != pos || sc.tornAt < 0 && pos != size {
		t.Fatalf("scan ends at %d, torn at %d, size %d", pos, sc.tornAt, size)
	}
	return sc
}
