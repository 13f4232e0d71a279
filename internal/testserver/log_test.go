package testserver

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestLogWait: Wait finds items already there and items appended later,
// calls found once per item, starts again after a Reset, and ends with
// its context.
func TestLogWait(t *testing.T) {
	var l Log[int]
	l.Append(1, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	calls := map[int]int{}
	done := make(chan error)
	go func() {
		done <- l.Wait(ctx, func(i int) bool { calls[i]++; return i == 4 })
	}()
	l.Append(3)
	l.Append(4)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 4; i++ {
		if calls[i] != 1 {
			t.Errorf("found called %d times for %d", calls[i], i)
		}
	}

	l.Reset()
	if got := l.Items(); len(got) != 0 {
		t.Fatalf("after Reset: %v", got)
	}
	l.Append(5)
	if err := l.Wait(ctx, func(i int) bool { return i == 5 }); err != nil {
		t.Fatal(err)
	}

	short, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if err := l.Wait(short, func(int) bool { return false }); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait with a cancelled context: %v", err)
	}
}
