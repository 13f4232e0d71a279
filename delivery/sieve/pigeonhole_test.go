package sieve

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// The differential test runs every script of testdata/pigeonhole/scripts
// against messages of testdata/pigeonhole/messages through Pigeonhole's
// sieve-test (Debian's dovecot-sieve) and through this package, and
// requires the same actions; it requires both to refuse every script of
// testdata/pigeonhole/invalid. Pigeonhole's answers are never stored:
// they are taken live.
//
// A script may start with directive comments:
//
//	# messages: a.eml b.eml   (the messages to run it on; default all)
//	# from: sender@example.org (the envelope sender)
//	# to: user@example.com     (the envelope recipient)
//	# execute                  (also run vacation for real: compare whether
//	                           a reply goes and its header)
//
// Pigeonhole 0.5 does not offer ereject ("under development, equal to
// reject" in its README): scripts go to sieve-test with ereject spelled
// reject, and both count as "reject".

const (
	defaultFrom = "sender@example.org"
	defaultTo   = "user@example.com"
)

// pigeonhole is a private sieve-test set-up: a configuration, a Maildir
// with the folders of existingMailboxes, and the include directories.
type pigeonhole struct {
	bin, dir, conf string
}

// existingMailboxes are the folders mailboxexists finds, on both sides.
var existingMailboxes = []string{"INBOX", "Work", "Lists", "Archive"}

func newPigeonhole(t *testing.T) *pigeonhole {
	bin, err := exec.LookPath("sieve-test")
	if err != nil {
		t.Skip("sieve-test not installed (Debian package dovecot-sieve): skipping the Pigeonhole differential test")
	}
	// sieve-test drops privileges (to nobody when run as root), so the
	// directory must be open to that user: not t.TempDir (0700).
	dir, err := os.MkdirTemp("", "sieve-pigeonhole-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	user := fmt.Sprintf("mail_uid = %d\nmail_gid = %d\n", os.Getuid(), os.Getgid())
	if os.Getuid() == 0 {
		user = "mail_uid = nobody\nmail_gid = nogroup\n"
	}
	conf := `base_dir = ` + dir + `/run
state_dir = ` + dir + `/state
log_path = /dev/stderr
first_valid_uid = 0
first_valid_gid = 0
` + user + `mail_location = maildir:` + dir + `/mail
plugin {
  sieve = file:` + dir + `/personal;active=` + dir + `/active.sieve
  sieve_global = ` + dir + `/global
  sieve_extensions = +vacation-seconds +editheader +regex
}
`
	p := &pigeonhole{bin: bin, dir: dir, conf: filepath.Join(dir, "dovecot.conf")}
	must(t, os.WriteFile(p.conf, []byte(conf), 0o644))
	for _, m := range existingMailboxes {
		folder := filepath.Join(dir, "mail")
		if m != "INBOX" {
			folder = filepath.Join(folder, "."+m)
		}
		for _, sub := range []string{"cur", "new", "tmp"} {
			must(t, os.MkdirAll(filepath.Join(folder, sub), 0o777))
		}
	}
	for _, loc := range []string{"personal", "global"} {
		must(t, os.MkdirAll(filepath.Join(dir, loc), 0o777))
		files, _ := filepath.Glob(filepath.Join("testdata", "pigeonhole", "include", loc, "*.sieve"))
		for _, f := range files {
			b, err := os.ReadFile(f)
			must(t, err)
			must(t, os.WriteFile(filepath.Join(dir, loc, filepath.Base(f)), b, 0o666))
		}
	}
	must(t, filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			err = os.Chmod(path, 0o777)
		}
		return err
	}))
	return p
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// run runs sieve-test on a script and a message; execute adds -e.
func (p *pigeonhole) run(t *testing.T, name string, script, msg []byte, from, to string, execute bool) (string, int) {
	t.Helper()
	sf := filepath.Join(p.dir, name+".sieve")
	mf := filepath.Join(p.dir, name+".eml")
	must(t, os.WriteFile(sf, script, 0o666))
	must(t, os.WriteFile(mf, msg, 0o666))
	defer os.Remove(sf)
	defer os.Remove(mf)
	args := []string{"-c", p.conf, "-C", "-r", to, "-a", to}
	if from != "<>" {
		args = append(args, "-f", from)
	}
	if execute {
		args = append(args, "-e")
	}
	cmd := exec.Command(p.bin, append(args, sf, mf)...)
	cmd.Env = append(os.Environ(), "TZ=UTC", "HOME="+p.dir)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), code
}

// compileFailed reports whether sieve-test refused the script.
func compileFailed(out string) bool {
	return strings.Contains(out, "failed to compile sieve script")
}

// corpusCase is one script with its directives.
type corpusCase struct {
	name     string
	script   []byte
	messages []string
	from, to string
	execute  bool
}

var directive = regexp.MustCompile(`^#\s*(messages|from|to|execute)\b:?\s*(.*)$`)

func loadScripts(t *testing.T, dir string) []corpusCase {
	files, err := filepath.Glob(filepath.Join(dir, "*.sieve"))
	must(t, err)
	var out []corpusCase
	for _, f := range files {
		b, err := os.ReadFile(f)
		must(t, err)
		c := corpusCase{name: strings.TrimSuffix(filepath.Base(f), ".sieve"), script: b, from: defaultFrom, to: defaultTo}
		for _, line := range strings.Split(string(b), "\n") {
			m := directive.FindStringSubmatch(strings.TrimSpace(line))
			if m == nil {
				break
			}
			switch m[1] {
			case "messages":
				c.messages = strings.Fields(m[2])
			case "from":
				c.from = strings.TrimSpace(m[2])
			case "to":
				c.to = strings.TrimSpace(m[2])
			case "execute":
				c.execute = true
			}
		}
		out = append(out, c)
	}
	return out
}

// loadMessage reads a corpus message, with CRLF line ends.
func loadMessage(t *testing.T, name string) []byte {
	b, err := os.ReadFile(filepath.Join("testdata", "pigeonhole", "messages", name))
	must(t, err)
	return []byte(toCRLF(string(b)))
}

// forPigeonhole spells ereject as reject (see the top of this file).
func forPigeonhole(script []byte) []byte {
	return regexp.MustCompile(`\bereject\b`).ReplaceAll(script, []byte("reject"))
}

// dirLoader loads included scripts from the corpus.
func dirLoader() ScriptLoader {
	return ScriptLoaderFunc(func(ctx context.Context, name string, global bool) ([]byte, error) {
		loc := "personal"
		if global {
			loc = "global"
		}
		return os.ReadFile(filepath.Join("testdata", "pigeonhole", "include", loc, name+".sieve"))
	})
}

type mailboxSet []string

func (s mailboxSet) MailboxExists(ctx context.Context, name string) (bool, error) {
	return slices.ContainsFunc(s, func(m string) bool { return sameMailbox(m, name) }), nil
}

// ours runs a script through this package and normalises the result.
func ours(t *testing.T, c corpusCase, msg []byte) (lines []string, compileErr error) {
	s, err := Compile(c.script, nil)
	if err != nil {
		return nil, err
	}
	res, err := s.Run(context.Background(), &Input{
		Message:   NewMessage(msg),
		Envelope:  Envelope{From: strings.Trim(c.from, "<>"), To: c.to},
		Now:       time.Now(),
		Location:  time.UTC,
		Mailboxes: mailboxSet(existingMailboxes),
		Scripts:   dirLoader(),
	})
	if err != nil {
		return []string{"error"}, nil
	}
	return normaliseResult(res), nil
}

func flagList(flags []string) string {
	var fl []string
	for _, f := range flags {
		fl = append(fl, strings.ToLower(f))
	}
	slices.Sort(fl)
	fl = slices.Compact(fl)
	return "[" + strings.Join(fl, " ") + "]"
}

// normaliseResult writes our actions in the common form.
func normaliseResult(res *Result) []string {
	var out []string
	for _, a := range res.Actions {
		switch a := a.(type) {
		case *Keep:
			out = append(out, "store INBOX flags="+flagList(a.Flags))
		case *FileInto:
			l := "store " + sanitize(a.Mailbox, 128) + " flags=" + flagList(a.Flags)
			if a.Copy {
				l += " copy"
			}
			if a.Create {
				l += " create"
			}
			out = append(out, l)
		case *Redirect:
			l := "redirect <" + a.Address + ">"
			if a.Copy {
				l += " copy"
			}
			out = append(out, l)
		case *Reject:
			out = append(out, "reject "+sanitize(a.Reason, 128))
		case *Discard:
			out = append(out, "discard")
		case *Vacation:
			out = append(out, fmt.Sprintf("vacation seconds=%d subject=%q from=%q handle=%q reason=%q",
				int64(a.Period/time.Second), trimReason(a.Subject), trimReason(a.From), trimReason(a.Handle), trimReason(a.Reason)))
		case *Notify:
			subject := a.Message
			u, _ := ParseMailto(a.Method)
			if subject == "" && u != nil {
				subject = u.Subject
			}
			var rcpts []string
			if u != nil {
				for _, r := range u.To {
					rcpts = append(rcpts, "To:"+r)
				}
				for _, r := range u.Cc {
					rcpts = append(rcpts, "Cc:"+r)
				}
			}
			out = append(out, fmt.Sprintf("notify importance=%d subject=%q from=%q rcpt=%v", a.Importance, subject, a.From, rcpts))
		case *TrackDuplicate:
			out = append(out, fmt.Sprintf("track duplicate last=%v handle=%q", a.Last, a.Handle))
		}
	}
	if res.ImplicitKeep {
		out = append(out, "implicit keep flags="+flagList(res.KeepFlags))
	}
	return out
}

func trimReason(s string) string {
	return strings.TrimRight(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
}

// sanitize is Dovecot's str_sanitize: control characters become '?',
// and a string longer than max bytes is cut and ends in "...".
func sanitize(s string, max int) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 {
			b.WriteByte('?')
		} else {
			b.WriteByte(s[i])
		}
	}
	out := b.String()
	if len(out) > max {
		out = out[:max-3] + "..."
	}
	return out
}

var (
	phAction     = regexp.MustCompile(`^ \* (.*)$`)
	phSideEffect = regexp.MustCompile(`^\s+\+ (.*)$`)
	phVacation   = regexp.MustCompile(`(?s)\* send vacation message:\n(.*?)\n\nSTART MESSAGE\n(.*?)\nEND MESSAGE\n`)
	phVacField   = regexp.MustCompile(`(?m)^    => (seconds|subject|from|handle)\s*: `)
)

// normalisePigeonhole reads sieve-test's printout into the common form.
func normalisePigeonhole(out string) []string {
	if !strings.Contains(out, "Performed actions:") {
		return []string{"error"}
	}
	// Vacation blocks hold free text: take them out first.
	vacations := phVacation.FindAllStringSubmatch(out, -1)
	out = phVacation.ReplaceAllString(out, "* send vacation message\n")
	var lines []string
	section := ""
	var cur []string // action line and its side effects
	flush := func() {
		if cur != nil {
			lines = append(lines, phLine(section, cur, &vacations))
		}
		cur = nil
	}
	for _, l := range strings.Split(out, "\n") {
		switch {
		case l == "Performed actions:" || l == "Implicit keep:":
			flush()
			section = l
		case phAction.MatchString(l):
			flush()
			cur = []string{phAction.FindStringSubmatch(l)[1]}
		case cur != nil && (phSideEffect.MatchString(l) || strings.HasPrefix(l, "    => ") || strings.HasPrefix(l, "       ")):
			cur = append(cur, strings.TrimSpace(l))
		case strings.HasPrefix(l, "sieve-test:"):
			flush()
		}
	}
	flush()
	return lines
}

func phLine(section string, cur []string, vacations *[][]string) string {
	head, rest := cur[0], cur[1:]
	var flags []string
	copied, create := false, false
	for _, r := range rest {
		switch {
		case strings.HasPrefix(r, "+ add IMAP flags:"):
			flags = strings.Fields(strings.TrimPrefix(r, "+ add IMAP flags:"))
		case r == "+ preserve implicit keep":
			copied = true
		case r == "+ create mailbox if it does not exist":
			create = true
		}
	}
	switch {
	case strings.HasPrefix(head, "store message in folder: "):
		mbox := strings.TrimPrefix(head, "store message in folder: ")
		if section == "Implicit keep:" {
			return "implicit keep flags=" + flagList(flags)
		}
		l := "store " + mbox + " flags=" + flagList(flags)
		if copied {
			l += " copy"
		}
		if create {
			l += " create"
		}
		return l
	case strings.HasPrefix(head, "redirect message to: "):
		l := "redirect " + strings.TrimPrefix(head, "redirect message to: ")
		if copied {
			l += " copy"
		}
		return l
	case strings.HasPrefix(head, "reject message with reason: "):
		return "reject " + strings.TrimPrefix(head, "reject message with reason: ")
	case head == "discard":
		return "discard"
	case head == "send vacation message" && len(*vacations) > 0:
		v := (*vacations)[0]
		*vacations = (*vacations)[1:]
		// Values may span lines: each runs to the next "=>".
		f := map[string]string{}
		idx := phVacField.FindAllStringSubmatchIndex(v[1], -1)
		for i, m := range idx {
			end := len(v[1])
			if i+1 < len(idx) {
				end = idx[i+1][0] - 1
			}
			f[v[1][m[2]:m[3]]] = v[1][m[1]:end]
		}
		return fmt.Sprintf("vacation seconds=%s subject=%q from=%q handle=%q reason=%q",
			f["seconds"], trimReason(f["subject"]), trimReason(f["from"]), trimReason(f["handle"]), trimReason(v[2]))
	case strings.HasPrefix(head, "send notification with method"):
		f := map[string]string{}
		var rcpts []string
		for _, r := range rest {
			if k, v, ok := strings.Cut(strings.TrimPrefix(r, "=> "), ":"); ok && strings.HasPrefix(r, "=> ") {
				f[strings.TrimSpace(k)] = strings.TrimSpace(v)
			}
			if to, ok := strings.CutPrefix(r, "+ "); ok && (strings.HasPrefix(to, "To: ") || strings.HasPrefix(to, "Cc: ")) {
				kind, addr, _ := strings.Cut(to, ": ")
				if a, ok := parseRedirectAddress(addr); ok {
					addr = a
				}
				rcpts = append(rcpts, kind+":"+addr)
			}
		}
		return fmt.Sprintf("notify importance=%s subject=%q from=%q rcpt=%v", f["importance"], f["subject"], f["from"], rcpts)
	case strings.HasPrefix(head, "track"):
		last := strings.HasPrefix(head, "track last")
		handle := ""
		if _, h, ok := strings.Cut(head, "with handle: "); ok {
			handle = h
		}
		return fmt.Sprintf("track duplicate last=%v handle=%q", last, handle)
	}
	return "unknown: " + strings.Join(cur, " | ")
}

func TestPigeonholeDifferential(t *testing.T) {
	p := newPigeonhole(t)
	cases := loadScripts(t, filepath.Join("testdata", "pigeonhole", "scripts"))
	msgFiles, _ := filepath.Glob(filepath.Join("testdata", "pigeonhole", "messages", "*.eml"))
	var allMessages []string
	for _, f := range msgFiles {
		allMessages = append(allMessages, filepath.Base(f))
	}
	pairs := 0
	for _, c := range cases {
		msgs := c.messages
		if len(msgs) == 0 {
			msgs = allMessages
		}
		for _, m := range msgs {
			pairs++
			msg := loadMessage(t, m)
			name := c.name + "/" + strings.TrimSuffix(m, ".eml")
			t.Run(name, func(t *testing.T) {
				out, _ := p.run(t, "case", forPigeonhole(c.script), msg, c.from, c.to, false)
				if compileFailed(out) {
					t.Fatalf("Pigeonhole refuses the script:\n%s", out)
				}
				got, err := ours(t, c, msg)
				if err != nil {
					t.Fatalf("we refuse the script: %v", err)
				}
				want := normalisePigeonhole(out)
				if os.Getenv("SIEVE_DIFF_LOG") != "" { // to see what the corpus covers
					t.Logf("RESULT %q", want)
				}
				if !slices.Equal(got, want) {
					t.Errorf("actions differ\n ours:       %q\n pigeonhole: %q\nsieve-test said:\n%s", got, want, out)
				}
				if c.execute {
					compareVacation(t, p, c, msg)
				}
			})
		}
	}
	t.Logf("%d script and message pairs", pairs)
	if pairs < 200 {
		t.Errorf("only %d pairs; the corpus should have at least 200", pairs)
	}
}

var (
	phSent     = regexp.MustCompile(`vacation action: sent vacation response to <([^>]*)>`)
	phNotSent  = regexp.MustCompile(`vacation action: (discard|not sending)`)
	phSentMail = regexp.MustCompile(`(?s)sending message from <>:\n(.*?)\n\n`)
)

// compareVacation runs the script for real in sieve-test and compares
// whether a vacation reply goes, and its header, with Responder.
func compareVacation(t *testing.T, p *pigeonhole, c corpusCase, msg []byte) {
	out, _ := p.run(t, "exec", forPigeonhole(c.script), msg, c.from, c.to, true)
	s, err := Compile(c.script, nil)
	must(t, err)
	env := Envelope{From: strings.Trim(c.from, "<>"), To: c.to}
	m := NewMessage(msg)
	res, err := s.Run(context.Background(), &Input{Message: m, Envelope: env, Location: time.UTC})
	must(t, err)
	var v *Vacation
	for _, a := range res.Actions {
		if a, ok := a.(*Vacation); ok {
			v = a
		}
	}
	if v == nil {
		t.Fatal("no vacation action")
	}
	rs := &Responder{Hostname: "test.example"}
	send, from, why, err := rs.Decide(context.Background(), v, m, env)
	must(t, err)
	phSends := phSent.MatchString(out)
	if !phSends && !phNotSent.MatchString(out) {
		t.Fatalf("cannot tell whether Pigeonhole replied:\n%s", out)
	}
	if send != phSends {
		t.Fatalf("we reply: %v (%s); Pigeonhole replies: %v\n%s", send, why, phSends, out)
	}
	if !send {
		return
	}
	reply := rs.Compose(v, m, env, from, time.Now())
	phHeader := headerIndex(NewMessage([]byte(toCRLF(phSentMail.FindStringSubmatch(out)[1] + "\n\n"))).Header)
	ourHeader := headerIndex(NewMessage(reply.Message).Header)
	for _, name := range []string{"from", "to", "subject", "in-reply-to", "references", "auto-submitted"} {
		w, g := phHeader[name], ourHeader[name]
		if name == "auto-submitted" {
			// RFC 3834 5: the keyword counts; Pigeonhole adds a comment.
			w = []string{strings.Fields(w[0])[0]}
		}
		if name == "from" || name == "to" {
			w, g = addressesOf(w), addressesOf(g)
		}
		if name == "subject" {
			w, g = decodeAll(w), decodeAll(g)
		}
		if !slices.Equal(w, g) {
			t.Errorf("reply %s: ours %q, Pigeonhole's %q", name, g, w)
		}
	}
	if reply.EnvelopeTo != phSent.FindStringSubmatch(out)[1] {
		t.Errorf("reply goes to %q, Pigeonhole's to %q", reply.EnvelopeTo, phSent.FindStringSubmatch(out)[1])
	}
}

func decodeAll(values []string) []string {
	var out []string
	for _, v := range values {
		out = append(out, decodeHeader(v))
	}
	return out
}

func addressesOf(values []string) []string {
	var out []string
	for _, v := range values {
		for _, a := range parseAddressList(v) {
			out = append(out, strings.ToLower(a.String()))
		}
	}
	return out
}

// TestPigeonholeVerdicts requires both implementations to refuse every
// script of testdata/pigeonhole/invalid.
func TestPigeonholeVerdicts(t *testing.T) {
	p := newPigeonhole(t)
	cases := loadScripts(t, filepath.Join("testdata", "pigeonhole", "invalid"))
	msg := loadMessage(t, "plain.eml")
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, _ := p.run(t, "invalid", forPigeonhole(c.script), msg, defaultFrom, defaultTo, false)
			_, err := Compile(c.script, nil)
			if !compileFailed(out) {
				t.Errorf("Pigeonhole accepts the script:\n%s", out)
			}
			if err == nil {
				t.Errorf("we accept the script")
			}
		})
	}
	t.Logf("%d invalid scripts", len(cases))
	if len(cases) < 50 {
		t.Errorf("only %d invalid scripts; the corpus should have at least 50", len(cases))
	}
}
