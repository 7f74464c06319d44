package store

import (
	"errors"
	"fmt"
	"sync"

	"github.com/silica-go/silica/engine"
)

// Store holds vectors with int64 ids and searches them exactly on an
// engine backend. It is safe for concurrent use: any number of searches
// run together with adds and deletes, and each sees the store as it was
// before or after every add or delete, never part of one.
type Store struct {
	e         *engine.Engine
	ownEngine bool
	cfg       resolved
	// inPlace: the backend uses host memory in place (engine.HostWrapper),
	// so the store keeps rows in host memory it owns.
	inPlace bool

	wmu sync.Mutex   // serializes the writers: Add, Delete, Compact, Close
	mu  sync.RWMutex // readers hold it shared; writers take it to publish
	// Guarded by mu (writers hold wmu too, so they may read without mu).
	arenas  []*arena
	where   map[int64]loc // the live row of each id
	live    int
	nextID  int64 // the id Append gives next
	closed  bool
	lastErr error // the last failure of background maintenance
	// enc encodes texts (Options.Encoder, nil without one); model is the
	// text model the vectors come from, nil if none is recorded.
	enc   TextEncoder
	model *Model
	// shards, in a sharded store (Options.Devices, Options.Shards), are
	// the unsharded stores that hold the rows (see shard.go); the store
	// itself then holds no arena and counts live rows and ids for all.
	// engines are the engines it opened, one per device, closed by Close.
	shards  []*Store
	engines []*engine.Engine
	// warmed is closed when Open's background Warm ends (nil after New).
	warmed chan struct{}
	// state counts the writers' turns (lock): the rows readers see are
	// the same while it is, so a filter's bitmaps made for one state
	// serve every search of it (bitmapMemo). Guarded by mu.
	state uint64
	// liveMemo keeps the zero Filter's bitmaps (the rows not deleted).
	liveMemo bitmapMemo
}

// lock takes s.mu for writing, as every writer does to publish a change:
// the rows are in a new state from then on.
func (s *Store) lock() {
	s.mu.Lock()
	s.state++
}

// loc is where a live row is: its arena and row.
type loc struct {
	a *arena
	r int
}

// ErrClosed is returned by every method of a closed store.
var ErrClosed = errors.New("store: closed")

// ErrNotFound is returned by Get for an id that is not in the store.
var ErrNotFound = errors.New("store: id not found")

// New makes an empty store. opts.Dim is required; an unknown metric or
// storage dtype, a negative budget, or a backend that is not registered or
// does not open is an error naming it.
func New(opts Options) (*Store, error) {
	cfg, err := opts.resolve(true)
	if err != nil {
		return nil, err
	}
	s, err := makeStore(cfg, &opts)
	if err != nil {
		return nil, err
	}
	if err := s.adoptEncoder(opts.Encoder, nil); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// makeStore makes an empty store of cfg on the engines opts name: one
// store, or a sharded one when cfg.shards > 0.
func makeStore(cfg resolved, opts *Options) (*Store, error) {
	if cfg.shards > 0 {
		engines, own, err := opts.openEngines()
		if err != nil {
			return nil, err
		}
		return newSharded(cfg, engines, own), nil
	}
	e, own, err := opts.openEngine()
	if err != nil {
		return nil, err
	}
	_, inPlace := e.Backend().(engine.HostWrapper)
	return &Store{e: e, ownEngine: own, cfg: cfg, inPlace: inPlace, where: map[int64]loc{}}, nil
}

// Dim returns the length of the store's vectors.
func (s *Store) Dim() int { return s.cfg.dim }

// Metric returns the store's metric.
func (s *Store) Metric() Metric { return s.cfg.metric }

// DType returns the storage type of the rows.
func (s *Store) DType() engine.DType { return s.cfg.dtype }

// Engine returns the engine the store runs on (in a sharded store, that
// of its first device).
func (s *Store) Engine() *engine.Engine { return s.e }

// Len returns the number of vectors in the store.
func (s *Store) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.live
}

// Stats describes a store's size and memory.
type Stats struct {
	Count       int // vectors in the store (Len)
	Reclaimable int // rows deleted or replaced but still held, until compaction
	Segments    int // arenas: engine arrays the rows are split into (see Options.SegmentRows)
	// DeviceBytes is the bytes of the rows and scales held by the backend,
	// spare capacity of the arenas included (on the CPU and on
	// unified-memory devices, host memory; for a store opened from files,
	// memory-mapped pages included).
	DeviceBytes int64
	// HostBytes is the bytes the store keeps on the host besides: ids,
	// deletion flags and the id index (about 40 bytes a row).
	HostBytes int64
	// MappedBytes is the bytes of files mapped into memory and read in
	// place (a part of DeviceBytes).
	MappedBytes int64
	// BudgetBytes is the memory budget, 0 for none; UsedBytes is what it is
	// compared with (rows, scales and ids, reclaimable rows included).
	BudgetBytes, UsedBytes int64
	// Backend is the engine's name, Device the device's own name (in a
	// sharded store, those of its devices, comma-separated, each once).
	Backend, Device string
	// Shards is the number of shards (1 for an unsharded store).
	Shards int
	// MaintenanceError is the last failure to compact an arena
	// after an add or delete had succeeded ("" if none): the store stays
	// correct, only less compact.
	MaintenanceError string
}

// Stats returns the store's counts and memory.
func (s *Store) Stats() Stats {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st := Stats{Count: s.live, BudgetBytes: s.cfg.budget, Shards: 1,
		Backend: s.e.Name(), Device: s.e.Device().Name}
	maps := map[*mapping]bool{}
	if s.shards != nil {
		s.shardStats(&st, maps)
		return st
	}
	s.arenaStats(&st, maps)
	st.UsedBytes = s.usedBytes()
	if s.lastErr != nil {
		st.MaintenanceError = s.lastErr.Error()
	}
	return st
}

// arenaStats adds the arenas of s to st; maps holds the mappings counted
// already. Called with s.mu held.
func (s *Store) arenaStats(st *Stats, maps map[*mapping]bool) {
	st.Segments += len(s.arenas)
	rb := s.cfg.dim * s.cfg.dtype.Size()
	for _, a := range s.arenas {
		st.Reclaimable += a.ndead
		st.DeviceBytes += a.deviceBytes(rb)
		st.HostBytes += a.hostBytes()
		if a.m != nil && a.m.mapped && !maps[a.m] {
			maps[a.m] = true
			st.MappedBytes += int64(len(a.m.data))
		}
	}
	st.HostBytes += int64(mapEntryBytes * len(s.where))
}

// mapEntryBytes is about what an entry of the id index costs.
const mapEntryBytes = 32

// rowBytes is what one row costs against the budget.
func (s *Store) rowBytes() int64 {
	b := int64(s.cfg.dim*s.cfg.dtype.Size()) + 8
	if s.cfg.dtype == engine.Int8 {
		b += 4
	}
	return b
}

// usedBytes counts every row held, live or not. Called with mu or wmu held.
func (s *Store) usedBytes() int64 {
	if s.shards != nil {
		var b int64
		for _, sh := range s.shards {
			sh.mu.RLock()
			b += sh.usedBytes()
			sh.mu.RUnlock()
		}
		return b
	}
	var n int64
	for _, a := range s.arenas {
		n += int64(a.n())
	}
	return n * s.rowBytes()
}

// checkBudget fails if adding rows would pass the budget.
func (s *Store) checkBudget(op string, rows int) error {
	if s.cfg.budget == 0 {
		return nil
	}
	need, used := int64(rows)*s.rowBytes(), s.usedBytes()
	if used+need <= s.cfg.budget {
		return nil
	}
	msg := fmt.Sprintf("store: %s of %d rows needs %d bytes (%s), %d bytes (%s) are used, the budget is %d bytes (%s)",
		op, rows, need, human(need), used, human(used), s.cfg.budget, human(s.cfg.budget))
	if dead := s.deadRows(); dead > 0 {
		msg += fmt.Sprintf("; %d bytes are deleted rows that Compact frees", int64(dead)*s.rowBytes())
	}
	return errors.New(msg)
}

func (s *Store) deadRows() int {
	n := 0
	for _, sh := range s.shards {
		sh.mu.RLock()
		n += sh.deadRows()
		sh.mu.RUnlock()
	}
	for _, a := range s.arenas {
		n += a.ndead
	}
	return n
}

// human formats bytes in decimal units, as the budget is given.
func human(b int64) string {
	switch {
	case b >= 1e9:
		return fmt.Sprintf("%.2f GB", float64(b)/1e9)
	case b >= 1e6:
		return fmt.Sprintf("%.2f MB", float64(b)/1e6)
	case b >= 1e3:
		return fmt.Sprintf("%.2f kB", float64(b)/1e3)
	}
	return fmt.Sprintf("%d B", b)
}

// locate finds the live row of id.
func (s *Store) locate(id int64) (*arena, int, bool) {
	l, ok := s.where[id]
	return l.a, l.r, ok
}

// Contains reports whether id is in the store.
func (s *Store) Contains(id int64) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.shards != nil {
		return s.shardOf(id) != nil
	}
	_, _, ok := s.locate(id)
	return ok
}

// Get returns the stored vector of id (dimension Dim): under Cosine the
// normalized vector, with float16 storage the vector rounded to float16,
// with int8 storage the dequantized row. An unknown id is ErrNotFound.
func (s *Store) Get(id int64) ([]float32, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, ErrClosed
	}
	if s.shards != nil {
		if sh := s.shardOf(id); sh != nil {
			return sh.Get(id)
		}
		return nil, fmt.Errorf("%w: %d", ErrNotFound, id)
	}
	g, r, ok := s.locate(id)
	if !ok {
		return nil, fmt.Errorf("%w: %d", ErrNotFound, id)
	}
	row, err := engine.SliceRows(g.x, r, r+1)
	if err != nil {
		return nil, err
	}
	if g.scales != nil {
		sc, err := engine.SliceRows(g.scales, r, r+1)
		if err != nil {
			return nil, err
		}
		if row, err = engine.Dequantize(row, sc); err != nil {
			return nil, err
		}
	}
	defer row.Free()
	v, err := row.Float32()
	if err != nil {
		return nil, opErr(err, "get %d", id)
	}
	return v, nil
}

// Close releases the store's arrays, mapped files and (if the store opened
// it) its engine. Methods called afterwards return ErrClosed.
func (s *Store) Close() error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if s.shards != nil {
		return s.closeShards()
	}
	for _, a := range s.arenas {
		release(&a.rows, nil)
	}
	s.arenas, s.where, s.live = nil, nil, 0
	if s.ownEngine {
		return s.e.Close()
	}
	return nil
}
