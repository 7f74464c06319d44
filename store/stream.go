package store

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"
)

// WriteTo writes the store to w as a tar stream of the files Save writes
// (embeddings.npy, ids.npy, scales.npy for int8, then manifest.json), for
// stores kept somewhere other than a local directory. Load reads it back;
// so does Open, once the stream is unpacked into a directory (tar -x).
// Adds and deletes wait while it runs.
func (s *Store) WriteTo(w io.Writer) (int64, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.closed {
		return 0, ErrClosed
	}
	cw := &countWriter{w: w}
	tw := tar.NewWriter(cw)
	m, err := s.writeFiles(&tarSink{tw: tw})
	if err == nil {
		var b bytes.Buffer
		if err = encodeManifest(&b, m); err == nil {
			if err = tw.WriteHeader(tarHeader(ManifestFile, int64(b.Len()))); err == nil {
				if _, err = tw.Write(b.Bytes()); err == nil {
					err = tw.Close()
				}
			}
		}
	}
	if err != nil {
		return cw.n, opErr(err, "write stream")
	}
	return cw.n, nil
}

// Load reads a store from a stream WriteTo wrote, checking it as Open
// does; the files are held in memory. opts as for Open. Where r can seek
// (a file), each file is read into memory of its size; from other streams
// into buffers that grow as its data arrives (a header that claims more
// than the stream holds costs no more memory than the stream).
func Load(r io.Reader, opts Options) (*Store, error) {
	files := map[string]*mapping{}
	left, err := streamLeft(r)
	if err != nil {
		return nil, fmt.Errorf("store: load: %w", err)
	}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("store: load: not a store stream (%w)", err)
		}
		switch h.Name {
		case ManifestFile, EmbeddingsFile, IDsFile, ScalesFile:
		default:
			return nil, fmt.Errorf("store: load: unexpected file %q in the stream", h.Name)
		}
		if h.Size < 0 || h.Size > 1<<40 {
			return nil, fmt.Errorf("store: load: %s claims %d bytes", h.Name, h.Size)
		}
		var b []byte
		if h.Size <= left {
			// No larger than the stream: read into a buffer of its size.
			b = make([]byte, h.Size)
			var n int
			n, err = io.ReadFull(tr, b)
			b = b[:n]
		} else {
			b, err = readFull(tr, h.Size)
		}
		if err != nil {
			return nil, fmt.Errorf("store: load: %s cut short after %d of %d bytes", h.Name, len(b), h.Size)
		}
		files[h.Name] = &mapping{data: b, refs: 1}
	}
	s, err := openFiles(opts, func(name string) (*mapping, error) {
		f, ok := files[name]
		if !ok {
			return nil, fmt.Errorf("%s is missing from the stream", name)
		}
		return f, nil
	})
	if err != nil {
		return nil, opErr(err, "load")
	}
	return s, nil
}

// streamLeft returns the bytes r holds past its position where r can
// seek (a file), else -1.
func streamLeft(r io.Reader) (int64, error) {
	sk, ok := r.(io.Seeker)
	if !ok {
		return -1, nil
	}
	at, err := sk.Seek(0, io.SeekCurrent)
	if err != nil {
		return -1, nil // a pipe, or a reader that cannot say
	}
	end, err := sk.Seek(0, io.SeekEnd)
	if err != nil {
		return -1, nil
	}
	if _, err := sk.Seek(at, io.SeekStart); err != nil {
		return 0, fmt.Errorf("cannot seek back to where the stream started: %w", err)
	}
	return end - at, nil
}

// readFull reads n bytes of r into a buffer that grows (doubling, up to
// n) as they arrive, so that a tar header that claims more than the
// stream holds costs memory in proportion to the stream. It returns what
// it read, and an error if that is less than n.
func readFull(r io.Reader, n int64) ([]byte, error) {
	b := make([]byte, 0, min(n, 1<<20))
	for int64(len(b)) < n {
		if len(b) == cap(b) {
			b = slices.Grow(b, int(min(n, 2*int64(cap(b)))-int64(len(b))))
		}
		m, err := io.ReadFull(r, b[len(b):min(int64(cap(b)), n)])
		b = b[:len(b)+m]
		if err != nil {
			return b, err
		}
	}
	return b, nil
}

func tarHeader(name string, size int64) *tar.Header {
	return &tar.Header{Name: name, Size: size, Mode: 0o644, ModTime: time.Now().Truncate(time.Second), Typeflag: tar.TypeReg, Format: tar.FormatPAX}
}

// tarSink writes the files of a save as tar entries.
type tarSink struct{ tw *tar.Writer }

func (t *tarSink) create(name string, size int64) (io.Writer, error) {
	if err := t.tw.WriteHeader(tarHeader(name, size)); err != nil {
		return nil, err
	}
	return t.tw, nil
}

func (t *tarSink) finish(string) error { return t.tw.Flush() }

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
