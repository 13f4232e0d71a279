package imap_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"

	goimap "github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// TestInteropGoIMAPSearchResListExtended drives LIST-EXTENDED,
// LIST-STATUS and "$" (SEARCHRES) with an independent client, go-imap v2.
// That client (v2.0.0-beta.8) drops the SAVE return option, so here "$"
// is used before any SAVE, where it is the empty set (RFC 5182 2.1); SAVE itself is driven by python imaplib in
// TestInteropPythonSearchRes.
func TestInteropGoIMAPSearchResListExtended(t *testing.T) {
	ts := startServer(t, nil)
	ts.deliver(t, "alice", "INBOX", msg1, `\Flagged`)
	ts.deliver(t, "alice", "INBOX", msg2)
	ts.deliver(t, "alice", "INBOX", msg1, `\Flagged`)
	c, err := imapclient.DialInsecure(ts.addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login("alice", "secret").Wait(); err != nil {
		t.Fatal(err)
	}
	caps := c.Caps()
	for _, want := range []goimap.Cap{goimap.CapSearchRes, goimap.CapESearch, goimap.CapListExtended, goimap.CapListStatus} {
		if !caps.Has(want) {
			t.Errorf("capability %s not advertised", want)
		}
	}
	if err := c.Create("Lists/Go", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Subscribe("Lists/Go").Wait(); err != nil {
		t.Fatal(err)
	}
	list, err := c.List("", "%", &goimap.ListOptions{SelectSubscribed: true, SelectRecursiveMatch: true}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]*goimap.ListData{}
	for _, l := range list {
		got[l.Mailbox] = l
	}
	if l := got["Lists"]; l == nil || l.ChildInfo == nil || !l.ChildInfo.Subscribed {
		t.Errorf("LIST (SUBSCRIBED RECURSIVEMATCH): Lists = %+v, want CHILDINFO (SUBSCRIBED)", l)
	}
	if got["INBOX"] == nil || got["Sent"] == nil || got["Lists/Go"] != nil {
		t.Errorf("LIST (SUBSCRIBED RECURSIVEMATCH) \"\" %%: got %v", list)
	}
	list, err = c.List("", "INBOX", &goimap.ListOptions{ReturnStatus: &goimap.StatusOptions{NumMessages: true, NumUnseen: true}}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Status == nil || list[0].Status.NumMessages == nil || *list[0].Status.NumMessages != 3 {
		t.Fatalf("LIST RETURN (STATUS): %+v", list)
	}

	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	msgs, err := c.Fetch(goimap.SearchRes(), &goimap.FetchOptions{UID: true, Envelope: true}).Collect()
	if err != nil {
		t.Fatalf("UID FETCH $ before any SAVE: %v", err)
	}
	if len(msgs) != 0 {
		t.Errorf("UID FETCH $ before any SAVE: %+v, want nothing", msgs)
	}
	if err := c.Store(goimap.SearchRes(), &goimap.StoreFlags{Op: goimap.StoreFlagsAdd, Flags: []goimap.Flag{goimap.FlagSeen}, Silent: true}, nil).Close(); err != nil {
		t.Fatalf("UID STORE $ before any SAVE: %v", err)
	}
	sd, err := c.UIDSearch(&goimap.SearchCriteria{Flag: []goimap.Flag{goimap.FlagFlagged}},
		&goimap.SearchOptions{ReturnMin: true, ReturnMax: true, ReturnCount: true}).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if sd.Count != 2 || sd.Min != 1 || sd.Max != 3 {
		t.Errorf("UID SEARCH RETURN (MIN MAX COUNT) FLAGGED: %+v", sd)
	}
}

// TestInteropPythonSearchRes saves a SEARCH result and uses "$" from
// python imaplib (RFC 5182).
func TestInteropPythonSearchRes(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed: skipping the imaplib SEARCHRES test")
	}
	ts := startServer(t, nil)
	ts.deliver(t, "alice", "INBOX", msg1, `\Flagged`)
	ts.deliver(t, "alice", "INBOX", msg2)
	ts.deliver(t, "alice", "INBOX", msg1, `\Flagged`)
	host, port, _ := strings.Cut(ts.addr, ":")
	script := `
import imaplib, sys
m = imaplib.IMAP4(sys.argv[1], int(sys.argv[2]))
m.login("alice", "secret")
assert "SEARCHRES" in m.capabilities, m.capabilities
m.select("INBOX")
typ, data = m.uid("SEARCH", "RETURN", "(SAVE)", "FLAGGED")
assert typ == "OK" and data == [None], (typ, data)
typ, data = m.uid("FETCH", "$", "(UID)")
assert typ == "OK" and b"UID 1" in data[0] and b"UID 3" in data[1] and len(data) == 2, data
typ, data = m.store("$", "+FLAGS", "(\\Seen)")
assert typ == "OK", data
typ, data = m.search(None, "SEEN")
assert data == [b"1 3"], data
typ, data = m.copy("$", "Trash")
assert typ == "OK" and b"COPYUID" in data[0], data
m.logout()
print("ok")
`
	out, err := exec.Command(py, "-c", script, host, port).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "ok" {
		t.Fatalf("python imaplib: %v\n%s", err, out)
	}
}

// TestInteropGoIMAPCondStore drives CONDSTORE (RFC 7162) with go-imap
// v2's client from two sessions: SELECT (CONDSTORE) gives HIGHESTMODSEQ,
// a flag change in one session raises the MODSEQ the other sees through
// FETCH (CHANGEDSINCE), STATUS (HIGHESTMODSEQ) agrees, and a STORE
// (UNCHANGEDSINCE) with a stale mod-sequence leaves the message alone.
func TestInteropGoIMAPCondStore(t *testing.T) {
	ts := startServer(t, nil)
	ts.deliver(t, "alice", "INBOX", msg1)
	ts.deliver(t, "alice", "INBOX", msg2)
	dial := func() *imapclient.Client {
		c, err := imapclient.DialInsecure(ts.addr, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		if err := c.Login("alice", "secret").Wait(); err != nil {
			t.Fatal(err)
		}
		return c
	}
	a, b := dial(), dial()
	if !a.Caps().Has(goimap.CapCondStore) {
		t.Fatal("CONDSTORE not advertised")
	}
	sel, err := a.Select("INBOX", &goimap.SelectOptions{CondStore: true}).Wait()
	if err != nil {
		t.Fatal(err)
	}
	h0 := sel.HighestModSeq
	if h0 == 0 {
		t.Fatal("SELECT (CONDSTORE) gave no HIGHESTMODSEQ")
	}
	if _, err := b.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	changed, err := b.Store(goimap.SeqSetNum(1), &goimap.StoreFlags{Op: goimap.StoreFlagsAdd, Flags: []goimap.Flag{goimap.FlagSeen}}, nil).Collect()
	if err != nil || len(changed) != 1 {
		t.Fatalf("STORE in the second session: %v, %v", changed, err)
	}
	msgs, err := a.Fetch(goimap.SeqSetNum(1, 2), &goimap.FetchOptions{UID: true, Flags: true, ModSeq: true, ChangedSince: h0}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || msgs[0].SeqNum != 1 || msgs[0].ModSeq <= h0 || !slices.Contains(msgs[0].Flags, goimap.FlagSeen) {
		t.Fatalf("FETCH (CHANGEDSINCE %d) = %+v, want message 1 with \\Seen and a higher MODSEQ", h0, msgs)
	}
	st, err := b.Status("INBOX", &goimap.StatusOptions{HighestModSeq: true}).Wait()
	if err != nil || st.HighestModSeq != msgs[0].ModSeq {
		t.Fatalf("STATUS (HIGHESTMODSEQ) = %+v, %v; want %d", st, err, msgs[0].ModSeq)
	}
	// h0 is stale for message 1: the STORE must not apply there.
	if _, err := a.Store(goimap.SeqSetNum(1, 2), &goimap.StoreFlags{Op: goimap.StoreFlagsAdd, Flags: []goimap.Flag{goimap.FlagFlagged}},
		&goimap.StoreOptions{UnchangedSince: h0}).Collect(); err != nil {
		t.Fatal(err)
	}
	msgs, err = a.Fetch(goimap.SeqSetNum(1, 2), &goimap.FetchOptions{Flags: true, ModSeq: true}).Collect()
	if err != nil || len(msgs) != 2 {
		t.Fatalf("FETCH: %v, %v", msgs, err)
	}
	if slices.Contains(msgs[0].Flags, goimap.FlagFlagged) || !slices.Contains(msgs[1].Flags, goimap.FlagFlagged) {
		t.Fatalf("after STORE (UNCHANGEDSINCE %d): message 1 %v, message 2 %v; want only message 2 flagged", h0, msgs[0].Flags, msgs[1].Flags)
	}
}
