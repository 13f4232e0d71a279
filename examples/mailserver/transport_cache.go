package main

import (
	"bytes"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/mailwright/mailwright/delivery/mtasts"
)

// stsCacheFile is where the MTA-STS policy cache is kept between runs,
// in the data directory: a policy must stay in force across a restart,
// or an attacker who blocks its fetch then could strip TLS.
const stsCacheFile = "mta-sts-cache.json"

// persistSTSCache loads sts's cache from the data directory and saves it
// there after each change, atomically (a temporary file, fsync'd, then
// renamed, and the directory fsync'd).
func persistSTSCache(sts *mtasts.Client, dir string, logger *slog.Logger) error {
	path := filepath.Join(dir, stsCacheFile)
	f, err := os.Open(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return err
	default:
		err := sts.Load(f)
		f.Close()
		if err != nil {
			// A damaged cache costs fetches, not mail: start empty.
			logger.Warn("MTA-STS cache not loaded", "file", path, "err", err)
		}
	}
	var mu sync.Mutex // one save at a time
	sts.OnUpdate = func() {
		mu.Lock()
		defer mu.Unlock()
		var b bytes.Buffer
		if err := sts.Save(&b); err == nil {
			err = writeFileAtomic(path, b.Bytes())
		}
		if err != nil {
			logger.Warn("MTA-STS cache not saved", "file", path, "err", err)
		}
	}
	return nil
}

// writeFileAtomic replaces path with data: readers see the old file or
// the new one, and the new one survives a crash once this returns.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".tmp-"+filepath.Base(path))
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after the rename, there is nothing to remove
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
