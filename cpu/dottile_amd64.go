package cpu

import "github.com/silica-go/silica/engine"

// dotTile4x3 is the AVX2/FMA tile kernel (dottile_amd64.s): out[3i+j] =
// the dot product of elements [0, d &^ 7) of query i (q[i*d:]) and row j
// (x[j*d:]), computed as dotOnlyF32 computes it; acc is scratch.
//
//go:noescape
func dotTile4x3(q, x []float32, d int, acc, out []float32)

// dotTileAVX2 is dotTile on the tile kernel: blocks of 4 queries by 3
// rows through dotTile4x3 (with dotOnlyF32's tail added by rowTail, as
// withTail adds it), the edges through dot.
func dotTileAVX2(q []float32, mq int, x []float32, nr, d int, out []float32) {
	var acc [384]float32
	var t [12]float32
	n8 := d &^ 7
	i := 0
	for ; i+4 <= mq; i += 4 {
		qs := q[i*d : (i+4)*d]
		j := 0
		for ; j+3 <= nr; j += 3 {
			dotTile4x3(qs, x[j*d:(j+3)*d], d, acc[:], t[:])
			for ii := range 4 {
				o := out[(i+ii)*nr+j : (i+ii)*nr+j+3]
				for jj := range 3 {
					v := t[3*ii+jj]
					if n8 < d {
						v, _ = rowTail(engine.Float32, false, qs[ii*d:(ii+1)*d], f32Bytes(x[(j+jj)*d:(j+jj+1)*d]), n8, 1, v, 0)
					}
					o[jj] = v
				}
			}
		}
		for ; j < nr; j++ {
			for ii := range 4 {
				out[(i+ii)*nr+j] = dot(qs[ii*d:(ii+1)*d], x[j*d:(j+1)*d])
			}
		}
	}
	dotTileGo(q[i*d:], mq-i, x, nr, d, out[i*nr:])
}

// dotTile8x3 is the AVX-512 tile kernel (dottile512_amd64.s): out[3i+j] =
// the dot product of elements [0, d &^ 7) of query i (q[i*d:]) and row j
// (x[j*d:]), computed as dotOnlyF32 computes it; acc is scratch.
//
//go:noescape
func dotTile8x3(q, x []float32, d int, acc, out []float32)

// dotTileAVX512 is dotTile on the AVX-512 tile kernel: blocks of 8 queries
// by 3 rows through dotTile8x3 (with dotOnlyF32's tail added by rowTail),
// the edges through dotTileAVX2.
func dotTileAVX512(q []float32, mq int, x []float32, nr, d int, out []float32) {
	var acc [768]float32
	var t [24]float32
	n8 := d &^ 7
	n3 := nr - nr%3
	i := 0
	for ; i+8 <= mq; i += 8 {
		qs := q[i*d : (i+8)*d]
		for j := 0; j < n3; j += 3 {
			dotTile8x3(qs, x[j*d:(j+3)*d], d, acc[:], t[:])
			for ii := range 8 {
				o := out[(i+ii)*nr+j : (i+ii)*nr+j+3]
				for jj := range 3 {
					v := t[3*ii+jj]
					if n8 < d {
						v, _ = rowTail(engine.Float32, false, qs[ii*d:(ii+1)*d], f32Bytes(x[(j+jj)*d:(j+jj+1)*d]), n8, 1, v, 0)
					}
					o[jj] = v
				}
			}
		}
		for j := n3; j < nr; j++ {
			for ii := range 8 {
				out[(i+ii)*nr+j] = dot(qs[ii*d:(ii+1)*d], x[j*d:(j+1)*d])
			}
		}
	}
	if i < mq {
		dotTileAVX2(q[i*d:], mq-i, x, nr, d, out[i*nr:])
	}
}

// l2Tile8x3 is the AVX-512 tile kernel of the L2 scan
// (l2tile512_amd64.s): out[3i+j] = sum((q_i - scales[j]*x_j)^2) over
// elements [0, d &^ 7) of query i (q[i*d:]) and row j (x[j*d:]), computed
// as l2RowF32 computes it; acc is scratch.
//
//go:noescape
func l2Tile8x3(q, x []float32, d int, scales, acc, out []float32)

// l2TileAVX512 is l2Tile on the AVX-512 tile kernel: blocks of 8 queries
// by 3 rows through l2Tile8x3 (with l2RowF32's tail added by rowTail), the
// edges through sqDist.
func l2TileAVX512(q []float32, mq int, x []float32, nr, d int, scales, out []float32) {
	var acc [768]float32
	var t [24]float32
	n8 := d &^ 7
	n3 := nr - nr%3
	scales = scales[:nr]
	i := 0
	for ; i+8 <= mq; i += 8 {
		qs := q[i*d : (i+8)*d]
		for j := 0; j < n3; j += 3 {
			l2Tile8x3(qs, x[j*d:(j+3)*d], d, scales[j:j+3], acc[:], t[:])
			for ii := range 8 {
				o := out[(i+ii)*nr+j : (i+ii)*nr+j+3]
				for jj := range 3 {
					v := t[3*ii+jj]
					if n8 < d {
						v, _ = rowTail(engine.Float32, true, qs[ii*d:(ii+1)*d], f32Bytes(x[(j+jj)*d:(j+jj+1)*d]), n8, scales[j+jj], v, 0)
					}
					o[jj] = v
				}
			}
		}
		for j := n3; j < nr; j++ {
			for ii := range 8 {
				out[(i+ii)*nr+j] = sqDist(qs[ii*d:(ii+1)*d], x[j*d:(j+1)*d], scales[j])
			}
		}
	}
	l2TileGo(q[i*d:], mq-i, x, nr, d, scales, out[i*nr:])
}

// dotGather4 is the AVX-512 kernel of dotQueries (dotgather512_amd64.s):
// out[t] = the dot product of elements [0, d &^ 7) of the row x and of
// query t (qt), computed as dotOnlyF32 computes it.
//
//go:noescape
func dotGather4(x, q0, q1, q2, q3 *float32, d int, out *[4]float32)

// dotQueriesAVX512 is dotQueries on dotGather4, four queries at a time
// (with dotOnlyF32's tail added by rowTail), the rest through dot.
func dotQueriesAVX512(x, q []float32, d int, qs []int32, out []float32) {
	x, out = x[:d], out[:len(qs)]
	n8 := d &^ 7
	var t [4]float32
	at := func(i int32) *float32 { return &q[int(i)*d : (int(i)+1)*d][0] }
	k := 0
	for ; k+4 <= len(qs) && n8 > 0; k += 4 {
		dotGather4(&x[0], at(qs[k]), at(qs[k+1]), at(qs[k+2]), at(qs[k+3]), d, &t)
		for u := range 4 {
			v := t[u]
			if n8 < d {
				i := int(qs[k+u])
				v, _ = rowTail(engine.Float32, false, q[i*d:(i+1)*d], f32Bytes(x), n8, 1, v, 0)
			}
			out[k+u] = v
		}
	}
	for ; k < len(qs); k++ {
		i := int(qs[k])
		out[k] = dot(q[i*d:(i+1)*d], x)
	}
}
