package smtptest

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
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

// stageNames are the names String gives, in Stage order.
var stageNames = [...]string{"connect", "mail", "rcpt", "data"}

// String returns the stage's name: "connect", "mail", "rcpt" or "data".
func (s Stage) String() string {
	if s < 0 || int(s) >= len(stageNames) {
		return "Stage(" + strconv.Itoa(int(s)) + ")"
	}
	return stageNames[s]
}

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

// Faults is a set of injected faults that an smtp.Backend consults at each
// stage of a transaction. Server keeps one (Inject, ClearFaults); another
// backend, such as a mail catcher, keeps its own to fail the same way:
//
//	if err := faults.Check(ctx, smtptest.AtRcpt, to); err != nil {
//		return err // the fault's reply
//	}
//
// The zero value is an empty set. Its methods are safe for concurrent use.
type Faults struct {
	mu       sync.Mutex
	list     []Fault
	dataSeen int // AtData checks so far, for Fault.Nth
}

// Inject adds a fault; it applies to transactions from now on.
func (fs *Faults) Inject(f Fault) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.list = append(fs.list, f)
}

// Clear removes every fault. The count of messages that Fault.Nth refers
// to goes on.
func (fs *Faults) Clear() {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.list = nil
}

// Remove removes the fault at index i of List, and reports whether there
// was one.
func (fs *Faults) Remove(i int) bool {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if i < 0 || i >= len(fs.list) {
		return false
	}
	fs.list = slices.Delete(fs.list, i, i+1)
	return true
}

// List returns the faults in the order they were injected.
func (fs *Faults) List() []Fault {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return slices.Clone(fs.list)
}

// Messages returns how many messages reached the AtData stage so far:
// Nth = Messages()+1 aims a fault at the next message.
func (fs *Faults) Messages() int {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.dataSeen
}

// Check applies the faults of a stage: it waits for their delays (or until
// ctx ends) and returns the reply the client gets, or nil when the stage
// goes on. rcpt is the recipient at AtRcpt. Each AtData check counts one
// message for Fault.Nth.
func (fs *Faults) Check(ctx context.Context, stage Stage, rcpt string) error {
	reply, delay := fs.match(stage, rcpt)
	sleep(ctx, delay)
	if reply == nil {
		return nil
	}
	return reply
}

// match returns the reply and delay for a stage, and counts DATA stages.
func (fs *Faults) match(stage Stage, rcpt string) (*smtp.Error, time.Duration) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if stage == AtData {
		fs.dataSeen++
	}
	var delay time.Duration
	for _, f := range fs.list {
		if f.Stage != stage {
			continue
		}
		if stage == AtRcpt && len(f.Recipients) > 0 && !containsFold(f.Recipients, rcpt) {
			continue
		}
		if stage == AtData && f.Nth > 0 && f.Nth != fs.dataSeen {
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

// Inject adds a fault; it applies to transactions from now on.
func (s *Server) Inject(f Fault) { s.faults.Inject(f) }

// ClearFaults removes every injected fault.
func (s *Server) ClearFaults() { s.faults.Clear() }

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
