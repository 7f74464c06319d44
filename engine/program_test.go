package engine

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/silica-go/silica/internal/testenv"
)

// TestProgramSourceCompiles renders a program as C, compiles it with the
// machine's C compiler, and checks that it computes what Program.Eval
// computes: the GPU backends splice the same text into their kernels.
// The program is a chain of ops, then every element-wise op of the op
// table applied to the inputs (so a new op's C expression is checked
// against its Eval with no change here); every register is compared.
func TestProgramSourceCompiles(t *testing.T) {
	cc, err := exec.LookPath("cc")
	testenv.Need(t, "cc", err)
	p := &Program{NumInputs: 3, Instrs: []Instr{
		{Op: OpMul, Args: [3]int{0, 1}},              // r3
		{Op: OpAdd, Args: [3]int{3, 2}},              // r4
		{Op: OpScale, Args: [3]int{4}, Scalar: -0.3}, // r5
		{Op: OpExp, Args: [3]int{5}},                 // r6
		{Op: OpAbs, Args: [3]int{0}},                 // r7
		{Op: OpSqrt, Args: [3]int{7}},                // r8
		{Op: OpRsqrt, Args: [3]int{8}},               // r9
		{Op: OpLog, Args: [3]int{7}},                 // r10
		{Op: OpSub, Args: [3]int{9, 10}},             // r11
		{Op: OpDiv, Args: [3]int{11, 6}},             // r12
		{Op: OpMax, Args: [3]int{12, 1}},             // r13
		{Op: OpMin, Args: [3]int{13, 2}},             // r14
		{Op: OpNeg, Args: [3]int{14}},                // r15
		{Op: OpFMA, Args: [3]int{15, 0, 1}},          // r16
	}}
	chain := p.NumRegs()
	for _, op := range Ops() {
		if op.IsElementwise() {
			p.Instrs = append(p.Instrs, Instr{Op: op, Args: [3]int{0, 1, 2}, Scalar: 1.5})
		}
	}
	body, _ := p.Source()
	var prints strings.Builder
	for i := chain - 1; i < p.NumRegs(); i++ { // the chain's result, then each op's
		fmt.Fprintf(&prints, "\tprintf(\"%%.9g\\n\", r%d);\n", i)
	}
	src := `#include <math.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
static float rsqrtf(float x) { return 1.0f / sqrtf(x); }
static float __int_as_float(unsigned u) { float f; memcpy(&f, &u, 4); return f; }
int main(int argc, char **argv) {
	float r0 = strtof(argv[1], 0), r1 = strtof(argv[2], 0), r2 = strtof(argv[3], 0);
` + body + prints.String() + `	return 0;
}
`
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "p.c"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "p")
	if msg, err := exec.Command(cc, "-O0", "-ffp-contract=off", "-o", bin, filepath.Join(dir, "p.c"), "-lm").CombinedOutput(); err != nil {
		t.Fatalf("compile:\n%s\n%s", msg, src)
	}
	r := rand.New(rand.NewPCG(3, 4))
	regs := make([]float32, p.NumRegs())
	for range 20 {
		in := []float32{float32(r.NormFloat64()), float32(r.NormFloat64()), float32(r.NormFloat64())}
		args := []string{}
		for _, v := range in {
			args = append(args, fmt.Sprintf("%.9g", v))
		}
		res, err := exec.Command(bin, args...).Output()
		if err != nil {
			t.Fatal(err)
		}
		p.Eval(in, regs)
		lines := strings.Fields(string(res))
		if len(lines) != p.NumRegs()-chain+1 {
			t.Fatalf("the program printed %d values, want %d:\n%s", len(lines), p.NumRegs()-chain+1, res)
		}
		for j, line := range lines {
			if line == "-nan" { // printf's NaN with its sign bit set
				line = "nan"
			}
			got, err := strconv.ParseFloat(line, 64)
			if err != nil {
				t.Fatal(err)
			}
			reg := chain - 1 + j
			want := float64(regs[reg])
			if math.Abs(got-want) > 1e-5*math.Max(1, math.Abs(want)) && !(math.IsNaN(got) && math.IsNaN(want)) {
				t.Fatalf("inputs %v: r%d (%s) C gives %g, Eval %g\n%s", in, reg, p.Instrs[reg-p.NumInputs].Op, got, want, body)
			}
		}
	}
}

func TestBroadcast(t *testing.T) {
	cases := []struct {
		in   []Shape
		want Shape
		err  bool
	}{
		{[]Shape{{3, 4}, {4}}, Shape{3, 4}, false},
		{[]Shape{{3, 1}, {1, 4}}, Shape{3, 4}, false},
		{[]Shape{{2, 1, 4}, {3, 1}}, Shape{2, 3, 4}, false},
		{[]Shape{{}, {5}}, Shape{5}, false},
		{[]Shape{{3, 4}, {3}}, nil, true},
	}
	for _, c := range cases {
		got, err := Broadcast(c.in...)
		if (err != nil) != c.err || (!c.err && !got.Equal(c.want)) {
			t.Errorf("Broadcast%v = %v, %v; want %v (error %t)", c.in, got, err, c.want, c.err)
		}
	}
	st, dims := BroadcastStrides(Shape{3, 1}, Shape{2, 3, 4})
	if st != [MaxRank]int{0, 0, 1, 0} || dims != [MaxRank]int{1, 2, 3, 4} {
		t.Errorf("BroadcastStrides([3 1], [2 3 4]) = %v, %v", st, dims)
	}
}

func TestParseDType(t *testing.T) {
	for _, d := range []DType{Float32, Float16, BFloat16, Int8, Int32, Int64} {
		got, err := ParseDType(d.String())
		if err != nil || got != d {
			t.Errorf("ParseDType(%q) = %v, %v", d, got, err)
		}
	}
	if _, err := ParseDType("f64"); err == nil {
		t.Error("ParseDType(f64): no error")
	}
}

func TestAxisView(t *testing.T) {
	for _, c := range []struct {
		s             Shape
		axis, o, l, i int
	}{{Shape{2, 3, 4}, 1, 2, 3, 4}, {Shape{5}, 0, 1, 5, 1}, {Shape{2, 3}, 1, 2, 3, 1}, {Shape{2, 3}, 0, 1, 2, 3}} {
		if o, l, i := AxisView(c.s, c.axis); o != c.o || l != c.l || i != c.i {
			t.Errorf("AxisView(%v, %d) = %d, %d, %d; want %d, %d, %d", c.s, c.axis, o, l, i, c.o, c.l, c.i)
		}
	}
}
