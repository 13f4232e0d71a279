package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/xml"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
)

// Apple's configuration profile (.mobileconfig) with one mail account
// payload (PayloadType com.apple.mail.managed), as Apple's Configuration
// Profile Reference describes it. Unsigned: the device says so when
// installing it.

// plistValue is a property list value: string, int, bool, []plistDict or
// plistDict.
type plistValue any

// plistDict is a dictionary; its keys keep their order.
type plistDict []struct {
	key   string
	value plistValue
}

func (d *plistDict) set(key string, v plistValue) {
	*d = append(*d, struct {
		key   string
		value plistValue
	}{key, v})
}

// writePlist writes v in the property list XML format.
func writePlist(b *bytes.Buffer, v plistValue) {
	switch v := v.(type) {
	case string:
		b.WriteString("<string>")
		xml.EscapeText(b, []byte(v))
		b.WriteString("</string>")
	case int:
		fmt.Fprintf(b, "<integer>%d</integer>", v)
	case bool:
		if v {
			b.WriteString("<true/>")
		} else {
			b.WriteString("<false/>")
		}
	case []plistDict:
		b.WriteString("<array>\n")
		for _, d := range v {
			writePlist(b, d)
		}
		b.WriteString("</array>")
	case plistDict:
		b.WriteString("<dict>\n")
		for _, kv := range v {
			b.WriteString("<key>")
			xml.EscapeText(b, []byte(kv.key))
			b.WriteString("</key>")
			writePlist(b, kv.value)
		}
		b.WriteString("</dict>")
	}
	b.WriteString("\n")
}

// profileUUID derives a stable UUID (version 5 layout) from name, so
// that fetching the profile again replaces the installed one.
func profileUUID(name string) string {
	h := sha256.Sum256([]byte("mailwright mobileconfig " + name))
	h[6] = h[6]&0x0f | 0x50
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%X-%X-%X-%X-%X", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// mobileconfig returns the profile for addr: the preferred incoming
// endpoint (IMAP if there is one) and the preferred submission endpoint.
func mobileconfig(s *accountSettings, addr emailAddress) []byte {
	in, out := s.incoming[0], s.outgoing[0]
	accountType := "EmailTypeIMAP"
	if in.protocol == "pop3" {
		accountType = "EmailTypePOP"
	}
	labels := strings.Split(s.hostname, ".")
	slices.Reverse(labels)
	id := strings.Join(labels, ".") + ".mailwright." + strings.ToLower(profileUUID(addr.String())[:8])
	var mail plistDict
	mail.set("EmailAccountDescription", addr.String())
	mail.set("EmailAccountType", accountType)
	mail.set("EmailAddress", addr.String())
	mail.set("IncomingMailServerAuthentication", "EmailAuthPassword")
	mail.set("IncomingMailServerHostName", s.hostname)
	mail.set("IncomingMailServerPortNumber", in.port)
	mail.set("IncomingMailServerUseSSL", true)
	mail.set("IncomingMailServerUsername", addr.String())
	mail.set("OutgoingMailServerAuthentication", "EmailAuthPassword")
	mail.set("OutgoingMailServerHostName", s.hostname)
	mail.set("OutgoingMailServerPortNumber", out.port)
	mail.set("OutgoingMailServerUseSSL", true)
	mail.set("OutgoingMailServerUsername", addr.String())
	mail.set("OutgoingPasswordSameAsIncomingPassword", true)
	mail.set("PayloadDisplayName", "Mail account "+addr.String())
	mail.set("PayloadIdentifier", id+".email")
	mail.set("PayloadType", "com.apple.mail.managed")
	mail.set("PayloadUUID", profileUUID(addr.String()+" email"))
	mail.set("PayloadVersion", 1)
	var profile plistDict
	profile.set("PayloadContent", []plistDict{mail})
	profile.set("PayloadDisplayName", "Mail for "+addr.String())
	profile.set("PayloadIdentifier", id)
	profile.set("PayloadType", "Configuration")
	profile.set("PayloadUUID", profileUUID(addr.String()))
	profile.set("PayloadVersion", 1)
	var b bytes.Buffer
	b.WriteString(xml.Header)
	b.WriteString(`<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">` + "\n")
	b.WriteString(`<plist version="1.0">` + "\n")
	writePlist(&b, profile)
	b.WriteString("</plist>\n")
	return b.Bytes()
}

// serveMobileconfig answers GET email.mobileconfig?emailaddress=.
func serveMobileconfig(s *accountSettings, w http.ResponseWriter, r *http.Request, logger *slog.Logger) {
	addr, ok, status, err := addressFromQuery(s, r)
	if err == nil && !ok {
		status, err = http.StatusBadRequest, fmt.Errorf("emailaddress is required")
	}
	if err != nil {
		http.Error(w, err.Error(), status)
		return
	}
	logger.Debug("autoconfig: Apple profile", "address", addr.String(), "remote", r.RemoteAddr)
	w.Header().Set("Content-Type", "application/x-apple-aspen-config")
	w.Header().Set("Content-Disposition", `attachment; filename="email.mobileconfig"`)
	w.Write(mobileconfig(s, addr))
}
