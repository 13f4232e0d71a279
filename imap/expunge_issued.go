package imap

import "errors"

// skipped is what a command over several messages had to leave out:
// messages another session expunged (held back in selected.pending, or
// gone from the backend before this session was told), and messages it
// could not read.
type skipped struct {
	expunged bool
	failed   bool
}

// note records why a message was left out: err from the backend (nil for
// a message known to be expunged). It reports whether err was an expunge.
func (k *skipped) note(err error) bool {
	if err == nil || errors.Is(err, ErrExpungeIssued) {
		k.expunged = true
		return true
	}
	k.failed = true
	return false
}

// done is the tagged response of a command that returned the data of the
// messages it could read. RFC 5530 3: EXPUNGEISSUED tells the client that
// someone else expunged messages it named and that a NOOP will tell it
// which; RFC 2180 4.1.3 and 4.3 let such a command succeed without them,
// as in RFC 5530's example (OK [EXPUNGEISSUED] after a SEARCH).
// A message that could not be read fails the command (what is an
// internal error, SERVERBUG, is logged where it happened).
func (k skipped) done(what string) result {
	switch {
	case k.failed:
		return no("SERVERBUG", "Some messages could not be "+what)
	case k.expunged:
		return okCode("EXPUNGEISSUED", "")
	}
	return ok("")
}

// expungeIssued is the NO of a command that must not succeed without
// every message it names: FETCH (RFC 2180 4.1.2, as Dovecot does) and
// COPY and MOVE (RFC 2180 4.4.1, RFC 3501 6.4.7: all or nothing).
func expungeIssued() result {
	return no("EXPUNGEISSUED", codeText["EXPUNGEISSUED"])
}
