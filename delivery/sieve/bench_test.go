package sieve

import (
	"context"
	"os"
	"testing"
	"time"
)

// BenchmarkCompile parses and validates a typical 30-rule script.
func BenchmarkCompile(b *testing.B) {
	src, err := os.ReadFile("testdata/typical.sieve")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(src, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRun evaluates that script against a 10 KB message, body test
// included; the message is read (header parsed) in each iteration.
func BenchmarkRun(b *testing.B) {
	src, err := os.ReadFile("testdata/typical.sieve")
	if err != nil {
		b.Fatal(err)
	}
	msg, err := os.ReadFile("testdata/bench-10k.eml")
	if err != nil {
		b.Fatal(err)
	}
	s, err := Compile(src, nil)
	if err != nil {
		b.Fatal(err)
	}
	env := Envelope{From: "boss+alerts@corp.example", To: "user+work@example.com"}
	now := time.Date(2024, 7, 4, 12, 0, 0, 0, time.UTC)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		res, err := s.Run(context.Background(), &Input{
			Message: NewMessage(msg), Envelope: env, Now: now, Location: time.UTC,
			Mailboxes: mailboxSet{"INBOX", "Archive"},
		})
		if err != nil || len(res.Actions) == 0 {
			b.Fatal(res, err)
		}
	}
}
