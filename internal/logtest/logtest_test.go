package logtest

import (
	"context"
	"log/slog"
	"testing"
)

func TestRecordsWithoutTime(t *testing.T) {
	logger, logs := New()
	logger.With("remote", "127.0.0.1:1").Debug("hello", "n", 1)
	logger.LogAttrs(context.Background(), slog.LevelWarn, "login failed", slog.String("user", "a b"))
	want := []string{`level=DEBUG msg=hello remote=127.0.0.1:1 n=1`, `level=WARN msg="login failed" user="a b"`}
	got := logs.Lines()
	if len(got) != len(want) {
		t.Fatalf("lines = %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] || !logs.Has(want[i]) {
			t.Errorf("line %d = %q, want %q", i, got[i], want[i])
		}
	}
	if n := logs.Count("msg="); n != 2 {
		t.Errorf("Count = %d, want 2", n)
	}
}
