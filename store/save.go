package store

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
)

// Save writes the store to dir (created if missing), atomically: after a
// crash at any point dir holds the store saved before or this one, and
// Open reads either. dir must be empty, missing, or a store Save wrote.
// The files (see Manifest) are NumPy .npy files: numpy.load reads
// dir/embeddings.npy and dir/ids.npy. Searches run on during a save;
// adds and deletes wait for it.
func (s *Store) Save(dir string) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if err := s.save(dir); err != nil {
		return opErr(err, "save %s", dir)
	}
	return nil
}

func (s *Store) save(dir string) error {
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return err
	}
	if err := syncDir(filepath.Dir(filepath.Clean(dir))); err != nil {
		return err
	}
	if err := checkSaveTarget(dir); err != nil {
		return err
	}
	unlock, err := lockDir(dir, true)
	if err != nil {
		return err
	}
	defer unlock()
	if err := cleanup(dir); err != nil {
		return err
	}
	tmp, err := mkdirTemp(dir)
	if err != nil {
		return err
	}
	m, err := s.writeFiles(&dirSink{dir: tmp})
	if err != nil {
		return err
	}
	if err := writeManifest(tmp, m); err != nil {
		return err
	}
	if err := syncDir(tmp); err != nil {
		return err
	}
	old := currentVersion(dir)
	version := fmt.Sprintf("v%06d", old+1)
	if err := hook("rename version"); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, version)); err != nil {
		return err
	}
	if err := syncDir(dir); err != nil {
		return err
	}
	if err := hook("switch current"); err != nil {
		return err
	}
	if err := replaceLink(dir, currentLink, version); err != nil {
		return err
	}
	if err := syncDir(dir); err != nil {
		return err
	}
	if err := hook("link names"); err != nil {
		return err
	}
	for _, name := range m.files() {
		if err := replaceLink(dir, name, filepath.Join(currentLink, name)); err != nil {
			return err
		}
	}
	if err := replaceLink(dir, ManifestFile, filepath.Join(currentLink, ManifestFile)); err != nil {
		return err
	}
	if len(m.files()) < 3 {
		_ = os.Remove(filepath.Join(dir, ScalesFile)) // a link left by an int8 store saved here before
	}
	if err := syncDir(dir); err != nil {
		return err
	}
	if err := hook("remove old"); err != nil {
		return err
	}
	return cleanup(dir)
}

// Modes of what a save creates, less the umask (see Permissions in the
// package doc).
const (
	dirMode  = 0o755
	fileMode = 0o644
)

// mkdirTemp makes a new directory for a save under way in dir, named
// tmpPrefix and a random suffix (cleanup removes what a crash left), with
// dirMode: os.MkdirTemp would make it 0700 whatever the umask.
func mkdirTemp(dir string) (string, error) {
	for range 100 {
		p := filepath.Join(dir, tmpPrefix+strconv.FormatUint(rand.Uint64(), 36))
		err := os.Mkdir(p, dirMode)
		if err == nil {
			return p, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", err
		}
	}
	return "", fmt.Errorf("no unused temporary name in %s", dir)
}

// createFile creates name for writing, with fileMode.
func createFile(name string) (*os.File, error) {
	return os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, fileMode)
}

// writeManifest writes m as manifest.json in dir and fsyncs it.
func writeManifest(dir string, m *Manifest) error {
	f, err := createFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		return err
	}
	if err := encodeManifest(f, m); err != nil {
		f.Close()
		return err
	}
	if err := hook("write " + ManifestFile); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// dirSink creates the files of a save in a directory, each fsynced when
// it is finished.
type dirSink struct {
	dir string
	f   *os.File
}

func (d *dirSink) create(name string, size int64) (io.Writer, error) {
	f, err := createFile(filepath.Join(d.dir, name))
	if err != nil {
		return nil, err
	}
	d.f = f
	return f, nil
}

func (d *dirSink) finish(name string) error {
	if err := d.f.Sync(); err != nil {
		d.f.Close()
		return fmt.Errorf("%s: %w", name, err)
	}
	return d.f.Close()
}
