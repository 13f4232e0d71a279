// Command smtpsink is an SMTP server that accepts every message and throws
// it away, like Postfix's smtp-sink: a target for load tests of SMTP
// clients, and the smallest complete use of the smtp package.
//
//	go run ./examples/smtpsink -addr 127.0.0.1:2525
package main

import (
	"context"
	"flag"
	"io"
	"log"
	"log/slog"
	"net/http"
	_ "net/http/pprof"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/mailwright/mailwright/smtp"
)

type sinkSession struct{}

func (sinkSession) Mail(context.Context, string, *smtp.MailOptions) error { return nil }
func (sinkSession) Rcpt(context.Context, string, *smtp.RcptOptions) error { return nil }
func (sinkSession) Data(_ context.Context, r io.Reader) error {
	_, err := io.Copy(io.Discard, r)
	return err
}
func (sinkSession) Reset(context.Context)        {}
func (sinkSession) Logout(context.Context) error { return nil }

func main() {
	addr := flag.String("addr", "127.0.0.1:2525", "address to listen on")
	lmtp := flag.Bool("lmtp", false, "speak LMTP instead of SMTP")
	maxConns := flag.Int("max-connections", 1000, "concurrent connection cap")
	debugAddr := flag.String("debug-addr", "", "serve Go's net/http/pprof profiles on this address")
	flag.Parse()
	if *debugAddr != "" {
		go func() { log.Print(http.ListenAndServe(*debugAddr, nil)) }()
	}

	s := &smtp.Server{
		Addr:           *addr,
		Domain:         "sink.localhost",
		LMTP:           *lmtp,
		MaxConnections: *maxConns,
		// A load test's connections all come from one address.
		MaxConnectionsPerIP: -1,
		Logger:              slog.New(slog.NewTextHandler(os.Stderr, nil)),
		Backend: smtp.BackendFunc(func(context.Context, *smtp.Conn) (smtp.Session, error) {
			return sinkSession{}, nil
		}),
	}
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		<-sig
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.Shutdown(ctx)
	}()
	log.Printf("smtpsink listening on %s", *addr)
	if err := s.ListenAndServe(); err != nil && err != smtp.ErrServerClosed {
		log.Fatal(err)
	}
}
