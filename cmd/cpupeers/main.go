// Command cpupeers measures the CPU backend beside the peers a user of
// this machine would reach for, in one run with the timings interleaved:
// the store's batch search (store.New on "cpu", AddFlat, SearchBatch)
// against faiss-cpu's IndexFlatIP and NumPy (x @ q.T, argpartition, sort)
// on the same data, by cosine (rows normalized for the peers) and, with
// -metric l2, by squared L2 distance against IndexFlatL2 and NumPy's
// |x|^2 - 2 x @ q.T (the row norms computed at load time, as a user
// would keep them), and the engine's 1024^3 MatMul against NumPy's a @ b.
// -dtype stores the rows as float16 or int8 (the peers keep float32).
// Each round runs ours (after a pause that lets the peers' idle threads
// stop spinning), then each peer, once; the table gives medians
// and the peers' times over ours.
//
// The peers run in one Python process (peers.py beside this file, run by
// $SILICA_PYTHON, else python3) with OPENBLAS_CORETYPE and
// OPENBLAS_L2_SIZE removed from its environment, so NumPy's OpenBLAS picks
// its kernel for the processor; the first line printed names it.
//
//	go run ./cmd/cpupeers [-rows 10000,100000] [-queries 1,64,1024] [-k 100] [-reps 5]
//	    [-metric cosine,l2] [-dtype float32] [-matmul 1024]
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/silica-go/silica/cpu"
	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/store"
)

func main() {
	rows := flag.String("rows", "10000,100000", "store sizes (rows)")
	queries := flag.String("queries", "1,64,1024", "queries per SearchBatch")
	k := flag.Int("k", 100, "hits per query")
	d := flag.Int("d", 768, "dimension")
	reps := flag.Int("reps", 5, "timed rounds per row (after one warm-up)")
	mm := flag.Int("matmul", 1024, "matmul size n (n x n x n); 0 skips")
	metrics := flag.String("metric", "cosine", "metrics to search by: cosine, l2 or both (comma-separated)")
	dtype := flag.String("dtype", "float32", "the store's row type: float32, float16 or int8")
	flag.Parse()
	var ms []store.Metric
	for _, name := range strings.Split(*metrics, ",") {
		m, err := store.ParseMetric(strings.TrimSpace(name))
		if err != nil || m == store.Dot {
			fmt.Fprintf(os.Stderr, "cpupeers: -metric %q: want cosine or l2\n", name)
			os.Exit(2)
		}
		ms = append(ms, m)
	}
	dt, err := store.ParseDType(*dtype)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cpupeers: -dtype:", err)
		os.Exit(2)
	}
	if err := run(ints(*rows), ints(*queries), *k, *d, *reps, *mm, ms, dt); err != nil {
		fmt.Fprintln(os.Stderr, "cpupeers:", err)
		os.Exit(1)
	}
}

func ints(s string) []int {
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			fmt.Fprintf(os.Stderr, "cpupeers: %q is not a list of integers\n", s)
			os.Exit(2)
		}
		out = append(out, v)
	}
	return out
}

// peers is the Python process that runs NumPy and faiss.
type peers struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
}

func startPeers() (*peers, error) {
	py := os.Getenv("SILICA_PYTHON")
	if py == "" {
		py = "python3"
	}
	_, file, _, _ := runtime.Caller(0)
	cmd := exec.Command(py, filepath.Join(filepath.Dir(file), "peers.py"))
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OPENBLAS_CORETYPE=") && !strings.HasPrefix(kv, "OPENBLAS_L2_SIZE=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", py, err)
	}
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	return &peers{cmd, in, sc}, nil
}

// ask sends one command and returns the answer line.
func (p *peers) ask(format string, a ...any) (string, error) {
	line := fmt.Sprintf(format, a...)
	if _, err := fmt.Fprintln(p.in, line); err != nil {
		return "", err
	}
	if !p.out.Scan() {
		return "", fmt.Errorf("peers: no answer to %q", line)
	}
	return p.out.Text(), nil
}

// time runs a timing command and returns its seconds.
func (p *peers) time(format string, a ...any) (float64, error) {
	s, err := p.ask(format, a...)
	if err != nil {
		return 0, err
	}
	return strconv.ParseFloat(s, 64)
}

// settle waits before each of our timings for the peers' idle threads to
// stop spinning: OpenBLAS's workers busy-wait for about 2^28 cycles after
// a call and OpenMP's (faiss) for a while too, which would take a core
// from the Go code timed right after them.
func settle() { time.Sleep(250 * time.Millisecond) }

func median(x []float64) float64 {
	s := slices.Clone(x)
	slices.Sort(s)
	return s[len(s)/2]
}

func run(rows, queries []int, k, d, reps, mm int, metrics []store.Metric, dt engine.DType) error {
	p, err := startPeers()
	if err != nil {
		return err
	}
	defer p.cmd.Wait()
	defer p.in.Close()
	info, err := p.ask("info")
	if err != nil {
		return err
	}
	fmt.Printf("%s; Go %s, %d cores; medians of %d rounds, interleaved\n\n", strings.TrimPrefix(info, "info "), runtime.Version(), runtime.NumCPU(), reps)
	fmt.Println("| metric | store rows | rows | queries | k | store ms | faiss-cpu ms | NumPy ms | faiss/store | NumPy/store |")
	fmt.Println("|--|--|--:|--:|--:|--:|--:|--:|--:|--:|")
	maxM := slices.Max(queries)
	for _, n := range rows {
		if len(queries) == 0 || len(metrics) == 0 {
			break
		}
		if err := searchRows(p, n, d, k, maxM, queries, reps, metrics, dt); err != nil {
			return err
		}
	}
	if mm > 0 {
		return matmul(p, mm, reps)
	}
	return nil
}

// searchRows builds a store of n random rows per metric and times every
// batch size.
func searchRows(p *peers, n, d, k, maxM int, queries []int, reps int, metrics []store.Metric, dt engine.DType) error {
	r := rand.New(rand.NewPCG(uint64(n), 7))
	data := make([]float32, (n+maxM)*d)
	for i := range data {
		data[i] = float32(r.NormFloat64())
	}
	f, err := os.CreateTemp("", "cpupeers-*.f32")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(unsafe.Slice((*byte)(unsafe.Pointer(&data[0])), 4*len(data))); err != nil {
		return err
	}
	f.Close()
	if _, err := p.ask("load %s %d %d %d", f.Name(), n, d, maxM); err != nil {
		return err
	}
	ids := r.Perm(n)
	ids64 := make([]int64, n)
	for i, v := range ids {
		ids64[i] = int64(v)*7919 + 13
	}
	q := make([][]float32, maxM)
	for i := range q {
		q[i] = data[(n+i)*d : (n+i+1)*d]
	}
	for _, metric := range metrics {
		if err := searchMetric(p, n, d, k, queries, reps, metric, dt, ids64, data[:n*d], q); err != nil {
			return err
		}
	}
	return nil
}

// searchMetric times every batch size on a store of the rows by one metric.
func searchMetric(p *peers, n, d, k int, queries []int, reps int, metric store.Metric, dt engine.DType, ids []int64, rows []float32, q [][]float32) error {
	s, err := store.New(store.Options{Dim: d, Backend: "cpu", Metric: metric, DType: dt})
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.AddFlat(ids, rows); err != nil {
		return err
	}
	name := strings.ToLower(metric.String())
	for _, m := range queries {
		var ours, fa, np []float64
		for rep := -1; rep < reps; rep++ {
			settle()
			t0 := time.Now()
			if _, err := s.SearchBatch(q[:m], k); err != nil {
				return err
			}
			t := time.Since(t0).Seconds()
			tf, err := p.time("faiss %d %d %s", m, k, name)
			if err != nil {
				return err
			}
			tn, err := p.time("numpy %d %d %s", m, k, name)
			if err != nil {
				return err
			}
			if rep >= 0 {
				ours, fa, np = append(ours, t), append(fa, tf), append(np, tn)
			}
		}
		o, a, b := median(ours), median(fa), median(np)
		fmt.Printf("| %s | %s | %d | %d | %d | %.2f | %.2f | %.2f | %.2f | %.2f |\n", name, dt, n, m, k, 1e3*o, 1e3*a, 1e3*b, a/o, b/o)
	}
	return nil
}

// matmul times the engine's n x n x n float32 MatMul beside NumPy's.
func matmul(p *peers, n, reps int) error {
	cb, err := cpu.New()
	if err != nil {
		return err
	}
	e := engine.New("cpu", cb)
	r := rand.New(rand.NewPCG(1, 1))
	a, b := make([]float32, n*n), make([]float32, n*n)
	for i := range a {
		a[i], b[i] = float32(r.NormFloat64()), float32(r.NormFloat64())
	}
	A, err := e.FromFloat32(a, n, n)
	if err != nil {
		return err
	}
	B, err := e.FromFloat32(b, n, n)
	if err != nil {
		return err
	}
	var ours, np []float64
	for rep := -1; rep < reps; rep++ {
		settle()
		t0 := time.Now()
		c, err := engine.MatMul(A, B, false, false)
		if err != nil {
			return err
		}
		if err := e.Eval(c); err != nil {
			return err
		}
		t := time.Since(t0).Seconds()
		c.Free()
		tn, err := p.time("matmul %d", n)
		if err != nil {
			return err
		}
		if rep >= 0 {
			ours, np = append(ours, t), append(np, tn)
		}
	}
	o, b2 := median(ours), median(np)
	flops := 2 * float64(n) * float64(n) * float64(n)
	fmt.Printf("\n| matmul | engine ms | NumPy ms | NumPy/engine | engine GFLOP/s | NumPy GFLOP/s |\n|--|--:|--:|--:|--:|--:|\n")
	fmt.Printf("| %d^3 float32 | %.2f | %.2f | %.2f | %.1f | %.1f |\n", n, 1e3*o, 1e3*b2, b2/o, flops/o/1e9, flops/b2/1e9)
	return nil
}
