package delivery

import (
	"bufio"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mailwright/mailwright/mailbox"
	"github.com/mailwright/mailwright/smtp"
)

// sieveAgent is testAgent with Sieve on, a recording queue, and alice's
// active script src.
func sieveAgent(t *testing.T, src string) (*Agent, *recordingQueue) {
	t.Helper()
	a := testAgent(t)
	q := &recordingQueue{}
	a.Queue = q
	a.Sieve = &SieveFilter{}
	setScript(t, a.Store, "alice", src)
	return a, q
}

// setScript makes src the user's active script.
func setScript(t *testing.T, store *mailbox.Store, user, src string) {
	t.Helper()
	ctx := context.Background()
	if err := store.PutSieveScript(ctx, user, "main", []byte(src)); err != nil {
		t.Fatal(err)
	}
	if err := store.ActivateSieveScript(ctx, user, "main"); err != nil {
		t.Fatal(err)
	}
}

// mailTo is the transcript of a message from `from` to rcpts (each
// accepted) with the given header lines and a one-line body, whose end of
// data gets the reply final.
func mailTo(from string, rcpts []string, header, final string) string {
	var b strings.Builder
	b.WriteString("\n\t\tC: MAIL FROM:<" + from + ">\n\t\tS: 250 2.1.0 Sender OK")
	for _, r := range rcpts {
		b.WriteString("\n\t\tC: RCPT TO:<" + r + ">\n\t\tS: 250 2.1.5 Recipient OK")
	}
	b.WriteString("\n\t\tC: DATA\n\t\tS: 354 *")
	for _, l := range strings.Split(strings.TrimSpace(header), "\n") {
		b.WriteString("\n\t\tC: " + strings.TrimSpace(l))
	}
	b.WriteString("\n\t\tC:\n\t\tC: Hello.\n\t\tC: .\n\t\tS: " + final + "\n")
	return b.String()
}

// stored is a message in a folder.
type stored struct {
	raw   string
	flags []string
}

func folderMessages(t *testing.T, store *mailbox.Store, user, folder string) []stored {
	t.Helper()
	ctx := context.Background()
	f, err := store.OpenFolder(ctx, user, folder)
	if err != nil {
		t.Fatalf("open %s's %s: %v", user, folder, err)
	}
	defer f.Close()
	var out []stored
	for _, m := range f.Messages() {
		r, err := f.Open(ctx, m.UID)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r)
		r.Close()
		out = append(out, stored{string(b), slices.Clone(m.Flags)})
	}
	return out
}

// TestSieveFileInto: fileinto with flags, :create, a missing folder
// without :create, an invalid name, and :detail of a sub-address, over
// SMTP.
func TestSieveFileInto(t *testing.T) {
	a, _ := sieveAgent(t, `require ["fileinto", "imap4flags", "mailbox", "envelope", "subaddress", "editheader"];
if envelope :detail "to" "lists" { fileinto :create "Lists"; stop; }
if header :is "subject" "flagged" { addheader "X-Filtered" "yes"; fileinto :flags ["\\Flagged", "$Important"] "Archive"; stop; }
if header :is "subject" "missing" { fileinto "Nowhere"; stop; }
if header :is "subject" "invalid" { fileinto "Bad%Name"; stop; }
`)
	conn := dial(t, serve(t, a))
	transcript(t, conn, bufio.NewReader(conn), ehlo+
		mailTo("x@elsewhere.test", []string{"alice+lists@example.org"}, "Subject: tagged", "250 2.0.0 Message accepted")+
		mailTo("x@elsewhere.test", []string{"alice@example.org"}, "Subject: flagged", "250 2.0.0 Message accepted")+
		mailTo("x@elsewhere.test", []string{"alice@example.org"}, "Subject: missing", "250 2.0.0 Message accepted")+
		mailTo("x@elsewhere.test", []string{"alice@example.org"}, "Subject: invalid", "250 2.0.0 Message accepted")+
		mailTo("x@elsewhere.test", []string{"alice@example.org"}, "Subject: other", "250 2.0.0 Message accepted"))
	lists := folderMessages(t, a.Store, "alice", "Lists")
	if len(lists) != 1 || !strings.Contains(lists[0].raw, "Subject: tagged") || !strings.HasPrefix(lists[0].raw, "Return-Path: <x@elsewhere.test>\r\nReceived: ") {
		t.Errorf("Lists: %q", lists)
	}
	archive := folderMessages(t, a.Store, "alice", "Archive")
	if len(archive) != 1 || !strings.Contains(archive[0].raw, "X-Filtered: yes\r\n") ||
		!slices.Contains(archive[0].flags, `\Flagged`) || !slices.Contains(archive[0].flags, "$Important") {
		t.Errorf("Archive: %q", archive)
	}
	if got := strings.Join(subjects(t, a, "alice"), ","); got != "missing,invalid,other" {
		t.Errorf("INBOX: %q", got)
	}
}

// TestSieveRedirect: redirect goes through the queue with the same
// envelope sender and a loop guard, and is not stored unless :copy; a
// message that this user redirected before is kept instead.
func TestSieveRedirect(t *testing.T) {
	a, q := sieveAgent(t, `require ["copy"];
if header :is "subject" "copy" { redirect :copy "carol@partner.test"; stop; }
redirect "carol@partner.test";
`)
	conn := dial(t, serve(t, a))
	transcript(t, conn, bufio.NewReader(conn), ehlo+
		mailTo("x@elsewhere.test", []string{"alice@example.org"}, "Subject: plain", "250 2.0.0 Message accepted")+
		mailTo("", []string{"alice@example.org"}, "Subject: copy", "250 2.0.0 Message accepted")+
		mailTo("x@elsewhere.test", []string{"alice@example.org"}, "X-Sieve-Redirected-From: alice@example.org\nSubject: loop", "250 2.0.0 Message accepted"))
	envs, msgs := q.get()
	if len(envs) != 2 {
		t.Fatalf("queued %d messages, want 2", len(envs))
	}
	for i, from := range []string{"x@elsewhere.test", ""} {
		if envs[i].From != from || len(envs[i].Recipients) != 1 || envs[i].Recipients[0].Address != "carol@partner.test" {
			t.Errorf("redirect %d: envelope %+v", i, envs[i])
		}
		if !strings.HasPrefix(msgs[i], "X-Sieve-Redirected-From: alice@example.org\r\nReceived: ") || strings.Contains(msgs[i], "Return-Path") {
			t.Errorf("redirect %d: %q", i, msgs[i])
		}
	}
	if got := strings.Join(subjects(t, a, "alice"), ","); got != "copy,loop" {
		t.Errorf("INBOX: %q", got)
	}
}

// TestSieveReject: reject and ereject refuse the message with 550 5.7.1
// while the client waits for the one recipient's answer; otherwise the
// sender gets an MDN (reject) or a DSN (ereject) from <>, and mail from
// <> gets none.
func TestSieveReject(t *testing.T) {
	a, q := sieveAgent(t, `require ["reject", "ereject"];
if header :is "subject" "ext" { ereject text:
No thanks,
really.
.
; stop; }
reject "I do not want this.";
`)
	conn := dial(t, serve(t, a))
	transcript(t, conn, bufio.NewReader(conn), ehlo+
		mailTo("x@elsewhere.test", []string{"alice@example.org"}, "Subject: one", "550 5.7.1 I do not want this.")+
		mailTo("x@elsewhere.test", []string{"alice@example.org"}, "Subject: ext", "550 5.7.1 No thanks, really.")+
		mailTo("x@elsewhere.test", []string{"alice@example.org", "bob@example.org"}, "Subject: two\nMessage-ID: <two@elsewhere.test>", "250 2.0.0 Message accepted")+
		mailTo("y@elsewhere.test", []string{"alice@example.org", "bob@example.org"}, "Subject: ext", "250 2.0.0 Message accepted")+
		mailTo("", []string{"alice@example.org", "bob@example.org"}, "Subject: bounce", "250 2.0.0 Message accepted"))
	if got := inbox(t, a.Store, "alice"); len(got) != 0 {
		t.Errorf("alice stored %d rejected messages", len(got))
	}
	if got := strings.Join(subjects(t, a, "bob"), ","); got != "two,ext,bounce" {
		t.Errorf("bob's INBOX: %q", got)
	}
	envs, msgs := q.get()
	if len(envs) != 2 {
		t.Fatalf("queued %d reports, want 2", len(envs))
	}
	for i, want := range []struct{ to, kind, part string }{
		{"x@elsewhere.test", "report-type=disposition-notification", "Disposition: automatic-action/MDN-sent-automatically; deleted"},
		{"y@elsewhere.test", "report-type=delivery-status", "Status: 5.7.1"},
	} {
		if envs[i].From != "" || envs[i].Recipients[0].Address != want.to {
			t.Errorf("report %d: envelope %+v", i, envs[i])
		}
		for _, s := range []string{want.kind, want.part, "Auto-Submitted: auto-replied", "Final-Recipient: rfc822; alice@example.org", "Content-Type: text/rfc822-headers"} {
			if !strings.Contains(msgs[i], s) {
				t.Errorf("report %d lacks %q:\n%s", i, s, msgs[i])
			}
		}
	}
	if !strings.Contains(msgs[0], "Original-Message-ID: <two@elsewhere.test>") {
		t.Errorf("MDN lacks the Original-Message-ID:\n%s", msgs[0])
	}
}

// TestSieveRejectLMTP: over LMTP each recipient gets its own answer, so
// a reject refuses alice's copy and bob's is delivered.
func TestSieveRejectLMTP(t *testing.T) {
	a, q := sieveAgent(t, `require "reject"; reject "Go away";`)
	conn := dial(t, serve(t, a, func(s *smtp.Server) { s.LMTP = true }))
	lhlo := strings.Replace(ehlo, "C: EHLO", "C: LHLO", 1)
	transcript(t, conn, bufio.NewReader(conn), lhlo+
		mailTo("x@elsewhere.test", []string{"alice@example.org", "bob@example.org"}, "Subject: lmtp", "550 5.7.1 Go away\n\t\tS: 250 2.0.0 *"))
	if len(inbox(t, a.Store, "alice")) != 0 || len(inbox(t, a.Store, "bob")) != 1 {
		t.Error("alice's copy stored or bob's lost")
	}
	if envs, _ := q.get(); len(envs) != 0 {
		t.Errorf("a report was queued for a reject the client was told of: %+v", envs)
	}
}

// TestSieveDiscardDuplicateNotify: discard stores nothing; duplicate
// discards the second copy of a Message-ID; notify queues a mailto
// notification.
func TestSieveDiscardDuplicateNotify(t *testing.T) {
	a, q := sieveAgent(t, `require ["duplicate", "enotify"];
if header :is "subject" "spam" { discard; stop; }
if duplicate { discard; stop; }
notify :message "New mail" "mailto:alice-pager@partner.test";
`)
	conn := dial(t, serve(t, a))
	transcript(t, conn, bufio.NewReader(conn), ehlo+
		mailTo("x@elsewhere.test", []string{"alice@example.org"}, "Subject: spam", "250 2.0.0 Message accepted")+
		mailTo("x@elsewhere.test", []string{"alice@example.org"}, "Subject: first\nMessage-ID: <dup@x>", "250 2.0.0 Message accepted")+
		mailTo("x@elsewhere.test", []string{"alice@example.org"}, "Subject: again\nMessage-ID: <dup@x>", "250 2.0.0 Message accepted"))
	if got := strings.Join(subjects(t, a, "alice"), ","); got != "first" {
		t.Errorf("INBOX: %q", got)
	}
	envs, msgs := q.get()
	if len(envs) != 1 || envs[0].Recipients[0].Address != "alice-pager@partner.test" ||
		!strings.Contains(msgs[0], "Subject: New mail") || !strings.Contains(msgs[0], "Auto-Submitted: auto-notified") {
		t.Errorf("notifications: %+v %q", envs, msgs)
	}
}

// TestSieveFailure: a script that fails keeps the message in INBOX, and
// its owner finds one notice per version of the script there.
func TestSieveFailure(t *testing.T) {
	// Over the step limit with any message.
	a, _ := sieveAgent(t, `require "variables";
set "x" "a";
if string :matches "${x}" "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b" { stop; }
`)
	a.Sieve.Options.Limits.MaxSteps = 1
	conn := dial(t, serve(t, a))
	br := bufio.NewReader(conn)
	transcript(t, conn, br, ehlo+
		mailTo("x@elsewhere.test", []string{"alice@example.org"}, "Subject: m1", "250 2.0.0 Message accepted")+
		mailTo("x@elsewhere.test", []string{"alice@example.org"}, "Subject: m2", "250 2.0.0 Message accepted"))
	// A new version that does not compile: one more notice.
	setScript(t, a.Store, "alice", "fileinto \"x\";")
	transcript(t, conn, br,
		mailTo("x@elsewhere.test", []string{"alice@example.org"}, "Subject: m3", "250 2.0.0 Message accepted"))
	got := subjects(t, a, "alice")
	want := []string{"m1", `Your mail filter "main" failed`, "m2", "m3", `Your mail filter "main" failed`}
	if !slices.Equal(got, want) {
		t.Fatalf("INBOX: %q, want %q", got, want)
	}
	msgs := inbox(t, a.Store, "alice")
	if !strings.Contains(msgs[4], "line 1, column 1") || !strings.Contains(msgs[4], "Auto-Submitted: auto-generated") {
		t.Errorf("notice: %s", msgs[4])
	}
}

// TestSieveSiteScripts: a Before script runs first and, when it does not
// keep, ends the sequence; After scripts run when the user's script
// kept; only the last one run stores into INBOX.
func TestSieveSiteScripts(t *testing.T) {
	before, after := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(before, "10-spam.sieve"), []byte(`require "fileinto";
if header :contains "x-spam" "yes" { fileinto "Junk"; stop; }`), 0o600)
	os.WriteFile(filepath.Join(before, "README"), []byte("not a script"), 0o600)
	os.WriteFile(filepath.Join(after, "50-flag.sieve"), []byte(`require "imap4flags"; addflag "\\Seen";`), 0o600)
	a, _ := sieveAgent(t, `require ["fileinto", "mailbox"]; if header :is "subject" "work" { fileinto :create "Work"; }`)
	a.Sieve.Before, a.Sieve.After = before, after
	conn := dial(t, serve(t, a))
	transcript(t, conn, bufio.NewReader(conn), ehlo+
		mailTo("x@elsewhere.test", []string{"alice@example.org", "bob@example.org"}, "Subject: spam\nX-Spam: yes", "250 2.0.0 Message accepted")+
		mailTo("x@elsewhere.test", []string{"alice@example.org"}, "Subject: work", "250 2.0.0 Message accepted")+
		mailTo("x@elsewhere.test", []string{"alice@example.org"}, "Subject: hello", "250 2.0.0 Message accepted"))
	for _, user := range []string{"alice", "bob"} { // bob has no script of his own
		if junk := folderMessages(t, a.Store, user, "Junk"); len(junk) != 1 {
			t.Errorf("%s's Junk holds %d messages, want 1", user, len(junk))
		}
	}
	if work := folderMessages(t, a.Store, "alice", "Work"); len(work) != 1 || len(work[0].flags) != 0 {
		t.Errorf("Work: %+v (the After script must not run once the message is filed)", work)
	}
	in := folderMessages(t, a.Store, "alice", mailbox.Inbox)
	if len(in) != 1 || !strings.Contains(in[0].raw, "Subject: hello") || !slices.Contains(in[0].flags, `\Seen`) {
		t.Errorf("INBOX: %+v, want hello marked \\Seen by the After script", in)
	}
}

// TestSieveInclude: include reads the user's other scripts.
func TestSieveInclude(t *testing.T) {
	a, _ := sieveAgent(t, `require ["include"]; include :personal "lib";`)
	if err := a.Store.PutSieveScript(context.Background(), "alice", "lib", []byte(`require ["fileinto", "mailbox"]; fileinto :create "Sorted";`)); err != nil {
		t.Fatal(err)
	}
	conn := dial(t, serve(t, a))
	transcript(t, conn, bufio.NewReader(conn), ehlo+
		mailTo("x@elsewhere.test", []string{"alice@example.org"}, "Subject: inc", "250 2.0.0 Message accepted"))
	if got := folderMessages(t, a.Store, "alice", "Sorted"); len(got) != 1 {
		t.Errorf("Sorted holds %d messages", len(got))
	}
}

// TestSieveCompileCache: a version of a script is compiled once, whoever
// runs it; the cache keeps at most MaxCached versions.
func TestSieveCompileCache(t *testing.T) {
	a := testAgent(t)
	f := &SieveFilter{MaxCached: 2}
	f.init(a)
	one := f.compile([]byte("keep;"))
	if f.compile([]byte("keep;")) != one {
		t.Error("the same source compiled twice")
	}
	f.compile([]byte("discard;"))
	f.compile([]byte("stop;"))
	if f.lru.Len() != 2 || f.compile([]byte("keep;")) == one {
		t.Errorf("%d versions cached, the oldest kept", f.lru.Len())
	}
	if bad := f.compile([]byte("frob;")); bad.err == nil || bad.script != nil {
		t.Errorf("a script that does not compile: %+v", bad)
	}
}
