package netserver

import (
	"context"
	"net"
)

// SASLStep is the step of a SASL server: go-sasl's sasl.Server.
type SASLStep interface {
	Next(response []byte) (challenge []byte, done bool, err error)
}

// GateSASL puts the limiter in front of srv, a SASL exchange of method
// from remote: before the first step, with no user yet (a blocked
// network is refused before the mechanism sees anything), and again
// before the next step once srv names a user other than the one asked
// for (a method Username() string; SCRAM does after the client's first
// message, so a blocked account is refused before its proof is checked).
// A refusal is blocked, returned by Next without calling srv; Allowed has
// logged it. Mechanisms that check the password themselves (PLAIN, LOGIN)
// ask again with the user before checking it.
func (l Logins) GateSASL(ctx context.Context, remote net.Addr, method string, srv SASLStep, blocked error) SASLStep {
	return &saslGate{l: l, ctx: ctx, remote: remote, method: method, srv: srv, blocked: blocked}
}

type saslGate struct {
	l       Logins
	ctx     context.Context
	remote  net.Addr
	method  string
	srv     SASLStep
	blocked error
	asked   bool   // the limiter was asked for user
	user    string // the user the limiter was last asked for
}

func (g *saslGate) Next(response []byte) ([]byte, bool, error) {
	user := SASLUsername(g.srv)
	if !g.asked || user != g.user {
		g.asked, g.user = true, user
		if !g.l.Allowed(g.ctx, g.remote, user, g.method) {
			return nil, false, g.blocked
		}
	}
	return g.srv.Next(response)
}

// SASLUsername returns the user name that the SASL exchange srv was given
// so far, for the limiter and the log: its Username() when it has that
// method, else "".
func SASLUsername(srv any) string {
	if u, ok := srv.(interface{ Username() string }); ok {
		return u.Username()
	}
	return ""
}
