package shim

import (
	"errors"
	"fmt"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"

	"github.com/silica-go/silica/engine"
)

// abiBase is SIL_ABI_BASE of csrc/silica_shim.h.
const abiBase = 2

// abiVersion is SIL_ABI_VERSION of csrc/silica_shim.h: abiBase and the
// checksum of the op codes. A loaded library reporting another number was
// built from other sources and is refused.
var abiVersion = abiBase<<16 + opsVersion()

// Status codes of csrc/silica_shim.h.
const (
	statusOK          = 0
	statusError       = 1
	statusOutOfRange  = 2
	statusUnsupported = 3
	statusUnavailable = 4
)

// dtypeUint8 is SIL_UINT8, raw bytes; the other dtype codes are the
// values of engine.DType.
const dtypeUint8 = 100

// attrs mirrors sil_attrs: every field 8 bytes wide, in the C order.
type attrs struct {
	axis, k, largest, transA, transB, to int64
	rows, cols                           [2]int64
	scalar                               float64
}

func attrsOf(a *engine.Attrs) attrs {
	return attrs{
		axis: int64(a.Axis), k: int64(a.K), largest: b2i(a.Largest),
		transA: b2i(a.TransA), transB: b2i(a.TransB), to: int64(a.To),
		rows: [2]int64{int64(a.Rows[0]), int64(a.Rows[1])}, cols: [2]int64{int64(a.Cols[0]), int64(a.Cols[1])},
		scalar: float64(a.Scalar),
	}
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// Lib is a loaded shim: the functions of csrc/silica_shim.h, resolved
// once. Handles (arrays) and contexts (devices) are uintptrs the library
// owns. Call it from one OS thread at a time (see worker).
type Lib struct {
	Path string

	abiVersion func() int32
	lastError  func() string
	open       func(device string, out *uintptr) int32
	info       func(ctx uintptr) string
	close      func(ctx uintptr)
	setThreads func(ctx uintptr, n int32) int32
	upload     func(ctx uintptr, src unsafe.Pointer, n int64, out *uintptr) int32
	zeros      func(ctx uintptr, n int64, out *uintptr) int32
	write      func(ctx, h uintptr, off int64, src unsafe.Pointer, n int64, out *uintptr) int32
	read       func(ctx, h uintptr, off int64, dst unsafe.Pointer, n int64) int32
	nbytes     func(h uintptr) int64
	free       func(h uintptr)
	view       func(ctx, h uintptr, dtype int32, shape *int64, ndim int32, out *uintptr) int32
	listOps    func(out *int32, n int32) int32
	op         func(ctx uintptr, op int32, a *attrs, in *uintptr, nin int32, out *uintptr, nout int32) int32
	eval       func(ctx uintptr, h *uintptr, n int32) int32
	begin      func(ctx uintptr) int32
	sync       func(ctx uintptr) int32

	// implements[op] reports whether the library implements op (its
	// sil_ops), read once by Load.
	implements []bool
}

var (
	libsMu sync.Mutex
	libs   = map[string]*Lib{}
)

// Load opens the shared library at path (once per process; a library is
// never unloaded) and resolves every function of the ABI. A library built
// from other sources (another SIL_ABI_VERSION) is an error.
func Load(path string) (*Lib, error) {
	libsMu.Lock()
	defer libsMu.Unlock()
	if l, ok := libs[path]; ok {
		return l, nil
	}
	h, err := purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_LOCAL)
	if err != nil {
		return nil, fmt.Errorf("shim: load %s: %w", path, err)
	}
	l := &Lib{Path: path}
	fns := []struct {
		ptr  any
		name string
	}{
		{&l.abiVersion, "sil_abi_version"}, {&l.lastError, "sil_error"}, {&l.open, "sil_open"},
		{&l.info, "sil_info"}, {&l.close, "sil_close"}, {&l.setThreads, "sil_set_threads"}, {&l.upload, "sil_upload"}, {&l.zeros, "sil_zeros"},
		{&l.write, "sil_write"}, {&l.read, "sil_read"}, {&l.nbytes, "sil_nbytes"}, {&l.free, "sil_free"},
		{&l.view, "sil_view"}, {&l.listOps, "sil_ops"}, {&l.op, "sil_op"}, {&l.eval, "sil_eval"}, {&l.begin, "sil_begin"},
		{&l.sync, "sil_synchronize"},
	}
	for _, f := range fns {
		sym, err := purego.Dlsym(h, f.name)
		if err != nil {
			return nil, fmt.Errorf("shim: %s lacks %s (built from other sources?): %w", path, f.name, err)
		}
		purego.RegisterFunc(f.ptr, sym)
	}
	if v := l.abiVersion(); v != abiVersion {
		return nil, fmt.Errorf("shim: %s implements ABI version %d, this program needs %d (rebuild it)", path, v, abiVersion)
	}
	if err := l.readOps(); err != nil {
		return nil, err
	}
	libs[path] = l
	return l, nil
}

// readOps fills l.implements from sil_ops. A code that is no primitive
// op of the engine is an error: the library was built from another table.
func (l *Lib) readOps() error {
	ops := engine.Ops()
	l.implements = make([]bool, len(ops)+1)
	codes := make([]int32, len(ops)+1)
	n := int(l.listOps(&codes[0], int32(len(codes))))
	if n < 0 || n > len(codes) {
		return fmt.Errorf("shim: %s lists %d ops, the engine has %d", l.Path, n, len(ops))
	}
	for _, c := range codes[:n] {
		op := engine.Op(c)
		if c <= 0 || int(c) >= len(l.implements) || !primitive(op) {
			return fmt.Errorf("shim: %s lists op code %d, which is no primitive op of the engine (built from other sources?)", l.Path, c)
		}
		l.implements[op] = true
	}
	return nil
}

// Implements reports whether the library implements op (its sil_ops).
func (l *Lib) Implements(op engine.Op) bool { return int(op) < len(l.implements) && l.implements[op] }

// check turns a status into an error carrying the shim's message, after
// what (a call's name; "" where the caller's error names it already): an
// out-of-range gather wraps engine.ErrIndexOutOfRange, a missing op
// engine.ErrUnsupported, a missing device engine.ErrUnavailable.
func (l *Lib) check(what string, status int32) error {
	if status == statusOK {
		return nil
	}
	msg := l.lastError()
	var kind error
	switch status {
	case statusOutOfRange:
		kind = engine.ErrIndexOutOfRange
	case statusUnsupported:
		kind = engine.ErrUnsupported
	case statusUnavailable:
		kind = engine.ErrUnavailable
	default:
		if what == "" {
			return errors.New(msg)
		}
		return fmt.Errorf("%s: %s", what, msg)
	}
	if what == "" {
		return fmt.Errorf("%w: %s", kind, msg)
	}
	return fmt.Errorf("%w: %s: %s", kind, what, msg)
}

var errNilHandle = errors.New("shim: library returned no array")
