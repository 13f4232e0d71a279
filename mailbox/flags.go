package mailbox

import (
	"sort"
	"strings"
)

// System flags (RFC 3501 section 2.3.2). \Recent is not stored: it is
// session state that an IMAP server may track itself.
const (
	FlagSeen     = `\Seen`
	FlagAnswered = `\Answered`
	FlagFlagged  = `\Flagged`
	FlagDeleted  = `\Deleted`
	FlagDraft    = `\Draft`
)

// Bits of the system flags kept in a message record.
const (
	bitDraft uint8 = 1 << iota
	bitFlagged
	bitAnswered
	bitSeen
	bitDeleted
)

// sysFlags maps each system flag to its bit and its Maildir info letter
// (D F R S T, in the ASCII order the Maildir spec asks for).
var sysFlags = [...]struct {
	name   string
	bit    uint8
	letter byte
}{
	{FlagDraft, bitDraft, 'D'},
	{FlagFlagged, bitFlagged, 'F'},
	{FlagAnswered, bitAnswered, 'R'},
	{FlagSeen, bitSeen, 'S'},
	{FlagDeleted, bitDeleted, 'T'},
}

const maxKeywordLen = 128

// FlagOp says how SetFlags combines the given flags with the current ones
// (RFC 3501 section 6.4.6: FLAGS, +FLAGS, -FLAGS).
type FlagOp int

const (
	// FlagsReplace sets the flags to exactly the given list.
	FlagsReplace FlagOp = iota
	// FlagsAdd adds the given flags.
	FlagsAdd
	// FlagsRemove removes the given flags.
	FlagsRemove
)

// flagSet is a parsed flag list: system flag bits and keyword names.
type flagSet struct {
	bits     uint8
	keywords []string
}

// parseFlags validates a flag list from the API. System flags match
// case-insensitively; keywords must be IMAP atoms (RFC 3501 section 9) and
// are kept as given.
func parseFlags(flags []string) (flagSet, error) {
	var fs flagSet
	for _, f := range flags {
		if strings.HasPrefix(f, `\`) {
			found := false
			for _, s := range sysFlags {
				if strings.EqualFold(f, s.name) {
					fs.bits |= s.bit
					found = true
					break
				}
			}
			if !found {
				return fs, flagErr(f)
			}
			continue
		}
		if !validKeyword(f) {
			return fs, flagErr(f)
		}
		dup := false
		for _, k := range fs.keywords {
			if k == f {
				dup = true
				break
			}
		}
		if !dup {
			fs.keywords = append(fs.keywords, f)
		}
	}
	return fs, nil
}

type flagError struct{ flag string }

func (e *flagError) Error() string        { return "mailbox: invalid flag " + quoteShort(e.flag) }
func (e *flagError) Is(target error) bool { return target == ErrInvalidFlag }
func flagErr(f string) error              { return &flagError{f} }

func quoteShort(s string) string {
	if len(s) > 64 {
		s = s[:64] + "..."
	}
	return `"` + s + `"`
}

// validKeyword reports whether k is an atom: no atom-specials
// ( ) { SP CTL % * " \ ] and no 8-bit characters (RFC 3501 section 9).
func validKeyword(k string) bool {
	if k == "" || len(k) > maxKeywordLen {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if c <= 0x20 || c >= 0x7f || strings.IndexByte(`(){%*"\]`, c) >= 0 {
			return false
		}
	}
	return true
}

// parseInfo splits a Maildir file name into its unique base and the
// letters of its ":2," info. Files in new/ usually have no info.
func parseInfo(name string) (base, info string) {
	if i := strings.IndexByte(name, ':'); i >= 0 {
		base = name[:i]
		if strings.HasPrefix(name[i:], ":2,") {
			info = name[i+3:]
		}
		return base, info
	}
	return name, ""
}

// infoBits returns the system flag bits and keyword letter bits of an info.
func infoBits(info string) (bits uint8, kw uint32) {
	for i := 0; i < len(info); i++ {
		c := info[i]
		if c >= 'a' && c <= 'z' {
			kw |= 1 << (c - 'a')
			continue
		}
		for _, s := range sysFlags {
			if s.letter == c {
				bits |= s.bit
			}
		}
	}
	return bits, kw
}

// makeInfo builds the info letters for the given bits and keyword letters,
// keeping letters that we do not interpret (such as P, "passed"), sorted in
// ASCII order as the Maildir spec requires.
func makeInfo(old string, bits uint8, kw uint32) string {
	var letters []byte
	for i := 0; i < len(old); i++ {
		c := old[i]
		if c >= 'a' && c <= 'z' {
			continue
		}
		known := false
		for _, s := range sysFlags {
			if s.letter == c {
				known = true
			}
		}
		if !known && c > 0x20 && c < 0x7f && c != '/' && c != ':' {
			letters = append(letters, c)
		}
	}
	for _, s := range sysFlags {
		if bits&s.bit != 0 {
			letters = append(letters, s.letter)
		}
	}
	for i := 0; i < 26; i++ {
		if kw&(1<<i) != 0 {
			letters = append(letters, byte('a'+i))
		}
	}
	sort.Slice(letters, func(i, j int) bool { return letters[i] < letters[j] })
	// drop duplicates
	out := letters[:0]
	for i, c := range letters {
		if i == 0 || c != letters[i-1] {
			out = append(out, c)
		}
	}
	return string(out)
}

// flagStrings lists the flags of bits and keyword letters, system flags
// first, then keywords in letter order.
func flagStrings(bits uint8, kw uint32, keywords []string) []string {
	var out []string
	for _, s := range sysFlags {
		if bits&s.bit != 0 {
			out = append(out, s.name)
		}
	}
	for i := 0; i < 26 && i < len(keywords); i++ {
		if kw&(1<<i) != 0 {
			out = append(out, keywords[i])
		}
	}
	return out
}
