// Package safetext makes text from clients and backends safe to put into
// a protocol reply line or a log record: the smtp, pop3 and imap servers
// echo host names, backend messages and configuration strings, and a CR,
// LF or other control character there would end the reply early or let a
// client forge a line of its own.
package safetext

// Line returns s with every control character (C0, TAB included, and
// DEL) replaced by a space, so that it stays on one line of printable
// text. Other bytes are kept as they are, invalid UTF-8 included. s
// itself is returned, without allocating, when it is already clean: the
// servers call Line on every reply.
func Line(s string) string {
	for i := 0; i < len(s); i++ {
		if isControl(s[i]) {
			return replace(s, i)
		}
	}
	return s
}

// replace copies s with the control characters from index i on
// replaced.
func replace(s string, i int) string {
	b := []byte(s)
	for ; i < len(b); i++ {
		if isControl(b[i]) {
			b[i] = ' '
		}
	}
	return string(b)
}

func isControl(c byte) bool { return c < ' ' || c == 0x7f }
