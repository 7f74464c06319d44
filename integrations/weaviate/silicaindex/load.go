package silicaindex

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/sirupsen/logrus"
)

// loadBatch is the rows the rebuild adds to the store at a time.
const loadBatch = 8192

// PostStartup rebuilds the store from the shard's bucket; Weaviate calls it
// once the shard is up. A failure is logged and returned by every later
// call of the index. Calls after the first do nothing.
func (ix *Index) PostStartup(ctx context.Context) { ix.load() }

// load rebuilds the store from the bucket, once.
func (ix *Index) load() {
	ix.loadOnce.Do(func() {
		start := time.Now()
		n, err := ix.rebuild()
		ix.mu.Lock()
		ix.loadErr = err
		ix.mu.Unlock()
		if err != nil {
			ix.logger.WithError(err).WithField("index", ix.id).Error("silica vector index: rebuild from bucket failed")
			return
		}
		ix.logger.WithFields(logrus.Fields{"index": ix.id, "vectors": n, "took": time.Since(start)}).
			Debug("silica vector index: rebuilt from bucket")
	})
}

// rebuild reads every vector of the bucket into a new store, in batches,
// and returns how many it read.
func (ix *Index) rebuild() (int, error) {
	b := ix.kv.Bucket(ix.bucket)
	if b == nil {
		return 0, fmt.Errorf("silica vector index %q: bucket %s is not loaded", ix.id, ix.bucket)
	}
	c := b.Cursor()
	defer c.Close()
	ix.mu.Lock()
	defer ix.mu.Unlock()
	var (
		ids  []int64
		flat []float32
		dim  int
		n    int
	)
	flush := func() error {
		if len(ids) == 0 {
			return nil
		}
		st, err := ix.storeFor(dim)
		if err != nil {
			return err
		}
		if err := st.AddFlat(ids, flat); err != nil {
			return fmt.Errorf("silica vector index %q: rebuild from bucket: %w", ix.id, err)
		}
		n += len(ids)
		ids, flat = ids[:0], flat[:0]
		return nil
	}
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if len(k) != 8 {
			return n, fmt.Errorf("silica vector index %q: bucket %s holds a key of %d bytes; want 8", ix.id, ix.bucket, len(k))
		}
		id := binary.BigEndian.Uint64(k)
		if len(v) == 0 || len(v)%4 != 0 {
			return n, fmt.Errorf("silica vector index %q: bucket %s: doc id %d has a value of %d bytes; want a multiple of 4", ix.id, ix.bucket, id, len(v))
		}
		if dim == 0 {
			dim = len(v) / 4
		} else if len(v)/4 != dim {
			return n, fmt.Errorf("silica vector index %q: bucket %s: doc id %d has dimension %d, others %d", ix.id, ix.bucket, id, len(v)/4, dim)
		}
		ids = append(ids, int64(id))
		flat = decode(flat, v)
		if len(ids) == loadBatch {
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
	return n, flush()
}
