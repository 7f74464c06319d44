package store

import (
	"fmt"

	"github.com/silica-go/silica/engine"
)

// WarmK and WarmBatches are the searches Open prepares in the background
// on a backend that compiles its kernels on first use (see Warm): the
// top 10, the top 100 and the top 4096 (past the fused scans' k, whose
// searches launch other kernels), for one query and for batches of 64.
var (
	WarmK       = []int{10, 100, 4096}
	WarmBatches = []int{1, 64}
)

// Warm prepares the searches of the top k for batches of the given sizes
// over the rows the store holds now: the engine plans each scan as a
// search would and, on a backend that compiles kernels on first use (an
// engine.Warmer: CUDA's NVRTC), compiles or loads from its disk cache
// every kernel the scan would launch, without running it. The first
// search of such a shape then costs what the second does. On a backend
// without compilation (the CPU) it only plans. An empty store has
// nothing to prepare. k below 1 or a batch size below 1 is an error.
//
// Open calls it in the background for WarmK and WarmBatches (see "First
// use" in the package documentation); a program that adds its rows
// after New may call it once they are in.
func (s *Store) Warm(k int, batches ...int) error {
	return s.WarmFiltered(k, Filter{}, batches...)
}

// WarmFiltered is Warm for the searches of the top k through filter f
// (SearchBatchFiltered), whose scans read a bitmap of the rows that pass
// and launch kernels of their own. A filter that passes no row of the
// store has nothing to prepare.
func (s *Store) WarmFiltered(k int, f Filter, batches ...int) error {
	if err := checkK("warm", k); err != nil {
		return err
	}
	for _, m := range batches {
		if m < 1 {
			return fmt.Errorf("store: warm: a batch of %d queries; want at least 1", m)
		}
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	if s.live == 0 {
		return nil
	}
	groups := [][]*Store{{s}}
	if s.shards != nil {
		groups = byEngine(s.shards)
	}
	for _, shards := range groups {
		for _, m := range batches {
			if err := warmDevice(shards, s.shards != nil, k, m, f); err != nil {
				return opErr(err, "warm")
			}
		}
	}
	return nil
}

// warmDevice plans (engine.Warm) the scan of m queries for the top k
// through f over the arenas of shards, which share one engine, as
// scanDevice or scan would build it, and frees what it made. With lock (the shards of a
// sharded store) it holds their read locks meanwhile; else shards is the
// store whose lock Warm holds.
func warmDevice(shards []*Store, lock bool, k, m int, f Filter) error {
	s := shards[0]
	parts, release, err := deviceParts(shards, lock, k, f)
	defer release()
	if err != nil || len(parts) == 0 {
		return err
	}
	one := make([]float32, s.cfg.dim) // any query: only the shape counts
	for i := range one {
		one[i] = 1
	}
	queries := make([][]float32, m)
	for i := range queries {
		queries[i] = one
	}
	q, err := s.uploadQueries(queries)
	if err != nil {
		return err
	}
	defer q.Free()
	outs, err := s.build(q, parts)
	if err != nil {
		return err
	}
	return s.e.Warm(outs...)
}

// byEngine groups shards by their engine (their device), in order.
func byEngine(shards []*Store) [][]*Store {
	var groups [][]*Store
	index := map[*engine.Engine]int{}
	for _, sh := range shards {
		i, ok := index[sh.e]
		if !ok {
			i = len(groups)
			index[sh.e] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], sh)
	}
	return groups
}

// compiles reports whether any engine of s compiles kernels on first use
// (engine.Warmer), so that Open's background Warm has work to do.
func (s *Store) compiles() bool {
	engines := []*engine.Engine{s.e}
	for _, sh := range s.shards {
		engines = append(engines, sh.e)
	}
	for _, e := range engines {
		if e == nil {
			continue
		}
		if _, ok := e.Backend().(engine.Warmer); ok {
			return true
		}
	}
	return false
}

// warmInBackground runs Warm for WarmK and WarmBatches in a goroutine (on
// a backend that compiles, else nothing), one shape at a time so that
// writers wait for one plan at most; a store closed meanwhile stops it.
// Its first error is kept as a maintenance error (Stats); a search
// compiles what it needs itself. s.warmed is closed when it ends.
func (s *Store) warmInBackground() {
	s.warmed = make(chan struct{})
	if !s.compiles() {
		close(s.warmed)
		return
	}
	go func() {
		defer close(s.warmed)
		for _, k := range WarmK {
			for _, m := range WarmBatches {
				err := s.Warm(k, m)
				if err == ErrClosed {
					return
				}
				if err != nil {
					s.lock()
					if s.lastErr == nil {
						s.lastErr = err
					}
					s.mu.Unlock()
					return
				}
			}
		}
	}()
}
