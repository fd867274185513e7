//! MacKinnon's approximate distribution of the Dickey-Fuller tau statistic
//! for one series (N = 1): p-values from the 1994 response surfaces and
//! critical values from the 2010 tables, ported from statsmodels'
//! `tsa/adfvalues.py`. Coefficients are scaled at run time exactly as
//! statsmodels scales them (`3.8269 * 1e-2`, not `0.038269`) and polynomials
//! are evaluated in NumPy's `polyval` (Horner) order, so the results agree
//! with statsmodels to the last bit or two.

use crate::adf::AdfRegression;

/// MacKinnon (1994) cut-offs and response-surface coefficients for N = 1.
struct Tau {
    /// Above this, p = 1.
    max: f64,
    /// Below this, p = 0.
    min: f64,
    /// At or below this, the small-p polynomial applies.
    star: f64,
    /// Unscaled small-p coefficients (constant first), scaled by [1, 1, 1e-2].
    smallp: [f64; 3],
    /// Unscaled large-p coefficients (constant first), scaled by [1, 1e-1, 1e-1, 1e-2].
    largep: [f64; 4],
    /// 2010 critical-value coefficients at 1/5/10%: c0 + c1/T + c2/T^2 + c3/T^3.
    crit2010: [[f64; 4]; 3],
}

fn tau(reg: AdfRegression) -> Tau {
    match reg {
        AdfRegression::N => Tau {
            max: f64::INFINITY,
            min: -19.04,
            star: -1.04,
            smallp: [0.6344, 1.2378, 3.2496],
            largep: [0.4797, 9.3557, -0.6999, 3.3066],
            crit2010: [
                [-2.56574, -2.2358, -3.627, 0.0],
                [-1.94100, -0.2686, -3.365, 31.223],
                [-1.61682, 0.2656, -2.714, 25.364],
            ],
        },
        AdfRegression::C => Tau {
            max: 2.74,
            min: -18.83,
            star: -1.61,
            smallp: [2.1659, 1.4412, 3.8269],
            largep: [1.7339, 9.3202, -1.2745, -1.0368],
            crit2010: [
                [-3.43035, -6.5393, -16.786, -79.433],
                [-2.86154, -2.8903, -4.234, -40.040],
                [-2.56677, -1.5384, -2.809, 0.0],
            ],
        },
        AdfRegression::Ct => Tau {
            max: 0.7,
            min: -16.18,
            star: -2.89,
            smallp: [3.2512, 1.6047, 4.9588],
            largep: [2.5261, 6.1654, -3.7956, -6.0285],
            crit2010: [
                [-3.95877, -9.0531, -28.428, -134.155],
                [-3.41049, -4.3904, -9.036, -45.374],
                [-3.12705, -2.5856, -3.925, -22.380],
            ],
        },
        AdfRegression::Ctt => Tau {
            max: 0.54,
            min: -17.17,
            star: -3.21,
            smallp: [4.0003, 1.658, 4.8288],
            largep: [3.0778, 4.9529, -4.1477, -5.9359],
            crit2010: [
                [-4.37113, -11.5882, -35.819, -334.047],
                [-3.83239, -5.9057, -12.490, -118.284],
                [-3.55326, -3.6596, -5.293, -63.559],
            ],
        },
    }
}

/// Horner evaluation of `c[0] + c[1] x + ...` in NumPy `polyval` order.
fn polyval_low_first(c: &[f64], x: f64) -> f64 {
    c.iter().rev().fold(0.0, |y, &ci| y * x + ci)
}

/// The standard normal CDF (SciPy's `norm.cdf`), via the FreeBSD/musl `erfc`
/// of the `libm` crate (error below one ulp; statrs' erfc is off by ~1e-12).
pub fn norm_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}

/// MacKinnon (1994) approximate p-value of an ADF tau statistic (N = 1),
/// statsmodels' `mackinnonp(stat, regression, N=1)`.
pub fn mackinnon_p(stat: f64, regression: AdfRegression) -> f64 {
    let t = tau(regression);
    if stat.is_nan() {
        return f64::NAN;
    }
    if stat > t.max {
        return 1.0;
    }
    if stat < t.min {
        return 0.0;
    }
    let poly = if stat <= t.star {
        let s = [1.0, 1.0, 1e-2];
        let c = [t.smallp[0] * s[0], t.smallp[1] * s[1], t.smallp[2] * s[2]];
        polyval_low_first(&c, stat)
    } else {
        let s = [1.0, 1e-1, 1e-1, 1e-2];
        let c = [
            t.largep[0] * s[0],
            t.largep[1] * s[1],
            t.largep[2] * s[2],
            t.largep[3] * s[3],
        ];
        polyval_low_first(&c, stat)
    };
    norm_cdf(poly)
}

/// MacKinnon (2010) critical values at 1%, 5% and 10% for a regression with
/// `nobs` observations (`None` = asymptotic), statsmodels' `mackinnoncrit`.
pub fn mackinnon_crit(regression: AdfRegression, nobs: Option<usize>) -> [f64; 3] {
    let t = tau(regression);
    let mut out = [0.0; 3];
    for (o, c) in out.iter_mut().zip(t.crit2010.iter()) {
        *o = match nobs {
            None => c[0],
            Some(n) => polyval_low_first(c, 1.0 / n as f64),
        };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use AdfRegression::*;

    #[test]
    fn normal_cdf_matches_scipy() {
        // scipy.stats.norm.cdf (SciPy 1.17).
        for (x, want) in [
            (0.0, 0.5),
            (1.959963984540054, 0.975),
            (-8.0, 6.22096057427174e-16),
            (0.3, 0.6179114221889526),
            (-1.2345, 0.10850832336267019),
        ] {
            let got = norm_cdf(x);
            assert!(
                (got - want).abs() <= 2e-16 * want.max(1e-300) + 1e-17,
                "{x}: {got} vs {want}"
            );
        }
    }

    #[test]
    fn pvalues_match_statsmodels_mackinnonp_in_every_branch() {
        // statsmodels 0.15 `mackinnonp(stat, regression)`.
        let cases = [
            (N, -20.0, 0.0),
            (N, -5.0, 1.0570487880413703e-06),
            (N, -2.5, 0.012004037384041915),
            (N, -1.0, 0.28810611212633064),
            (N, 0.0, 0.6842796360469544),
            (N, 0.5, 0.824879195252956),
            (N, 3.0, 0.9998068584192428),
            (C, -20.0, 0.0),
            (C, -5.0, 2.2193154713956276e-05),
            (C, -2.5, 0.11547432475870761),
            (C, -1.0, 0.7532643012005655),
            (C, 0.0, 0.958532086060056),
            (C, 0.5, 0.9848730963065522),
            (C, 3.0, 1.0),
            (Ct, -5.0, 0.00020574728263882532),
            (Ct, -2.5, 0.32796229628585105),
            (Ct, -1.0, 0.9441147109023218),
            (Ct, 0.5, 0.996851911498776),
            (Ct, 3.0, 1.0),
            (Ctt, -5.0, 0.0010263486522916546),
            (Ctt, -2.5, 0.5693607332536993),
            (Ctt, 0.0, 0.9989573259007248),
            (Ctt, 3.0, 1.0),
        ];
        for (reg, stat, want) in cases {
            let got = mackinnon_p(stat, reg);
            assert!(
                (got - want).abs() <= 1e-14 * want.max(1e-10),
                "{reg:?} {stat}: {got} vs {want}"
            );
        }
    }

    #[test]
    fn critical_values_match_statsmodels_mackinnoncrit_at_493_obs() {
        let cases = [
            (
                N,
                [
                    -2.5702900141946685,
                    -1.9415584119553786,
                    -1.6162922124004795,
                ],
            ),
            (
                C,
                [
                    -3.4436840273842058,
                    -2.8674204319994674,
                    -2.5699020441557052,
                ],
            ),
            (
                Ct,
                [-3.977251369681321, -3.419433033036594, -3.13231096052869],
            ),
            (
                Ctt,
                [-4.394785638081711, -3.844421483474434, -3.560705431673946],
            ),
        ];
        for (reg, want) in cases {
            let got = mackinnon_crit(reg, Some(493));
            for (g, w) in got.iter().zip(want) {
                assert!(
                    (g - w).abs() <= 1e-15 * w.abs(),
                    "{reg:?}: {got:?} vs {want:?}"
                );
            }
        }
        assert_eq!(mackinnon_crit(C, None), [-3.43035, -2.86154, -2.56677]);
    }

    #[test]
    fn spec_t7_polynomials_give_the_documented_branches() {
        // SPEC T7 quotes the scaled constant-only polynomials.
        let s: f64 = -2.0;
        let small = 2.1659 + 1.4412 * s + 0.038269 * s * s;
        assert!((mackinnon_p(s, C) - norm_cdf(small)).abs() < 1e-14);
        let s: f64 = -1.0;
        let large = 1.7339 + 0.93202 * s - 0.12745 * s * s - 0.010368 * s * s * s;
        assert!((mackinnon_p(s, C) - norm_cdf(large)).abs() < 1e-14);
    }
}
