package cpu

// dotTile computes the dot products of mq queries with nr rows, both
// float32 with row stride d: out[i*nr+j] = dot(q[i*d:(i+1)*d],
// x[j*d:(j+1)*d]), each equal bit for bit to what dot returns for the pair,
// so the batch scan's scores do not depend on the batch. The amd64 kernel
// set replaces it with a register-blocked tile kernel (dottile_amd64.s);
// the others compute each pair with dot.
var dotTile = dotTileGo

// dotTileGo is dotTile one pair at a time.
func dotTileGo(q []float32, mq int, x []float32, nr, d int, out []float32) {
	for i := range mq {
		qi := q[i*d : (i+1)*d]
		for j := range nr {
			out[i*nr+j] = dot(qi, x[j*d:(j+1)*d])
		}
	}
}

// l2Tile computes the squared distances of mq queries from nr rows
// scaled by scales, all float32 with row stride d: out[i*nr+j] =
// sqDist(q[i*d:(i+1)*d], x[j*d:(j+1)*d], scales[j]), bit for bit, as
// dotTile does for dot. It is nil where no tile kernel beats the L2
// scan's row blocks (which call sqDist per pair); the AVX-512 kernel set
// installs one (l2tile512_amd64.s).
var l2Tile func(q []float32, mq int, x []float32, nr, d int, scales, out []float32)

// l2TileGo is l2Tile one pair at a time.
func l2TileGo(q []float32, mq int, x []float32, nr, d int, scales, out []float32) {
	for i := range mq {
		qi := q[i*d : (i+1)*d]
		for j := range nr {
			out[i*nr+j] = sqDist(qi, x[j*d:(j+1)*d], scales[j])
		}
	}
}
