package sieve

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// duplicate (RFC 7352).

// DefaultDuplicatePeriod is how long a duplicate test remembers a
// message when the script gives no :seconds (RFC 7352 3.3 leaves it to
// the implementation).
const DefaultDuplicatePeriod = 7 * 24 * time.Hour

func init() {
	testSpecs["duplicate"] = &testSpec{
		ext: "duplicate",
		sig: signature{tags: []tagSpec{
			{name: "handle", param: ArgString},
			{name: "header", group: "value", param: ArgString},
			{name: "uniqueid", group: "value", param: ArgString},
			{name: "seconds", param: ArgNumber},
			{name: "last"},
		}},
		compile: func(c *compiler, n *Node, b *bound) (test, error) {
			t := &testDuplicate{last: b.has("last"), period: DefaultDuplicatePeriod}
			var err error
			if a, ok := b.tag("handle"); ok {
				h, err := c.str(a)
				if err != nil {
					return nil, err
				}
				t.handle = &h
			}
			if a, ok := b.tag("header"); ok {
				h, err := c.str(a)
				if err != nil {
					return nil, err
				}
				if h.constant() && !validFieldName(h.lit) {
					return nil, errorf(a.Pos, "invalid header name %q", h.lit)
				}
				t.header = &h
			}
			if a, ok := b.tag("uniqueid"); ok {
				u, err := c.str(a)
				if err != nil {
					return nil, err
				}
				t.uniqueID = &u
			}
			if a, ok := b.tag("seconds"); ok {
				t.period = time.Duration(min(a.Num, 1<<31)) * time.Second
			}
			return t, err
		}}
}

type testDuplicate struct {
	handle, header, uniqueID *str
	period                   time.Duration
	last                     bool
}

// eval asks the Tracker whether the message's identifier was seen
// (RFC 7352 3): the Message-ID, a header field or a :uniqueid. The
// identifier is recorded only after a successful run, by the
// TrackDuplicate action it adds; with :last even when it was seen, so
// that the period starts again.
func (t *testDuplicate) eval(r *run) (bool, error) {
	var value string
	switch {
	case t.uniqueID != nil:
		value = r.expand(*t.uniqueID)
	case t.header != nil:
		v := r.headerValues(r.expand(*t.header))
		if len(v) == 0 {
			return false, nil
		}
		value = v[0]
	default:
		v := r.headerValues("message-id")
		if len(v) == 0 {
			return false, nil
		}
		value = strings.TrimSpace(v[0])
	}
	handle := ""
	if t.handle != nil {
		handle = r.expand(*t.handle)
	}
	sum := sha256.Sum256([]byte("sieve-duplicate\x00" + handle + "\x00" + value))
	id := "duplicate:" + hex.EncodeToString(sum[:])
	if seen, ok := r.dupCache[id]; ok {
		return seen, nil
	}
	seen := false
	if r.in.Duplicates != nil {
		var err error
		if seen, err = r.in.Duplicates.Seen(r.ctx, id); err != nil {
			return false, r.errorf("duplicate: %w", err)
		}
	}
	if r.dupCache == nil {
		r.dupCache = map[string]bool{}
	}
	r.dupCache[id] = seen
	if !seen || t.last {
		if err := r.addAction(&TrackDuplicate{ID: id, Period: t.period, Handle: handle, Last: t.last}); err != nil {
			return false, err
		}
	}
	return seen, nil
}
