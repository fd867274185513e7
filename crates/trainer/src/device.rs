//! Where a job trains: `cpu` (the default), `cuda:N`, `rocm:N` or `wgpu`.
//!
//! One value per job (`--device`, the job field `device`); each agent turns
//! it into its own setting: the burn device of `lstm` and `ppo`, LightGBM's
//! `device_type` for `regime` and `meta-selector`. Agents without an
//! accelerated path accept `cpu` only.
//!
//! Which accelerators a build has is fixed by the program's cargo features
//! (`cuda`, `rocm`, `wgpu`, `tch` for the burn agents, `lightgbm-cuda` for
//! the LightGBM ones); asking for one the build lacks is an error naming the
//! feature, raised before any data is loaded.

use crate::error::TrainError;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A device a job asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Device {
    /// The CPU: what every agent runs on by default.
    #[default]
    Cpu,
    /// NVIDIA GPU with this index.
    Cuda(usize),
    /// AMD GPU (ROCm/HIP) with this index.
    Rocm(usize),
    /// wgpu's default adapter (Vulkan, Metal or DX12).
    Wgpu,
}

/// The accepted spellings, for messages.
pub const FORMS: &str = "cpu, cuda, cuda:N, rocm, rocm:N or wgpu (N: the GPU index, 0 first)";

/// Longest device text quoted back in an error.
const MAX_SHOWN: usize = 40;

impl Device {
    pub fn is_cpu(&self) -> bool {
        *self == Device::Cpu
    }

    /// PyTorch's name of this device, for the Python peers: a ROCm build of
    /// PyTorch names AMD GPUs `cuda:N` too.
    pub fn torch_name(&self) -> String {
        match self {
            Device::Cpu => "cpu".into(),
            Device::Cuda(i) | Device::Rocm(i) => format!("cuda:{i}"),
            Device::Wgpu => "wgpu".into(),
        }
    }

    /// The cargo features this build was compiled with that add devices.
    pub fn build_features() -> Vec<&'static str> {
        let mut v = Vec::new();
        if cfg!(feature = "cuda") {
            v.push("cuda");
        }
        if cfg!(feature = "rocm") {
            v.push("rocm");
        }
        if cfg!(feature = "wgpu") {
            v.push("wgpu");
        }
        if cfg!(feature = "tch") {
            v.push("tch");
        }
        if cfg!(feature = "lightgbm-cuda") {
            v.push("lightgbm-cuda");
        }
        v
    }

    fn this_build() -> String {
        let f = Self::build_features();
        if f.is_empty() {
            "this build runs on the CPU only".into()
        } else {
            format!("this build's device features: {}", f.join(", "))
        }
    }

    fn lacks(self, agent: &str, why: String) -> TrainError {
        TrainError::Agent {
            agent: agent.to_string(),
            why: format!("device {self}: {why} ({})", Self::this_build()),
        }
    }

    /// The refusal of an agent that has no accelerated path.
    pub fn cpu_only(self, agent: &str) -> Result<(), TrainError> {
        if self.is_cpu() {
            return Ok(());
        }
        Err(TrainError::Agent {
            agent: agent.to_string(),
            why: format!(
                "device {self}: {agent} runs on the CPU only (it has no GPU path); \
                 train it with device `cpu` (the default)"
            ),
        })
    }

    /// The burn backend of the `lstm` agent on this device.
    pub fn lstm_backend(self, agent: &str) -> Result<lstm::Backend, TrainError> {
        match self {
            Device::Cpu => Ok(lstm::Backend::Flex),
            #[cfg(feature = "cuda")]
            Device::Cuda(i) => Ok(lstm::Backend::Cuda(i)),
            // A CUDA (or ROCm) build of libtorch serves both through torch's
            // `cuda` device API.
            #[cfg(all(feature = "tch", not(feature = "cuda")))]
            Device::Cuda(i) => self.tch_gpu(agent, i).map(|_| lstm::Backend::TchCuda(i)),
            #[cfg(feature = "rocm")]
            Device::Rocm(i) => Ok(lstm::Backend::Rocm(i)),
            #[cfg(all(feature = "tch", not(feature = "rocm")))]
            Device::Rocm(i) => self.tch_gpu(agent, i).map(|_| lstm::Backend::TchCuda(i)),
            #[cfg(feature = "wgpu")]
            Device::Wgpu => Ok(lstm::Backend::Wgpu),
            #[allow(unreachable_patterns)]
            other => Err(other.no_burn_backend(agent)),
        }
    }

    /// The burn backend of the `ppo` update on this device; `None` on the
    /// CPU, where the agent keeps its own `engine` (native by default).
    pub fn ppo_backend(self, agent: &str) -> Result<Option<ppo::Backend>, TrainError> {
        match self {
            Device::Cpu => Ok(None),
            #[cfg(feature = "cuda")]
            Device::Cuda(i) => Ok(Some(ppo::Backend::Cuda(i))),
            #[cfg(all(feature = "tch", not(feature = "cuda")))]
            Device::Cuda(i) => self
                .tch_gpu(agent, i)
                .map(|_| Some(ppo::Backend::TchCuda(i))),
            #[cfg(feature = "rocm")]
            Device::Rocm(i) => Ok(Some(ppo::Backend::Rocm(i))),
            #[cfg(all(feature = "tch", not(feature = "rocm")))]
            Device::Rocm(i) => self
                .tch_gpu(agent, i)
                .map(|_| Some(ppo::Backend::TchCuda(i))),
            #[cfg(feature = "wgpu")]
            Device::Wgpu => Ok(Some(ppo::Backend::Wgpu)),
            #[allow(unreachable_patterns)]
            other => Err(other.no_burn_backend(agent)),
        }
    }

    /// GPU `index` of libtorch (a CUDA or ROCm build), which must exist on
    /// this machine: the error names the device instead of a libtorch panic.
    #[cfg(feature = "tch")]
    fn tch_gpu(self, agent: &str, index: usize) -> Result<(), TrainError> {
        lstm::Backend::TchCuda(index)
            .check_present()
            .map_err(|why| TrainError::Agent {
                agent: agent.to_string(),
                why: format!(
                    "device {self}: {why}; check that this machine has that device and its \
                     driver (nvidia-smi, rocm-smi), and that the libtorch this program loads \
                     is a CUDA or ROCm build"
                ),
            })
    }

    /// The error for a burn backend this build lacks.
    fn no_burn_backend(self, agent: &str) -> TrainError {
        let why = match self {
            Device::Cuda(_) => "this build has no CUDA backend; build cointrainer with \
                 `--features cuda` (burn's CUDA backend) or `--features tch` with a CUDA libtorch"
                .to_string(),
            Device::Rocm(_) => "this build has no ROCm backend; build cointrainer with \
                 `--features rocm` (burn's ROCm/HIP backend) or `--features tch` with a ROCm libtorch"
                .to_string(),
            _ => "this build has no wgpu backend; build cointrainer with `--features wgpu`"
                .to_string(),
        };
        self.lacks(agent, why)
    }

    /// LightGBM's tree learner on this device (`regime`, `meta-selector`).
    pub fn lightgbm(self, agent: &str) -> Result<regime::Device, TrainError> {
        match self {
            Device::Cpu => Ok(regime::Device::Cpu),
            Device::Cuda(_) if !regime::Device::Cuda.is_compiled() => Err(self.lacks(
                agent,
                "this build's LightGBM has no CUDA tree learner; build cointrainer with \
                 `--features lightgbm-cuda` (needs the CUDA toolkit)"
                    .into(),
            )),
            Device::Cuda(0) => Ok(regime::Device::Cuda),
            Device::Cuda(_) => Err(self.lacks(
                agent,
                "LightGBM's CUDA tree learner is run on GPU 0 only; ask for cuda:0".into(),
            )),
            Device::Rocm(_) | Device::Wgpu => Err(self.lacks(
                agent,
                format!("LightGBM has no ROCm or wgpu tree learner; {agent} trains on cpu or cuda"),
            )),
        }
    }

    /// Run `f` (an agent's training) on this device. On an accelerator a
    /// panic inside the backend (burn's GPU runtimes panic on a device index
    /// the machine does not have, or a missing driver) becomes an error
    /// naming the device; on the CPU `f` runs as it is.
    pub fn guard<T>(
        self,
        agent: &str,
        f: impl FnOnce() -> Result<T, TrainError>,
    ) -> Result<T, TrainError> {
        if self.is_cpu() {
            return f();
        }
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
            Ok(r) => r,
            Err(payload) => {
                let text = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "no message".into());
                let text: String = text.chars().take(300).collect();
                Err(TrainError::Agent {
                    agent: agent.to_string(),
                    why: format!(
                        "device {self} failed: {text}; check that this machine has that device \
                         and its driver (nvidia-smi, rocm-smi, vulkaninfo)"
                    ),
                })
            }
        }
    }
}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Device::Cpu => f.write_str("cpu"),
            Device::Cuda(i) => write!(f, "cuda:{i}"),
            Device::Rocm(i) => write!(f, "rocm:{i}"),
            Device::Wgpu => f.write_str("wgpu"),
        }
    }
}

impl FromStr for Device {
    type Err = String;

    /// `cpu`, `cuda[:N]`, `rocm[:N]` or `wgpu` (case-insensitive; `cuda` is
    /// `cuda:0`). Anything else is an error listing the accepted forms.
    fn from_str(s: &str) -> Result<Self, String> {
        let shown: String = s.chars().take(MAX_SHOWN).collect();
        let bad = || format!("unknown device `{shown}`; expected {FORMS}");
        let lower = s.trim().to_ascii_lowercase();
        let (name, index) = match lower.split_once(':') {
            Some((n, i)) => {
                // Digits only: `+1`, ` 1` and `01x` are not indices.
                if i.is_empty() || i.len() > 6 || !i.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(bad());
                }
                (n, Some(i.parse::<usize>().map_err(|_| bad())?))
            }
            None => (lower.as_str(), None),
        };
        match (name, index) {
            ("cpu", None) => Ok(Device::Cpu),
            ("cuda", i) => Ok(Device::Cuda(i.unwrap_or(0))),
            ("rocm", i) => Ok(Device::Rocm(i.unwrap_or(0))),
            ("wgpu", None) => Ok(Device::Wgpu),
            _ => Err(bad()),
        }
    }
}

impl TryFrom<String> for Device {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<Device> for String {
    fn from(d: Device) -> String {
        d.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_parse_and_print_back() {
        for (text, dev) in [
            ("cpu", Device::Cpu),
            ("CPU", Device::Cpu),
            ("cuda", Device::Cuda(0)),
            ("cuda:0", Device::Cuda(0)),
            ("cuda:3", Device::Cuda(3)),
            ("rocm", Device::Rocm(0)),
            ("rocm:1", Device::Rocm(1)),
            ("wgpu", Device::Wgpu),
        ] {
            assert_eq!(text.parse::<Device>(), Ok(dev), "{text}");
            assert_eq!(dev.to_string().parse::<Device>(), Ok(dev));
        }
        assert_eq!(Device::Cuda(0).to_string(), "cuda:0");
        assert_eq!(Device::default(), Device::Cpu);
    }

    #[test]
    fn malformed_devices_list_the_accepted_forms() {
        for text in [
            "",
            "gpu",
            "tpu",
            "cuda:",
            "cuda:x",
            "cuda:-1",
            "cuda:+1",
            "cpu:0",
            "wgpu:1",
            "cuda:0:1",
            "cuda:99999999999",
        ] {
            let e = text.parse::<Device>().unwrap_err();
            assert!(
                e.contains("unknown device") && e.contains(FORMS),
                "{text}: {e}"
            );
        }
        let long = "x".repeat(10_000);
        assert!(long.parse::<Device>().unwrap_err().len() < 300);
    }

    #[test]
    fn json_carries_the_device_as_text() {
        let d: Device = serde_json::from_str("\"cuda:1\"").unwrap();
        assert_eq!(d, Device::Cuda(1));
        assert_eq!(serde_json::to_string(&d).unwrap(), "\"cuda:1\"");
        let e = serde_json::from_str::<Device>("\"gpu0\"").unwrap_err();
        assert!(e.to_string().contains(FORMS), "{e}");
    }

    #[test]
    fn cpu_resolves_to_what_the_agents_use_by_default() {
        assert_eq!(
            Device::Cpu.lstm_backend("lstm").unwrap(),
            lstm::Backend::Flex
        );
        assert_eq!(Device::Cpu.ppo_backend("ppo").unwrap(), None);
        assert_eq!(Device::Cpu.lightgbm("regime").unwrap(), regime::Device::Cpu);
        assert!(Device::Cpu.cpu_only("signal").is_ok());
    }

    #[cfg(not(any(feature = "cuda", feature = "tch")))]
    #[test]
    fn cuda_without_its_feature_names_the_feature() {
        let e = Device::Cuda(0)
            .lstm_backend("lstm")
            .unwrap_err()
            .to_string();
        assert!(e.contains("cuda:0") && e.contains("--features cuda"), "{e}");
        assert!(e.contains("--features tch"), "{e}");
        let e = Device::Cuda(0).ppo_backend("ppo").unwrap_err().to_string();
        assert!(e.contains("--features cuda"), "{e}");
    }

    #[cfg(not(any(feature = "rocm", feature = "tch", feature = "wgpu")))]
    #[test]
    fn rocm_and_wgpu_without_their_features_name_them() {
        let e = Device::Rocm(1)
            .lstm_backend("lstm")
            .unwrap_err()
            .to_string();
        assert!(e.contains("rocm:1") && e.contains("--features rocm"), "{e}");
        let e = Device::Wgpu.ppo_backend("ppo").unwrap_err().to_string();
        assert!(e.contains("--features wgpu"), "{e}");
    }

    #[cfg(not(feature = "lightgbm-cuda"))]
    #[test]
    fn lightgbm_cuda_without_its_feature_names_the_feature() {
        let e = Device::Cuda(0).lightgbm("regime").unwrap_err().to_string();
        assert!(e.contains("--features lightgbm-cuda"), "{e}");
        let e = Device::Wgpu
            .lightgbm("meta-selector")
            .unwrap_err()
            .to_string();
        assert!(e.contains("no ROCm or wgpu tree learner"), "{e}");
    }

    #[test]
    fn cpu_only_agents_refuse_accelerators() {
        let e = Device::Cuda(0).cpu_only("signal").unwrap_err().to_string();
        assert!(e.contains("signal runs on the CPU only"), "{e}");
    }

    #[test]
    fn a_backend_panic_on_an_accelerator_is_an_error_naming_the_device() {
        let e = Device::Cuda(7)
            .guard("lstm", || -> Result<(), TrainError> {
                panic!("CUDA device 7 does not exist")
            })
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("device cuda:7 failed") && e.contains("does not exist"),
            "{e}"
        );
        assert_eq!(Device::Cpu.guard("lstm", || Ok(5)).unwrap(), 5);
    }
}
