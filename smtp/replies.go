package smtp

// The server's fixed replies, in one table so that codes and texts are
// reviewed together. Codes follow RFC 5321 4.2 and enhanced codes RFC 3463.
var (
	replyOK            = &Error{Code: 250, EnhancedCode: EnhancedCode{2, 0, 0}, Message: "OK"}
	replyReset         = &Error{Code: 250, EnhancedCode: EnhancedCode{2, 0, 0}, Message: "Reset state"}
	replySenderOK      = &Error{Code: 250, EnhancedCode: EnhancedCode{2, 1, 0}, Message: "Sender OK"}
	replyRecipientOK   = &Error{Code: 250, EnhancedCode: EnhancedCode{2, 1, 5}, Message: "Recipient OK"}
	replyQueued        = &Error{Code: 250, EnhancedCode: EnhancedCode{2, 0, 0}, Message: "Message accepted"}
	replyVerbose       = &Error{Code: 250, EnhancedCode: EnhancedCode{2, 0, 0}, Message: "VERB accepted; this server has no verbose mode"}
	replyCannotVerify  = &Error{Code: 252, EnhancedCode: EnhancedCode{2, 5, 0}, Message: "Cannot VRFY user, but will accept message and attempt delivery"}
	replyBye           = &Error{Code: 221, EnhancedCode: EnhancedCode{2, 0, 0}, Message: "Bye"}
	replyStartTLS      = &Error{Code: 220, EnhancedCode: EnhancedCode{2, 0, 0}, Message: "Ready to start TLS"}
	replyAuthOK        = &Error{Code: 235, EnhancedCode: EnhancedCode{2, 7, 0}, Message: "Authentication successful"}
	replyStartData     = &Error{Code: 354, Message: "End data with <CR><LF>.<CR><LF>"}
	replyShuttingDown  = &Error{Code: 421, EnhancedCode: EnhancedCode{4, 3, 2}, Message: "Service shutting down"}
	replyTimeout       = &Error{Code: 421, EnhancedCode: EnhancedCode{4, 4, 2}, Message: "Timeout, closing connection"}
	replyTooManyErrors = &Error{Code: 421, EnhancedCode: EnhancedCode{4, 7, 0}, Message: "Too many errors, closing connection"}
	replyTooManyAuth   = &Error{Code: 421, EnhancedCode: EnhancedCode{4, 7, 0}, Message: "Too many authentication failures, closing connection"}
	replyLocalError    = &Error{Code: 451, EnhancedCode: EnhancedCode{4, 3, 0}, Message: "Requested action aborted: local error in processing"}
	replyTooManyRcpts  = &Error{Code: 452, EnhancedCode: EnhancedCode{4, 5, 3}, Message: "Too many recipients"}
	replyTLSFailed     = &Error{Code: 454, EnhancedCode: EnhancedCode{4, 7, 0}, Message: "TLS not available"}
	replyUnknown       = &Error{Code: 500, EnhancedCode: EnhancedCode{5, 5, 1}, Message: "Command not recognized"}
	replyLineTooLong   = &Error{Code: 500, EnhancedCode: EnhancedCode{5, 5, 2}, Message: "Line too long"}
	replyBadChars      = &Error{Code: 500, EnhancedCode: EnhancedCode{5, 5, 2}, Message: "NUL, bare CR or bare LF not allowed in commands"}
	replyNoParams      = &Error{Code: 501, EnhancedCode: EnhancedCode{5, 5, 4}, Message: "This command takes no parameters"}
	replyNeedHostname  = &Error{Code: 501, EnhancedCode: EnhancedCode{5, 5, 4}, Message: "Hostname required"}
	replyAuthCancelled = &Error{Code: 501, EnhancedCode: EnhancedCode{5, 0, 0}, Message: "Authentication cancelled"}
	replyBadBase64     = &Error{Code: 501, EnhancedCode: EnhancedCode{5, 5, 2}, Message: "Invalid base64 data"}
	replyBadBDAT       = &Error{Code: 501, EnhancedCode: EnhancedCode{5, 5, 4}, Message: "Syntax: BDAT chunk-size [LAST]; closing connection"}
	replyBadBURL       = &Error{Code: 501, EnhancedCode: EnhancedCode{5, 5, 4}, Message: "Syntax: BURL absolute-URI [LAST]"}
	replyBURLChunk     = &Error{Code: 250, EnhancedCode: EnhancedCode{2, 5, 0}, Message: "Waiting for additional BURL or BDAT commands"}
	replyNotImpl       = &Error{Code: 502, EnhancedCode: EnhancedCode{5, 5, 1}, Message: "Command not implemented"}
	replyNoExpand      = &Error{Code: 502, EnhancedCode: EnhancedCode{5, 5, 1}, Message: "EXPN not available"}
	replyHeloFirst     = &Error{Code: 503, EnhancedCode: EnhancedCode{5, 5, 1}, Message: "Send EHLO/HELO first"}
	replyLHLOFirst     = &Error{Code: 503, EnhancedCode: EnhancedCode{5, 5, 1}, Message: "Send LHLO first"}
	replyNestedMail    = &Error{Code: 503, EnhancedCode: EnhancedCode{5, 5, 1}, Message: "Sender already specified"}
	replyMailFirst     = &Error{Code: 503, EnhancedCode: EnhancedCode{5, 5, 1}, Message: "Need MAIL before RCPT"}
	replyNeedMail      = &Error{Code: 503, EnhancedCode: EnhancedCode{5, 5, 1}, Message: "Need MAIL command"}
	replyInTransaction = &Error{Code: 503, EnhancedCode: EnhancedCode{5, 5, 1}, Message: "Not allowed during a mail transaction"}
	replyAlreadyAuth   = &Error{Code: 503, EnhancedCode: EnhancedCode{5, 5, 1}, Message: "Already authenticated"}
	replyAlreadyTLS    = &Error{Code: 503, EnhancedCode: EnhancedCode{5, 5, 1}, Message: "TLS already active"}
	replyMixedData     = &Error{Code: 503, EnhancedCode: EnhancedCode{5, 5, 1}, Message: "DATA not allowed after BDAT"}
	replyBinaryData    = &Error{Code: 503, EnhancedCode: EnhancedCode{5, 6, 1}, Message: "BODY=BINARYMIME requires BDAT"}
	replyInBDAT        = &Error{Code: 503, EnhancedCode: EnhancedCode{5, 5, 1}, Message: "Only BDAT, BURL, RSET, NOOP or QUIT during a BDAT transfer"}
	replyRejected      = &Error{Code: 503, EnhancedCode: EnhancedCode{5, 5, 1}, Message: "Connection refused, send QUIT"}
	replyUnknownMech   = &Error{Code: 504, EnhancedCode: EnhancedCode{5, 5, 4}, Message: "Unrecognized authentication mechanism"}
	replyNeedUTF8      = &Error{Code: 553, EnhancedCode: EnhancedCode{5, 6, 7}, Message: "Non-ASCII address requires SMTPUTF8"}
	replyBadAddress    = &Error{Code: 553, EnhancedCode: EnhancedCode{5, 1, 3}, Message: "Invalid address syntax"}
	replyAddrTooLong   = &Error{Code: 553, EnhancedCode: EnhancedCode{5, 1, 3}, Message: "Address too long"}
	replyNoRecipients  = &Error{Code: 554, EnhancedCode: EnhancedCode{5, 5, 1}, Message: "No valid recipients"}
	replyAuthRequired  = &Error{Code: 530, EnhancedCode: EnhancedCode{5, 7, 0}, Message: "Authentication required"}
	replyNoAuth        = &Error{Code: 502, EnhancedCode: EnhancedCode{5, 5, 1}, Message: "Authentication not available"}
	replyTooBigAtMail  = &Error{Code: 552, EnhancedCode: EnhancedCode{5, 3, 4}, Message: "Declared message size exceeds the limit"}
	replyBadParam      = &Error{Code: 555, EnhancedCode: EnhancedCode{5, 5, 4}, Message: "Parameter not recognized or not implemented"}
	replyBadParamValue = &Error{Code: 501, EnhancedCode: EnhancedCode{5, 5, 4}, Message: "Invalid parameter value"}
	replyLMTPHello     = &Error{Code: 500, EnhancedCode: EnhancedCode{5, 5, 1}, Message: "This is an LMTP server: use LHLO"}
	replyNotLMTP       = &Error{Code: 500, EnhancedCode: EnhancedCode{5, 5, 1}, Message: "LHLO is for LMTP; use EHLO"}
)

// helpText answers HELP (RFC 5321 4.1.1.8).
const helpText = "Commands: HELO EHLO MAIL RCPT DATA BDAT RSET NOOP QUIT HELP VRFY EXPN VERB STARTTLS AUTH"
