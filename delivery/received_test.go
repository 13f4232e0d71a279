package delivery

import (
	"errors"
	"io"
	"net/netip"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

func TestAppendReceived(t *testing.T) {
	date := time.Date(2025, 3, 10, 9, 5, 7, 0, time.FixedZone("", 3600))
	for _, tc := range []struct {
		f    receivedFieldInfo
		want string
	}{
		{
			receivedFieldInfo{helo: "client.example", addr: netip.MustParseAddr("192.0.2.1"), by: "mx.example.org", protocol: "ESMTPS", id: "abc", rcpt: "bob@example.org", date: date},
			"Received: from client.example ([192.0.2.1])\r\n\tby mx.example.org (mailwright) with ESMTPS id abc\r\n\tfor <bob@example.org>;\r\n\tMon, 10 Mar 2025 09:05:07 +0100\r\n",
		},
		{
			receivedFieldInfo{helo: "", addr: netip.MustParseAddr("2001:db8::1%eth0"), by: "", protocol: "LMTP", id: "x", date: date},
			"Received: from unknown ([IPv6:2001:db8::1])\r\n\tby localhost (mailwright) with LMTP id x;\r\n\tMon, 10 Mar 2025 09:05:07 +0100\r\n",
		},
		{
			receivedFieldInfo{helo: "evil\r\n(x);<y>", addr: netip.MustParseAddr("::ffff:10.0.0.1"), by: "h", protocol: "ESMTP", id: "i", rcpt: "a>b\n@c", date: date},
			"Received: from evil___x___y_ ([10.0.0.1])\r\n\tby h (mailwright) with ESMTP id i\r\n\tfor <a_b_@c>;\r\n\tMon, 10 Mar 2025 09:05:07 +0100\r\n",
		},
	} {
		if got := string(appendReceived(nil, &tc.f)); got != tc.want {
			t.Errorf("got  %q\nwant %q", got, tc.want)
		}
	}
	if got := string(appendReturnPath(nil, "")); got != "Return-Path: <>\r\n" {
		t.Errorf("null sender: %q", got)
	}
}

func TestWithProtocol(t *testing.T) {
	for _, tc := range []struct {
		esmtp, lmtp, utf8, tls, auth bool
		want                         string
	}{
		{false, false, false, false, false, "SMTP"},
		{true, false, false, false, false, "ESMTP"},
		{true, false, false, false, true, "ESMTPA"},
		{true, false, false, true, false, "ESMTPS"},
		{true, false, false, true, true, "ESMTPSA"},
		{true, true, false, false, false, "LMTP"},
		{true, true, false, true, true, "LMTPSA"},
		{true, false, true, false, false, "UTF8SMTP"},
		{true, false, true, true, true, "UTF8SMTPSA"},
		{true, true, true, false, true, "UTF8LMTPA"},
	} {
		if got := withProtocol(tc.esmtp, tc.lmtp, tc.utf8, tc.tls, tc.auth); got != tc.want {
			t.Errorf("%+v: got %s", tc, got)
		}
	}
}

// countReceived is the reference for hopCounter: the header is the lines
// up to the first empty one (or "\r"); a field counts when its line starts
// with "received", any case, then spaces or tabs, then ':'.
func countReceived(msg string) int {
	n := 0
	for _, line := range strings.Split(msg, "\n") {
		if line == "" || line == "\r" {
			break
		}
		if len(line) < len(receivedName) || !strings.EqualFold(line[:len(receivedName)], receivedName) {
			continue
		}
		if rest := strings.TrimLeft(line[len(receivedName):], " \t"); strings.HasPrefix(rest, ":") {
			n++
		}
	}
	return n
}

func TestHopCounter(t *testing.T) {
	for _, tc := range []struct {
		msg  string
		want int
	}{
		{"Received: a\r\nreceived:b\r\nRECEIVED \t: c\r\nSubject: x\r\n\r\nReceived: body\r\n", 3},
		{"Received: a\n Received: folded\nX-Received: no\nReceivedX: no\nReceive: no\n\nReceived: body\n", 1},
		{"Subject: x\r\n\rReceived: a\r\n\r\n", 0},
		{"\r\nReceived: a\r\n", 0},
		{"Received: a\r\r\nReceived: b", 2},
		{"Received", 0},
	} {
		if got := countReceived(tc.msg); got != tc.want {
			t.Fatalf("reference counts %d in %q, want %d", got, tc.msg, tc.want)
		}
		for _, max := range []int{tc.want - 1, tc.want} {
			if max < 0 {
				continue
			}
			for _, r := range []io.Reader{strings.NewReader(tc.msg), iotest.OneByteReader(strings.NewReader(tc.msg))} {
				h := newHopCounter(r, max)
				out, err := io.ReadAll(h)
				if tc.want > max {
					if !errors.Is(err, errTooManyHops) {
						t.Errorf("%q, max %d: err %v", tc.msg, max, err)
					}
					continue
				}
				if err != nil || string(out) != tc.msg || h.n != tc.want {
					t.Errorf("%q, max %d: %q, %v, counted %d", tc.msg, max, out, err, h.n)
				}
			}
		}
	}
}

func TestParseReply(t *testing.T) {
	for _, tc := range []struct {
		in       string
		code     int
		enh, msg string
	}{
		{"250 2.0.0 Ok: queued as X", 250, "2.0.0", "Ok: queued as X"},
		{"250 Ok", 250, "", "Ok"},
		{"250 5.0.0 mismatched class", 250, "", "5.0.0 mismatched class"},
		{"garbage", 0, "", "garbage"},
	} {
		code, enh, msg := parseReply(tc.in)
		if code != tc.code || enh != tc.enh || msg != tc.msg {
			t.Errorf("%q: %d %q %q", tc.in, code, enh, msg)
		}
	}
}

func TestAddressLiteral(t *testing.T) {
	for in, want := range map[string]string{
		"[192.0.2.1]":        "192.0.2.1",
		"[IPv6:2001:db8::1]": "2001:db8::1",
		"[ipv6:::1]":         "::1",
		"example.org":        "",
		"[example.org]":      "",
		"[]":                 "",
	} {
		ip, ok := addressLiteral(in)
		if got := ""; ok {
			got = ip.String()
			if got != want {
				t.Errorf("%s: %s", in, got)
			}
		} else if want != "" {
			t.Errorf("%s: not a literal", in)
		}
	}
}
