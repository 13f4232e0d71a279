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

// ExampleCatcher_faults switches a failure on over the HTTP API: the
// SMTP server then refuses one recipient, as a real server would.
func ExampleCatcher_faults() {
	store := mailbox.NewMemoryStore()
	defer store.Close()
	c := &Catcher{Store: store}
	api := httptest.NewServer(c.Handler())
	defer api.Close()

	resp, err := api.Client().Post(api.URL+"/api/faults", "application/json", strings.NewReader(
		`{"stage": "rcpt", "recipients": ["gone@example.org"], "code": 550, "enhanced_code": "5.1.1", "message": "No such user"}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode)

	// What the SMTP server does for one transaction.
	ctx := context.Background()
	s, _ := c.NewSession(ctx, nil)
	s.Mail(ctx, "app@example.org", nil)
	fmt.Println(s.Rcpt(ctx, "gone@example.org", nil))
	fmt.Println(s.Rcpt(ctx, "bob@example.org", nil))
	// Output:
	// 201
	// 550 5.1.1 No such user
	// <nil>
}
