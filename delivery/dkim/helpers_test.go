package dkim

import (
	"bufio"
	"context"
	"crypto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailwright/mailwright/delivery/internal/authtest"
	"github.com/mailwright/mailwright/delivery/internal/msgauth"
)

// publish puts key's record at selector._domainkey.domain.
func publish(t testing.TB, z *authtest.Zone, selector, domain string, key crypto.Signer) {
	t.Helper()
	rec, err := NewKeyRecord(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	z.Set(KeyName(selector, domain), rec.String())
}

// Keys are expensive to make (RSA-2048 under -race): one of each per
// test binary.
var (
	keysOnce        sync.Once
	rsaKey, edKey   crypto.Signer
	rsaKey2, edKey2 crypto.Signer
)

func testKeys(t testing.TB) {
	t.Helper()
	keysOnce.Do(func() {
		var err error
		for _, k := range []struct {
			dst *crypto.Signer
			typ KeyType
		}{{&rsaKey, RSA}, {&edKey, Ed25519}, {&rsaKey2, RSA}, {&edKey2, Ed25519}} {
			if *k.dst, err = GenerateKey(k.typ); err != nil {
				panic(err)
			}
		}
	})
}

// testWorld is a signer for example.org with an RSA and an Ed25519 key,
// and a verifier whose DNS has both keys.
func testWorld(t testing.TB) (*Signer, *Verifier, *authtest.Zone) {
	t.Helper()
	testKeys(t)
	z := &authtest.Zone{}
	publish(t, z, "rsa", "example.org", rsaKey)
	publish(t, z, "ed", "example.org", edKey)
	s := &Signer{
		Keys: map[string][]Key{"example.org": {{"rsa", rsaKey}, {"ed", edKey}}},
		Now:  func() time.Time { return time.Unix(1700000000, 0) },
	}
	return s, &Verifier{Resolver: z}, z
}

const testMessage = "From: Alice <alice@example.org>\r\n" +
	"To: bob@example.net\r\n" +
	"Subject: a signed  message\r\n" +
	"Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n" +
	"Message-ID: <1@example.org>\r\n" +
	"\r\n" +
	"Hello Bob,\r\n" +
	"\r\n" +
	"this is  signed.  \r\n" +
	"\r\n\r\n"

// signed returns msg with s's signatures on top.
func signed(t testing.TB, s *Signer, msg string) string {
	t.Helper()
	sigs, err := s.Sign(strings.NewReader(msg))
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	return string(sigs) + msg
}

func verify(t testing.TB, v *Verifier, msg string) []Result {
	t.Helper()
	res, err := v.Verify(context.Background(), strings.NewReader(msg))
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return res
}

func statuses(res []Result) string {
	var s []string
	for _, r := range res {
		s = append(s, string(r.Status))
	}
	return strings.Join(s, " ")
}

// canonMessages exercise what canonicalization must get right: folded
// and oddly spaced header fields, whitespace runs and trailing
// whitespace in the body, trailing empty lines, an empty body, a body
// without a final line ending, 8-bit text.
var canonMessages = map[string]string{
	"plain": testMessage,
	"whitespace": "From: \"Alice A.\" <alice@example.org>\r\n" +
		"To: bob@example.net,\r\n\tcarol@example.net\r\n" +
		"Subject:   folded  \t subject\r\n   with a continuation\t  \r\n" +
		"Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n" +
		"Message-ID: <2@example.org>\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: text/plain;\r\n charset=utf-8\r\n" +
		"X-Mixed-Case:   Value\r\n" +
		"\r\n" +
		"  leading spaces and\ttabs \t\r\n" +
		"trailing spaces   \r\n" +
		" \t \r\n" +
		"last text line\r\n" +
		"\r\n \r\n\t\r\n",
	"empty body": "From: alice@example.org\r\nTo: bob@example.net\r\nSubject: nothing\r\n" +
		"Date: Tue, 14 Nov 2023 22:13:20 +0000\r\nMessage-ID: <3@example.org>\r\n\r\n",
	"no final CRLF": "From: alice@example.org\r\nTo: bob@example.net\r\nSubject: cut\r\n" +
		"Date: Tue, 14 Nov 2023 22:13:20 +0000\r\nMessage-ID: <4@example.org>\r\n\r\n" +
		"first line\r\nno line ending here",
	"8bit": "From: =?utf-8?q?J=C3=BCrgen?= <juergen@example.org>\r\nTo: bob@example.net\r\n" +
		"Subject: Grüße\r\nDate: Tue, 14 Nov 2023 22:13:20 +0000\r\nMessage-ID: <5@example.org>\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" +
		"Grüße aus Köln, ¡olé!\r\n",
}

var canonicalizations = []string{"simple/simple", "simple/relaxed", "relaxed/simple", "relaxed/relaxed"}

// alterBody changes one body byte, as a careless relay might.
func alterBody(msg string) string {
	i := strings.Index(msg, "\r\n\r\n") + 4
	return msg[:i] + "X" + msg[i:]
}

// alterHeader changes the Subject.
func alterHeader(msg string) string {
	return strings.Replace(msg, "Subject:", "Subject: Re:", 1)
}

func bufioReader(s string) *bufio.Reader { return bufio.NewReader(strings.NewReader(s)) }

// tagsOf builds a tag list from name, value pairs.
func tagsOf(kv ...string) msgauth.Tags {
	var tags msgauth.Tags
	for i := 0; i+1 < len(kv); i += 2 {
		tags = append(tags, msgauth.Tag{Name: kv[i], Value: kv[i+1]})
	}
	return tags
}
