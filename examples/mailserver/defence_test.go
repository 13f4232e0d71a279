package main

import (
	"encoding/base64"
	"testing"

	"github.com/mailwright/mailwright/internal/dnstest"
	"github.com/mailwright/mailwright/internal/loopback"
)

// The defence flags at work in a running server: a per-address
// connection cap, a DNSBL through -resolver, and one login throttle for
// IMAP, POP3 and SMTP AUTH. Each client is its own loopback address.
func TestDefenceFlags(t *testing.T) {
	bin := buildServer(t)
	dns := dnstest.NewServer(t,
		`2.0.0.127.bl.test. 60 IN A 127.0.0.2`,
		`2.0.0.127.bl.test. 60 IN TXT "test listing"`)
	in := start(t, bin, "a.test", "-resolver", dns.Addr, "-dnsbl", "bl.test", "-max-conns-per-ip", "2",
		"-login-max-failures", "3", "-login-delay", "-1s")
	in.addUser(t, bin, "a.test", "alice", "alice-pw")

	t.Run("connection cap", func(t *testing.T) {
		for range 2 {
			loopback.DialClient(t, "127.0.0.4", in.imap).Run(`S: * OK *`)
		}
		loopback.DialClient(t, "127.0.0.4", in.imap).Run(`S: * BYE [UNAVAILABLE] Too many connections from your address or network, try again later`)
		loopback.DialClient(t, "127.0.0.5", in.imap).Run(`S: * OK *`)
	})

	t.Run("dnsbl", func(t *testing.T) {
		loopback.DialClient(t, "127.0.0.2", in.smtp).Run(`
			S: 220 *
			C: HELO listed.test
			S: 250 *
			C: MAIL FROM:<someone@listed.test>
			S: 554 5.7.1 Service unavailable; client [127.0.0.2] blocked using bl.test; test listing`)
		loopback.DialClient(t, "127.0.0.6", in.smtp).Run(`
			S: 220 *
			C: HELO clean.test
			S: 250 *
			C: MAIL FROM:<someone@clean.test>
			S: 250 *`)
	})

	t.Run("login throttle", func(t *testing.T) {
		loopback.DialClient(t, "127.0.0.3", in.imap).Run(`
			S: * OK *
			C: a LOGIN alice guess1
			S: a NO [AUTHENTICATIONFAILED] *
			C: b LOGIN alice guess2
			S: b NO [AUTHENTICATIONFAILED] *`)
		loopback.DialClient(t, "127.0.0.3", in.pop3).Run(`
			S: +OK *
			C: USER alice
			S: +OK *
			C: PASS guess3
			S: -ERR [AUTH] *
			C: USER alice
			S: +OK *
			C: PASS alice-pw
			S: -ERR [SYS/TEMP] Too many failed logins; try again later`)
		plain := base64.StdEncoding.EncodeToString([]byte("\x00alice\x00alice-pw"))
		loopback.DialClient(t, "127.0.0.3", in.submission).Run(`
			S: 220 *
			C: AUTH PLAIN ` + plain + `
			S: 503 *
			C: EHLO client.test
			S...: 250 *
			C: AUTH PLAIN ` + plain + `
			S: 454 4.7.0 Too many failed logins; try again later`)
		loopback.DialClient(t, "127.0.0.7", in.imap).Run(`
			S: * OK *
			C: a LOGIN alice alice-pw
			S: a OK *`)
	})
}
