package metal

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"strings"
	"sync"
	"text/template"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/kernels"
)

// elementwiseThreads is the threadgroup size of element-wise kernels.
const elementwiseThreads = 256

// maxFusedInputs is the most inputs an element-wise kernel takes
// (FusedParams has strides for 8).
const maxFusedInputs = 8

func init() {
	for _, op := range engine.Ops() {
		if op.IsElementwise() {
			stepKernels[op] = elementwiseKernel
			fits[op] = programFits
		}
	}
	stepKernels[engine.OpFusedElementwise] = elementwiseKernel
	fits[engine.OpFusedElementwise] = func(a *engine.Attrs, in []engine.Value) bool { return a.Program != nil && programFits(a, in) }
}

// elementwiseFits: the kernels index elements with 32-bit integers.
func elementwiseFits(a *engine.Attrs, in []engine.Value) bool {
	n := 1
	for _, v := range in {
		n = max(n, v.Shape.Size())
	}
	return n <= math.MaxUint32/2
}

// programFits: a program (a fused chain, or the one instruction of a
// single op) of at most maxFusedInputs inputs of one float dtype, every
// instruction of which has an MSL form.
func programFits(a *engine.Attrs, in []engine.Value) bool {
	if len(in) > maxFusedInputs || len(in) == 0 || !elementwiseFits(a, in) {
		return false
	}
	for _, v := range in {
		if v.DType != in[0].DType || !v.DType.IsFloat() {
			return false
		}
	}
	prog := a.Program
	if prog == nil {
		return true // a single element-wise op: every one has an MSL form
	}
	src, _ := prog.Source()
	return !strings.Contains(src, "unsupported")
}

// fusedParams packs silica.h's FusedParams for inputs of the given
// shapes broadcast to out: {uint n; uint dims[4]; uint strides[8][4];}.
func fusedParams(in []engine.Shape, out engine.Shape) []byte {
	fields := []any{out.Size()}
	var dims [engine.MaxRank]int
	strides := make([][engine.MaxRank]int, maxFusedInputs)
	for i, s := range in {
		strides[i], dims = engine.BroadcastStrides(s, out)
	}
	if len(in) == 0 {
		_, dims = engine.BroadcastStrides(out, out)
	}
	for _, d := range dims {
		fields = append(fields, d)
	}
	for _, st := range strides {
		for _, v := range st {
			fields = append(fields, v)
		}
	}
	return params(fields...)
}

func shapes(vs []engine.Value) []engine.Shape {
	s := make([]engine.Shape, len(vs))
	for i, v := range vs {
		s[i] = v.Shape
	}
	return s
}

// elementwiseKernel runs one element-wise op or a fused Program as one
// generated kernel (programKernel), as the cuda backend does: a single op
// is the program of its one instruction.
func elementwiseKernel(b *batch, s *engine.Step, in, out []engine.Value) error {
	k, err := programKernel(s.Program(), out[0].DType)
	if err != nil {
		return err
	}
	var args []kernelArg
	for i := range in {
		args = append(args, argIn(i))
	}
	args = append(args, argOut(0), argParams(fusedParams(shapes(in), out[0].Shape)))
	return b.encode(single(dispatch(k, groups1(ceilDiv(out[0].Shape.Size(), elementwiseThreads)), args)))
}

var (
	programTmpl  = template.Must(template.New("fused").Parse(kernels.FusedTemplate()))
	programMu    sync.Mutex
	programCache = map[string]*mslKernel{}
)

// mslTypes names the MSL storage type of each float dtype.
var mslTypes = map[engine.DType]string{engine.Float32: "float", engine.Float16: "half", engine.BFloat16: "bf16"}

// programKernel returns the generated kernel of an element-wise program
// whose inputs and output have float dtype dt: its Source is the template
// kernels/metal/fused.tmpl with prog.Source() spliced in as the body of
// silica::fused_body, and its name is
// kernels.Name("elementwise", "fused", dt, <hash of prog.String()>).
// Kernels are cached by name; compile each Source once.
func programKernel(prog *engine.Program, dt engine.DType) (*mslKernel, error) {
	typ, ok := mslTypes[dt]
	if !ok {
		return nil, fmt.Errorf("%w: fused element-wise kernel for %s", engine.ErrUnsupported, dt)
	}
	if prog.NumInputs < 1 || prog.NumInputs > maxFusedInputs {
		return nil, fmt.Errorf("%w: fused program with %d inputs (at most %d)", engine.ErrUnsupported, prog.NumInputs, maxFusedInputs)
	}
	sum := sha256.Sum256([]byte(prog.String()))
	name := kernels.Name("elementwise", "fused", dt, hex.EncodeToString(sum[:6]))
	programMu.Lock()
	defer programMu.Unlock()
	if k := programCache[name]; k != nil {
		return k, nil
	}
	body, result := prog.Source()
	if strings.Contains(body, "unsupported") {
		return nil, fmt.Errorf("%w: program %s has an op with no element-wise form", engine.ErrUnsupported, prog)
	}
	var b bytes.Buffer
	err := programTmpl.Execute(&b, map[string]any{
		"Program": prog.String(), "Name": name, "Type": typ, "Inputs": make([]struct{}, prog.NumInputs),
		"NumInputs": prog.NumInputs, "ParamsIndex": prog.NumInputs + 1, "Body": indent(body), "Result": result,
	})
	if err != nil {
		return nil, err
	}
	k := &mslKernel{Name: name, Family: "elementwise", Ops: []engine.Op{engine.OpFusedElementwise},
		Source: kernels.InlineHeader(b.String()), Threads: elementwiseThreads}
	for i := range prog.NumInputs {
		k.Buffers = append(k.Buffers, binding{i, fmt.Sprintf("in%d", i), roleInput, false})
	}
	k.Buffers = append(k.Buffers, binding{prog.NumInputs, "y", roleOutput, true}, binding{prog.NumInputs + 1, "p", roleParams, false})
	if len(programCache) > 4096 {
		clear(programCache)
	}
	programCache[name] = k
	return k, nil
}

func indent(s string) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(s, "\n") {
		if line != "" {
			b.WriteString("\t" + line)
		}
	}
	return b.String()
}
