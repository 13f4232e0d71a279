package main

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func fuzzSettings(t testing.TB) *accountSettings {
	s, err := settingsFromConfig(testSettingsConfig())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// checkParsedAddress: an accepted address is bounded, has no control
// characters or spaces, and reads back as itself.
func checkParsedAddress(t *testing.T, a emailAddress) {
	t.Helper()
	s := a.String()
	if len(s) > maxAddressLength || strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		t.Fatalf("accepted %q", s)
	}
	again, err := parseEmailAddress(s)
	if err != nil || again != a {
		t.Fatalf("%q reads back as %q, %v", s, again, err)
	}
}

// FuzzAutodiscoverRequest: any POST body gives a settings answer for an
// address of ours or a POX error 600/601, always a document that the
// schema check reads.
func FuzzAutodiscoverRequest(f *testing.F) {
	f.Add([]byte(autodiscoverBody("bob@b.test", outlookNS)))
	f.Add([]byte(autodiscoverBody("bob@other.test", outlookNS)))
	f.Add([]byte(autodiscoverBody("bob@b.test", "http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006")))
	f.Add([]byte(`<Autodiscover><Request><EMailAddress>a@b.test</EMailAddress><EMailAddress>c@b.test</EMailAddress></Request></Autodiscover>`))
	f.Add([]byte(`<?xml version="1.0" encoding="utf-16"?><Autodiscover/>`))
	f.Add([]byte(`<!DOCTYPE x [<!ENTITY a "aaaa">]><Autodiscover><Request><EMailAddress>&a;@b.test</EMailAddress></Request></Autodiscover>`))
	f.Add([]byte("<Autodiscover><Request><EMailAddress>a\x00@b.test</EMailAddress>"))
	f.Add([]byte{})
	settings := fuzzSettings(f)
	handler := autoconfigHandler(settings, slog.New(slog.DiscardHandler))
	f.Fuzz(func(t *testing.T, body []byte) {
		addr, err := parseAutodiscoverRequest(body)
		var pe *poxError
		switch {
		case err == nil:
			checkParsedAddress(t, addr)
		case !errors.As(err, &pe) || (pe.code != 600 && pe.code != 601):
			t.Fatalf("error %v, want a POX error 600 or 601", err)
		}
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/autodiscover/autodiscover.xml", bytes.NewReader(body)))
		if w.Code == http.StatusRequestEntityTooLarge {
			return
		}
		protocols, code := parseAutodiscover(t, w.Body.Bytes())
		if (err == nil && settings.serves(addr.domain)) != (code == "" && len(protocols) > 0) {
			t.Fatalf("parse error %v, domain %q: answered error %q with %d protocols", err, addr.domain, code, len(protocols))
		}
	})
}

// FuzzEmailAddressQuery: any query string gives Thunderbird's file (for
// an address of ours, or none), 400 or 404; never an address with
// control characters.
func FuzzEmailAddressQuery(f *testing.F) {
	for _, q := range []string{"emailaddress=alice%40b.test", "emailaddress=Alice@B.TEST.", "emailaddress=alice", "emailaddress=%00@b.test",
		"emailaddress=a%40b%40b.test", "emailaddress=&emailaddress=a@b.test", "emailaddress=a%20b@b.test", "", "x=1", "emailaddress=a@-b.test",
		"emailaddress=%E2%82%AC@b.test", "emailaddress=%ff@b.test", "emailaddress=a@b.test%0a"} {
		f.Add(q)
	}
	settings := fuzzSettings(f)
	handler := autoconfigHandler(settings, slog.New(slog.DiscardHandler))
	f.Fuzz(func(t *testing.T, raw string) {
		r := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: "/mail/config-v1.1.xml", RawQuery: raw}}
		addr, ok, status, err := addressFromQuery(settings, r)
		switch {
		case err != nil && status != http.StatusBadRequest && status != http.StatusNotFound:
			t.Fatalf("error %v with status %d", err, status)
		case ok && !settings.serves(addr.domain):
			t.Fatalf("accepted %q, not a domain of ours", addr)
		case ok:
			checkParsedAddress(t, addr)
		}
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, r)
		switch {
		case err == nil && w.Code == http.StatusOK:
			parseThunderbird(t, w.Body.Bytes())
		case err == nil || w.Code != status:
			t.Fatalf("query %q: answered %d, want %d (%v)", raw, w.Code, status, err)
		}
	})
}
