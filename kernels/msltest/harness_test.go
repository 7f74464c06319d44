package msltest

import (
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/silica-go/silica/internal/testenv"
)

func harness(t *testing.T) *Harness {
	t.Helper()
	h, err := Default()
	testenv.Need(t, "clang", err)
	return h
}

func floats(b []byte) []float32 {
	f := make([]float32, len(b)/4)
	for i := range f {
		f[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return f
}

func bytesOf(f []float32) []byte {
	b := make([]byte, 4*len(f))
	for i, v := range f {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return b
}

func u32(v ...uint32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], x)
	}
	return b
}

func source(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// blockSum runs testdata/blocksum.metal over n random values and returns
// the largest relative error of the block sums.
func blockSum(t *testing.T, p *Program, n int, opt Options) (float64, error) {
	r := rand.New(rand.NewPCG(uint64(n), 7))
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64()) + 2
	}
	groups := (n + 1023) / 1024
	out := make([]float32, groups)
	for i := range out {
		out[i] = float32(math.NaN())
	}
	l := Launch{Kernel: "block_sum", Groups: [3]int{groups, 1, 1}, Threads: [3]int{256, 1, 1},
		Buffers:           []Buffer{{0, bytesOf(x)}, {1, bytesOf(out)}, {2, u32(uint32(n))}},
		ThreadgroupMemory: map[int]int{0: 8 * 4}}
	if err := p.Run(l, opt); err != nil {
		return 0, err
	}
	got := floats(l.Buffers[1].Data)
	worst := 0.0
	for g := range groups {
		var want float64
		for i := g * 1024; i < min(n, (g+1)*1024); i++ {
			want += float64(x[i])
		}
		e := math.Abs(float64(got[g])-want) / math.Abs(want)
		if got[g] != got[g] {
			e = math.Inf(1)
		}
		worst = max(worst, e)
	}
	return worst, nil
}

func TestBarrierAndSimd(t *testing.T) {
	h := harness(t)
	p, err := h.Compile("blocksum.metal", source(t, "blocksum.metal"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{1, 31, 1024, 5000} {
		for _, o := range []Order{Forward, Reverse, Shuffled} {
			e, err := blockSum(t, p, n, Options{Order: o, Seed: 3})
			if err != nil {
				t.Fatal(err)
			}
			if e > 1e-5 {
				t.Errorf("n=%d order %v: relative error %g", n, o, e)
			}
		}
	}
}

// TestLargeGroup: 1024 threads a threadgroup, Metal's maximum, with a
// tree reduction through threadgroup memory (ten barriers).
func TestLargeGroup(t *testing.T) {
	h := harness(t)
	src := `#include <metal_stdlib>
using namespace metal;
kernel void tree_sum(device const uint* x [[buffer(0)]], device uint* y [[buffer(1)]],
	uint tg [[threadgroup_position_in_grid]], uint tid [[thread_index_in_threadgroup]]) {
	threadgroup uint s[1024];
	s[tid] = x[tg * 1024 + tid];
	threadgroup_barrier(mem_flags::mem_threadgroup);
	for (uint half_n = 512; half_n > 0; half_n >>= 1) {
		if (tid < half_n) s[tid] += s[tid + half_n];
		threadgroup_barrier(mem_flags::mem_threadgroup);
	}
	if (tid == 0) y[tg] = s[0];
}
`
	p, err := h.Compile("tree_sum.metal", src, nil)
	if err != nil {
		t.Fatal(err)
	}
	x := make([]uint32, 3*1024)
	want := make([]uint32, 3)
	for i := range x {
		x[i] = uint32(i*7 + 1)
		want[i/1024] += x[i]
	}
	l := Launch{Kernel: "tree_sum", Groups: [3]int{3, 1, 1}, Threads: [3]int{1024, 1, 1},
		Buffers: []Buffer{{0, u32(x...)}, {1, make([]byte, 12)}}}
	if err := p.Run(l, Options{Order: Reverse}); err != nil {
		t.Fatal(err)
	}
	for g := range 3 {
		if got := binary.LittleEndian.Uint32(l.Buffers[1].Data[4*g:]); got != want[g] {
			t.Errorf("group %d: %d, want %d", g, got, want[g])
		}
	}
}

// TestMissingBarrierCaught: without the barrier, the first SIMD group
// reads partial sums that other SIMD groups have not written yet (in
// forward order, SIMD group 0 runs ahead of the others).
func TestMissingBarrierCaught(t *testing.T) {
	h := harness(t)
	src := "#define BROKEN_NO_BARRIER\n" + source(t, "blocksum.metal")
	p, err := h.Compile("blocksum_broken.metal", src, nil)
	if err != nil {
		t.Fatal(err)
	}
	caught := 0
	for _, o := range []Order{Forward, Reverse, Shuffled} {
		e, err := blockSum(t, p, 5000, Options{Order: o, Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		if e > 1e-5 {
			caught++
		}
	}
	if caught == 0 {
		t.Fatal("the kernel without its barrier gave right results in every order")
	}
}

func TestCompileErrorNamesLine(t *testing.T) {
	h := harness(t)
	src := "#include <metal_stdlib>\nusing namespace metal;\n\nkernel void bad(device float* x [[buffer(0)]], uint i [[thread_position_in_grid]]) {\n\tx[i] = undefined_thing;\n}\n"
	_, err := h.Compile("user_bad.metal", src, nil)
	var ce *CompileError
	if !errors.As(err, &ce) {
		t.Fatalf("got %v, want a CompileError", err)
	}
	if !strings.Contains(ce.Log, "user_bad.metal:5:") || !strings.Contains(err.Error(), "user_bad.metal") {
		t.Errorf("error does not name user_bad.metal line 5:\n%v", err)
	}
}

// TestOutsideSubset: code that Metal would accept in other forms, or that
// is not MSL at all, must not compile in the harness.
func TestOutsideSubset(t *testing.T) {
	h := harness(t)
	cases := map[string]string{
		"function constant":  "constant int K [[function_constant(0)]];\nkernel void k(device float* x [[buffer(0)]], uint i [[thread_position_in_grid]]) { x[i] = K; }",
		"vector constructor": "kernel void k(device float4* x [[buffer(0)]], uint i [[thread_position_in_grid]]) { x[i] = float4(1.0f, 2.0f, 3.0f, 4.0f); }",
		"std library":        "#include <cmath>\nkernel void k(device float* x [[buffer(0)]], uint i [[thread_position_in_grid]]) { x[i] = 1; }",
		"libc call":          "kernel void k(device float* x [[buffer(0)]], uint i [[thread_position_in_grid]]) { x[i] = sinf(1.0f); }",
		"address spaces":     "void f(device float* p) { p[0] = 1; }\nkernel void k(threadgroup float* t [[threadgroup(0)]], uint i [[thread_position_in_grid]]) { f(t); }",
		"unknown attribute":  "kernel void k(device float* x [[buffer(0)]], uint i [[thread_position_in_grrid]]) { x[i] = 1; }",
	}
	for name, body := range cases {
		_, err := h.Compile("subset.metal", "#include <metal_stdlib>\nusing namespace metal;\n"+body+"\n", nil)
		var ce *CompileError
		if !errors.As(err, &ce) {
			t.Errorf("%s: got %v, want a CompileError", name, err)
		}
	}
}

func TestFaultsReported(t *testing.T) {
	h := harness(t)
	src := `#include <metal_stdlib>
using namespace metal;
kernel void overrun(device float* x [[buffer(0)]], uint i [[thread_position_in_grid]]) { x[i + 64] = 1; }
kernel void early_return(device float* x [[buffer(0)]], uint i [[thread_position_in_grid]]) {
	if (i == 3) return;
	threadgroup_barrier(mem_flags::mem_threadgroup);
	x[i] = 1;
}
kernel void divergent(device float* x [[buffer(0)]], uint i [[thread_position_in_grid]]) {
	if (i % 2) x[i] = simd_sum(1.0f); else x[i] = simd_max(1.0f);
}
`
	p, err := h.Compile("faults.metal", src, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"overrun": "past the end of [[buffer(0)]]", "early_return": "returned while others wait",
		"divergent": "diverged"}
	for k, msg := range want {
		l := Launch{Kernel: k, Groups: [3]int{1, 1, 1}, Threads: [3]int{64, 1, 1},
			Buffers: []Buffer{{0, make([]byte, 4*64)}}}
		err := p.Run(l, Options{})
		var le *LaunchError
		if !errors.As(err, &le) || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: got %v, want a LaunchError saying %q", k, err, msg)
		}
	}
}

// TestKernelScopeThreadgroup: threadgroup variables declared in the
// kernel body are shared by the threads of a group and separate between
// groups that run at the same time; a non-uniform grid runs smaller edge
// groups.
func TestKernelScopeThreadgroup(t *testing.T) {
	h := harness(t)
	src := `#include <metal_stdlib>
using namespace metal;
#define N 64
kernel void rotate(device const float* x [[buffer(0)]], device float* y [[buffer(1)]],
	uint gid [[thread_position_in_grid]], uint tid [[thread_index_in_threadgroup]],
	uint n [[threads_per_threadgroup]], uint total [[threads_per_grid]]) {
	threadgroup float tile[N];
	threadgroup uint count;
	if (tid == 0) count = 0;
	tile[tid] = gid < total ? x[gid] : 0.0f;
	threadgroup_barrier(mem_flags::mem_threadgroup);
	atomic_fetch_add_explicit((threadgroup atomic_uint*)&count, 1u, memory_order_relaxed);
	threadgroup_barrier(mem_flags::mem_threadgroup);
	y[gid] = tile[(tid + 1) % n] + 1000.0f * float(count);
}
`
	p, err := h.Compile("rotate.metal", src, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := 64*5 + 17
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(i)
	}
	l := Launch{Kernel: "rotate", Grid: [3]int{n, 1, 1}, Threads: [3]int{64, 1, 1},
		Buffers: []Buffer{{0, bytesOf(x)}, {1, bytesOf(make([]float32, n))}}}
	if err := p.Run(l, Options{Workers: 3, Order: Shuffled, Seed: 9}); err != nil {
		t.Fatal(err)
	}
	y := floats(l.Buffers[1].Data)
	for i := range n {
		g0 := i / 64 * 64
		size := min(64, n-g0)
		want := float32(g0+(i-g0+1)%size) + 1000*float32(size)
		if y[i] != want {
			t.Fatalf("y[%d] = %g, want %g", i, y[i], want)
		}
	}
}
