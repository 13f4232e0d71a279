package imap

import (
	"errors"
	"io"
	"strings"
	"testing"
)

// Only CRLF ends a line (RFC 9051 2.2): a bare LF or CR makes the whole
// line up to CRLF one bad command, so a value with a LF in it cannot
// smuggle a second command. Non-synchronizing literals announced at the
// end of such a line are skipped with it.
func TestBareLineEnds(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string // the tag and message of each result; "" tag: untagged
	}{
		{"a SELECT \"x\nb DELETE INBOX\nc NOOP\"\r\nd NOOP\r\n", []string{"a BAD " + errBareLine, "d NOOP"}},
		{"a NOOP\rb LOGOUT\r\nd NOOP\r\n", []string{"a BAD " + errBareLine, "d NOOP"}},
		{"\nb LOGOUT\r\nd NOOP\r\n", []string{" BAD " + errBareLine, "d NOOP"}},
		{"a LOGIN x\n {3+}\r\nabc\r\nd NOOP\r\n", []string{"a BAD " + errBareLine, "d NOOP"}},
		{"a LOGIN {3+}\r\nabc x\ny\r\nd NOOP\r\n", []string{"a BAD " + errBareLine, "d NOOP"}},
		{"a LOGIN {3+}\r\na\nc x\r\nd NOOP\r\n", []string{"a LOGIN", "d NOOP"}}, // a LF inside a literal is data
		{"d NOOP\r\r\n", []string{"d BAD " + errBareLine}},
	} {
		p, _ := testParser(tc.in)
		var got []string
		for {
			cmd, err := p.ReadCommand()
			var pe *commandError
			switch {
			case errors.As(err, &pe):
				got = append(got, pe.Tag+" "+pe.Status+" "+pe.Message)
				continue
			case err == io.EOF:
			case err != nil:
				got = append(got, "error "+err.Error())
			default:
				got = append(got, cmd.Tag+" "+cmd.Name)
				continue
			}
			break
		}
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("%q:\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}

// An AUTHENTICATE response or IDLE's DONE is a line like any other.
func TestBareLineEndsContinuation(t *testing.T) {
	p, _ := testParser("DONE\nx\r\nDONE\r\n")
	if _, err := p.ReadLine(); err == nil || !strings.Contains(err.Error(), errBareLine) {
		t.Errorf("ReadLine of a bare line: %v", err)
	}
	if line, err := p.ReadLine(); err != nil || string(line) != "DONE" {
		t.Errorf("ReadLine after it = %q, %v", line, err)
	}
}
