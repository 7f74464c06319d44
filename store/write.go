package store

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/store/npy"
)

// saveHook, when set (by tests), is called at named points of a save; an
// error it returns stops the save there, as a crash would, leaving
// whatever was written in place.
var saveHook func(point string) error

func hook(point string) error {
	if saveHook != nil {
		return saveHook(point)
	}
	return nil
}

// sink creates the files of a save: the directory writer or the stream.
type sink interface {
	// create starts a file of exactly size bytes.
	create(name string, size int64) (io.Writer, error)
	// finish completes the file create returned last.
	finish(name string) error
}

// descr returns the .npy type of a storage dtype.
func descr(dt engine.DType) string {
	switch dt {
	case engine.Float16:
		return npy.Float16
	case engine.Int8:
		return npy.Int8
	}
	return npy.Float32
}

// column is a one-dimensional file of a store: ids or scales.
type column struct {
	name, descr string
	data        []byte
}

// writeFiles writes the live rows as embeddings.npy, ids.npy and (int8)
// scales.npy into k, arena by arena in row order (insertion order, ids
// in any order; a sharded store's shards one after the other, each a
// segment or more), and returns the manifest that describes them. Called with s.wmu held, so nothing changes meanwhile.
func (s *Store) writeFiles(k sink) (*Manifest, error) {
	m := &Manifest{
		Format: FormatName, Version: FormatVersion, Dim: s.cfg.dim, DType: s.cfg.dtype.String(),
		Metric: s.cfg.metric.String(), Count: s.live, NextID: s.nextID, Segments: []int{},
		Checksums: map[string]Checksum{}, Model: s.model,
	}
	d := s.cfg.dim
	ids := make([]byte, 0, 8*s.live)
	var scales []byte
	if s.cfg.dtype == engine.Int8 {
		scales = make([]byte, 0, 4*s.live)
	}
	head, err := npy.Header{Descr: descr(s.cfg.dtype), Shape: []int{s.live, d}}.Encode()
	if err != nil {
		return nil, err
	}
	w, err := k.create(EmbeddingsFile, int64(len(head))+int64(s.live)*int64(d*s.cfg.dtype.Size()))
	if err != nil {
		return nil, err
	}
	sum := newSummer(w)
	if _, err := sum.Write(head); err != nil {
		return nil, fmt.Errorf("%s: %w", EmbeddingsFile, err)
	}
	arenas := s.arenas
	for _, sh := range s.shards {
		arenas = append(arenas, sh.arenas...) // writers wait for s.wmu
	}
	for i, a := range arenas {
		if a.live() == 0 {
			continue
		}
		h, err := readRows(&a.rows)
		if err != nil {
			return nil, err
		}
		if _, err := sum.Write(h.x); err != nil {
			return nil, fmt.Errorf("%s: %w", EmbeddingsFile, err)
		}
		for _, id := range h.ids {
			ids = binary.LittleEndian.AppendUint64(ids, uint64(id))
		}
		scales = append(scales, h.scales...)
		m.Segments = append(m.Segments, len(h.ids))
		if i == 0 {
			if err := hook("write " + EmbeddingsFile); err != nil {
				return nil, err
			}
		}
	}
	m.Checksums[EmbeddingsFile] = sum.checksum()
	if err := k.finish(EmbeddingsFile); err != nil {
		return nil, err
	}
	parts := []column{{IDsFile, npy.Int64, ids}}
	if scales != nil {
		parts = append(parts, column{ScalesFile, npy.Float32, scales})
	}
	for _, p := range parts {
		head, err := npy.Header{Descr: p.descr, Shape: []int{s.live}}.Encode()
		if err != nil {
			return nil, err
		}
		w, err := k.create(p.name, int64(len(head)+len(p.data)))
		if err != nil {
			return nil, err
		}
		sum := newSummer(w)
		if _, err := npy.Write(sum, p.descr, []int{s.live}, p.data); err != nil {
			return nil, fmt.Errorf("%s: %w", p.name, err)
		}
		if err := hook("write " + p.name); err != nil {
			return nil, err
		}
		m.Checksums[p.name] = sum.checksum()
		if err := k.finish(p.name); err != nil {
			return nil, err
		}
	}
	return m, nil
}
