package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// A saved store is a directory:
//
//	DIR/current          symlink to the version in use, e.g. "v000002"
//	DIR/v000002/         manifest.json, embeddings.npy, ids.npy (scales.npy)
//	DIR/manifest.json    symlink to current/manifest.json, and so on for
//	                     each file, so that DIR/embeddings.npy opens
//
// Save writes a new version in a temporary directory inside DIR, fsyncs
// its files and itself, renames it to the next version name, then points
// current at it by renaming a new symlink over the old one: rename(2) is
// atomic, so a reader (or a crash) sees the old version or the new one,
// never a mix. Leftovers of an interrupted save (a temporary directory, a
// version current does not name) are ignored by Open and removed by the
// next Save or Open that can take the directory's lock.
//
// A directory that simply holds the files (manifest.json and the .npy
// files, as a tar stream unpacks) opens too, read-only: Save will not
// write over it.

const (
	currentLink = "current"
	lockFile    = ".lock"
	tmpPrefix   = ".tmp-"
)

var versionName = regexp.MustCompile(`^v[0-9]{6,}$`)

// resolveDir returns the directory holding the files of the store in dir.
func resolveDir(dir string) (string, error) {
	target, err := os.Readlink(filepath.Join(dir, currentLink))
	switch {
	case err == nil:
		if !versionName.MatchString(target) {
			return "", fmt.Errorf("store: open %s: %s points to %q, not a version directory", dir, currentLink, target)
		}
		base := filepath.Join(dir, target)
		if _, err := os.Stat(base); err != nil {
			return "", opErr(err, "open %s: %s points to %s, which is missing", dir, currentLink, target)
		}
		return base, nil
	case !errors.Is(err, fs.ErrNotExist):
		return "", opErr(err, "open %s", dir)
	}
	if st, err := os.Lstat(filepath.Join(dir, ManifestFile)); err == nil && st.Mode().IsRegular() {
		return dir, nil
	}
	if _, err := os.Stat(dir); err != nil {
		return "", opErr(err, "open %s", dir)
	}
	return "", fmt.Errorf("store: open %s: no store there (no %s, no %s)", dir, currentLink, ManifestFile)
}

// currentVersion returns the version number current names, 0 if none.
func currentVersion(dir string) int {
	target, err := os.Readlink(filepath.Join(dir, currentLink))
	if err != nil || !versionName.MatchString(target) {
		return 0
	}
	n, _ := strconv.Atoi(target[1:])
	return n
}

// checkSaveTarget fails unless dir is empty or a store that Save wrote.
func checkSaveTarget(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	links := map[string]bool{ManifestFile: true, EmbeddingsFile: true, IDsFile: true, ScalesFile: true}
	for _, e := range entries {
		name := e.Name()
		switch {
		case name == currentLink || name == lockFile || strings.HasPrefix(name, tmpPrefix) || versionName.MatchString(name):
		case links[name] && e.Type()&fs.ModeSymlink != 0:
		case links[name]:
			return fmt.Errorf("%s holds a plain copy of a store (%s is a file, not a link); save to a new directory", dir, name)
		default:
			return fmt.Errorf("%s is neither empty nor a silica store (it holds %q)", dir, name)
		}
	}
	return nil
}

// cleanup removes what interrupted saves left: temporary directories and
// links, and version directories current does not name. The caller holds
// the directory's lock.
func cleanup(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	cur, _ := os.Readlink(filepath.Join(dir, currentLink))
	removed := false
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, tmpPrefix) || (versionName.MatchString(name) && name != cur) {
			if err := os.RemoveAll(filepath.Join(dir, name)); err != nil {
				return err
			}
			removed = true
		}
	}
	if removed {
		return syncDir(dir)
	}
	return nil
}

// syncDir fsyncs a directory, making the creation, removal and renaming
// of its entries durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// replaceLink makes name in dir a symlink to target, atomically: a new
// link renamed over the old name.
func replaceLink(dir, name, target string) error {
	tmp := filepath.Join(dir, tmpPrefix+name)
	_ = os.Remove(tmp)
	if err := os.Symlink(target, tmp); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, name))
}
