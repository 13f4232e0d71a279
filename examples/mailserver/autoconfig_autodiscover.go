package main

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// Outlook's autodiscover, "plain old XML" (POX): the request and answer
// as Microsoft documents them ("POX Autodiscover XML elements for
// Exchange" and the Outlook Autodiscover XML schema for POP3/IMAP/SMTP
// accounts, response schema 2006a).

const (
	// poxResponseNS is the namespace of the answer's root.
	poxResponseNS = "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"
	// outlookResponseSchema is the answer that an Outlook client accepts
	// (AcceptableResponseSchema) and the only one served here; ActiveSync
	// clients ask for mobilesync's.
	outlookResponseSchema = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"
	// maxAutodiscoverBody bounds a request body; a real one is under 500
	// bytes.
	maxAutodiscoverBody = 16 << 10
)

// poxRequest is the request (Request (POX)): the address, and the schema
// the client wants the answer in. Element names match in any namespace
// (Outlook uses .../outlook/requestschema/2006).
type poxRequest struct {
	XMLName                  xml.Name `xml:"Autodiscover"`
	EMailAddress             string   `xml:"Request>EMailAddress"`
	AcceptableResponseSchema string   `xml:"Request>AcceptableResponseSchema"`
}

// Autodiscover error codes (Error (POX)): 600 an invalid request, 601 no
// provider for the AcceptableResponseSchema asked.
var (
	errPOXInvalid  = &poxError{600, "Invalid Request"}
	errPOXProvider = &poxError{601, "Provider is not available"}
)

type poxError struct {
	code    int
	message string
}

func (e *poxError) Error() string { return fmt.Sprintf("autodiscover error %d: %s", e.code, e.message) }

// parseAutodiscoverRequest returns the address of a POX request body, or
// a *poxError.
func parseAutodiscoverRequest(body []byte) (emailAddress, error) {
	var req poxRequest
	if err := xml.Unmarshal(body, &req); err != nil {
		return emailAddress{}, errPOXInvalid
	}
	if strings.TrimSpace(req.AcceptableResponseSchema) != outlookResponseSchema {
		return emailAddress{}, errPOXProvider
	}
	addr, err := parseEmailAddress(strings.TrimSpace(req.EMailAddress))
	if err != nil {
		return emailAddress{}, errPOXInvalid
	}
	return addr, nil
}

// poxAnswer is the answer's root: the Autodiscover element of the
// response schema, holding a Response of the Outlook schema or an Error.
type poxAnswer struct {
	XMLName  xml.Name `xml:"http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006 Autodiscover"`
	Response any
}

type poxResponse struct {
	XMLName xml.Name `xml:"http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a Response"`
	User    poxUser  `xml:"User"`
	Account poxAccount
}

type poxUser struct {
	DisplayName string `xml:"DisplayName"`
}

type poxAccount struct {
	AccountType string        `xml:"AccountType"` // email
	Action      string        `xml:"Action"`      // settings: the protocols follow (not a redirect)
	Protocol    []poxProtocol `xml:"Protocol"`
}

// poxProtocol holds the Protocol (POX) elements of an IMAP, POP3 or SMTP
// server, in the documented order.
type poxProtocol struct {
	Type           string `xml:"Type"` // IMAP, POP3, SMTP
	Server         string `xml:"Server"`
	Port           int    `xml:"Port"`
	LoginName      string `xml:"LoginName"`
	DomainRequired string `xml:"DomainRequired"` // off: the login name is not DOMAIN\user
	SPA            string `xml:"SPA"`            // off: the password is sent in the clear inside TLS (default on: NTLM)
	SSL            string `xml:"SSL"`            // on: TLS
	Encryption     string `xml:"Encryption"`     // SSL (implicit) or TLS (STARTTLS); overrides SSL
	AuthRequired   string `xml:"AuthRequired"`   // on
}

type poxErrorAnswer struct {
	XMLName xml.Name `xml:"Response"`
	Error   struct {
		Time      string `xml:"Time,attr"`
		ID        string `xml:"Id,attr"`
		ErrorCode int    `xml:"ErrorCode"`
		Message   string `xml:"Message"`
		DebugData string `xml:"DebugData"`
	} `xml:"Error"`
}

// autodiscoverAnswer describes the account of addr: the preferred IMAP,
// POP3 and submission endpoints, one Protocol each (Outlook takes one
// server per type).
func autodiscoverAnswer(s *accountSettings, addr emailAddress) poxAnswer {
	acct := poxAccount{AccountType: "email", Action: "settings"}
	for _, p := range []string{"imap", "pop3", "smtp"} {
		e, ok := s.first(p)
		if !ok {
			continue
		}
		encryption := "TLS"
		if e.implicitTLS {
			encryption = "SSL"
		}
		acct.Protocol = append(acct.Protocol, poxProtocol{
			Type: strings.ToUpper(p), Server: s.hostname, Port: e.port, LoginName: addr.String(),
			DomainRequired: "off", SPA: "off", SSL: "on", Encryption: encryption, AuthRequired: "on",
		})
	}
	return poxAnswer{Response: poxResponse{User: poxUser{DisplayName: addr.String()}, Account: acct}}
}

func poxErrorDocument(e *poxError) poxAnswer {
	var a poxErrorAnswer
	a.Error.Time = time.Now().UTC().Format("15:04:05.0000000")
	a.Error.ID = fmt.Sprint(time.Now().UnixNano() & 0x7fffffff)
	a.Error.ErrorCode, a.Error.Message = e.code, e.message
	return poxAnswer{Response: a}
}

// serveAutodiscover answers POST autodiscover.xml. Errors in the request
// are POX errors in a 200 answer, as Exchange sends them.
func serveAutodiscover(s *accountSettings, w http.ResponseWriter, r *http.Request, logger *slog.Logger) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxAutodiscoverBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
		}
		return
	}
	addr, err := parseAutodiscoverRequest(body)
	if err == nil && !s.serves(addr.domain) {
		err = errPOXInvalid
	}
	if err != nil {
		logger.Debug("autoconfig: autodiscover refused", "err", err, "remote", r.RemoteAddr)
		writeXML(w, http.StatusOK, poxErrorDocument(err.(*poxError)), logger)
		return
	}
	logger.Debug("autoconfig: Outlook configuration", "address", addr.String(), "remote", r.RemoteAddr)
	writeXML(w, http.StatusOK, autodiscoverAnswer(s, addr), logger)
}
