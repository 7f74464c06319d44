// fiber_switch.h: the context switch of the CPU harnesses' fibers, shared
// by this package's runtime (runtime.cpp) and the CUDA emulator of the
// cuda package's tests (cuda/testdata/emu/cuda_emu.h, whose tests copy
// this file beside it).
//
// sil_fiber_switch(save, to) saves the callee-saved registers (and, on
// x86-64, the SSE and x87 control words) on the current stack, stores the
// stack pointer in *save and resumes the stack to, saved by an earlier
// switch or laid out by sil_fiber_prepare(top, fn, arg), whose first
// resume calls fn(arg) on a 16-byte aligned stack below top (fn must not
// return). SIL_FIBER_ASM is 1 on x86-64, 2 on arm64 with clang, and not
// defined elsewhere or with SIL_FIBER_UCONTEXT: the includer then uses
// ucontext.
#pragma once
#include <cstdint>
#include <cstring>

#if defined(__x86_64__) && !defined(SIL_FIBER_UCONTEXT)
#define SIL_FIBER_ASM 1
#elif defined(__aarch64__) && defined(__clang__) && !defined(SIL_FIBER_UCONTEXT)
#define SIL_FIBER_ASM 2
#endif

#if SIL_FIBER_ASM == 1
static __attribute__((naked, noinline)) void sil_fiber_switch(void** save, void* to) {
	__asm__("pushq %rbp\n\t"
	        "pushq %rbx\n\t"
	        "pushq %r12\n\t"
	        "pushq %r13\n\t"
	        "pushq %r14\n\t"
	        "pushq %r15\n\t"
	        "subq $8, %rsp\n\t"
	        "stmxcsr (%rsp)\n\t"
	        "fnstcw 4(%rsp)\n\t"
	        "movq %rsp, (%rdi)\n\t"
	        "movq %rsi, %rsp\n\t"
	        "ldmxcsr (%rsp)\n\t"
	        "fldcw 4(%rsp)\n\t"
	        "addq $8, %rsp\n\t"
	        "popq %r15\n\t"
	        "popq %r14\n\t"
	        "popq %r13\n\t"
	        "popq %r12\n\t"
	        "popq %rbx\n\t"
	        "popq %rbp\n\t"
	        "ret\n\t");
}
// A new fiber's first switch returns here: it calls r13(r12) on an
// aligned stack.
static __attribute__((naked, noinline)) void sil_fiber_trampoline() {
	__asm__("movq %r12, %rdi\n\t"
	        "callq *%r13\n\t"
	        "ud2\n\t");
}
static inline void* sil_fiber_prepare(char* top, void (*fn)(void*), void* arg) {
	uint64_t* s = (uint64_t*)(((uintptr_t)top & ~(uintptr_t)15) - 16 - 64);
	s[0] = 0x1F80 | ((uint64_t)0x037F << 32); // mxcsr, x87 control word
	s[1] = s[2] = s[5] = s[6] = 0;             // r15, r14, rbx, rbp
	s[3] = (uint64_t)(void*)fn;                // r13: function
	s[4] = (uint64_t)arg;                      // r12: argument
	s[7] = (uint64_t)(void*)&sil_fiber_trampoline; // return address
	return s;
}
#elif SIL_FIBER_ASM == 2
// AAPCS64: x19-x30 and d8-d15 are the callee's to keep (x18, the platform
// register, is left alone).
static __attribute__((naked, noinline)) void sil_fiber_switch(void** save, void* to) {
	__asm__("sub sp, sp, #160\n\t"
	        "stp x19, x20, [sp, #0]\n\t"
	        "stp x21, x22, [sp, #16]\n\t"
	        "stp x23, x24, [sp, #32]\n\t"
	        "stp x25, x26, [sp, #48]\n\t"
	        "stp x27, x28, [sp, #64]\n\t"
	        "stp x29, x30, [sp, #80]\n\t"
	        "stp d8, d9, [sp, #96]\n\t"
	        "stp d10, d11, [sp, #112]\n\t"
	        "stp d12, d13, [sp, #128]\n\t"
	        "stp d14, d15, [sp, #144]\n\t"
	        "mov x9, sp\n\t"
	        "str x9, [x0]\n\t"
	        "mov sp, x1\n\t"
	        "ldp x19, x20, [sp, #0]\n\t"
	        "ldp x21, x22, [sp, #16]\n\t"
	        "ldp x23, x24, [sp, #32]\n\t"
	        "ldp x25, x26, [sp, #48]\n\t"
	        "ldp x27, x28, [sp, #64]\n\t"
	        "ldp x29, x30, [sp, #80]\n\t"
	        "ldp d8, d9, [sp, #96]\n\t"
	        "ldp d10, d11, [sp, #112]\n\t"
	        "ldp d12, d13, [sp, #128]\n\t"
	        "ldp d14, d15, [sp, #144]\n\t"
	        "add sp, sp, #160\n\t"
	        "ret\n\t");
}
// A new fiber's first switch returns here: it calls x20(x19).
static __attribute__((naked, noinline)) void sil_fiber_trampoline() {
	__asm__("mov x0, x19\n\t"
	        "blr x20\n\t"
	        "brk #0\n\t");
}
static inline void* sil_fiber_prepare(char* top, void (*fn)(void*), void* arg) {
	uint64_t* s = (uint64_t*)(((uintptr_t)top & ~(uintptr_t)15) - 160);
	memset(s, 0, 160);
	s[0] = (uint64_t)arg;                          // x19: argument
	s[1] = (uint64_t)(void*)fn;                    // x20: function
	s[11] = (uint64_t)(void*)&sil_fiber_trampoline; // x30: return address
	return s;
}
#endif
