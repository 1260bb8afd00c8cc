// Compiles the kernel body named by NNC_VARIANT_BODY (a quoted header defining FN(...) functions of
// NNC_ISA) once per instruction set: the compiler's baseline ("portable"), and on x86-64 AVX2 with
// FMA and AVX-512 (F, VL, BW, DQ) through target attributes, since Swift cannot compile one
// function for several instruction sets; the caller picks one at run time (NNC_VARIANT_CALL).
// Define NNC_VARIANT_NO_AVX512 before including to build the first two only. Not a public header,
// and without an include guard: each kernel file includes it once for its body.

#define NNC_ISA portable
#include NNC_VARIANT_BODY
#undef NNC_ISA

#if defined(__x86_64__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#define NNC_ISA avx2
#include NNC_VARIANT_BODY
#undef NNC_ISA
#pragma clang attribute pop

#ifndef NNC_VARIANT_NO_AVX512
#pragma clang attribute push(__attribute__((target("avx2,fma,avx512f,avx512vl,avx512bw,avx512dq"))), \
                             apply_to = function)
#define NNC_ISA avx512
#include NNC_VARIANT_BODY
#undef NNC_ISA
#pragma clang attribute pop
#endif
#endif

// Calls the variant of `kernel` (its name without the _isa suffix) that `isa` names
// (NNC_DEPTHWISE_PORTABLE, _AVX2 or _AVX512 of depthwise.h).
#ifndef NNC_VARIANT_CALL
#if defined(__x86_64__) && !defined(NNC_VARIANT_NO_AVX512)
#define NNC_VARIANT_CALL(isa, kernel, ...)                                                               \
  do {                                                                                                 \
    if ((isa) == NNC_DEPTHWISE_AVX512) kernel##_avx512(__VA_ARGS__);                                   \
    else if ((isa) == NNC_DEPTHWISE_AVX2) kernel##_avx2(__VA_ARGS__);                                  \
    else kernel##_portable(__VA_ARGS__);                                                               \
  } while (0)
#elif defined(__x86_64__)
#define NNC_VARIANT_CALL(isa, kernel, ...)                                                               \
  do {                                                                                                 \
    if ((isa) != NNC_DEPTHWISE_PORTABLE) kernel##_avx2(__VA_ARGS__);                                   \
    else kernel##_portable(__VA_ARGS__);                                                               \
  } while (0)
#else
#define NNC_VARIANT_CALL(isa, kernel, ...) kernel##_portable(__VA_ARGS__)
#endif
#endif

#undef NNC_VARIANT_BODY
#undef NNC_VARIANT_NO_AVX512
