package spf

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/mailwright/mailwright/internal/dnstest"
)

// runCase checks c with checker.
func runCase(ctx context.Context, checker *Checker, c spfCase) Verdict {
	ip := netip.MustParseAddr(c.ip)
	if c.heloOnly {
		return checker.CheckHelo(ctx, ip, c.helo)
	}
	return checker.CheckMailFrom(ctx, ip, c.mailFrom, c.helo)
}

func TestCheckCases(t *testing.T) {
	srv := startCaseDNS(t)
	for _, c := range spfCases {
		t.Run(c.name, func(t *testing.T) {
			if c.slow && testing.Short() {
				t.Skip("waits for a DNS timeout")
			}
			v := runCase(context.Background(), caseChecker(srv), c)
			if v.Result != c.want {
				t.Fatalf("result %s (%v, mechanism %q), want %s", v.Result, v.Err, v.Mechanism, c.want)
			}
			if c.exp != "" && v.Explanation != c.exp {
				t.Errorf("explanation\n %q\nwant\n %q", v.Explanation, c.exp)
			}
			if (v.Result == TempError || v.Result == PermError) != (v.Err != nil) {
				t.Errorf("%s with error %v", v.Result, v.Err)
			}
			if v.Result == Fail && v.Explanation == "" {
				t.Errorf("fail without explanation")
			}
			if v.Lookups > maxLookups+1 || v.VoidLookups > defaultVoidLookups+1 {
				t.Errorf("%d lookups, %d void: over the limits", v.Lookups, v.VoidLookups)
			}
		})
	}
}

func TestDefaultExplanation(t *testing.T) {
	srv := startCaseDNS(t)
	v := caseChecker(srv).CheckMailFrom(context.Background(), netip.MustParseAddr("2001:db8::1"), "u@fail.example", "h.example")
	if want := "2001:db8::1 is not allowed to send mail as fail.example"; v.Explanation != want {
		t.Errorf("explanation %q, want %q", v.Explanation, want)
	}
	c := caseChecker(srv)
	c.Explanation = "see https://help.example/spf?ip=%{C}&at=%{t}"
	c.Now = func() time.Time { return time.Unix(1700000000, 0) }
	v = c.CheckMailFrom(context.Background(), netip.MustParseAddr("2001:db8::1"), "u@fail.example", "h.example")
	if want := "see https://help.example/spf?ip=2001%3Adb8%3A%3A1&at=1700000000"; v.Explanation != want {
		t.Errorf("explanation %q, want %q", v.Explanation, want)
	}
}

// An explanation that is not printable ASCII, or too long for an SMTP
// reply, falls back to the default.
func TestExplanationSanitized(t *testing.T) {
	srv := dnstest.NewServer(t,
		`ctl.example. TXT "v=spf1 -all exp=why.ctl.example"`,
		`why.ctl.example. TXT "line\013\010Injected: header"`,
		`long.example. TXT "v=spf1 -all exp=why.long.example"`,
		`why.long.example. TXT "`+strings.Repeat("%{d}", 40)+`"`,
	)
	for _, d := range []string{"ctl.example", "long.example"} {
		v := caseChecker(srv).CheckMailFrom(context.Background(), netip.MustParseAddr("192.0.2.1"), "u@"+d, "h")
		if want := "192.0.2.1 is not allowed to send mail as " + d; v.Result != Fail || v.Explanation != want {
			t.Errorf("%s: %s %q, want fail %q", d, v.Result, v.Explanation, want)
		}
	}
}

func TestCheckHeloAddressLiteral(t *testing.T) {
	c := &Checker{Resolver: &DNS{Server: "127.0.0.1:1"}}
	if v := c.CheckHelo(context.Background(), netip.MustParseAddr("192.0.2.1"), "[192.0.2.1]"); v.Result != None {
		t.Errorf("address literal HELO: %s, want none", v.Result)
	}
}

// A check never outlives its context: the lookups stop and the result is
// temperror.
func TestCheckContextDeadline(t *testing.T) {
	srv := dnstest.NewServer(t, `slow.example. TXT "v=spf1 a:drop.example -all"`)
	srv.Drop("drop.example")
	c := &Checker{Resolver: &DNS{Server: srv.Addr, Timeout: time.Minute}}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	v := c.CheckMailFrom(ctx, netip.MustParseAddr("192.0.2.1"), "u@slow.example", "h")
	// Without the deadline the lookup would wait a minute, over the
	// test's time limit.
	if v.Result != TempError {
		t.Errorf("%s (%v), want temperror after the deadline", v.Result, v.Err)
	}
	c.Timeout = 200 * time.Millisecond
	v = c.CheckMailFrom(context.Background(), netip.MustParseAddr("192.0.2.1"), "u@slow.example", "h")
	if v.Result != TempError {
		t.Errorf("%s (%v), want temperror after Checker.Timeout", v.Result, v.Err)
	}
}

func TestVoidLookupLimitField(t *testing.T) {
	srv := startCaseDNS(t)
	c := caseChecker(srv)
	c.VoidLookupLimit = 3
	v := c.CheckMailFrom(context.Background(), netip.MustParseAddr("192.0.2.80"), "u@void3.example", "h")
	if v.Result != Pass || v.VoidLookups != 3 {
		t.Errorf("%s with %d void lookups, want pass with 3", v.Result, v.VoidLookups)
	}
}
