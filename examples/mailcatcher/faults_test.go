package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mailwright/mailwright/smtp"
	"github.com/mailwright/mailwright/smtp/smtptest"
)

func TestFaultSpec(t *testing.T) {
	noUser := &smtp.Error{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user"}
	for _, tc := range []struct {
		json string
		want smtptest.Fault
		err  string // a substring of the error; "" for none
	}{
		{`{"stage":"rcpt","recipients":["gone@example.org"],"code":550,"enhanced_code":"5.1.1","message":"No such user"}`,
			smtptest.Fault{Stage: smtptest.AtRcpt, Recipients: []string{"gone@example.org"}, Reply: noUser}, ""},
		{`{"stage":"DATA","next":true,"code":451}`,
			smtptest.Fault{Stage: smtptest.AtData, Nth: 8, Reply: &smtp.Error{Code: 451, Message: "Injected fault"}}, ""},
		{`{"stage":"data","nth":3}`, smtptest.Fault{Stage: smtptest.AtData, Nth: 3}, ""},
		{`{"stage":"mail","delay":"1.5s"}`, smtptest.Fault{Stage: smtptest.AtMail, Delay: 1500 * time.Millisecond}, ""},
		{`{"stage":"connect","code":421,"enhanced_code":"4.3.2"}`,
			smtptest.Fault{Stage: smtptest.AtConnect, Reply: &smtp.Error{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "Injected fault"}}, ""},
		{`{"stage":"helo"}`, smtptest.Fault{}, "stage must be"},
		{`{"stage":"mail","recipients":["a@b"]}`, smtptest.Fault{}, "rcpt stage only"},
		{`{"stage":"rcpt","recipients":["a b@c"]}`, smtptest.Fault{}, "bad recipient"},
		{`{"stage":"rcpt","recipients":[""]}`, smtptest.Fault{}, "bad recipient"},
		{`{"stage":"rcpt","nth":2}`, smtptest.Fault{}, "data stage only"},
		{`{"stage":"data","nth":-1}`, smtptest.Fault{}, "nth is"},
		{`{"stage":"data","nth":2,"next":true}`, smtptest.Fault{}, "nth is"},
		{`{"stage":"mail","delay":"1h"}`, smtptest.Fault{}, "delay must be"},
		{`{"stage":"mail","delay":"-1s"}`, smtptest.Fault{}, "delay must be"},
		{`{"stage":"mail","code":250}`, smtptest.Fault{}, "4xx or 5xx"},
		{`{"stage":"mail","code":550,"enhanced_code":"4.1.1"}`, smtptest.Fault{}, "enhanced code must be 5.x.y"},
		{`{"stage":"mail","code":550,"enhanced_code":"5.1"}`, smtptest.Fault{}, "enhanced code"},
		{`{"stage":"mail","code":550,"enhanced_code":"5.1.1000"}`, smtptest.Fault{}, "enhanced code"},
		{`{"stage":"mail","code":550,"message":"two\r\n250 lines"}`, smtptest.Fault{}, "printable ASCII"},
		{`{"stage":"mail","message":"no code"}`, smtptest.Fault{}, "needs a code"},
	} {
		var s FaultSpec
		if err := json.Unmarshal([]byte(tc.json), &s); err != nil {
			t.Fatal(err)
		}
		f, err := s.fault(7)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: %v, want an error with %q", tc.json, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(f, tc.want) {
			t.Errorf("%s: %+v, %v; want %+v", tc.json, f, err, tc.want)
		}
	}
}

// TestFaultsAPI switches faults over the HTTP API and the page's form, and
// real SMTP transactions fail as they say.
func TestFaultsAPI(t *testing.T) {
	tc := newTestCatcher(t)
	do := func(method, path, body string) (int, string) {
		t.Helper()
		return tc.request(t, method, path, body)
	}
	msg := "Subject: x\r\n\r\nx\r\n"
	if code, body := do("POST", "/api/faults", `{"stage":"rcpt","recipients":["gone@example.org"],"code":550,"enhanced_code":"5.1.1","message":"No such user"}`); code != http.StatusCreated {
		t.Fatalf("POST /api/faults: %d %s", code, body)
	}
	if code, body := do("POST", "/api/faults", `{"stage":"data","next":true}`); code != http.StatusCreated {
		t.Fatalf("POST /api/faults: %d %s", code, body)
	}
	var se *smtp.Error
	if err := tc.send("app@example.org", []string{"gone@example.org"}, msg); !errors.As(err, &se) || se.Error() != "550 5.1.1 No such user" {
		t.Errorf("to gone@: %v", err)
	}
	if err := tc.send("app@example.org", []string{"bob@example.org"}, msg); !errors.As(err, &se) || se.Code != 451 {
		t.Errorf("the next message: %v, want 451", err)
	}
	tc.mustSend(t, "app@example.org", []string{"bob@example.org"}, msg) // the one after: no fault
	code, body := do("GET", "/api/faults", "")
	var specs []FaultSpec
	json.Unmarshal([]byte(body), &specs)
	if code != 200 || len(specs) != 2 || specs[0].Stage != "rcpt" || specs[1].Nth != 1 { // the first message to reach DATA
		t.Errorf("GET /api/faults: %d %s", code, body)
	}
	if code, _ := do("DELETE", "/api/faults/0", ""); code != 200 {
		t.Errorf("DELETE /api/faults/0: %d", code)
	}
	if code, _ := do("DELETE", "/api/faults/5", ""); code != http.StatusNotFound {
		t.Errorf("DELETE /api/faults/5: %d", code)
	}
	tc.mustSend(t, "app@example.org", []string{"gone@example.org"}, msg)
	for _, bad := range []string{`{"stage":"x"}`, `{"stage":"mail","colour":"red"}`, `{"stage":"mail"} {}`, `[`} {
		if code, body := do("POST", "/api/faults", bad); code != http.StatusBadRequest {
			t.Errorf("POST %s: %d %s", bad, code, body)
		}
	}

	// The page's form, the way a browser posts it.
	form := url.Values{"stage": {"mail"}, "code": {"421"}, "back": {"/?q=x"}}
	resp, err := noRedirect.PostForm(tc.web.URL+"/faults", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/?q=x" {
		t.Errorf("POST /faults: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if err := tc.send("app@example.org", []string{"bob@example.org"}, msg); !errors.As(err, &se) || se.Code != 421 {
		t.Errorf("after the form: %v, want 421", err)
	}
	resp, err = noRedirect.PostForm(tc.web.URL+"/faults/clear", url.Values{"back": {"//evil.example/"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Location") != "/" {
		t.Errorf("back to another site: redirected to %q", resp.Header.Get("Location"))
	}
	tc.mustSend(t, "app@example.org", []string{"bob@example.org"}, msg)
	resp, err = noRedirect.PostForm(tc.web.URL+"/faults", url.Values{"stage": {"mail"}, "code": {"abc"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !bytes.Contains(b, []byte("code must be a number")) {
		t.Errorf("a bad form: %d, page without the error", resp.StatusCode)
	}
}

// noRedirect is a client that shows redirects instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// FuzzFaultSpec: any JSON body gives a fault or an error; a fault's reply
// is one an SMTP server may send, and the fault as the API lists it reads
// back as the same fault.
func FuzzFaultSpec(f *testing.F) {
	for _, s := range []string{
		`{"stage":"rcpt","recipients":["gone@example.org"],"code":550,"enhanced_code":"5.1.1","message":"No such user"}`,
		`{"stage":"data","next":true}`, `{"stage":"data","nth":3,"code":452}`, `{"stage":"mail","delay":"1.5s"}`,
		`{"stage":"connect","code":554,"enhanced_code":"5.03.002"}`, `{"stage":"x"}`, `{}`, `[]`, `null`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var s FaultSpec
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if dec.Decode(&s) != nil {
			return
		}
		fault, err := s.fault(41)
		if err != nil {
			return
		}
		if r := fault.Reply; r != nil {
			if r.Code < 400 || r.Code > 599 || r.Message == "" || len(r.Message) > maxFaultMessage ||
				strings.ContainsFunc(r.Message, func(c rune) bool { return c < ' ' || c > '~' }) {
				t.Fatalf("reply %q", r.Error())
			}
			if ec := r.EnhancedCode; ec != (smtp.EnhancedCode{}) && ec[0] != r.Code/100 {
				t.Fatalf("reply %q: enhanced code of another class", r.Error())
			}
		}
		if fault.Delay < 0 || fault.Delay > maxFaultDelay || fault.Nth < 0 {
			t.Fatalf("fault %+v", fault)
		}
		listed := faultSpec(fault)
		again, err := listed.fault(41)
		if err != nil || !reflect.DeepEqual(again, fault) {
			t.Fatalf("%s: fault %+v, listed as %+v, read back as %+v, %v", body, fault, listed, again, err)
		}
	})
}
