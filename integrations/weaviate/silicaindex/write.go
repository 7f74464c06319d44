package silicaindex

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/weaviate/weaviate/adapters/repos/db/lsmkv"
)

// key returns the bucket key of a doc id: 8 bytes, big-endian, so that a
// cursor walks the bucket in doc id order.
func key(id uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], id)
	return k[:]
}

// encode returns a vector's bucket value: its float32s, little-endian.
func encode(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

// decode appends the float32s of a bucket value to dst.
func decode(dst []float32, b []byte) []float32 {
	for i := 0; i+4 <= len(b); i += 4 {
		dst = append(dst, math.Float32frombits(binary.LittleEndian.Uint32(b[i:])))
	}
	return dst
}

// Add stores vector under doc id (replacing the vector the id had): in the
// store, then in the shard's bucket. The first vector fixes the dimension.
func (ix *Index) Add(ctx context.Context, id uint64, vector []float32) error {
	return ix.AddBatch(ctx, []uint64{id}, [][]float32{vector})
}

// AddBatch stores vectors under doc ids, as one add of the store (checked
// whole: on an error nothing is stored) and one bucket write per vector.
// An id given twice keeps its last vector.
func (ix *Index) AddBatch(ctx context.Context, ids []uint64, vectors [][]float32) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(ids) != len(vectors) {
		return fmt.Errorf("silica vector index %q: %d ids and %d vectors", ix.id, len(ids), len(vectors))
	}
	if len(ids) == 0 {
		return nil
	}
	ix.load()
	ix.mu.Lock()
	defer ix.mu.Unlock()
	dim := ix.dim
	if dim == 0 {
		dim = len(vectors[0])
	}
	last := make(map[uint64]int, len(ids))
	for i, id := range ids {
		if _, err := ix.docID(id); err != nil {
			return err
		}
		if err := ix.check(vectors[i], dim); err != nil {
			return fmt.Errorf("%w (doc id %d)", err, id)
		}
		last[id] = i
	}
	sids := make([]int64, 0, len(last))
	flat := make([]float32, 0, len(last)*dim)
	for i, id := range ids {
		if last[id] == i {
			sids = append(sids, int64(id))
			flat = append(flat, vectors[i]...)
		}
	}
	st, err := ix.storeFor(dim)
	if err != nil {
		return err
	}
	if err := st.AddFlat(sids, flat); err != nil {
		return fmt.Errorf("silica vector index %q: %w", ix.id, err)
	}
	b := ix.kv.Bucket(ix.bucket)
	if b == nil {
		return fmt.Errorf("silica vector index %q: bucket %s is not loaded", ix.id, ix.bucket)
	}
	for i, id := range sids {
		if err := b.Put(key(uint64(id)), encode(flat[i*dim:(i+1)*dim])); err != nil {
			// The bucket is the truth a restart rebuilds from: keep the
			// store no ahead of it.
			if _, derr := st.Delete(sids[i:]...); derr != nil {
				return fmt.Errorf("silica vector index %q: write doc id %d to bucket: %v; then removing it from the store: %v", ix.id, id, err, derr)
			}
			return fmt.Errorf("silica vector index %q: write doc id %d to bucket: %w", ix.id, id, err)
		}
	}
	return ix.writeWAL(b)
}

// writeWAL hands the bucket's buffered write-ahead log to the operating
// system, so that a write the index has acknowledged survives a crash of
// the process (kill -9). The shard flushes every bucket's log after a write
// (Store.WriteWALs), but its batches add vectors on workers that may finish
// after that flush, and a vector left in the buffer would be lost by a
// crash while its object was kept.
func (ix *Index) writeWAL(b *lsmkv.Bucket) error {
	if err := b.WriteWAL(); err != nil {
		return fmt.Errorf("silica vector index %q: flush the write-ahead log of bucket %s: %w", ix.id, ix.bucket, err)
	}
	return nil
}

// Delete removes doc ids from the bucket and the store; ids the index does
// not hold are ignored.
func (ix *Index) Delete(ids ...uint64) error {
	ix.load()
	ix.mu.Lock()
	defer ix.mu.Unlock()
	st, err := ix.current()
	if err != nil {
		return err
	}
	b := ix.kv.Bucket(ix.bucket)
	if b == nil {
		return fmt.Errorf("silica vector index %q: bucket %s is not loaded", ix.id, ix.bucket)
	}
	sids := make([]int64, 0, len(ids))
	for _, id := range ids {
		if err := b.Delete(key(id)); err != nil {
			return fmt.Errorf("silica vector index %q: delete doc id %d from bucket: %w", ix.id, id, err)
		}
		if id <= math.MaxInt64 {
			sids = append(sids, int64(id))
		}
	}
	if err := ix.writeWAL(b); err != nil {
		return err
	}
	if st == nil || len(sids) == 0 {
		return nil
	}
	if _, err := st.Delete(sids...); err != nil {
		return fmt.Errorf("silica vector index %q: %w", ix.id, err)
	}
	return nil
}

// Preload does nothing: Weaviate calls it to warm caches of vectors it has
// already added, and the store holds every vector.
func (ix *Index) Preload(id uint64, vector []float32) {}
