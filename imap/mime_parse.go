package imap

import (
	"bytes"
	"io"
	"strings"
)

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
	limits structureLimits
	bounds [][]byte // active boundaries, outermost first
	parts  int
	budget int // header bytes that may still be kept
}

// parseStructure reads the MIME structure of the message r (size bytes)
// in one pass with bounded memory: the header fields it needs are kept, the
// bodies are only scanned. It fails only on a read error; malformed MIME
// gives a best-effort structure. buf, if not nil, is the scan buffer.
func parseStructure(r io.ReaderAt, size int64, limits structureLimits, buf []byte) (*Part, error) {
	mp := &mimeParser{s: newScanner(r, 0, size, buf), limits: limits, budget: limits.maxHeader()}
	root := &Part{}
	mp.parts = 1
	if _, err := mp.entity(root, 0, true, false); err != nil && err != io.EOF {
		return nil, err
	}
	return root, nil
}

// match reports whether a fragment at a line start is a delimiter of an
// active boundary, innermost first. RFC 2046 5.1.1: "--" boundary,
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
			// RFC 5322 2.2.3: a folded continuation.
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
			// Too deep, or encoded (which RFC 2046 5.2.1 forbids):
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
		// RFC 2045 5.2 and RFC 2046 5.1.5 defaults.
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
		if v := stripComments(unfold(pf.mime[fContentTransferEncoding])); isToken(v) {
			p.Encoding = v
		}
	}
	p.ID = unfold(pf.mime[fContentID])
	p.Description = unfold(pf.mime[fContentDescription])
	p.MD5 = unfold(pf.mime[fContentMD5])
	p.Location = unfold(pf.mime[fContentLocation])
	if pf.hasMIME[fContentDisposition] {
		if v, params, ok := parseMIMEValue(pf.mime[fContentDisposition]); ok && isToken(v) {
			p.Disposition, p.DispositionParams = v, params
		}
	}
	if pf.hasMIME[fContentLanguage] {
		p.Language = parseLanguages(pf.mime[fContentLanguage])
	}
}
