package main

// Client account setup: the documents that Thunderbird (autoconfig),
// Outlook (autodiscover, POX) and Apple Mail (a configuration profile)
// fetch to learn the servers, ports, TLS and user name of an account,
// built from the listeners this server runs. They stay in the example
// rather than in a package: they describe an application's listener
// layout, the DESIGN's top level has no home for an HTTP service that
// spans smtp, imap and pop3, and an application on the library copies
// these files (autoconfig*.go) and fills accountSettings from its own
// configuration.

import (
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"
)

// endpoint is one listener a mail client can use.
type endpoint struct {
	protocol    string // "imap", "pop3" or "smtp" (submission)
	port        int
	implicitTLS bool // TLS from the first byte (RFC 8314); else STARTTLS/STLS
}

// accountSettings is what a client needs to set up an account here.
type accountSettings struct {
	hostname string     // the name clients connect to: the first -domain
	domains  []string   // the mail domains served, lower case
	incoming []endpoint // IMAP before POP3, implicit TLS before STARTTLS
	outgoing []endpoint // submissions before submission
}

// settingsFromConfig describes the listeners that cfg turns on. The user
// name is always the full address: mailbox.AccountsFile takes
// "local@domain" for an account "local" of a local domain, and for an
// account named by its address.
func settingsFromConfig(cfg *config) (*accountSettings, error) {
	s := &accountSettings{hostname: strings.ToLower(cfg.domains[0])}
	for _, d := range cfg.domains {
		s.domains = append(s.domains, strings.TrimSuffix(strings.ToLower(d), "."))
	}
	add := func(list *[]endpoint, protocol, addr string, implicitTLS bool) error {
		if addr == "" {
			return nil
		}
		_, p, err := net.SplitHostPort(addr)
		if err != nil {
			return err
		}
		port, err := net.LookupPort("tcp", p)
		if err != nil || port == 0 {
			return fmt.Errorf("-autoconfig describes the listeners, and %s has no fixed port", addr)
		}
		*list = append(*list, endpoint{protocol, port, implicitTLS})
		return nil
	}
	// RFC 8314 5.1: clients should prefer implicit TLS; the documents list
	// it first.
	err := errors.Join(
		add(&s.incoming, "imap", cfg.imaps, true),
		add(&s.incoming, "imap", cfg.imap, false),
		add(&s.incoming, "pop3", cfg.pop3s, true),
		add(&s.incoming, "pop3", cfg.pop3, false),
		add(&s.outgoing, "smtp", cfg.submissions, true),
		add(&s.outgoing, "smtp", cfg.submission, false))
	if err != nil {
		return nil, err
	}
	if len(s.incoming) == 0 || len(s.outgoing) == 0 {
		return nil, errors.New("-autoconfig needs an IMAP or POP3 listener and a submission listener to describe")
	}
	return s, nil
}

// first returns the preferred endpoint of protocol, and whether there is one.
func (s *accountSettings) first(protocol string) (endpoint, bool) {
	for _, e := range slices.Concat(s.incoming, s.outgoing) {
		if e.protocol == protocol {
			return e, true
		}
	}
	return endpoint{}, false
}

// serves reports whether domain is one of the server's mail domains.
func (s *accountSettings) serves(domain string) bool { return slices.Contains(s.domains, domain) }

// autoconfigHandler serves the three documents.
func autoconfigHandler(s *accountSettings, logger *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	// Thunderbird asks https://autoconfig.DOMAIN/mail/config-v1.1.xml and
	// https://DOMAIN/.well-known/autoconfig/mail/config-v1.1.xml, each
	// with ?emailaddress=.
	thunderbird := func(w http.ResponseWriter, r *http.Request) { serveThunderbird(s, w, r, logger) }
	mux.HandleFunc("GET /mail/config-v1.1.xml", thunderbird)
	mux.HandleFunc("GET /.well-known/autoconfig/mail/config-v1.1.xml", thunderbird)
	// Outlook POSTs to https://autodiscover.DOMAIN/autodiscover/autodiscover.xml
	// (some clients capitalise the path).
	autodiscover := func(w http.ResponseWriter, r *http.Request) { serveAutodiscover(s, w, r, logger) }
	mux.HandleFunc("POST /autodiscover/autodiscover.xml", autodiscover)
	mux.HandleFunc("POST /Autodiscover/Autodiscover.xml", autodiscover)
	mux.HandleFunc("GET /email.mobileconfig", func(w http.ResponseWriter, r *http.Request) { serveMobileconfig(s, w, r, logger) })
	return mux
}

// emailAddress is an address a client asks about.
type emailAddress struct{ local, domain string }

func (a emailAddress) String() string { return a.local + "@" + a.domain }

// RFC 5321 4.5.3.1.1 and 4.5.3.1.3: a local part is at most 64 octets, a
// path at most 256 with its angle brackets.
const (
	maxLocalPart     = 64
	maxAddressLength = 254
)

// parseEmailAddress checks an address given in a query or a request
// body: a local part of printable characters (UTF-8 allowed, RFC 6531),
// "@", a domain of LDH labels (lower-cased, a final dot dropped).
// Quoted local parts with spaces are refused: no client sends them for
// account setup.
func parseEmailAddress(s string) (emailAddress, error) {
	if s == "" || len(s) > maxAddressLength || !utf8.ValidString(s) {
		return emailAddress{}, errors.New("not an email address")
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at > maxLocalPart || at == len(s)-1 {
		return emailAddress{}, errors.New("not an email address")
	}
	local, domain := s[:at], strings.TrimSuffix(strings.ToLower(s[at+1:]), ".")
	for _, r := range local {
		if r <= ' ' || r == 0x7f || r == '<' || r == '>' {
			return emailAddress{}, errors.New("a character that cannot be in an address")
		}
	}
	if !validDomain(domain) {
		return emailAddress{}, errors.New("not a domain name")
	}
	return emailAddress{local, domain}, nil
}

// validDomain reports whether d is a host name of LDH labels (RFC 1123
// 2.1), lower case.
func validDomain(d string) bool {
	if d == "" || len(d) > 253 {
		return false
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// addressFromQuery reads the emailaddress parameter of a query: absent
// (ok false), or an address of one of our domains. The error is the
// reply's status and text.
func addressFromQuery(s *accountSettings, r *http.Request) (addr emailAddress, ok bool, status int, err error) {
	q := r.URL.Query()
	if !q.Has("emailaddress") {
		return emailAddress{}, false, 0, nil
	}
	addr, err = parseEmailAddress(q.Get("emailaddress"))
	if err != nil {
		return emailAddress{}, false, http.StatusBadRequest, fmt.Errorf("emailaddress: %w", err)
	}
	if !s.serves(addr.domain) {
		return emailAddress{}, false, http.StatusNotFound, fmt.Errorf("emailaddress: this server does not serve %s", addr.domain)
	}
	return addr, true, 0, nil
}

// writeXML writes v as an XML document.
func writeXML(w http.ResponseWriter, status int, v any, logger *slog.Logger) {
	out, err := xml.MarshalIndent(v, "", "  ")
	if err != nil {
		logger.Error("autoconfig: encoding a document", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.WriteHeader(status)
	w.Write([]byte(xml.Header))
	w.Write(out)
	w.Write([]byte("\n"))
}
