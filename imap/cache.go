package imap

import (
	"context"
	"io"
)

// StructureCache is an optional interface of a Mailbox that keeps the MIME
// structure of its messages (parsed once, at delivery or on first use), so
// that FETCH BODYSTRUCTURE, ENVELOPE and BODY[section] do not read whole
// messages. The server calls it before parsing a message itself; a nil
// *Part (and nil error) means "not cached", and the server parses.
// The Part must describe exactly the bytes Open returns: compute it with
// ParseStructure.
type StructureCache interface {
	Structure(ctx context.Context, uid uint32) (*Part, error)
}

// HeaderCache is an optional interface of a Mailbox that keeps the
// top-level headers of its messages, so that SEARCH on header keys (FROM,
// SUBJECT, HEADER...) and SORT/THREAD do not read every message each
// time. The server calls it before reading a header itself; a nil *Header
// (and nil error) means "not cached", and the server reads the message.
// The Header is shared: the server only reads it. Compute it with
// ParseHeader.
type HeaderCache interface {
	Header(ctx context.Context, uid uint32) (*Header, error)
}

// ParseStructure reads the MIME structure of a raw message (size bytes of
// r) as the server would, for a StructureCache: in one pass with bounded
// memory, with the server's limits on depth, parts and header bytes. It
// fails only on a read error; malformed MIME gives a best-effort
// structure. The result is complete (the envelopes of the message and of
// every encapsulated message are computed), so sessions may share it as
// long as nobody modifies it.
func ParseStructure(r io.ReaderAt, size int64) (*Part, error) {
	p, err := parseStructure(r, size, structureLimits{}, nil)
	if err != nil {
		return nil, err
	}
	p.complete()
	return p, nil
}

// complete computes the lazily built envelopes of a structure, so that
// readers that share it only read it.
func (p *Part) complete() {
	p.envelope()
	if p.Message != nil {
		p.Message.complete()
	}
	for _, ch := range p.Children {
		ch.complete()
	}
}

// ParseHeader reads the top-level header of a raw message (size bytes of
// r) as the server would, for a HeaderCache: only the header is read, and
// fields beyond the server's limits are left out.
func ParseHeader(r io.ReaderAt, size int64) (*Header, error) {
	h, _, err := readHeader(r, 0, size, structureLimits{}, nil)
	if err != nil {
		return nil, err
	}
	return h, nil
}
