package mailbox

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"slices"
	"strconv"
	"time"
)

// The response tracker remembers, per user, keys until a time: the
// senders a vacation reply went to (RFC 5230 4.2), the messages the
// duplicate test saw (RFC 7352), the script versions whose failure the
// user was told about. It is a log in mailwright-sieve/tracker:
//
//	MWTRK1
//	<key hash> <until, Unix seconds>
//
// Each Record appends a line and fsyncs it before returning, so a reply
// is never sent twice because of a crash. The log is read once per user
// and compacted (expired entries dropped, atomic replace) when it has
// grown well past the live entries. Keys are stored hashed: they may hold
// addresses, and their length is then fixed.
const (
	sieveTrackerFile   = "tracker"
	sieveTrackerHeader = "MWTRK1\n"
	trackerKeyLen      = 32 // hex digits of SHA-256 kept
)

// MaxTrackerEntries bounds the live entries of one user's tracker; past
// it, compaction forgets the entries that expire first.
const MaxTrackerEntries = 100000

// tracker is one user's loaded tracker (guarded by userState.sieveMu).
type tracker struct {
	until   map[string]int64 // key hash -> Unix seconds
	records int              // lines in the log
	f       wfile            // the log, open for appending
}

func trackerKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])[:trackerKeyLen]
}

// SieveSeen reports whether key was recorded for user and has not
// expired. It and SieveRecord are the response tracking of Sieve
// vacation and duplicate (sieve.Tracker, per user).
func (s *Store) SieveSeen(ctx context.Context, user, key string) (bool, error) {
	us, err := s.sieveUser(user)
	if err != nil {
		return false, err
	}
	us.sieveMu.Lock()
	defer us.sieveMu.Unlock()
	tr, err := s.loadTracker(user, us)
	if err != nil {
		return false, err
	}
	return tr.until[trackerKey(key)] > time.Now().Unix(), nil
}

// SieveRecord remembers key for user until the given time, durably
// before it returns. A later time replaces an earlier one.
func (s *Store) SieveRecord(ctx context.Context, user, key string, until time.Time) error {
	us, err := s.sieveUser(user)
	if err != nil {
		return err
	}
	us.sieveMu.Lock()
	defer us.sieveMu.Unlock()
	tr, err := s.loadTracker(user, us)
	if err != nil {
		return err
	}
	k, u := trackerKey(key), until.Unix()
	if tr.records > 2*len(tr.until)+1024 || len(tr.until) >= MaxTrackerEntries {
		if err := s.compactTracker(user, tr); err != nil {
			return err
		}
	}
	if tr.f == nil {
		if err := s.openTrackerLog(user, tr); err != nil {
			return err
		}
	}
	line := k + " " + strconv.FormatInt(u, 10) + "\n"
	if _, err := io.WriteString(tr.f, line); err != nil {
		s.closeTracker(tr)
		return err
	}
	if err := tr.f.Sync(); err != nil {
		s.closeTracker(tr)
		return err
	}
	tr.records++
	if u > tr.until[k] {
		tr.until[k] = u
	}
	return nil
}

// loadTracker returns the user's tracker, reading its log the first time.
// A torn or damaged line (a crash in the middle of an append) is skipped.
func (s *Store) loadTracker(user string, us *userState) (*tracker, error) {
	if us.tracker != nil {
		return us.tracker, nil
	}
	tr := &tracker{until: map[string]int64{}}
	data, err := s.fs.ReadFile(sievePath(user, sieveTrackerFile))
	switch {
	case isNotExist(err):
	case err != nil:
		return nil, err
	default:
		parseTracker(data, tr)
	}
	us.tracker = tr
	return tr, nil
}

// parseTracker reads a log into tr, skipping what it cannot read.
func parseTracker(data []byte, tr *tracker) {
	rest, ok := bytes.CutPrefix(data, []byte(sieveTrackerHeader))
	if !ok {
		return
	}
	now := time.Now().Unix()
	for len(rest) > 0 {
		line, after, found := bytes.Cut(rest, []byte("\n"))
		rest = after
		if !found {
			break // torn: never acknowledged
		}
		tr.records++
		k, u, ok := bytes.Cut(line, []byte(" "))
		if !ok || len(k) != trackerKeyLen {
			continue
		}
		until, err := strconv.ParseInt(string(u), 10, 64)
		if err != nil || until <= now {
			continue
		}
		if until > tr.until[string(k)] {
			tr.until[string(k)] = until
		}
	}
}

// openTrackerLog opens the log for appending, creating it (durably) with
// its header when it does not exist.
func (s *Store) openTrackerLog(user string, tr *tracker) error {
	if err := s.makeSieveDir(user); err != nil {
		return err
	}
	dir := userDir(user) + "/" + sieveDir
	path := sievePath(user, sieveTrackerFile)
	if _, err := s.fs.Stat(path); isNotExist(err) {
		if err := writeAtomicBytes(s.fs, dir, sieveTrackerFile, []byte(sieveTrackerHeader)); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	f, err := s.fs.OpenAppend(path)
	if err != nil {
		return err
	}
	tr.f = f
	return nil
}

func (s *Store) closeTracker(tr *tracker) {
	if tr.f != nil {
		tr.f.Close()
		tr.f = nil
	}
}

// compactTracker rewrites the log with the live entries only, at most
// MaxTrackerEntries of them (those that expire last).
func (s *Store) compactTracker(user string, tr *tracker) error {
	now := time.Now().Unix()
	type entry struct {
		k string
		u int64
	}
	live := make([]entry, 0, len(tr.until))
	for k, u := range tr.until {
		if u > now {
			live = append(live, entry{k, u})
		}
	}
	if len(live) >= MaxTrackerEntries {
		slices.SortFunc(live, func(a, b entry) int { return cmp.Compare(b.u, a.u) })
		live = live[:MaxTrackerEntries*3/4]
	}
	s.closeTracker(tr)
	err := writeAtomic(s.fs, userDir(user)+"/"+sieveDir, sieveTrackerFile, func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		bw.WriteString(sieveTrackerHeader)
		for _, e := range live {
			bw.WriteString(e.k + " " + strconv.FormatInt(e.u, 10) + "\n")
		}
		return bw.Flush()
	})
	if err != nil {
		return err
	}
	tr.until = make(map[string]int64, len(live))
	for _, e := range live {
		tr.until[e.k] = e.u
	}
	tr.records = len(live)
	return nil
}

// closeTrackers closes the tracker logs of every user (Store.Close).
func (s *Store) closeTrackers() {
	s.mu.Lock()
	users := make([]*userState, 0, len(s.users))
	for _, us := range s.users {
		users = append(users, us)
	}
	s.mu.Unlock()
	for _, us := range users {
		us.sieveMu.Lock()
		if us.tracker != nil {
			s.closeTracker(us.tracker)
		}
		us.sieveMu.Unlock()
	}
}
