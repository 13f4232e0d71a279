package main

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mailwright/mailwright/smtp"
	"github.com/mailwright/mailwright/smtp/smtptest"
)

// Bounds of a fault, which comes from an HTTP request.
const (
	maxFaultDelay      = 5 * time.Minute // under the SMTP client timeouts of RFC 5321 4.5.3.2
	maxFaultMessage    = 200
	maxFaultRecipients = 100
	maxAddressLength   = 254 // RFC 5321 4.5.3.1.3: a path of 256 octets with its brackets
)

// FaultSpec is a fault as the HTTP API reads and writes it (POST
// /api/faults, GET /api/faults), and as the page's form sends it:
//
//	{"stage": "rcpt", "recipients": ["gone@example.org"], "code": 550,
//	 "enhanced_code": "5.1.1", "message": "No such user"}
//	{"stage": "data", "next": true, "code": 451}
//	{"stage": "mail", "delay": "3s"}
type FaultSpec struct {
	// Stage is "connect", "mail", "rcpt" or "data".
	Stage string `json:"stage"`
	// Recipients limits a rcpt fault to these addresses; none: every one.
	Recipients []string `json:"recipients,omitempty"`
	// Nth limits a data fault to the Nth message the catcher receives
	// (from 1, since it started); 0: every message.
	Nth int `json:"nth,omitempty"`
	// Next, in a request, aims a data fault at the next message only.
	Next bool `json:"next,omitempty"`
	// Code is the reply code, 400 to 599; 0 with a delay only delays,
	// and without one fails with 451 (554 at connect).
	Code int `json:"code,omitempty"`
	// EnhancedCode is the RFC 3463 code, "5.1.1"; "" derives one.
	EnhancedCode string `json:"enhanced_code,omitempty"`
	// Message is the reply text, printable ASCII.
	Message string `json:"message,omitempty"`
	// Delay is waited before the reply, a Go duration up to 5m.
	Delay string `json:"delay,omitempty"`
}

// fault checks the spec and returns the fault it describes; messages is
// the count of messages so far, for Next.
func (s *FaultSpec) fault(messages int) (smtptest.Fault, error) {
	var f smtptest.Fault
	stage, ok := parseStage(s.Stage)
	if !ok {
		return f, errors.New(`fault: stage must be "connect", "mail", "rcpt" or "data"`)
	}
	f.Stage = stage
	if len(s.Recipients) > 0 && stage != smtptest.AtRcpt {
		return f, errors.New("fault: recipients apply to the rcpt stage only")
	}
	if len(s.Recipients) > maxFaultRecipients {
		return f, fmt.Errorf("fault: more than %d recipients", maxFaultRecipients)
	}
	for _, r := range s.Recipients {
		if r == "" || len(r) > maxAddressLength || strings.ContainsFunc(r, func(c rune) bool { return c <= ' ' || c == 0x7f }) {
			return f, fmt.Errorf("fault: bad recipient %q", r)
		}
	}
	f.Recipients = s.Recipients
	if (s.Nth != 0 || s.Next) && stage != smtptest.AtData {
		return f, errors.New("fault: nth and next apply to the data stage only")
	}
	if s.Nth < 0 || s.Nth > 1<<30 || s.Nth != 0 && s.Next {
		return f, errors.New("fault: nth is a message number from 1 (and not with next)")
	}
	f.Nth = s.Nth
	if s.Next {
		f.Nth = messages + 1
	}
	if s.Delay != "" {
		d, err := time.ParseDuration(s.Delay)
		if err != nil || d < 0 || d > maxFaultDelay {
			return f, fmt.Errorf("fault: delay must be a Go duration (3s) up to %v", maxFaultDelay)
		}
		f.Delay = d
	}
	reply, err := s.reply()
	f.Reply = reply
	return f, err
}

// reply returns the SMTP error of the spec, nil when it has no code.
func (s *FaultSpec) reply() (*smtp.Error, error) {
	if s.Code == 0 {
		if s.EnhancedCode != "" || s.Message != "" {
			return nil, errors.New("fault: an enhanced code or a message needs a code")
		}
		return nil, nil
	}
	if s.Code < 400 || s.Code > 599 {
		return nil, errors.New("fault: code must be 4xx or 5xx")
	}
	e := &smtp.Error{Code: s.Code, Message: s.Message}
	if e.Message == "" {
		e.Message = "Injected fault"
	}
	if len(e.Message) > maxFaultMessage || strings.ContainsFunc(e.Message, func(c rune) bool { return c < ' ' || c > '~' }) {
		return nil, fmt.Errorf("fault: message must be printable ASCII, at most %d characters", maxFaultMessage)
	}
	if s.EnhancedCode != "" {
		ec, ok := parseEnhancedCode(s.EnhancedCode)
		// RFC 3463 3.1: the class is the reply code's first digit.
		if !ok || ec[0] != s.Code/100 {
			return nil, fmt.Errorf("fault: enhanced code must be %d.x.y (RFC 3463)", s.Code/100)
		}
		e.EnhancedCode = ec
	}
	return e, nil
}

// parseEnhancedCode parses "class.subject.detail" (RFC 3463 2: subject
// and detail up to three digits).
func parseEnhancedCode(s string) (smtp.EnhancedCode, bool) {
	var ec smtp.EnhancedCode
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return ec, false
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || len(p) > 3 || p[0] == '+' || i == 0 && len(p) != 1 {
			return ec, false
		}
		ec[i] = n
	}
	return ec, true
}

func parseStage(s string) (smtptest.Stage, bool) {
	for st := smtptest.AtConnect; st <= smtptest.AtData; st++ {
		if strings.EqualFold(s, st.String()) {
			return st, true
		}
	}
	return 0, false
}

// faultSpec describes f as the API writes it.
func faultSpec(f smtptest.Fault) FaultSpec {
	s := FaultSpec{Stage: f.Stage.String(), Recipients: f.Recipients, Nth: f.Nth}
	if f.Reply != nil {
		s.Code, s.EnhancedCode, s.Message = f.Reply.Code, f.Reply.EnhancedCode.String(), f.Reply.Message
	}
	if f.Delay > 0 {
		s.Delay = f.Delay.String()
	}
	return s
}

// faultForm reads a fault from the page's form.
func faultForm(r *http.Request) (FaultSpec, error) {
	s := FaultSpec{
		Stage:        r.PostFormValue("stage"),
		Recipients:   strings.FieldsFunc(r.PostFormValue("recipients"), isListSeparator),
		Next:         r.PostFormValue("next") != "",
		EnhancedCode: strings.TrimSpace(r.PostFormValue("enhanced_code")),
		Message:      strings.TrimSpace(r.PostFormValue("message")),
		Delay:        strings.TrimSpace(r.PostFormValue("delay")),
	}
	if code := strings.TrimSpace(r.PostFormValue("code")); code != "" {
		n, err := strconv.Atoi(code)
		if err != nil {
			return s, errors.New("fault: code must be a number")
		}
		s.Code = n
	}
	return s, nil
}

// isListSeparator separates the addresses of a list typed in a form.
func isListSeparator(r rune) bool {
	return r == ',' || r == ';' || r == ' ' || r == '\t' || r == '\r' || r == '\n'
}

func (c *Catcher) apiFaults(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, c.faultSpecs())
}

func (c *Catcher) faultSpecs() []FaultSpec {
	specs := []FaultSpec{}
	for _, f := range c.Faults.List() {
		specs = append(specs, faultSpec(f))
	}
	return specs
}

func (c *Catcher) apiAddFault(w http.ResponseWriter, r *http.Request) {
	var s FaultSpec
	if err := readJSON(w, r, &s); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f, err := s.fault(c.Faults.Messages())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	c.Faults.Inject(f)
	writeJSON(w, http.StatusCreated, c.faultSpecs())
}

func (c *Catcher) apiClearFaults(w http.ResponseWriter, r *http.Request) {
	c.Faults.Clear()
	writeJSON(w, http.StatusOK, c.faultSpecs())
}

func (c *Catcher) apiRemoveFault(w http.ResponseWriter, r *http.Request) {
	i, err := strconv.Atoi(r.PathValue("i"))
	if err != nil || !c.Faults.Remove(i) {
		http.Error(w, "no such fault", http.StatusNotFound)
		return
	}
	writeJSON(w, http.StatusOK, c.faultSpecs())
}
