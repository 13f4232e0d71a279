package mailbox

import "slices"

// LocalDomains returns a copy of Domains. A delivery.Agent without
// Domains of its own takes its local domains from here, so that they are
// written once and mail is accepted for exactly the addresses that can
// log in: alice@example.org never receives mail that she cannot read
// because the accounts do not know example.org.
func (a *AccountsFile) LocalDomains() []string { return slices.Clone(a.Domains) }

// LocalDomains returns a copy of Domains, as AccountsFile.LocalDomains
// does.
func (m *MemoryAccounts) LocalDomains() []string { return slices.Clone(m.Domains) }
