package store

import (
	"fmt"
	"math"
	"strings"

	"github.com/silica-go/silica/engine"
)

// Metric is how a store scores a query against its rows.
type Metric uint8

const (
	// Cosine: the cosine similarity, in [-1, 1], larger is closer. Rows
	// are normalized when they are added, so the stored rows are unit
	// length and a search is one scan of dot products.
	Cosine Metric = iota + 1
	// Dot: the inner product, larger is closer.
	Dot
	// L2: the squared Euclidean distance, smaller is closer (as FAISS's
	// IndexFlatL2 reports it; take the square root for the distance).
	L2
)

var metricNames = map[Metric]string{Cosine: "cosine", Dot: "dot", L2: "l2"}

func (m Metric) String() string {
	if s, ok := metricNames[m]; ok {
		return s
	}
	return fmt.Sprintf("metric(%d)", uint8(m))
}

// ParseMetric reads "cosine", "dot" or "l2" (any case; "ip" and "inner"
// mean dot, "euclidean" means l2).
func ParseMetric(s string) (Metric, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "cosine", "cos":
		return Cosine, nil
	case "dot", "ip", "inner":
		return Dot, nil
	case "l2", "euclidean":
		return L2, nil
	}
	return 0, fmt.Errorf("store: unknown metric %.48q (want cosine, dot or l2)", s)
}

// scan maps m to the engine's metric, the one the fused scan computes,
// and says whether queries and rows are normalized first (Cosine: dot
// products of unit rows).
func (m Metric) scan() (metric engine.Metric, normalize bool) {
	switch m {
	case L2:
		return engine.MetricL2, false
	case Cosine:
		return engine.MetricDot, true
	}
	return engine.MetricDot, false
}

// larger reports whether a larger score is closer.
func (m Metric) larger() bool {
	em, _ := m.scan()
	return em.Larger()
}

// ParseDType reads a storage type: "float32" or "f32", "float16" or
// "f16", "int8" or "i8".
func ParseDType(s string) (engine.DType, error) {
	dt, err := engine.ParseDType(s)
	if err == nil {
		err = checkDType(dt)
	}
	if err != nil {
		return engine.InvalidDType, fmt.Errorf("store: unknown storage dtype %.48q (want f32, f16 or i8)", s)
	}
	return dt, nil
}

func checkDType(dt engine.DType) error {
	switch dt {
	case engine.Float32, engine.Float16, engine.Int8:
		return nil
	}
	return fmt.Errorf("store: storage dtype %s is not supported (want float32, float16 or int8)", dt)
}

// DefaultSegmentRows is the most rows an arena holds when
// Options.SegmentRows is zero: no limit but the int range.
const DefaultSegmentRows = math.MaxInt32

// Options configure a store. The zero value of every field but Dim has a
// default.
type Options struct {
	// Dim is the length of every vector; New needs it (> 0). Open takes it
	// from the files and fails if a nonzero Dim differs.
	Dim int
	// Metric scores queries (zero: Cosine). Open fails if it is set and
	// differs from the store's.
	Metric Metric
	// DType is the storage type of the rows: engine.Float32 (zero value),
	// engine.Float16, or engine.Int8 (each row quantized with its own
	// float32 scale, max|x|/127). Open fails if it is set and differs.
	DType engine.DType
	// Backend names the engine backend ("cpu", "cuda", "metal", "mlx",
	// "torch"...); empty: engine.Default(), which honours SILICA_BACKEND.
	// The backend must be registered (import
	// github.com/silica-go/silica/backends for all of them).
	Backend string
	// Device selects a device of the backend ("1" for cuda:1); empty: the
	// backend's default.
	Device string
	// Engine, if not nil, is used instead of opening one; Backend and
	// Device must then be empty. The store does not close it.
	Engine *engine.Engine
	// MemoryGB bounds the bytes the store keeps (vectors, scales and ids,
	// deleted rows not yet compacted included), in GB of 10^9 bytes; zero
	// means no bound. An add that would pass it fails whole.
	MemoryGB float64
	// Encoder, if not nil, turns texts into vectors for AddTexts and
	// SearchText (encode.Encoder implements it); Dim may then be zero (the
	// encoder's). The manifest records its model, and Open refuses an
	// encoder of other weights than the store's vectors came from.
	Encoder TextEncoder
	// SkipChecksums makes Open and Load skip the CRC-32C pass over the
	// data of the .npy files. Sizes, .npy headers, the manifest's own
	// checksum and the order of the ids are still checked. The pass reads
	// every byte (about 0.9 s for a 1M x 768 float32 store on a busy
	// 2-core machine); skip it only for files on storage you trust.
	SkipChecksums bool
	// SegmentRows is the most rows one arena (one engine array, scanned
	// by one kernel) holds (zero: DefaultSegmentRows, no limit); past it
	// rows go to a new arena, and a search scans each and merges.
	SegmentRows int
	// Devices spreads the rows over several devices of the backend: each
	// a device name the backend lists (engine.Devices: "0", "1" for cuda,
	// "cpu" for the cpu backend), or the single value "all" for every
	// device it lists. Backend names the backend (empty: the default
	// one's); Device and Engine must be empty. A device the backend does
	// not list, or one named twice, is an error. Empty (with Shards zero):
	// one device, as Backend and Device say. See "Sharding" in the package
	// doc: searches merge the devices' top k on the host, and the speed on
	// several GPUs has not been measured yet.
	Devices []string
	// Shards is the number of shards on each device (zero: 1 when Devices
	// is set). With Devices empty, Shards > 0 shards the store on the one
	// device Backend/Device or Engine give; Shards 0 and Devices empty is
	// the unsharded store. Negative or above MaxShards is an error.
	Shards int
}

// MaxShards bounds Options.Shards times the number of devices.
const MaxShards = 1024

// resolved is Options after defaults and checks.
type resolved struct {
	dim     int
	metric  Metric
	dtype   engine.DType
	budget  int64 // bytes, 0 for none
	segRows int
	// shards per device; 0 for an unsharded store.
	shards int
}

// resolve checks o and fills in the defaults. needDim: New needs Dim.
func (o *Options) resolve(needDim bool) (resolved, error) {
	r := resolved{dim: o.Dim, metric: o.Metric, dtype: o.DType, segRows: o.SegmentRows}
	if o.Encoder != nil && r.dim == 0 && needDim {
		r.dim = o.Encoder.Dim()
	}
	switch {
	case r.dim < 0 || (needDim && r.dim == 0):
		return r, fmt.Errorf("store: dimension %d; want Dim > 0", r.dim)
	case o.SegmentRows < 0:
		return r, fmt.Errorf("store: SegmentRows %d; want 0 (the default) or more", o.SegmentRows)
	case math.IsNaN(o.MemoryGB) || o.MemoryGB < 0 || o.MemoryGB > 1e9:
		return r, fmt.Errorf("store: memory budget %g GB; want 0 (none) or a positive number of GB", o.MemoryGB)
	case o.Engine != nil && (o.Backend != "" || o.Device != ""):
		return r, fmt.Errorf("store: Options.Engine is set together with Backend %q / Device %q; give one or the other", o.Backend, o.Device)
	}
	if err := o.checkShards(); err != nil {
		return r, err
	}
	if o.Shards > 0 || len(o.Devices) > 0 {
		r.shards = max(o.Shards, 1)
	}
	if r.metric == 0 && needDim {
		r.metric = Cosine
	}
	if _, ok := metricNames[r.metric]; !ok && r.metric != 0 {
		return r, fmt.Errorf("store: unknown metric %s (want cosine, dot or l2)", r.metric)
	}
	if r.dtype == engine.InvalidDType && needDim {
		r.dtype = engine.Float32
	}
	if r.dtype != engine.InvalidDType {
		if err := checkDType(r.dtype); err != nil {
			return r, err
		}
	}
	if r.segRows == 0 {
		r.segRows = DefaultSegmentRows
	}
	r.budget = int64(o.MemoryGB * 1e9)
	return r, nil
}

// openEngine returns the engine o names and whether the store owns it.
func (o *Options) openEngine() (*engine.Engine, bool, error) {
	if o.Engine != nil {
		return o.Engine, false, nil
	}
	if o.Backend == "" {
		if o.Device != "" {
			return nil, false, fmt.Errorf("store: Device %q given without a Backend", o.Device)
		}
		e, err := engine.Default()
		if err != nil {
			return nil, false, opErr(err, "no backend")
		}
		return e, true, nil
	}
	spec := o.Backend
	if o.Device != "" {
		spec += ":" + o.Device
	}
	e, err := engine.Open(spec)
	if err != nil {
		return nil, false, fmt.Errorf("store: %w", err) // engine.Open names spec
	}
	return e, true, nil
}

// checkShards checks Devices and Shards (the devices against the
// backend's list later, in openEngines).
func (o *Options) checkShards() error {
	switch {
	case o.Shards < 0:
		return fmt.Errorf("store: Shards %d; want 0 (the default) or more", o.Shards)
	case len(o.Devices) == 0:
		if o.Shards > MaxShards {
			return fmt.Errorf("store: Shards %d; want at most MaxShards (%d)", o.Shards, MaxShards)
		}
		return nil
	case o.Engine != nil:
		return fmt.Errorf("store: Options.Engine is set together with Devices %q; give one or the other", o.Devices)
	case o.Device != "":
		return fmt.Errorf("store: Device %q is set together with Devices %q; give one or the other", o.Device, o.Devices)
	case max(o.Shards, 1)*len(o.Devices) > MaxShards:
		return fmt.Errorf("store: %d shards on each of %d devices; want at most MaxShards (%d) in all", o.Shards, len(o.Devices), MaxShards)
	}
	seen := map[string]bool{}
	for _, d := range o.Devices {
		switch {
		case d == "":
			return fmt.Errorf("store: Devices %q holds an empty name", o.Devices)
		case d == "all" && len(o.Devices) > 1:
			return fmt.Errorf("store: Devices %q: \"all\" must be the only entry", o.Devices)
		case seen[d]:
			return fmt.Errorf("store: Devices %q names device %q twice", o.Devices, d)
		}
		seen[d] = true
	}
	return nil
}
