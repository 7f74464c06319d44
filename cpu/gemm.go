package cpu

import (
	"sync"

	"github.com/silica-go/silica/engine"
)

// The float32 matrix product behind MatMul and the fused cosine: C = A·B, blocked as in BLIS (Van Zee and van de Geijn,
// "BLIS: A Framework for Rapidly Instantiating BLAS Functionality", 2015).
// B is packed a panel of kc rows at a time into slivers of nr columns, A a
// block of mc rows at a time into slivers of mr rows, and a register-
// blocked micro-kernel multiplies one A sliver by one B sliver, keeping the
// mr x nr block of C in registers for the whole panel depth. Operands are
// read through strides, so transposed inputs cost nothing extra.

// Blocking parameters: a packed A block (mc x kc floats) stays in the L2
// cache, a B sliver (kc x nr) in L1.
const (
	gemmKC = 256
	gemmMC = 96
)

// gemmPackedB bounds the bytes of B packed at a time (a variable so that
// the tests can make every panel a group of its own).
var gemmPackedB = 16 << 20

// microKernel computes the mr x nr block C = A·B (or C += A·B with acc)
// from packed slivers: a holds kc columns of mr values, b kc rows of nr
// values; c is row-major with row stride ldc.
type microKernel func(kc int, a, b, c []float32, ldc int, acc bool)

// The micro-kernel in use and its block shape, and a packer of whole
// 12-row slivers of a row-major A where the machine has one (set by
// setSIMD).
var (
	gemmKernel     microKernel = gemm1x1Go
	gemmMR, gemmNR             = 1, 1
	packA12        func(dst, a []float32, lda, kc int)
)

// matrix is a matrix read through strides: element (i, j) is
// data[i*rs + j*cs], or, when data is nil, element i*rs + j*cs of raw,
// stored as dt (float16, bfloat16 or int8), converted as the gemm packs
// its panels (so no float32 copy of the whole operand is made).
type matrix struct {
	data   []float32
	rs, cs int
	raw    []byte
	dt     engine.DType
}

// run returns n elements of m from element offset base at stride m.cs as
// float32: a view when they are contiguous float32, else converted or
// gathered into tmp.
func (m matrix) run(tmp []float32, base, n int) []float32 {
	switch {
	case m.data != nil && m.cs == 1:
		return m.data[base : base+n]
	case m.data != nil:
		tmp = tmp[:n]
		for i := range tmp {
			tmp[i] = m.data[base+i*m.cs]
		}
		return tmp
	case m.cs == 1:
		return load(m.dt, m.raw, base, n, tmp)
	}
	tmp = tmp[:n]
	for i := range tmp {
		load(m.dt, m.raw, base+i*m.cs, 1, tmp[i:i+1])
	}
	return tmp
}

// gemmDotRows is the most rows of A that gemmDot takes. On the 2-core
// development machine (AVX2; BenchmarkGemmDot, products of MiniLM's
// layers: 384 x 384, 1536 x 384, 384 x 1536) the dot products run 2.6 to
// 3.3 times the packed product's speed at 16 rows, 1.3 to 1.6 at 64,
// about the same at 128 (0.98 to 1.18) and behind at 192 (0.75 to 1.1).
const gemmDotRows = 128

// gemmDot computes the product, when A has at most gemmDotRows rows and
// both operands are float32 with A's rows and B's columns contiguous (x·Wᵀ:
// a linear layer on a few tokens, as when a query is encoded), as the
// dot products of A's rows with B's columns (dotTile, a block of columns
// a task), reading B once in place; it reports whether it did. Packing B
// would read and write all of it for a few rows' products: in a profile of
// one short text's encoding, packBT took half the time.
func (c *Backend) gemmDot(m, n, k int, a, b matrix, out []float32, epi *epilogue) bool {
	if m > gemmDotRows || a.data == nil || b.data == nil || a.cs != 1 || a.rs != k || b.rs != 1 || b.cs != k {
		return false
	}
	c.gemmDots(m, n, k, a.data, b.data, out, epi)
	return true
}

// gemmDots is gemmDot's product of a [m, k] by the transpose of w [n, k],
// both row-major, into out [m, n]: dotTile on a block of columns a task,
// then the epilogue (if not nil) on that block.
func (c *Backend) gemmDots(m, n, k int, a, w, out []float32, epi *epilogue) {
	const cols = 64 // columns of B a task
	c.parallelFor((n+cols-1)/cols, 1, func(lo, hi int) {
		tile := make([]float32, m*cols)
		for blk := lo; blk < hi; blk++ {
			j0 := blk * cols
			nr := min(cols, n-j0)
			dotTile(a[:m*k], m, w[j0*k:(j0+nr)*k], nr, k, tile)
			for i := range m {
				copy(out[i*n+j0:i*n+j0+nr], tile[i*nr:(i+1)*nr])
			}
			if epi != nil {
				epi.apply(0, m, j0, j0+nr)
			}
		}
	})
}

// gemm computes out [m, n] (row-major) = a [m, k] · b [k, n] on the
// backend's workers.
func (c *Backend) gemm(m, n, k int, a, b matrix, out []float32) {
	c.gemmOf(m, n, k, a, b, nil, out)
}

// gemmOf is gemm where b views the persistent buffer bBuf (nil when it
// does not): the blocked product then takes b's packed panels from the
// backend's cache (packcache.go).
func (c *Backend) gemmOf(m, n, k int, a, b matrix, bBuf *buffer, out []float32) {
	c.gemmEpi(m, n, k, a, b, bBuf, out, nil)
}

// gemmEpi is gemmOf followed by the epilogue epi (nil for none), applied
// by each worker to each block of out it computed, as soon as the block
// is complete.
func (c *Backend) gemmEpi(m, n, k int, a, b matrix, bBuf *buffer, out []float32, epi *epilogue) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		clear(out[:m*n])
		if epi != nil {
			epi.apply(0, m, 0, n)
		}
		return
	}
	if c.gemmDot(m, n, k, a, b, out, epi) {
		return
	}
	packed := c.packs.panels(bBuf, b, n, k, func() []float32 {
		nSlivers := (n + gemmNR - 1) / gemmNR
		p := make([]float32, k*nSlivers*gemmNR)
		c.packPanels(p, b, 0, k, n)
		return p
	})
	c.gemmPacked(m, n, k, a, b, packed, out, epi)
}

// packPanels packs rows g0..g1 of b (n columns) into dst, panel after
// panel of gemmKC rows from g0, on the backend's workers.
func (c *Backend) packPanels(dst []float32, b matrix, g0, g1, n int) {
	nr := gemmNR
	nSlivers := (n + nr - 1) / nr
	// Each worker packs a range of rows of B into every sliver, eight
	// rows at a time: B is read along its rows and each sliver written
	// 8 x nr floats at a time.
	c.parallelFor((g1-g0+7)/8, 4, func(lo, hi int) {
		var tmp []float32
		if b.data == nil || b.cs != 1 {
			tmp = make([]float32, n)
		}
		for p := g0 + 8*lo; p < min(g1, g0+8*hi); p += 8 {
			pp := (p - g0) / gemmKC // the panel of row p
			p0 := g0 + pp*gemmKC
			kc := min(gemmKC, g1-p0)
			rows := min(8, p0+kc-p)
			packB(dst[(p0-g0)*nSlivers*nr:], b, p0, kc, p-p0, rows, n, nr, tmp)
		}
	})
}

// gemmPacked is gemm's blocked product (m, n and k at least 1); packed,
// when not nil, holds all of b's panels packed (packPanels of rows 0..k).
// A task that completes its block of out (rows, a part of the columns)
// applies epi to it, when epi is not nil.
func (c *Backend) gemmPacked(m, n, k int, a, b matrix, packed []float32, out []float32, epi *epilogue) {
	mr, nr := gemmMR, gemmNR
	// Row blocks of at most gemmMC rows, as many as a multiple of twice
	// the workers, cut at sliver boundaries; column parts as well when
	// there are too few row blocks to go round. The workers take these
	// tasks one at a time as they finish the last, so that one slowed
	// down by another program on its core takes fewer.
	mSlivers := (m + mr - 1) / mr
	mBlocks := (mSlivers + gemmMC/mr - 1) / (gemmMC / mr)
	mBlocks = min(mSlivers, (mBlocks+2*c.workers-1)/(2*c.workers)*(2*c.workers))
	nSlivers := (n + nr - 1) / nr
	nParts := max(1, min(nSlivers/4, (2*c.workers+mBlocks-1)/mBlocks))
	// B is packed a group of panels at a time (all of it when it takes at
	// most gemmPackedB bytes), so that the workers meet twice a group,
	// not twice a panel.
	panelFloats := gemmKC * nSlivers * nr
	group := max(1, gemmPackedB/4/panelFloats) * gemmKC // depth of a group, a multiple of 8
	packedB := packed
	if packed != nil {
		group = k
	} else {
		packedB = make([]float32, min(k, group)*nSlivers*nr)
	}
	var mu sync.Mutex
	var works []*gemmWork
	defer func() {
		for _, w := range works {
			gemmWorkPool.Put(w)
		}
	}()
	for g0 := 0; g0 < k; g0 += group {
		g1 := min(k, g0+group)
		if packed == nil {
			c.packPanels(packedB, b, g0, g1, n)
		}
		c.parallelTasks(mBlocks*nParts, func() func(t int) {
			w := gemmWorkPool.Get().(*gemmWork)
			mu.Lock()
			works = append(works, w)
			mu.Unlock()
			packedA, tile, tmp := grow(&w.a, gemmMC*gemmKC), grow(&w.tile, mr*nr), grow(&w.tmp, gemmKC)
			return func(t int) {
				ib, part := t/nParts, t%nParts
				i0, i1 := ib*mSlivers/mBlocks*mr, min((ib+1)*mSlivers/mBlocks*mr, m)
				s0, s1 := part*nSlivers/nParts, (part+1)*nSlivers/nParts
				for p0 := g0; p0 < g1; p0 += gemmKC {
					kc := min(gemmKC, g1-p0)
					packA(packedA, a, i0, i1, p0, kc, mr, tmp)
					macroKernel(packedA, packedB[(p0-g0)*nSlivers*nr:], i0, i1, s0, s1, kc, n, out, p0 > 0, tile)
				}
				if epi != nil && g1 == k {
					epi.apply(i0, i1, s0*nr, min(s1*nr, n))
				}
			}
		})
	}
}

// gemmWork is a worker's scratch in gemmPacked (the packed A block, the
// edge tile, packA's row buffer), pooled from product to product: a
// cleared 96 KiB block for each worker and product took 1.4% of the CPU
// encoder's time.
type gemmWork struct{ a, tile, tmp []float32 }

var gemmWorkPool = sync.Pool{New: func() any { return new(gemmWork) }}

// macroKernel multiplies the packed A block (rows i0..i1) by B slivers
// s0..s1 into out, through the micro-kernel; edge blocks go through tile.
func macroKernel(packedA, packedB []float32, i0, i1, s0, s1, kc, n int, out []float32, acc bool, tile []float32) {
	mr, nr := gemmMR, gemmNR
	for s := s0; s < s1; s++ {
		j0 := s * nr
		bs := packedB[s*kc*nr : (s+1)*kc*nr]
		for i := i0; i < i1; i += mr {
			as := packedA[(i-i0)*kc : (i-i0+mr)*kc]
			if i+mr <= i1 && j0+nr <= n {
				gemmKernel(kc, as, bs, out[i*n+j0:], n, acc)
				continue
			}
			gemmKernel(kc, as, bs, tile, nr, false)
			for ii := i; ii < min(i+mr, i1); ii++ {
				row := out[ii*n+j0 : ii*n+min(j0+nr, n)]
				t := tile[(ii-i)*nr:][:len(row)]
				if acc {
					addVec(row, row, t)
				} else {
					copy(row, t)
				}
			}
		}
	}
}

// packA packs rows i0..i1 and columns p0..p0+kc of a into slivers of mr
// rows: sliver s holds, for each column p, the mr values of rows
// i0+s*mr..; rows past i1 are zero. tmp (kc floats) holds a row read
// through matrix.run.
func packA(dst []float32, a matrix, i0, i1, p0, kc, mr int, tmp []float32) {
	for i := i0; i < i1; i += mr {
		s := dst[(i-i0)*kc : (i-i0+mr)*kc]
		rows := min(mr, i1-i)
		if a.data != nil && a.cs == 1 && rows == 12 && mr == 12 && packA12 != nil {
			packA12(s, a.data[i*a.rs+p0:], a.rs, kc)
			continue
		}
		if a.data != nil && a.cs == 1 && rows == mr && mr%6 == 0 {
			for r := 0; r < mr; r += 6 {
				packA6(s, a, i+r, p0, kc, mr, r)
			}
			continue
		}
		for ii := range mr {
			if ii >= rows {
				for p := range kc {
					s[p*mr+ii] = 0
				}
				continue
			}
			for p, v := range a.run(tmp, (i+ii)*a.rs+p0*a.cs, kc) {
				s[p*mr+ii] = v
			}
		}
	}
}

// packA6 packs six whole rows i.. of a (float32, contiguous along k) into
// rows r..r+6 of a sliver of mr rows (mr a multiple of 6): the common
// case, written so that the compiler drops the bounds checks from the
// loop.
func packA6(s []float32, a matrix, i, p0, kc, mr, r int) {
	base := i*a.rs + p0
	r0 := a.data[base : base+kc]
	r1 := a.data[base+a.rs : base+a.rs+kc]
	r2 := a.data[base+2*a.rs : base+2*a.rs+kc]
	r3 := a.data[base+3*a.rs : base+3*a.rs+kc]
	r4 := a.data[base+4*a.rs : base+4*a.rs+kc]
	r5 := a.data[base+5*a.rs : base+5*a.rs+kc]
	s = s[:mr*kc]
	for p := range r0 {
		d := (*[6]float32)(s[mr*p+r:])
		d[0], d[1], d[2], d[3], d[4], d[5] = r0[p], r1[p], r2[p], r3[p], r4[p], r5[p]
	}
}

// packB packs rows p0+r0..p0+r0+rows of b (of the panel of rows p0..p0+kc)
// into dst, the panel's slivers of nr columns: sliver s holds, for each
// row p of the panel, the nr values of columns s*nr..; columns past n are
// zero. Each row of b is read (converted or gathered into tmp, n floats,
// unless it is contiguous float32) once.
func packB(dst []float32, b matrix, p0, kc, r0, rows, n, nr int, tmp []float32) {
	if b.data != nil && b.rs == 1 {
		packBT(dst, b, p0, kc, r0, rows, n, nr)
		return
	}
	for p := r0; p < r0+rows; p++ {
		row := b.run(tmp, (p0+p)*b.rs, n)
		for j := 0; j < n; j += nr {
			d := dst[(j/nr)*kc*nr+p*nr : (j/nr)*kc*nr+(p+1)*nr]
			switch {
			case j+16 <= n && nr == 16:
				*(*[16]float32)(d) = *(*[16]float32)(row[j:])
			case j+32 <= n && nr == 32: // a fixed-size copy, not a call of memmove
				*(*[32]float32)(d) = *(*[32]float32)(row[j:])
			default:
				cols := copy(d, row[j:min(j+nr, n)])
				clear(d[cols:])
			}
		}
	}
}

// packBT is packB for a float32 b stored transposed (b.rs == 1: column j
// of b is contiguous from j*b.cs, as the weights of x·Wᵀ and the keys of
// attention's scores are): it reads each column's rows p0+r0.. at once
// and scatters them down its sliver, instead of gathering every row of b
// element by element at stride b.cs.
func packBT(dst []float32, b matrix, p0, kc, r0, rows, n, nr int) {
	j := 0
	switch {
	case rows == 8 && nr == 16:
		// Whole slivers: a block of 8 rows by 16 columns at a time, read a
		// column at a time and written through fixed-size arrays (no
		// bounds checks in the loop).
		for ; j+16 <= n; j += 16 {
			d := (*[7*16 + 16]float32)(dst[(j/16)*kc*16+r0*16:])
			for jj := range 16 {
				c := (*[8]float32)(b.data[(j+jj)*b.cs+p0+r0:])
				d[jj], d[16+jj], d[32+jj], d[48+jj] = c[0], c[1], c[2], c[3]
				d[64+jj], d[80+jj], d[96+jj], d[112+jj] = c[4], c[5], c[6], c[7]
			}
		}
	case rows == 8:
		// The same for other sliver widths (AVX-512's 32: 1.5 to 2 times
		// the element loop below on attention's keys), with bounds checks
		// (a quarter slower than the fixed arrays at 16).
		for ; j+nr <= n; j += nr {
			d := dst[(j/nr)*kc*nr+r0*nr:][:8*nr]
			for jj := range nr {
				c := (*[8]float32)(b.data[(j+jj)*b.cs+p0+r0:])
				d[jj], d[nr+jj], d[2*nr+jj], d[3*nr+jj] = c[0], c[1], c[2], c[3]
				d[4*nr+jj], d[5*nr+jj], d[6*nr+jj], d[7*nr+jj] = c[4], c[5], c[6], c[7]
			}
		}
	}
	for ; j < n; j++ {
		col := b.data[j*b.cs+p0+r0 : j*b.cs+p0+r0+rows]
		d := dst[(j/nr)*kc*nr+r0*nr+j%nr:]
		for p, v := range col {
			d[p*nr] = v
		}
	}
	if n%nr != 0 { // the last sliver's columns past n are zero
		last := n / nr
		for p := r0; p < r0+rows; p++ {
			clear(dst[last*kc*nr+p*nr+n%nr : last*kc*nr+(p+1)*nr])
		}
	}
}

// gemm1x1Go is the portable micro-kernel: one element of C as the
// dot product of an A row and a B column, each packed contiguous (mr = nr
// = 1). Go does not vectorize, and sixteen scalar accumulators of a
// larger block spill registers; the eight-way dot product runs about 1.5
// times faster than a 4 x 4 block.
func gemm1x1Go(kc int, a, b, c []float32, ldc int, acc bool) {
	v := dotGo(a[:kc], b[:kc])
	if acc {
		v += c[0]
	}
	c[0] = v
}

// gemmScratch holds the packing buffers of gemmSerial, reused from call
// to call by one goroutine.
type gemmScratch struct {
	a, b, tile, tmp, ta []float32
}

// grow returns buf with at least n elements, reallocating when short.
func grow(buf *[]float32, n int) []float32 {
	if len(*buf) < n {
		*buf = make([]float32, n)
	}
	return (*buf)[:n]
}

// run computes out [m, n] (row-major) = a [m, k] · b [k, n] on the calling
// goroutine: the blocked product of gemm without its workers, for callers
// that run many small products in parallel themselves.
func (g *gemmScratch) run(m, n, k int, a, b matrix, out []float32) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		clear(out[:m*n])
		return
	}
	mr, nr := gemmMR, gemmNR
	nSlivers := (n + nr - 1) / nr
	tile := grow(&g.tile, mr*nr)
	var tmp []float32
	if b.data == nil || b.cs != 1 {
		tmp = grow(&g.tmp, n)
	}
	for p0 := 0; p0 < k; p0 += gemmKC {
		kc := min(gemmKC, k-p0)
		pb := grow(&g.b, kc*nSlivers*nr)
		for p := 0; p < kc; p += 8 {
			packB(pb, b, p0, kc, p, min(8, kc-p), n, nr, tmp)
		}
		pa := grow(&g.a, gemmMC*kc)
		for i0 := 0; i0 < m; i0 += gemmMC {
			i1 := min(m, i0+gemmMC)
			packA(pa, a, i0, i1, p0, kc, mr, grow(&g.ta, kc))
			macroKernel(pa, pb, i0, i1, 0, nSlivers, kc, n, out, p0 > 0, tile)
		}
	}
}
