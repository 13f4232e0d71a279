package mailbox

import (
	"encoding/base64"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Folder names on the API are UTF-8 with "/" as the hierarchy delimiter
// (an IMAP server decodes modified UTF-7 from clients that did not enable
// UTF8=ACCEPT before calling the store). On disk, Maildir++ keeps every
// folder as one directory at the root of the user's Maildir, named "." +
// the components joined with "." and each component in modified UTF-7
// (RFC 3501 section 5.1.3), which is what Dovecot, Courier, mutt and
// mbsync expect. A "." inside a component cannot be a separator on disk, so
// it is written as "%2E" (Dovecot's mailbox_list_escape_char convention);
// "%" itself is refused in names, so the escape is unambiguous.

const (
	// Inbox is the name of the folder that always exists (RFC 3501 section 5.1).
	Inbox = "INBOX"
	// Delimiter is the hierarchy delimiter of folder names on the API.
	Delimiter = "/"

	maxComponentLen = 255
	maxNameLen      = 1024
	maxDiskNameLen  = 255 // NAME_MAX: Maildir++ puts the whole path in one directory name
	maxUserLen      = 255
)

// CanonicalName validates a folder name and returns its canonical form:
// INBOX (in any case) as "INBOX", also as the first component of a path.
// It returns a *NameError for names the store refuses: empty names or
// components (a leading "/" makes one), a name starting with "~" or "#"
// (namespace prefixes, RFC 2342), components starting with ".", NUL and
// control characters, the LIST wildcards "%" and "*", invalid UTF-8, a
// component over 255 bytes, a name over 1024 bytes, or one whose on-disk
// form exceeds 255 bytes.
func CanonicalName(name string) (string, error) {
	bad := func(reason string) (string, error) { return "", &NameError{Name: name, Reason: reason} }
	if name == "" {
		return bad("empty name")
	}
	if len(name) > maxNameLen {
		return bad("name longer than 1024 bytes")
	}
	if !utf8.ValidString(name) {
		return bad("not valid UTF-8")
	}
	for _, r := range name {
		switch {
		case r == 0:
			return bad("contains NUL")
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f):
			return bad("contains a control character")
		case r == '%' || r == '*':
			return bad("contains a LIST wildcard (% or *)")
		case r == utf8.RuneError:
			return bad("not valid UTF-8")
		}
	}
	if name[0] == '~' || name[0] == '#' {
		// RFC 2342: other servers (and tools reading this tree) take "~user/"
		// for another user's folders and "#..." for a namespace; the store
		// has only personal folders, without a prefix.
		return bad("starts with " + name[:1] + ", a namespace prefix")
	}
	comps := strings.Split(name, Delimiter)
	for i, c := range comps {
		switch {
		case c == "":
			return bad("empty component (leading, trailing or doubled /)")
		case c[0] == '.':
			return bad("component starts with a dot")
		case len(c) > maxComponentLen:
			return bad("component longer than 255 bytes")
		}
		if i == 0 && strings.EqualFold(c, Inbox) {
			comps[0] = Inbox
		}
	}
	canon := strings.Join(comps, Delimiter)
	if canon != Inbox && len(diskName(canon)) > maxDiskNameLen {
		return bad("name too long for the file system")
	}
	return canon, nil
}

// diskName returns the Maildir++ directory name of a canonical folder name
// other than INBOX: ".Lists.Go" for "Lists/Go".
func diskName(canon string) string {
	var b strings.Builder
	for _, c := range strings.Split(canon, Delimiter) {
		b.WriteByte('.')
		b.WriteString(strings.ReplaceAll(encodeMUTF7(c), ".", "%2E"))
	}
	return b.String()
}

// folderFromDisk returns the folder name for a Maildir++ directory name, or
// false if the directory is not a folder we can represent.
func folderFromDisk(dir string) (string, bool) {
	if len(dir) < 2 || dir[0] != '.' || dir == ".." {
		return "", false
	}
	parts := strings.Split(dir[1:], ".")
	for i, p := range parts {
		p = strings.ReplaceAll(strings.ReplaceAll(p, "%2E", "."), "%2e", ".")
		d, ok := decodeMUTF7(p)
		if !ok {
			return "", false
		}
		parts[i] = d
	}
	canon, err := CanonicalName(strings.Join(parts, Delimiter))
	if err != nil {
		return "", false
	}
	return canon, true
}

// validUser checks a user name before it becomes a directory name.
func validUser(user string) error {
	bad := func(reason string) error { return &NameError{Name: user, Reason: "user: " + reason} }
	switch {
	case user == "":
		return bad("empty")
	case len(user) > maxUserLen:
		return bad("longer than 255 bytes")
	case !utf8.ValidString(user):
		return bad("not valid UTF-8")
	case user[0] == '.':
		return bad("starts with a dot")
	}
	for _, r := range user {
		if r < 0x20 || r == 0x7f || r == '/' || r == '\\' || (r >= 0x80 && r <= 0x9f) {
			return bad("contains a control character or a path separator")
		}
	}
	return nil
}

// mutf7 is RFC 3501's modified base64: "," instead of "/", no padding.
var mutf7 = base64.NewEncoding("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,").WithPadding(base64.NoPadding).Strict()

// encodeMUTF7 encodes UTF-8 as modified UTF-7 (RFC 3501 section 5.1.3).
func encodeMUTF7(s string) string {
	var b strings.Builder
	var run []uint16
	flush := func() {
		if len(run) == 0 {
			return
		}
		buf := make([]byte, 2*len(run))
		for i, u := range run {
			buf[2*i], buf[2*i+1] = byte(u>>8), byte(u)
		}
		b.WriteByte('&')
		b.WriteString(mutf7.EncodeToString(buf))
		b.WriteByte('-')
		run = run[:0]
	}
	for _, r := range s {
		if r >= 0x20 && r <= 0x7e {
			flush()
			if r == '&' {
				b.WriteString("&-")
			} else {
				b.WriteRune(r)
			}
			continue
		}
		run = utf16.AppendRune(run, r)
	}
	flush()
	return b.String()
}

// decodeMUTF7 decodes modified UTF-7; ok is false for malformed input,
// including non-canonical forms (encoded printable ASCII, empty or adjacent
// shifts) that would let two spellings name the same folder.
func decodeMUTF7(s string) (string, bool) {
	var b strings.Builder
	prevShift := false
	for i := 0; i < len(s); {
		c := s[i]
		if c < 0x20 || c > 0x7e {
			return "", false
		}
		if c != '&' {
			b.WriteByte(c)
			i++
			prevShift = false
			continue
		}
		end := strings.IndexByte(s[i+1:], '-')
		if end < 0 {
			return "", false
		}
		enc := s[i+1 : i+1+end]
		i += end + 2
		if enc == "" {
			b.WriteByte('&')
			prevShift = false
			continue
		}
		if prevShift {
			return "", false // "&AGE-&AGE-" must be written as one shift
		}
		raw, err := mutf7.DecodeString(enc)
		if err != nil || len(raw)%2 != 0 {
			return "", false
		}
		u := make([]uint16, len(raw)/2)
		for j := range u {
			u[j] = uint16(raw[2*j])<<8 | uint16(raw[2*j+1])
		}
		for j := 0; j < len(u); j++ {
			r := rune(u[j])
			if utf16.IsSurrogate(r) {
				if j+1 >= len(u) {
					return "", false
				}
				r = utf16.DecodeRune(r, rune(u[j+1]))
				if r == utf8.RuneError {
					return "", false
				}
				j++
			}
			if r >= 0x20 && r <= 0x7e {
				return "", false
			}
			b.WriteRune(r)
		}
		prevShift = true
	}
	return b.String(), true
}
