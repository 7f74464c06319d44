package cuda

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/internal/par"
	"github.com/silica-go/silica/internal/testenv"
	src "github.com/silica-go/silica/kernels/cuda"
)

// everyVariant lists the variants the compile test builds: in core the
// backend's own list of what it builds with its default settings
// (defaultVariants) and three generated element-wise kernels (the last
// with every element-wise op of the op table), in sweep the
// other tilings of the scan that the device script times (v4Sweep,
// v5Sweep).
func everyVariant() (core, sweep []variant) {
	vs := defaultVariants()
	for _, c := range v4Sweep {
		sweep = append(sweep, v4Variant(engine.Float32, "1", c), v4Variant(engine.Float16, "0", c))
	}
	for _, c := range v5Sweep {
		sweep = append(sweep, v4Variant(engine.Float32, "1", c), v4Variant(engine.Float16, "0", c))
	}
	prog := &engine.Program{NumInputs: 3, Instrs: []engine.Instr{{Op: engine.OpMul, Args: [3]int{0, 1}},
		{Op: engine.OpMax, Args: [3]int{3, 2}}, {Op: engine.OpScale, Args: [3]int{4}, Scalar: 0.5}}}
	in := []arg{{Value: engine.Value{Shape: engine.Shape{4, 5}, DType: engine.Float16}},
		{Value: engine.Value{Shape: engine.Shape{1}, DType: engine.Float16}},
		{Value: engine.Value{Shape: engine.Shape{5}, DType: engine.Float16}}}
	ew, _, err := elementwiseVariant(prog, in, engine.Value{Shape: engine.Shape{4, 5}, DType: engine.Float16})
	if err != nil {
		panic(err)
	}
	in32 := []arg{{Value: engine.Value{Shape: engine.Shape{8}, DType: engine.Float32}},
		{Value: engine.Value{Shape: engine.Shape{1}, DType: engine.Float32}}}
	prog2 := &engine.Program{NumInputs: 2, Instrs: []engine.Instr{{Op: engine.OpMul, Args: [3]int{0, 1}}, {Op: engine.OpSqrt, Args: [3]int{2}}}}
	ew4, _, err := elementwiseVariant(prog2, in32, engine.Value{Shape: engine.Shape{8}, DType: engine.Float32})
	if err != nil {
		panic(err)
	}
	// Every element-wise op of the op table in one chain, so that each
	// op's C expression (engine.Elementwise.C) compiles here.
	all := &engine.Program{NumInputs: 3}
	for _, op := range engine.Ops() {
		if op.IsElementwise() {
			all.Instrs = append(all.Instrs, engine.Instr{Op: op, Args: [3]int{all.NumRegs() - 1, 0, 1}, Scalar: 0.5})
		}
	}
	in3 := []arg{in32[0], in32[1], in32[0]}
	ewAll, _, err := elementwiseVariant(all, in3, engine.Value{Shape: engine.Shape{8}, DType: engine.Float32})
	if err != nil {
		panic(err)
	}
	// A row broadcast down the output (a product's bias) and a single
	// element: the float4 path with the column of each element.
	inRow := []arg{{Value: engine.Value{Shape: engine.Shape{6, 8}, DType: engine.Float32}},
		{Value: engine.Value{Shape: engine.Shape{8}, DType: engine.Float32}}, in32[1]}
	ewRow, _, err := elementwiseVariant(prog, inRow, engine.Value{Shape: engine.Shape{6, 8}, DType: engine.Float32})
	if err != nil {
		panic(err)
	}
	return append(vs, ew, ew4, ewAll, ewRow), sweep
}

// TestCompileEveryVariant compiles the kernel variants for sm_90 with
// NVRTC alone (no GPU needed): a kernel that does not compile fails here,
// with NVRTC's log, before it reaches a device. By default it compiles
// the first variant of each kind of every file in everyVariant's core,
// the element-wise chains, and six more of the core and two of its
// sweep's tilings drawn at random (testenv.Sample); with
// SILICA_EXHAUSTIVE=1 (CI's sweep step), all of them.
func TestCompileEveryVariant(t *testing.T) {
	t.Parallel() // CPU-bound and long: beside the others, not after them
	testenv.Need(t, "nvrtc", loadNVRTC())
	arch, cubin := target(90)
	seen := map[string]bool{}
	var todo []variant
	core, sweep := everyVariant()
	var vs []variant
	for _, i := range testenv.Sample(t, len(core), firstOfEachKind(core), 6) {
		vs = append(vs, core[i])
	}
	for _, i := range testenv.Sample(t, len(sweep), nil, 2) {
		vs = append(vs, sweep[i])
	}
	for _, v := range vs {
		if !seen[v.key()] {
			seen[v.key()] = true
			todo = append(todo, v)
		}
	}
	errs := make([]error, len(todo))
	reports := make([]string, len(todo))
	parallel(len(todo), func(i int) {
		if (todo[i].file == "scan_mma_v4.cu" || todo[i].file == "scan_wgmma_v5.cu") && cubin {
			reports[i], errs[i] = ptxasReport(todo[i], arch)
			return
		}
		code, _, err := todo[i].build(arch, cubin, "", "test")
		if err == nil && len(code) == 0 {
			err = fmt.Errorf("empty module")
		}
		errs[i] = err
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("%s: %v", todo[i], err)
		}
		if reports[i] != "" {
			t.Logf("%s: %s", todo[i], reports[i])
		}
	}
	t.Logf("compiled %d variants for %s (cubin %t)", len(seen), arch, cubin)
}

// firstOfEachKind returns the index of the first variant of each kind of
// each file in vs, and of the last four (everyVariant's element-wise
// chains, which reach every element-wise op's C expression and the
// float4 path with a row broadcast).
func firstOfEachKind(vs []variant) []int {
	seen := map[[2]string]bool{}
	var keep []int
	for i, v := range vs {
		if k := [2]string{v.file, v.kind}; !seen[k] || i >= len(vs)-4 {
			seen[k] = true
			keep = append(keep, i)
		}
	}
	return keep
}

// TestCompileErrorCarriesLog checks that a kernel that does not compile
// names itself and carries NVRTC's log.
func TestCompileErrorCarriesLog(t *testing.T) {
	testenv.Need(t, "nvrtc", loadNVRTC())
	arch, cubin := target(90)
	v := variant{file: "elementwise.cu", kind: "broken", dtype: engine.Float32, extra: "extern \"C\" __global__ void ew() { undefined_thing(); }\n"}
	_, _, err := v.build(arch, cubin, "", "test")
	if err == nil {
		t.Fatal("a broken kernel compiled")
	}
	ce, ok := err.(*CompileError)
	if !ok || ce.Kernel != "elementwise_broken_float32" || ce.Log == "" {
		t.Fatalf("want a CompileError naming elementwise_broken_float32 with a log, got %#v", err)
	}
}

// ptxasReport compiles v to machine code with ptxas's resource report and
// returns each kernel's registers, shared memory and stack; a kernel that
// spills registers to local memory or has a stack frame is an error (the
// v4 scan is tuned to keep its accumulators in registers), except for
// the wgmma loop with 128 accumulators a thread (v5, BM=128, BN=256):
// there ptxas spills a few hundred bytes in the tile's epilogue, not in
// the main loop (cuobjdump of its SASS, bench/cuda/NOTES.md v5), and the report
// says so.
func ptxasReport(v variant, arch string) (string, error) {
	allowSpill := v.file == "scan_wgmma_v5.cu" && slices.Contains(v.defines, "BM=128") && slices.Contains(v.defines, "BN=256")
	s, err := v.source()
	if err != nil {
		return "", err
	}
	code, log, err := compile(v.String(), s, append(v.options(arch), "--ptxas-options=-v"), true)
	if err != nil {
		return "", err
	}
	if len(code) == 0 {
		return "", fmt.Errorf("empty module")
	}
	var out []string
	fn := ""
	for _, line := range strings.Split(log, "\n") {
		if i := strings.Index(line, "Function properties for "); i >= 0 {
			fn = strings.TrimSpace(line[i+len("Function properties for "):])
		}
		if strings.Contains(line, "stack frame") {
			var stack, spillSt, spillLd int
			if _, err := fmt.Sscanf(strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(line), "ptxas .")),
				"%d bytes stack frame, %d bytes spill stores, %d bytes spill loads", &stack, &spillSt, &spillLd); err != nil {
				return "", fmt.Errorf("cannot read ptxas line %q: %v", line, err)
			}
			if stack != 0 || spillSt != 0 || spillLd != 0 {
				if !allowSpill {
					return "", fmt.Errorf("%s: %d bytes stack frame, %d bytes spill stores, %d bytes spill loads", fn, stack, spillSt, spillLd)
				}
				out = append(out, fmt.Sprintf("%s: spills %d/%d bytes (epilogue)", fn, spillSt, spillLd))
			}
		}
		if i := strings.Index(line, "Used "); i >= 0 {
			out = append(out, fn+": "+strings.TrimSpace(line[i:]))
		}
	}
	if len(out) == 0 {
		return "", fmt.Errorf("no resource report in the log:\n%s", log)
	}
	return strings.Join(out, "; "), nil
}

// TestEveryFileCompiled: every kernel file has a variant in the compile
// test's list.
func TestEveryFileCompiled(t *testing.T) {
	core, _ := everyVariant()
	have := map[string]bool{}
	for _, v := range core {
		have[v.file] = true
	}
	for _, f := range src.Files() {
		if !have[f] {
			t.Errorf("no variant of %s is compiled", f)
		}
	}
}

// parallel calls f(0) to f(n-1) on up to GOMAXPROCS goroutines, each
// taking the next index as it finishes, and returns when all have returned.
func parallel(n int, f func(i int)) {
	par.Chunks(n, 1, func(lo, _ int) { f(lo) })
}
