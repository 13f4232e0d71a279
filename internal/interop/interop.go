// Package interop finds the independent clients that interop tests drive
// (Python, curl, swaks, fetchmail) and what each can do on this machine.
// A client that is missing, or built without a capability a test needs
// (swaks without Net::SSLeay has no TLS, curl may lack a protocol, Python
// its ssl module), skips the test with a message saying what to install:
// it is never a failure.
package interop

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// Need returns the path of the program name, or skips t when it is not
// installed.
func Need(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s is not installed; skipping this interop test", name)
	}
	return path
}

// NeedPython returns the path of python3 once it has imported each of the
// modules (e.g. "ssl"), or skips t.
func NeedPython(t testing.TB, modules ...string) string {
	t.Helper()
	python := Need(t, "python3")
	for _, m := range modules {
		if out, err := exec.Command(python, "-c", "import "+m).CombinedOutput(); err != nil {
			t.Skipf("python3 cannot import %s (%v: %s); skipping this interop test", m, err, strings.TrimSpace(string(out)))
		}
	}
	return python
}

// NeedCurl returns the path of curl once `curl --version` lists each of
// the capabilities, a protocol ("smtp", "pop3", "imap") or a feature
// ("SSL"), or skips t.
func NeedCurl(t testing.TB, capabilities ...string) string {
	t.Helper()
	curl, missing := FindCurl(capabilities...)
	if missing != "" {
		t.Skipf("%s; skipping this interop test", missing)
	}
	return curl
}

// FindCurl is NeedCurl for a test that can do without curl: it returns
// curl's path, or says what is missing.
func FindCurl(capabilities ...string) (path, missing string) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		return "", "curl is not installed"
	}
	out, _ := exec.Command(curl, "--version").Output()
	var have []string
	for _, line := range strings.Split(string(out), "\n") {
		if name, list, ok := strings.Cut(line, ":"); ok && (name == "Protocols" || name == "Features") {
			have = append(have, strings.Fields(list)...)
		}
	}
	for _, c := range capabilities {
		if !slices.ContainsFunc(have, func(h string) bool { return strings.EqualFold(h, c) }) {
			return "", "curl is built without " + c
		}
	}
	return curl, ""
}

// NeedSwaks returns the path of swaks once `swaks --support` says each of
// the features ("TLS", "Basic AUTH") is supported, or skips t. (swaks
// without the Perl module Net::SSLeay runs, but cannot do TLS.)
func NeedSwaks(t testing.TB, features ...string) string {
	t.Helper()
	swaks := Need(t, "swaks")
	out, _ := exec.Command(swaks, "--support").CombinedOutput()
	for _, f := range features {
		if !strings.Contains(string(out), "=== "+f+" supported") {
			t.Skipf("swaks cannot do %s here (swaks --support: %s); skipping this interop test", f, missingLine(string(out), f))
		}
	}
	return swaks
}

// NeedFetchmail returns the path of fetchmail once `fetchmail -V` lists
// each of the options ("SSL") as built in ("+SSL"), or skips t.
func NeedFetchmail(t testing.TB, options ...string) string {
	t.Helper()
	fetchmail := Need(t, "fetchmail")
	out, _ := exec.Command(fetchmail, "-V").CombinedOutput()
	first, _, _ := strings.Cut(string(out), "\n")
	for _, o := range options {
		if !strings.Contains(first, "+"+o) {
			t.Skipf("fetchmail is built without %s (%s); skipping this interop test", o, strings.TrimSpace(first))
		}
	}
	return fetchmail
}

// missingLine returns the line of a swaks --support report about feature,
// which says what it requires.
func missingLine(report, feature string) string {
	for _, line := range strings.Split(report, "\n") {
		if strings.Contains(line, " "+feature+" ") {
			return strings.TrimSpace(line)
		}
	}
	return "not listed"
}
