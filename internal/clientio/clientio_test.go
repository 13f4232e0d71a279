package clientio

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

func TestReadLine(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
		err  error
	}{
		{"+OK\r\n", "+OK", nil},
		{"+OK\n", "+OK", nil},
		{"a\rb\r\n", "a\rb", nil},
		{"\r\n", "", nil},
		{strings.Repeat("x", 20) + "\r\n", strings.Repeat("x", 20), nil}, // at the limit
		{strings.Repeat("x", 21) + "\r\n", "", ErrLineTooLong},
		{strings.Repeat("x", 100), "", ErrLineTooLong}, // across buffer fills
		{"no end", "", io.ErrUnexpectedEOF},
		{"", "", io.ErrUnexpectedEOF},
	} {
		br := bufio.NewReaderSize(strings.NewReader(tc.in), 16)
		got, err := ReadLine(br, 20)
		if got != tc.want || !errors.Is(err, tc.err) {
			t.Errorf("ReadLine(%q) = %q, %v; want %q, %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestDo(t *testing.T) {
	client, server := net.Pipe()
	defer server.Close()
	c := New(client, "test: ")
	defer c.Close()

	// A context already done: f does not run.
	done, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	if err := c.Do(done, time.Minute, func() error { ran = true; return nil }); !errors.Is(err, context.Canceled) || ran {
		t.Fatalf("Do with a done context: %v, ran %v", err, ran)
	}

	// A context that ends while f reads: the read returns, and Cause
	// names the context.
	ctx, cancel := context.WithCancel(context.Background())
	err := c.Do(ctx, time.Minute, func() error {
		time.AfterFunc(10*time.Millisecond, cancel)
		_, err := c.Read(make([]byte, 1))
		return c.Cause(err)
	})
	if !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "test: ") {
		t.Fatalf("Do cancelled during a read: %v", err)
	}
	// Outside a call, Cause passes errors through.
	if err := c.Cause(io.EOF); err != io.EOF {
		t.Fatalf("Cause after the call = %v", err)
	}

	// The timeout bounds the call.
	err = c.Do(context.Background(), time.Millisecond, func() error {
		_, err := c.Read(make([]byte, 1))
		return err
	})
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("Do past its timeout: %v", err)
	}
}
