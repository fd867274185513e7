#!/usr/bin/env bash
# Regenerate src/bindings.rs from the vendored lightgbm/include/LightGBM/c_api.h
# after updating LightGBM (scripts/vendor.py). Needs libclang (e.g. Debian's
# libclang-dev) and network access to crates.io; building the crate needs
# neither. The output is bindgen's for c_api.h with LightGBM's Doxygen comments
# turned into rustdoc (doxygen-rs), the same generator settings that produced
# the checked-in file, so a diff shows only what the header changed.
# Afterwards: cargo test -p cointrainer-lightgbm-sys --test bindings
set -euo pipefail
crate="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/src"
cat > "$work/Cargo.toml" <<'TOML'
[package]
name = "regenerate-lightgbm-bindings"
version = "0.0.0"
edition = "2021"
publish = false

[workspace]

[dependencies]
bindgen = "0.73"
doxygen-rs = "0.4"
TOML
cat > "$work/src/main.rs" <<'RUST'
#[derive(Debug)]
struct Doxygen;

impl bindgen::callbacks::ParseCallbacks for Doxygen {
    fn process_comment(&self, comment: &str) -> Option<String> {
        Some(doxygen_rs::transform(comment))
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (include, out) = (args.next().expect("include dir"), args.next().expect("output"));
    let header = format!("{include}/LightGBM/c_api.h");
    bindgen::Builder::default()
        .header(&header)
        .allowlist_file(".*/include/LightGBM/c_api.h")
        .clang_args(["-x", "c++", "-std=c++14", &format!("-I{include}")])
        .parse_callbacks(Box::new(Doxygen))
        .generate()
        .expect("bindgen failed")
        .write_to_file(&out)
        .expect("cannot write the bindings");
}
RUST
cargo run --quiet --release --manifest-path "$work/Cargo.toml" -- \
  "$crate/lightgbm/include" "$crate/src/bindings.rs"
rustfmt --edition 2024 "$crate/src/bindings.rs"
echo "wrote $crate/src/bindings.rs"
