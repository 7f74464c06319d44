// Body of the direct row kernels (dotrow_amd64.s includes it inside each
// kernel's TEXT block, after loading DI = &q[0], CX = len(q), SI = &x[0]
// and Y15 = scale in every lane). It scores a float32 query q against one
// stored row x of any dtype, converting x eight elements at a time in
// registers, so the row is read once, straight from memory. It reads
// len(q) &^ 7 elements of each; the caller adds the rest.
//
// The includer defines ZERO8 and REDUCE8 (dotrow_amd64.s), and:
//   XSTEP           bytes of x per 8 elements
//   LOAD8(off, Y)   convert the 8 elements at off(SI) into Y as float32
//   METRIC_L2       (optional) leave sum((q - scale*x)^2) in X0 and 0 in
//                   X1, instead of dot(q, x) in X0 and sum(x^2) in X1
//   DOT_ONLY        (optional) leave 0 in X1: the dot product alone, with
//                   the very operations (so the very result) of the full
//                   kernel
//
// The file holds no FP references, so that go vet's asmdecl check, which
// reads only the .s file, sees every argument and result access.

	SHRQ         $3, CX
	ZERO8
	CMPQ         CX, $4
	JLT          one

four:
	LOAD8((XSTEP*0), Y8)
	LOAD8((XSTEP*1), Y9)
	LOAD8((XSTEP*2), Y10)
	LOAD8((XSTEP*3), Y11)
#ifdef METRIC_L2
	VMOVUPS      (DI), Y12
	VMOVUPS      32(DI), Y13
	VMOVUPS      64(DI), Y14
	VFNMADD231PS Y8, Y15, Y12
	VFNMADD231PS Y9, Y15, Y13
	VFNMADD231PS Y10, Y15, Y14
	VFMADD231PS  Y12, Y12, Y0
	VFMADD231PS  Y13, Y13, Y1
	VFMADD231PS  Y14, Y14, Y2
	VMOVUPS      96(DI), Y12
	VFNMADD231PS Y11, Y15, Y12
	VFMADD231PS  Y12, Y12, Y3
#else
	VFMADD231PS  (DI), Y8, Y0
	VFMADD231PS  32(DI), Y9, Y1
	VFMADD231PS  64(DI), Y10, Y2
	VFMADD231PS  96(DI), Y11, Y3
#ifndef DOT_ONLY
	VFMADD231PS  Y8, Y8, Y4
	VFMADD231PS  Y9, Y9, Y5
	VFMADD231PS  Y10, Y10, Y6
	VFMADD231PS  Y11, Y11, Y7
#endif
#endif
	ADDQ         $(XSTEP*4), SI
	ADDQ         $128, DI
	SUBQ         $4, CX
	CMPQ         CX, $4
	JGE          four

one:
	TESTQ        CX, CX
	JZ           reduce
	LOAD8(0, Y8)
#ifdef METRIC_L2
	VMOVUPS      (DI), Y12
	VFNMADD231PS Y8, Y15, Y12
	VFMADD231PS  Y12, Y12, Y0
#else
	VFMADD231PS  (DI), Y8, Y0
#ifndef DOT_ONLY
	VFMADD231PS  Y8, Y8, Y4
#endif
#endif
	ADDQ         $XSTEP, SI
	ADDQ         $32, DI
	DECQ         CX
	JMP          one

reduce:
	REDUCE8
