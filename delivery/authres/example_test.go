package authres_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/mailwright/mailwright/delivery/authres"
)

func ExampleParse() {
	h, err := authres.Parse("mx.example.org; dkim=pass header.d=example.com header.b=\"ab/cdEFgh\";\r\n" +
		"\tspf=fail (not permitted) smtp.mailfrom=bounce@example.com")
	if err != nil {
		panic(err)
	}
	for _, r := range h.Results {
		fmt.Println(h.AuthServID, r.Method, r.Result, r.Get("header", "d")+r.Get("smtp", "mailfrom"))
	}
	// Output:
	// mx.example.org dkim pass example.com
	// mx.example.org spf fail bounce@example.com
}

func ExampleHeader_Field() {
	h := &authres.Header{AuthServID: "mx.example.org", Results: []authres.MethodResult{
		{Method: "dkim", Result: "pass", Properties: []authres.Property{{Type: "header", Name: "d", Value: "example.com"}}},
		{Method: "spf", Result: "softfail", Reason: "not in the record", Properties: []authres.Property{{Type: "smtp", Name: "mailfrom", Value: "example.com"}}},
	}}
	fmt.Print(strings.ReplaceAll(h.Field(), "\r\n", "\n"))
	// Output:
	// Authentication-Results: mx.example.org;
	// 	dkim=pass header.d=example.com;
	// 	spf=softfail reason="not in the record" smtp.mailfrom=example.com
}

func ExampleRemoveForged() {
	msg := "Authentication-Results: mx.example.org; dkim=pass header.d=bank.example\r\n" +
		"Authentication-Results: mx.elsewhere.example; spf=pass smtp.mailfrom=x.example\r\n" +
		"From: \"Your Bank\" <security@bank.example>\r\n" +
		"\r\n" +
		"Please confirm your password.\r\n"
	removed, err := authres.RemoveForged(os.Stdout, strings.NewReader(strings.ReplaceAll(msg, "\r\n", "\n")), "mx.example.org")
	fmt.Println(removed, err)
	// Output:
	// Authentication-Results: mx.elsewhere.example; spf=pass smtp.mailfrom=x.example
	// From: "Your Bank" <security@bank.example>
	//
	// Please confirm your password.
	// 1 <nil>
}
