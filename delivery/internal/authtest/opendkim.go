package authtest

import (
	_ "embed"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

//go:embed opendkim.py
var opendkimScript string

// OpenDKIM drives libopendkim, the library of Debian's opendkim-tools,
// through Python's ctypes, with keys for verifying from a Zone.
type OpenDKIM struct {
	t      testing.TB
	python string
}

// NewOpenDKIM finds libopendkim or skips the test.
func NewOpenDKIM(t testing.TB) *OpenDKIM {
	t.Helper()
	Tool(t, "opendkim-testmsg", "opendkim-tools")
	python := Python(t, "python3", "ctypes")
	if exec.Command(python, "-c", `import ctypes; ctypes.CDLL("libopendkim.so.11")`).Run() != nil {
		t.Skip("libopendkim.so.11 not loadable: install the Debian package opendkim-tools")
	}
	return &OpenDKIM{t: t, python: python}
}

// OpenDKIMResult is libopendkim's verdict on one signature.
type OpenDKIMResult struct {
	Pass  bool
	Error string
}

// Verify verifies every DKIM-Signature of each message (CRLF line endings).
func (o *OpenDKIM) Verify(z *Zone, msgs ...string) [][]OpenDKIMResult {
	o.t.Helper()
	var res [][]OpenDKIMResult
	call(o.t, o.python, opendkimScript, "verify", z, messageItems(msgs), &res)
	return res
}

// Sign returns the DKIM-Signature field libopendkim makes for each
// request (from its KeyPEM).
func (o *OpenDKIM) Sign(reqs ...SignRequest) []string {
	o.t.Helper()
	items := make([]map[string]any, len(reqs))
	for i, r := range reqs {
		items[i] = map[string]any{"message": []byte(r.Message), "selector": r.Selector, "domain": r.Domain,
			"key": string(r.KeyPEM), "algorithm": algorithmOf(r.Key), "canon": r.Canon}
	}
	var fields []string
	call(o.t, o.python, opendkimScript, "sign", nil, items, &fields)
	return fields
}

// GenKey runs opendkim-genkey and returns the private key file's PEM and
// the TXT data of the record it wrote for the zone (its strings joined).
func GenKey(t testing.TB, selector, domain string) (privatePEM []byte, txt string) {
	t.Helper()
	genkey := Tool(t, "opendkim-genkey", "opendkim-tools")
	dir := t.TempDir()
	Run(t, nil, genkey, "--directory="+dir, "--domain="+domain, "--selector="+selector)
	privatePEM = readFile(t, filepath.Join(dir, selector+".private"))
	zone := string(readFile(t, filepath.Join(dir, selector+".txt")))
	// sel._domainkey IN TXT ( "v=DKIM1; h=sha256; k=rsa; " "p=MIIB..." "..." )  ; comment
	var parts []string
	for i, s := range strings.Split(zone, `"`) {
		if i%2 == 1 {
			parts = append(parts, s)
		}
	}
	return privatePEM, strings.Join(parts, "")
}

// TestMsgSign signs msg with opendkim-testmsg, which always signs
// rsa-sha1 with relaxed/simple, and returns the signed message.
func TestMsgSign(t testing.TB, msg, selector, domain string, keyPEM []byte) string {
	t.Helper()
	testmsg := Tool(t, "opendkim-testmsg", "opendkim-tools")
	keyFile := filepath.Join(t.TempDir(), "key.pem")
	writeFile(t, keyFile, keyPEM)
	// -C keeps CRLF line endings (and avoids the tool mangling the end of
	// b= when it strips CRs).
	return string(Run(t, []byte(msg), testmsg, "-C", "-d", domain, "-s", selector, "-k", keyFile))
}
