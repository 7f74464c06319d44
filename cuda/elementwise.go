package cuda

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/silica-go/silica/engine"
)

func init() {
	for _, op := range engine.Ops() {
		if op.IsElementwise() {
			kernels[op] = elementwiseKernel
		}
	}
	kernels[engine.OpFusedElementwise] = elementwiseKernel
	registerFamily(nil, ewArgs{}) // generated kernels: each program has its own
}

// elementwiseKernel runs one element-wise op or a fused Program as one
// generated kernel (see kernels/cuda/elementwise.cu).
func elementwiseKernel(r *runner, s *engine.Step, in, out []arg) error {
	prog := s.Program()
	o := out[0]
	v, bcast, err := elementwiseVariant(prog, in, o.Value)
	if err != nil {
		return err
	}
	n := o.Shape.Size()
	_, dims := engine.BroadcastStrides(o.Shape, o.Shape)
	p := ewArgs{y: o.ptr, n: int64(n), d1: int64(dims[1]), d2: int64(dims[2]), d3: int64(dims[3])}
	for j, x := range in {
		p.in = append(p.in, x.ptr)
		if bcast[j] {
			st, _ := engine.BroadcastStrides(x.Shape, o.Shape)
			p.strides = append(p.strides, [4]int64{int64(st[0]), int64(st[1]), int64(st[2]), int64(st[3])})
		}
	}
	return launch(r.d, v, [3]int{r.d.blocks(n, 256)}, 256, 0, p)
}

// ewArgs are the parameters of a generated element-wise kernel, ew, whose
// signature elementwiseVariant writes: the output y, the inputs in0,
// in1, ..., the element count n and the output's dims d1..d3, then the
// four strides sJ_0..sJ_3 of each broadcast input J, in input order.
type ewArgs struct {
	y          dptr
	in         []dptr
	n          int64
	d1, d2, d3 int64
	strides    [][4]int64
}

func (ewArgs) entry() (string, string) { return "elementwise.cu", "ew" }
func (p ewArgs) pack(a *argPack) {
	a.ptr(p.y)
	for _, x := range p.in {
		a.ptr(x)
	}
	a.i64(p.n).i64(p.d1).i64(p.d2).i64(p.d3)
	for _, st := range p.strides {
		a.i64(st[0]).i64(st[1]).i64(st[2]).i64(st[3])
	}
}

// elementwiseVariant generates the kernel of prog for these input and
// output types and shapes; bcast tells which inputs need broadcast
// strides as arguments.
func elementwiseVariant(prog *engine.Program, in []arg, o engine.Value) (variant, []bool, error) {
	if len(in) != prog.NumInputs {
		return variant{}, nil, fmt.Errorf("cuda: program %s has %d inputs, the step %d", prog, prog.NumInputs, len(in))
	}
	var b strings.Builder
	bcast := make([]bool, len(in))
	anyB := false
	fmt.Fprintf(&b, "extern \"C\" __global__ void ew(%s* y", ctype(o.DType))
	for j, x := range in {
		if !x.DType.IsFloat() {
			return variant{}, nil, fmt.Errorf("cuda: element-wise input %d is %s", j, x.DType)
		}
		fmt.Fprintf(&b, ", const %s* in%d", ctype(x.DType), j)
	}
	b.WriteString(", i64 n, i64 d1, i64 d2, i64 d3")
	vec := vectorizable(in, o)
	forms := make([]string, len(in))
	for j, x := range in {
		switch {
		case x.Shape.Size() == o.Shape.Size():
			forms[j] = fmt.Sprintf("in%d[i]", j)
		case x.Shape.Size() == 1:
			forms[j] = fmt.Sprintf("in%d[0]", j)
		case vec: // a row (isRow): vectorBody finds its column
		default:
			bcast[j], anyB = true, true
			fmt.Fprintf(&b, ", i64 s%d_0, i64 s%d_1, i64 s%d_2, i64 s%d_3", j, j, j, j)
			forms[j] = fmt.Sprintf("in%d[ew_offset(i0, i1, i2, i3, s%d_0, s%d_1, s%d_2, s%d_3)]", j, j, j, j, j)
		}
	}
	b.WriteString(")\n{\n")
	body, res := prog.Source()
	if strings.Contains(body, "unsupported") {
		return variant{}, nil, fmt.Errorf("%w: program %s", engine.ErrUnsupported, prog)
	}
	if vec {
		vectorBody(&b, in, o, body, res)
	} else {
		scalarBody(&b, forms, anyB, body, res)
	}
	b.WriteString("}\n")
	code := b.String()
	h := sha256.Sum256([]byte(code))
	return variant{file: "elementwise.cu", kind: "p" + hex.EncodeToString(h[:4]), dtype: o.DType, extra: code}, bcast, nil
}

// vectorizable: float32 everywhere, a multiple of 4 elements, every input
// whole, a single element, or a row broadcast down the output (isRow,
// with rows of a multiple of 4): the kernel then moves float4s. The
// products' biases (a row of b added to [m, b]) take this path, not the
// general one's three 64-bit divisions an element.
func vectorizable(in []arg, o engine.Value) bool {
	if o.DType != engine.Float32 || o.Shape.Size()%4 != 0 {
		return false
	}
	for _, x := range in {
		if x.DType != engine.Float32 || (x.Shape.Size() != o.Shape.Size() && x.Shape.Size() != 1 && !isRow(x.Shape, o.Shape)) {
			return false
		}
	}
	return true
}

// isRow reports whether x, broadcast to o, is one row of o's last
// dimension repeated ([c], [1, c], ...; c a multiple of 4) over more
// than one row.
func isRow(x, o engine.Shape) bool {
	if len(o) == 0 {
		return false
	}
	c := o[len(o)-1]
	if c%4 != 0 || x.Size() != c || o.Size() == c {
		return false
	}
	for len(x) > 1 && x[0] == 1 {
		x = x[1:]
	}
	return len(x) == 1 && x[0] == c
}

func vectorBody(b *strings.Builder, in []arg, o engine.Value, body, res string) {
	for _, x := range in {
		if isRow(x.Shape, o.Shape) {
			// The column of element i: i modulo the row's float4s, in 32
			// bits where the output's float4s fit them (a 64-bit division
			// is many instructions).
			b.WriteString("\tconst i64 cq = d3 >> 2;\n\tconst bool narrow = (n >> 2) <= 0xffffffffLL;\n")
			break
		}
	}
	b.WriteString("\tfor (i64 i = blockIdx.x * (i64)blockDim.x + threadIdx.x; i < (n >> 2); i += (i64)gridDim.x * blockDim.x) {\n")
	for j, x := range in {
		switch {
		case x.Shape.Size() == 1:
			fmt.Fprintf(b, "\t\tfloat v%d = in%d[0];\n", j, j)
		case isRow(x.Shape, o.Shape):
			fmt.Fprintf(b, "\t\tfloat4 v%d = ((const float4*)in%d)[narrow ? (i64)((unsigned)i %% (unsigned)cq) : i %% cq];\n", j, j)
		default:
			fmt.Fprintf(b, "\t\tfloat4 v%d = ((const float4*)in%d)[i];\n", j, j)
		}
	}
	b.WriteString("\t\tfloat4 res;\n")
	for _, c := range []string{"x", "y", "z", "w"} {
		b.WriteString("\t\t{\n")
		for j, x := range in {
			if x.Shape.Size() == 1 {
				fmt.Fprintf(b, "\t\t\tfloat r%d = v%d;\n", j, j)
			} else {
				fmt.Fprintf(b, "\t\t\tfloat r%d = v%d.%s;\n", j, j, c)
			}
		}
		for _, line := range strings.Split(strings.TrimSpace(body), "\n") {
			b.WriteString("\t\t\t" + line + "\n")
		}
		fmt.Fprintf(b, "\t\t\tres.%s = %s;\n\t\t}\n", c, res)
	}
	b.WriteString("\t\t((float4*)y)[i] = res;\n\t}\n")
}

func scalarBody(b *strings.Builder, forms []string, anyB bool, body, res string) {
	b.WriteString("\tfor (i64 i = blockIdx.x * (i64)blockDim.x + threadIdx.x; i < n; i += (i64)gridDim.x * blockDim.x) {\n")
	if anyB {
		b.WriteString("\t\ti64 i0, i1, i2, i3;\n\t\tew_split(i, d1, d2, d3, i0, i1, i2, i3);\n")
	}
	for j, f := range forms {
		fmt.Fprintf(b, "\t\tfloat r%d = to_f32(%s);\n", j, f)
	}
	for _, line := range strings.Split(strings.TrimSpace(body), "\n") {
		b.WriteString("\t\t" + line + "\n")
	}
	fmt.Fprintf(b, "\t\tstore_f32(y, i, %s);\n\t}\n", res)
}
