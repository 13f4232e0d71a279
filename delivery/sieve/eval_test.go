package sieve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

const testMessage = "Return-Path: <alice@example.org>\r\n" +
	"Received: from a by b; Tue, 10 Aug 2021 10:00:00 +0000\r\n" +
	"Received: from c by a; Tue, 10 Aug 2021 09:00:00 +0000\r\n" +
	"From: Alice <alice@example.org>\r\n" +
	"To: user@example.com\r\n" +
	"Subject: _underscore\r\n" +
	"Message-ID: <m1@example.org>\r\n" +
	"\r\n" +
	"Body text.\r\n"

// evaluate compiles and runs src on msg.
func evaluate(t *testing.T, src, msg string, opts *Options, in *Input) (*Result, error) {
	t.Helper()
	s, err := Compile([]byte(src), opts)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	if in == nil {
		in = &Input{}
	}
	in.Message = NewMessage([]byte(msg))
	if in.Envelope.To == "" {
		in.Envelope = Envelope{From: "alice@example.org", To: "user@example.com"}
	}
	if in.Location == nil {
		in.Location = time.UTC
	}
	return s.Run(context.Background(), in)
}

func wantActions(t *testing.T, src string, res *Result, err error, want ...string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", src, err)
	}
	if got := normaliseResult(res); !slices.Equal(got, want) {
		t.Errorf("%s:\n got  %q\n want %q", src, got, want)
	}
}

// TestSemantics covers behaviour where this package follows the RFCs
// and Pigeonhole 0.5 does not, so the differential corpus leaves it out.
func TestSemantics(t *testing.T) {
	for _, c := range []struct {
		name, src string
		want      []string
	}{{
		// RFC 4790 9.2: i;ascii-casemap orders after mapping to upper
		// case, so "_" (0x5F) sorts after "Z" (0x5A). Pigeonhole maps to
		// lower case.
		"casemap order upper case",
		`require ["relational", "fileinto"]; if header :value "gt" "subject" "Z" { fileinto "Upper"; }`,
		[]string{"store Upper flags=[]"},
	}, {
		// RFC 5260 6: :index picks the field; Pigeonhole's date test
		// reads only the first field.
		"date index picks the field",
		`require ["date", "index", "fileinto"]; if date :index 2 :zone "+0000" "received" "hour" "09" { fileinto "Second"; }
		 if date :index 1 :last :zone "+0000" "received" "hour" "09" { fileinto "Last"; }`,
		[]string{"store Second flags=[]", "store Last flags=[]"},
	}, {
		// The same duplicate test twice answers the same; Pigeonhole 0.5
		// aborts the script.
		"duplicate twice",
		`require ["duplicate", "fileinto"]; if duplicate { discard; } if duplicate { fileinto "Dup"; }`,
		[]string{"track duplicate last=false handle=\"\"", "implicit keep flags=[]"},
	}, {
		// RFC 5228 2.10.2: the implicit keep is not done again when an
		// action stores into INBOX already (Pigeonhole prints it, and
		// skips it when it executes).
		"implicit keep after a copy into INBOX",
		`require ["fileinto", "copy"]; fileinto :copy "inbox";`,
		[]string{"store inbox flags=[] copy"},
	}, {
		"ereject",
		`require "ereject"; ereject "no";`,
		[]string{"reject no"},
	}, {
		"matches variables",
		`require ["variables", "fileinto"]; if header :matches "from" "* <*@*>" { fileinto "${1}-${2}-${3}-${0}"; }`,
		[]string{"store Alice-alice-example.org-Alice <alice@example.org> flags=[]"},
	}, {
		"regex variables",
		`require ["variables", "regex", "fileinto"]; if header :regex "subject" "^_(.)(x)?" { fileinto "[${0}][${1}][${2}]"; }`,
		[]string{"store [_u][u][] flags=[]"},
	}, {
		"match variables kept on failure",
		`require ["variables", "fileinto"]; if header :matches "subject" "_*" {} if header :matches "subject" "nope*" {} fileinto "${1}";`,
		[]string{"store underscore flags=[]"},
	}, {
		"global namespace",
		`require ["variables", "include", "fileinto"]; set "global.g" "G"; fileinto "${global.g}";`,
		[]string{"store G flags=[]"},
	}, {
		"editheader seen by tests, not by envelope",
		`require ["editheader", "envelope", "fileinto"]; deleteheader "from"; addheader "From" "x@y.example";
		 if address :is "from" "x@y.example" { fileinto "Edited"; }
		 if envelope :is "from" "alice@example.org" { fileinto "Envelope"; }`,
		[]string{"store Edited flags=[]", "store Envelope flags=[]"},
	}, {
		"protected fields stay",
		`require ["editheader", "fileinto"]; deleteheader "received"; if exists "received" { fileinto "Kept"; }`,
		[]string{"store Kept flags=[]"},
	}, {
		"stop in if",
		`if true { keep; stop; } discard;`,
		[]string{"store INBOX flags=[]"},
	}, {
		"flags on keep follow the internal variable",
		`require "imap4flags"; addflag "\\SEEN"; keep; addflag "x"; setflag "y";`,
		[]string{"store INBOX flags=[\\seen]"},
	}, {
		"invalid flags dropped",
		`require "imap4flags"; addflag ["\\Bogus", "a(b", "ok"]; keep :flags ["\\Deleted", "fine", "no)"];`,
		[]string{"store INBOX flags=[\\deleted fine]"},
	}} {
		res, err := evaluate(t, c.src, testMessage, nil, nil)
		wantActions(t, c.name, res, err, c.want...)
	}
}

func TestEnvelopeOriginalRecipient(t *testing.T) {
	src := `require ["envelope", "fileinto"]; if envelope "to" "orig@example.com" { fileinto "Orig"; }`
	in := &Input{Envelope: Envelope{From: "a@example.org", To: "user@example.com", OrigTo: "orig@example.com"}}
	res, err := evaluate(t, src, testMessage, nil, in)
	wantActions(t, src, res, err, "store Orig flags=[]")
	src = `require ["envelope", "fileinto"]; if envelope :all "from" "" { fileinto "Null"; }`
	in = &Input{Envelope: Envelope{From: "", To: "user@example.com"}}
	res, err = evaluate(t, src, testMessage, nil, in)
	wantActions(t, src, res, err, "store Null flags=[]")
}

func TestEditedHeaderSnapshots(t *testing.T) {
	src := `require ["editheader", "fileinto"]; fileinto "Before"; addheader "X-A" "1"; fileinto "After"; addheader :last "X-B" "2";`
	res, err := evaluate(t, src, testMessage, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	before, after := res.Actions[0].(*FileInto), res.Actions[1].(*FileInto)
	if before.Header != nil {
		t.Errorf("the first fileinto has an edited header: %v", before.Header)
	}
	if after.Header == nil || after.Header[0].Name != "X-A" || len(after.Header) != 8 {
		t.Errorf("the second fileinto's header: %v", after.Header)
	}
	m := NewMessage([]byte(testMessage))
	b, _ := io.ReadAll(m.WithHeader(after.Header))
	if !strings.HasPrefix(string(b), "X-A: 1\r\nReturn-Path:") || !strings.HasSuffix(string(b), "\r\n\r\nBody text.\r\n") {
		t.Errorf("edited message:\n%s", b)
	}
	src = `require ["editheader"]; addheader "Subject" "Grüße"; deleteheader :index 2 "subject";`
	res, err = evaluate(t, src, testMessage, nil, nil)
	if err != nil || !res.ImplicitKeep || len(res.KeepHeader) != 7 {
		t.Fatalf("implicit keep %v, header %v, %v", res.ImplicitKeep, res.KeepHeader, err)
	}
	if f := res.KeepHeader[0]; f.Name != "Subject" || f.Value != " =?utf-8?q?Gr=C3=BC=C3=9Fe?=" {
		t.Errorf("added field %+v", f)
	}
}

// TestRuntimeErrors: a run that fails returns an error and no result;
// the caller keeps the message.
func TestRuntimeErrors(t *testing.T) {
	loops := ScriptLoaderFunc(func(ctx context.Context, name string, global bool) ([]byte, error) {
		switch name {
		case "a":
			return []byte(`require "include"; include "b";`), nil
		case "b":
			return []byte(`require "include"; include "a";`), nil
		case "deep0", "deep1", "deep2", "deep3", "deep4":
			return []byte(`require "include"; include :global "deep` + string(name[4]+1) + `";`), nil
		case "bad":
			return []byte(`fileinto "x";`), nil
		}
		return nil, fs.ErrNotExist
	})
	many := strings.Repeat(`fileinto "a"; fileinto "b"; `, 1)
	for i := 0; i < 40; i++ {
		many += fmt.Sprintf(`fileinto "f%d"; `, i)
	}
	long := strings.Repeat("x", 4000)
	expansions := `require "variables"; set "a" "` + long + `"; if header :is "x" ["${a}"` + strings.Repeat(`, "${a}"`, 200) + `] { keep; }`
	growth := `require "editheader";` + strings.Repeat(` addheader "X" "`+long[:2000]+`";`, 5)
	for _, c := range []struct {
		name, src string
		opts      *Options
		line      int
		msg       string
		limit     bool
	}{
		{"expansions", expansions, &Options{Limits: Limits{MaxSteps: 1000}}, 1, "steps", true},
		{"header growth", growth, &Options{Limits: Limits{MaxHeaderSize: 4096}}, 1, "edited header larger", true},
		{"reject and fileinto", `require ["reject", "fileinto"]; fileinto "x";` + "\n" + `reject "no";`, nil, 2, "reject conflicts", false},
		{"two vacations", `require "vacation"; vacation "a"; vacation "b";`, nil, 1, "more than one vacation", false},
		{"include loop", `require "include"; include "a";`, nil, 1, "circular include", false},
		{"include depth", `require "include"; include :global "deep0";`, &Options{Limits: Limits{MaxIncludeDepth: 3}}, 1, "nested deeper", true},
		{"missing include", `require "include"; include "gone";`, nil, 1, "file does not exist", false},
		{"invalid include", `require "include"; include "bad";`, nil, 1, "unknown command fileinto", false},
		{"actions", `require "fileinto"; ` + many, nil, 1, "more than 32 actions", true},
		{"redirects", `redirect "a@x.example"; redirect "b@x.example";`, &Options{Limits: Limits{MaxRedirects: 1}}, 1, "more than 1 redirects", true},
		{"steps", `if header :contains "subject" ["a", "b", "c", "d"] { keep; }`, &Options{Limits: Limits{MaxSteps: 3}}, 1, "steps", true},
		{"runtime mailbox name", `require ["fileinto", "variables"]; set "m" ""; fileinto "${m}";`, nil, 1, "invalid mailbox name", false},
		{"runtime redirect", `require "variables"; set "a" "nope"; redirect "${a}";`, nil, 1, "invalid redirect address", false},
		{"runtime regex", `require ["regex", "variables"]; set "r" "(";` + "\n\n" + `if header :regex "subject" "${r}" { keep; }`, nil, 3, "invalid regular expression", false},
	} {
		_, err := evaluate(t, c.src, testMessage, c.opts, &Input{Scripts: loops})
		var re *RuntimeError
		if !errors.As(err, &re) {
			t.Errorf("%s: error %v, want a *RuntimeError", c.name, err)
			continue
		}
		if re.Pos.Line != c.line || !strings.Contains(err.Error(), c.msg) || errors.Is(err, ErrLimit) != c.limit {
			t.Errorf("%s: %v (line %d, limit %v); want line %d, %q, limit %v", c.name, err, re.Pos.Line, errors.Is(err, ErrLimit), c.line, c.msg, c.limit)
		}
	}
}

func TestVariableSizeLimit(t *testing.T) {
	src := `require ["variables", "fileinto"]; set "a" "0123456789"; set "b" "${a}${a}${a}"; fileinto "${b}${b}";`
	res, err := evaluate(t, src, testMessage, &Options{Limits: Limits{MaxVariableSize: 15}}, nil)
	wantActions(t, src, res, err, "store 012345678901234 flags=[]")
}

func TestContextCancel(t *testing.T) {
	s, err := Compile([]byte(`keep;`), nil)
	must(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Run(ctx, &Input{Message: NewMessage([]byte(testMessage))}); !errors.Is(err, context.Canceled) {
		t.Errorf("run with a cancelled context: %v", err)
	}
}

type fakeTracker struct {
	now  *time.Time
	seen map[string]time.Time
}

func (f *fakeTracker) Seen(ctx context.Context, key string) (bool, error) {
	until, ok := f.seen[key]
	return ok && f.now.Before(until), nil
}

func (f *fakeTracker) Record(ctx context.Context, key string, until time.Time) error {
	f.seen[key] = until
	return nil
}

func TestDuplicateTracker(t *testing.T) {
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	tr := &fakeTracker{now: &now, seen: map[string]time.Time{}}
	src := `require ["duplicate", "fileinto"]; if duplicate :seconds 3600 { fileinto "Dup"; }`
	res, err := evaluate(t, src, testMessage, nil, &Input{Duplicates: tr})
	wantActions(t, src, res, err, "track duplicate last=false handle=\"\"", "implicit keep flags=[]")
	td := res.Actions[0].(*TrackDuplicate)
	if td.Period != time.Hour {
		t.Errorf("period %v", td.Period)
	}
	must(t, tr.Record(context.Background(), td.ID, now.Add(td.Period)))
	res, err = evaluate(t, src, testMessage, nil, &Input{Duplicates: tr})
	wantActions(t, src, res, err, "store Dup flags=[]")
	// A different Message-ID is not a duplicate.
	other := strings.Replace(testMessage, "<m1@", "<m2@", 1)
	res, err = evaluate(t, src, other, nil, &Input{Duplicates: tr})
	wantActions(t, src, res, err, "track duplicate last=false handle=\"\"", "implicit keep flags=[]")
	// :last refreshes the record even for a duplicate.
	src = `require ["duplicate", "fileinto"]; if duplicate :last { fileinto "Dup"; }`
	res, err = evaluate(t, src, testMessage, nil, &Input{Duplicates: tr})
	wantActions(t, src, res, err, "track duplicate last=true handle=\"\"", "store Dup flags=[]")
	now = now.Add(2 * time.Hour)
	src = `require ["duplicate", "fileinto"]; if duplicate :seconds 3600 { fileinto "Dup"; }`
	res, err = evaluate(t, src, testMessage, nil, &Input{Duplicates: tr})
	wantActions(t, src, res, err, "track duplicate last=false handle=\"\"", "implicit keep flags=[]")
}

// TestGlobAgainstRegexp compares :matches with the regular expression
// it stands for, on every pattern and value over a small alphabet.
func TestGlobAgainstRegexp(t *testing.T) {
	rnd := rand.New(rand.NewSource(1))
	alphabet := []string{"a", "b", "*", "?", `\*`}
	for i := 0; i < 20000; i++ {
		var pat, re strings.Builder
		re.WriteString(`^`)
		for n := rnd.Intn(6); n > 0; n-- {
			e := alphabet[rnd.Intn(len(alphabet))]
			pat.WriteString(e)
			switch e {
			case "*":
				re.WriteString(`.*`)
			case "?":
				re.WriteString(`.`)
			case `\*`:
				re.WriteString(`\*`)
			default:
				re.WriteString(e)
			}
		}
		re.WriteString(`$`)
		var v strings.Builder
		for n := rnd.Intn(7); n > 0; n-- {
			v.WriteByte("ab*"[rnd.Intn(3)])
		}
		caps, got := glob(pat.String(), v.String(), false, true)
		want := regexp.MustCompile(re.String()).MatchString(v.String())
		if got != want {
			t.Fatalf("glob(%q, %q) = %v, want %v", pat.String(), v.String(), got, want)
		}
		if got && (caps[0] != v.String() || len(caps)-1 != strings.Count(strings.ReplaceAll(pat.String(), `\*`, ""), "*")+strings.Count(pat.String(), "?")) {
			t.Fatalf("glob(%q, %q) captures %q", pat.String(), v.String(), caps)
		}
	}
}

func TestCompareNumeric(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"10", "9", 1}, {"007", "7", 0}, {"", "x", 0}, {"5", "", -1}, {"12abc", "12", 0},
		{"99999999999999999999999", "1", 1}, {"0", "00", 0},
	} {
		if got := compareNumeric(c.a, c.b); got != c.want {
			t.Errorf("compareNumeric(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

func TestAddressValues(t *testing.T) {
	for _, c := range []struct {
		field string
		part  addressPart
		want  []string
	}{
		{`"Doe, J." <j.doe@Example.COM> (comment)`, partAll, []string{"j.doe@Example.COM"}},
		{`a@b.example, c@d.example`, partDomain, []string{"b.example", "d.example"}},
		{`friends: a@b.example, "q x"@c.example;`, partLocal, []string{"a", "q x"}},
		{`friends: a@b.example;`, partAll, []string{"a@b.example", "friends: a@b.example;"}},
		{`not an address`, partAll, []string{"not an address"}},
		{`not an address`, partLocal, nil},
		{``, partDomain, []string{""}},
		{`<@route.example:u+tag+x@d.example>`, partDetail, []string{"tag+x"}},
		{`u@d.example`, partDetail, nil},
		{`u+@d.example`, partDetail, []string{""}},
	} {
		if got := addressValues([]string{c.field}, c.part, "+"); !slices.Equal(got, c.want) {
			t.Errorf("%q part %d: %q, want %q", c.field, c.part, got, c.want)
		}
	}
}

func TestParseDate(t *testing.T) {
	for in, want := range map[string]string{
		"Tue, 10 Aug 2021 19:11:23 -0700":         "2021-08-10T19:11:23-07:00",
		"10 Aug 21 19:11 EDT":                     "2021-08-10T19:11:00-04:00",
		"Sat, 1 Jan 99 00:00:00 +0000 (comment)":  "1999-01-01T00:00:00Z",
		" Thu, 4 Jul 2024 11:58:00 +0200":         "2024-07-04T11:58:00+02:00",
		"Mon, 31 Feb 2022 10:00:00 +0000":         "",
		"yesterday":                               "",
		"Mon, 1 Jan 2024 25:00:00 +0000":          "",
		"1 Jan 2024 10:00:00":                     "2024-01-01T10:00:00Z",
		"Fri, 29 Feb 2024 13:14:00 +0000 (UTC) x": "2024-02-29T13:14:00Z",
	} {
		d, ok := parseDate(in)
		got := ""
		if ok {
			got = d.Format(time.RFC3339)
		}
		if got != want {
			t.Errorf("parseDate(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestReadMessageLimits(t *testing.T) {
	long := "X-Long: " + strings.Repeat("x", 2000) + "\r\n"
	msg := "A: 1\r\nB: 2\r\n continued\r\nno colon line\r\n" + long + "C: 3\r\n\r\nbody"
	m, err := ReadMessage(strings.NewReader(msg), int64(len(msg)), 1000)
	must(t, err)
	if len(m.Header) != 2 || m.Header[0].Name != "A" || m.Header[1].Name != "B" || m.Header[1].Value != " 2\r\n continued" {
		t.Errorf("header %q", m.Header)
	}
	if !m.truncated {
		t.Error("the long field was dropped without noting it")
	}
	b, _ := io.ReadAll(m.Body())
	if string(b) != "body" {
		t.Errorf("body %q", b)
	}
	// An edit on a truncated header fails, and the caller keeps the
	// original.
	s, _ := Compile([]byte(`require "editheader"; addheader "X" "y";`), nil)
	if _, err := s.Run(context.Background(), &Input{Message: m}); !errors.Is(err, ErrLimit) {
		t.Errorf("edit of a truncated header: %v", err)
	}
	m = NewMessage([]byte("Subject: no body"))
	if len(m.Header) != 1 || m.Header[0].Value != " no body" {
		t.Errorf("header without an end: %q", m.Header)
	}
}

// TestConcurrentRuns runs one Script from several goroutines (with -race).
func TestConcurrentRuns(t *testing.T) {
	src := `require ["regex", "variables", "fileinto", "body"];
	if header :regex "subject" "^_(.*)$" { fileinto "${1}"; }
	if body :contains "text" { keep; }`
	s, err := Compile([]byte(src), nil)
	must(t, err)
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		go func() {
			for j := 0; j < 50; j++ {
				res, err := s.Run(context.Background(), &Input{Message: NewMessage([]byte(testMessage))})
				if err == nil && (len(res.Actions) != 2 || res.Actions[0].(*FileInto).Mailbox != "underscore") {
					err = fmt.Errorf("actions %v", normaliseResult(res))
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for i := 0; i < 8; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Run(context.Background(), &Input{}); err != nil {
		t.Errorf("run without a message: %v", err)
	}
}
