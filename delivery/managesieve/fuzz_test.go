package managesieve

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailwright/mailwright/internal/fuzzlog"
	"github.com/mailwright/mailwright/mailbox"
)

var parseSeeds = []string{
	"CAPABILITY\r\n",
	"AUTHENTICATE \"PLAIN\" \"AGFsaWNlAHNlY3JldA==\"\r\n",
	"PUTSCRIPT \"a\" {5+}\r\nkeep;\r\n",
	"PUTSCRIPT {1+}\r\na {6}\r\nstop;\n\r\n",
	"RENAMESCRIPT \"a\\\"b\" \"c\\\\d\"\r\n",
	"HAVESPACE \"x\" 4294967295\r\n",
	"HAVESPACE \"x\" 4294967296\r\n",
	"NOOP \"unterminated\r\n",
	"PUTSCRIPT \"a\" {99999+}\r\n",
	"\r\n\n  \r\n",
	"GETSCRIPT \"\xff\"\r\n",
	"X {3+} y\r\n",
}

// FuzzParseCommand: the parser never panics or reads past a limit, what
// it accepts is well-formed, and writing an accepted command back out
// (strings quoted or as literals) parses to the same command.
//
//	go test -run='^$' -fuzz=FuzzParseCommand -fuzztime=60s ./delivery/managesieve
func FuzzParseCommand(f *testing.F) {
	for _, s := range parseSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		p := &parser{r: bufio.NewReaderSize(bytes.NewReader(in), 256), maxLine: 256, maxLiteral: 1000, maxSkip: 2000}
		for range 20 {
			cmd, err := p.readCommand()
			if err != nil {
				if err == io.EOF || err == io.ErrUnexpectedEOF || err == errLiteralHuge {
					return
				}
				continue
			}
			if cmd.name == "" || cmd.name != strings.ToUpper(cmd.name) || len(cmd.args) > maxArgs {
				t.Fatalf("bad command %+v", cmd)
			}
			total := 0
			for _, a := range cmd.args {
				total += len(a.s)
			}
			if total > 1000+maxArgs*maxQuoted {
				t.Fatalf("command of %d bytes past the limits", total)
			}
			out := []byte(cmd.name)
			for _, a := range cmd.args {
				out = append(out, ' ')
				switch a.kind {
				case argString:
					out = appendString(out, a.s)
				default:
					out = append(out, a.s...)
				}
			}
			out = append(out, "\r\n"...)
			q := &parser{r: bufio.NewReaderSize(bytes.NewReader(out), 256), maxLine: 1 << 20, maxLiteral: 1 << 20, maxSkip: 1 << 20}
			again, err := q.readCommand()
			if err != nil || !reflect.DeepEqual(cmd, again) {
				t.Fatalf("%q parsed to %+v, written as %q, parsed again to %+v, %v", in, cmd, out, again, err)
			}
		}
	})
}

// FuzzSession sends arbitrary bytes after a login to a real server on
// loopback, and checks that it never panics, ends the session, and
// writes only CRLF-terminated lines, with literals of the length they
// announce.
//
//	go test -run='^$' -fuzz=FuzzSession -fuzztime=60s ./delivery/managesieve
func FuzzSession(f *testing.F) {
	for _, s := range parseSeeds {
		f.Add([]byte(s))
	}
	for _, s := range []string{
		"PUTSCRIPT \"a\" \"keep;\"\r\nSETACTIVE \"a\"\r\nLISTSCRIPTS\r\nGETSCRIPT \"a\"\r\nDELETESCRIPT \"a\"\r\nLOGOUT\r\n",
		"CHECKSCRIPT {11+}\r\nif true {\r\n\r\nRENAMESCRIPT \"a\" \"b\"\r\nUNAUTHENTICATE\r\nLISTSCRIPTS\r\n",
		"AUTHENTICATE \"PLAIN\"\r\n{4+}\r\nabcd\r\nSTARTTLS\r\n",
	} {
		f.Add([]byte(s))
	}
	rec := &fuzzlog.Recorder{}
	store := mailbox.NewMemoryStore()
	f.Cleanup(func() { store.Close() })
	accts := mailbox.NewMemoryAccounts("example.org")
	srv := &Server{Backend: NewBackend(store, accts), AllowInsecureAuth: true, Logger: slog.New(rec),
		IdleTimeout: 2 * time.Second, MaxConnectionsPerIP: -1, MaxScriptSize: 4096, MaxAuthFailures: -1}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		f.Fatal(err)
	}
	go srv.Serve(l)
	f.Cleanup(func() { srv.Close() })
	var users atomic.Int64
	f.Fuzz(func(t *testing.T, in []byte) {
		defer rec.LogIfFailed(t)
		user := fmt.Sprintf("user%d", users.Add(1))
		accts.Add(user, "secret")
		login := "AUTHENTICATE \"PLAIN\" {" + strconv.Itoa(len(plain(user))) + "+}\r\n" + plain(user) + "\r\n"
		checkLines(t, fuzzlog.Converse(t, l.Addr().String(), append([]byte(login), in...)))
		rec.FailOnPanics(t)
	})
}

func plain(user string) string {
	b := []byte("\x00" + user + "\x00secret")
	return base64Std(b)
}

var literalLine = regexp.MustCompile(`\{([0-9]+)\}$`)

// checkLines reads the server's output to the end and checks it.
func checkLines(t *testing.T, r *bufio.Reader) {
	for line, ok := fuzzlog.ReadLine(t, r); ok; line, ok = fuzzlog.ReadLine(t, r) {
		body := strings.TrimSuffix(line, "\r\n")
		if strings.ContainsAny(body, "\r\n") {
			t.Fatalf("line with a bare CR or LF: %q", line)
		}
		if m := literalLine.FindStringSubmatch(body); m != nil {
			n, _ := strconv.Atoi(m[1])
			if _, err := io.CopyN(io.Discard, r, int64(n)); err != nil {
				t.Fatalf("literal of %d octets cut short: %v", n, err)
			}
		}
	}
}

func base64Std(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
