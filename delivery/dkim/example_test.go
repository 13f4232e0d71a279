package dkim_test

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/mailwright/mailwright/delivery/authres"
	"github.com/mailwright/mailwright/delivery/dkim"
)

// A fixed key and clock make the example's output stable; a real
// signer uses dkim.GenerateKey once and keeps the key.
var exampleKey = ed25519.NewKeyFromSeed(must(base64.StdEncoding.DecodeString("nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=")))

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

const exampleMessage = "From: Joe <joe@example.org>\r\nTo: suzie@example.net\r\n" +
	"Subject: dinner\r\nDate: Fri, 11 Jul 2003 21:00:37 -0700\r\n\r\nAre you hungry yet?\r\n"

func ExampleSigner() {
	s := &dkim.Signer{
		Keys: map[string][]dkim.Key{"example.org": {{Selector: "brisbane", PrivateKey: exampleKey}}},
		Now:  func() time.Time { return time.Unix(1528637909, 0) },
	}
	sigs, err := s.Sign(strings.NewReader(exampleMessage))
	if err != nil {
		panic(err)
	}
	fmt.Print(strings.ReplaceAll(string(sigs), "\r\n", "\n"))
	// Output:
	// DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed; d=example.org;
	// 	s=brisbane; t=1528637909; h=from:from:sender:reply-to:subject:
	// 	subject:date:date:message-id:to:to:cc:mime-version:content-type:
	// 	content-transfer-encoding:in-reply-to:references:list-unsubscribe:
	// 	list-unsubscribe-post;
	// 	bh=r1p7ulklm0OrURrJhm1pMmiM4hJ+sk6zds1zGJ1j3y8=;
	// 	b=c+VddStF5lRYcASBggrsMM32fLSacjVhC61M5CKlUYWK4J2Y6LXKlfYmNhOZN9MEoC2l
	// 	8ts3lKQ0rwqILqN8Bg==
}

func ExampleVerifier() {
	s := &dkim.Signer{Keys: map[string][]dkim.Key{"example.org": {{Selector: "brisbane", PrivateKey: exampleKey}}}}
	sigs, _ := s.Sign(strings.NewReader(exampleMessage))
	signed := string(sigs) + exampleMessage

	// DNS as the verifier sees it (an empty answer means no record); a
	// server passes its resolver.
	rec, _ := dkim.NewKeyRecord(exampleKey.Public())
	dns := dkim.TXTResolverFunc(func(ctx context.Context, name string) ([]string, error) {
		if name == "brisbane._domainkey.example.org" {
			return []string{rec.String()}, nil
		}
		return nil, nil
	})
	v := &dkim.Verifier{Resolver: dns}
	for _, msg := range []string{signed, strings.Replace(signed, "hungry", "thirsty", 1)} {
		results, err := v.Verify(context.Background(), strings.NewReader(msg))
		if err != nil {
			panic(err)
		}
		h := &authres.Header{AuthServID: "mx.example.net", Results: dkim.MethodResults(results)}
		fmt.Println(strings.Split(h.String(), " header.i")[0])
	}
	// Output:
	// mx.example.net; dkim=pass header.d=example.org
	// mx.example.net; dkim=fail reason="body hash did not verify" header.d=example.org
}

func ExampleKeyRecord_ZoneEntry() {
	rec, _ := dkim.NewKeyRecord(exampleKey.Public())
	fmt.Println(rec.ZoneEntry("brisbane", "example.org"))
	// Output:
	// brisbane._domainkey.example.org.	IN	TXT	( "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=" )
}
