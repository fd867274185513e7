//! Raw bindings to LightGBM's C API (`include/LightGBM/c_api.h` of the
//! vendored LightGBM 4.7.0) and the static library they call into, compiled
//! by `build.rs` with only a C/C++ compiler.
//!
//! The bindings are checked in (`src/bindings.rs`, bindgen's output for
//! `c_api.h`), so building needs no libclang; `tests/bindings.rs` fails if
//! they no longer match the header, and `scripts/regenerate-bindings.sh`
//! rewrites them after a LightGBM update. Everything here is `unsafe`; the
//! safe layer is the `cointrainer-lightgbm` crate.

#![allow(non_upper_case_globals, non_camel_case_types, non_snake_case)]

include!("bindings.rs");
