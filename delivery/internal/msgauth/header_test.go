package msgauth

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"
)

func bufioReader(s string) *bufio.Reader { return bufio.NewReader(strings.NewReader(s)) }

func TestReadHeader(t *testing.T) {
	tests := []struct {
		in     string
		fields []string
		body   string
		err    error
	}{
		{"A: 1\r\nB: 2\r\n\r\nbody", []string{"A: 1\r\n", "B: 2\r\n"}, "body", nil},
		{"A: 1\nB:\n two\n\nbody\n", []string{"A: 1\r\n", "B:\r\n two\r\n"}, "body\n", nil}, // LF made CRLF
		{"A: 1\r\nB: 2", []string{"A: 1\r\n", "B: 2\r\n"}, "", nil},                         // no body at all
		{"\r\nbody", nil, "body", nil},
		{"", nil, "", nil},
		{"A : spaced\r\n\r\n", []string{"A : spaced\r\n"}, "", nil},
		{" continuation first\r\n\r\n", nil, "", ErrMalformedHeader},
		{"no colon here\r\n\r\n", nil, "", ErrMalformedHeader},
		{": empty name\r\n\r\n", nil, "", ErrMalformedHeader},
		{"Bad Name: x\r\n\r\n", nil, "", ErrMalformedHeader},
	}
	for _, tt := range tests {
		br := bufioReader(tt.in)
		h, err := ReadHeader(br, 0)
		if !errors.Is(err, tt.err) {
			t.Errorf("%q: err %v, want %v", tt.in, err, tt.err)
			continue
		}
		if err != nil {
			continue
		}
		var got []string
		for _, f := range h {
			got = append(got, string(f.Raw))
		}
		body, _ := io.ReadAll(br)
		if strings.Join(got, "|") != strings.Join(tt.fields, "|") || string(body) != tt.body {
			t.Errorf("%q: fields %q body %q", tt.in, got, body)
		}
	}
}

func TestReadHeaderLimit(t *testing.T) {
	long := "X: " + strings.Repeat("a", 5000) + "\r\n\r\n"
	if _, err := ReadHeader(bufio.NewReaderSize(strings.NewReader(long), 16), 1000); !errors.Is(err, ErrHeaderTooLarge) {
		t.Errorf("one long line: %v", err)
	}
	many := strings.Repeat("X: a\r\n", 300) + "\r\n"
	if _, err := ReadHeader(bufioReader(many), 1000); !errors.Is(err, ErrHeaderTooLarge) {
		t.Errorf("many fields: %v", err)
	}
	if _, err := ReadHeader(bufioReader(many), 2000); err != nil {
		t.Errorf("under the limit: %v", err)
	}
}

func TestPicker(t *testing.T) {
	h, _ := ReadHeader(bufioReader("Received: 1\r\nFrom: a\r\nreceived: 2\r\nTo: b\r\n\r\n"), 0)
	p := NewPicker(h, NewIndex(h))
	var got []string
	for _, name := range []string{"received", "RECEIVED", "Received", "from", "cc"} {
		if f := p.Pick(name); f != nil {
			got = append(got, string(f.Raw))
		} else {
			got = append(got, "-")
		}
	}
	// RFC 6376 5.4.2: the bottom instance first, then upwards; none left: nothing.
	if want := "received: 2\r\n|Received: 1\r\n|-|From: a\r\n|-"; strings.Join(got, "|") != want {
		t.Errorf("picked %q", got)
	}
}

func TestNextFieldKeepsBytes(t *testing.T) {
	br := bufioReader("A: 1\n\tcont\r\nB: 2\r\n\r\nbody")
	var got []string
	for {
		raw, err := NextField(br, 100)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(raw))
		if IsBlankLine(raw) {
			break
		}
	}
	if strings.Join(got, "|") != "A: 1\n\tcont\r\n|B: 2\r\n|\r\n" {
		t.Errorf("fields %q", got)
	}
}
