package main

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// webListeners binds the HTTP listeners: the HTTPS one for client
// account setup (-autoconfig), which also answers the CA's tls-alpn-01
// challenges, and the http-01 responder (-acme-http). It binds them
// before returning, so that a port in use stops the start and the CA's
// validation can connect as soon as the certificates are asked for,
// which it starts here in the background.
func webListeners(cfg *config, certs *certSource, logger *slog.Logger) ([]listener, error) {
	var out []listener
	if cfg.acme.httpAddr != "" { // newCertSource refused it without ACME
		l, err := httpListener("acme-http", cfg.acme.httpAddr, certs.challengeHandler(), nil, logger)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	if cfg.autoconfig != "" {
		settings, err := settingsFromConfig(cfg)
		if err != nil {
			return nil, err
		}
		l, err := httpListener("autoconfig", cfg.autoconfig, autoconfigHandler(settings, logger), certs.serverConfig(), logger)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	go certs.obtainAll()
	return out, nil
}

// httpListener binds addr and returns the listener that serves handler
// on it, over TLS when tlsConfig is set. The timeouts bound a whole
// request: the documents are small, and a slow client must not hold a
// connection.
func httpListener(name, addr string, handler http.Handler, tlsConfig *tls.Config, logger *slog.Logger) (listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return listener{}, err
	}
	srv := &http.Server{
		Handler:           handler,
		TLSConfig:         tlsConfig,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       time.Minute,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelDebug),
	}
	serve := func() error {
		var err error
		if tlsConfig != nil {
			err = srv.ServeTLS(ln, "", "")
		} else {
			err = srv.Serve(ln)
		}
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	}
	shutdown := func(ctx context.Context) error { return srv.Shutdown(ctx) }
	return listener{name, ln.Addr().String(), serve, shutdown}, nil
}
