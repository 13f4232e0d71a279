package msgauth

import (
	"errors"
	"testing"
)

func TestParseTags(t *testing.T) {
	tags, err := ParseTags(" v = 1 ;a=rsa-sha256;\r\n\th=from :\r\n to; empty=; p=ab\r\n cd== ;")
	if err != nil {
		t.Fatal(err)
	}
	want := Tags{{"v", "1"}, {"a", "rsa-sha256"}, {"h", "from :\r\n to"}, {"empty", ""}, {"p", "ab\r\n cd=="}}
	if len(tags) != len(want) {
		t.Fatalf("tags %q", tags)
	}
	for i := range want {
		if tags[i] != want[i] {
			t.Errorf("tag %d: %q, want %q", i, tags[i], want[i])
		}
	}
	if v, _ := DecodeBase64(want[4].Value); string(v) != "i\xb7\x1d" {
		t.Errorf("base64 %q", v)
	}
	if got := SplitList(want[2].Value, ":"); len(got) != 2 || got[0] != "from" || got[1] != "to" {
		t.Errorf("list %q", got)
	}
	for _, bad := range []string{"v", "=1", "1v=2", "v=1; v=1", "a=b\x00c", "a=b\rc", "a=b\nc", "a b=1"} {
		if _, err := ParseTags(bad); !errors.Is(err, ErrTagList) {
			t.Errorf("ParseTags(%q): %v", bad, err)
		}
	}
	if tags, err := ParseTags("a=1;; b=2"); err != nil || len(tags) != 2 {
		t.Errorf("empty spec: %q %v", tags, err)
	}
}

func TestIsDomain(t *testing.T) {
	for _, ok := range []string{"example.org", "a", "sel-2024._domainkey", "xn--bcher-kva.example", "bücher.example"} {
		if !IsDomain(ok) {
			t.Errorf("IsDomain(%q) = false", ok)
		}
	}
	for _, bad := range []string{"", ".", "a..b", "a.", "exa mple.org", "a/b", "a;b", string(make([]byte, 64)) + ".org"} {
		if IsDomain(bad) {
			t.Errorf("IsDomain(%q) = true", bad)
		}
	}
}
