// Command kernelpack makes the CUDA kernels the build ships compiled
// (kernels/cuda/shipped), so that a store's first search on a GPU of
// their architecture loads them instead of waiting seconds for NVRTC.
// Neither step needs a GPU, only NVRTC (pip install nvidia-cuda-nvrtc).
//
//	kernelpack list [-out kernels/cuda/shipped/manifest.json]
//	kernelpack build [-manifest ...] [-out kernels/cuda/shipped/kernels.pack]
//	kernelpack check   (the pack holds the manifest's kernels as their sources are now)
//	kernelpack verify [-dims 768 -rows 200000]   (on a GPU: the same work compiles nothing)
//
// list runs stores of every dtype (float32, float16, int8), metric and
// row length of -dims, at each row count of -rows, on the CPU, and has
// kernel listers (cuda.NewLister) of a GPU of each architecture from
// sm_75 to sm_120 (gpus: a T4, an A100, an A10, an L4, an H100 or H200,
// a B200, an RTX 5090) list every kernel the CUDA backend would launch
// there for the same work: the
// adds, deletes, upserts, compactions, saves and opens, and the searches
// of each k of -k and batch size of -batches, filtered or not, before and
// after the deletes (Store.Warm and WarmFiltered). build compiles the
// manifest's kernels with NVRTC on every core. A change to a kernel's
// source makes check (and the cuda package's TestShippedPack) fail until
// build runs again; a change to which kernels a search launches makes
// this package's TestManifestCovers fail until list and build run again.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/silica-go/silica/cpu"
	"github.com/silica-go/silica/cuda"
	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/store"
)

const (
	defaultManifest = "kernels/cuda/shipped/manifest.json"
	defaultPack     = "kernels/cuda/shipped/kernels.pack"
	// The k and batch sizes list warms by default (the manifest's).
	defaultK       = "10,100,1000,4096"
	defaultBatches = "1,2,3,4,5,6,7,8,16,64,1024"
)

func main() {
	if len(os.Args) < 2 {
		fatal(fmt.Errorf("usage: kernelpack list|build|check|verify [flags]"))
	}
	fs := flag.NewFlagSet("kernelpack "+os.Args[1], flag.ExitOnError)
	manifest := fs.String("manifest", defaultManifest, "the manifest: the kernels to ship (JSON)")
	pack := fs.String("pack", defaultPack, "the pack: their compiled cubins")
	out := fs.String("out", "", "list: where the manifest goes (default -manifest); build: where the pack goes (default -pack)")
	dims := fs.String("dims", "384,768,1024,1536,3072", "list: the row lengths")
	rows := fs.String("rows", "2000,200000", "list: the stores' row counts")
	ks := fs.String("k", defaultK, "list: the k Warm prepares")
	batches := fs.String("batches", defaultBatches, "list: the batch sizes Warm prepares")
	fs.Parse(os.Args[2:])
	switch os.Args[1] {
	case "list":
		if *out == "" {
			*out = *manifest
		}
		save := func(specs []cuda.KernelSpec) {
			b, err := json.MarshalIndent(specs, "", "  ")
			if err == nil {
				err = os.WriteFile(*out, append(b, '\n'), 0o644)
			}
			if err != nil {
				fatal(err)
			}
		}
		specs, err := list(ints(*dims), ints(*rows), ints(*ks), ints(*batches), save)
		if err != nil {
			fatal(err)
		}
		save(specs)
		fmt.Printf("kernelpack: %d kernels listed in %s\n", len(specs), *out)
	case "build":
		if *out == "" {
			*out = *pack
		}
		specs := readManifest(*manifest)
		start := time.Now()
		p, err := cuda.BuildPack(specs)
		if err != nil {
			fatal(err)
		}
		if err := os.WriteFile(*out, p, 0o644); err != nil {
			fatal(err)
		}
		fmt.Printf("kernelpack: %d kernels compiled into %s (%d bytes) in %.1f s\n", len(specs), *out, len(p), time.Since(start).Seconds())
	case "verify":
		if err := verify(ints(*dims), ints(*rows), ints(*ks), ints(*batches)); err != nil {
			fatal(err)
		}
	case "check":
		p, err := os.ReadFile(*pack)
		if err != nil {
			fatal(err)
		}
		if err := cuda.CheckPack(readManifest(*manifest), p); err != nil {
			fatal(err)
		}
		fmt.Printf("kernelpack: %s holds the kernels of %s\n", *pack, *manifest)
	default:
		fatal(fmt.Errorf("unknown command %q: want list, build, check or verify", os.Args[1]))
	}
}

func readManifest(path string) []cuda.KernelSpec {
	b, err := os.ReadFile(path)
	if err != nil {
		fatal(err)
	}
	var specs []cuda.KernelSpec
	if err := json.Unmarshal(b, &specs); err != nil {
		fatal(fmt.Errorf("%s: %w", path, err))
	}
	return specs
}

// listing is the CPU backend, which runs the stores' work, with kernel
// listers of CUDA devices, which list the kernels each plan run or
// warmed would launch on them (engine.Warmer). It answers Supports as
// CUDA does, so that the engine plans as it would on a GPU, and uses no
// host memory in place (no engine.HostWrapper), so that the store keeps
// its rows as on a device.
type listing struct {
	cpu *cpu.Backend
	ls  []*cuda.Backend
}

func (b listing) Device() engine.DeviceInfo                      { return b.cpu.Device() }
func (b listing) Alloc(n int) (engine.Buffer, error)             { return b.cpu.Alloc(n) }
func (b listing) Free(buf engine.Buffer)                         { b.cpu.Free(buf) }
func (b listing) Write(d engine.Buffer, off int, p []byte) error { return b.cpu.Write(d, off, p) }
func (b listing) Read(s engine.Buffer, off int, p []byte) error  { return b.cpu.Read(s, off, p) }
func (b listing) Synchronize() error                             { return nil }
func (b listing) Close() error                                   { return b.cpu.Close() }
func (b listing) Supports(op engine.Op, a *engine.Attrs, in []engine.Value) bool {
	return b.ls[0].Supports(op, a, in) // the same on every device
}

func (b listing) Warm(p *engine.Plan) error {
	for _, l := range b.ls {
		if err := l.Warm(p); err != nil {
			return err
		}
	}
	return nil
}

func (b listing) Run(p *engine.Plan, bufs []engine.Buffer) error {
	if err := b.Warm(p); err != nil {
		return err
	}
	return b.cpu.Run(p, bufs)
}

// gpu is a kind of GPU the build ships kernels for: its compute
// capability, multiprocessors and shared memory a block (opt-in), which
// decide the kernels a search launches.
type gpu struct {
	name          string
	cc, sms, smem int
}

// gpus are the GPUs list lists kernels for, one of each architecture
// (their figures from NVIDIA's data sheets; none of them has yet run
// kernelpack verify).
var gpus = []gpu{
	{"T4", 75, 40, 64 << 10},
	{"A100", 80, 108, 163 << 10},
	{"A10", 86, 72, 99 << 10},
	{"L4", 89, 58, 99 << 10},
	{"H100, H200", 90, 132, 227 << 10},
	{"B200", 100, 148, 227 << 10},
	{"RTX 5090", 120, 170, 99 << 10},
}

// newListing returns the CPU backend with a lister of each GPU.
func newListing(gs []gpu) (listing, error) {
	c, err := cpu.New()
	if err != nil {
		return listing{}, err
	}
	b := listing{cpu: c}
	for _, g := range gs {
		l, err := cuda.NewLister(g.cc, g.sms, g.smem)
		if err != nil {
			return listing{}, fmt.Errorf("%s: %w", g.name, err)
		}
		b.ls = append(b.ls, l)
	}
	return b, nil
}

// kernels returns what the listers listed, in their order.
func (b listing) kernels() []cuda.KernelSpec {
	var out []cuda.KernelSpec
	for _, l := range b.ls {
		out = append(out, l.Kernels()...)
	}
	return out
}

// list runs the stores of every shape and returns the kernels the lister
// listed, handing those listed so far to save after each store.
func list(dims, rowCounts, ks, batches []int, save func([]cuda.KernelSpec)) ([]cuda.KernelSpec, error) {
	b, err := newListing(gpus)
	if err != nil {
		return nil, err
	}
	e := engine.New("cuda-lister", b)
	defer e.Close()
	err = eachShape(e, dims, rowCounts, ks, batches, func(shape string, took time.Duration) {
		sofar := b.kernels()
		if save != nil {
			save(sofar)
		}
		fmt.Printf("kernelpack: %s: %d kernels so far (%.1f s)\n", shape, len(sofar), took.Seconds())
	})
	if err != nil {
		return nil, err
	}
	return b.kernels(), nil
}

// eachShape runs listStore on e for every dtype, metric, row length and
// row count (a save and an open once a dtype and metric), calling after
// with the shape's name and its time after each.
func eachShape(e *engine.Engine, dims, rowCounts, ks, batches []int, after func(shape string, took time.Duration)) error {
	tmp, err := os.MkdirTemp("", "kernelpack")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, dt := range []engine.DType{engine.Float32, engine.Float16, engine.Int8} {
		for _, metric := range []store.Metric{store.Cosine, store.Dot, store.L2} {
			for _, dim := range dims {
				for ri, n := range rowCounts {
					shape, start := fmt.Sprintf("%s %s dim %d, %d rows", dt, metric, dim, n), time.Now()
					if err := listStore(e, rng, dt, metric, dim, n, ks, batches, dim == dims[0] && ri == 0, tmp); err != nil {
						return fmt.Errorf("%s: %w", shape, err)
					}
					after(shape, time.Since(start))
				}
			}
		}
	}
	return nil
}

// listStore runs one store's work on e: rows added, every search warmed,
// rows deleted and upserted, the searches warmed again, a search, a
// compaction; with reopen, a save and an open of it too.
func listStore(e *engine.Engine, rng *rand.Rand, dt engine.DType, metric store.Metric, dim, n int, ks, batches []int, reopenIt bool, tmp string) error {
	st, err := store.New(store.Options{Dim: dim, Metric: metric, DType: dt, Engine: e})
	if err != nil {
		return err
	}
	defer st.Close()
	if err := fill(st, rng, n, dim); err != nil {
		return err
	}
	if err := warmAll(st, n, ks, batches); err != nil {
		return err
	}
	if _, err := st.Delete(2, 3, int64(n)); err != nil {
		return err
	}
	if err := st.Add([]int64{5, int64(n) + 1}, randQueries(rng, 2, dim)); err != nil {
		return err
	}
	if err := warmAll(st, n, ks, batches); err != nil { // with rows deleted
		return err
	}
	if _, err := st.Search(randQueries(rng, 1, dim)[0], ks[0]); err != nil {
		return err
	}
	if err := st.Compact(); err != nil {
		return err
	}
	if reopenIt {
		return reopen(st, e, filepath.Join(tmp, fmt.Sprintf("%s-%s", dt, metric)))
	}
	return nil
}

// verify runs list's work for the shapes given on the first GPU, with
// no kernel cache, and fails naming each kernel NVRTC had to compile.
func verify(dims, rowCounts, ks, batches []int) error {
	os.Setenv("SILICA_CUDA_CACHE", "off")
	var mu sync.Mutex // Open's background warm-up reports from its goroutine
	var compiled []string
	engine.SetProgress(func(m string) {
		if strings.Contains(m, "compiling kernel") {
			mu.Lock()
			compiled = append(compiled, m)
			mu.Unlock()
		}
	})
	e, err := engine.Open("cuda")
	if err != nil {
		return err
	}
	defer e.Close()
	fmt.Println("kernelpack: verify on", e.Device().Name, e.Device().Version)
	before := 0
	err = eachShape(e, dims, rowCounts, ks, batches, func(shape string, took time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Printf("kernelpack: %s: %d kernels compiled (%.1f s)\n", shape, len(compiled)-before, took.Seconds())
		for _, m := range compiled[before:] {
			fmt.Println("   ", m)
		}
		before = len(compiled)
	})
	if err != nil {
		return err
	}
	if len(compiled) > 0 {
		return fmt.Errorf("%d kernels were compiled: the shipped kernels do not cover this work", len(compiled))
	}
	fmt.Println("kernelpack: no kernel compiled")
	return nil
}

// blocks are the random rows fill adds, by row length, made once.
var blocks = map[int][]float32{}

// fill adds n random rows of dim values in batches, with ids 1..n.
func fill(st *store.Store, rng *rand.Rand, n, dim int) error {
	const batch = 1 << 14
	block := blocks[dim]
	if block == nil {
		block = make([]float32, batch*dim)
		for i := range block {
			block[i] = float32(rng.NormFloat64())
		}
		blocks[dim] = block
	}
	for lo := 0; lo < n; lo += batch {
		m := min(batch, n-lo)
		ids := make([]int64, m)
		for i := range ids {
			ids[i] = int64(lo + i + 1)
		}
		if err := st.AddFlat(ids, block[:m*dim]); err != nil {
			return err
		}
	}
	return nil
}

func randQueries(rng *rand.Rand, m, dim int) [][]float32 {
	qs := make([][]float32, m)
	for i := range qs {
		qs[i] = make([]float32, dim)
		for j := range qs[i] {
			qs[i][j] = float32(rng.NormFloat64())
		}
	}
	return qs
}

// warmAll warms st's searches at each k for each batch size, unfiltered
// and through a filter that passes a tenth of the ids.
func warmAll(st *store.Store, n int, ks, batches []int) error {
	var allow []int64
	for id := int64(1); id <= int64(n); id += 10 {
		allow = append(allow, id)
	}
	f := store.AllowIDs(allow...)
	for _, k := range ks {
		if err := st.Warm(k, batches...); err != nil {
			return err
		}
		if err := st.WarmFiltered(k, f, batches...); err != nil {
			return err
		}
	}
	return nil
}

// reopen saves st to dir, opens it on e and searches it once.
func reopen(st *store.Store, e *engine.Engine, dir string) error {
	if err := st.Save(dir); err != nil {
		return err
	}
	o, err := store.Open(dir, store.Options{Engine: e})
	if err != nil {
		return err
	}
	defer o.Close()
	_, err = o.Search(randQueries(rand.New(rand.NewPCG(3, 4)), 1, o.Dim())[0], 10)
	return err
}

func ints(s string) []int {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			fatal(fmt.Errorf("%q: want a list of positive integers", s))
		}
		out = append(out, n)
	}
	return out
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "kernelpack:", err)
	os.Exit(1)
}
