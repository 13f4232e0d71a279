package spf

import (
	"fmt"
	"testing"
	"time"

	"github.com/mailwright/mailwright/internal/dnstest"
	"github.com/miekg/dns"
)

// The cases below are ours, written from RFC 7208: every mechanism and
// modifier, macros, the lookup limits and each result. TestCheckCases
// asserts the RFC's answer; TestPyspfInterop runs the same cases through
// pyspf against the same DNS server.

// caseReceiver is %{r} in explanations, for both implementations.
const caseReceiver = "mx.receiver.example"

// caseZone is the DNS data of the cases, in zone-file syntax.
var caseZone = []string{
	// none: no SPF record, or no domain at all (nx.example).
	`none.example. TXT "some other text"`,
	// all, with each qualifier; no match; an empty record; case; split strings.
	`fail.example. TXT "v=spf1 -all"`,
	`pass.example. TXT "v=spf1 +all"`,
	`softfail.example. TXT "v=spf1 ~all"`,
	`neutral.example. TXT "v=spf1 ?all"`,
	`nomatch.example. TXT "v=spf1 ip4:198.51.100.1"`,
	`empty.example. TXT "v=spf1"`,
	`case.example. TXT "V=SPF1 IP4:192.0.2.1 -ALL"`,
	`split.example. TXT "v=spf1 ip4:192.0.2.1" " -all"`,
	`spaces.example. TXT "v=spf1  ip4:192.0.2.1   -all  "`,
	// ip4, ip6 and their CIDR lengths.
	`ip.example. TXT "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all"`,
	`ip4host.example. TXT "v=spf1 ip4:192.0.2.1 -all"`,
	`ip6only.example. TXT "v=spf1 ip6:2001:db8::/32 ip6:::ffff:192.0.2.0/120 -all"`,
	// a, with the default domain, a target, dual CIDR, a final dot, a CNAME.
	`a.example. TXT "v=spf1 a -all"`,
	`a.example. A 192.0.2.10`,
	`a.example. AAAA 2001:db8::10`,
	`a-cidr.example. TXT "v=spf1 a:host.a-cidr.example/24//64 -all"`,
	`host.a-cidr.example. A 192.0.2.10`,
	`host.a-cidr.example. AAAA 2001:db8:1::10`,
	`a-dot.example. TXT "v=spf1 a:host.a-cidr.example. -all"`,
	`cname.example. TXT "v=spf1 a:alias.cname.example -all"`,
	`alias.cname.example. CNAME host.cname.example.`,
	`host.cname.example. A 192.0.2.95`,
	// mx: hosts, CIDR, no MX, 10 MX, 11 MX.
	`mx.example. TXT "v=spf1 mx -all"`,
	`mx.example. MX 10 mx1.mx.example.`,
	`mx.example. MX 20 mx2.mx.example.`,
	`mx1.mx.example. A 192.0.2.20`,
	`mx2.mx.example. A 192.0.2.21`,
	`mx2.mx.example. AAAA 2001:db8::21`,
	`mx-cidr.example. TXT "v=spf1 mx:mx.example/30 -all"`,
	`mx-none.example. TXT "v=spf1 mx ?all"`,
	// ptr: validated, not validated, by domain, IPv6.
	`ptr.example. TXT "v=spf1 ptr -all"`,
	`ptr-domain.example. TXT "v=spf1 ptr:ptr.example -all"`,
	`30.2.0.192.in-addr.arpa. PTR mail.ptr.example.`,
	`mail.ptr.example. A 192.0.2.30`,
	`mail.ptr.example. AAAA 2001:db8::30`,
	`31.2.0.192.in-addr.arpa. PTR mail.other.example.`,
	`mail.other.example. A 192.0.2.31`,
	`32.2.0.192.in-addr.arpa. PTR fake.ptr.example.`,
	`fake.ptr.example. A 192.0.2.99`,
	`0.3.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. PTR mail.ptr.example.`,
	// exists, with macros and transformers.
	`exists.example. TXT "v=spf1 exists:%{ir}.%{l1r-}.lp._spf.%{d} -all"`,
	`40.2.0.192.first.lp._spf.exists.example. A 127.0.0.2`,
	`exists6.example. TXT "v=spf1 exists:%{ir}.%{v}._spf.%{d2} -all"`,
	`1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.exists6.example. A 127.0.0.2`,
	`macro.example. TXT "v=spf1 a:%{l}.users.%{d} -all"`,
	`alice.users.macro.example. A 192.0.2.60`,
	`helomacro.example. TXT "v=spf1 exists:%{h}.helos.%{o} -all"`,
	`good.helo.example.helos.helomacro.example. A 127.0.0.2`,
	`p-macro.example. TXT "v=spf1 exists:%{p}.allow.%{d} -all"`,
	`mail.ptr.example.allow.p-macro.example. A 127.0.0.2`,
	// include: pass, fail, neutral, none, permerror, temperror.
	`include.example. TXT "v=spf1 include:inc-pass.example include:inc-other.example -all"`,
	`inc-pass.example. TXT "v=spf1 ip4:192.0.2.50 -all"`,
	`inc-other.example. TXT "v=spf1 ip4:192.0.2.51 -all"`,
	`include-neutral.example. TXT "v=spf1 include:neutral.example -all"`,
	`include-none.example. TXT "v=spf1 include:none.example -all"`,
	`include-nx.example. TXT "v=spf1 include:nx.example -all"`,
	`include-perm.example. TXT "v=spf1 include:perm-unknown.example -all"`,
	`include-temp.example. TXT "v=spf1 include:servfail.example -all"`,
	// redirect.
	`redirect.example. TXT "v=spf1 ip4:198.51.100.9 redirect=ip4host.example"`,
	`redirect-none.example. TXT "v=spf1 redirect=none.example"`,
	`redirect-all.example. TXT "v=spf1 -all redirect=pass.example"`,
	`redirect-loop.example. TXT "v=spf1 redirect=redirect-loop.example"`,
	`redirect-macro.example. TXT "v=spf1 redirect=%{o}.redirected.example"`,
	`redirect-macro.example.redirected.example. TXT "v=spf1 ip4:192.0.2.77 -all"`,
	// exp: macros, a redirect's target's exp, several records.
	`exp.example. TXT "v=spf1 -all exp=why.exp.example"`,
	`why.exp.example. TXT "%{c} is not one of %{d}'s servers (%{s} via %{h} to %{r}, %{L} %{v} %{i} %{o} %{d2} 100%% %_%-)"`,
	`exp-redirect.example. TXT "v=spf1 redirect=exp.example exp=why-not.example"`,
	`why-not.example. TXT "the wrong explanation"`,
	`exp-multi.example. TXT "v=spf1 -all exp=why.exp-multi.example"`,
	`why.exp-multi.example. TXT "one"`,
	`why.exp-multi.example. TXT "two"`,
	`exp-include.example. TXT "v=spf1 include:exp.example -all exp=why-include.example"`,
	`why-include.example. TXT "from the including domain"`,
	// The 10-lookup limit: ten terms pass, eleven are a permerror.
	`limit10.example. TXT "v=spf1 a:h1.limit.example a:h2.limit.example a:h3.limit.example a:h4.limit.example a:h5.limit.example a:h6.limit.example a:h7.limit.example a:h8.limit.example a:h9.limit.example a:h10.limit.example -all"`,
	`limit11.example. TXT "v=spf1 a:h1.limit.example a:h2.limit.example a:h3.limit.example a:h4.limit.example a:h5.limit.example a:h6.limit.example a:h7.limit.example a:h8.limit.example a:h9.limit.example a:h10.limit.example a:h11.limit.example -all"`,
	`limit-include.example. TXT "v=spf1 include:limit10.example -all"`,
	// The void-lookup limit: two pass, three are a permerror.
	`void2.example. TXT "v=spf1 a:nx1.void.example mx:nx2.void.example ip4:192.0.2.80 -all"`,
	`void3.example. TXT "v=spf1 a:nx1.void.example mx:nx2.void.example exists:nodata.void-data.example ip4:192.0.2.80 -all"`,
	`nodata.void-data.example. TXT "no addresses here"`,
	// Syntax errors.
	`perm-unknown.example. TXT "v=spf1 ip4:192.0.2.1 foo -all"`,
	`perm-ip4.example. TXT "v=spf1 ip4:192.0.2.256 -all"`,
	`perm-cidr.example. TXT "v=spf1 ip4:192.0.2.0/33 -all"`,
	`perm-a-cidr.example. TXT "v=spf1 a/33 -all"`,
	`perm-ip6-dual.example. TXT "v=spf1 ip6:2001:db8::/32//64 -all"`,
	`perm-dup-redirect.example. TXT "v=spf1 redirect=a.example redirect=mx.example"`,
	`perm-dup-exp.example. TXT "v=spf1 -all exp=why.exp.example exp=why.exp.example"`,
	`perm-macro.example. TXT "v=spf1 exists:%{x}.example -all"`,
	`perm-macro-c.example. TXT "v=spf1 exists:%{c}.example -all"`,
	`perm-percent.example. TXT "v=spf1 a:foo%.example -all"`,
	`perm-domain-end.example. TXT "v=spf1 a:localhost -all"`,
	`perm-include-bare.example. TXT "v=spf1 include -all"`,
	`perm-all-arg.example. TXT "v=spf1 -all:foo"`,
	`perm-qualifier.example. TXT "v=spf1 =a -all"`,
	`perm-two.example. TXT "v=spf1 -all"`,
	`perm-two.example. TXT "v=spf1 +all"`,
	`unknown-mod.example. TXT "v=spf1 foo=bar moo.cow-1=%{d} ip4:192.0.2.1 -all"`,
	// DNS failures: SERVFAIL on the record, on a mechanism; a timeout.
	`temp-a.example. TXT "v=spf1 a:servfail.example -all"`,
	`timeout.example. TXT "v=spf1 a:drop.example -all"`,
	// HELO identities.
	`mail.helo.example. TXT "v=spf1 a -all"`,
	`mail.helo.example. A 192.0.2.90`,
	`good.helo.example. A 192.0.2.91`,
}

// caseFailures are the names that answer SERVFAIL, and those never answered.
var (
	caseServfail = []string{"temp.example", "servfail.example"}
	caseDropped  = []string{"drop.example"}
)

func init() {
	for i := 1; i <= 11; i++ {
		ip := fmt.Sprintf("198.51.100.%d", 100+i)
		if i >= 10 {
			ip = fmt.Sprintf("192.0.2.%d", 60+i) // h10 .70, h11 .71
		}
		caseZone = append(caseZone, fmt.Sprintf("h%d.limit.example. A %s", i, ip))
	}
	for i := 1; i <= 11; i++ {
		caseZone = append(caseZone,
			fmt.Sprintf("mx-many.example. MX %d m%d.mx-many.example.", i, i),
			fmt.Sprintf("m%d.mx-many.example. A 198.51.100.%d", i, i))
		if i <= 10 {
			caseZone = append(caseZone,
				fmt.Sprintf("mx-ten.example. MX %d m%d.mx-many.example.", i, i))
		}
	}
	caseZone = append(caseZone,
		`mx-many.example. TXT "v=spf1 mx -all"`,
		`mx-ten.example. TXT "v=spf1 mx -all"`)
}

// spfCase is one check and the result RFC 7208 gives.
type spfCase struct {
	name     string
	ip       string
	mailFrom string // the MAIL FROM address; "" is a null reverse-path
	helo     string
	heloOnly bool   // check the HELO identity
	want     Result // RFC 7208's answer
	exp      string // the explanation, when the domain gives one
	slow     bool   // waits for a DNS timeout
}

var spfCases = []spfCase{
	{name: "no record", ip: "192.0.2.1", mailFrom: "u@none.example", want: None},
	{name: "no domain", ip: "192.0.2.1", mailFrom: "u@nx.example", want: None},
	{name: "single-label domain", ip: "192.0.2.1", mailFrom: "u@localhost", want: None},
	{name: "-all", ip: "192.0.2.1", mailFrom: "u@fail.example", want: Fail},
	{name: "+all", ip: "192.0.2.1", mailFrom: "u@pass.example", want: Pass},
	{name: "~all", ip: "192.0.2.1", mailFrom: "u@softfail.example", want: SoftFail},
	{name: "?all", ip: "192.0.2.1", mailFrom: "u@neutral.example", want: Neutral},
	{name: "no match is neutral", ip: "192.0.2.1", mailFrom: "u@nomatch.example", want: Neutral},
	{name: "empty record", ip: "192.0.2.1", mailFrom: "u@empty.example", want: Neutral},
	{name: "upper case record", ip: "192.0.2.1", mailFrom: "u@case.example", want: Pass},
	{name: "strings joined", ip: "192.0.2.2", mailFrom: "u@split.example", want: Fail},
	{name: "strings joined match", ip: "192.0.2.1", mailFrom: "u@split.example", want: Pass},
	{name: "extra spaces", ip: "192.0.2.1", mailFrom: "u@spaces.example", want: Pass},
	{name: "ip4 cidr", ip: "192.0.2.55", mailFrom: "u@ip.example", want: Pass},
	{name: "ip4 outside", ip: "198.51.100.1", mailFrom: "u@ip.example", want: Fail},
	{name: "ip6 cidr", ip: "2001:db8::1", mailFrom: "u@ip.example", want: Pass},
	{name: "ip6 outside", ip: "2001:db9::1", mailFrom: "u@ip.example", want: Fail},
	{name: "ip4 host", ip: "192.0.2.1", mailFrom: "u@ip4host.example", want: Pass},
	{name: "ip4-mapped client is IPv4", ip: "::ffff:192.0.2.1", mailFrom: "u@ip4host.example", want: Pass},
	{name: "ip6 never matches IPv4", ip: "192.0.2.1", mailFrom: "u@ip6only.example", want: Fail},
	{name: "a", ip: "192.0.2.10", mailFrom: "u@a.example", want: Pass},
	{name: "a no match", ip: "192.0.2.11", mailFrom: "u@a.example", want: Fail},
	{name: "a AAAA", ip: "2001:db8::10", mailFrom: "u@a.example", want: Pass},
	{name: "a cidr4", ip: "192.0.2.200", mailFrom: "u@a-cidr.example", want: Pass},
	{name: "a cidr4 outside", ip: "198.51.100.1", mailFrom: "u@a-cidr.example", want: Fail},
	{name: "a cidr6", ip: "2001:db8:1::ffff", mailFrom: "u@a-cidr.example", want: Pass},
	{name: "a cidr6 outside", ip: "2001:db8:2::1", mailFrom: "u@a-cidr.example", want: Fail},
	{name: "a final dot", ip: "192.0.2.10", mailFrom: "u@a-dot.example", want: Pass},
	{name: "a through CNAME", ip: "192.0.2.95", mailFrom: "u@cname.example", want: Pass},
	{name: "mx", ip: "192.0.2.21", mailFrom: "u@mx.example", want: Pass},
	{name: "mx no match", ip: "192.0.2.22", mailFrom: "u@mx.example", want: Fail},
	{name: "mx AAAA", ip: "2001:db8::21", mailFrom: "u@mx.example", want: Pass},
	{name: "mx cidr", ip: "192.0.2.23", mailFrom: "u@mx-cidr.example", want: Pass},
	{name: "mx cidr outside", ip: "192.0.2.24", mailFrom: "u@mx-cidr.example", want: Fail},
	{name: "mx without MX records", ip: "192.0.2.1", mailFrom: "u@mx-none.example", want: Neutral},
	{name: "mx ten names", ip: "198.51.100.10", mailFrom: "u@mx-ten.example", want: Pass},
	{name: "mx eleven names", ip: "198.51.100.1", mailFrom: "u@mx-many.example", want: PermError},
	{name: "ptr", ip: "192.0.2.30", mailFrom: "u@ptr.example", want: Pass},
	{name: "ptr other domain", ip: "192.0.2.31", mailFrom: "u@ptr.example", want: Fail},
	{name: "ptr not validated", ip: "192.0.2.32", mailFrom: "u@ptr.example", want: Fail},
	{name: "ptr no PTR", ip: "192.0.2.33", mailFrom: "u@ptr.example", want: Fail},
	{name: "ptr:domain", ip: "192.0.2.30", mailFrom: "u@ptr-domain.example", want: Pass},
	{name: "ptr IPv6", ip: "2001:db8::30", mailFrom: "u@ptr.example", want: Pass},
	{name: "exists with transformers", ip: "192.0.2.40", mailFrom: "first-last@exists.example", want: Pass},
	{name: "exists no match", ip: "192.0.2.41", mailFrom: "first-last@exists.example", want: Fail},
	{name: "exists IPv6 nibbles", ip: "2001:db8::cb01", mailFrom: "u@exists6.example", want: Pass},
	{name: "macro l", ip: "192.0.2.60", mailFrom: "alice@macro.example", want: Pass},
	{name: "macro l other", ip: "192.0.2.60", mailFrom: "bob@macro.example", want: Fail},
	{name: "macro h", ip: "192.0.2.1", mailFrom: "u@helomacro.example", helo: "good.helo.example", want: Pass},
	{name: "macro h other", ip: "192.0.2.1", mailFrom: "u@helomacro.example", helo: "bad.helo.example", want: Fail},
	{name: "macro p", ip: "192.0.2.30", mailFrom: "u@p-macro.example", want: Pass},
	{name: "macro p unknown", ip: "192.0.2.33", mailFrom: "u@p-macro.example", want: Fail},
	{name: "include pass", ip: "192.0.2.50", mailFrom: "u@include.example", want: Pass},
	{name: "include second", ip: "192.0.2.51", mailFrom: "u@include.example", want: Pass},
	{name: "include fails through", ip: "192.0.2.52", mailFrom: "u@include.example", want: Fail},
	{name: "include neutral", ip: "192.0.2.1", mailFrom: "u@include-neutral.example", want: Fail},
	{name: "include none", ip: "192.0.2.1", mailFrom: "u@include-none.example", want: PermError},
	{name: "include nxdomain", ip: "192.0.2.1", mailFrom: "u@include-nx.example", want: PermError},
	{name: "include permerror", ip: "192.0.2.1", mailFrom: "u@include-perm.example", want: PermError},
	{name: "include temperror", ip: "192.0.2.1", mailFrom: "u@include-temp.example", want: TempError},
	{name: "redirect", ip: "192.0.2.1", mailFrom: "u@redirect.example", want: Pass},
	{name: "redirect fail", ip: "192.0.2.2", mailFrom: "u@redirect.example", want: Fail},
	{name: "redirect after match", ip: "198.51.100.9", mailFrom: "u@redirect.example", want: Pass},
	{name: "redirect to none", ip: "192.0.2.1", mailFrom: "u@redirect-none.example", want: PermError},
	{name: "redirect ignored after all", ip: "192.0.2.1", mailFrom: "u@redirect-all.example", want: Fail},
	{name: "redirect loop", ip: "192.0.2.1", mailFrom: "u@redirect-loop.example", want: PermError},
	{name: "redirect macro", ip: "192.0.2.77", mailFrom: "u@redirect-macro.example", want: Pass},
	{name: "exp", ip: "192.0.2.1", mailFrom: "a+b@exp.example", helo: "mail.client.example", want: Fail,
		exp: "192.0.2.1 is not one of exp.example's servers (a+b@exp.example via mail.client.example to mx.receiver.example, a%2Bb in-addr 192.0.2.1 exp.example exp.example 100%  %20)"},
	{name: "exp of the redirect target", ip: "192.0.2.1", mailFrom: "u@exp-redirect.example", helo: "h.example", want: Fail,
		exp: "192.0.2.1 is not one of exp.example's servers (u@exp-redirect.example via h.example to mx.receiver.example, u in-addr 192.0.2.1 exp-redirect.example exp.example 100%  %20)"},
	{name: "exp of the including domain", ip: "192.0.2.1", mailFrom: "u@exp-include.example", want: Fail, exp: "from the including domain"},
	{name: "exp with two records", ip: "192.0.2.1", mailFrom: "u@exp-multi.example", want: Fail},
	{name: "ten lookups", ip: "192.0.2.70", mailFrom: "u@limit10.example", want: Pass},
	{name: "eleven lookups", ip: "192.0.2.71", mailFrom: "u@limit11.example", want: PermError},
	{name: "lookups counted through include", ip: "192.0.2.70", mailFrom: "u@limit-include.example", want: PermError},
	{name: "two void lookups", ip: "192.0.2.80", mailFrom: "u@void2.example", want: Pass},
	{name: "three void lookups", ip: "192.0.2.80", mailFrom: "u@void3.example", want: PermError},
	{name: "unknown mechanism after a match", ip: "192.0.2.1", mailFrom: "u@perm-unknown.example", want: PermError},
	{name: "bad ip4", ip: "192.0.2.1", mailFrom: "u@perm-ip4.example", want: PermError},
	{name: "ip4 cidr over 32", ip: "192.0.2.1", mailFrom: "u@perm-cidr.example", want: PermError},
	{name: "a cidr over 32", ip: "192.0.2.1", mailFrom: "u@perm-a-cidr.example", want: PermError},
	{name: "ip6 dual cidr", ip: "192.0.2.1", mailFrom: "u@perm-ip6-dual.example", want: PermError},
	{name: "two redirects", ip: "192.0.2.1", mailFrom: "u@perm-dup-redirect.example", want: PermError},
	{name: "two exps", ip: "192.0.2.1", mailFrom: "u@perm-dup-exp.example", want: PermError},
	{name: "unknown macro letter", ip: "192.0.2.1", mailFrom: "u@perm-macro.example", want: PermError},
	{name: "c macro outside exp", ip: "192.0.2.1", mailFrom: "u@perm-macro-c.example", want: PermError},
	{name: "lone percent", ip: "192.0.2.1", mailFrom: "u@perm-percent.example", want: PermError},
	{name: "domain without top label", ip: "192.0.2.1", mailFrom: "u@perm-domain-end.example", want: PermError},
	{name: "include without domain", ip: "192.0.2.1", mailFrom: "u@perm-include-bare.example", want: PermError},
	{name: "all with argument", ip: "192.0.2.1", mailFrom: "u@perm-all-arg.example", want: PermError},
	{name: "bad qualifier", ip: "192.0.2.1", mailFrom: "u@perm-qualifier.example", want: PermError},
	{name: "two records", ip: "192.0.2.1", mailFrom: "u@perm-two.example", want: PermError},
	{name: "unknown modifiers ignored", ip: "192.0.2.1", mailFrom: "u@unknown-mod.example", want: Pass},
	{name: "servfail on the record", ip: "192.0.2.1", mailFrom: "u@temp.example", want: TempError},
	{name: "servfail on a mechanism", ip: "192.0.2.1", mailFrom: "u@temp-a.example", want: TempError},
	{name: "timeout on a mechanism", ip: "192.0.2.1", mailFrom: "u@timeout.example", want: TempError, slow: true},
	{name: "helo", ip: "192.0.2.90", helo: "mail.helo.example", heloOnly: true, want: Pass},
	{name: "helo fail", ip: "192.0.2.91", helo: "mail.helo.example", heloOnly: true, want: Fail},
	{name: "null reverse-path uses helo", ip: "192.0.2.90", mailFrom: "", helo: "mail.helo.example", want: Pass},
	{name: "helo without record", ip: "192.0.2.91", helo: "good.helo.example", heloOnly: true, want: None},
}

// startCaseDNS serves caseZone with its injected failures.
func startCaseDNS(t testing.TB) *dnstest.Server {
	t.Helper()
	srv := dnstest.NewServer(t, caseZone...)
	for _, n := range caseServfail {
		srv.Fail(n, dns.RcodeServerFailure)
	}
	for _, n := range caseDropped {
		srv.Drop(n)
	}
	return srv
}

// caseChecker is a Checker over srv with short timeouts for the slow case.
func caseChecker(srv *dnstest.Server) *Checker {
	return &Checker{
		Resolver: &DNS{Server: srv.Addr, Timeout: 300 * time.Millisecond},
		Receiver: caseReceiver,
		Timeout:  5 * time.Second,
	}
}
