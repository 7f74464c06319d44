// Package cpufeat reports the SIMD instruction sets of the machine the
// program runs on, for the kernels of package cpu to pick between assembly
// and portable Go.
//
// # Detection
//
// On amd64 the answers come from the CPUID instruction and, for the AVX
// family, from XGETBV: an instruction set counts only when the processor
// has it and the operating system saves its registers (XCR0 bits 1 and 2
// for the 256-bit YMM state, and bits 5 to 7 for AVX-512's opmask and ZMM
// state). The assembly is in cpuid_amd64.s. Other
// architectures report nothing, so their callers use portable code, except
// arm64, where Advanced SIMD (NEON) is part of the base architecture.
//
// # Overriding
//
// Setting the environment variable SILICA_CPU_SIMD=off before the program
// starts reports every feature as absent, so the portable kernels run; it
// is meant for measuring them and for tracking down a suspected assembly
// bug. Any other value (or none) detects normally.
package cpufeat
