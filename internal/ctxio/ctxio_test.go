package ctxio

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
)

// TestReader: reads go through until ctx is cancelled, then fail with
// ctx's error; a context that is never done leaves r as it is.
func TestReader(t *testing.T) {
	src := strings.NewReader("hello, world")
	if Reader(context.Background(), src) != io.Reader(src) {
		t.Error("a context that is never done wraps the reader")
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := Reader(ctx, src)
	buf := make([]byte, 5)
	if n, err := r.Read(buf); n != 5 || err != nil || string(buf) != "hello" {
		t.Fatalf("Read = %d %v %q", n, err, buf[:n])
	}
	cancel()
	if n, err := r.Read(buf); n != 0 || !errors.Is(err, context.Canceled) {
		t.Fatalf("Read after cancel = %d %v, want context.Canceled", n, err)
	}
}
