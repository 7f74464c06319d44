// Body of the NEON row kernels (dotrow_arm64.s includes it inside each
// kernel's TEXT block, after loading R0 = &q[0], R1 = &x[0], R2 = len(q)/16,
// R3 = out and V28 = scale in every lane). Like the amd64 template it
// scores a float32 query q against one stored row x of any dtype,
// converting x sixteen elements at a time in registers. It reads
// len(q) &^ 15 elements of each and stores two 4-lane partial sums at out:
// dot(q, x) and sum(x²), or with METRIC_L2 sum((q - scale·x)²) and zeros.
// The caller adds the lanes and the leftover elements.
//
// The includer defines LOAD16, which converts the next 16 elements at R1
// into V16..V19 as float32 (V20, V21 and V31 are free for it) and moves
// R1 past them. Go's arm64 assembler has no vector FADD: sums of vectors
// are FMLA with a vector of ones (V30), which rounds once, as FADD does.

	VEOR  V0.B16, V0.B16, V0.B16
	VEOR  V1.B16, V1.B16, V1.B16
	VEOR  V2.B16, V2.B16, V2.B16
	VEOR  V3.B16, V3.B16, V3.B16
	VEOR  V4.B16, V4.B16, V4.B16
	VEOR  V5.B16, V5.B16, V5.B16
	VEOR  V6.B16, V6.B16, V6.B16
	VEOR  V7.B16, V7.B16, V7.B16
	VEOR  V31.B16, V31.B16, V31.B16
	FMOVS $1.0, F30
	VDUP  V30.S[0], V30.S4
	CBZ   R2, fold

loop:
	LOAD16
	VLD1.P 64(R0), [V24.S4, V25.S4, V26.S4, V27.S4]
#ifdef METRIC_L2
	VFMLS  V16.S4, V28.S4, V24.S4
	VFMLS  V17.S4, V28.S4, V25.S4
	VFMLS  V18.S4, V28.S4, V26.S4
	VFMLS  V19.S4, V28.S4, V27.S4
	VFMLA  V24.S4, V24.S4, V0.S4
	VFMLA  V25.S4, V25.S4, V1.S4
	VFMLA  V26.S4, V26.S4, V2.S4
	VFMLA  V27.S4, V27.S4, V3.S4
#else
	VFMLA  V16.S4, V24.S4, V0.S4
	VFMLA  V17.S4, V25.S4, V1.S4
	VFMLA  V18.S4, V26.S4, V2.S4
	VFMLA  V19.S4, V27.S4, V3.S4
	VFMLA  V16.S4, V16.S4, V4.S4
	VFMLA  V17.S4, V17.S4, V5.S4
	VFMLA  V18.S4, V18.S4, V6.S4
	VFMLA  V19.S4, V19.S4, V7.S4
#endif
	SUB    $1, R2
	CBNZ   R2, loop

fold:
	VFMLA V1.S4, V30.S4, V0.S4
	VFMLA V3.S4, V30.S4, V2.S4
	VFMLA V2.S4, V30.S4, V0.S4
	VFMLA V5.S4, V30.S4, V4.S4
	VFMLA V7.S4, V30.S4, V6.S4
	VFMLA V6.S4, V30.S4, V4.S4
	VMOV  V4.B16, V1.B16
	VST1  [V0.S4, V1.S4], (R3)
