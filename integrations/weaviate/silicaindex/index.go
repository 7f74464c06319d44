package silicaindex

import (
	"context"
	"fmt"
	"io"
	"math"
	"sync"

	"github.com/sirupsen/logrus"
	"github.com/weaviate/weaviate/adapters/repos/db/lsmkv"
	"github.com/weaviate/weaviate/adapters/repos/db/vector/common"
	"github.com/weaviate/weaviate/adapters/repos/db/vector/compressionhelpers"
	schemaConfig "github.com/weaviate/weaviate/entities/schema/config"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/integrations/weaviate/silicaconfig"
	"github.com/silica-go/silica/store"
)

// BucketPrefix is the name of the bucket that holds an index's vectors;
// an index of a named target vector adds "_" and the vector's name.
const BucketPrefix = "vectors_silica"

// Config is what the shard hands the index when it makes it.
type Config struct {
	// ID names the index in messages (the shard's vector index id).
	ID string
	// TargetVector is the named vector the index serves ("" for the
	// legacy unnamed vector); it names the bucket.
	TargetVector string
	// Logger receives what PostStartup cannot return (nil: discarded).
	Logger logrus.FieldLogger
	// MakeBucketOptions gives the shard's bucket options (nil: none).
	MakeBucketOptions lsmkv.MakeBucketOptions
}

// Index is Silica's vector index for one shard and one target vector.
// It is safe for concurrent use.
type Index struct {
	id     string
	bucket string
	uc     silicaconfig.UserConfig
	metric store.Metric
	dtype  engine.DType
	kv     *lsmkv.Store
	logger logrus.FieldLogger

	loadOnce sync.Once
	// mu guards st and dim, which the first vector sets, and closed.
	mu      sync.RWMutex
	st      *store.Store // nil until the first vector
	dim     int
	loadErr error // why the rebuild at start-up failed, returned by every call after
	closed  bool
}

// New makes the index of one shard: it creates or loads the shard's bucket
// of the index's vectors. The store is rebuilt from the bucket by
// PostStartup (or at first use).
func New(cfg Config, uc silicaconfig.UserConfig, kv *lsmkv.Store) (*Index, error) {
	if kv == nil {
		return nil, fmt.Errorf("silica vector index %q: no lsmkv store", cfg.ID)
	}
	uc, err := silicaconfig.ParseAndValidate(map[string]any{
		"distance": uc.Distance, "dtype": uc.DType, "backend": uc.Backend, "device": uc.Device,
	}, false)
	if err != nil {
		return nil, err
	}
	metric, err := metricOf(uc.Distance)
	if err != nil {
		return nil, err
	}
	dtype, err := store.ParseDType(uc.DType)
	if err != nil {
		return nil, fmt.Errorf("silica vector index %q: %w", cfg.ID, err)
	}
	logger := cfg.Logger
	if logger == nil {
		l := logrus.New()
		l.Out = io.Discard
		logger = l
	}
	ix := &Index{
		id:     cfg.ID,
		bucket: BucketName(cfg.TargetVector),
		uc:     uc,
		metric: metric,
		dtype:  dtype,
		kv:     kv,
		logger: logger,
	}
	var opts []lsmkv.BucketOption
	if cfg.MakeBucketOptions != nil {
		opts = cfg.MakeBucketOptions(lsmkv.StrategyReplace)
	} else {
		opts = []lsmkv.BucketOption{lsmkv.WithStrategy(lsmkv.StrategyReplace)}
	}
	if err := kv.CreateOrLoadBucket(context.Background(), ix.bucket, opts...); err != nil {
		return nil, fmt.Errorf("silica vector index %q: create or load bucket %s: %w", cfg.ID, ix.bucket, err)
	}
	return ix, nil
}

// BucketName returns the name of the bucket of a target vector's index.
func BucketName(targetVector string) string {
	if targetVector == "" {
		return BucketPrefix
	}
	return BucketPrefix + "_" + targetVector
}

// metricOf maps Weaviate's distance name to the store's metric.
func metricOf(distance string) (store.Metric, error) {
	switch distance {
	case silicaconfig.DistanceCosine:
		return store.Cosine, nil
	case silicaconfig.DistanceDot:
		return store.Dot, nil
	case silicaconfig.DistanceL2Squared:
		return store.L2, nil
	}
	return 0, fmt.Errorf("silica vector index: distance %q is not supported; choose cosine, dot or l2-squared", distance)
}

// Type returns "silica".
func (ix *Index) Type() common.IndexType { return common.IndexType(silicaconfig.IndexType) }

// Compressed returns false: rows are stored as the dtype says, never
// compressed by Weaviate's quantizers.
func (ix *Index) Compressed() bool { return false }

// Multivector returns false.
func (ix *Index) Multivector() bool { return false }

// CompressionStats reports uncompressed storage.
func (ix *Index) CompressionStats() compressionhelpers.CompressionStats {
	return compressionhelpers.UncompressedStats{}
}

// UpdateUserConfig accepts an update that changes nothing (every field of
// the config is immutable; Weaviate checks that first with
// silicaconfig.ValidateUpdate) and calls callback in every case.
func (ix *Index) UpdateUserConfig(updated schemaConfig.VectorIndexConfig, callback func()) error {
	defer callback()
	return silicaconfig.ValidateUpdate(ix.uc, updated)
}

// current returns the store after the start-up rebuild (nil while the
// index holds no vector), or the error that makes the index unusable.
// The caller holds ix.mu.
func (ix *Index) current() (*store.Store, error) {
	if ix.closed {
		return nil, fmt.Errorf("silica vector index %q: shut down", ix.id)
	}
	if ix.loadErr != nil {
		return nil, ix.loadErr
	}
	return ix.st, nil
}

// ValidateBeforeInsert checks a vector as Add would: its length against
// the index's dimension (once known), finite values, and not all zeros
// under cosine.
func (ix *Index) ValidateBeforeInsert(vector []float32) error {
	ix.load()
	ix.mu.RLock()
	dim := ix.dim
	ix.mu.RUnlock()
	return ix.check(vector, dim)
}

// check validates one vector against dimension dim (0: any).
func (ix *Index) check(vector []float32, dim int) error {
	if len(vector) == 0 {
		return fmt.Errorf("silica vector index %q: cannot insert a vector of dimension 0", ix.id)
	}
	if dim != 0 && len(vector) != dim {
		return fmt.Errorf("silica vector index %q: vector of dimension %d; the index holds dimension %d", ix.id, len(vector), dim)
	}
	zero := true
	for i, x := range vector {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return fmt.Errorf("silica vector index %q: vector element %d is %v; want a finite number", ix.id, i, x)
		}
		if x != 0 {
			zero = false
		}
	}
	if zero && ix.metric == store.Cosine {
		return fmt.Errorf("silica vector index %q: all-zero vector under cosine distance", ix.id)
	}
	return nil
}

// docID converts Weaviate's doc id to the store's id.
func (ix *Index) docID(id uint64) (int64, error) {
	if id > math.MaxInt64 {
		return 0, fmt.Errorf("silica vector index %q: doc id %d is above the int64 range", ix.id, id)
	}
	return int64(id), nil
}

// storeFor returns the store, making it for dimension dim if the index
// holds no vector yet. The caller holds ix.mu for writing.
func (ix *Index) storeFor(dim int) (*store.Store, error) {
	st, err := ix.current()
	if err != nil || st != nil {
		return st, err
	}
	e, err := sharedEngine(ix.uc.Backend, ix.uc.Device)
	if err != nil {
		return nil, fmt.Errorf("silica vector index %q: %w", ix.id, err)
	}
	st, err = store.New(store.Options{Dim: dim, Metric: ix.metric, DType: ix.dtype, Engine: e})
	if err != nil {
		return nil, fmt.Errorf("silica vector index %q: %w", ix.id, err)
	}
	ix.st, ix.dim = st, dim
	return st, nil
}

// Stats returns the store's statistics (zero while the index is empty).
func (ix *Index) Stats() store.Stats {
	ix.load()
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ix.st == nil {
		return store.Stats{}
	}
	return ix.st.Stats()
}
