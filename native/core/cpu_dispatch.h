// Runtime selection of a hot loop's instruction set: the addon is built for baseline x86-64 (it
// must load on any x86-64 CPU), and GCC / Clang compile a function marked CAMU_CPU_CLONES once
// per listed target plus the baseline, the loader picking the best one the CPU has (an ifunc).
// The build compiles with -ffp-contract=off, so a clone with FMA available computes bit for bit
// what the baseline does. Elsewhere (other compilers, architectures, non-glibc) it is a no-op.
#pragma once

#if defined(__x86_64__) && defined(__linux__) && defined(__GLIBC__) && (defined(__GNUC__) || defined(__clang__))
#define CAMU_CPU_CLONES(...) __attribute__((target_clones(__VA_ARGS__, "default")))
#else
#define CAMU_CPU_CLONES(...)
#endif
