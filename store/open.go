package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/store/npy"
)

// Open loads the store saved in dir. It checks the manifest, each file's
// size, .npy header and checksum, and fails naming the file that is wrong.
// Files are memory-mapped, and on backends that use host memory in place
// (the CPU, Apple's unified memory) the rows are read from the mapping
// without a copy; other backends copy them to the device.
//
// opts gives the backend and budget; Dim, Metric and DType may be left
// zero, and if set must match the store's. A store over the budget fails
// to open with the numbers.
func Open(dir string, opts Options) (*Store, error) {
	base, err := resolveDir(dir)
	if err != nil {
		return nil, err
	}
	if base != dir {
		if unlock, err := lockDir(dir, false); err == nil {
			// No save is under way: clear what interrupted ones left.
			_ = cleanup(dir)
			unlock()
		}
	}
	s, err := openFiles(opts, func(name string) (*mapping, error) {
		return loadFile(filepath.Join(base, name))
	})
	if err != nil {
		return nil, opErr(err, "open %s", dir)
	}
	return s, nil
}

// openFiles builds a store from the files get returns: the manifest
// first, then each .npy file, checked against it.
func openFiles(opts Options, get func(name string) (*mapping, error)) (*Store, error) {
	mf, err := get(ManifestFile)
	if err != nil {
		return nil, err
	}
	m, err := decodeManifest(bytes.NewReader(mf.data))
	mf.release()
	if err != nil {
		return nil, err
	}
	cfg, err := opts.resolve(false)
	if err != nil {
		return nil, err
	}
	want, _ := m.check()
	switch {
	case cfg.dim != 0 && cfg.dim != want.dim:
		return nil, fmt.Errorf("the store's dimension is %d, the options ask for %d", want.dim, cfg.dim)
	case cfg.metric != 0 && cfg.metric != want.metric:
		return nil, fmt.Errorf("the store's metric is %s, the options ask for %s", want.metric, cfg.metric)
	case cfg.dtype != engine.InvalidDType && cfg.dtype != want.dtype:
		return nil, fmt.Errorf("the store's dtype is %s, the options ask for %s", want.dtype, cfg.dtype)
	}
	cfg.dim, cfg.metric, cfg.dtype = want.dim, want.metric, want.dtype
	s := &Store{cfg: cfg, nextID: m.NextID}
	if err := s.checkBudget("open", m.Count); err != nil {
		return nil, err
	}
	files := map[string]*mapping{}
	defer func() {
		for _, f := range files {
			f.release() // the segments hold what they read in place
		}
	}()
	for _, name := range m.files() {
		f, err := get(name)
		if err != nil {
			return nil, err
		}
		files[name] = f
		c := m.Checksums[name]
		if opts.SkipChecksums {
			c.CRC32C = nil // sizes only
		}
		if err := verify(name, f.data, c); err != nil {
			return nil, err
		}
	}
	x, err := npyData(files[EmbeddingsFile], EmbeddingsFile, descr(cfg.dtype), m.Count, cfg.dim)
	if err != nil {
		return nil, err
	}
	rawIDs, err := npyData(files[IDsFile], IDsFile, npy.Int64, m.Count)
	if err != nil {
		return nil, err
	}
	var scales []byte
	if cfg.dtype == engine.Int8 {
		if scales, err = npyData(files[ScalesFile], ScalesFile, npy.Float32, m.Count); err != nil {
			return nil, err
		}
	}
	ids := make([]int64, m.Count)
	for i := range ids {
		ids[i] = int64(binary.LittleEndian.Uint64(rawIDs[8*i:]))
	}
	if err := checkIDs(ids, m); err != nil {
		return nil, err
	}
	if s, err = makeStore(cfg, &opts); err != nil {
		return nil, err
	}
	s.nextID = m.NextID
	// The rows, in file order, split evenly over the shards in runs;
	// each run split into arenas of at most SegmentRows.
	targets := []*Store{s}
	if s.shards != nil {
		targets = s.shards
	}
	for j, t := range targets {
		t.nextID = m.NextID // a shard's is above its ids too (allNew)
		lo, hi := j*m.Count/len(targets), (j+1)*m.Count/len(targets)
		if err := t.loadRows(ids, x, scales, files[EmbeddingsFile], lo, hi); err != nil {
			s.Close()
			return nil, err
		}
	}
	s.live = m.Count
	if err := s.adoptEncoder(opts.Encoder, m.Model); err != nil {
		s.Close()
		return nil, err
	}
	s.warmInBackground()
	return s, nil
}

// loadRows gives s rows [lo, hi) of a store's files: ids, the rows x
// and (int8) scales of file f, in arenas of at most SegmentRows rows.
func (s *Store) loadRows(ids []int64, x, scales []byte, f *mapping, lo, hi int) error {
	rb := s.cfg.dim * s.cfg.dtype.Size()
	s.where = make(map[int64]loc, hi-lo)
	for a0 := lo; a0 < hi; a0 += s.cfg.segRows {
		a1 := min(hi, a0+s.cfg.segRows)
		a := &arena{}
		s.arenas = append(s.arenas, a)
		a.ids = ids[a0:a1:a1] // an add copies them
		var sc []byte
		if scales != nil {
			sc = scales[4*a0 : 4*a1 : 4*a1]
		}
		if err := s.load(a, x[a0*rb:a1*rb:a1*rb], sc, f); err != nil {
			return fmt.Errorf("load rows %d to %d: %w", a0, a1, err)
		}
		for r, id := range a.ids {
			s.where[id] = loc{a, r}
		}
	}
	s.live = hi - lo
	return nil
}

// load gives a new arena the rows x (and int8 scales sc) of file f. Where
// the store keeps rows on the host, the rows are read from f in place
// (held until the first write copies them) when the backend takes them,
// else copied into the store's memory; the scales, small, are copied.
// Elsewhere both are copied to the device.
func (s *Store) load(a *arena, x, sc []byte, f *mapping) error {
	n, d := len(a.ids), s.cfg.dim
	var err error
	if !s.inPlace {
		if a.buf, err = s.e.FromBytes(x, s.cfg.dtype, n, d); err != nil {
			return err
		}
		if a.x, err = a.buf.Head(n); err != nil {
			return err
		}
		if a.ibuf, err = s.e.FromInt64(a.ids, n); err != nil {
			return err
		}
		if a.xids, err = a.ibuf.Head(n); err != nil {
			return err
		}
		if sc != nil {
			if a.sbuf, err = s.e.FromBytes(sc, engine.Float32, n); err != nil {
				return err
			}
			a.scales, err = a.sbuf.Head(n)
		}
		return err
	}
	wrapped := false
	if a.x, wrapped, err = wrap(s.e, true, x, s.cfg.dtype, n, d); err != nil {
		return err
	}
	if wrapped {
		a.host, a.m = x, f
		f.hold()
	} else {
		a.x.Free()
		a.host = append(alignedBytes(len(x))[:0], x...)
		if a.x, _, err = wrap(s.e, true, a.host, s.cfg.dtype, n, d); err != nil {
			return err
		}
	}
	if sc != nil {
		a.hostScales = append(alignedBytes(len(sc))[:0], sc...)
		a.scales, _, err = wrap(s.e, true, a.hostScales, engine.Float32, n)
	}
	return err
}

// mmapMin is the size from which files are memory-mapped rather than
// read.
const mmapMin = 1 << 20

// loadFile maps or reads the file at path.
func loadFile(path string) (*mapping, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() >= mmapMin {
		return mapFile(f, st.Size())
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, err
	}
	return &mapping{data: b, refs: 1}, nil
}

// npyData checks that f is a .npy file of type descr and the given shape
// and returns its data.
func npyData(f *mapping, name, descr string, shape ...int) ([]byte, error) {
	h, off, err := npy.ReadHeader(bytes.NewReader(f.data))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if h.Descr != descr || !slices.Equal(h.Shape, shape) {
		return nil, fmt.Errorf("%s holds %.48q %v, the manifest says %q %v", name, h.Descr, h.Shape, descr, shape)
	}
	if h.FortranOrder {
		return nil, fmt.Errorf("%s is in Fortran order; a store writes C order", name)
	}
	if int64(len(f.data)-off) != h.DataBytes() {
		return nil, fmt.Errorf("%s: %d bytes of data, %s %v needs %d", name, len(f.data)-off, h.Descr, h.Shape, h.DataBytes())
	}
	return f.data[off:], nil
}

// checkIDs checks that no id appears twice (and, in a version 1 store,
// that ids ascend within each segment).
func checkIDs(ids []int64, m *Manifest) error {
	if m.Version >= 2 {
		all := slices.Clone(ids)
		slices.Sort(all)
		for j := 1; j < len(all); j++ {
			if all[j] == all[j-1] {
				return fmt.Errorf("%s: id %d appears twice", IDsFile, all[j])
			}
		}
		if len(all) > 0 {
			return checkNextID(all[len(all)-1], m)
		}
		return nil
	}
	type span struct{ lo, hi int64 }
	var spans []span
	lo := 0
	for _, n := range m.Segments {
		seg := ids[lo : lo+n]
		for i := 1; i < n; i++ {
			if seg[i] <= seg[i-1] {
				return fmt.Errorf("%s: ids %d and %d at rows %d and %d are out of order within a segment", IDsFile, seg[i-1], seg[i], lo+i-1, lo+i)
			}
		}
		spans = append(spans, span{seg[0], seg[n-1]})
		lo += n
	}
	slices.SortFunc(spans, func(a, b span) int { return cmpID(a.lo, b.lo) })
	for i := 1; i < len(spans); i++ {
		if spans[i].lo <= spans[i-1].hi {
			// Segments overlap in id range: check the ids themselves.
			all := slices.Clone(ids)
			slices.Sort(all)
			for j := 1; j < len(all); j++ {
				if all[j] == all[j-1] {
					return fmt.Errorf("%s: id %d appears twice", IDsFile, all[j])
				}
			}
			break
		}
	}
	if len(ids) > 0 {
		return checkNextID(slices.Max(ids), m)
	}
	return nil
}

// checkNextID fails unless the manifest's next id is above the largest
// id held, top, or both are math.MaxInt64 (a store that holds that id has
// no id left for Append: bumpNextID).
func checkNextID(top int64, m *Manifest) error {
	if top >= m.NextID && (top != math.MaxInt64 || m.NextID != math.MaxInt64) {
		return fmt.Errorf("%s: next_id %d is not above the largest id %d", ManifestFile, m.NextID, top)
	}
	return nil
}
