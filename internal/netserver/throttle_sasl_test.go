package netserver

import (
	"context"
	"errors"
	"net"
	"testing"

	"github.com/mailwright/mailwright/internal/logtest"
)

// namingServer is a SASL exchange that learns its user name from the
// first response, as SCRAM does, and counts its steps.
type namingServer struct {
	user  string
	steps int
}

func (s *namingServer) Next(response []byte) ([]byte, bool, error) {
	s.steps++
	if s.steps == 1 {
		s.user = string(response)
		return []byte("challenge"), false, nil
	}
	return nil, true, nil
}

func (s *namingServer) Username() string { return s.user }

// GateSASL asks before the first step (no user yet), and again once the
// exchange names a user; the refusal comes from Next without a step of
// the exchange.
func TestGateSASL(t *testing.T) {
	logger, logs := logtest.New()
	l := Logins{Limiter: &stubLimiter{}, Logger: logger, Proto: "imap"}
	remote := &net.TCPAddr{IP: net.ParseIP("192.0.2.7"), Port: 143}
	errBlocked := errors.New("blocked")
	for _, tc := range []struct {
		user      string
		wantErr   error
		wantSteps int
	}{
		{"alice", nil, 2},
		{"blocked", errBlocked, 1},
	} {
		srv := &namingServer{}
		gate := l.GateSASL(context.Background(), remote, "AUTHENTICATE SCRAM-SHA-256", srv, errBlocked)
		if _, done, err := gate.Next([]byte(tc.user)); done || err != nil {
			t.Fatalf("%s: first step: done %v, %v", tc.user, done, err)
		}
		if _, _, err := gate.Next(nil); err != tc.wantErr {
			t.Errorf("%s: second step: %v, want %v", tc.user, err, tc.wantErr)
		}
		if srv.steps != tc.wantSteps {
			t.Errorf("%s: the exchange ran %d steps, want %d", tc.user, srv.steps, tc.wantSteps)
		}
	}
	want := `level=WARN msg="login blocked" proto=imap ip=192.0.2.7 user=blocked method="AUTHENTICATE SCRAM-SHA-256" reason="Too many failed logins"`
	if !logs.Has(want) || len(logs.Lines()) != 1 {
		t.Errorf("want the one line %s, got:\n%s", want, logs)
	}
}
