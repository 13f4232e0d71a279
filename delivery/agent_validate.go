package delivery

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// localDomainer is implemented by Accounts that know their local domains
// (mailbox.AccountsFile, mailbox.MemoryAccounts): an Agent without Domains
// takes theirs.
type localDomainer interface {
	LocalDomains() []string
}

// localDomains returns the effective local domains: Domains, or those of
// Accounts.
func (a *Agent) localDomains() []string {
	a.domainsOnce.Do(func() { a.domains = a.configuredDomains() })
	return a.domains
}

func (a *Agent) configuredDomains() []string {
	if len(a.Domains) > 0 {
		return a.Domains
	}
	if ld, ok := a.Accounts.(localDomainer); ok {
		return ld.LocalDomains()
	}
	return nil
}

// Validate reports a configuration that cannot work, so that a server
// refuses to start with it instead of failing at its first client
// (smtp.Server calls it before serving):
//
//   - no Accounts: every session would fail;
//   - neither Store nor Local: RCPT would be accepted and every message
//     lost after DATA;
//   - a domain in Domains that Accounts does not know (when Accounts
//     tells its domains, as mailbox.AccountsFile does): alice@example.org
//     would receive mail that she could not log in to read. Open the
//     accounts with the domains (mailbox.OpenAccountsFile(path,
//     "example.org")) and leave Domains empty;
//   - Sieve without Store: the scripts would never run;
//   - an invalid prefix in RelayNetworks.
func (a *Agent) Validate() error {
	var errs []string
	if err := a.unusable(); err != nil {
		errs = append(errs, err.Error())
	}
	if ld, ok := a.Accounts.(localDomainer); ok {
		known := ld.LocalDomains()
		for _, d := range a.Domains {
			if !slices.ContainsFunc(known, func(k string) bool { return sameDomain(k, d) }) {
				errs = append(errs, fmt.Sprintf("domain %s is not among the domains of Accounts [%s]: its users would receive mail at user@%s but could not log in with that name (give the accounts their domains and leave Agent.Domains empty)",
					d, strings.Join(known, " "), d))
			}
		}
	}
	if a.Sieve != nil && a.Store == nil {
		errs = append(errs, "Sieve is set but Store is not: Sieve runs where the Agent stores local mail (a LocalDeliverer filters itself)")
	}
	for _, p := range a.RelayNetworks {
		if !p.IsValid() {
			errs = append(errs, fmt.Sprintf("RelayNetworks holds an invalid prefix %v", p))
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errors.New("delivery: Agent: " + strings.Join(errs, "; "))
}

// unusable reports the mistakes of Validate that would break every
// session, cheaply enough to check for each one.
func (a *Agent) unusable() error {
	switch {
	case a.Accounts == nil:
		return errors.New("Accounts is nil")
	case a.Store == nil && a.Local == nil:
		return errors.New("neither Store nor Local is set: local mail has nowhere to go")
	}
	return nil
}

// sameDomain compares domain names without case and trailing dot.
func sameDomain(a, b string) bool {
	return strings.EqualFold(strings.TrimSuffix(a, "."), strings.TrimSuffix(b, "."))
}
