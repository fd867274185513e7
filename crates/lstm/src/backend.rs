//! Where the burn path runs: a [`Backend`] names a burn device, and only this
//! module knows which Cargo feature provides which.
//!
//! | variant | feature | notes |
//! |---|---|---|
//! | `Flex` | always | pure-Rust CPU backend (default) |
//! | `Ndarray` | `ndarray` | pure-Rust CPU, deprecated by burn; slower than flex here |
//! | `Tch` / `TchCuda(i)` | `tch` | libtorch; CPU, or a CUDA/ROCm build of libtorch |
//! | `Cuda(i)` | `cuda` | native CubeCL CUDA |
//! | `Rocm(i)` | `rocm` | native CubeCL HIP/ROCm |
//! | `Wgpu` | `wgpu` | Vulkan/Metal/DX12 through wgpu |
//!
//! On the CPU backends (`Flex`, `Ndarray`) the default [`crate::Engine::Auto`]
//! trains and predicts with the crate's native kernels instead of burn's
//! autodiff graph (same model, same numbers to float rounding, several times
//! faster at these sizes); GPU backends run the burn module.

use burn::tensor::Device;

/// A burn device choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Backend {
    /// burn's pure-Rust CPU backend.
    #[default]
    Flex,
    /// burn-ndarray (CPU).
    #[cfg(feature = "ndarray")]
    Ndarray,
    /// libtorch on the CPU.
    #[cfg(feature = "tch")]
    Tch,
    /// libtorch on GPU `index` (CUDA, or ROCm with a ROCm build of libtorch,
    /// which PyTorch exposes through the same `cuda` device API).
    #[cfg(feature = "tch")]
    TchCuda(usize),
    /// CubeCL CUDA, GPU `index`.
    #[cfg(feature = "cuda")]
    Cuda(usize),
    /// CubeCL ROCm/HIP, GPU `index`.
    #[cfg(feature = "rocm")]
    Rocm(usize),
    /// wgpu, the best available adapter.
    #[cfg(feature = "wgpu")]
    Wgpu,
}

impl Backend {
    /// The burn device (without autodiff).
    #[allow(deprecated)] // ndarray and tch are deprecated in burn 0.22 but still supported.
    pub fn device(&self) -> Device {
        match *self {
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

    /// True for backends that compute on the CPU with burn's pure-Rust
    /// kernels, where the native engine is used by default.
    pub fn is_pure_rust_cpu(&self) -> bool {
        match self {
            Backend::Flex => true,
            #[cfg(feature = "ndarray")]
            Backend::Ndarray => true,
            #[allow(unreachable_patterns)]
            _ => false,
        }
    }

    /// True for backends that compute on the CPU (`flex`, `ndarray`, `tch`):
    /// every build can run them, so the equivalence tests always do.
    pub fn is_cpu(&self) -> bool {
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
    pub fn under_test() -> Result<Vec<Backend>, String> {
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

    /// Whether this machine has the device, checked before any work starts.
    /// libtorch's GPUs are counted (a CUDA or ROCm build of libtorch lists
    /// its GPUs the same way), so a missing GPU is an error naming it rather
    /// than a panic inside libtorch. The CubeCL backends open their device
    /// on first use; a failure there is reported by the caller.
    pub fn check_present(&self) -> Result<(), String> {
        match *self {
            #[cfg(feature = "tch")]
            Backend::TchCuda(i) => {
                let n = Device::enumerate(burn::tensor::DeviceType::LibTorch).len();
                if i < n {
                    Ok(())
                } else {
                    Err(format!(
                        "libtorch finds {n} GPU(s) on this machine (CUDA or ROCm), so there is no GPU {i}"
                    ))
                }
            }
            _ => Ok(()),
        }
    }

    /// Short name for manifests and logs (`flex`, `cuda:0`, ...).
    pub fn name(&self) -> String {
        match *self {
            Backend::Flex => "flex".into(),
            #[cfg(feature = "ndarray")]
            Backend::Ndarray => "ndarray".into(),
            #[cfg(feature = "tch")]
            Backend::Tch => "tch".into(),
            #[cfg(feature = "tch")]
            Backend::TchCuda(i) => format!("tch-cuda:{i}"),
            #[cfg(feature = "cuda")]
            Backend::Cuda(i) => format!("cuda:{i}"),
            #[cfg(feature = "rocm")]
            Backend::Rocm(i) => format!("rocm:{i}"),
            #[cfg(feature = "wgpu")]
            Backend::Wgpu => "wgpu".into(),
        }
    }

    /// Every backend compiled into this build.
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

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

impl std::str::FromStr for Backend {
    type Err = String;
    /// Parse `flex`, `ndarray`, `tch`, `tch-cuda[:i]`, `cuda[:i]`, `rocm[:i]`
    /// or `wgpu`; names whose feature is not compiled in are rejected with a
    /// message naming the feature.
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim().to_ascii_lowercase();
        let (name, idx) = match s.split_once(':') {
            Some((n, i)) => (
                n.to_string(),
                i.parse::<usize>()
                    .map_err(|_| format!("bad device index in {s:?}"))?,
            ),
            None => (s.clone(), 0),
        };
        let _ = idx;
        #[allow(unused_variables)]
        let missing = |feat: &str| {
            Err(format!(
                "backend {name:?} needs cointrainer-lstm built with `--features {feat}`"
            ))
        };
        match name.as_str() {
            "flex" | "cpu" => Ok(Backend::Flex),
            #[cfg(feature = "ndarray")]
            "ndarray" => Ok(Backend::Ndarray),
            #[cfg(feature = "tch")]
            "tch" | "libtorch" => Ok(Backend::Tch),
            #[cfg(feature = "tch")]
            "tch-cuda" | "libtorch-cuda" => Ok(Backend::TchCuda(idx)),
            #[cfg(feature = "cuda")]
            "cuda" => Ok(Backend::Cuda(idx)),
            #[cfg(feature = "rocm")]
            "rocm" | "hip" => Ok(Backend::Rocm(idx)),
            #[cfg(feature = "wgpu")]
            "wgpu" => Ok(Backend::Wgpu),
            #[cfg(not(feature = "ndarray"))]
            "ndarray" => missing("ndarray"),
            #[cfg(not(feature = "tch"))]
            "tch" | "libtorch" | "tch-cuda" | "libtorch-cuda" => missing("tch"),
            #[cfg(not(feature = "cuda"))]
            "cuda" => missing("cuda"),
            #[cfg(not(feature = "rocm"))]
            "rocm" | "hip" => missing("rocm"),
            #[cfg(not(feature = "wgpu"))]
            "wgpu" => missing("wgpu"),
            other => Err(format!(
                "unknown backend {other:?}; expected flex, ndarray, tch, tch-cuda, cuda, rocm or wgpu"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_names_parse_and_missing_features_are_explained() {
        assert_eq!("flex".parse::<Backend>().unwrap(), Backend::Flex);
        assert_eq!(Backend::Flex.to_string(), "flex");
        assert!(Backend::Flex.is_pure_rust_cpu());
        #[cfg(not(feature = "cuda"))]
        assert!(
            "cuda:1"
                .parse::<Backend>()
                .unwrap_err()
                .contains("--features cuda")
        );
        assert!("tpu".parse::<Backend>().is_err());
    }
}
