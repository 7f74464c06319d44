package shim

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/silica-go/silica/engine"
)

// defines returns the NAME = value entries of the headers' enums.
func defines(t *testing.T) map[string]int {
	t.Helper()
	out := map[string]int{}
	re := regexp.MustCompile(`(?m)^\s*(SIL_[A-Z0-9_]+) = (\d+),?`)
	for _, m := range re.FindAllStringSubmatch(string(Header)+string(opsHeader), -1) {
		v, err := strconv.Atoi(m[2])
		if err != nil {
			t.Fatal(err)
		}
		out[m[1]] = v
	}
	if len(out) == 0 {
		t.Fatal("no enum entries found in silica_shim.h")
	}
	return out
}

// TestHeaderMatchesEngine checks that the header's op and dtype codes are
// the engine's values, so that Run can pass them through unchanged.
func TestHeaderMatchesEngine(t *testing.T) {
	d := defines(t)
	n := 0
	for _, op := range engine.Ops() {
		if !primitive(op) {
			continue
		}
		n++
		name := "SIL_OP_" + strings.ToUpper(op.String())
		if v, ok := d[name]; !ok || v != int(op) {
			t.Errorf("%s = %d (present %t), want engine.Op%s = %d", name, v, ok, op, op)
		}
	}
	ops := 0
	for name := range d {
		if strings.HasPrefix(name, "SIL_OP_") {
			ops++
		}
	}
	if ops != n {
		t.Errorf("header has %d ops, the engine %d primitive ones", ops, n)
	}
	if n == 0 {
		t.Error("no primitive ops")
	}
	for _, dt := range []engine.DType{engine.Float32, engine.Float16, engine.BFloat16, engine.Int8, engine.Int32, engine.Int64} {
		name := "SIL_" + strings.ToUpper(dt.String())
		if v, ok := d[name]; !ok || v != int(dt) {
			t.Errorf("%s = %d (present %t), want engine.%s = %d", name, v, ok, dt, dt)
		}
	}
	for name, want := range map[string]int{"SIL_UINT8": dtypeUint8, "SIL_OK": statusOK, "SIL_ERROR": statusError,
		"SIL_OUT_OF_RANGE": statusOutOfRange, "SIL_UNSUPPORTED": statusUnsupported, "SIL_UNAVAILABLE": statusUnavailable} {
		if d[name] != want {
			t.Errorf("%s = %d, Go uses %d", name, d[name], want)
		}
	}
	if !strings.Contains(string(Header), "#define SIL_ABI_BASE "+strconv.Itoa(abiBase)+"\n") {
		t.Errorf("silica_shim.h does not define SIL_ABI_BASE %d", abiBase)
	}
}

// TestAttrsLayout checks that attrs has sil_attrs's layout: ten 8-byte
// fields and the double last.
func TestAttrsLayout(t *testing.T) {
	var a attrs
	if unsafe.Sizeof(a) != 11*8 || unsafe.Offsetof(a.rows) != 6*8 || unsafe.Offsetof(a.cols) != 8*8 || unsafe.Offsetof(a.scalar) != 10*8 {
		t.Errorf("attrs: size %d, rows at %d, cols at %d, scalar at %d; want 88, 48, 64, 80",
			unsafe.Sizeof(a), unsafe.Offsetof(a.rows), unsafe.Offsetof(a.cols), unsafe.Offsetof(a.scalar))
	}
	got := attrsOf(&engine.Attrs{Axis: 2, K: 5, Largest: true, TransB: true, To: engine.Int32,
		Rows: [2]int{1, 3}, Cols: [2]int{4, 6}, Scalar: 0.5})
	want := attrs{axis: 2, k: 5, largest: 1, transB: 1, to: int64(engine.Int32), rows: [2]int64{1, 3}, cols: [2]int64{4, 6}, scalar: 0.5}
	if got != want {
		t.Errorf("attrsOf: %+v, want %+v", got, want)
	}
}
