package smtptest

import (
	"context"
	"strings"
	"time"

	"github.com/mailwright/mailwright/smtp"
)

// Stage is the point of a transaction where a Fault applies.
type Stage int

// Stages of a transaction.
const (
	AtConnect Stage = iota // before the greeting: the connection is refused
	AtMail                 // MAIL FROM
	AtRcpt                 // RCPT TO
	AtData                 // after the message data
)

// Fault makes the server fail (or slow down) deterministically.
type Fault struct {
	Stage Stage
	// Recipients limits an AtRcpt fault to these addresses
	// (case-insensitive); empty means every recipient.
	Recipients []string
	// Nth limits an AtData fault to the Nth message (counting from 1, over
	// the server's lifetime, including messages that failed); 0 means every
	// message.
	Nth int
	// Reply is the error the client gets, e.g.
	// &smtp.Error{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "Go away"}.
	// Nil with a Delay only delays; nil without a Delay fails with
	// "451 4.3.0 Injected fault", and at connect with "554 Injected fault"
	// (the refusal of RFC 5321 3.1, after which the server waits for
	// QUIT).
	Reply *smtp.Error
	// Delay is waited before answering.
	Delay time.Duration
}

// The replies of a Fault without Reply or Delay (see Fault.Reply).
var (
	defaultReply        = &smtp.Error{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Injected fault"}
	defaultConnectReply = &smtp.Error{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 3, 2}, Message: "Injected fault"}
)

// Inject adds a fault; it applies to transactions from now on.
func (s *Server) Inject(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f)
}

// ClearFaults removes every injected fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// fault returns the reply and delay for a stage, and counts DATA stages.
func (s *Server) fault(stage Stage, rcpt string) (*smtp.Error, time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if stage == AtData {
		s.dataSeen++
	}
	var delay time.Duration
	for _, f := range s.faults {
		if f.Stage != stage {
			continue
		}
		if stage == AtRcpt && len(f.Recipients) > 0 && !containsFold(f.Recipients, rcpt) {
			continue
		}
		if stage == AtData && f.Nth > 0 && f.Nth != s.dataSeen {
			continue
		}
		delay += f.Delay
		switch {
		case f.Reply != nil:
			return f.Reply, delay
		case f.Delay == 0 && stage == AtConnect:
			return defaultConnectReply, delay
		case f.Delay == 0:
			return defaultReply, delay
		}
	}
	return nil, delay
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

func sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
