package main

import (
	"crypto/tls"
	"errors"
	"log/slog"

	"github.com/mailwright/mailwright/delivery"
	"github.com/mailwright/mailwright/delivery/managesieve"
	"github.com/mailwright/mailwright/mailbox"
)

// manageSieveListener returns the ManageSieve listener (STARTTLS), where
// users upload the Sieve scripts that local delivery (filter) runs; none
// when its address is empty.
func manageSieveListener(cfg *config, store *mailbox.Store, accounts mailbox.Authenticator, filter *delivery.SieveFilter, tlsConfig *tls.Config, logger *slog.Logger) []listener {
	if cfg.managesieve == "" {
		return nil
	}
	s := &managesieve.Server{
		Addr:              cfg.managesieve,
		Backend:           managesieve.NewBackend(store, accounts),
		TLSConfig:         tlsConfig,
		AllowInsecureAuth: cfg.insecureAuth,
		Sieve:             filter.Options, // scripts are checked as delivery runs them
		Logger:            logger,
	}
	return []listener{{"managesieve", cfg.managesieve, s.ListenAndServe, s.Shutdown}}
}

func isManageSieveClosed(err error) bool { return errors.Is(err, managesieve.ErrServerClosed) }
