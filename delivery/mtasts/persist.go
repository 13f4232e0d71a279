package mtasts

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// A cache that survives restarts keeps a policy in force between them:
// RFC 8461 10.2's defence against an attacker who blocks the policy
// fetch works only while the sender remembers the policy. The package
// touches no file system; Save and Load move the cache through any
// storage, and OnUpdate says when to save.

// savedEntry is one cached policy as Save writes it.
type savedEntry struct {
	Domain  string    `json:"domain"`
	ID      string    `json:"id"`
	Fetched time.Time `json:"fetched"`
	Policy  string    `json:"policy"`
}

// maxSavedCache bounds what Load reads.
const maxSavedCache = 64 << 20

// Save writes the unexpired cached policies as JSON.
func (c *Client) Save(w io.Writer) error {
	now := time.Now()
	var out []savedEntry
	c.mu.Lock()
	for d, e := range c.cache {
		if now.Before(e.expires()) {
			out = append(out, savedEntry{Domain: d, ID: e.id, Fetched: e.fetched, Policy: e.policy.String()})
		}
	}
	c.mu.Unlock()
	return json.NewEncoder(w).Encode(out)
}

// Load adds the policies that Save wrote to the cache, except those
// that have expired or that the cache holds newer. Each policy is parsed
// again, so a damaged file cannot smuggle in an invalid one.
func (c *Client) Load(r io.Reader) error {
	var in []savedEntry
	if err := json.NewDecoder(io.LimitReader(r, maxSavedCache)).Decode(&in); err != nil {
		return fmt.Errorf("mtasts: loading the cache: %w", err)
	}
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cache == nil {
		c.cache = make(map[string]*entry)
	}
	for _, s := range in {
		p, err := ParsePolicy([]byte(s.Policy))
		if err != nil {
			return fmt.Errorf("mtasts: loading the cache: %s: %w", s.Domain, err)
		}
		e := &entry{policy: p, id: s.ID, fetched: s.Fetched}
		if !now.Before(e.expires()) || s.Fetched.After(now) || len(c.cache) >= cmp.Or(c.MaxDomains, DefaultMaxDomains) {
			continue
		}
		if old := c.cache[s.Domain]; old != nil && !old.fetched.Before(s.Fetched) {
			continue
		}
		c.cache[s.Domain] = e
	}
	return nil
}
