package authtest

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"testing"
)

//go:embed dkimpy.py
var dkimpyScript string

// Dkimpy drives dkimpy, the DKIM and ARC implementation in Debian's
// python3-dkim, through its Python API, with DNS answers from a Zone.
// Each method takes a batch: one Python process per call.
type Dkimpy struct {
	t      testing.TB
	python string
}

// NewDkimpy finds dkimpy or skips the test.
func NewDkimpy(t testing.TB) *Dkimpy {
	t.Helper()
	return &Dkimpy{t: t, python: Python(t, "python3-dkim", "dkim", "nacl", "authres")}
}

// SignRequest is one message for another implementation to sign.
type SignRequest struct {
	Message, Selector, Domain string
	Key                       crypto.Signer
	// KeyPEM is the key as a PEM file (OpenDKIM reads those).
	KeyPEM []byte
	// Canon is "header/body".
	Canon string
}

// Verify verifies every DKIM-Signature of each message, top first.
func (d *Dkimpy) Verify(z *Zone, msgs ...string) [][]bool {
	d.t.Helper()
	var ok [][]bool
	call(d.t, d.python, dkimpyScript, "verify", z, messageItems(msgs), &ok)
	return ok
}

// Sign returns the DKIM-Signature field dkimpy makes for each request.
func (d *Dkimpy) Sign(reqs ...SignRequest) []string {
	d.t.Helper()
	items := make([]map[string]any, len(reqs))
	for i, r := range reqs {
		items[i] = map[string]any{"message": []byte(r.Message), "selector": r.Selector, "domain": r.Domain,
			"key": dkimpyKey(d.t, r.Key), "algorithm": algorithmOf(r.Key), "canon": r.Canon}
	}
	var fields []string
	call(d.t, d.python, dkimpyScript, "sign", nil, items, &fields)
	return fields
}

// ARCVerdict is dkimpy's chain validation status ("none", "pass", "fail",
// or "" for a chain it considers ended) and its reason.
type ARCVerdict struct{ CV, Reason string }

// ARCVerify validates the ARC chain of each message.
func (d *Dkimpy) ARCVerify(z *Zone, msgs ...string) []ARCVerdict {
	d.t.Helper()
	var v []ARCVerdict
	call(d.t, d.python, dkimpyScript, "arc_verify", z, messageItems(msgs), &v)
	return v
}

// ARCSign returns the ARC set dkimpy adds to r.Message, sealing for
// authServID (whose Authentication-Results field must be in the message)
// at time timestamp.
func (d *Dkimpy) ARCSign(r SignRequest, authServID string, timestamp int64) string {
	d.t.Helper()
	var fields []string
	call(d.t, d.python, dkimpyScript, "arc_sign", nil, []map[string]any{{"message": []byte(r.Message),
		"selector": r.Selector, "domain": r.Domain, "key": dkimpyKey(d.t, r.Key),
		"authservid": authServID, "timestamp": timestamp}}, &fields)
	return fields[0]
}

// call runs one of the driver scripts on a batch of items.
func call(t testing.TB, python, script, op string, z *Zone, items []map[string]any, answer any) {
	t.Helper()
	req := map[string]any{"op": op, "items": items}
	if z != nil {
		req["records"] = z.Records()
	}
	in, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	out := Run(t, in, python, "-c", script)
	if err := json.Unmarshal(out, answer); err != nil {
		t.Fatalf("%s answered %q: %v", op, out, err)
	}
}

func messageItems(msgs []string) []map[string]any {
	items := make([]map[string]any, len(msgs))
	for i, m := range msgs {
		items[i] = map[string]any{"message": []byte(m)}
	}
	return items
}

// dkimpyKey is a private key as dkimpy takes it: PKCS #1 PEM for RSA,
// the base64 seed for Ed25519.
func dkimpyKey(t testing.TB, key crypto.Signer) string {
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}))
	case ed25519.PrivateKey:
		return base64.StdEncoding.EncodeToString(k.Seed())
	}
	t.Fatalf("key type %T", key)
	return ""
}

func algorithmOf(key crypto.Signer) string {
	if _, ok := key.(ed25519.PrivateKey); ok {
		return "ed25519-sha256"
	}
	return "rsa-sha256"
}
