//! Agreement with the NumPy reference runs in `fixtures/linucb/reference.json`
//! (made by `fixtures/linucb/make_reference.py`): Li et al.'s algorithms
//! written literally with a fresh solve/inverse every step.

use agent_core::SplitMix64;
use linucb::{DisjointLinUcb, HybridLinUcb, linalg};
use serde_json::Value;

fn reference() -> Value {
    let p = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/linucb/reference.json"
    );
    let txt = std::fs::read_to_string(p).expect("committed fixture fixtures/linucb/reference.json");
    serde_json::from_str(&txt).expect("fixture is JSON")
}

fn normals(seed: u64, n: usize) -> Vec<f64> {
    let mut r = SplitMix64::new(seed);
    (0..n).map(|_| r.next_normal()).collect()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn usizes(v: &Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect()
}

fn max_rel_diff(a: &[f64], b: &[f64]) -> f64 {
    let scale = b.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs() / scale)
        .fold(0.0, f64::max)
}

fn run_disjoint(f: &Value, reinvert_every: u64) -> (Vec<usize>, f64, DisjointLinUcb) {
    let (t, d, k) = (
        f["T"].as_u64().unwrap() as usize,
        f["d"].as_u64().unwrap() as usize,
        f["K"].as_u64().unwrap() as usize,
    );
    let theta = normals(2001, k * d)
        .iter()
        .map(|v| v / (d as f64).sqrt())
        .collect::<Vec<_>>();
    let x = normals(2002, t * d);
    let eps: Vec<f64> = normals(2003, t).iter().map(|v| 0.1 * v).collect();
    assert!((x.iter().sum::<f64>() - f["x_sum"].as_f64().unwrap()).abs() < 1e-9);
    assert!((eps.iter().sum::<f64>() - f["eps_sum"].as_f64().unwrap()).abs() < 1e-9);
    let mut m = DisjointLinUcb::new(
        d,
        k,
        f["alpha"].as_f64().unwrap(),
        f["lambda"].as_f64().unwrap(),
        reinvert_every,
    )
    .unwrap();
    let mut choices = Vec::with_capacity(t);
    let mut cum = 0.0;
    for i in 0..t {
        let xi = &x[i * d..(i + 1) * d];
        let (a, _) = m.select(xi).unwrap();
        let r = linalg::dot(xi, &theta[a * d..(a + 1) * d]) + eps[i];
        m.update(xi, a, r).unwrap();
        choices.push(a);
        cum += r;
    }
    (choices, cum, m)
}

#[test]
fn disjoint_sherman_morrison_reproduces_numpy_solve_decisions_and_matrices() {
    let all = reference();
    let f = &all["disjoint"];
    let want = usizes(&f["choices"]);
    for reinvert_every in [256, 0, 1] {
        let (choices, cum, m) = run_disjoint(f, reinvert_every);
        let first_diff = choices.iter().zip(&want).position(|(a, b)| a != b);
        assert_eq!(first_diff, None, "reinvert_every {reinvert_every}");
        assert!((cum - f["cum_reward"].as_f64().unwrap()).abs() < 1e-9);
        assert!(max_rel_diff(m.a_inv_all(), &floats(&f["A_inv"])) < 1e-10);
        assert!(max_rel_diff(m.theta_all(), &floats(&f["theta"])) < 1e-9);
        let counts: Vec<u64> = usizes(&f["counts"]).iter().map(|&c| c as u64).collect();
        assert_eq!(m.counts(), counts.as_slice());
    }
}

#[test]
fn hybrid_reproduces_numpy_algorithm_2_decisions_and_shared_coefficients() {
    let all = reference();
    let f = &all["hybrid"];
    let (t, d, k) = (
        f["T"].as_u64().unwrap() as usize,
        f["d"].as_u64().unwrap() as usize,
        f["K"].as_u64().unwrap() as usize,
    );
    let phi: Vec<Vec<f64>> = f["arm_attributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(floats)
        .collect();
    let m_attr = phi[0].len();
    let kz = m_attr * d;
    let beta_true: Vec<f64> = normals(3001, kz)
        .iter()
        .map(|v| v / (kz as f64).sqrt())
        .collect();
    let theta_true: Vec<f64> = normals(3004, k * d)
        .iter()
        .map(|v| 0.5 * v / (d as f64).sqrt())
        .collect();
    let x = normals(3002, t * d);
    let eps: Vec<f64> = normals(3003, t).iter().map(|v| 0.1 * v).collect();
    assert!((x.iter().sum::<f64>() - f["x_sum"].as_f64().unwrap()).abs() < 1e-9);
    let mut m = HybridLinUcb::new(
        d,
        k,
        Some(&phi),
        f["alpha"].as_f64().unwrap(),
        f["lambda"].as_f64().unwrap(),
        256,
    )
    .unwrap();
    let want = usizes(&f["choices"]);
    let mut cum = 0.0;
    for i in 0..t {
        let xi = &x[i * d..(i + 1) * d];
        let (a, _) = m.select(xi).unwrap();
        assert_eq!(a, want[i], "decision {i}");
        let z: Vec<f64> = phi[a]
            .iter()
            .flat_map(|p| xi.iter().map(move |v| p * v))
            .collect();
        let r =
            linalg::dot(&z, &beta_true) + linalg::dot(xi, &theta_true[a * d..(a + 1) * d]) + eps[i];
        m.update(xi, a, r).unwrap();
        cum += r;
    }
    assert!((cum - f["cum_reward"].as_f64().unwrap()).abs() < 1e-9);
    assert!(max_rel_diff(m.beta(), &floats(&f["beta"])) < 1e-8);
    assert!(max_rel_diff(m.a0(), &floats(&f["A0"])) < 1e-9);
    let mut theta = vec![0.0; k * d];
    for a in 0..k {
        m.theta_into(a, &mut theta[a * d..(a + 1) * d]);
    }
    assert!(max_rel_diff(&theta, &floats(&f["theta"])) < 1e-8);
}
