package main

import (
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"net"
	"strings"
	"testing"

	"github.com/emersion/go-sasl"

	"github.com/mailwright/mailwright/smtp"
)

// TestAuthAnyCredentials: an application that logs in sends to the
// catcher with whatever user name and password it has: over STARTTLS
// with the certificate made at start, and in plaintext where the server
// allows it (on loopback).
func TestAuthAnyCredentials(t *testing.T) {
	tlsConfig, err := serverTLS("", "", []string{"127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	leaf, err := x509.ParseCertificate(tlsConfig.Certificates[0].Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	roots.AddCert(leaf)
	for _, insecure := range []bool{false, true} {
		tc := newTestCatcher(t)
		srv := &smtp.Server{Backend: tc.c, TLSConfig: tlsConfig, AllowInsecureAuth: insecure, Logger: slog.New(slog.DiscardHandler)}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go srv.Serve(l)
		defer srv.Close()
		cl, err := smtp.Dial(l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		if !insecure {
			if err := cl.StartTLS(t.Context(), &tls.Config{RootCAs: roots, ServerName: "127.0.0.1"}); err != nil {
				t.Fatalf("STARTTLS: %v", err)
			}
		}
		if err := cl.Auth(t.Context(), sasl.NewPlainClient("", "app-user", "s3cret")); err != nil {
			t.Fatalf("TLS %v: AUTH PLAIN: %v", !insecure, err)
		}
		if err := cl.SendMail(t.Context(), "app@example.org", []string{"bob@example.org"}, strings.NewReader("Subject: logged in\r\n\r\nx\r\n")); err != nil {
			t.Fatal(err)
		}
		cl.Quit(t.Context())
		if tc.newest(t, "logged in") == nil {
			t.Fatal("no message")
		}
	}
}

func TestIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:1025": true, "[::1]:1025": true, "localhost:25": true, "127.1.2.3:25": true,
		"0.0.0.0:1025": false, ":1025": false, "[::]:25": false, "192.0.2.1:25": false, "mail.example.org:25": false, "nonsense": false,
	} {
		if got := isLoopback(addr); got != want {
			t.Errorf("isLoopback(%q) = %v", addr, got)
		}
	}
}
