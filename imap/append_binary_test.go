package imap

import (
	"bytes"
	"encoding/base64"
	"io"
	"strings"
	"testing"
)

// TestWithBase64Parts: the binary parts of a message come out in base64
// lines (the others as they were), the size announced is the size
// produced, and decoding gives the original bytes back.
func TestWithBase64Parts(t *testing.T) {
	bin := "\x00-\xe4\n\r\n\n" + strings.Repeat("\xff\x00", 100)
	msg := "From: a@b\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n" +
		"--b\r\nContent-Type: application/octet-stream\r\ncontent-transfer-encoding :\r\n binary\r\n\r\n" + bin + "\r\n" +
		"--b--\r\n"
	r, n, converted, err := withBase64Parts(strings.NewReader(msg), int64(len(msg)))
	if err != nil || !converted {
		t.Fatalf("converted %v, err %v", converted, err)
	}
	out, err := io.ReadAll(r)
	if err != nil || int64(len(out)) != n {
		t.Fatalf("read %d bytes (%v), announced %d", len(out), err, n)
	}
	enc := base64.StdEncoding.EncodeToString([]byte(bin))
	want := "From: a@b\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n" +
		"--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		enc[:76] + "\r\n" + enc[76:152] + "\r\n" + enc[152:228] + "\r\n" + enc[228:] + "\r\n" +
		"--b--\r\n"
	if string(out) != want {
		t.Fatalf("got\n%q\nwant\n%q", out, want)
	}
	m := newMessage(bytes.NewReader(out), n)
	got, err := m.binaryReader([]int{2})
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(got); string(b) != bin {
		t.Errorf("BINARY[2] = %q, want %q", b, bin)
	}
	// Nothing binary: nothing to do.
	if _, _, converted, _ := withBase64Parts(strings.NewReader("Subject: x\r\n\r\nbody\r\n"), 21); converted {
		t.Error("a text message was converted")
	}
}

// FuzzWithBase64Parts: any message converts without panic, to exactly
// the size announced.
func FuzzWithBase64Parts(f *testing.F) {
	f.Add([]byte("Content-Transfer-Encoding: binary\r\n\r\n\x00\x01\x02"))
	f.Add([]byte("Content-Type: multipart/mixed; boundary=x\n\n--x\nContent-Transfer-Encoding: BINARY\n\n\x00\n--x\nContent-Type: message/rfc822\n\nContent-Transfer-Encoding: binary\n\nzz\n--x--\n"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		r, n, converted, err := withBase64Parts(bytes.NewReader(msg), int64(len(msg)))
		if err != nil || !converted {
			return
		}
		out, err := io.ReadAll(r)
		if err != nil || int64(len(out)) != n {
			t.Fatalf("read %d bytes (%v), announced %d", len(out), err, n)
		}
	})
}
