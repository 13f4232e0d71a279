package main

import (
	"crypto/tls"
	"log/slog"

	"github.com/mailwright/mailwright/mailbox"
)

// imapListeners returns the IMAP listeners. The imap package's server is
// not wired in yet; the flags are accepted so scripts keep working.
func imapListeners(cfg *config, store *mailbox.Store, accounts mailbox.Accounts, tlsConfig *tls.Config, logger *slog.Logger) []listener {
	if cfg.imap != "" || cfg.imaps != "" {
		logger.Warn("IMAP is not available yet in this build; -imap and -imaps are ignored")
	}
	return nil
}

func isIMAPClosed(error) bool { return false }
