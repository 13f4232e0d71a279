package main

import (
	"bytes"
	"encoding/xml"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The documents are checked against structures written here from the
// formats' documentation, not against the types that produce them: a
// misspelt element or a value the client does not know fails.

// testSettingsConfig is a configuration with every listener on,
// on ports that tell them apart.
func testSettingsConfig() *config {
	return &config{
		domains: []string{"mail.a.test", "b.test"},
		imap:    "127.0.0.1:1143", imaps: "127.0.0.1:1993",
		pop3: "127.0.0.1:1110", pop3s: "127.0.0.1:1995",
		submission: "127.0.0.1:2587", submissions: "127.0.0.1:2465",
	}
}

// startAutoconfig serves the documents of cfg over HTTPS on a loopback
// port.
func startAutoconfig(t *testing.T, cfg *config) *httptest.Server {
	t.Helper()
	s, err := settingsFromConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(autoconfigHandler(s, slog.New(slog.DiscardHandler)))
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, srv *httptest.Server, path string) (int, []byte) {
	t.Helper()
	resp, err := srv.Client().Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body
}

func post(t *testing.T, srv *httptest.Server, path, body string) (int, []byte) {
	t.Helper()
	resp, err := srv.Client().Post(srv.URL+path, "text/xml", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// checkElements fails t when doc has an element that allowed does not
// list under its parent's name ("" for the root).
func checkElements(t *testing.T, doc []byte, allowed map[string][]string) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(doc))
	d.Strict = true
	stack := []string{""}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, doc)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			parent := stack[len(stack)-1]
			if !slices.Contains(allowed[parent], tok.Name.Local) {
				t.Errorf("element <%s> inside <%s> is not in the documented format", tok.Name.Local, parent)
			}
			stack = append(stack, tok.Name.Local)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		}
	}
}

// Thunderbird's format (wiki.mozilla.org/Thunderbird:Autoconfiguration:ConfigFileFormat)
// and what its readFromXML accepts.
var (
	thunderbirdElements = map[string][]string{
		"":               {"clientConfig"},
		"clientConfig":   {"emailProvider", "oAuth2", "enable", "webMail", "clientConfigUpdate"},
		"emailProvider":  {"domain", "displayName", "displayShortName", "incomingServer", "outgoingServer", "documentation", "enable", "instruction"},
		"incomingServer": {"hostname", "port", "socketType", "authentication", "username", "password", "pop3"},
		"outgoingServer": {"hostname", "port", "socketType", "authentication", "username", "password", "addThisServer", "useGlobalPreferredServer"},
	}
	thunderbirdSocketTypes   = []string{"plain", "SSL", "STARTTLS"}
	thunderbirdIncomingAuth  = []string{"password-cleartext", "plain", "password-encrypted", "secure", "GSSAPI", "NTLM", "OAuth2", "TLS-client-cert", "none"}
	thunderbirdOutgoingAuth  = append([]string{"client-IP-address", "smtp-after-pop"}, thunderbirdIncomingAuth...)
	thunderbirdIncomingTypes = []string{"imap", "pop3"}
)

type tbConfig struct {
	XMLName   xml.Name     `xml:"clientConfig"`
	Version   string       `xml:"version,attr"`
	Providers []tbProvider `xml:"emailProvider"`
}

type tbProvider struct {
	ID               string     `xml:"id,attr"`
	Domains          []string   `xml:"domain"`
	DisplayName      []string   `xml:"displayName"`
	DisplayShortName []string   `xml:"displayShortName"`
	Incoming         []tbServer `xml:"incomingServer"`
	Outgoing         []tbServer `xml:"outgoingServer"`
}

// tbServer has a slice per element: each must appear exactly once.
type tbServer struct {
	Type           string   `xml:"type,attr"`
	Hostname       []string `xml:"hostname"`
	Port           []string `xml:"port"`
	SocketType     []string `xml:"socketType"`
	Authentication []string `xml:"authentication"`
	Username       []string `xml:"username"`
}

// tbEntry is what a server entry says, for comparing with the listeners.
type tbEntry struct {
	typ, host string
	port      int
	socket    string
}

// parseThunderbird checks doc as Thunderbird reads it and returns the
// provider.
func parseThunderbird(t *testing.T, doc []byte) (tbProvider, []tbEntry, []tbEntry) {
	t.Helper()
	checkElements(t, doc, thunderbirdElements)
	var c tbConfig
	if err := xml.Unmarshal(doc, &c); err != nil {
		t.Fatalf("%v\n%s", err, doc)
	}
	if c.Version != "1.1" || len(c.Providers) != 1 {
		t.Fatalf("clientConfig version %q with %d emailProviders, want 1.1 with one", c.Version, len(c.Providers))
	}
	p := c.Providers[0]
	if !validDomain(p.ID) || len(p.Domains) == 0 {
		t.Errorf("emailProvider id %q, domains %q: want a host name and at least one domain", p.ID, p.Domains)
	}
	for _, d := range p.Domains {
		if !validDomain(d) {
			t.Errorf("domain %q is not a host name", d)
		}
	}
	if len(p.DisplayName) != 1 || len(p.DisplayShortName) > 1 {
		t.Errorf("displayName %q, displayShortName %q", p.DisplayName, p.DisplayShortName)
	}
	server := func(s tbServer, types, auth []string) tbEntry {
		one := func(name string, v []string) string {
			if len(v) != 1 || strings.TrimSpace(v[0]) == "" {
				t.Errorf("%s server: <%s> %q, want exactly one", s.Type, name, v)
				return ""
			}
			return v[0]
		}
		host, portText := one("hostname", s.Hostname), one("port", s.Port)
		socket, a, user := one("socketType", s.SocketType), one("authentication", s.Authentication), one("username", s.Username)
		port, err := strconv.Atoi(portText)
		switch {
		case !slices.Contains(types, s.Type):
			t.Errorf("server type %q, want one of %q", s.Type, types)
		case !validDomain(host):
			t.Errorf("hostname %q", host)
		case err != nil || port < 1 || port > 65535:
			t.Errorf("port %q", portText)
		case !slices.Contains(thunderbirdSocketTypes, socket):
			t.Errorf("socketType %q, want one of %q", socket, thunderbirdSocketTypes)
		case !slices.Contains(auth, a):
			t.Errorf("authentication %q, want one of %q", a, auth)
		case user != "%EMAILADDRESS%":
			t.Errorf("username %q, want %%EMAILADDRESS%% (the server takes the full address)", user)
		}
		return tbEntry{s.Type, host, port, socket}
	}
	var in, out []tbEntry
	for _, s := range p.Incoming {
		in = append(in, server(s, thunderbirdIncomingTypes, thunderbirdIncomingAuth))
	}
	for _, s := range p.Outgoing {
		out = append(out, server(s, []string{"smtp"}, thunderbirdOutgoingAuth))
	}
	return p, in, out
}

// TestThunderbirdAutoconfig: both paths give the file that describes
// every listener, implicit TLS first, the host name clients connect to,
// and the full address as user name.
func TestThunderbirdAutoconfig(t *testing.T) {
	srv := startAutoconfig(t, testSettingsConfig())
	wantIn := []tbEntry{{"imap", "mail.a.test", 1993, "SSL"}, {"imap", "mail.a.test", 1143, "STARTTLS"},
		{"pop3", "mail.a.test", 1995, "SSL"}, {"pop3", "mail.a.test", 1110, "STARTTLS"}}
	wantOut := []tbEntry{{"smtp", "mail.a.test", 2465, "SSL"}, {"smtp", "mail.a.test", 2587, "STARTTLS"}}
	for _, tc := range []struct{ path, provider string }{
		{"/mail/config-v1.1.xml?emailaddress=alice%40b.test", "b.test"},
		{"/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=Alice@B.Test", "b.test"},
		{"/mail/config-v1.1.xml", "mail.a.test"},
	} {
		status, body := get(t, srv, tc.path)
		if status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", tc.path, status, body)
		}
		p, in, out := parseThunderbird(t, body)
		if p.ID != tc.provider || p.Domains[0] != tc.provider || !slices.Contains(p.Domains, "mail.a.test") || !slices.Contains(p.Domains, "b.test") {
			t.Errorf("GET %s: provider %q for domains %q, want %q first of both", tc.path, p.ID, p.Domains, tc.provider)
		}
		if !slices.Equal(in, wantIn) || !slices.Equal(out, wantOut) {
			t.Errorf("GET %s:\nincoming %v\n    want %v\noutgoing %v\n    want %v", tc.path, in, wantIn, out, wantOut)
		}
	}

	for _, tc := range []struct {
		path   string
		status int
	}{
		{"/mail/config-v1.1.xml?emailaddress=alice%40other.test", http.StatusNotFound}, // not our domain
		{"/mail/config-v1.1.xml?emailaddress=alice", http.StatusBadRequest},
		{"/mail/config-v1.1.xml?emailaddress=a%0D%0Ab%40b.test", http.StatusBadRequest},
		{"/mail/config-v1.1.xml?emailaddress=alice%40b..test", http.StatusBadRequest},
		{"/mail/config-v1.1.xml?emailaddress=" + strings.Repeat("a", 300) + "%40b.test", http.StatusBadRequest},
		{"/mail/config-v1.2.xml", http.StatusNotFound},
	} {
		if status, body := get(t, srv, tc.path); status != tc.status {
			t.Errorf("GET %.80s: %d %s, want %d", tc.path, status, body, tc.status)
		}
	}
	if status, _ := post(t, srv, "/mail/config-v1.1.xml", ""); status != http.StatusMethodNotAllowed {
		t.Errorf("POST config-v1.1.xml: %d, want 405", status)
	}
}

// TestThunderbirdAutoconfigListenersOff: a listener that is off is not
// described.
func TestThunderbirdAutoconfigListenersOff(t *testing.T) {
	cfg := testSettingsConfig()
	cfg.imap, cfg.pop3, cfg.pop3s, cfg.submission = "", "", "", ""
	srv := startAutoconfig(t, cfg)
	_, body := get(t, srv, "/mail/config-v1.1.xml?emailaddress=alice@b.test")
	_, in, out := parseThunderbird(t, body)
	if want := []tbEntry{{"imap", "mail.a.test", 1993, "SSL"}}; !slices.Equal(in, want) {
		t.Errorf("incoming %v, want %v", in, want)
	}
	if want := []tbEntry{{"smtp", "mail.a.test", 2465, "SSL"}}; !slices.Equal(out, want) {
		t.Errorf("outgoing %v, want %v", out, want)
	}

	cfg.imaps = ""
	if _, err := settingsFromConfig(cfg); err == nil {
		t.Error("settings without IMAP and POP3 listeners: no error")
	}
}

// Microsoft's POX Autodiscover: the response schema's namespaces and
// the Protocol (POX) children (the Exchange reference and the Outlook
// schema for POP3/IMAP/SMTP accounts).
const (
	poxNS     = "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"
	outlookNS = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"
)

var (
	poxElements = map[string][]string{
		"":             {"Autodiscover"},
		"Autodiscover": {"Response"},
		"Response":     {"User", "Account", "Error"},
		"User":         {"DisplayName", "LegacyDN", "DeploymentId", "AutoDiscoverSMTPAddress"},
		"Account":      {"AccountType", "Action", "MicrosoftOnline", "RedirectUrl", "RedirectAddr", "Image", "ServiceHome", "Protocol", "PublicFolderInformation"},
		"Protocol": {"Type", "Internal", "External", "TTL", "Server", "ServerDN", "ServerVersion", "MdbDN", "PublicFolderServer",
			"Port", "DirectoryPort", "ReferralPort", "ASUrl", "EwsUrl", "EmwsUrl", "SharingUrl", "EcpUrl", "OOFUrl", "OABUrl", "UMUrl",
			"EwsPartnerUrl", "LoginName", "DomainRequired", "DomainName", "SPA", "AuthPackage", "CertPrincipalName", "SSL",
			"AuthRequired", "UsePOPAuth", "SMTPLast", "NetworkRequirements", "AddressBook", "MailStore", "Encryption"},
		"Error": {"ErrorCode", "Message", "DebugData"},
	}
	poxProtocolTypes = []string{"POP3", "SMTP", "IMAP", "DAV", "WEB", "EXCH", "EXPR", "EXHTTP"}
	poxOnOff         = []string{"on", "off"}
	poxEncryptions   = []string{"None", "SSL", "TLS", "Auto"}
)

type adDoc struct {
	XMLName  xml.Name   `xml:"http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006 Autodiscover"`
	Response adResponse `xml:"Response"`
}

type adResponse struct {
	XMLName xml.Name    // namespace checked: the Outlook schema's, or the root's for an Error
	User    []adUser    `xml:"User"`
	Account []adAccount `xml:"Account"`
	Error   []adError   `xml:"Error"`
}

type adUser struct {
	DisplayName string `xml:"DisplayName"`
}

type adAccount struct {
	AccountType []string     `xml:"AccountType"`
	Action      []string     `xml:"Action"`
	Protocol    []adProtocol `xml:"Protocol"`
}

type adProtocol struct {
	Type, Server, Port, LoginName                []string
	DomainRequired, SPA, SSL, AuthRequired       []string
	Encryption, UsePOPAuth, SMTPLast, DomainName []string
}

type adError struct {
	Time      string `xml:"Time,attr"`
	ID        string `xml:"Id,attr"`
	ErrorCode string `xml:"ErrorCode"`
	Message   string `xml:"Message"`
}

// adEntry is what a Protocol says, for comparing with the listeners.
type adEntry struct {
	typ, server string
	port        int
	login, tls  string
}

// parseAutodiscover checks doc against the POX response schema and
// returns the account's protocols, or the error code of an error
// response.
func parseAutodiscover(t *testing.T, doc []byte) ([]adEntry, string) {
	t.Helper()
	checkElements(t, doc, poxElements)
	var d adDoc
	if err := xml.Unmarshal(doc, &d); err != nil {
		t.Fatalf("%v\n%s", err, doc)
	}
	r := d.Response
	if len(r.Error) > 0 {
		if r.XMLName.Space != poxNS || len(r.Error) != 1 || r.Error[0].ErrorCode == "" || r.Error[0].Message == "" || r.Error[0].Time == "" || r.Error[0].ID == "" {
			t.Errorf("error response %+v in namespace %q: want one Error with Time, Id, ErrorCode and Message", r.Error, r.XMLName.Space)
		}
		return nil, r.Error[0].ErrorCode
	}
	if r.XMLName.Space != outlookNS {
		t.Errorf("Response in namespace %q, want %q", r.XMLName.Space, outlookNS)
	}
	if len(r.Account) != 1 {
		t.Fatalf("%d Account elements, want 1 (required)", len(r.Account))
	}
	a := r.Account[0]
	if !slices.Equal(a.AccountType, []string{"email"}) || !slices.Equal(a.Action, []string{"settings"}) || len(a.Protocol) == 0 {
		t.Fatalf("AccountType %q, Action %q, %d Protocols: want email, settings and at least one (all required)", a.AccountType, a.Action, len(a.Protocol))
	}
	var out []adEntry
	for _, p := range a.Protocol {
		one := func(name string, v []string, required bool, allowed []string) string {
			switch {
			case len(v) > 1 || (required && len(v) == 0):
				t.Errorf("<%s> %q: want one", name, v)
			case len(v) == 1 && allowed != nil && !slices.Contains(allowed, v[0]):
				t.Errorf("<%s>%s</%s>: want one of %q", name, v[0], name, allowed)
			case len(v) == 1:
				return v[0]
			}
			return ""
		}
		typ := one("Type", p.Type, true, poxProtocolTypes)
		server := one("Server", p.Server, true, nil)
		port, err := strconv.Atoi(one("Port", p.Port, false, nil))
		if err != nil || port < 1 || port > 65535 {
			t.Errorf("%s Port %q", typ, p.Port)
		}
		for name, v := range map[string][]string{"DomainRequired": p.DomainRequired, "SPA": p.SPA, "SSL": p.SSL,
			"AuthRequired": p.AuthRequired, "UsePOPAuth": p.UsePOPAuth, "SMTPLast": p.SMTPLast} {
			one(name, v, false, poxOnOff)
		}
		// SPA defaults to on (NTLM): a server taking PLAIN inside TLS must
		// say off. SSL defaults to on.
		if one("SPA", p.SPA, false, nil) != "off" || one("SSL", p.SSL, false, nil) == "off" || one("AuthRequired", p.AuthRequired, false, nil) != "on" {
			t.Errorf("%s: SPA %q SSL %q AuthRequired %q, want off, on, on", typ, p.SPA, p.SSL, p.AuthRequired)
		}
		out = append(out, adEntry{typ, server, port, one("LoginName", p.LoginName, false, nil), one("Encryption", p.Encryption, false, poxEncryptions)})
	}
	return out, ""
}

const autodiscoverRequest = `<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
  <Request>
    <EMailAddress>%s</EMailAddress>
    <AcceptableResponseSchema>%s</AcceptableResponseSchema>
  </Request>
</Autodiscover>`

func autodiscoverBody(addr, schema string) string {
	return strings.Replace(strings.Replace(autodiscoverRequest, "%s", addr, 1), "%s", schema, 1)
}

// TestOutlookAutodiscover: the POX answer gives the preferred IMAP, POP3
// and submission listener with the address as login name; bad requests
// get the documented error codes.
func TestOutlookAutodiscover(t *testing.T) {
	srv := startAutoconfig(t, testSettingsConfig())
	for _, path := range []string{"/autodiscover/autodiscover.xml", "/Autodiscover/Autodiscover.xml"} {
		status, body := post(t, srv, path, autodiscoverBody("Bob@b.test", outlookNS))
		if status != http.StatusOK {
			t.Fatalf("POST %s: %d %s", path, status, body)
		}
		got, code := parseAutodiscover(t, body)
		want := []adEntry{{"IMAP", "mail.a.test", 1993, "Bob@b.test", "SSL"}, {"POP3", "mail.a.test", 1995, "Bob@b.test", "SSL"},
			{"SMTP", "mail.a.test", 2465, "Bob@b.test", "SSL"}}
		if code != "" || !slices.Equal(got, want) {
			t.Errorf("POST %s: error %q, protocols\n%v\nwant\n%v", path, code, got, want)
		}
	}

	// With only the STARTTLS ports on, Encryption says TLS.
	cfg := testSettingsConfig()
	cfg.imaps, cfg.pop3s, cfg.pop3, cfg.submissions = "", "", "", ""
	_, body := post(t, startAutoconfig(t, cfg), "/autodiscover/autodiscover.xml", autodiscoverBody("bob@b.test", outlookNS))
	got, _ := parseAutodiscover(t, body)
	if want := []adEntry{{"IMAP", "mail.a.test", 1143, "bob@b.test", "TLS"}, {"SMTP", "mail.a.test", 2587, "bob@b.test", "TLS"}}; !slices.Equal(got, want) {
		t.Errorf("STARTTLS only: %v, want %v", got, want)
	}

	for _, tc := range []struct{ name, body, code string }{
		{"ActiveSync schema", autodiscoverBody("bob@b.test", "http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006"), "601"},
		{"no schema", `<Autodiscover><Request><EMailAddress>bob@b.test</EMailAddress></Request></Autodiscover>`, "601"},
		{"not our domain", autodiscoverBody("bob@other.test", outlookNS), "600"},
		{"no address", autodiscoverBody("", outlookNS), "600"},
		{"bad address", autodiscoverBody("bob", outlookNS), "600"},
		{"not XML", "EMailAddress=bob@b.test", "600"},
		{"other root", `<Request><EMailAddress>bob@b.test</EMailAddress></Request>`, "600"},
		{"unclosed", autodiscoverBody("bob@b.test", outlookNS)[:150], "600"},
	} {
		status, body := post(t, srv, "/autodiscover/autodiscover.xml", tc.body)
		if _, code := parseAutodiscover(t, body); status != http.StatusOK || code != tc.code {
			t.Errorf("%s: %d, error code %q, want 200 with %s\n%s", tc.name, status, code, tc.code, body)
		}
	}
	big := autodiscoverBody("bob@b.test", outlookNS) + strings.Repeat(" ", maxAutodiscoverBody)
	if status, _ := post(t, srv, "/autodiscover/autodiscover.xml", big); status != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized request: %d, want 413", status)
	}
	if status, _ := get(t, srv, "/autodiscover/autodiscover.xml"); status != http.StatusMethodNotAllowed {
		t.Errorf("GET autodiscover.xml: %d, want 405", status)
	}
}

// Apple's property list: the elements of the PropertyList-1.0 DTD.
var plistElements = map[string][]string{
	"":      {"plist"},
	"plist": {"dict"},
	"dict":  {"key", "string", "integer", "true", "false", "array", "dict", "data", "date", "real"},
	"array": {"dict", "string", "integer", "true", "false", "array", "data", "date", "real"},
}

// readPlistDict reads the dictionary that d has just entered into a map
// of key to value (a string, "true"/"false", or a nested []map for an
// array of dictionaries).
func readPlistDict(t *testing.T, d *xml.Decoder) map[string]any {
	t.Helper()
	out := map[string]any{}
	var key string
	for {
		tok, err := d.Token()
		if err != nil {
			t.Fatal(err)
		}
		switch tok := tok.(type) {
		case xml.EndElement:
			return out
		case xml.StartElement:
			switch tok.Name.Local {
			case "key":
				d.DecodeElement(&key, &tok)
			case "string", "integer":
				var v string
				d.DecodeElement(&v, &tok)
				out[key] = v
			case "true", "false":
				out[key] = tok.Name.Local
				d.Skip()
			case "array":
				var list []map[string]any
				for {
					tok, _ := d.Token()
					if _, end := tok.(xml.EndElement); end {
						break
					}
					if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "dict" {
						list = append(list, readPlistDict(t, d))
					}
				}
				out[key] = list
			}
		}
	}
}

// TestAppleMobileconfig: the profile holds one mail account payload with
// the preferred IMAP and submission listeners, TLS on both.
func TestAppleMobileconfig(t *testing.T) {
	srv := startAutoconfig(t, testSettingsConfig())
	resp, err := srv.Client().Get(srv.URL + "/email.mobileconfig?emailaddress=carol@b.test")
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/x-apple-aspen-config" {
		t.Fatalf("%d %s: %s", resp.StatusCode, resp.Header.Get("Content-Type"), doc)
	}
	checkElements(t, doc, plistElements)
	d := xml.NewDecoder(bytes.NewReader(doc))
	for {
		tok, err := d.Token()
		if err != nil {
			t.Fatal(err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "dict" {
			break
		}
	}
	profile := readPlistDict(t, d)
	if profile["PayloadType"] != "Configuration" || profile["PayloadVersion"] != "1" || profile["PayloadIdentifier"] == nil || len(profile["PayloadUUID"].(string)) != 36 {
		t.Errorf("profile %v", profile)
	}
	payloads, _ := profile["PayloadContent"].([]map[string]any)
	if len(payloads) != 1 {
		t.Fatalf("PayloadContent %v, want one payload", profile["PayloadContent"])
	}
	want := map[string]string{
		"PayloadType": "com.apple.mail.managed", "EmailAccountType": "EmailTypeIMAP", "EmailAddress": "carol@b.test",
		"IncomingMailServerHostName": "mail.a.test", "IncomingMailServerPortNumber": "1993", "IncomingMailServerUseSSL": "true",
		"IncomingMailServerUsername": "carol@b.test", "IncomingMailServerAuthentication": "EmailAuthPassword",
		"OutgoingMailServerHostName": "mail.a.test", "OutgoingMailServerPortNumber": "2465", "OutgoingMailServerUseSSL": "true",
		"OutgoingMailServerUsername": "carol@b.test", "OutgoingMailServerAuthentication": "EmailAuthPassword", "PayloadVersion": "1",
	}
	for k, v := range want {
		if payloads[0][k] != v {
			t.Errorf("payload %s = %v, want %s", k, payloads[0][k], v)
		}
	}
	if payloads[0]["PayloadUUID"] == profile["PayloadUUID"] {
		t.Error("the payload and the profile share a UUID")
	}
	// Python's plistlib, an independent reader, takes it with the types
	// Apple's reference gives (integer ports, boolean SSL).
	if python, err := exec.LookPath("python3"); err == nil {
		script := `import plistlib, sys
p = plistlib.loads(sys.stdin.buffer.read())["PayloadContent"][0]
assert p["IncomingMailServerPortNumber"] == 1993 and p["OutgoingMailServerUseSSL"] is True, p
print("ok")`
		cmd := exec.Command(python, "-c", script)
		cmd.Stdin = bytes.NewReader(doc)
		if out, err := cmd.CombinedOutput(); err != nil || strings.TrimSpace(string(out)) != "ok" {
			t.Errorf("plistlib: %v\n%s", err, out)
		}
	}
	if status, _ := get(t, srv, "/email.mobileconfig"); status != http.StatusBadRequest {
		t.Errorf("without emailaddress: %d, want 400", status)
	}
}
