package silicaindex

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/weaviate/weaviate/adapters/repos/db/vector/common"

	"github.com/silica-go/silica/store"
)

// ContainsDoc reports whether the index holds a vector for doc id.
func (ix *Index) ContainsDoc(docID uint64) bool {
	st, done, err := ix.reader()
	if err != nil {
		return false
	}
	defer done()
	id, err := ix.docID(docID)
	return err == nil && st != nil && st.Contains(id)
}

// Iterate calls fn with every doc id of the index, in doc id order, until fn
// returns false. It walks the bucket, so it sees writes made while it runs
// or not, as Weaviate allows.
func (ix *Index) Iterate(fn func(docID uint64) bool) {
	b := ix.kv.Bucket(ix.bucket)
	if b == nil {
		return
	}
	c := b.Cursor()
	defer c.Close()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		if !fn(binary.BigEndian.Uint64(k)) {
			return
		}
	}
}

// QueryVectorDistancer returns the distance of queryVector to a doc's
// stored row (normalized under cosine, rounded or dequantized as the dtype
// stores it), in float32, as Weaviate's distancer defines the metric; a doc
// the index does not hold is an error.
func (ix *Index) QueryVectorDistancer(queryVector []float32) common.QueryVectorDistancer {
	q := append([]float32(nil), queryVector...)
	return common.QueryVectorDistancer{DistanceFunc: func(docID uint64) (float32, error) {
		st, done, err := ix.reader()
		if err != nil {
			return 0, err
		}
		defer done()
		if st == nil {
			return 0, fmt.Errorf("silica vector index %q: doc id %d is not in the index", ix.id, docID)
		}
		if len(q) != st.Dim() {
			return 0, fmt.Errorf("silica vector index %q: query of dimension %d; the index holds dimension %d", ix.id, len(q), st.Dim())
		}
		id, err := ix.docID(docID)
		if err != nil {
			return 0, err
		}
		row, err := st.Get(id)
		if err != nil {
			return 0, fmt.Errorf("silica vector index %q: doc id %d: %w", ix.id, docID, err)
		}
		return ix.distance(ix.score(q, row)), nil
	}}
}

// score is the store's score of query against a stored row, in float32.
func (ix *Index) score(q, row []float32) float32 {
	var s, qq float32
	for i, x := range q {
		if ix.metric == store.L2 {
			d := x - row[i]
			s += d * d
			continue
		}
		s += x * row[i]
		qq += x * x
	}
	if ix.metric == store.Cosine && qq > 0 {
		s /= float32(math.Sqrt(float64(qq)))
	}
	return s
}

// Flush does nothing: the shard flushes the bucket.
func (ix *Index) Flush() error { return nil }

// Shutdown releases the store (the shard shuts the bucket down).
func (ix *Index) Shutdown(ctx context.Context) error { return ix.close() }

// Drop releases the store; the shard drops the bucket (or keeps its files
// when keepFiles is set).
func (ix *Index) Drop(ctx context.Context, keepFiles bool) error { return ix.close() }

// close releases the store once; later calls of the index fail.
func (ix *Index) close() error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.closed {
		return nil
	}
	ix.closed = true
	if ix.st == nil {
		return nil
	}
	err := ix.st.Close()
	ix.st = nil
	if err != nil {
		return fmt.Errorf("silica vector index %q: close store: %w", ix.id, err)
	}
	return nil
}

// PrepareForBackup does nothing: the index's files are the shard's bucket,
// which the shard's backup covers.
func (ix *Index) PrepareForBackup(ctx context.Context) error { return nil }

// ResumeAfterBackup does nothing (see PrepareForBackup).
func (ix *Index) ResumeAfterBackup(ctx context.Context) error { return nil }

// ListFiles returns no files: the index keeps none besides the bucket,
// which the shard lists.
func (ix *Index) ListFiles(ctx context.Context, basePath string) ([]string, error) {
	return nil, nil
}

// SnapshotMutableFiles returns no files (see ListFiles).
func (ix *Index) SnapshotMutableFiles(ctx context.Context, basePath, stagingDir string) ([]string, error) {
	return nil, nil
}
