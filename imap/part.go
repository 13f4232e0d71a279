package imap

// structureLimits bound the time and memory spent on one message's MIME
// structure, whatever the message holds. The zero value of each field
// means its default.
type structureLimits struct {
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
	defaultMaxMIMEDepth      = 50
	defaultMaxMIMEParts      = 10000
	defaultMaxFieldLength    = 64 << 10
	defaultMaxHeaderBytes    = 4 << 20
	maxBoundaryLength        = 200 // RFC 2046 allows 70; be lenient, but bounded
	maxRFC2231Segments       = 100
	maxParamsPerField        = 200
	scanBufferSize           = 8 << 10 // at most; smaller for small messages
	defaultCharset           = "us-ascii"
	defaultTransferEncoding  = "7bit"
	opaqueType, opaqueSubype = "application", "octet-stream"
)

func (l structureLimits) maxDepth() int {
	if l.MaxDepth > 0 {
		return l.MaxDepth
	}
	return defaultMaxMIMEDepth
}

func (l structureLimits) maxParts() int {
	if l.MaxParts > 0 {
		return l.MaxParts
	}
	return defaultMaxMIMEParts
}

func (l structureLimits) maxField() int {
	if l.MaxFieldLength > 0 {
		return l.MaxFieldLength
	}
	return defaultMaxFieldLength
}

func (l structureLimits) maxHeader() int {
	if l.MaxHeaderBytes > 0 {
		return l.MaxHeaderBytes
	}
	return defaultMaxHeaderBytes
}

// Part is one MIME entity of a message, with the byte offsets that locate
// it in the raw message: [HeaderStart, BodyStart) is its header including
// the blank line that ends it, [BodyStart, End) its body. The line break
// before a multipart delimiter belongs to the delimiter (RFC 2046 5.1.1), so it is not in the body of the part it follows.
type Part struct {
	HeaderStart, BodyStart, End int64

	// Lines is the number of line feeds in the body (body-fld-lines).
	Lines int64

	// Type and Subtype are the media type as written, or "text" "plain"
	// when absent or invalid (RFC 2045 5.2).
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
	// part and every Message); envelope builds the ENVELOPE from them.
	envRaw *[envFields]string
	env    *envelope

	lfStart int64 // line feeds before BodyStart
	lfEnd   int64 // line feeds before End
}

// Param is a MIME parameter.
type Param struct {
	Name, Value string
}

// envelope returns the ENVELOPE of a message root: the top-level part or
// the Message of a message/rfc822 part. Other parts give an empty one.
func (p *Part) envelope() *envelope {
	if p.env == nil {
		if p.envRaw == nil {
			p.env = &envelope{}
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
