package cuda

import (
	"go/ast"
	"go/parser"
	"go/token"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"unsafe"

	"github.com/silica-go/silica/engine"
	src "github.com/silica-go/silica/kernels/cuda"
)

// cParam is one parameter of a kernel's C signature.
type cParam struct {
	name, ctype string
	kind        argKind // argI32 also stands for a flag
}

var (
	lineComment  = regexp.MustCompile(`//[^\n]*`)
	blockComment = regexp.MustCompile(`(?s)/\*.*?\*/`)
	launchBounds = regexp.MustCompile(`__launch_bounds__\s*\([^)]*\)`)
	kernelSig    = regexp.MustCompile(`extern\s+"C"\s+__global__\s+void\s+(\w+)\s*\(([^)]*)\)`)
)

// signatures parses the extern "C" __global__ functions of CUDA C text:
// name -> parameters.
func signatures(t *testing.T, text string) map[string][]cParam {
	t.Helper()
	text = launchBounds.ReplaceAllString(lineComment.ReplaceAllString(blockComment.ReplaceAllString(text, ""), ""), "")
	out := map[string][]cParam{}
	for _, m := range kernelSig.FindAllStringSubmatch(text, -1) {
		var ps []cParam
		for _, p := range strings.Split(m[2], ",") {
			p = strings.Join(strings.Fields(p), " ")
			if p == "" || p == "void" {
				continue
			}
			i := strings.LastIndexAny(p, " *")
			ct, name := strings.TrimSpace(p[:i+1]), p[i+1:]
			var k argKind
			switch {
			case strings.HasSuffix(ct, "*"):
				k = argPtr
			case ct == "i64" || ct == "long long":
				k = argI64
			case ct == "int":
				k = argI32
			case ct == "float":
				k = argF32
			default:
				t.Errorf("kernel %s: parameter %q: no Go type for C type %q", m[1], p, ct)
			}
			ps = append(ps, cParam{name, ct, k})
		}
		if _, dup := out[m[1]]; dup {
			t.Errorf("kernel %s defined twice", m[1])
		}
		out[m[1]] = ps
	}
	return out
}

// goKind is the argument kind a parameter struct field is passed as.
func goKind(t reflect.Type) argKind {
	switch {
	case t == reflect.TypeFor[dptr]():
		return argPtr
	case t.Kind() == reflect.Int64:
		return argI64
	case t.Kind() == reflect.Int32:
		return argI32
	case t.Kind() == reflect.Bool:
		return argFlag
	case t.Kind() == reflect.Float32:
		return argF32
	}
	return 0
}

// plainName folds case and underscores: keys_in and keysIn are one name.
func plainName(s string) string { return strings.ToLower(strings.ReplaceAll(s, "_", "")) }

// TestKernelManifest checks every kernel's parameter struct against the
// kernel's signature in its .cu file (names, C types and order), each
// kernel of the files against having a struct, and each struct's pack
// against its fields: field i, alone set, is argument i, of its kind.
func TestKernelManifest(t *testing.T) {
	sigs := map[[2]string][]cParam{}
	for _, f := range src.Files() {
		text, err := src.Source(f)
		if err != nil {
			t.Fatal(err)
		}
		for name, ps := range signatures(t, text) {
			sigs[[2]string{f, name}] = ps
		}
	}
	if len(sigs) < 10 {
		t.Fatalf("found %d kernels in %s: the parser is broken", len(sigs), strings.Join(src.Files(), ", "))
	}
	covered := map[[2]string]bool{}
	for _, p := range manifest() {
		typ := reflect.TypeOf(p)
		file, name := p.entry()
		if _, ok := p.(ewArgs); ok {
			continue // generated: TestElementwiseArgs
		}
		key := [2]string{file, name}
		ps, ok := sigs[key]
		if !ok {
			t.Errorf("%s: no kernel %s in %s", typ.Name(), name, file)
			continue
		}
		if covered[key] {
			t.Errorf("%s: a second struct for %s", typ.Name(), name)
		}
		covered[key] = true
		if typ.NumField() != len(ps) {
			t.Errorf("%s has %d fields, kernel %s (%s) %d parameters", typ.Name(), typ.NumField(), name, file, len(ps))
		}
		for i := range min(typ.NumField(), len(ps)) {
			f, c := typ.Field(i), ps[i]
			k := goKind(f.Type)
			if plainName(f.Name) != plainName(c.name) {
				t.Errorf("%s field %d is %s, parameter %d of %s is %s", typ.Name(), i, f.Name, i, name, c.name)
			}
			if k == 0 || (k != c.kind && !(k == argFlag && c.kind == argI32)) {
				t.Errorf("%s.%s is a Go %s, parameter %s of %s a C %s", typ.Name(), f.Name, f.Type, c.name, name, c.ctype)
			}
		}
		checkPack(t, typ)
	}
	var missing []string
	for key := range sigs {
		if !covered[key] {
			missing = append(missing, key[0]+":"+key[1])
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("kernels with no registered parameter struct (registerFamily): %s", strings.Join(missing, ", "))
	}
	listed := map[string]bool{}
	for _, p := range manifest() {
		listed[reflect.TypeOf(p).Name()] = true
	}
	for _, name := range entryTypes(t) {
		if !listed[name] {
			t.Errorf("%s has an entry method but no family file registers it (registerFamily)", name)
		}
	}
}

// checkPack sets each field of a zero struct of typ alone to a marker
// and checks that pack passes it, of the field's kind, at the field's
// position, and zeros elsewhere.
func checkPack(t *testing.T, typ reflect.Type) {
	t.Helper()
	for i := range typ.NumField() {
		v := reflect.New(typ).Elem()
		f := v.Field(i)
		f = reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem() // unexported: set through its address
		var want uint64
		switch f.Kind() {
		case reflect.Bool:
			f.SetBool(true)
			want = 1
		case reflect.Float32:
			f.SetFloat(1.5)
			want = 0x3fc00000
		case reflect.Uint64, reflect.Int64, reflect.Int32:
			want = uint64(1000 + i)
			if f.Kind() == reflect.Uint64 {
				f.SetUint(want)
			} else {
				f.SetInt(int64(want))
			}
		default:
			t.Errorf("%s.%s: a field of kind %s", typ.Name(), typ.Field(i).Name, f.Kind())
			continue
		}
		var a argPack
		v.Interface().(kernelArgs).pack(&a)
		if a.n != typ.NumField() {
			t.Errorf("%s.pack passes %d arguments, the struct has %d fields", typ.Name(), a.n, typ.NumField())
			return
		}
		for j := range a.n {
			if a.kind[j] != goKind(typ.Field(j).Type) {
				t.Errorf("%s.pack passes argument %d as %s, field %s is a %s", typ.Name(), j, a.kind[j], typ.Field(j).Name, typ.Field(j).Type)
			}
			if j == i && a.v[j] != want || j != i && a.v[j] != 0 {
				t.Errorf("%s.pack: with only field %d (%s) set, argument %d is %#x", typ.Name(), i, typ.Field(i).Name, j, a.v[j])
			}
		}
	}
}

// entryTypes lists the types of the package (tests aside) that declare an
// entry method: the parameter structs.
func entryTypes(t *testing.T) []string {
	t.Helper()
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, ".", nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, pkg := range pkgs {
		for name, f := range pkg.Files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			for _, d := range f.Decls {
				fd, ok := d.(*ast.FuncDecl)
				if !ok || fd.Recv == nil || fd.Name.Name != "entry" {
					continue
				}
				if id, ok := fd.Recv.List[0].Type.(*ast.Ident); ok {
					out = append(out, id.Name)
				}
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("no type with an entry method found")
	}
	return out
}

// TestElementwiseArgs checks ewArgs.pack against the signature that
// elementwiseVariant generates, with broadcast inputs and without: each
// argument is the value of the parameter of its name.
func TestElementwiseArgs(t *testing.T) {
	f16 := func(s ...int) arg { return arg{Value: engine.Value{Shape: s, DType: engine.Float16}} }
	f32 := func(s ...int) arg { return arg{Value: engine.Value{Shape: s, DType: engine.Float32}} }
	three := &engine.Program{NumInputs: 3, Instrs: []engine.Instr{{Op: engine.OpMul, Args: [3]int{0, 1}},
		{Op: engine.OpMax, Args: [3]int{3, 2}}}}
	two := &engine.Program{NumInputs: 2, Instrs: []engine.Instr{{Op: engine.OpMul, Args: [3]int{0, 1}}}}
	for _, c := range []struct {
		prog *engine.Program
		in   []arg
		out  engine.Value
	}{
		{three, []arg{f16(4, 5), f16(1), f16(5)}, f16(4, 5).Value},
		{three, []arg{f16(3, 1, 5), f16(4, 5), f16(3, 4, 1)}, f16(3, 4, 5).Value},
		{two, []arg{f32(8), f32(1)}, f32(8).Value},
	} {
		v, bcast, err := elementwiseVariant(c.prog, c.in, c.out)
		if err != nil {
			t.Fatal(err)
		}
		sigs := signatures(t, v.extra)
		ps, ok := sigs["ew"]
		if !ok || len(sigs) != 1 {
			t.Fatalf("generated kernels %v, want ew alone", sigs)
		}
		// Each argument's marker says which parameter it is.
		marker := map[string]uint64{"y": 1, "n": 2, "d1": 3, "d2": 4, "d3": 5}
		p := ewArgs{y: 1, n: 2, d1: 3, d2: 4, d3: 5}
		for j := range c.in {
			p.in = append(p.in, dptr(10+j))
			marker["in"+string(rune('0'+j))] = uint64(10 + j)
			if bcast[j] {
				var st [4]int64
				for k := range st {
					st[k] = int64(100 + 10*j + k)
					marker["s"+string(rune('0'+j))+"_"+string(rune('0'+k))] = uint64(st[k])
				}
				p.strides = append(p.strides, st)
			}
		}
		var a argPack
		p.pack(&a)
		if a.n != len(ps) {
			t.Errorf("%s: ewArgs passes %d arguments, the kernel has %d parameters", v, a.n, len(ps))
			continue
		}
		for i, cp := range ps {
			want, ok := marker[cp.name]
			if !ok {
				t.Errorf("%s: unknown parameter %s", v, cp.name)
			}
			if a.v[i] != want || a.kind[i] != cp.kind {
				t.Errorf("%s: argument %d is %d (%s), parameter %s is %d (%s)", v, i, a.v[i], a.kind[i], cp.name, want, cp.kind)
			}
		}
	}
}

// TestLaunchChecksFile: a parameter struct launched with a variant of
// another file is an error before anything reaches the device.
func TestLaunchChecksFile(t *testing.T) {
	err := launch(&device{}, selectVariant(engine.Float32), [3]int{1}, 256, 0, castArgs{})
	want := "cuda: kernel cast of convert.cu launched from variant topk_select_float32 of topk.cu"
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

// TestVariantNames: CUDA variants are named by kernels.Name, as Metal's
// kernels are.
func TestVariantNames(t *testing.T) {
	for _, c := range []struct {
		v    variant
		want string
	}{
		{castVariant(engine.Float32, engine.BFloat16), "convert_cast_float32_bfloat16"},
		{dequantizeVariant(), "convert_dequantize_int8"},
		{sliceVariant(16, "uint4"), "gather_slice_w16"},
		{matmulVariant(engine.Float16, engine.Int8, true), "matmul_tiled_float16_int8_l1"},
		{rowVariant(engine.Float32, engine.Int8, 8, 768, 1, engine.MetricDot), "scan_select_int8_float32_mq8_nv2_ru1_dot"},
		{variant{kind: "mine", params: []string{"0a1b2c3d"}}, "custom_mine_0a1b2c3d"},
	} {
		if got := c.v.String(); got != c.want {
			t.Errorf("got %s, want %s", got, c.want)
		}
	}
}
