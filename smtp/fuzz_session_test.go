package smtp

import (
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mailwright/mailwright/internal/fuzzlog"
)

var replyLine = regexp.MustCompile(`^[2-5][0-9][0-9][ -]`)

// FuzzSession feeds arbitrary client input to a real server over loopback:
// the server must never panic, and everything it sends must be well-formed
// reply lines.
func FuzzSession(f *testing.F) {
	for _, s := range []string{
		"EHLO x\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\nhello\r\n.\r\nQUIT\r\n",
		"EHLO x\r\nMAIL FROM:<a@b.c> BODY=BINARYMIME\r\nRCPT TO:<d@e.f>\r\nBDAT 5\r\nabcdeBDAT 0 LAST\r\n",
		"EHLO x\r\nAUTH PLAIN\r\nAGEAYg==\r\nAUTH LOGIN YQ==\r\nYg==\r\n",
		"LHLO x\r\nHELO x\r\nVRFY a\r\nEXPN b\r\nHELP\r\nVERB\r\nSTARTTLS\r\n",
		"EHLO x\r\nMAIL FROM:<> RET=FULL ENVID=x+41\r\nRCPT TO:<a@b> NOTIFY=NEVER ORCPT=rfc822;a@b\r\n",
		"HELO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n\n.\n\r.\r\n.\r\n",
	} {
		f.Add([]byte(s))
	}
	rec := &fuzzlog.Recorder{}
	b := &testBackend{users: map[string]string{"a": "b"}, verify: true}
	srv := &Server{Backend: b, AllowInsecureAuth: true, EnableDSN: true, MaxMessageBytes: 1 << 16,
		CommandTimeout: 2 * time.Second, DataTimeout: 2 * time.Second, Logger: slog.New(rec)}
	addr := startServer(f, srv)
	f.Fuzz(func(t *testing.T, in []byte) {
		defer rec.LogIfFailed(t)
		r := fuzzlog.Converse(t, addr, in)
		for line, ok := fuzzlog.ReadLine(t, r); ok; line, ok = fuzzlog.ReadLine(t, r) {
			if !replyLine.MatchString(line) && !strings.HasPrefix(line, "334 ") {
				t.Fatalf("malformed reply line %q", line)
			}
		}
		rec.FailOnPanics(t)
	})
}
