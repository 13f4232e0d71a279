package imap_test

import (
	"io"
	"strconv"
	"testing"
)

// RFC 3516 4.4 (imaptest's append-binary): a message appended as a
// literal8 with a binary part is stored with that part in base64 (BODY[1]
// shows no raw binary), and BINARY[1] gives back exactly the bytes
// appended, with BINARY.SIZE their number. RFC 9051 7.5.2: a partial
// BINARY is answered as BINARY[...]<origin>.
func TestAppendBinaryLiteral8(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.login(t)
	bin := "\x00-\xe4\n\r\n\n"
	msg := "From: user@domain.org\r\nContent-Type: application/octet-stream\r\n" +
		"Content-Transfer-Encoding: binary\r\n\r\n" + bin
	c.sendRaw("a1 APPEND INBOX ~{" + strconv.Itoa(len(msg)) + "+}\r\n" + msg + "\r\n")
	c.run(`S: a1 OK [APPENDUID {*}] APPEND completed`)
	c = ts.selectInbox(t)
	c.run(`
C: a3 FETCH 1 (BODY.PEEK[1])
S: * 1 FETCH (BODY[1] {12}
S: AC3kCg0KCg==)
S: a3 OK FETCH completed
C: a4 FETCH 1 (BINARY.SIZE[1] BINARY.PEEK[1])
S: * 1 FETCH (BINARY.SIZE[1] 7 BINARY[1] ~{7}`)
	got := make([]byte, len(bin))
	if _, err := io.ReadFull(c.r, got); err != nil || string(got) != bin {
		t.Fatalf("BINARY[1] = %q, %v; want %q", got, err, bin)
	}
	c.run(`
S: )
S: a4 OK FETCH completed
C: a5 FETCH 1 (BINARY.PEEK[1]<1.2>)
S: * 1 FETCH (BINARY[1]<1> ~{2}
S: -` + "\xe4" + `)
S: a5 OK FETCH completed`)
}
