// Package fakeserver plays a scripted server on a loopback port, for the
// tests of the protocol clients (pop3.Client): what the server sends and
// what it expects are C:/S: lines of a transcript, and hostile servers
// (endless responses, endless lines) are a call away.
package fakeserver

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailwright/mailwright/internal/testcert"
)

// Timeout bounds each fake connection, so that a client that hangs fails
// its test instead of blocking it.
const Timeout = 10 * time.Second

// Serve accepts one connection on a loopback listener and hands it to
// handle; an error from handle fails t. Cleanup waits for handle to return.
// It returns the listener's address.
func Serve(t testing.TB, handle func(net.Conn) error) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(Timeout))
		if err := handle(conn); err != nil {
			t.Errorf("fake server: %v", err)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
	})
	return ln.Addr().String()
}

// Script runs script on the first connection to the returned address and
// fails t if the client never connects. A script has one directive a line
// (leading blanks ignored):
//
//	S: text   the server sends text+CRLF (consecutive S: lines in one write)
//	C: text   the server reads one line, which must be text+CRLF
//	TLS       the server starts TLS with the certificate of ClientTLSConfig
//	CLOSE     the server closes the connection
//
// Before sending, the server checks that the client has not sent more
// than the script read: a client must wait for each response (unless the
// script reads pipelined commands first). After the last directive the
// client must close the connection without sending more.
func Script(t testing.TB, script string) string {
	t.Helper()
	ran := false
	// Registered before Serve's cleanup, so it runs after that one has
	// waited for the server goroutine.
	t.Cleanup(func() {
		if !ran {
			t.Errorf("fake server: the client never connected")
		}
	})
	return Serve(t, func(conn net.Conn) error {
		ran = true
		return run(conn, script)
	})
}

func run(conn net.Conn, script string) error {
	br := bufio.NewReader(conn)
	var out bytes.Buffer
	flush := func() error {
		if out.Len() == 0 {
			return nil
		}
		if n := br.Buffered(); n > 0 {
			ahead, _ := br.Peek(n)
			return fmt.Errorf("client sent %q without waiting for the response", ahead)
		}
		_, err := conn.Write(out.Bytes())
		out.Reset()
		return err
	}
	for n, raw := range strings.Split(script, "\n") {
		line := strings.TrimLeft(raw, " \t")
		if line == "" {
			continue
		}
		dir, text, _ := strings.Cut(line, ":")
		text = strings.TrimPrefix(text, " ")
		if dir == "S" {
			out.WriteString(text + "\r\n")
			continue
		}
		if err := flush(); err != nil {
			return err
		}
		switch dir {
		case "C":
			got, err := br.ReadString('\n')
			if err != nil {
				return fmt.Errorf("script line %d: want %q, read error %v", n+1, text, err)
			}
			if got != text+"\r\n" {
				return fmt.Errorf("script line %d:\n got %q\nwant %q", n+1, got, text+"\r\n")
			}
		case "TLS":
			if br.Buffered() > 0 {
				return errors.New("client sent data before the TLS handshake")
			}
			cert, _, err := certificate()
			if err != nil {
				return err
			}
			tc := tls.Server(conn, &tls.Config{Certificates: []tls.Certificate{cert}})
			if err := tc.Handshake(); err != nil {
				return fmt.Errorf("script line %d: TLS handshake: %v", n+1, err)
			}
			conn, br = tc, bufio.NewReader(tc)
		case "CLOSE":
			return nil
		default:
			return fmt.Errorf("script line %d: bad directive %q", n+1, line)
		}
	}
	if err := flush(); err != nil {
		return err
	}
	if extra, err := br.ReadString('\n'); err == nil || extra != "" {
		return fmt.Errorf("client sent %q after the end of the script", extra)
	}
	return nil
}

// Flood greets with greeting+CRLF, reads one command line, then sends
// prefix and repeats unit until the client hangs up or 64 MiB went out
// (which fails t: the client should have given up long before).
func Flood(t testing.TB, greeting, prefix, unit string) string {
	t.Helper()
	return Serve(t, func(conn net.Conn) error {
		if _, err := io.WriteString(conn, greeting+"\r\n"); err != nil {
			return err
		}
		if _, err := bufio.NewReader(conn).ReadString('\n'); err != nil {
			return err
		}
		io.WriteString(conn, prefix)
		block := []byte(strings.Repeat(unit, 32<<10/len(unit)))
		for sent := 0; sent < 64<<20; sent += len(block) {
			if _, err := conn.Write(block); err != nil {
				return nil // the client hung up: expected
			}
		}
		return errors.New("the client read 64 MiB of one response")
	})
}

var certState struct {
	once sync.Once
	cert tls.Certificate
	pool *x509.CertPool
	err  error
}

// certificate returns the certificate of the TLS directive, made once.
func certificate() (tls.Certificate, *x509.CertPool, error) {
	certState.once.Do(func() {
		certState.cert, certState.err = testcert.Certificate()
		if certState.err == nil {
			certState.pool = x509.NewCertPool()
			certState.pool.AddCert(certState.cert.Leaf)
		}
	})
	return certState.cert, certState.pool, certState.err
}

// ClientTLSConfig returns a client configuration that trusts the
// certificate of the TLS directive (made for 127.0.0.1, ::1, localhost).
func ClientTLSConfig(t testing.TB) *tls.Config {
	t.Helper()
	_, pool, err := certificate()
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{RootCAs: pool}
}
