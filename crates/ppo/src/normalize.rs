//! Running observation normalisation, as stable-baselines3's `VecNormalize`
//! (`norm_obs=True`): running mean and variance updated with every batch of
//! observations while training, `clip((obs - mean) / sqrt(var + 1e-8), +-clip)`.
//! The statistics are saved with the model and frozen at inference.

use serde::{Deserialize, Serialize};

/// SB3's `RunningMeanStd` (parallel-variance update, initial count 1e-4).
/// In JSON the statistics are decimal strings, which read back bit for bit
/// (JSON numbers may lose the last bit in parsers).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObsNormalizer {
    #[serde(with = "exact_vec")]
    pub mean: Vec<f64>,
    #[serde(with = "exact_vec")]
    pub var: Vec<f64>,
    #[serde(with = "exact")]
    pub count: f64,
    pub clip_obs: f64,
    pub epsilon: f64,
}

mod exact {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{x:?}"))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        let t = String::deserialize(d)?;
        t.parse()
            .map_err(|_| serde::de::Error::custom(format!("`{t}` is not a number")))
    }
}

mod exact_vec {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[f64], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|x| format!("{x:?}")))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
        Vec::<String>::deserialize(d)?
            .into_iter()
            .map(|t| {
                t.parse()
                    .map_err(|_| serde::de::Error::custom(format!("`{t}` is not a number")))
            })
            .collect()
    }
}

impl ObsNormalizer {
    pub fn new(dim: usize, clip_obs: f64) -> Self {
        Self {
            mean: vec![0.0; dim],
            var: vec![1.0; dim],
            count: 1e-4,
            clip_obs,
            epsilon: 1e-8,
        }
    }

    pub fn dim(&self) -> usize {
        self.mean.len()
    }

    /// Fold a batch (`rows x dim`, row-major) into the statistics.
    pub fn update(&mut self, batch: &[f32]) {
        let d = self.dim();
        if d == 0 || batch.len() < d {
            return;
        }
        let n = (batch.len() / d) as f64;
        let mut bm = vec![0.0; d];
        for row in batch.chunks_exact(d) {
            for (m, &x) in bm.iter_mut().zip(row) {
                *m += x as f64;
            }
        }
        bm.iter_mut().for_each(|m| *m /= n);
        let mut bv = vec![0.0; d];
        for row in batch.chunks_exact(d) {
            for j in 0..d {
                bv[j] += (row[j] as f64 - bm[j]).powi(2);
            }
        }
        bv.iter_mut().for_each(|v| *v /= n);
        let tot = self.count + n;
        for j in 0..d {
            let delta = bm[j] - self.mean[j];
            let m_a = self.var[j] * self.count;
            let m_b = bv[j] * n;
            let m2 = m_a + m_b + delta * delta * self.count * n / tot;
            self.mean[j] += delta * n / tot;
            self.var[j] = m2 / tot;
        }
        self.count = tot;
    }

    /// Normalise `obs` (any number of rows) in place.
    pub fn normalize(&self, obs: &mut [f32]) {
        let d = self.dim();
        if d == 0 {
            return;
        }
        for row in obs.chunks_exact_mut(d) {
            for ((x, m), v) in row.iter_mut().zip(&self.mean).zip(&self.var) {
                let z = (*x as f64 - m) / (v + self.epsilon).sqrt();
                *x = z.clamp(-self.clip_obs, self.clip_obs) as f32;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn running_stats_converge_to_batch_moments_and_clip() {
        let mut n = ObsNormalizer::new(2, 5.0);
        n.update(&[1.0, 10.0, 3.0, 10.0]);
        n.update(&[5.0, 10.0]);
        // mean of 1, 3, 5 = 3 (the 1e-4 prior count barely matters)
        assert!((n.mean[0] - 3.0).abs() < 1e-3);
        assert!((n.var[0] - 8.0 / 3.0).abs() < 1e-2);
        assert!((n.mean[1] - 10.0).abs() < 1e-3);
        let mut o = [3.0f32, 1000.0];
        n.normalize(&mut o);
        assert!(o[0].abs() < 1e-3);
        assert_eq!(o[1], 5.0);
        let j = serde_json::to_string(&n).unwrap();
        assert_eq!(serde_json::from_str::<ObsNormalizer>(&j).unwrap(), n);
    }
}
