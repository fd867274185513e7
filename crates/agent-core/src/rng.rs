//! Small deterministic random numbers: SplitMix64 and Box-Muller normals,
//! exactly as `shared/bench/SPEC.md` (T5) defines them, so Rust and Python
//! generate the same streams bit for bit. Not for cryptography.

/// SplitMix64 counter-based generator: output `i` depends only on the seed
/// and `i`, which makes streams reproducible across languages.
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    seed: u64,
    counter: u64,
}

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// Output `i` of the SplitMix64 stream with `seed`.
#[inline]
pub fn splitmix64_at(seed: u64, i: u64) -> u64 {
    let mut z = seed.wrapping_add(i.wrapping_add(1).wrapping_mul(GOLDEN));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl SplitMix64 {
    /// A stream starting at output 0.
    pub fn new(seed: u64) -> Self {
        Self { seed, counter: 0 }
    }

    /// The next 64 random bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let v = splitmix64_at(self.seed, self.counter);
        self.counter += 1;
        v
    }

    /// Uniform in `[0, 1)` with 53 bits of precision.
    #[inline]
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform integer in `0..n` (n > 0), by Lemire's multiply-shift.
    #[inline]
    pub fn next_below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// Standard normal from two outputs (Box-Muller, cosine branch), the
    /// SPEC's `n_j`: `u1 = ((o >> 11) + 1) * 2^-53`, `u2 = (o' >> 11) * 2^-53`.
    #[inline]
    pub fn next_normal(&mut self) -> f64 {
        let o1 = self.next_u64();
        let o2 = self.next_u64();
        let scale = 1.0 / (1u64 << 53) as f64;
        let u1 = ((o1 >> 11) + 1) as f64 * scale;
        let u2 = (o2 >> 11) as f64 * scale;
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }

    /// Shuffle a slice in place (Fisher-Yates).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.next_below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_matches_spec_first_outputs() {
        let mut r = SplitMix64::new(0);
        assert_eq!(r.next_u64(), 0xe220a8397b1dcdaf);
        assert_eq!(r.next_u64(), 0x6e789e6aa1b965f4);
        assert_eq!(r.next_u64(), 0x06c45d188009454f);
    }

    #[test]
    fn normals_match_spec_checksums() {
        let mut x = SplitMix64::new(1002);
        assert_eq!(x.next_normal(), -0.27157372149242653);
        let mut theta = SplitMix64::new(1001);
        assert_eq!(theta.next_normal() / 4.0, 0.04796228551850641);
        let mut eps = SplitMix64::new(1003);
        assert_eq!(0.1 * eps.next_normal(), -0.08707809921440615);
    }
}
