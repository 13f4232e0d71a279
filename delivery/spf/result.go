package spf

// Result is the outcome of check_host (RFC 7208 2.6). The values are the
// names that Received-SPF and Authentication-Results fields use.
type Result string

// The results of RFC 7208 2.6 and 8.
const (
	// None: no syntactically valid domain, or no SPF record (8.1).
	None Result = "none"
	// Neutral: the domain states nothing about the client (8.2).
	Neutral Result = "neutral"
	// Pass: the client is authorized (8.3).
	Pass Result = "pass"
	// Fail: the client is not authorized (8.4).
	Fail Result = "fail"
	// SoftFail: probably not authorized, a weak statement (8.5).
	SoftFail Result = "softfail"
	// TempError: a transient (DNS) error; a later check may succeed (8.6).
	TempError Result = "temperror"
	// PermError: the domain's records are broken (8.7).
	PermError Result = "permerror"
)

// qualifierResult maps a directive's qualifier to its result (RFC 7208 4.6.2).
var qualifierResult = map[byte]Result{'+': Pass, '-': Fail, '~': SoftFail, '?': Neutral}
