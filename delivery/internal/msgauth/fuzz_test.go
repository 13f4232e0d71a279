package msgauth

import (
	"bytes"
	"crypto"
	"io"
	"strings"
	"testing"
)

// FuzzBodyCanonicalization: the streaming canonicalizer, fed in two
// pieces split anywhere, gives what the whole-body reference gives.
func FuzzBodyCanonicalization(f *testing.F) {
	for _, s := range []string{"", "a", " C \r\nD \t E\r\n\r\n\r\n", "a\rb\r", "x\n\n\ny \t\n", "\r\r\n\n \r\n"} {
		f.Add(s, uint(len(s)/2))
	}
	f.Fuzz(func(t *testing.T, body string, split uint) {
		cut := int(split % uint(len(body)+1))
		for _, c := range []Canon{Simple, Relaxed} {
			var out bytes.Buffer
			b := newBodyCanonicalizer(c, &out)
			b.Write([]byte(body[:cut]))
			b.Write([]byte(body[cut:]))
			b.Close()
			if want := referenceBody(c, body); out.String() != want {
				t.Fatalf("%v %q split at %d: %q, want %q", c, body, cut, out.String(), want)
			}
		}
	})
}

func FuzzParseTags(f *testing.F) {
	for _, s := range []string{"v=1; a=rsa-sha256; b=abc", "v=DKIM1; k=ed25519; p=11qY", ";;", "a=b=c", "h=a :\r\n b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tags, err := ParseTags(s)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, tag := range tags {
			if !isTagName(tag.Name) || seen[tag.Name] || strings.ContainsRune(tag.Value, ';') {
				t.Fatalf("%q gave %q", s, tags)
			}
			seen[tag.Name] = true
		}
	})
}

// FuzzReadHeader: any input is read or refused, never past the limit;
// every field read has a name and ends in CRLF; the body is left.
func FuzzReadHeader(f *testing.F) {
	for _, s := range []string{"A: 1\r\nB: 2\r\n\r\nbody", "A: 1\n b\n\nx", " x", "x", "\r\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		br := bufioReader(s)
		h, err := ReadHeader(br, 512)
		if err != nil {
			return
		}
		total := 0
		for _, fld := range h {
			total += len(fld.Raw)
			if len(fld.Name()) == 0 || !bytes.HasSuffix(fld.Raw, crlf) {
				t.Fatalf("field %q", fld.Raw)
			}
		}
		if total > 512+2*strings.Count(s, "\n")+2 {
			t.Fatalf("read %d header bytes with a limit of 512", total)
		}
		io.Copy(io.Discard, br)
	})
}

// FuzzParseSig parses a value as each of the three signature fields.
func FuzzParseSig(f *testing.F) {
	for _, s := range []string{
		"v=1; a=rsa-sha256; c=relaxed/simple; d=example.org; s=sel; h=from:to; bh=YWJj; b=YWJj",
		"i=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org; s=sel; t=1; h=from; bh=YWJj; b=YWJj",
		"i=2; cv=pass; a=ed25519-sha256; d=example.org; s=sel; t=1; b=YWJj",
		"v=1; a=rsa-sha1; d=a; s=b; h=From; bh=YWJj; b=YWJj; l=99999999999999999999999; x=1; t=2",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, k := range []SigKind{DKIMSignature, ARCMessageSignature, ARCSeal} {
			sig, err := ParseSig(s, k)
			if err != nil {
				continue
			}
			if !IsDomain(sig.Domain) || len(sig.Data) == 0 || k != ARCSeal && len(sig.Headers) == 0 ||
				k != DKIMSignature && (sig.Instance < 1 || sig.Instance > MaxInstance) {
				t.Fatalf("%v %q gave %+v", k, s, sig)
			}
		}
	})
}

// BenchmarkBodyHash: relaxed and simple canonicalization with SHA-256 of
// a 100 KB text body, per byte.
func BenchmarkBodyHash(b *testing.B) {
	body := []byte(strings.Repeat("The quick brown fox jumps over the lazy dog, and  then  some more.\r\n", 1500))
	for _, c := range []Canon{Simple, Relaxed} {
		b.Run(c.String(), func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				var h BodyHashes
				h.Add(BodyHash{Canon: c, Hash: crypto.SHA256, Limit: -1})
				h.Write(body)
				h.Close()
			}
		})
	}
}
