package safetext

import "testing"

func TestLine(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"plain text", "plain text"},
		{"a\r\nb", "a  b"},
		{"tab\there", "tab here"},
		{"nul\x00del\x7f", "nul del "},
		{"\x1b[31mred", " [31mred"},
		{"caf\xc3\xa9 \xff", "caf\xc3\xa9 \xff"}, // UTF-8 and invalid bytes stay
	} {
		if got := Line(tc.in); got != tc.want {
			t.Errorf("Line(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestLineCleanDoesNotAllocate(t *testing.T) {
	s := "250 2.0.0 OK: queued as 12345"
	if n := testing.AllocsPerRun(100, func() { _ = Line(s) }); n != 0 {
		t.Errorf("Line of clean text: %v allocations, want 0", n)
	}
}
