package imap

import (
	"bytes"
	"errors"
	"io"
	"strings"
)

// StructureLimits bound the time and memory spent on one message's MIME
// structure, whatever the message holds. The zero value of each field
// means its default.
type StructureLimits struct {
	// MaxDepth bounds the nesting of multiparts and encapsulated messages
	// (default 50). A multipart or message/rfc822 part deeper than that is
	// kept as an opaque application/octet-stream leaf. It also bounds the
	// recursion of the parser, so keep it in the hundreds at most.
	MaxDepth int
	// MaxParts bounds the number of parts (default 10000). Once reached,
	// further parts are not split out: their bytes stay in their parent's
	// body.
	MaxParts int
	// MaxFieldLength bounds the bytes kept of one header field (default 64
	// KiB); the rest of a longer field is ignored.
	MaxFieldLength int
	// MaxHeaderBytes bounds the header bytes kept over the whole message
	// (default 4 MiB).
	MaxHeaderBytes int
}

// Default structure limits.
const (
	DefaultMaxMIMEDepth      = 50
	DefaultMaxMIMEParts      = 10000
	DefaultMaxFieldLength    = 64 << 10
	DefaultMaxHeaderBytes    = 4 << 20
	maxBoundaryLength        = 200 // RFC 2046 allows 70; be lenient, but bounded
	maxRFC2231Segments       = 100
	maxParamsPerField        = 200
	scanBufferSize           = 8 << 10 // at most; smaller for small messages
	defaultCharset           = "us-ascii"
	defaultTransferEncoding  = "7bit"
	opaqueType, opaqueSubype = "application", "octet-stream"
)

func (l StructureLimits) maxDepth() int {
	if l.MaxDepth > 0 {
		return l.MaxDepth
	}
	return DefaultMaxMIMEDepth
}

func (l StructureLimits) maxParts() int {
	if l.MaxParts > 0 {
		return l.MaxParts
	}
	return DefaultMaxMIMEParts
}

func (l StructureLimits) maxField() int {
	if l.MaxFieldLength > 0 {
		return l.MaxFieldLength
	}
	return DefaultMaxFieldLength
}

func (l StructureLimits) maxHeader() int {
	if l.MaxHeaderBytes > 0 {
		return l.MaxHeaderBytes
	}
	return DefaultMaxHeaderBytes
}

// Part is one MIME entity of a message, with the byte offsets that locate
// it in the raw message: [HeaderStart, BodyStart) is its header including
// the blank line that ends it, [BodyStart, End) its body. The line break
// before a multipart delimiter belongs to the delimiter (RFC 2046 section
// 5.1.1), so it is not in the body of the part it follows.
type Part struct {
	HeaderStart, BodyStart, End int64

	// Lines is the number of line feeds in the body (body-fld-lines).
	Lines int64

	// Type and Subtype are the media type as written, or "text" "plain"
	// when absent or invalid (RFC 2045 section 5.2).
	Type, Subtype string
	// Params are the Content-Type parameters in order, RFC 2231
	// continuations joined. A text part without a charset gets
	// charset=us-ascii.
	Params []Param

	ID          string // Content-ID
	Description string // Content-Description
	Encoding    string // Content-Transfer-Encoding as written, "7bit" by default
	MD5         string // Content-MD5

	Disposition       string // Content-Disposition value, "" if none
	DispositionParams []Param
	Language          []string // Content-Language tags
	Location          string   // Content-Location

	// Children are the parts of a multipart.
	Children []*Part
	// Message is the encapsulated message of a message/rfc822 (or
	// message/global) part: its header starts at this part's BodyStart.
	Message *Part
	// envRaw holds the envelope fields of a message root (the top-level
	// part and every Message); Envelope builds the ENVELOPE from them.
	envRaw *[envFields]string
	env    *Envelope

	lfStart int64 // line feeds before BodyStart
	lfEnd   int64 // line feeds before End
}

// Param is a MIME parameter.
type Param struct {
	Name, Value string
}

// Envelope returns the ENVELOPE of a message root: the top-level part or
// the Message of a message/rfc822 part. Other parts give an empty one.
func (p *Part) Envelope() *Envelope {
	if p.env == nil {
		if p.envRaw == nil {
			p.env = &Envelope{}
		} else {
			p.env = buildEnvelope(p.envRaw)
		}
	}
	return p.env
}

// IsMultipart reports whether the part is a multipart (even one with no
// parts).
func (p *Part) IsMultipart() bool { return equalFoldASCII(p.Type, "multipart") }

// Size returns the size of the body in bytes (body-fld-octets).
func (p *Part) Size() int64 { return p.End - p.BodyStart }

// Param returns the value of the named Content-Type parameter.
func (p *Part) Param(name string) string {
	for _, x := range p.Params {
		if equalFoldASCII(x.Name, name) {
			return x.Value
		}
	}
	return ""
}

// ErrNoSection is returned for a section that does not exist in the
// message, or a section specifier that does not apply to the part.
var ErrNoSection = errors.New("imap: no such body section")

// ErrUnknownCTE is returned by BINARY fetches for a part whose
// Content-Transfer-Encoding the server cannot decode: the client gets
// NO [UNKNOWN-CTE] (RFC 3516 section 4.3).
var ErrUnknownCTE = errors.New("imap: unknown content transfer encoding")

// ---- the scanner ----

// scanner reads a region of a message line by line, straight from the
// io.ReaderAt into its own buffer, keeping count of its offset and of the
// line feeds seen. Lines longer than the buffer come in several fragments;
// only the first is at a line start.
type scanner struct {
	r           io.ReaderAt
	pos         int64 // source offset of the next byte to read into buf
	end         int64 // end of the region
	buf         []byte
	lo, hi      int   // unread bytes are buf[lo:hi]
	off         int64 // offset of buf[lo]
	lfs         int64 // line feeds before off
	atLineStart bool
	lastEOL     int  // length of the line break that ended the last line
	prevByte    byte // last byte of the previous fragment
	eof         bool
	err         error
}

// frag is one piece of a line.
type frag struct {
	data      []byte
	lineStart bool
	start     int64 // offset of data[0]
	prevEOL   int   // line break before this line, when lineStart
	lfsBefore int64 // line feeds before start
}

func (f frag) endsLine() bool { return len(f.data) > 0 && f.data[len(f.data)-1] == '\n' }

// scanBufSize sizes a scan buffer for a region: small messages get small
// buffers, nothing gets more than scanBufferSize.
func scanBufSize(n int64) int {
	// At least room for a delimiter line with the longest boundary.
	return int(max(min(n, scanBufferSize), 2*maxBoundaryLength))
}

// newScanner scans [off, end) of r, using buf if it is not nil.
func newScanner(r io.ReaderAt, off, end int64, buf []byte) *scanner {
	if buf == nil {
		buf = make([]byte, scanBufSize(end-off))
	}
	return &scanner{r: r, pos: off, end: end, buf: buf, off: off, atLineStart: true}
}

func (s *scanner) fill() {
	n := int64(len(s.buf) - s.hi)
	if rest := s.end - s.pos; rest < n {
		n = rest
	}
	if n <= 0 {
		s.eof = true
		return
	}
	k, err := s.r.ReadAt(s.buf[s.hi:s.hi+int(n)], s.pos)
	s.hi += k
	s.pos += int64(k)
	switch {
	case err == io.EOF:
		if int64(k) < n {
			s.eof = true // the source is shorter than announced
		}
	case err != nil:
		s.err = readAtError{err}
	}
	if s.pos >= s.end {
		s.eof = true
	}
}

// next returns the next fragment, or io.EOF at the end of the region.
func (s *scanner) next() (frag, error) {
	for {
		if i := bytes.IndexByte(s.buf[s.lo:s.hi], '\n'); i >= 0 {
			return s.emit(i + 1), nil
		}
		if s.eof || s.err != nil {
			if s.hi > s.lo {
				return s.emit(s.hi - s.lo), nil
			}
			if s.err != nil {
				return frag{}, s.err
			}
			return frag{}, io.EOF
		}
		if s.hi-s.lo == len(s.buf) {
			return s.emit(len(s.buf)), nil // a line longer than the buffer
		}
		if s.lo > 0 {
			s.hi = copy(s.buf, s.buf[s.lo:s.hi])
			s.lo = 0
		}
		s.fill()
	}
}

func (s *scanner) emit(n int) frag {
	data := s.buf[s.lo : s.lo+n]
	f := frag{data: data, lineStart: s.atLineStart, start: s.off, prevEOL: s.lastEOL, lfsBefore: s.lfs}
	s.lo += n
	s.off += int64(n)
	if data[n-1] == '\n' {
		s.lfs++
		s.atLineStart = true
		switch {
		case n >= 2 && data[n-2] == '\r':
			s.lastEOL = 2
		case n == 1 && s.prevByte == '\r':
			s.lastEOL = 2
		default:
			s.lastEOL = 1
		}
	} else {
		s.atLineStart = false
	}
	s.prevByte = data[n-1]
	return f
}

// skipLine drops the rest of the current line.
func (s *scanner) skipLine() error {
	for !s.atLineStart {
		if _, err := s.next(); err != nil {
			return err
		}
	}
	return nil
}

// ---- structure parsing ----

// delim is how a part ended: at a multipart delimiter line, or at the end
// of the message (idx -1).
type delim struct {
	idx   int
	close bool
	start int64 // offset of the delimiter line
	lfs   int64 // line feeds before it
	eol   int   // line break before it, which belongs to the delimiter
}

var eofDelim = delim{idx: -1}

type mimeParser struct {
	s      *scanner
	limits StructureLimits
	bounds [][]byte // active boundaries, outermost first
	parts  int
	budget int // header bytes that may still be kept
}

// ParseStructure reads the MIME structure of the message r (size bytes)
// in one pass with bounded memory: the header fields it needs are kept, the
// bodies are only scanned. It fails only on a read error; malformed MIME
// gives a best-effort structure.
func ParseStructure(r io.ReaderAt, size int64, limits StructureLimits) (*Part, error) {
	return parseStructure(r, size, limits, nil)
}

func parseStructure(r io.ReaderAt, size int64, limits StructureLimits, buf []byte) (*Part, error) {
	mp := &mimeParser{s: newScanner(r, 0, size, buf), limits: limits, budget: limits.maxHeader()}
	root := &Part{}
	mp.parts = 1
	if _, err := mp.entity(root, 0, true, false); err != nil && err != io.EOF {
		return nil, err
	}
	return root, nil
}

// match reports whether a fragment at a line start is a delimiter of an
// active boundary, innermost first. RFC 2046 section 5.1.1: "--" boundary,
// then "--" for the close delimiter, then optional white space.
func (mp *mimeParser) match(f frag) (delim, bool) {
	d := f.data
	if len(d) < 3 || d[0] != '-' || d[1] != '-' {
		return delim{}, false
	}
	d = d[2:]
	for i := len(mp.bounds) - 1; i >= 0; i-- {
		b := mp.bounds[i]
		if !bytes.HasPrefix(d, b) {
			continue
		}
		after := d[len(b):]
		closing := false
		if len(after) >= 2 && after[0] == '-' && after[1] == '-' {
			closing = true
			after = after[2:]
		}
		after = bytes.TrimLeft(after, " \t")
		if !closing && len(after) > 0 && after[0] != '\r' && after[0] != '\n' {
			continue
		}
		return delim{idx: i, close: closing, start: f.start, lfs: f.lfsBefore, eol: f.prevEOL}, true
	}
	return delim{}, false
}

// scanTo reads body lines up to the next delimiter of an active boundary
// (consuming the delimiter line) or the end of the message.
func (mp *mimeParser) scanTo() (delim, error) {
	for {
		f, err := mp.s.next()
		if err != nil {
			if err == io.EOF {
				return eofDelim, nil
			}
			return eofDelim, err
		}
		if f.lineStart && len(mp.bounds) > 0 {
			if d, ok := mp.match(f); ok {
				if !f.endsLine() {
					if err := mp.s.skipLine(); err != nil && err != io.EOF {
						return d, err
					}
				}
				return d, nil
			}
		}
	}
}

// finish sets End and Lines from the way the part ended.
func (mp *mimeParser) finish(p *Part, d delim) {
	end, lfs := mp.s.off, mp.s.lfs
	if d.idx >= 0 {
		end, lfs = d.start-int64(d.eol), d.lfs
		if d.eol > 0 {
			lfs--
		}
	}
	// The line break before a delimiter may also be the one that ended
	// the last part's delimiter or header line ("--inner\n--outer"): the
	// part never ends before what it contains.
	floor, floorLFs := p.BodyStart, p.lfStart
	if n := len(p.Children); n > 0 && p.Children[n-1].End > floor {
		floor, floorLFs = p.Children[n-1].End, p.Children[n-1].lfEnd
	}
	if p.Message != nil && p.Message.End > floor {
		floor, floorLFs = p.Message.End, p.Message.lfEnd
	}
	if end < floor {
		end, lfs = floor, floorLFs
	}
	p.End, p.lfEnd = end, lfs
	p.Lines = lfs - p.lfStart
}

// Header fields kept for the structure.
const (
	fContentType = iota
	fContentTransferEncoding
	fContentID
	fContentDescription
	fContentDisposition
	fContentLanguage
	fContentLocation
	fContentMD5
	fMIMEFields
)

var mimeFieldNames = [fMIMEFields]string{"Content-Type", "Content-Transfer-Encoding", "Content-ID",
	"Content-Description", "Content-Disposition", "Content-Language", "Content-Location", "Content-MD5"}

type partFields struct {
	mime    [fMIMEFields]string
	hasMIME [fMIMEFields]bool
	env     [envFields]string
	hasEnv  [envFields]bool
}

// header reads a part's header. It ends at a blank line (consumed), at a
// delimiter line (returned, ok), or at the end of the message.
func (mp *mimeParser) header(p *Part, isMsg bool, pf *partFields) (delim, bool, error) {
	p.HeaderStart = mp.s.off
	var cur []byte     // current field, name and value, as kept
	keep := -1         // index of the current field in pf: mime i, or envelope fMIMEFields+i
	fieldFull := false // the current field reached MaxFieldLength
	flush := func() {
		if keep < 0 {
			return
		}
		colon := bytes.IndexByte(cur, ':')
		v := string(trimEOLBytes(cur[colon+1:]))
		if keep < fMIMEFields {
			pf.mime[keep], pf.hasMIME[keep] = v, true
		} else {
			pf.env[keep-fMIMEFields], pf.hasEnv[keep-fMIMEFields] = v, true
		}
		keep = -1
	}
	for {
		f, err := mp.s.next()
		if err != nil {
			flush()
			p.BodyStart, p.lfStart = mp.s.off, mp.s.lfs
			return delim{}, false, err
		}
		if !f.lineStart {
			if keep >= 0 && !fieldFull {
				cur, fieldFull = mp.appendKept(cur, f.data)
			}
			continue
		}
		d := f.data
		if len(d) > 0 && (d[0] == ' ' || d[0] == '\t') {
			// RFC 5322 section 2.2.3: a folded continuation.
			if keep >= 0 && !fieldFull {
				cur, fieldFull = mp.appendKept(cur, d)
			}
			continue
		}
		flush()
		if isBlankLine(d) {
			p.BodyStart, p.lfStart = mp.s.off, mp.s.lfs
			return delim{}, false, nil
		}
		if len(mp.bounds) > 0 {
			if dl, ok := mp.match(f); ok {
				if !f.endsLine() {
					if err := mp.s.skipLine(); err != nil && err != io.EOF {
						return dl, true, err
					}
				}
				p.BodyStart, p.lfStart = dl.start, dl.lfs
				return dl, true, nil
			}
		}
		// A new field: keep it if the structure needs it.
		colon := bytes.IndexByte(d, ':')
		if colon <= 0 {
			continue // not a field (or a name longer than the buffer)
		}
		name := bytes.TrimRight(d[:colon], " \t")
		keep = -1
		for i, n := range mimeFieldNames {
			if !pf.hasMIME[i] && fieldNameIs(name, n) {
				keep = i
			}
		}
		if keep < 0 && isMsg {
			for i, n := range envelopeFieldNames {
				if !pf.hasEnv[i] && fieldNameIs(name, n) {
					keep = fMIMEFields + i
				}
			}
		}
		if keep >= 0 {
			cur, fieldFull = mp.appendKept(cur[:0], d)
		}
	}
}

// appendKept appends data to a kept field within the field and message
// budgets; full reports that no more will be kept.
func (mp *mimeParser) appendKept(cur, data []byte) ([]byte, bool) {
	room := mp.limits.maxField() - len(cur)
	if room > mp.budget {
		room = mp.budget
	}
	if room <= 0 {
		return cur, true
	}
	full := false
	if len(data) > room {
		data = data[:room]
		full = true
	}
	mp.budget -= len(data)
	return append(cur, data...), full
}

func isBlankLine(d []byte) bool {
	return len(d) == 1 && d[0] == '\n' || len(d) == 2 && d[0] == '\r' && d[1] == '\n'
}

func trimEOLBytes(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// entity parses one entity (header and body) at the scanner's position.
func (mp *mimeParser) entity(p *Part, depth int, isMsg, inDigest bool) (delim, error) {
	var pf partFields
	d, ended, err := mp.header(p, isMsg, &pf)
	mp.applyFields(p, &pf, inDigest)
	if isMsg {
		raw := pf.env
		p.envRaw = &raw
	}
	if err != nil {
		mp.finish(p, eofDelim)
		return eofDelim, err
	}
	if ended {
		mp.finish(p, d)
		return d, nil
	}
	canNest := depth < mp.limits.maxDepth() && mp.parts < mp.limits.maxParts()
	switch {
	case p.IsMultipart():
		boundary := p.Param("boundary")
		if !canNest {
			p.Type, p.Subtype, p.Params = opaqueType, opaqueSubype, nil
			d, err = mp.scanTo()
		} else if boundary == "" || len(boundary) > maxBoundaryLength {
			// A multipart without a usable boundary has no parts.
			d, err = mp.scanTo()
		} else {
			d, err = mp.multipart(p, depth, boundary)
		}
	case isEncapsulated(p):
		if !canNest || !identityEncoding(p.Encoding) {
			// Too deep, or encoded (which RFC 2046 section 5.2.1 forbids):
			// not parsed, an opaque leaf.
			p.Type, p.Subtype, p.Params = opaqueType, opaqueSubype, nil
			d, err = mp.scanTo()
			break
		}
		child := &Part{}
		mp.parts++
		p.Message = child
		d, err = mp.entity(child, depth+1, true, false)
	default:
		d, err = mp.scanTo()
	}
	mp.finish(p, d)
	return d, err
}

func isEncapsulated(p *Part) bool {
	return equalFoldASCII(p.Type, "message") && (equalFoldASCII(p.Subtype, "rfc822") || equalFoldASCII(p.Subtype, "global"))
}

func identityEncoding(enc string) bool {
	return equalFoldASCII(enc, "7bit") || equalFoldASCII(enc, "8bit") || equalFoldASCII(enc, "binary")
}

// multipart reads the body of a multipart: preamble, parts, epilogue.
func (mp *mimeParser) multipart(p *Part, depth int, boundary string) (delim, error) {
	own := len(mp.bounds)
	mp.bounds = append(mp.bounds, []byte(boundary))
	defer func() { mp.bounds = mp.bounds[:own] }()
	digest := equalFoldASCII(p.Subtype, "digest")
	d, err := mp.scanTo() // preamble
	for err == nil && d.idx == own && !d.close {
		if mp.parts >= mp.limits.maxParts() {
			d, err = mp.scanTo() // over the part limit: skipped, not split out
			continue
		}
		child := &Part{}
		mp.parts++
		p.Children = append(p.Children, child)
		d, err = mp.entity(child, depth+1, false, digest)
	}
	if err == nil && d.idx == own && d.close {
		mp.bounds = mp.bounds[:own]
		d, err = mp.scanTo() // epilogue
	}
	return d, err
}

// applyFields fills in the part's MIME data from its header fields.
func (mp *mimeParser) applyFields(p *Part, pf *partFields, inDigest bool) {
	if pf.hasMIME[fContentType] {
		if v, params, ok := parseMIMEValue(pf.mime[fContentType]); ok {
			if slash := strings.IndexByte(v, '/'); slash > 0 && slash < len(v)-1 &&
				isToken(v[:slash]) && isToken(v[slash+1:]) {
				p.Type, p.Subtype, p.Params = v[:slash], v[slash+1:], params
			}
		}
	}
	if p.Type == "" {
		// RFC 2045 section 5.2 and RFC 2046 section 5.1.5 defaults.
		if inDigest {
			p.Type, p.Subtype = "message", "rfc822"
		} else {
			p.Type, p.Subtype, p.Params = "text", "plain", nil
		}
	}
	if equalFoldASCII(p.Type, "text") && p.Param("charset") == "" {
		p.Params = append([]Param{{"charset", defaultCharset}}, p.Params...)
	}
	p.Encoding = defaultTransferEncoding
	if pf.hasMIME[fContentTransferEncoding] {
		if v := stripComments(Unfold(pf.mime[fContentTransferEncoding])); isToken(v) {
			p.Encoding = v
		}
	}
	p.ID = Unfold(pf.mime[fContentID])
	p.Description = Unfold(pf.mime[fContentDescription])
	p.MD5 = Unfold(pf.mime[fContentMD5])
	p.Location = Unfold(pf.mime[fContentLocation])
	if pf.hasMIME[fContentDisposition] {
		if v, params, ok := parseMIMEValue(pf.mime[fContentDisposition]); ok && isToken(v) {
			p.Disposition, p.DispositionParams = v, params
		}
	}
	if pf.hasMIME[fContentLanguage] {
		p.Language = parseLanguages(pf.mime[fContentLanguage])
	}
}

// ---- MIME header values ----

// isToken reports an RFC 2045 token: no space, controls or tspecials.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?=`, c) >= 0 {
			return false
		}
	}
	return true
}

// stripComments removes RFC 822 comments and surrounding white space.
func stripComments(s string) string {
	if strings.IndexByte(s, '(') < 0 {
		return strings.TrimSpace(s)
	}
	var b strings.Builder
	depth := 0
	inQuote := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inQuote:
			if c == '\\' && i+1 < len(s) {
				b.WriteByte(c)
				i++
				c = s[i]
			} else if c == '"' {
				inQuote = false
			}
		case depth > 0:
			if c == '\\' {
				i++
			} else if c == '(' {
				depth++
			} else if c == ')' {
				depth--
			}
			continue
		case c == '(':
			depth++
			continue
		case c == '"':
			inQuote = true
		}
		b.WriteByte(c)
	}
	return strings.TrimSpace(b.String())
}

// parseMIMEValue parses "value *(; name=value)" (Content-Type,
// Content-Disposition), leniently: comments are dropped, a value may be
// quoted or not, and parameters that cannot be read are skipped.
func parseMIMEValue(raw string) (string, []Param, bool) {
	s := Unfold(raw)
	semi := indexUnquoted(s, ';')
	head := s
	rest := ""
	if semi >= 0 {
		head, rest = s[:semi], s[semi+1:]
	}
	v := strings.ReplaceAll(stripComments(head), " ", "")
	v = strings.ReplaceAll(v, "\t", "")
	if v == "" {
		return "", nil, false
	}
	var params []Param
	for rest != "" && len(params) < maxParamsPerField {
		semi := indexUnquoted(rest, ';')
		seg := rest
		if semi >= 0 {
			seg, rest = rest[:semi], rest[semi+1:]
		} else {
			rest = ""
		}
		eq := strings.IndexByte(seg, '=')
		if eq < 0 {
			continue
		}
		name := stripComments(seg[:eq])
		if !isToken(name) {
			continue
		}
		val := strings.TrimSpace(seg[eq+1:])
		if strings.HasPrefix(val, "\"") {
			val = unquote(val)
		} else {
			val = stripComments(val)
		}
		params = append(params, Param{name, val})
	}
	return v, mergeRFC2231(params), true
}

// indexUnquoted finds c outside quoted strings and comments.
func indexUnquoted(s string, c byte) int {
	inQuote := false
	depth := 0
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; {
		case ch == '\\' && (inQuote || depth > 0):
			i++
		case inQuote:
			if ch == '"' {
				inQuote = false
			}
		case ch == '"' && depth == 0:
			inQuote = true
		case ch == '(':
			depth++
		case ch == ')' && depth > 0:
			depth--
		case ch == c && depth == 0:
			return i
		}
	}
	return -1
}

// unquote reads a quoted string at the start of s; text after the closing
// quote is ignored, an unterminated one runs to the end.
func unquote(s string) string {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			i++
			b.WriteByte(s[i])
			continue
		}
		if c == '"' {
			break
		}
		b.WriteByte(c)
	}
	return b.String()
}

// mergeRFC2231 joins RFC 2231 parameter continuations (name*0, name*1,
// name*0*, ...) into one parameter, "name" or, when the first segment is
// extended (charset'lang'%xx), "name*" with the encoded value, as
// Dovecot does.
func mergeRFC2231(params []Param) []Param {
	has := false
	for _, p := range params {
		if strings.IndexByte(p.Name, '*') >= 0 {
			has = true
			break
		}
	}
	if !has {
		return params
	}
	type seg struct {
		n        int
		extended bool
		value    string
	}
	segs := map[string][]seg{}
	var out []Param
	for _, p := range params {
		star := strings.IndexByte(p.Name, '*')
		if star < 0 {
			out = append(out, p)
			continue
		}
		base, suffix := p.Name[:star], p.Name[star+1:]
		extended := strings.HasSuffix(suffix, "*")
		num := strings.TrimSuffix(suffix, "*")
		n := 0
		if num != "" {
			if len(num) > 3 || strings.Trim(num, "0123456789") != "" {
				out = append(out, p)
				continue
			}
			for _, c := range num {
				n = n*10 + int(c-'0')
			}
		} else {
			extended = true // "name*=..."
		}
		key := strings.ToLower(base)
		if _, seen := segs[key]; !seen {
			out = append(out, Param{Name: base}) // placeholder, filled below
		}
		if len(segs[key]) < maxRFC2231Segments {
			segs[key] = append(segs[key], seg{n, extended, p.Value})
		}
	}
	for i := range out {
		ss, ok := segs[strings.ToLower(out[i].Name)]
		if !ok || out[i].Value != "" {
			continue
		}
		// Order by segment number (insertion sort: few segments).
		for a := 1; a < len(ss); a++ {
			for b := a; b > 0 && ss[b].n < ss[b-1].n; b-- {
				ss[b], ss[b-1] = ss[b-1], ss[b]
			}
		}
		var v strings.Builder
		for _, s := range ss {
			v.WriteString(s.value)
		}
		if ss[0].extended {
			out[i].Name += "*"
		}
		out[i].Value = v.String()
		delete(segs, strings.ToLower(strings.TrimSuffix(out[i].Name, "*")))
	}
	return out
}

// parseLanguages splits a Content-Language value into its tags.
func parseLanguages(raw string) []string {
	s := stripComments(Unfold(raw))
	var tags []string
	for _, t := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		if isToken(t) && len(tags) < maxParamsPerField {
			tags = append(tags, t)
		}
	}
	return tags
}

// ---- writing BODY and BODYSTRUCTURE ----

// BodyStructure writes the BODYSTRUCTURE (extended true) or BODY
// (extended false) of a part (RFC 9051 section 7.5.2, body).
func (w *Writer) BodyStructure(p *Part, extended bool) {
	if p.IsMultipart() {
		w.BeginList()
		if len(p.Children) == 0 {
			// A multipart needs at least one part (1*body): write an
			// empty text/plain one, as Dovecot does.
			w.emptyBody(extended)
		}
		for _, c := range p.Children {
			w.BodyStructure(c, extended)
		}
		w.SP()
		w.String(p.Subtype)
		if extended {
			w.SP()
			w.params(p.Params)
			w.extension(p)
		}
		w.EndList()
		return
	}
	w.BeginList()
	w.String(p.Type)
	w.SP()
	w.String(p.Subtype)
	w.SP()
	w.params(p.Params)
	w.SP()
	w.NString(p.ID)
	w.SP()
	w.NString(p.Description)
	w.SP()
	w.String(p.Encoding)
	w.SP()
	w.Number64(uint64(p.Size()))
	switch {
	case p.Message != nil:
		w.SP()
		w.Envelope(p.Message.Envelope())
		w.SP()
		w.BodyStructure(p.Message, extended)
		w.SP()
		w.Number64(uint64(p.Lines))
	case equalFoldASCII(p.Type, "text"):
		w.SP()
		w.Number64(uint64(p.Lines))
	}
	if extended {
		w.SP()
		w.NString(p.MD5)
		w.extension(p)
	}
	w.EndList()
}

func (w *Writer) emptyBody(extended bool) {
	w.Raw(`("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0`)
	if extended {
		w.Raw(" NIL NIL NIL NIL")
	}
	w.Raw(")")
}

// extension writes body-fld-dsp SP body-fld-lang SP body-fld-loc.
func (w *Writer) extension(p *Part) {
	w.SP()
	if p.Disposition == "" {
		w.Nil()
	} else {
		w.BeginList()
		w.String(p.Disposition)
		w.SP()
		w.params(p.DispositionParams)
		w.EndList()
	}
	w.SP()
	if len(p.Language) == 0 {
		w.Nil()
	} else {
		w.BeginList()
		for i, l := range p.Language {
			if i > 0 {
				w.SP()
			}
			w.String(l)
		}
		w.EndList()
	}
	w.SP()
	w.NString(p.Location)
}

func (w *Writer) params(ps []Param) {
	if len(ps) == 0 {
		w.Nil()
		return
	}
	w.BeginList()
	for i, p := range ps {
		if i > 0 {
			w.SP()
		}
		w.String(p.Name)
		w.SP()
		w.String(p.Value)
	}
	w.EndList()
}

// ---- Message ----

// Message is a raw message (RFC 5322) read through an io.ReaderAt, so that
// it can stay in a file: what a command needs is read from it when asked
// (only the header for ENVELOPE, HEADER or a header search; one pass over
// the whole message for BODYSTRUCTURE), and kept for the next request. It
// implements the content part of MessageView (Size, Header, BodyText).
// A Message is not safe for concurrent use.
type Message struct {
	// Limits bound the structure parsing; set them before first use.
	Limits StructureLimits

	r    io.ReaderAt
	size int64

	root    *Part
	rootErr error

	hdr       *Header
	hdrEnd    int64
	hdrErr    error
	hdrLoaded bool

	buf []byte // scan buffer, shared by the passes that run to completion
}

func (m *Message) scanBuf() []byte {
	if m.buf == nil {
		m.buf = make([]byte, scanBufSize(m.size))
	}
	return m.buf
}

// NewMessage returns a Message over the size bytes of r.
func NewMessage(r io.ReaderAt, size int64) *Message {
	return &Message{r: r, size: size}
}

// Size returns the size of the message in bytes (RFC822.SIZE).
func (m *Message) Size() int64 { return m.size }

// Structure returns the MIME structure, parsing it on first use.
func (m *Message) Structure() (*Part, error) {
	if m.root == nil && m.rootErr == nil {
		m.root, m.rootErr = parseStructure(m.r, m.size, m.Limits, m.scanBuf())
	}
	return m.root, m.rootErr
}

// Header returns the top-level header, reading only the header on first
// use. Fields beyond StructureLimits.MaxHeaderBytes are left out.
func (m *Message) Header() (*Header, error) {
	if !m.hdrLoaded {
		m.hdr, m.hdrEnd, m.hdrErr = readHeader(m.r, 0, m.size, m.Limits, m.scanBuf())
		m.hdrLoaded = true
	}
	return m.hdr, m.hdrErr
}

// Envelope returns the ENVELOPE, from the header only.
func (m *Message) Envelope() (*Envelope, error) {
	h, err := m.Header()
	if err != nil {
		return nil, err
	}
	return EnvelopeOf(h), nil
}

// readHeader reads the header that starts at off: all its fields (within
// the limits) and the offset where the body starts.
func readHeader(r io.ReaderAt, off, size int64, limits StructureLimits, buf []byte) (*Header, int64, error) {
	s := newScanner(r, off, size, buf)
	h := &Header{}
	budget := limits.maxHeader()
	maxField := limits.maxField()
	var cur []byte
	full := false
	flush := func() {
		if cur == nil {
			return
		}
		if colon := bytes.IndexByte(cur, ':'); colon > 0 {
			name := bytes.TrimRight(cur[:colon], " \t")
			h.Fields = append(h.Fields, HeaderField{Name: string(name), Value: string(trimEOLBytes(cur[colon+1:]))})
		}
		cur = nil
	}
	add := func(d []byte) {
		room := min(maxField-len(cur), budget)
		if room <= 0 {
			full = true
			return
		}
		if len(d) > room {
			d, full = d[:room], true
		}
		budget -= len(d)
		cur = append(cur, d...)
	}
	for {
		f, err := s.next()
		if err != nil {
			flush()
			if err == io.EOF {
				return h, s.off, nil
			}
			return h, s.off, err
		}
		d := f.data
		if !f.lineStart || d[0] == ' ' || d[0] == '\t' {
			if cur != nil && !full {
				add(d)
			}
			continue
		}
		flush()
		if isBlankLine(d) {
			return h, s.off, nil
		}
		if bytes.IndexByte(d, ':') > 0 && budget > 0 {
			cur, full = make([]byte, 0, min(len(d), 256)), false
			add(d)
		}
	}
}

// bodyStart returns where the top-level body starts, reading only the
// header.
func (m *Message) bodyStart() (int64, error) {
	if m.root != nil {
		return m.root.BodyStart, nil
	}
	if _, err := m.Header(); err != nil {
		return 0, err
	}
	return m.hdrEnd, nil
}

// findPart resolves a section part number (RFC 9051 section 6.4.5): the
// parts of a multipart are numbered from 1; a non-multipart entity is its
// own part 1; the numbers after a message/rfc822 part address the parts of
// the encapsulated message.
func findPart(root *Part, path []int) *Part {
	ent := root
	var cur *Part
	for i, n := range path {
		switch {
		case ent.IsMultipart():
			if n < 1 || n > len(ent.Children) {
				return nil
			}
			cur = ent.Children[n-1]
		case n == 1:
			cur = ent
		default:
			return nil
		}
		if i+1 < len(path) {
			switch {
			case cur.Message != nil:
				ent = cur.Message
			case cur.IsMultipart() && cur != ent:
				ent = cur
			default:
				return nil
			}
		}
	}
	return cur
}

// FetchSection returns the data of a BODY[section] (or BODY.PEEK),
// BINARY[section], RFC822, RFC822.HEADER or RFC822.TEXT item, with its
// partial range applied, and its length, to be sent as a literal. Parts
// are sliced from the raw message; only HEADER.FIELDS (read twice: once to
// size the result, once to send it) and BINARY (decoded twice) do more.
// A section that does not exist gives ErrNoSection; BINARY of an encoding
// the server cannot decode gives ErrUnknownCTE.
func (m *Message) FetchSection(it FetchItem) (io.Reader, int64, error) {
	var r io.Reader
	var n int64
	var err error
	switch it.Kind {
	case FetchRFC822:
		r, n, err = m.section(Section{})
	case FetchRFC822Header:
		r, n, err = m.section(Section{Specifier: SectionHeader})
	case FetchRFC822Text:
		r, n, err = m.section(Section{Specifier: SectionText})
	case FetchBodySection:
		r, n, err = m.section(it.Section)
	case FetchBinarySection:
		return m.binary(it.Section.Part, it.Partial)
	default:
		return nil, 0, errors.New("imap: FetchSection: not a section item")
	}
	if err != nil {
		return nil, 0, err
	}
	return applyPartial(r, n, it.Partial)
}

// rangeReader is a byte range of the message, which a partial fetch can
// narrow without reading what it skips.
type rangeReader struct {
	*io.SectionReader
	r     io.ReaderAt
	start int64
}

func (m *Message) rangeOf(start, end int64) (io.Reader, int64) {
	if end < start {
		end = start
	}
	return &rangeReader{io.NewSectionReader(m.r, start, end-start), m.r, start}, end - start
}

// applyPartial narrows r (n bytes) to a partial range <offset.count>.
func applyPartial(r io.Reader, n int64, pt Partial) (io.Reader, int64, error) {
	if pt.Count <= 0 {
		return r, n, nil
	}
	if pt.Offset >= n {
		return strings.NewReader(""), 0, nil
	}
	count := min(pt.Count, n-pt.Offset)
	if rr, ok := r.(*rangeReader); ok {
		return io.NewSectionReader(rr.r, rr.start+pt.Offset, count), count, nil
	}
	if _, err := io.CopyN(io.Discard, r, pt.Offset); err != nil {
		return nil, 0, err
	}
	return io.LimitReader(r, count), count, nil
}

func (m *Message) section(sec Section) (io.Reader, int64, error) {
	if len(sec.Part) == 0 {
		// The top level: only the header needs reading.
		bs, err := m.bodyStart()
		if err != nil {
			return nil, 0, err
		}
		switch sec.Specifier {
		case "":
			r, n := m.rangeOf(0, m.size)
			return r, n, nil
		case SectionHeader:
			r, n := m.rangeOf(0, bs)
			return r, n, nil
		case SectionText:
			r, n := m.rangeOf(bs, m.size)
			return r, n, nil
		case SectionHeaderFields, SectionHeaderFieldsNot:
			return m.filteredHeader(0, bs, sec)
		}
		return nil, 0, ErrNoSection
	}
	root, err := m.Structure()
	if err != nil {
		return nil, 0, err
	}
	p := findPart(root, sec.Part)
	if p == nil {
		return nil, 0, ErrNoSection
	}
	switch sec.Specifier {
	case "":
		r, n := m.rangeOf(p.BodyStart, p.End)
		return r, n, nil
	case SectionMIME:
		r, n := m.rangeOf(p.HeaderStart, p.BodyStart)
		return r, n, nil
	}
	// HEADER, HEADER.FIELDS[.NOT] and TEXT need a message/rfc822 part.
	msg := p.Message
	if msg == nil {
		return nil, 0, ErrNoSection
	}
	switch sec.Specifier {
	case SectionHeader:
		r, n := m.rangeOf(msg.HeaderStart, msg.BodyStart)
		return r, n, nil
	case SectionText:
		r, n := m.rangeOf(msg.BodyStart, msg.End)
		return r, n, nil
	case SectionHeaderFields, SectionHeaderFieldsNot:
		return m.filteredHeader(msg.HeaderStart, msg.BodyStart, sec)
	}
	return nil, 0, ErrNoSection
}

// filteredHeader returns the fields of the header [start, end) that
// HEADER.FIELDS (or .NOT) selects, followed by the blank line (RFC 9051
// section 6.4.5: the blank line is always included). It reads the header
// once to count the result, and returns a reader that reads it again.
func (m *Message) filteredHeader(start, end int64, sec Section) (io.Reader, int64, error) {
	not := sec.Specifier == SectionHeaderFieldsNot
	n, err := io.Copy(io.Discard, newHeaderFilter(m.r, start, end, sec.Fields, not))
	if err != nil {
		return nil, 0, err
	}
	return newHeaderFilter(m.r, start, end, sec.Fields, not), n, nil
}

// headerFilter streams the selected fields of a header.
type headerFilter struct {
	s       *scanner
	end     int64
	fields  []string
	not     bool
	include bool
	pending []byte
	done    bool
}

func newHeaderFilter(r io.ReaderAt, start, end int64, fields []string, not bool) *headerFilter {
	return &headerFilter{s: newScanner(r, start, end, nil), end: end, fields: fields, not: not}
}

func (h *headerFilter) Read(p []byte) (int, error) {
	for len(h.pending) == 0 {
		if h.done {
			return 0, io.EOF
		}
		f, err := h.s.next()
		if err == io.EOF {
			h.done = true
			continue
		}
		if err != nil {
			return 0, err
		}
		d := f.data
		if f.lineStart {
			switch {
			case isBlankLine(d):
				h.include = true // the blank line is always sent
				h.done = true
			case d[0] == ' ' || d[0] == '\t':
				// a continuation keeps the field's choice
			default:
				name := d
				if colon := bytes.IndexByte(d, ':'); colon >= 0 {
					name = bytes.TrimRight(d[:colon], " \t")
				} else {
					name = nil // not a field: only .NOT keeps it
				}
				h.include = h.not
				if name != nil {
					for _, f := range h.fields {
						if fieldNameIs(name, f) {
							h.include = !h.not
							break
						}
					}
				}
			}
		}
		if h.include {
			h.pending = d
		}
	}
	n := copy(p, h.pending)
	h.pending = h.pending[n:]
	return n, nil
}

// binary returns the decoded content of a BINARY[part] (RFC 3516).
func (m *Message) binary(path []int, pt Partial) (io.Reader, int64, error) {
	n, err := m.BinarySize(path)
	if err != nil {
		return nil, 0, err
	}
	r, err := m.binaryReader(path)
	if err != nil {
		return nil, 0, err
	}
	if rr, ok := r.(*rangeReader); ok {
		return applyPartial(rr, n, pt)
	}
	return applyPartial(r, n, pt)
}

// BinarySize returns the size of the decoded content of a part, for
// BINARY.SIZE[part] (RFC 3516 section 4.2). It decodes the part to count.
func (m *Message) BinarySize(path []int) (int64, error) {
	r, err := m.binaryReader(path)
	if err != nil {
		return 0, err
	}
	if rr, ok := r.(*rangeReader); ok {
		return rr.Size(), nil
	}
	return io.Copy(io.Discard, r)
}

func (m *Message) binaryReader(path []int) (io.Reader, error) {
	if len(path) == 0 {
		// BINARY[]: the whole message, which has no transfer encoding.
		r, _ := m.rangeOf(0, m.size)
		return r, nil
	}
	root, err := m.Structure()
	if err != nil {
		return nil, err
	}
	p := findPart(root, path)
	if p == nil {
		return nil, ErrNoSection
	}
	body, _ := m.rangeOf(p.BodyStart, p.End)
	if p.IsMultipart() || p.Message != nil {
		return body, nil
	}
	return decodeTransfer(body, p.Encoding, p.Size())
}

// decodeTransfer decodes a Content-Transfer-Encoding; size is the size of
// the encoded data, to size buffers.
func decodeTransfer(r io.Reader, enc string, size int64) (io.Reader, error) {
	switch {
	case identityEncoding(enc) || enc == "":
		return r, nil
	case equalFoldASCII(enc, "base64"):
		return newBase64Decoder(r, size), nil
	case equalFoldASCII(enc, "quoted-printable"):
		return newQPDecoder(r, size), nil
	}
	return nil, ErrUnknownCTE
}

// ---- decoded text, for SEARCH ----

// BodyText calls fn with the decoded text of the body, piece by piece:
// every text/* part with its transfer encoding removed and its charset
// converted to UTF-8, and the header of every encapsulated message,
// decoded. Other parts are skipped. Pieces of different parts are
// separated by a line feed. A piece is valid only until fn returns. If fn
// returns an error, BodyText stops and returns it.
func (m *Message) BodyText(fn func([]byte) error) error {
	root, err := m.Structure()
	if err != nil {
		return err
	}
	// The scan buffer is free again once the structure is known; the
	// pieces handed to fn are read into it.
	return m.walkText(root, true, m.scanBuf(), fn, 0)
}

func (m *Message) walkText(p *Part, top bool, buf []byte, fn func([]byte) error, depth int) error {
	if depth > 2*m.Limits.maxDepth()+2 {
		return nil // deeper than the parser goes: a hand-made structure
	}
	switch {
	case p.IsMultipart():
		for _, c := range p.Children {
			if err := m.walkText(c, false, buf, fn, depth+1); err != nil {
				return err
			}
		}
		return nil
	case p.Message != nil:
		h, _, err := readHeader(m.r, p.Message.HeaderStart, p.Message.BodyStart, m.Limits, buf)
		if err != nil {
			return err
		}
		if err := fn(headerText(nil, h)); err != nil {
			return err
		}
		return m.walkText(p.Message, true, buf, fn, depth+1)
	case !equalFoldASCII(p.Type, "text"):
		return nil
	}
	body, _ := m.rangeOf(p.BodyStart, p.End)
	r, err := decodeTransfer(body, p.Encoding, p.Size())
	if err != nil {
		r = body // unknown encoding: search the raw text
	}
	if cs := p.Param("charset"); !isUTF8Charset(cs) {
		if cr, err := charsetReader(cs, r); err == nil {
			r = cr
		}
	}
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if ferr := fn(buf[:n]); ferr != nil {
				return ferr
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			// A charset conversion error ends this part, not the search.
			if errors.Is(err, io.ErrUnexpectedEOF) || !isReadAtError(err) {
				break
			}
			return err
		}
	}
	return fn([]byte{'\n'})
}

// readAtError marks errors from the message's ReaderAt.
type readAtError struct{ err error }

func (e readAtError) Error() string { return e.err.Error() }
func (e readAtError) Unwrap() error { return e.err }

func isReadAtError(err error) bool {
	var re readAtError
	return errors.As(err, &re)
}
