//! The checked-in bindings (`src/bindings.rs`) must describe the vendored
//! `c_api.h`: same exported functions with the same number of parameters,
//! same `C_API_*` constants. Plain text parsing, so it runs without libclang;
//! after a LightGBM update that changes the header it fails until
//! `scripts/regenerate-bindings.sh` has been run.

use std::collections::BTreeMap;
use std::path::Path;

fn read(rel: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The text without C comments (`/* */` and `//`).
fn strip_c_comments(src: &str) -> String {
    let mut out = String::with_capacity(src.len());
    let mut rest = src;
    loop {
        let block = rest.find("/*");
        let line = rest.find("//");
        match (block, line) {
            (Some(b), l) if l.is_none_or(|l| b < l) => {
                out.push_str(&rest[..b]);
                let end = rest[b + 2..].find("*/").expect("unterminated /* comment");
                out.push(' ');
                rest = &rest[b + 2 + end + 2..];
            }
            (_, Some(l)) => {
                out.push_str(&rest[..l]);
                rest = rest[l..].find('\n').map_or("", |n| &rest[l + n..]);
            }
            _ => {
                out.push_str(rest);
                return out;
            }
        }
    }
}

/// Number of comma-separated items at nesting depth 0 of a parameter list
/// (nesting: () [] <>, with `->` not closing anything).
fn count_params(list: &str) -> usize {
    let mut depth = 0i32;
    let mut items = 0;
    let mut current_has_text = false;
    let mut prev = ' ';
    for ch in list.chars() {
        match ch {
            '(' | '[' | '<' => depth += 1,
            ')' | ']' => depth -= 1,
            '>' if prev != '-' => depth -= 1,
            ',' if depth == 0 => {
                if current_has_text {
                    items += 1;
                }
                current_has_text = false;
                prev = ch;
                continue;
            }
            _ => {}
        }
        if !ch.is_whitespace() {
            current_has_text = true;
        }
        prev = ch;
    }
    if current_has_text {
        items += 1;
    }
    items
}

/// The text between the parenthesis at `open` and its matching one.
fn paren_body(s: &str, open: usize) -> &str {
    let mut depth = 0;
    for (i, ch) in s[open..].char_indices() {
        match ch {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return &s[open + 1..open + i];
                }
            }
            _ => {}
        }
    }
    panic!("unbalanced parentheses after offset {open}");
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The declaration without `LIGHTGBM_DEPRECATED("...")` markers.
fn without_attributes(decl: &str) -> String {
    const MARK: &str = "LIGHTGBM_DEPRECATED";
    let mut out = decl.to_string();
    while let Some(at) = out.find(MARK) {
        let open = at + MARK.len();
        let body = paren_body(&out, open);
        let end = open + body.len() + 2;
        out.replace_range(at..end, "");
    }
    out
}

/// `LIGHTGBM_C_EXPORT <type> NAME(params);` declarations: name -> parameter count.
fn header_functions(header: &str) -> BTreeMap<String, usize> {
    let text = strip_c_comments(header);
    let mut out = BTreeMap::new();
    for (at, _) in text.match_indices("LIGHTGBM_C_EXPORT") {
        let end = text[at..].find(';').expect("declaration without ';'");
        let decl = without_attributes(&text[at..at + end]);
        let decl = decl.as_str();
        let open = decl.find('(').expect("declaration without '('");
        let name: String = decl[..open]
            .trim_end()
            .chars()
            .rev()
            .take_while(|&c| is_ident(c))
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let params = paren_body(decl, open).trim();
        let n = if params == "void" {
            0
        } else {
            count_params(params)
        };
        assert!(
            out.insert(name.clone(), n).is_none(),
            "{name} is declared twice in c_api.h"
        );
    }
    out
}

/// `pub fn NAME(params)` inside the bindings: name -> parameter count.
fn binding_functions(bindings: &str) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for (at, _) in bindings.match_indices("pub fn ") {
        let decl = &bindings[at + "pub fn ".len()..];
        let open = decl.find('(').expect("pub fn without '('");
        let name = decl[..open].trim().to_string();
        let n = count_params(paren_body(decl, open));
        assert!(
            out.insert(name.clone(), n).is_none(),
            "{name} is bound twice"
        );
    }
    out
}

/// `#define C_API_NAME (value)` in the header.
fn header_constants(header: &str) -> BTreeMap<String, i64> {
    let text = strip_c_comments(header);
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("#define "))
        .filter(|l| l.starts_with("C_API_"))
        .map(|l| {
            let mut parts = l.split_whitespace();
            let name = parts.next().unwrap_or_default().to_string();
            let value: String = parts.collect::<String>();
            let value = value.trim_start_matches('(').trim_end_matches(')');
            let v = value
                .parse()
                .unwrap_or_else(|_| panic!("{name}: value {value:?} is not an integer"));
            (name, v)
        })
        .collect()
}

/// `pub const C_API_NAME: type = value;` in the bindings.
fn binding_constants(bindings: &str) -> BTreeMap<String, i64> {
    bindings
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub const "))
        .filter(|l| l.starts_with("C_API_"))
        .map(|l| {
            let (name, rest) = l.split_once(':').expect("const without a type");
            let value = rest
                .split_once('=')
                .expect("const without a value")
                .1
                .trim()
                .trim_end_matches(';');
            let v = value
                .parse()
                .unwrap_or_else(|_| panic!("{name}: value {value:?} is not an integer"));
            (name.trim().to_string(), v)
        })
        .collect()
}

#[test]
fn bindings_declare_every_exported_function_with_its_arity() {
    let header = header_functions(&read("lightgbm/include/LightGBM/c_api.h"));
    let bound = binding_functions(&read("src/bindings.rs"));
    // A miscount in either parser would show up as a mismatch below; make
    // sure neither found nothing.
    assert!(
        header.len() > 90,
        "only {} functions in c_api.h",
        header.len()
    );
    let missing: Vec<_> = header.keys().filter(|k| !bound.contains_key(*k)).collect();
    let extra: Vec<_> = bound.keys().filter(|k| !header.contains_key(*k)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "bindings out of date (run scripts/regenerate-bindings.sh): not bound {missing:?}, not in c_api.h {extra:?}"
    );
    let arity: Vec<_> = header
        .iter()
        .filter(|(k, n)| bound[*k] != **n)
        .map(|(k, n)| format!("{k}: {n} in c_api.h, {} bound", bound[k]))
        .collect();
    assert!(
        arity.is_empty(),
        "parameter counts differ (run scripts/regenerate-bindings.sh): {arity:?}"
    );
}

#[test]
fn bindings_carry_the_header_constants() {
    let header = header_constants(&read("lightgbm/include/LightGBM/c_api.h"));
    let bound = binding_constants(&read("src/bindings.rs"));
    assert!(header.len() >= 12, "only {} C_API_ constants", header.len());
    assert_eq!(
        header, bound,
        "C_API_* constants differ (run scripts/regenerate-bindings.sh)"
    );
}

#[test]
fn parsers_count_what_they_see() {
    // The parsers themselves, on the shapes the real files use.
    let h = "/* x */ LIGHTGBM_C_EXPORT int A(void);\n// LIGHTGBM_C_EXPORT int Z(int);\n\
             LIGHTGBM_C_EXPORT const char* B(int a,\n const void* (*f)(int, int),\n double c);\n\
             LIGHTGBM_C_EXPORT LIGHTGBM_DEPRECATED(\"Use B (instead).\")\nint C(int a);\n\
             #define C_API_X (7)  /*!< y */";
    let f = header_functions(h);
    assert_eq!(f.len(), 3);
    assert_eq!(f["A"], 0);
    assert_eq!(f["B"], 3);
    assert_eq!(f["C"], 1);
    assert_eq!(header_constants(h)["C_API_X"], 7);
    let b = "unsafe extern \"C\" {\n pub fn A() -> i32;\n}\nunsafe extern \"C\" {\n pub fn B(\n a: i32,\n \
             f: Option<unsafe extern \"C\" fn(x: i32, y: i32) -> *const u8>,\n c: f64,\n ) -> i32;\n}\n\
             pub const C_API_X: u32 = 7;";
    let g = binding_functions(b);
    assert_eq!(g["A"], 0);
    assert_eq!(g["B"], 3);
    assert_eq!(binding_constants(b)["C_API_X"], 7);
}
