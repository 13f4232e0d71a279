package main

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"

	"github.com/mailwright/mailwright/mailbox"
)

// ExampleCatcher shows the pieces the program wires together: the
// Catcher is the SMTP backend that fills the store and the HTTP API that
// reads it.
func ExampleCatcher() {
	store := mailbox.NewMemoryStore()
	defer store.Close()
	c := &Catcher{Store: store}
	ctx := context.Background()

	// What the SMTP server does for one transaction.
	s, _ := c.NewSession(ctx, nil)
	s.Mail(ctx, "app@example.org", nil)
	s.Rcpt(ctx, "bob@example.org", nil)
	s.Data(ctx, strings.NewReader("Subject: Welcome\r\n\r\nHello Bob.\r\n"))

	api := httptest.NewServer(c.Handler())
	defer api.Close()
	resp, err := api.Client().Get(api.URL + "/api/wait?to=bob&timeout=1s")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, strings.Contains(string(b), `"text": "Hello Bob.\r\n"`))
	// Output: 200 true
}
