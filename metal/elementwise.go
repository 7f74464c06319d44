package kernels

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
)

// elementwiseThreads is the threadgroup size of element-wise kernels.
const elementwiseThreads = 256

// MaxFusedInputs is the most inputs a fused element-wise kernel takes
// (FusedParams has strides for 8).
const MaxFusedInputs = 8

func init() {
	for _, op := range engine.Ops() {
		if !op.IsElementwise() {
			continue
		}
		n := 1
		switch {
		case op.IsBinary():
			n = 2
		case op == engine.OpFMA:
			n = 3
		}
		for _, dt := range floatTypes {
			k := &Kernel{Name: Name("elementwise", op.String(), dt, ""), Family: "elementwise",
				Ops: []engine.Op{op}, Threads: elementwiseThreads}
			for i := range n {
				k.Buffers = append(k.Buffers, Binding{i, string(rune('a' + i)), Input, false})
			}
			k.Buffers = append(k.Buffers, Binding{n, "y", Output, true}, Binding{n + 1, "p", Params, false})
			register(k)
		}
		lowerings[op] = lowering{supports: elementwiseFits, lower: lowerElementwise}
	}
	lowerings[engine.OpFusedElementwise] = lowering{supports: fusedFits, lower: lowerFused}
}

// elementwiseFits: the kernels index elements with 32-bit integers.
func elementwiseFits(a *engine.Attrs, in []engine.Value) bool {
	n := 1
	for _, v := range in {
		n = max(n, v.Shape.Size())
	}
	return n <= math.MaxUint32/2
}

func fusedFits(a *engine.Attrs, in []engine.Value) bool {
	if a.Program == nil || len(in) > MaxFusedInputs || len(in) == 0 || !elementwiseFits(a, in) {
		return false
	}
	for _, v := range in {
		if v.DType != in[0].DType || !v.DType.IsFloat() {
			return false
		}
	}
	src, _ := a.Program.Source()
	return !strings.Contains(src, "unsupported")
}

// ElementwiseParams packs silica.h's ElementwiseParams for inputs of the
// given shapes broadcast to out: {uint n; uint dims[4]; uint
// strides[3][4]; float scalar;}.
func ElementwiseParams(in []engine.Shape, out engine.Shape, scalar float32) []byte {
	return broadcastParams(3, in, out, scalar)
}

// FusedParams packs silica.h's FusedParams: {uint n; uint dims[4]; uint
// strides[8][4];}.
func FusedParams(in []engine.Shape, out engine.Shape) []byte {
	return broadcastParams(MaxFusedInputs, in, out, nil)
}

func broadcastParams(slots int, in []engine.Shape, out engine.Shape, scalar any) []byte {
	fields := []any{out.Size()}
	var dims [engine.MaxRank]int
	strides := make([][engine.MaxRank]int, slots)
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
	if scalar != nil {
		fields = append(fields, scalar)
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

func lowerElementwise(s *engine.Step, in, out []engine.Value) (*Launch, error) {
	k, err := mustKernel(Name("elementwise", s.Op.String(), out[0].DType, ""))
	if err != nil {
		return nil, err
	}
	var args []Arg
	for i := range in {
		args = append(args, argIn(i))
	}
	args = append(args, argOut(0), argParams(ElementwiseParams(shapes(in), out[0].Shape, s.Attrs.Scalar)))
	return single(dispatch(k, groups1(ceilDiv(out[0].Shape.Size(), elementwiseThreads)), args)), nil
}

var (
	fusedTmpl  = template.Must(template.New("fused").Parse(mustRead("metal/fused.tmpl")))
	fusedMu    sync.Mutex
	fusedCache = map[string]*Kernel{}
)

// mslTypes names the MSL storage type of each float dtype.
var mslTypes = map[engine.DType]string{engine.Float32: "float", engine.Float16: "half", engine.BFloat16: "bf16"}

// FusedKernel returns the generated kernel of a fused element-wise
// program whose inputs and output have float dtype dt: its Source is the
// template metal/fused.tmpl with prog.Source() spliced in as the body of
// silica::fused_body, and its name is
// Name("elementwise", "fused", dt, <hash of prog.String()>). Kernels are
// cached by name; compile each Source once.
func FusedKernel(prog *engine.Program, dt engine.DType) (*Kernel, error) {
	typ, ok := mslTypes[dt]
	if !ok {
		return nil, fmt.Errorf("%w: fused element-wise kernel for %s", engine.ErrUnsupported, dt)
	}
	if prog.NumInputs < 1 || prog.NumInputs > MaxFusedInputs {
		return nil, fmt.Errorf("%w: fused program with %d inputs (at most %d)", engine.ErrUnsupported, prog.NumInputs, MaxFusedInputs)
	}
	sum := sha256.Sum256([]byte(prog.String()))
	name := Name("elementwise", "fused", dt, hex.EncodeToString(sum[:6]))
	fusedMu.Lock()
	defer fusedMu.Unlock()
	if k := fusedCache[name]; k != nil {
		return k, nil
	}
	body, result := prog.Source()
	if strings.Contains(body, "unsupported") {
		return nil, fmt.Errorf("%w: program %s has an op with no element-wise form", engine.ErrUnsupported, prog)
	}
	var b bytes.Buffer
	err := fusedTmpl.Execute(&b, map[string]any{
		"Program": prog.String(), "Name": name, "Type": typ, "Inputs": make([]struct{}, prog.NumInputs),
		"NumInputs": prog.NumInputs, "ParamsIndex": prog.NumInputs + 1, "Body": indent(body), "Result": result,
	})
	if err != nil {
		return nil, err
	}
	k := &Kernel{Name: name, Family: "elementwise", Ops: []engine.Op{engine.OpFusedElementwise},
		Source: includeRE.ReplaceAllLiteralString(b.String(), Header()), Threads: elementwiseThreads}
	for i := range prog.NumInputs {
		k.Buffers = append(k.Buffers, Binding{i, fmt.Sprintf("in%d", i), Input, false})
	}
	k.Buffers = append(k.Buffers, Binding{prog.NumInputs, "y", Output, true}, Binding{prog.NumInputs + 1, "p", Params, false})
	if len(fusedCache) > 4096 {
		clear(fusedCache)
	}
	fusedCache[name] = k
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

func lowerFused(s *engine.Step, in, out []engine.Value) (*Launch, error) {
	k, err := FusedKernel(s.Attrs.Program, out[0].DType)
	if err != nil {
		return nil, err
	}
	var args []Arg
	for i := range in {
		args = append(args, argIn(i))
	}
	args = append(args, argOut(0), argParams(FusedParams(shapes(in), out[0].Shape)))
	return single(dispatch(k, groups1(ceilDiv(out[0].Shape.Size(), elementwiseThreads)), args)), nil
}
