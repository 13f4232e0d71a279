package sieve

import (
	"slices"
	"strings"
	"time"
)

// Capabilities are the extensions this package implements, as a script
// names them in require (and as ManageSieve announces them).
var Capabilities = []string{
	"body", "comparator-i;ascii-numeric", "copy", "date", "duplicate",
	"editheader", "encoded-character", "enotify", "envelope", "ereject",
	"fileinto", "imap4flags", "include", "index", "mailbox", "regex",
	"reject", "relational", "subaddress", "vacation", "vacation-seconds",
	"variables",
}

// alwaysAvailable are capabilities a script may require although they
// are part of the base language (RFC 5228 2.7.3: the two base
// comparators).
var alwaysAvailable = []string{"comparator-i;octet", "comparator-i;ascii-casemap"}

// Options configure compilation and evaluation. The zero value enables
// every capability with the default limits.
type Options struct {
	// Extensions, when not nil, restricts the capabilities a script may
	// require to these (lower case, from Capabilities).
	Extensions []string
	// Limits bound each script run.
	Limits Limits
	// Vacation bounds the periods of vacation replies.
	Vacation VacationPolicy
	// ProtectedHeaders are header fields that editheader may neither add
	// nor delete, beyond Received and Auto-Submitted, which it never
	// deletes (RFC 5293 6).
	ProtectedHeaders []string
	// Delimiters separate the user from the detail of a local part for
	// :user and :detail (RFC 5233); any one of them counts. Default "+".
	Delimiters string
}

func (o *Options) delimiters() string {
	if o.Delimiters == "" {
		return "+"
	}
	return o.Delimiters
}

func (o *Options) enabled(ext string) bool {
	if slices.Contains(alwaysAvailable, ext) {
		return true
	}
	if !slices.Contains(Capabilities, ext) {
		return false
	}
	return o.Extensions == nil || slices.ContainsFunc(o.Extensions, func(e string) bool { return strings.EqualFold(e, ext) })
}

// VacationPolicy bounds the period between two vacation replies to one
// sender (RFC 5230 4.1, RFC 6131 2). Zero fields take the defaults,
// which are Pigeonhole's: at least a day, at most none, a week when the
// script gives none.
type VacationPolicy struct {
	MinPeriod     time.Duration // default 24h
	MaxPeriod     time.Duration // 0: no maximum
	DefaultPeriod time.Duration // default 7 days
}

func (v VacationPolicy) clamp(d time.Duration, given bool) time.Duration {
	if !given {
		d = v.DefaultPeriod
		if d == 0 {
			d = 7 * 24 * time.Hour
		}
	}
	minP := v.MinPeriod
	if minP == 0 {
		minP = 24 * time.Hour
	}
	if minP < 0 {
		minP = 0
	}
	if d < minP {
		d = minP
	}
	if v.MaxPeriod > 0 && d > v.MaxPeriod {
		d = v.MaxPeriod
	}
	return d
}

// Limits bound what one run of a script may use. Zero fields take the
// defaults (DefaultLimits); a run over a limit ends with an error, and
// the caller keeps the message (RFC 5228 2.10.6).
type Limits struct {
	// MaxScriptSize bounds a script's source (default 1 MiB).
	MaxScriptSize int
	// MaxSteps bounds the commands and tests a run executes, and the
	// comparisons a test makes (default 100,000): the CPU bound.
	MaxSteps int
	// MaxVariables bounds the variable names of a script (default 255).
	MaxVariables int
	// MaxVariableSize bounds a variable's value and an expanded string;
	// longer values are cut (default 4096 bytes, as Pigeonhole).
	MaxVariableSize int
	// MaxActions bounds the actions of a run (default 32).
	MaxActions int
	// MaxRedirects bounds redirect actions (default 4).
	MaxRedirects int
	// MaxIncludeDepth bounds include nesting (default 10) and
	// MaxIncludes the scripts included in a run (default 255).
	MaxIncludeDepth int
	MaxIncludes     int
	// MaxBodySize bounds the body bytes the body test reads (default
	// 1 MiB); text past it is not seen.
	MaxBodySize int
	// MaxHeaderSize bounds the header a Message keeps (default 256 KiB)
	// and MaxHeaderValue the value that addheader may add (default 2048
	// bytes, as Pigeonhole).
	MaxHeaderSize  int
	MaxHeaderValue int
	// MaxMIMEParts bounds the body parts the body test looks at
	// (default 100).
	MaxMIMEParts int
}

// DefaultLimits are the limits that zero fields of Limits take.
var DefaultLimits = Limits{
	MaxScriptSize:   1 << 20,
	MaxSteps:        100000,
	MaxVariables:    255,
	MaxVariableSize: 4096,
	MaxActions:      32,
	MaxRedirects:    4,
	MaxIncludeDepth: 10,
	MaxIncludes:     255,
	MaxBodySize:     1 << 20,
	MaxHeaderSize:   256 << 10,
	MaxHeaderValue:  2048,
	MaxMIMEParts:    100,
}

func orDefault(v, d int) int {
	if v > 0 {
		return v
	}
	return d
}

func (l Limits) maxScriptSize() int { return orDefault(l.MaxScriptSize, DefaultLimits.MaxScriptSize) }
func (l Limits) maxSteps() int      { return orDefault(l.MaxSteps, DefaultLimits.MaxSteps) }
func (l Limits) maxVariables() int  { return orDefault(l.MaxVariables, DefaultLimits.MaxVariables) }
func (l Limits) maxVariableSize() int {
	return orDefault(l.MaxVariableSize, DefaultLimits.MaxVariableSize)
}
func (l Limits) maxActions() int   { return orDefault(l.MaxActions, DefaultLimits.MaxActions) }
func (l Limits) maxRedirects() int { return orDefault(l.MaxRedirects, DefaultLimits.MaxRedirects) }
func (l Limits) maxIncludeDepth() int {
	return orDefault(l.MaxIncludeDepth, DefaultLimits.MaxIncludeDepth)
}
func (l Limits) maxIncludes() int   { return orDefault(l.MaxIncludes, DefaultLimits.MaxIncludes) }
func (l Limits) maxBodySize() int   { return orDefault(l.MaxBodySize, DefaultLimits.MaxBodySize) }
func (l Limits) maxHeaderSize() int { return orDefault(l.MaxHeaderSize, DefaultLimits.MaxHeaderSize) }
func (l Limits) maxHeaderValue() int {
	return orDefault(l.MaxHeaderValue, DefaultLimits.MaxHeaderValue)
}
func (l Limits) maxMIMEParts() int { return orDefault(l.MaxMIMEParts, DefaultLimits.MaxMIMEParts) }
