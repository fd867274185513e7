//! Backend choice at the edge: a [`Backend`] names where burn runs the PPO
//! update when the burn engine is selected; everything else takes a
//! [`Device`]. Only `Flex` (pure Rust, CPU) is compiled by default; the other
//! variants exist when their cargo feature is on (`ndarray`, `tch`, `cuda`,
//! `rocm`, `wgpu`). `cuda` and `rocm` download LLVM while building
//! (tracel-llvm-bundler), so they build only on machines with network access.

use crate::error::{PpoError, Result};
use burn::tensor::Device;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A burn backend compiled into this build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// burn-flex: pure-Rust CPU backend (default).
    #[default]
    Flex,
    /// burn-ndarray (deprecated upstream, CPU).
    #[cfg(feature = "ndarray")]
    Ndarray,
    /// libtorch on the CPU (deprecated upstream).
    #[cfg(feature = "tch")]
    Tch,
    /// libtorch on GPU `index`: a CUDA build of libtorch, or a ROCm build,
    /// which PyTorch exposes through the same `cuda` device API.
    #[cfg(feature = "tch")]
    TchCuda(usize),
    /// CUDA GPU with this index.
    #[cfg(feature = "cuda")]
    Cuda(usize),
    /// ROCm/HIP GPU with this index (the original suite's RX 7900 XTX).
    #[cfg(feature = "rocm")]
    Rocm(usize),
    /// WGPU's best available adapter.
    #[cfg(feature = "wgpu")]
    Wgpu,
}

impl Backend {
    /// The burn device of this backend (without autodiff).
    #[allow(deprecated)] // ndarray and tch are deprecated upstream but still offered
    pub fn device(self) -> Device {
        match self {
            Backend::Flex => Device::flex(),
            #[cfg(feature = "ndarray")]
            Backend::Ndarray => Device::ndarray(),
            #[cfg(feature = "tch")]
            Backend::Tch => Device::libtorch(),
            #[cfg(feature = "tch")]
            Backend::TchCuda(i) => Device::libtorch_cuda(i),
            #[cfg(feature = "cuda")]
            Backend::Cuda(i) => Device::cuda(i),
            #[cfg(feature = "rocm")]
            Backend::Rocm(i) => Device::rocm(i),
            #[cfg(feature = "wgpu")]
            Backend::Wgpu => Device::wgpu(burn::tensor::DeviceKind::DefaultDevice),
        }
    }

    /// True for backends that compute on the CPU (`flex`, `ndarray`, `tch`):
    /// every build can run them, so the equivalence tests always do.
    pub fn is_cpu(self) -> bool {
        match self {
            Backend::Flex => true,
            #[cfg(feature = "ndarray")]
            Backend::Ndarray => true,
            #[cfg(feature = "tch")]
            Backend::Tch => true,
            #[allow(unreachable_patterns)]
            _ => false,
        }
    }

    /// The backends the equivalence tests run on: every CPU backend of this
    /// build, then the accelerators listed (comma-separated backend names)
    /// in `COINTRAINER_TEST_BACKENDS`, e.g. `tch-cuda:0` on a GPU machine.
    /// A name this build cannot parse is an error, not a skip.
    pub fn under_test() -> Result<Vec<Backend>> {
        let mut v: Vec<Backend> = Self::available()
            .into_iter()
            .filter(|b| b.is_cpu())
            .collect();
        if let Ok(list) = std::env::var("COINTRAINER_TEST_BACKENDS") {
            for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                let b: Backend = name.parse()?;
                if !v.contains(&b) {
                    v.push(b);
                }
            }
        }
        Ok(v)
    }

    /// The backends compiled into this build, default first.
    pub fn available() -> Vec<Backend> {
        #[allow(unused_mut)]
        let mut v = vec![Backend::Flex];
        #[cfg(feature = "ndarray")]
        v.push(Backend::Ndarray);
        #[cfg(feature = "tch")]
        v.extend([Backend::Tch, Backend::TchCuda(0)]);
        #[cfg(feature = "cuda")]
        v.push(Backend::Cuda(0));
        #[cfg(feature = "rocm")]
        v.push(Backend::Rocm(0));
        #[cfg(feature = "wgpu")]
        v.push(Backend::Wgpu);
        v
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Backend::Flex => write!(f, "flex"),
            #[cfg(feature = "ndarray")]
            Backend::Ndarray => write!(f, "ndarray"),
            #[cfg(feature = "tch")]
            Backend::Tch => write!(f, "tch"),
            #[cfg(feature = "tch")]
            Backend::TchCuda(i) => write!(f, "tch-cuda:{i}"),
            #[cfg(feature = "cuda")]
            Backend::Cuda(i) => write!(f, "cuda:{i}"),
            #[cfg(feature = "rocm")]
            Backend::Rocm(i) => write!(f, "rocm:{i}"),
            #[cfg(feature = "wgpu")]
            Backend::Wgpu => write!(f, "wgpu"),
        }
    }
}

impl FromStr for Backend {
    type Err = PpoError;

    /// Parse `flex`, `ndarray`, `tch`, `cuda[:i]`, `rocm[:i]` or `wgpu`; a
    /// backend whose feature is off is an error that names the feature.
    fn from_str(s: &str) -> Result<Self> {
        let lower = s.trim().to_ascii_lowercase();
        let (name, index) = match lower.split_once(':') {
            Some((n, i)) => {
                let i: usize = i.parse().map_err(|_| {
                    PpoError::invalid_param("backend", s, "device index must be an integer")
                })?;
                (n.to_string(), Some(i))
            }
            None => (lower.clone(), None),
        };
        let _ = index;
        match name.as_str() {
            "flex" | "cpu-flex" => Ok(Backend::Flex),
            #[cfg(feature = "ndarray")]
            "ndarray" => Ok(Backend::Ndarray),
            #[cfg(feature = "tch")]
            "tch" | "libtorch" => Ok(Backend::Tch),
            #[cfg(feature = "tch")]
            "tch-cuda" | "libtorch-cuda" => Ok(Backend::TchCuda(index.unwrap_or(0))),
            #[cfg(feature = "cuda")]
            "cuda" => Ok(Backend::Cuda(index.unwrap_or(0))),
            #[cfg(feature = "rocm")]
            "rocm" | "hip" => Ok(Backend::Rocm(index.unwrap_or(0))),
            #[cfg(feature = "wgpu")]
            "wgpu" => Ok(Backend::Wgpu),
            // A known name whose feature is off (the arms above took the rest).
            other
                if [
                    "ndarray",
                    "tch",
                    "libtorch",
                    "tch-cuda",
                    "libtorch-cuda",
                    "cuda",
                    "rocm",
                    "hip",
                    "wgpu",
                ]
                .contains(&other) =>
            {
                Err(PpoError::invalid_param(
                    "backend",
                    s,
                    "this build lacks that backend: rebuild cointrainer-ppo with the cargo feature of the same name",
                ))
            }
            _ => Err(PpoError::invalid_param(
                "backend",
                s,
                "expected one of flex, ndarray, tch, tch-cuda[:i], cuda[:i], rocm[:i], wgpu",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_parses_flex_and_rejects_unknown_names() {
        assert_eq!("flex".parse::<Backend>().unwrap(), Backend::Flex);
        assert_eq!(Backend::Flex.to_string(), "flex");
        let err = "tpu".parse::<Backend>().unwrap_err().to_string();
        assert!(err.contains("tpu"), "{err}");
        assert!(Backend::available().contains(&Backend::Flex));
    }

    #[cfg(not(feature = "cuda"))]
    #[test]
    fn backend_without_its_feature_names_the_feature() {
        let err = "cuda:1".parse::<Backend>().unwrap_err().to_string();
        assert!(err.contains("cargo feature"), "{err}");
    }
}
