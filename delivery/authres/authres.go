// Package authres reads and writes the Authentication-Results header
// field (RFC 8601), in which a receiving server records what it checked
// (DKIM, SPF, DMARC, ARC, ...) for the mail programs behind it, and
// removes the forged ones: a message that arrives already carrying an
// Authentication-Results field in our name was written by someone else.
//
// At delivery, strip forgeries, then add our own results on top:
//
//	removed, err := authres.RemoveForged(dst, msg, "mx.example.org")
//	...
//	h := &authres.Header{AuthServID: "mx.example.org", Results: []authres.MethodResult{
//		dkimResult.MethodResult(), // from delivery/dkim
//		{Method: "spf", Result: "pass", Properties: []authres.Property{{"smtp", "mailfrom", "example.com"}}},
//	}}
//	io.WriteString(w, h.Field())
package authres

import "strings"

// FieldName is the header field's name.
const FieldName = "Authentication-Results"

// Header is the value of one Authentication-Results field (RFC 8601 2.2).
type Header struct {
	// AuthServID names the server (the ADMD) that did the checks,
	// usually its host name.
	AuthServID string
	// Version is the authres-version; 0 when absent, which means 1.
	Version int
	// Results has one entry per check; empty means "none" (nothing was
	// checked).
	Results []MethodResult
}

// MethodResult is one check and its outcome: "dkim=pass header.d=example.com".
type MethodResult struct {
	// Method is the method name, lower case ("dkim", "spf", "dmarc",
	// "arc", "auth", ...).
	Method string
	// MethodVersion is the method's version; 0 when absent.
	MethodVersion int
	// Result is the outcome, lower case ("pass", "fail", "none",
	// "neutral", "temperror", "permerror", "policy", "softfail", ...).
	Result string
	// Reason is the free-text reason= value, if any.
	Reason string
	// Properties say what was checked: "header.d", "smtp.mailfrom", ...
	Properties []Property
}

// Property is a ptype.property=value triple (RFC 8601 2.3).
type Property struct {
	Type  string // "smtp", "header", "body" or "policy", lower case
	Name  string // "mailfrom", "d", "from", ...
	Value string
}

// Get returns the value of the property type.name, or "".
func (r MethodResult) Get(typ, name string) string {
	for _, p := range r.Properties {
		if strings.EqualFold(p.Type, typ) && strings.EqualFold(p.Name, name) {
			return p.Value
		}
	}
	return ""
}
