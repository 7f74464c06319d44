#include "textflag.h"

// The tile instructions are written as bytes: Go's assembler does not know
// them. Each line's comment gives the instruction (GNU syntax, operands
// source first); the encodings are the assembler's (binutils `as`) for
// exactly these registers, so a change of register means new bytes.

// func amxDotsAsm(cfg *byte, ah, al unsafe.Pointer, ars int, bh, bl unsafe.Pointer, bstride, ksteps, nqb int, c unsafe.Pointer, acc int)
//
// For each of nqb blocks of 16 queries, the 32 x 16 float32 block
//   C (+)= Ah·Bh + Ah·Bl + Al·Bh
// over ksteps steps of 32 bfloat16 elements (added to C's values when acc
// is not 0, else from zero): Ah and Al are 32 rows of bfloat16 (high and
// low parts) at row stride ars bytes, step s at byte 64s of each row; a
// query block's B tiles (high from bh, low from bl) are ksteps consecutive
// 1 KiB tiles of 16 element pairs x 16 queries, block qb's bstride bytes
// after block qb-1's. C's block qb is 2 KiB at c + 2048 qb: rows 0-15 of
// 64 bytes, then rows 16-31. The tiles are configured from cfg (64 bytes:
// palette 1, 8 tiles of 16 rows x 64 bytes) and released before
// returning.
TEXT ·amxDotsAsm(SB), NOSPLIT, $0-88
	MOVQ cfg+0(FP), DI
	BYTE $0xc4; BYTE $0xe2; BYTE $0x78; BYTE $0x49; BYTE $0x07 // ldtilecfg (%rdi)
	MOVQ ars+24(FP), DX
	MOVQ c+72(FP), R11
	MOVQ nqb+64(FP), R13
	MOVQ $64, CX

qloop:
	LEAQ 1024(R11), R12
	CMPQ acc+80(FP), $0
	JEQ  zero
	BYTE $0xc4; BYTE $0xc2; BYTE $0x7b; BYTE $0x4b; BYTE $0x04; BYTE $0x0b // tileloadd (%r11,%rcx,1),%tmm0
	BYTE $0xc4; BYTE $0xc2; BYTE $0x7b; BYTE $0x4b; BYTE $0x0c; BYTE $0x0c // tileloadd (%r12,%rcx,1),%tmm1
	JMP  ready

zero:
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x49; BYTE $0xc0 // tilezero %tmm0
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x49; BYTE $0xc8 // tilezero %tmm1

ready:
	MOVQ ah+8(FP), SI
	MOVQ al+16(FP), DI
	MOVQ DX, AX
	SHLQ $4, AX
	LEAQ (SI)(AX*1), R8
	LEAQ (DI)(AX*1), R9
	MOVQ bh+32(FP), BX
	MOVQ bl+40(FP), R10
	MOVQ ksteps+56(FP), AX

kloop:
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x4b; BYTE $0x14; BYTE $0x16 // tileloadd (%rsi,%rdx,1),%tmm2
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x4b; BYTE $0x34; BYTE $0x0b // tileloadd (%rbx,%rcx,1),%tmm6
	BYTE $0xc4; BYTE $0xc2; BYTE $0x7b; BYTE $0x4b; BYTE $0x1c; BYTE $0x10 // tileloadd (%r8,%rdx,1),%tmm3
	BYTE $0xc4; BYTE $0xe2; BYTE $0x4a; BYTE $0x5c; BYTE $0xc2 // tdpbf16ps %tmm6,%tmm2,%tmm0
	BYTE $0xc4; BYTE $0xc2; BYTE $0x7b; BYTE $0x4b; BYTE $0x3c; BYTE $0x0a // tileloadd (%r10,%rcx,1),%tmm7
	BYTE $0xc4; BYTE $0xe2; BYTE $0x4a; BYTE $0x5c; BYTE $0xcb // tdpbf16ps %tmm6,%tmm3,%tmm1
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x4b; BYTE $0x24; BYTE $0x17 // tileloadd (%rdi,%rdx,1),%tmm4
	BYTE $0xc4; BYTE $0xe2; BYTE $0x42; BYTE $0x5c; BYTE $0xc2 // tdpbf16ps %tmm7,%tmm2,%tmm0
	BYTE $0xc4; BYTE $0xc2; BYTE $0x7b; BYTE $0x4b; BYTE $0x2c; BYTE $0x11 // tileloadd (%r9,%rdx,1),%tmm5
	BYTE $0xc4; BYTE $0xe2; BYTE $0x42; BYTE $0x5c; BYTE $0xcb // tdpbf16ps %tmm7,%tmm3,%tmm1
	BYTE $0xc4; BYTE $0xe2; BYTE $0x4a; BYTE $0x5c; BYTE $0xc4 // tdpbf16ps %tmm6,%tmm4,%tmm0
	BYTE $0xc4; BYTE $0xe2; BYTE $0x4a; BYTE $0x5c; BYTE $0xcd // tdpbf16ps %tmm6,%tmm5,%tmm1
	ADDQ $64, SI
	ADDQ $64, DI
	ADDQ $64, R8
	ADDQ $64, R9
	ADDQ $1024, BX
	ADDQ $1024, R10
	DECQ AX
	JNZ  kloop

	BYTE $0xc4; BYTE $0xc2; BYTE $0x7a; BYTE $0x4b; BYTE $0x04; BYTE $0x0b // tilestored %tmm0,(%r11,%rcx,1)
	BYTE $0xc4; BYTE $0xc2; BYTE $0x7a; BYTE $0x4b; BYTE $0x0c; BYTE $0x0c // tilestored %tmm1,(%r12,%rcx,1)
	ADDQ $2048, R11
	MOVQ bstride+48(FP), AX
	ADDQ AX, bh+32(FP)
	ADDQ AX, bl+40(FP)
	DECQ R13
	JNZ  qloop

	BYTE $0xc4; BYTE $0xe2; BYTE $0x78; BYTE $0x49; BYTE $0xc0 // tilerelease
	RET

// func amxHitsAsm(c, f, bias, gr, l, eq unsafe.Pointer, nqb int, masks unsafe.Pointer) int
//
// Scales and screens amxDotsAsm's output: for each query block qb and row
// r (0-31), the 16 values v = c[qb][r][:]·f[r] + bias[r] (one fused
// multiply-add) are written back to c, and masks[32 qb + r] gets bit n
// set when v[n] >= l[q] - eq[q]·gr[r] (another), q = 16 qb + n; never for
// NaN. Returns the number of nonzero masks.
TEXT ·amxHitsAsm(SB), NOSPLIT, $0-72
	MOVQ c+0(FP), SI
	MOVQ l+32(FP), BX
	MOVQ eq+40(FP), R11
	MOVQ nqb+48(FP), CX
	MOVQ masks+56(FP), DI
	XORQ R8, R8

hqb:
	VMOVUPS (BX), Z2
	VMOVUPS (R11), Z3
	MOVQ    f+8(FP), DX
	MOVQ    bias+16(FP), R13
	MOVQ    gr+24(FP), R12
	XORQ    AX, AX

hrow:
	VMOVUPS      (SI), Z0
	VBROADCASTSS (DX)(AX*4), Z1
	VBROADCASTSS (R13)(AX*4), Z7
	VFMADD213PS  Z7, Z1, Z0
	VMOVUPS      Z0, (SI)
	VBROADCASTSS (R12)(AX*4), Z6
	VMOVAPS      Z2, Z5
	VFNMADD231PS Z6, Z3, Z5
	VCMPPS       $0x1d, Z5, Z0, K1
	KMOVW        K1, R9
	MOVW         R9, (DI)
	TESTQ        R9, R9
	SETNE        R10
	MOVBQZX      R10, R10
	ADDQ         R10, R8
	ADDQ         $64, SI
	ADDQ         $2, DI
	INCQ         AX
	CMPQ         AX, $32
	JNE          hrow

	ADDQ $64, BX
	ADDQ $64, R11
	DECQ CX
	JNZ  hqb

	VZEROUPPER
	MOVQ R8, ret+64(FP)
	RET

// func splitBF16AVX512(hi, lo *uint16, x *float32, n int) float32
//
// For n elements of x (n a multiple of 16): hi gets each value's nearest
// bfloat16 (ties to even) and lo the nearest bfloat16 of the rest, x - hi,
// as splitBF16 (the values are finite). Returns the float32 sum of the
// squares of the n values (in its own order: not sumSquares32's).
TEXT ·splitBF16AVX512(SB), NOSPLIT, $0-36
	MOVQ hi+0(FP), DI
	MOVQ lo+8(FP), SI
	MOVQ x+16(FP), DX
	MOVQ n+24(FP), CX
	MOVL $0x7fff, AX
	VPBROADCASTD AX, Z30
	MOVL $1, AX
	VPBROADCASTD AX, Z31
	VXORPS Z6, Z6, Z6

ssloop:
	VMOVUPS     (DX), Z0
	VFMADD231PS Z0, Z0, Z6
	VPSRLD      $16, Z0, Z2
	VPANDD      Z31, Z2, Z2
	VPADDD      Z30, Z0, Z1
	VPADDD      Z2, Z1, Z1
	VPSRLD      $16, Z1, Z1
	VPSLLD      $16, Z1, Z3
	VSUBPS      Z3, Z0, Z4
	VPSRLD      $16, Z4, Z5
	VPANDD      Z31, Z5, Z5
	VPADDD      Z30, Z4, Z4
	VPADDD      Z5, Z4, Z4
	VPSRLD      $16, Z4, Z4
	VPMOVDW     Z1, (DI)
	VPMOVDW     Z4, (SI)
	ADDQ        $64, DX
	ADDQ        $32, DI
	ADDQ        $32, SI
	SUBQ        $16, CX
	JNZ         ssloop

	VEXTRACTF64X4 $1, Z6, Y7
	VADDPS        Y7, Y6, Y6
	VEXTRACTF128  $1, Y6, X7
	VADDPS        X7, X6, X6
	VPERMILPS     $0x4e, X6, X7
	VADDPS        X7, X6, X6
	VPERMILPS     $0xb1, X6, X7
	VADDSS        X7, X6, X6
	VZEROUPPER
	MOVSS         X6, ret+32(FP)
	RET

