package main

import (
	"crypto/tls"
	"errors"
	"log/slog"

	"github.com/mailwright/mailwright/imap"
	"github.com/mailwright/mailwright/mailbox"
)

// imapListeners returns the IMAP (STARTTLS) and IMAPS (implicit TLS)
// listeners, serving the store through backend.
func imapListeners(cfg *config, backend *mailbox.IMAPBackend, tlsConfig *tls.Config, def *defence, logger *slog.Logger) []listener {
	var out []listener
	add := func(name, addr string, implicitTLS bool) {
		if addr == "" {
			return
		}
		s := &imap.Server{Addr: addr, Backend: backend, TLSConfig: tlsConfig,
			AllowInsecureAuth: cfg.insecureAuth, Logger: logger}
		def.imap(s)
		serve := s.ListenAndServe
		if implicitTLS {
			serve = func() error { return s.ListenAndServeTLS("", "") }
		}
		out = append(out, listener{name, addr, serve, s.Shutdown})
	}
	add("imap", cfg.imap, false)
	add("imaps", cfg.imaps, true)
	return out
}

func isIMAPClosed(err error) bool { return errors.Is(err, imap.ErrServerClosed) }
