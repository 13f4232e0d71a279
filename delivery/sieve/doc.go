// Package sieve is a Sieve mail filtering interpreter (RFC 5228): it
// compiles a user's script and, for each message delivered to that user,
// says what to do with it. It never touches a mailbox, the queue or the
// network itself: Run returns actions (keep, fileinto with flags, :copy
// and :create, redirect, reject and ereject, discard, vacation, notify,
// duplicate tracking, each with the header as editheader left it), and
// local delivery carries them out.
//
//	script, err := sieve.Compile(src, nil) // once per script; safe for concurrent use
//	if err != nil {
//		return err // an *sieve.Error with line and column
//	}
//	msg, _ := sieve.ReadMessage(spoolFile, size, 0)
//	res, err := script.Run(ctx, &sieve.Input{
//		Message:  msg,
//		Envelope: sieve.Envelope{From: mailFrom, To: rcpt},
//		Mailboxes: store, Duplicates: tracker, Scripts: loader,
//	})
//	if err != nil {
//		// The script failed at run time (limits, conflicts): keep the
//		// message in INBOX as if there were no script.
//	}
//	for _, a := range res.Actions { ... }
//	if res.ImplicitKeep { /* store into INBOX with res.KeepFlags */ }
//
// The extensions are those of Capabilities: fileinto, reject and
// ereject (RFC 5429), envelope, encoded-character, imap4flags (RFC
// 5232), variables (RFC 5229), relational (RFC 5231) with
// i;ascii-numeric (RFC 4790), subaddress (RFC 5233), body (RFC 5173),
// date and index (RFC 5260), copy (RFC 3894), mailbox (RFC 5490),
// vacation and vacation-seconds (RFC 5230, RFC 6131), duplicate (RFC
// 7352), include (RFC 6609), editheader (RFC 5293), regex
// (draft-ietf-sieve-regex, as Pigeonhole implements it) and enotify with
// mailto (RFC 5435, RFC 5436). Options.Extensions narrows them.
//
// The caller provides what a script may ask about its surroundings:
// whether a mailbox exists (MailboxChecker), whether a message was seen
// (a Tracker for duplicate), and included scripts (ScriptLoader).
// Vacation replies are decided and written by a Responder, which keeps
// one reply per sender and period in a Tracker and does not answer
// mailing lists, automatic mail or system addresses (RFC 5230 4.5, 4.6;
// RFC 3834).
//
// Every run is bounded (Limits, each with a default): steps (the CPU a
// script may use, counting commands, tests and comparisons weighted by
// the size of what they compare), variables and their sizes, actions,
// redirects, include depth and count, and how much of the body and
// header is read. Parsing bounds nesting and string lengths as
// Pigeonhole does. Over a limit a run ends with an error wrapping
// ErrLimit.
//
// Behaviour follows Pigeonhole (Dovecot's interpreter), which a
// differential test compares action for action, except where Pigeonhole
// departs from the RFCs:
//
//   - i;ascii-casemap orders strings after mapping them to upper case
//     (RFC 4790 9.2); Pigeonhole maps to lower case, so the two disagree
//     on the order of "_" and letters.
//   - :index in the date test picks the field (RFC 5260 6); Pigeonhole
//     reads only the first field.
//   - Testing the same duplicate twice answers twice the same;
//     Pigeonhole 0.5 aborts the script.
//   - A reference to an unknown variable namespace, a match variable
//     past ${32} and deleteheader :last without :index are errors;
//     Pigeonhole logs an error but runs the script.
//   - An include loop or a missing included script is an error when the
//     script runs (RFC 6609 3.2); Pigeonhole finds them when it compiles.
//
// :regex uses Go's RE2 rather than POSIX regcomp: matching is
// leftmost-longest and "." matches a newline, as with REG_EXTENDED, but
// back-references are refused and Perl classes such as \d and \w are
// classes rather than literal letters. RE2 runs in time linear in the
// input, so no expression can take exponential time.
package sieve
