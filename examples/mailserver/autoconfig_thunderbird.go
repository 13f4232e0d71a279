package main

import (
	"encoding/xml"
	"log/slog"
	"net/http"
	"slices"
)

// Thunderbird's autoconfig file, clientConfig version 1.1, as its format
// definition gives it (wiki.mozilla.org/Thunderbird:Autoconfiguration:ConfigFileFormat)
// and Thunderbird reads it (readFromXML: an emailProvider with an id and
// at least one domain; servers of type imap or pop3 and smtp, each with
// hostname, port, socketType, authentication and username).

// clientConfig is the document's root.
type clientConfig struct {
	XMLName       xml.Name      `xml:"clientConfig"`
	Version       string        `xml:"version,attr"`
	EmailProvider emailProvider `xml:"emailProvider"`
}

type emailProvider struct {
	ID               string        `xml:"id,attr"`
	Domains          []string      `xml:"domain"`
	DisplayName      string        `xml:"displayName"`
	DisplayShortName string        `xml:"displayShortName"`
	Incoming         []mozillaHost `xml:"incomingServer"`
	Outgoing         []mozillaHost `xml:"outgoingServer"`
}

// mozillaHost is an incomingServer or an outgoingServer.
type mozillaHost struct {
	Type           string `xml:"type,attr"` // imap, pop3; smtp
	Hostname       string `xml:"hostname"`
	Port           int    `xml:"port"`
	SocketType     string `xml:"socketType"`     // SSL (implicit TLS), STARTTLS, plain
	Authentication string `xml:"authentication"` // password-cleartext: PLAIN/LOGIN inside TLS
	Username       string `xml:"username"`
}

// thunderbirdConfig describes the account for an address of domain.
func thunderbirdConfig(s *accountSettings, domain string) clientConfig {
	host := func(e endpoint) mozillaHost {
		socket := "STARTTLS"
		if e.implicitTLS {
			socket = "SSL"
		}
		// %EMAILADDRESS% is replaced by the address the user typed.
		return mozillaHost{e.protocol, s.hostname, e.port, socket, "password-cleartext", "%EMAILADDRESS%"}
	}
	p := emailProvider{
		ID:               domain,
		Domains:          append([]string{domain}, slices.DeleteFunc(slices.Clone(s.domains), func(d string) bool { return d == domain })...),
		DisplayName:      domain + " mail",
		DisplayShortName: domain,
	}
	for _, e := range s.incoming {
		p.Incoming = append(p.Incoming, host(e))
	}
	for _, e := range s.outgoing {
		p.Outgoing = append(p.Outgoing, host(e))
	}
	return clientConfig{Version: "1.1", EmailProvider: p}
}

// serveThunderbird answers GET config-v1.1.xml[?emailaddress=]: the
// account of the address's domain, or of the server's first domain
// when the address is absent (the file may also be fetched as is).
func serveThunderbird(s *accountSettings, w http.ResponseWriter, r *http.Request, logger *slog.Logger) {
	addr, ok, status, err := addressFromQuery(s, r)
	if err != nil {
		http.Error(w, err.Error(), status)
		return
	}
	domain := s.domains[0]
	if ok {
		domain = addr.domain
	}
	logger.Debug("autoconfig: Thunderbird configuration", "domain", domain, "remote", r.RemoteAddr)
	writeXML(w, http.StatusOK, thunderbirdConfig(s, domain), logger)
}
