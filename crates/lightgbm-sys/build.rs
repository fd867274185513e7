//! Compiles the vendored LightGBM (`lightgbm/`) into a static library with
//! the `cc` crate: no CMake, no libclang, only a C/C++ compiler.
//!
//! The sources, definitions and flags are those of LightGBM's CMakeLists.txt
//! for a Release build (the source lists are read from the vendored copy, so
//! they cannot drift): `-O3 -funroll-loops -DNDEBUG -std=c++17 -pthread`,
//! `USE_SOCKET`, `EIGEN_MPL2_ONLY`, `EIGEN_DONT_PARALLELIZE`, `MM_PREFETCH` /
//! `MM_MALLOC` where the compiler has them, `-fopenmp` with the `openmp`
//! feature. The profile does not change them (CMake builds Release in every
//! Cargo profile too), so models are the same in debug and release builds.
//! Nothing is printed on success; compiler warnings are off as with CMake's
//! `-w` here.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const LGBM: &str = "lightgbm";
/// nanoarrow's version, for the header CMake's `configure_file` would write
/// (external_libs/nanoarrow/CMakeLists.txt: `set(NANOARROW_VERSION ...)`).
const NANOARROW_VERSION: (u32, u32, u32) = (0, 8, 0);

fn main() {
    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let lgbm = root.join(LGBM);
    let out = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR"));
    let target = env::var("TARGET").expect("TARGET");
    let openmp = env::var_os("CARGO_FEATURE_OPENMP").is_some();
    let gpu = env::var_os("CARGO_FEATURE_GPU").is_some();
    let cuda = env::var_os("CARGO_FEATURE_CUDA").is_some();

    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed={LGBM}");
    for var in [
        "LIGHTGBM_OPENCL_INCLUDE_DIR",
        "LIGHTGBM_OPENCL_LIB_DIR",
        "LIGHTGBM_BOOST_INCLUDE_DIR",
        "LIGHTGBM_BOOST_LIB_DIR",
        "LIGHTGBM_NCCL_INCLUDE_DIR",
        "LIGHTGBM_NCCL_LIB_DIR",
        "LIGHTGBM_CUDA_ARCHITECTURES",
        "CUDA_PATH",
    ] {
        println!("cargo:rerun-if-env-changed={var}");
    }

    let cmake = fs::read_to_string(lgbm.join("CMakeLists.txt"))
        .unwrap_or_else(|e| panic!("cannot read {LGBM}/CMakeLists.txt: {e}"));
    let mut sources = cmake_list(&cmake, "LGBM_SOURCES");
    let cuda_sources = cmake_list(&cmake, "LGBM_CUDA_SOURCES");
    // `set(API_SOURCES "src/c_api.cpp")`: the C API itself.
    sources.extend(cmake_list(&cmake, "API_SOURCES"));
    if !sources.iter().any(|s| s == "src/c_api.cpp") {
        panic!("{LGBM}/CMakeLists.txt: API_SOURCES does not list src/c_api.cpp");
    }

    let ext = lgbm.join("external_libs");
    let includes = [
        ext.join("eigen"),
        ext.join("fast_double_parser/include"),
        ext.join("fmt/include"),
        lgbm.join("include"),
        ext.join("nanoarrow/src"),
        nanoarrow_config(&ext, &out),
    ];
    let defines = [
        "EIGEN_MPL2_ONLY",
        "EIGEN_DONT_PARALLELIZE",
        // Not USE_MPI: sockets for distributed training, as CMake's default.
        "USE_SOCKET",
    ];

    let probe = Probe::new(&out);
    let mut cxx = base_build(&includes, &defines);
    cxx.cpp(true);
    let tool = cxx.get_compiler();
    let msvc = tool.is_like_msvc();
    if probe.compiles(
        "mm_prefetch",
        "#include <xmmintrin.h>\nint main() { int a = 0; _mm_prefetch(&a, _MM_HINT_NTA); return 0; }\n",
    ) {
        cxx.define("MM_PREFETCH", None);
    }
    if probe.compiles(
        "mm_malloc",
        "#include <mm_malloc.h>\nint main() { char *a = (char*)_mm_malloc(8, 16); _mm_free(a); return 0; }\n",
    ) {
        cxx.define("MM_MALLOC", None);
    }
    if msvc {
        cxx.flag("/std:c++17")
            .flag("/utf-8")
            .flag("/O2")
            .flag("/Ob2")
            .flag("/Oi")
            .flag("/Ot")
            .flag("/Oy");
        if openmp {
            cxx.flag("/openmp");
        }
    } else {
        cxx.flag("-std=c++17")
            .flag("-pthread")
            .flag("-funroll-loops");
        if openmp {
            if target.contains("apple") {
                cxx.flag("-Xpreprocessor").flag("-fopenmp");
                for dir in apple_libomp_dirs() {
                    cxx.include(dir.join("include"));
                }
            } else {
                cxx.flag("-fopenmp");
            }
        }
    }
    if gpu {
        cxx.define("USE_GPU", None);
        cxx.include(ext.join("compute/include"));
        for var in ["LIGHTGBM_OPENCL_INCLUDE_DIR", "LIGHTGBM_BOOST_INCLUDE_DIR"] {
            if let Some(dir) = env::var_os(var) {
                cxx.include(dir);
            }
        }
        if target.contains("windows") {
            cxx.define("BOOST_ALL_NO_LIB", None);
        }
    }
    if cuda {
        cxx.define("USE_CUDA", None);
        let cuda_home = cuda_home();
        cxx.include(cuda_home.join("include"));
        if let Some(dir) = env::var_os("LIGHTGBM_NCCL_INCLUDE_DIR") {
            cxx.include(dir);
        }
        let (cu, cpp): (Vec<_>, Vec<_>) = cuda_sources.iter().partition(|s| s.ends_with(".cu"));
        sources.extend(cpp.into_iter().cloned());
        compile_cuda(&lgbm, &includes, &defines, &cu, &cuda_home);
    }
    for s in &sources {
        cxx.file(lgbm.join(s));
    }

    // nanoarrow (CMake's nanoarrow_static, which LightGBM links): C99 with
    // GNU extensions, in the same archive as LightGBM.
    let mut c = base_build(&includes, &defines);
    if !msvc {
        c.flag("-std=gnu99");
    }
    for f in ["array.c", "schema.c", "array_stream.c", "utils.c"] {
        c.file(ext.join("nanoarrow/src/nanoarrow/common").join(f));
    }
    for obj in c.compile_intermediates() {
        cxx.object(obj);
    }
    cxx.compile("_lightgbm");

    // Libraries LightGBM needs, after it on the link line (cc has already
    // named the C++ runtime).
    if openmp {
        if target.contains("apple") {
            for dir in apple_libomp_dirs() {
                println!(
                    "cargo:rustc-link-search=native={}",
                    dir.join("lib").display()
                );
            }
            println!("cargo:rustc-link-lib=dylib=omp");
        } else if msvc {
            // /openmp links vcomp itself.
        } else if tool.is_like_clang() {
            println!("cargo:rustc-link-lib=dylib=omp");
        } else {
            println!("cargo:rustc-link-lib=dylib=gomp");
        }
    }
    if gpu {
        for var in ["LIGHTGBM_OPENCL_LIB_DIR", "LIGHTGBM_BOOST_LIB_DIR"] {
            if let Some(dir) = env::var_os(var) {
                println!(
                    "cargo:rustc-link-search=native={}",
                    Path::new(&dir).display()
                );
            }
        }
        if target.contains("apple") {
            println!("cargo:rustc-link-lib=framework=OpenCL");
        } else {
            println!("cargo:rustc-link-lib=dylib=OpenCL");
        }
        println!("cargo:rustc-link-lib=boost_filesystem");
        println!("cargo:rustc-link-lib=boost_system");
    }
    if cuda {
        if let Some(dir) = env::var_os("LIGHTGBM_NCCL_LIB_DIR") {
            println!(
                "cargo:rustc-link-search=native={}",
                Path::new(&dir).display()
            );
        }
        println!("cargo:rustc-link-lib=dylib=nccl");
    }
    if target.contains("windows") && !msvc {
        println!("cargo:rustc-link-lib=ws2_32");
        println!("cargo:rustc-link-lib=iphlpapi");
    }
}

/// A build with what every LightGBM translation unit gets: the include
/// directories and definitions of CMakeLists.txt and a Release build
/// (`-O3 -DNDEBUG`, no debug info) whatever the Cargo profile.
fn base_build(includes: &[PathBuf], defines: &[&str]) -> cc::Build {
    let mut b = cc::Build::new();
    b.includes(includes)
        .opt_level(3)
        .debug(false)
        .define("NDEBUG", None)
        .warnings(false)
        .extra_warnings(false)
        .cargo_warnings(false);
    for d in defines {
        b.define(d, None);
    }
    b
}

/// The items of `set(NAME item item ...)` in a CMakeLists.txt.
fn cmake_list(text: &str, name: &str) -> Vec<String> {
    let mut rest = text;
    while let Some(i) = rest.find("set(") {
        rest = &rest[i + 4..];
        let Some(end) = rest.find(')') else { break };
        let mut words = rest[..end].split_whitespace();
        if words.next() == Some(name) {
            let items: Vec<String> = words.map(|w| w.trim_matches('"').to_string()).collect();
            if items.is_empty() {
                panic!("{LGBM}/CMakeLists.txt: set({name}) lists nothing");
            }
            return items;
        }
    }
    panic!("{LGBM}/CMakeLists.txt has no set({name} ...)");
}

/// Writes `nanoarrow/nanoarrow_config.h` from its template as CMake's
/// `configure_file` does, and returns the include directory holding it.
fn nanoarrow_config(ext: &Path, out: &Path) -> PathBuf {
    let template = ext.join("nanoarrow/src/nanoarrow/nanoarrow_config.h.in");
    let text = fs::read_to_string(&template)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", template.display()));
    let (major, minor, patch) = NANOARROW_VERSION;
    let text = text
        .replace("@NANOARROW_VERSION_MAJOR@", &major.to_string())
        .replace("@NANOARROW_VERSION_MINOR@", &minor.to_string())
        .replace("@NANOARROW_VERSION_PATCH@", &patch.to_string())
        .replace("@NANOARROW_VERSION@", &format!("{major}.{minor}.{patch}"))
        .replace(
            "@NANOARROW_NAMESPACE_DEFINE@",
            "// #define NANOARROW_NAMESPACE YourNamespaceHere",
        );
    if text.contains('@') {
        panic!("{}: a placeholder was left unfilled", template.display());
    }
    let dir = out.join("nanoarrow-config");
    let header = dir.join("nanoarrow/nanoarrow_config.h");
    fs::create_dir_all(dir.join("nanoarrow")).expect("create nanoarrow config dir");
    // Rewrite only on change so the C++ objects are not rebuilt needlessly.
    if fs::read_to_string(&header).ok().as_deref() != Some(text.as_str()) {
        fs::write(&header, text).expect("write nanoarrow_config.h");
    }
    dir
}

/// CMake's `check_cxx_source_compiles`: does a small program compile?
struct Probe {
    dir: PathBuf,
}

impl Probe {
    fn new(out: &Path) -> Self {
        let dir = out.join("probe");
        fs::create_dir_all(&dir).expect("create probe dir");
        Probe { dir }
    }

    fn compiles(&self, name: &str, source: &str) -> bool {
        let file = self.dir.join(format!("{name}.cpp"));
        fs::write(&file, source).expect("write probe source");
        cc::Build::new()
            .cpp(true)
            .file(&file)
            .out_dir(&self.dir)
            .warnings(false)
            .cargo_metadata(false)
            .cargo_warnings(false)
            .cargo_output(false)
            .try_compile_intermediates()
            .is_ok()
    }
}

/// Homebrew's libomp (keg-only), as LightGBM's CMake falls back to on macOS.
fn apple_libomp_dirs() -> Vec<PathBuf> {
    ["/opt/homebrew/opt/libomp", "/usr/local/opt/libomp"]
        .into_iter()
        .map(PathBuf::from)
        .filter(|p| p.exists())
        .collect()
}

fn cuda_home() -> PathBuf {
    env::var_os("CUDA_PATH")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/local/cuda"))
}

/// The `.cu` sources with nvcc into their own archive (device code linked by
/// cc), flags as CMakeLists.txt sets CMAKE_CUDA_FLAGS for a Release build.
fn compile_cuda(
    lgbm: &Path,
    includes: &[PathBuf],
    defines: &[&str],
    cu: &[&String],
    cuda_home: &Path,
) {
    let mut nv = base_build(includes, defines);
    nv.cuda(true)
        .cudart("static")
        .include(cuda_home.join("include"))
        .define("USE_CUDA", None)
        .flag("-std=c++17")
        .flag("-rdc=true")
        .flag("-lineinfo")
        .flag("-Xcompiler=-fopenmp")
        .flag("-Xcompiler=-fPIC");
    if let Some(dir) = env::var_os("LIGHTGBM_NCCL_INCLUDE_DIR") {
        nv.include(dir);
    }
    for arch in cuda_architectures(cuda_home) {
        nv.flag("-gencode").flag(&arch);
    }
    for s in cu {
        nv.file(lgbm.join(s));
    }
    nv.compile("_lightgbm_cuda");
    println!(
        "cargo:rustc-link-search=native={}",
        cuda_home.join("lib64").display()
    );
}

/// `-gencode` values: LIGHTGBM_CUDA_ARCHITECTURES (e.g. `80;90`) or the
/// default list of LightGBM's cmake/Utils.cmake for the installed nvcc, SASS
/// for each and PTX for the newest.
fn cuda_architectures(cuda_home: &Path) -> Vec<String> {
    let archs: Vec<u32> = match env::var("LIGHTGBM_CUDA_ARCHITECTURES") {
        Ok(list) => list
            .split([';', ',', ' '])
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse().unwrap_or_else(|_| {
                    panic!("LIGHTGBM_CUDA_ARCHITECTURES: {s:?} is not a number")
                })
            })
            .collect(),
        Err(_) => {
            let nvcc = cuda_home.join("bin/nvcc");
            let version = Command::new(&nvcc)
                .arg("--version")
                .output()
                .ok()
                .and_then(|o| String::from_utf8(o.stdout).ok())
                .and_then(|s| {
                    let v = s.split("release ").nth(1)?.split(',').next()?.to_string();
                    let mut it = v.split('.').map(|p| p.trim().parse::<u32>().ok());
                    Some((it.next()??, it.next()??))
                })
                .unwrap_or_else(|| {
                    panic!(
                        "cannot read the CUDA version from {} --version; set CUDA_PATH or LIGHTGBM_CUDA_ARCHITECTURES",
                        nvcc.display()
                    )
                });
            match version {
                v if v >= (13, 0) => vec![75, 80, 86, 89, 90, 100, 120],
                v if v >= (12, 9) => vec![70, 75, 80, 86, 89, 90, 100, 120],
                v if v >= (12, 8) => vec![60, 61, 70, 80, 86, 89, 90, 100, 120],
                v if v >= (11, 8) => vec![60, 61, 70, 80, 86, 89, 90],
                v => panic!(
                    "CUDA {}.{} is older than LightGBM's minimum 11.8 (or set LIGHTGBM_CUDA_ARCHITECTURES)",
                    v.0, v.1
                ),
            }
        }
    };
    let Some(&last) = archs.last() else {
        panic!("LIGHTGBM_CUDA_ARCHITECTURES lists no architecture");
    };
    let mut out: Vec<String> = archs
        .iter()
        .map(|a| format!("arch=compute_{a},code=sm_{a}"))
        .collect();
    out.push(format!("arch=compute_{last},code=compute_{last}"));
    out
}
