package cuda

import (
	"fmt"
	"os"

	"github.com/silica-go/silica/engine"
)

// Config tunes a Backend: which tensor-core scan runs a search of many
// queries, and its tiling. The zero Config is the default: the device's
// best scan (v5 on Hopper, else v4) in the tiling chosen for the number
// of queries. Open reads it from the environment (ConfigFromEnv), once;
// NewConfig takes it from the caller.
type Config struct {
	// Scan is the tensor-core scan: "" for the device's best, "v4" (the
	// mma.sync main loop, scan_mma_v4.cu) or "v5" (the wgmma main loop,
	// scan_wgmma_v5.cu: Hopper only). Environment: SILICA_CUDA_SCAN.
	Scan string
	// Tiling overrides settings of the scan's tiling, e.g.
	// "bm=128,bn=256,bkb=64,stages=4,pf=1,wg=1,swz=1,mb=2" (any subset;
	// wg=1 is v5's main loop), "" for none. Environment: SILICA_CUDA_V4.
	Tiling string
	// SelectK is the largest k a search keeps in the fused scan's
	// buffers; a larger k scores the rows and selects with many blocks a
	// query (scan.go, scoreSelect). 0 is the default: 128 for the row
	// scan of fewer than 16 queries, 1024 for the tensor-core scan (its
	// limit, which SelectK cannot raise). For benchmarks (cmd/cudabench).
	SelectK int
	// RowRU and RowMinB tune the row scan of a single query: rows a warp
	// loads at once (1 to 4) and blocks an SM its registers are capped for
	// (1 to 8); 0 is the default (2 and 3 for 16-bit rows, 1 and 4 for
	// others). For benchmarks (cmd/cudabench).
	RowRU, RowMinB int
	// ScoresRU and ScoresMinB tune the same way the row kernel that
	// writes the scores of a large-k search (scan.go, scoreSelect; groups
	// of 8 queries); 0 is the default (rowsAtOnce, rowBlocksPerSM). For
	// benchmarks (cmd/cudabench).
	ScoresRU, ScoresMinB int
	// TiledMatMul runs the products of 16-bit operands, and the scores of
	// a large-k search of 16-bit rows, on the CUDA cores (matmul.cu, the
	// row kernel of scan.cu) instead of the tensor cores (matmul_mma.cu).
	// For benchmarks (cmd/cudabench -encprof, -anyk).
	TiledMatMul bool
	// NoSkinny runs the tensor-core products of up to skinnyMaxM rows of a
	// (a large-k search's scores of a few queries) through matmul_mma.cu's
	// 128 x 128 tiles instead of matmul_skinny.cu. For benchmarks
	// (cmd/cudabench -anyk).
	NoSkinny bool
	// NoCand runs a search of many queries (float32 or 16-bit) at a k
	// past the fused scan's that is not seeded (NoSeed, a query whose seed
	// failed, or few rows) through the score pass of scoreSelect (every row read
	// again for each group of queries whose scores fit the scratch)
	// instead of candSelect's candidate buffers. For benchmarks
	// (cmd/cudabench).
	NoCand bool
	// NoSeed runs a search of many queries at a large k on the tensor
	// cores without a threshold seeded from a sample of the rows (seed.go):
	// up to the fused scan's k each block keeps its own best k, past it the
	// search scores and selects. For benchmarks (cmd/cudabench).
	NoSeed bool
	// CandRows, when not 0, is the rows of a part of candSelect (the
	// default fills the scratch; see candShape). For tests, which run
	// many parts over few rows.
	CandRows int
	// CandKeep, when not 0, is how many times k keys a candidate buffer
	// of candSelect holds before it is cut back to its best k (default
	// candKeep: 3, 2 for 64 queries or fewer). For benchmarks
	// (cmd/cudabench).
	CandKeep int
}

// The environment variables ConfigFromEnv reads.
const (
	scanVersionEnv = "SILICA_CUDA_SCAN"
	v4ConfigEnv    = "SILICA_CUDA_V4"
)

// ConfigFromEnv returns the Config that SILICA_CUDA_SCAN and
// SILICA_CUDA_V4 ask for (unset: the default).
func ConfigFromEnv() Config {
	return Config{Scan: os.Getenv(scanVersionEnv), Tiling: os.Getenv(v4ConfigEnv)}
}

// check reports a Config that no search could run with: an unknown scan,
// or tiling overrides that do not parse or give no valid tiling.
func (c Config) check() error {
	if c.SelectK < 0 {
		return fmt.Errorf("cuda: SelectK = %d; want 0 (the default) or a k", c.SelectK)
	}
	if c.CandKeep < 0 || c.CandKeep == 1 {
		return fmt.Errorf("cuda: CandKeep = %d; want 0 (the default) or 2 or more", c.CandKeep)
	}
	if c.CandRows < 0 {
		return fmt.Errorf("cuda: CandRows = %d; want 0 (the default) or a number of rows", c.CandRows)
	}
	if c.RowRU < 0 || c.RowRU > 4 || c.RowMinB < 0 || c.RowMinB > 8 {
		return fmt.Errorf("cuda: RowRU = %d, RowMinB = %d; want 0 (the default) or 1 to 4, and 1 to 8", c.RowRU, c.RowMinB)
	}
	if c.ScoresRU < 0 || c.ScoresRU > 4 || c.ScoresMinB < 0 || c.ScoresMinB > 8 {
		return fmt.Errorf("cuda: ScoresRU = %d, ScoresMinB = %d; want 0 (the default) or 1 to 4, and 1 to 8", c.ScoresRU, c.ScoresMinB)
	}
	switch c.Scan {
	case "", "v4", "v5":
	default:
		return fmt.Errorf("cuda: %s=%q: want v4 or v5 (unset: v5 on Hopper, else v4)", scanVersionEnv, c.Scan)
	}
	for _, base := range []v4Config{defaultV4(1), defaultV4(1024), defaultV5(1, false), defaultV5(1024, true)} {
		if _, err := parseV4(base, c.Tiling); err != nil {
			return err
		}
	}
	return nil
}

// NewConfig opens the GPU of the given ordinal with Config c instead of
// the environment's. An invalid c is an error before any device is
// touched.
func NewConfig(ordinal int, c Config) (*Backend, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	b, err := open(ordinal)
	if err != nil {
		return nil, err
	}
	b.cfg = c
	return b, nil
}

// SetConfig replaces the backend's Config from its next search on. It is
// for tests and benchmarks that compare scans on one device and its data
// (cmd/cudabench); a program sets its Config when it opens the backend.
func (b *Backend) SetConfig(c Config) error {
	if err := c.check(); err != nil {
		return err
	}
	return b.do(func() error { b.cfg = c; return nil })
}

// scanVersion returns the tensor-core scan of the backend's Config: "v4"
// or "v5", the device's best (bestScan) when the Config names none.
func (r *runner) scanVersion() string {
	if v := r.b.cfg.Scan; v != "" {
		return v
	}
	return r.d.bestScan()
}

// v4Tiling returns the tiling of a search of m queries by scan version
// ver (tf32: float32 rows): the default, with the Config's overrides; a
// default whose shared memory the device cannot give a block is
// replaced by a smaller one (fitV4).
func (r *runner) v4Tiling(ver string, m int, xt engine.DType) (v4Config, error) {
	base := defaultV4(m)
	if ver == "v5" {
		base = defaultV5(m, xt == engine.Float32)
	}
	if r.b.cfg.Tiling == "" {
		return fitV4(base, r.d.smemOptin), nil
	}
	return parseV4(base, r.b.cfg.Tiling)
}

// smallerV4 are the mma.sync tilings, largest first, that take the place
// of a default whose shared memory a block (the defaults were chosen on
// Hopper's 227 KiB) the device cannot give: 131 KiB (an A100's 163 KiB
// holds it, not the 173 KiB of 128-byte stages), 90 KiB (the 99 KiB of
// sm_86, sm_89 and sm_120), 69 and 54 KiB. Each is emulated by
// TestScanV4Emulated.
var smallerV4 = []v4Config{
	{bm: 128, bn: 256, bkb: 64, stages: 4},
	{bm: 128, bn: 128, bkb: 64, stages: 4},
	{bm: 64, bn: 128, bkb: 64, stages: 4},
	{bm: 64, bn: 128, bkb: 64, stages: 3},
}

// fitV4 returns mma.sync tiling c if a block's smem bytes hold it, else
// the largest of smallerV4 that they hold with query tiles no taller
// than c's; c itself when none fits (its launch then says so).
func fitV4(c v4Config, smem int) v4Config {
	if c.wg || c.smem() <= smem {
		return c
	}
	for _, s := range smallerV4 {
		if s.bm <= c.bm && s.smem() <= smem {
			return s
		}
	}
	return c
}
