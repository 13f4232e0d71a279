// Package saslmech holds the SASL mechanisms that smtp, pop3, imap and
// mailbox share and that go-sasl does not have: SCRAM-SHA-256 and
// SCRAM-SHA-256-PLUS (RFC 5802, RFC 7677) with TLS channel binding
// (RFC 5929, RFC 9266), and OAUTHBEARER (RFC 7628), each as a sasl.Server
// and a sasl.Client, with the GS2 header (RFC 5801) they both start with.
//
// The servers know nothing of accounts: a SCRAM server asks a lookup
// function for the credentials of a user, an OAUTHBEARER server a verify
// function for a token. mailbox plugs its accounts in; the protocol
// packages use the clients. Every parser is separate from the exchange
// state and bounded in size (MaxMessage).
package saslmech

// MaxMessage bounds one message of an exchange, decoded: longer ones are
// refused before they are parsed. SCRAM messages are some hundred bytes,
// an OAUTHBEARER message carries a token of a few kilobytes at most.
const MaxMessage = 16 << 10
