package queue

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// A segment file (seg/<n>.log) is a segment header followed by records
// appended one after another:
//
//	segment header  "MWQSEG01" (8 bytes), key (8 random bytes)
//	record header   "MWR1", id length (uint16), 0 (uint16),
//	                envelope length (uint32), body length (uint64),
//	                data CRC (uint32), header CRC (uint32), 0 (uint32)
//	record data     id, body, envelope (JSON)
//
// Integers are big-endian. Both CRCs are CRC-32C seeded with the segment's
// key: the data CRC over id, body and envelope, the header CRC over the 24
// header bytes before it. The key makes a record copied into a message body
// worthless: after damage, the parser looks for the next record by its
// magic, and a record that some sender embedded in a body cannot pass the
// CRCs of a segment whose key it does not know. The body precedes the
// envelope because the envelope records the body's size, known only once
// the body has been streamed in.
const (
	segMagic        = "MWQSEG01"
	segHeaderSize   = 16
	recMagic        = "MWR1"
	recHeaderSize   = 32
	maxRecordID     = 64
	segSuffix       = ".log"
	doneSuffix      = ".done"
	corruptRecordEx = ".rec"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// recordHeader is the decoded fixed part of a record.
type recordHeader struct {
	idLen   int
	envLen  int64
	bodyLen int64
	dataCRC uint32
}

// dataLen is the length of the record after its header.
func (h recordHeader) dataLen() int64 { return int64(h.idLen) + h.bodyLen + h.envLen }

// encodeRecordHeader fills b (recHeaderSize bytes) for a record.
func encodeRecordHeader(b []byte, key uint64, h recordHeader) {
	clear(b[:recHeaderSize])
	copy(b, recMagic)
	binary.BigEndian.PutUint16(b[4:], uint16(h.idLen))
	binary.BigEndian.PutUint32(b[8:], uint32(h.envLen))
	binary.BigEndian.PutUint64(b[12:], uint64(h.bodyLen))
	binary.BigEndian.PutUint32(b[20:], h.dataCRC)
	binary.BigEndian.PutUint32(b[24:], crc32.Update(keyCRC(key), castagnoli, b[:24]))
}

// keyCRC is the CRC state after the segment key, the seed of both CRCs.
func keyCRC(key uint64) uint32 {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], key)
	return crc32.Update(0, castagnoli, k[:])
}

// decodeRecordHeader checks and decodes a record header. The limits keep
// a damaged header from naming absurd lengths; the caller still checks
// them against the file size.
func decodeRecordHeader(b []byte, key uint64) (recordHeader, error) {
	if len(b) < recHeaderSize || string(b[:4]) != recMagic {
		return recordHeader{}, errors.New("no record magic")
	}
	if crc32.Update(keyCRC(key), castagnoli, b[:24]) != binary.BigEndian.Uint32(b[24:]) {
		return recordHeader{}, errors.New("record header checksum mismatch")
	}
	h := recordHeader{
		idLen:   int(binary.BigEndian.Uint16(b[4:])),
		envLen:  int64(binary.BigEndian.Uint32(b[8:])),
		bodyLen: int64(binary.BigEndian.Uint64(b[12:])),
		dataCRC: binary.BigEndian.Uint32(b[20:]),
	}
	if h.idLen == 0 || h.idLen > maxRecordID || h.envLen == 0 || h.envLen > maxEnvelopeFile || h.bodyLen < 0 || h.bodyLen > 1<<50 {
		return recordHeader{}, errors.New("record header out of range")
	}
	return h, nil
}

// segRecord is a record found in a segment.
type segRecord struct {
	off     int64 // of the record header
	id      string
	bodyOff int64
	bodyLen int64
	envOff  int64
	envLen  int64
}

// end is the offset just past the record.
func (r segRecord) end() int64 { return r.envOff + r.envLen }

// segDamage is a stretch of a segment that holds no valid record.
type segDamage struct {
	off, end int64
	id       string // from the record header, if it was readable
	err      error
}

// segScan is what scanSegment found in a segment.
type segScan struct {
	key     uint64
	records []segRecord
	damage  []segDamage // reported: the data may have been acknowledged
	// tornAt >= 0 is where an incomplete last record begins: an append
	// that a crash interrupted before it was acknowledged.
	tornAt int64
}

// errNoSegment is returned by scanSegment for a file too short to hold a
// segment header: a segment whose creation a crash interrupted.
var errNoSegment = errors.New("segment header incomplete")

// scanSegment parses a segment of the given size read through r. It never
// trusts a length before checking it against size, and reads bodies in
// bounded chunks to check their CRCs. After damage it looks for the next
// record whose header and data pass their CRCs, so that the records after
// it are recovered.
func scanSegment(r io.ReaderAt, size int64) (*segScan, error) {
	var hdr [segHeaderSize]byte
	if size < segHeaderSize {
		return nil, errNoSegment
	}
	if _, err := r.ReadAt(hdr[:], 0); err != nil {
		return nil, err
	}
	if string(hdr[:8]) != segMagic {
		return nil, errors.New("not a queue segment")
	}
	sc := &segScan{key: binary.BigEndian.Uint64(hdr[8:]), tornAt: -1}
	p := segParser{r: r, size: size, key: sc.key, seed: keyCRC(sc.key)}
	off := int64(segHeaderSize)
	for off < size {
		rec, err := p.record(off)
		if err == nil {
			sc.records = append(sc.records, rec)
			off = rec.end()
			continue
		}
		if err == io.ErrUnexpectedEOF {
			// A header cut short, or a record running past the end.
			sc.tornAt = off
			break
		}
		next, ok := p.resync(off + 1)
		if !ok && p.zeroOrShort(off) {
			// Nothing valid follows and no header was written: the
			// append that a crash cut short.
			sc.tornAt = off
			break
		}
		d := segDamage{off: off, end: size, err: err}
		if ok {
			d.end = next
		}
		d.id = p.headerID(off)
		sc.damage = append(sc.damage, d)
		off = d.end
	}
	return sc, nil
}

type segParser struct {
	r    io.ReaderAt
	size int64
	key  uint64
	seed uint32
	buf  [32 << 10]byte
}

// record reads and checks the record at off. io.ErrUnexpectedEOF means the
// file ends inside a record whose header is valid (or inside a header).
func (p *segParser) record(off int64) (segRecord, error) {
	var hb [recHeaderSize]byte
	if p.size-off < recHeaderSize {
		return segRecord{}, io.ErrUnexpectedEOF
	}
	if _, err := p.r.ReadAt(hb[:], off); err != nil {
		return segRecord{}, err
	}
	h, err := decodeRecordHeader(hb[:], p.key)
	if err != nil {
		return segRecord{}, err
	}
	if h.dataLen() > p.size-off-recHeaderSize {
		return segRecord{}, io.ErrUnexpectedEOF
	}
	start := off + recHeaderSize
	crc := p.seed
	var id string
	for pos, end := start, start+h.dataLen(); pos < end; {
		n := int(min(int64(len(p.buf)), end-pos))
		if _, err := p.r.ReadAt(p.buf[:n], pos); err != nil {
			return segRecord{}, err
		}
		if pos == start {
			id = string(p.buf[:h.idLen])
		}
		crc = crc32.Update(crc, castagnoli, p.buf[:n])
		pos += int64(n)
	}
	if crc != h.dataCRC {
		return segRecord{}, errors.New("record checksum mismatch")
	}
	if !validID(id) {
		return segRecord{}, fmt.Errorf("bad message id %q", id)
	}
	rec := segRecord{off: off, id: id, bodyOff: start + int64(h.idLen), bodyLen: h.bodyLen}
	rec.envOff = rec.bodyOff + h.bodyLen
	rec.envLen = h.envLen
	return rec, nil
}

// resync finds the first valid record at or after from.
func (p *segParser) resync(from int64) (int64, bool) {
	var chunk [64 << 10]byte
	for pos := from; pos+recHeaderSize <= p.size; {
		n := int(min(int64(len(chunk)), p.size-pos))
		if _, err := p.r.ReadAt(chunk[:n], pos); err != nil && err != io.EOF {
			return 0, false
		}
		for i := 0; ; {
			j := bytes.Index(chunk[i:n], []byte(recMagic))
			if j < 0 {
				break
			}
			at := pos + int64(i+j)
			if _, err := p.record(at); err == nil {
				return at, true
			}
			i += j + 1
		}
		if n < len(recMagic) {
			break
		}
		// Overlap so that a magic across chunks is seen.
		pos += int64(n - len(recMagic) + 1)
	}
	return 0, false
}

// zeroOrShort reports whether the stretch from off holds no record header:
// fewer bytes than one, or no magic yet. appendRecord writes the magic of
// a record whose header it writes last after the rest of the header, so a
// crash leaves zeros there, or the start of the magic if that very write
// was cut.
func (p *segParser) zeroOrShort(off int64) bool {
	var m [len(recMagic)]byte
	if p.size-off < recHeaderSize {
		return true
	}
	if _, err := p.r.ReadAt(m[:], off); err != nil {
		return false
	}
	i := 0
	for i < len(m) && m[i] == recMagic[i] {
		i++
	}
	for ; i < len(m); i++ {
		if m[i] != 0 {
			return false
		}
	}
	return string(m[:]) != recMagic
}

// headerID returns the message ID of the damaged record at off if its
// header is intact, for the report.
func (p *segParser) headerID(off int64) string {
	var hb [recHeaderSize]byte
	if p.size-off < recHeaderSize {
		return ""
	}
	if _, err := p.r.ReadAt(hb[:], off); err != nil {
		return ""
	}
	h, err := decodeRecordHeader(hb[:], p.key)
	if err != nil || off+recHeaderSize+int64(h.idLen) > p.size {
		return ""
	}
	id := make([]byte, h.idLen)
	if _, err := p.r.ReadAt(id, off+recHeaderSize); err != nil || !validID(string(id)) {
		return ""
	}
	return string(id)
}

// appendSegmentHeader appends the header of a new segment.
func appendSegmentHeader(b []byte, key uint64) []byte {
	b = append(b, segMagic...)
	return binary.BigEndian.AppendUint64(b, key)
}

// parseDone returns the marks of a .done file: message IDs, and "@<off>"
// for damaged stretches already set aside. A last line without its
// newline is a write cut short and is ignored.
func parseDone(data []byte) map[string]bool {
	marks := map[string]bool{}
	for {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			return marks
		}
		if i > 0 {
			marks[string(data[:i])] = true
		}
		data = data[i+1:]
	}
}
