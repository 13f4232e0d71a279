package sieve

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Envelope is the SMTP envelope of the message, for the envelope test,
// vacation and redirect (RFC 5228 5.4).
type Envelope struct {
	// From is the reverse-path without angle brackets; "" is the null
	// path <>.
	From string
	// To is the recipient whose script runs (the final recipient).
	To string
	// OrigTo is the original recipient (ORCPT or before alias
	// expansion); empty when unknown. The envelope test's "to" is
	// OrigTo when set, as in Pigeonhole, and To otherwise.
	OrigTo string
	// Auth is the authenticated submitter, if any.
	Auth string
}

// Input is what a run of a script looks at.
type Input struct {
	Message  *Message
	Envelope Envelope
	// Now is the time of delivery, for currentdate, duplicate and
	// vacation; zero means time.Now().
	Now time.Time
	// Location is the zone of dates without :zone (default time.Local).
	Location *time.Location
	// Mailboxes answers mailboxexists; nil means no mailbox exists.
	Mailboxes MailboxChecker
	// Duplicates answers the duplicate test; nil means nothing was seen.
	Duplicates Tracker
	// Scripts loads the scripts of include; nil means none exists.
	Scripts ScriptLoader
}

// MailboxChecker tells whether the user has a mailbox (RFC 5490 3.1).
type MailboxChecker interface {
	MailboxExists(ctx context.Context, name string) (bool, error)
}

// Tracker remembers identifiers for a time: the duplicate test asks it
// (RFC 7352), Responder asks it for vacation replies (RFC 5230 4.2). Keys
// are opaque strings; implementations may hash them.
type Tracker interface {
	// Seen reports whether key was recorded and has not expired.
	Seen(ctx context.Context, key string) (bool, error)
	// Record remembers key until the given time.
	Record(ctx context.Context, key string, until time.Time) error
}

// Result is what a run decided: the actions in the order the script took
// them, and whether the implicit keep stands (RFC 5228 2.10.2).
type Result struct {
	Actions []Action
	// ImplicitKeep is true when the message must also be stored into
	// INBOX: no action cancelled the implicit keep and none already
	// stores it there.
	ImplicitKeep bool
	// KeepFlags are the IMAP flags for the implicit keep (RFC 5232 3).
	KeepFlags []string
	// KeepHeader is the header of the kept message when editheader
	// changed it (RFC 5293); nil when it is unchanged.
	KeepHeader []Field
}

// ErrLimit is wrapped by the errors of runs that went over a limit.
var ErrLimit = errors.New("sieve: limit exceeded")

// RuntimeError is an error of a run at a position in a script: an
// action conflict, a limit, a failing include. The caller keeps the
// message (RFC 5228 2.10.6).
type RuntimeError struct {
	// Script is the included script the error is in ("" for the main
	// one), as include named it.
	Script string
	Pos    Pos
	Err    error
}

// Error returns the script, line and error.
func (e *RuntimeError) Error() string {
	if e.Script != "" {
		return fmt.Sprintf("sieve: %s: line %d: %v", e.Script, e.Pos.Line, e.Err)
	}
	return fmt.Sprintf("sieve: line %d: %v", e.Pos.Line, e.Err)
}

// Unwrap returns Err.
func (e *RuntimeError) Unwrap() error { return e.Err }

// Control flow: stop ends the run, return the current script.
var (
	errStop   = errors.New("stop")
	errReturn = errors.New("return")
)

// Run evaluates the script for one message and returns the actions to
// take. It never changes anything itself: the caller stores, forwards,
// replies and records. On an error the caller keeps the message in
// INBOX, as if the script had not run.
func (s *Script) Run(ctx context.Context, in *Input) (*Result, error) {
	msg := in.Message
	if msg == nil {
		msg = &Message{}
	}
	r := &run{
		ctx:    ctx,
		in:     in,
		msg:    msg,
		opts:   &s.opts,
		now:    in.Now,
		header: msg.Header,
		keep:   true,
		vars:   map[string]string{},
	}
	if r.now.IsZero() {
		r.now = time.Now()
	}
	r.loc = in.Location
	if r.loc == nil {
		r.loc = time.Local
	}
	r.frames = []*frame{{script: s, name: ""}}
	err := r.execBlock(s.cmds)
	if err == nil || err == errStop || err == errReturn {
		// A list cut short by expandAll may have decided the last
		// test: the run fails then too.
		err = r.step(0)
	}
	if err != nil {
		return nil, err
	}
	return r.result(), nil
}

// run is the state of one run.
type run struct {
	ctx  context.Context
	in   *Input
	msg  *Message // in.Message, never nil
	opts *Options
	now  time.Time
	loc  *time.Location

	steps int
	pos   Pos // of the command being executed, for errors

	vars    map[string]string // the current script's variables
	globals map[string]string // variables shared through include
	matches []string          // ${0}..${N} of the last successful match
	flags   []string          // imap4flags internal variable

	header    []Field // the header as edited so far (copy on write)
	edited    bool
	decoded   []string // cached decoded values of header, nil when stale
	bodyParts []bodyPart
	bodyRead  bool

	actions   []Action
	keep      bool // the implicit keep stands
	redirects int
	frames    []*frame
	scripts   map[string]*Script // included scripts, compiled
	included  int
	once      map[string]bool
	dupCache  map[string]bool
}

// frame is one script on the include stack.
type frame struct {
	script  *Script
	name    string // key: "personal:x" or "global:x"
	display string // the name include gave
}

func (r *run) limits() *Limits { return &r.opts.Limits }

// step counts work against Limits.MaxSteps.
func (r *run) step(n int) error {
	r.steps += n
	if r.steps > r.limits().maxSteps() {
		return r.errorf("%w: more than %d steps", ErrLimit, r.limits().maxSteps())
	}
	return nil
}

func (r *run) errorf(format string, args ...any) error {
	return &RuntimeError{Script: r.frames[len(r.frames)-1].display, Pos: r.pos, Err: fmt.Errorf(format, args...)}
}

func (r *run) execBlock(cmds []stmt) error {
	for _, c := range cmds {
		r.pos = c.pos
		if err := r.step(1); err != nil {
			return err
		}
		if err := r.ctx.Err(); err != nil {
			return err
		}
		if err := c.cmd.exec(r); err != nil {
			return err
		}
	}
	return nil
}

// expand returns the value of a string argument (RFC 5229 3), cut to
// Limits.MaxVariableSize.
func (r *run) expand(s str) string {
	if s.parts == nil {
		return s.lit
	}
	max := r.limits().maxVariableSize()
	var b strings.Builder
	for _, p := range s.parts {
		v := p.lit
		switch {
		case p.match >= 0:
			if p.match < len(r.matches) {
				v = r.matches[p.match]
			}
		case p.global:
			v = r.globals[p.name]
		case p.name != "":
			v = r.variable(p.name)
		}
		if b.Len()+len(v) > max {
			v = v[:max-b.Len()]
		}
		b.WriteString(v)
	}
	return b.String()
}

// expandAll expands a string list. Expanding costs a step per 256 bytes
// made, so that a script cannot
// make a huge list of long strings: past Limits.MaxSteps the list stops
// growing and the next step of the run fails.
func (r *run) expandAll(list []str) []string {
	out := make([]string, 0, len(list))
	for _, s := range list {
		v := r.expand(s)
		if s.parts != nil {
			r.steps += len(v) >> 8
			if r.steps > r.limits().maxSteps() {
				break
			}
		}
		out = append(out, v)
	}
	return out
}

// variable returns a variable's value; unset variables are empty
// (RFC 5229 3).
func (r *run) variable(name string) string {
	if r.isGlobal(name) {
		return r.globals[name]
	}
	return r.vars[name]
}

func (r *run) setVariable(name, value string, global bool) {
	if max := r.limits().maxVariableSize(); len(value) > max {
		value = value[:max]
	}
	if global || r.isGlobal(name) {
		if r.globals == nil {
			r.globals = map[string]string{}
		}
		r.globals[name] = value
		return
	}
	r.vars[name] = value
}

// isGlobal reports whether name is declared global in the current
// script (RFC 6609 3.3).
func (r *run) isGlobal(name string) bool {
	f := r.frames[len(r.frames)-1]
	for _, g := range f.script.globals {
		if g == name {
			return true
		}
	}
	return false
}

// result builds the Result at the end of a successful run.
func (r *run) result() *Result {
	res := &Result{Actions: r.actions, ImplicitKeep: r.keep}
	if r.keep {
		// RFC 5228 2.10.2: the implicit keep is done unless an action
		// stored the message into INBOX already.
		for _, a := range r.actions {
			if st, ok := a.(*FileInto); ok && isInbox(st.Mailbox) {
				res.ImplicitKeep = false
			}
			if _, ok := a.(*Keep); ok {
				res.ImplicitKeep = false
			}
		}
	}
	if res.ImplicitKeep {
		res.KeepFlags = append([]string(nil), r.flags...)
		if r.edited {
			res.KeepHeader = r.header
		}
	}
	return res
}

// variableRef returns a variable, global when global is set.
func (r *run) variableRef(name string, global bool) string {
	if global {
		return r.globals[name]
	}
	return r.variable(name)
}
