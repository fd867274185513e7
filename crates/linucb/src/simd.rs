//! Run-time CPU feature detection for the hot loops. The kernels are the
//! same Rust code compiled twice (baseline and AVX2, never FMA), so both
//! paths give bit-identical results; AVX2 only makes them faster.

/// Whether the AVX2 build of the kernels may run on this CPU.
#[cfg(target_arch = "x86_64")]
#[inline]
pub(crate) fn avx2() -> bool {
    // The standard library caches the CPUID answer in an atomic.
    std::arch::is_x86_feature_detected!("avx2")
}
