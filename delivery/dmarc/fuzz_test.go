package dmarc

import (
	"context"
	"strings"
	"testing"
)

func FuzzParse(f *testing.F) {
	for _, z := range zone {
		if _, txt, ok := strings.Cut(z, `TXT "`); ok {
			f.Add(strings.TrimSuffix(txt, `"`))
		}
	}
	f.Add("v=DMARC1; p=quarantine; rua=mailto:a@b.example!10m, https://x.example/r ; fo=0:d:s; t=y; psd=u; np=reject")
	f.Fuzz(func(t *testing.T, txt string) {
		r, err := Parse(txt)
		if err != nil {
			return
		}
		for _, p := range []Policy{r.Policy, r.SubdomainPolicy, r.NonexistentPolicy} {
			if p != "" && p != PolicyNone && p != PolicyQuarantine && p != PolicyReject {
				t.Fatalf("%q: policy %q", txt, p)
			}
		}
		if r.PSD != 'y' && r.PSD != 'n' && r.PSD != 'u' {
			t.Fatalf("%q: psd %q", txt, r.PSD)
		}
	})
}

// FuzzEvaluate evaluates any record, published at every _dmarc name.
func FuzzEvaluate(f *testing.F) {
	f.Add("v=DMARC1; p=reject; psd=y", "a.b.example", "b.example")
	f.Add("v=DMARC1; p=none; sp=reject; np=quarantine", "x.y.z.example", "z.example")
	f.Fuzz(func(t *testing.T, txt, from, dkimDomain string) {
		e := &Evaluator{Resolver: everywhere(txt)}
		v := e.Evaluate(context.Background(), Input{From: from, DKIM: []DKIMResult{{Domain: dkimDomain, Result: "pass"}}})
		if v.Result == Fail && v.Disposition == "" {
			t.Fatalf("fail without disposition: %+v", v)
		}
	})
}

// everywhere answers every TXT query with the same record.
type everywhere string

func (e everywhere) LookupTXT(context.Context, string) ([]string, error) {
	return []string{string(e)}, nil
}
