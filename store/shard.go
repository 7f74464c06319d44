package store

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/silica-go/silica/engine"
)

// A sharded store (Options.Devices or Options.Shards) keeps its rows in
// shards: unsharded stores of the same dimension, metric and dtype, each
// on the engine of its device (the shards of one device share it). The
// sharded store holds the locks that make each add or delete atomic
// across shards, the budget, the encoder and the counts; the shards hold
// the arenas. Lock order: s.wmu, then each shard's wmu in shard order,
// then s.mu, then a shard's mu.

// openEngines opens the engines of a sharded store: one per device of
// Options.Devices, else the one engine Engine or Backend/Device give. own
// reports whether the store opened them (and closes them).
func (o *Options) openEngines() (engines []*engine.Engine, own bool, err error) {
	if len(o.Devices) == 0 {
		e, own, err := o.openEngine()
		if err != nil {
			return nil, false, err
		}
		return []*engine.Engine{e}, own, nil
	}
	driver := o.Backend
	if driver == "" {
		e, err := engine.Default()
		if err != nil {
			return nil, false, opErr(err, "no backend")
		}
		driver, _ = engine.SplitName(e.Name())
		e.Close()
	}
	if strings.Contains(driver, ":") {
		return nil, false, fmt.Errorf("store: Backend %q names a device; with Devices give the backend alone", driver)
	}
	if !slices.Contains(engine.Drivers(), driver) {
		_, err := engine.Open(driver) // the engine's message for an unknown backend
		return nil, false, fmt.Errorf("store: %w", err)
	}
	listed, ok := engine.Devices(driver)
	if !ok {
		return nil, false, fmt.Errorf("store: backend %q does not list its devices; Devices needs one that does", driver)
	}
	devices := o.Devices
	if devices[0] == "all" {
		if devices = listed; len(devices) == 0 {
			return nil, false, fmt.Errorf("store: Devices \"all\": backend %q lists no devices", driver)
		}
	}
	for _, d := range devices {
		if !slices.Contains(listed, d) {
			return nil, false, fmt.Errorf("store: backend %q has no device %q (it lists %q)", driver, d, listed)
		}
	}
	for _, d := range devices {
		e, err := engine.Open(driver + ":" + d)
		if err != nil {
			for _, e := range engines {
				e.Close()
			}
			return nil, false, fmt.Errorf("store: %w", err) // engine.Open names the device
		}
		engines = append(engines, e)
	}
	return engines, true, nil
}

// newSharded makes an empty sharded store of cfg.shards shards on each
// engine, ordered shard by shard across the engines (shard 0 of every
// device, then shard 1...), so that adds, which go to the emptiest shard
// and the first of equals, spread over the devices first.
func newSharded(cfg resolved, engines []*engine.Engine, own bool) *Store {
	s := &Store{e: engines[0], cfg: cfg, where: map[int64]loc{}}
	if own {
		s.engines = engines
	}
	sub := cfg
	sub.budget, sub.shards = 0, 0 // the sharded store checks the budget for all
	for range cfg.shards {
		for _, e := range engines {
			_, inPlace := e.Backend().(engine.HostWrapper)
			s.shards = append(s.shards, &Store{e: e, cfg: sub, inPlace: inPlace, where: map[int64]loc{}})
		}
	}
	return s
}

// shardOf returns the shard that holds id, nil if none does. Called with
// s.mu or s.wmu held.
func (s *Store) shardOf(id int64) *Store {
	for _, sh := range s.shards {
		sh.mu.RLock()
		_, ok := sh.where[id]
		sh.mu.RUnlock()
		if ok {
			return sh
		}
	}
	return nil
}

// shardStats fills st for a sharded store from its shards. Called with
// s.mu held for reading.
func (s *Store) shardStats(st *Stats, maps map[*mapping]bool) {
	st.Shards = len(s.shards)
	var backends, devices []string
	for _, sh := range s.shards {
		sh.mu.RLock()
		sh.arenaStats(st, maps)
		st.UsedBytes += sh.usedBytes()
		if sh.lastErr != nil && st.MaintenanceError == "" {
			st.MaintenanceError = sh.lastErr.Error()
		}
		sh.mu.RUnlock()
		if b := sh.e.Name(); !slices.Contains(backends, b) {
			backends = append(backends, b)
		}
		if d := sh.e.Device().Name; !slices.Contains(devices, d) {
			devices = append(devices, d)
		}
	}
	st.Backend, st.Device = strings.Join(backends, ", "), strings.Join(devices, ", ")
}

// closeShards closes the shards and the engines the store opened. Called
// with s.wmu and s.mu held: taking a shard's wmu after s.mu breaks the
// lock order, but whoever holds a shard's wmu holds s.wmu too, so none
// waits here.
func (s *Store) closeShards() error {
	var errs []error
	for _, sh := range s.shards {
		errs = append(errs, sh.Close())
	}
	for _, e := range s.engines {
		errs = append(errs, e.Close())
	}
	s.live = 0
	return errors.Join(errs...)
}

// spread splits n new rows over shards that hold counts rows: the
// emptiest shards are filled first, up to the level of the next, until
// the rows are spent (ties go to the first shard). It returns the rows
// each shard gets.
func spread(counts []int, n int) []int {
	order := make([]int, len(counts))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return counts[a] - counts[b] })
	give := make([]int, len(counts))
	sum := 0 // of the counts of order[:m]
	for m := 1; m <= len(order); m++ {
		sum += counts[order[m-1]]
		if m < len(order) && n >= m*counts[order[m]]-sum {
			continue // the m emptiest can all reach the next one's count
		}
		// All m rise to total/m; the remainder goes one a shard to the
		// first of them, as one row at a time to the first emptiest would.
		total := sum + n
		low := slices.Clone(order[:m])
		slices.Sort(low)
		for i, j := range low {
			give[j] = total/m - counts[j]
			if i < total%m {
				give[j]++
			}
		}
		break
	}
	return give
}
