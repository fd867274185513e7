//! The text-model gate: every real model passes and loads; truncated and
//! crafted ones are rejected with an error naming what is wrong, before
//! LightGBM's parser (which would read out of bounds or abort) sees them.

use lgbm::{
    LgbBooster, LgbDataset, LgbParams, MAX_MODEL_TEXT_BYTES, boost_with_early_stopping,
    validate_model_text,
};
use std::path::Path;

/// Deterministic rows: `n` rows of `f` features in [-1, 1), feature 0 an
/// integer category 0..5.
fn rows(n: usize, f: usize) -> Vec<f64> {
    let mut s = 0x9E37_79B9_7F4A_7C15u64;
    let mut x = Vec::with_capacity(n * f);
    for _ in 0..n {
        for j in 0..f {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let u = (s >> 11) as f64 / (1u64 << 53) as f64;
            x.push(if j == 0 {
                (u * 5.0).floor()
            } else {
                u * 2.0 - 1.0
            });
        }
    }
    x
}

/// A model trained here: `objective` on 4 features, 8 rounds of 7 leaves,
/// with extra dataset parameters (categorical feature, linear trees).
fn train(objective: &str, num_class: usize, extra: &[(&str, &str)]) -> (String, Vec<f64>) {
    let (n, f) = (400, 4);
    let x = rows(n, f);
    let y: Vec<f32> = (0..n)
        .map(|r| {
            let v = x[r * f + 1] + 0.5 * x[r * f + 2] - 0.2 * x[r * f];
            if num_class > 1 {
                ((v + 2.0) / 4.0 * num_class as f64).clamp(0.0, num_class as f64 - 1.0) as u32
                    as f32
            } else {
                v as f32
            }
        })
        .collect();
    let mut dp = LgbParams::new()
        .set("min_data_in_leaf", 5)
        .set("num_threads", 1);
    for (k, v) in extra {
        dp = dp.set(k, v);
    }
    let ds = LgbDataset::from_rows(&x, f, &y, None, &dp, None).expect("dataset");
    let mut p = dp
        .clone()
        .set("objective", objective)
        .set("num_leaves", 7)
        .set("learning_rate", 0.2)
        .set("deterministic", true);
    if num_class > 1 {
        p = p.set("num_class", num_class);
    }
    let b = boost_with_early_stopping(&ds, None, &p, 8, 0, &|_| false).expect("train");
    let pred = b.booster.predict(&x[..40 * f], 1).expect("predict");
    (b.booster.save_string().expect("save"), pred)
}

fn trained_models() -> Vec<(&'static str, String, Vec<f64>)> {
    let (reg, reg_p) = train("regression", 1, &[]);
    let (multi, multi_p) = train("multiclass", 3, &[]);
    let (cat, cat_p) = train("regression", 1, &[("categorical_feature", "0")]);
    let (lin, lin_p) = train("regression", 1, &[("linear_tree", "true")]);
    vec![
        ("regression", reg, reg_p),
        ("multiclass", multi, multi_p),
        ("categorical", cat, cat_p),
        ("linear", lin, lin_p),
    ]
}

/// Models written by Python LightGBM and the regime agent's shipped model.
fn repo_models() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    [
        "fixtures/lightgbm-interop/python_regression.txt",
        "fixtures/lightgbm-interop/python_multiclass.txt",
        "crates/regime/assets/fallback_regime/model.txt",
    ]
    .iter()
    .map(|p| {
        let text = std::fs::read_to_string(root.join(p)).unwrap_or_else(|e| panic!("{p}: {e}"));
        (p.to_string(), text)
    })
    .collect()
}

/// A model cut into its header (up to `tree_sizes`), tree blocks and the
/// rest, so a test can change one tree and rebuild a consistent
/// `tree_sizes`, isolating the check it aims at.
struct Parts {
    header: Vec<String>,
    trees: Vec<String>,
    trailer: String,
}

impl Parts {
    fn of(text: &str) -> Parts {
        let start = text.find("\nTree=0\n").expect("a Tree=0 block") + 1;
        let header: Vec<String> = text[..start]
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with("tree_sizes="))
            .map(String::from)
            .collect();
        let sizes: Vec<usize> = text[..start]
            .lines()
            .find_map(|l| l.strip_prefix("tree_sizes="))
            .expect("tree_sizes")
            .split(' ')
            .map(|s| s.parse().expect("size"))
            .collect();
        let mut at = start;
        let mut trees = Vec::new();
        for s in sizes {
            trees.push(text[at..at + s].to_string());
            at += s;
        }
        Parts {
            header,
            trees,
            trailer: text[at..].to_string(),
        }
    }

    fn text(&self) -> String {
        let sizes: Vec<String> = self.trees.iter().map(|t| t.len().to_string()).collect();
        let mut s = self.header.join("\n");
        s.push_str(&format!("\ntree_sizes={}\n\n", sizes.join(" ")));
        for t in &self.trees {
            s.push_str(t);
        }
        s.push_str(&self.trailer);
        s
    }

    /// Replace `key=...` in tree `i` by `f(old value)`.
    fn edit_tree(&mut self, i: usize, key: &str, f: impl Fn(&str) -> String) {
        let prefix = format!("{key}=");
        let tree = &self.trees[i];
        let mut found = false;
        let lines: Vec<String> = tree
            .split('\n')
            .map(|l| match l.strip_prefix(&prefix) {
                Some(v) => {
                    found = true;
                    format!("{prefix}{}", f(v))
                }
                None => l.to_string(),
            })
            .collect();
        assert!(found, "tree {i} has no {key}");
        self.trees[i] = lines.join("\n");
    }

    fn edit_header(&mut self, key: &str, f: impl Fn(&str) -> Option<String>) {
        let prefix = format!("{key}=");
        self.header = self
            .header
            .iter()
            .filter_map(|l| match l.strip_prefix(&prefix) {
                Some(v) => f(v).map(|nv| format!("{prefix}{nv}")),
                None => Some(l.clone()),
            })
            .collect();
    }

    /// Index of the first tree with at least `leaves` leaves.
    fn tree_with_leaves(&self, leaves: usize) -> usize {
        self.trees
            .iter()
            .position(|t| {
                t.lines()
                    .find_map(|l| l.strip_prefix("num_leaves="))
                    .and_then(|v| v.parse::<usize>().ok())
                    .is_some_and(|n| n >= leaves)
            })
            .expect("a tree that big")
    }
}

fn values(v: &str) -> Vec<String> {
    v.split(' ')
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

/// The text is rejected by the gate and by the loader, with an error
/// naming `needle` and quoting no large part of the text.
#[track_caller]
fn rejected(text: &str, needle: &str) {
    let e = validate_model_text(text).expect_err("accepted").0;
    assert!(e.contains(needle), "error {e:?} does not name {needle:?}");
    assert!(e.len() < 300, "error quotes too much ({} bytes)", e.len());
    let loaded = LgbBooster::from_string(text);
    assert!(
        loaded.is_err(),
        "from_string accepted what the gate rejects"
    );
}

#[test]
fn every_real_model_passes_the_gate_and_loads() {
    for (name, text, pred) in trained_models() {
        validate_model_text(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let b = LgbBooster::from_string(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let x = rows(400, 4);
        assert_eq!(b.predict(&x[..40 * 4], 1).expect("predict"), pred, "{name}");
        // The categorical and linear models exercise those checks.
        match name {
            "categorical" => assert!(text.contains("cat_boundaries=")),
            "linear" => assert!(text.contains("is_linear=1")),
            _ => {}
        }
    }
    for (name, text) in repo_models() {
        validate_model_text(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        LgbBooster::from_string(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[test]
fn the_parts_helper_rebuilds_the_same_text() {
    for (name, text) in repo_models() {
        assert_eq!(Parts::of(&text).text(), text, "{name}");
    }
}

/// Every cut before the end of the trees is rejected; a cut after them
/// either is rejected (a section left open) or loads and predicts as the
/// whole model (LightGBM needs nothing after the trees).
fn check_cuts(name: &str, text: &str, step: usize) {
    let trees_end = text.find("end of trees\n").expect("end of trees") + "end of trees".len();
    let whole = LgbBooster::from_string(text).expect("whole model");
    let n_features = whole.n_features();
    let x: Vec<f64> = rows(20, n_features.max(1));
    let want = whole.predict(&x, 1).expect("predict");
    let mut cut = 0;
    while cut < text.len() {
        if text.is_char_boundary(cut) {
            let part = &text[..cut];
            match validate_model_text(part) {
                Err(e) => {
                    assert!(e.0.len() < 300, "{name} cut at {cut}: long error");
                    assert!(LgbBooster::from_string(part).is_err());
                }
                Ok(()) => {
                    assert!(
                        cut >= trees_end,
                        "{name}: cut at byte {cut} of {} (trees end at {trees_end}) accepted",
                        text.len()
                    );
                    let b = LgbBooster::from_string(part).expect("accepted cut loads");
                    assert_eq!(b.predict(&x, 1).expect("predict"), want, "{name} cut {cut}");
                }
            }
        }
        cut += step;
    }
}

#[test]
fn truncated_models_are_rejected_at_every_cut() {
    for (name, text, _) in trained_models() {
        check_cuts(name, &text, 1);
    }
    for (name, text) in repo_models() {
        check_cuts(&name, &text, 37);
    }
}

#[test]
fn wrong_tree_sizes_are_rejected() {
    let (_, text, _) = trained_models().remove(0);
    let p = Parts::of(&text);
    let sizes: Vec<usize> = p.trees.iter().map(|t| t.len()).collect();
    let n = sizes.len();
    let join = |s: &[usize]| {
        s.iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let good = format!("tree_sizes={}\n", join(&sizes));
    let with = |s: &[usize]| text.replacen(&good, &format!("tree_sizes={}\n", join(s)), 1);
    for i in [0, n / 2, n - 1] {
        for delta in [-1i64, 1, -7, 40, 1 << 40] {
            let mut s = sizes.clone();
            s[i] = (s[i] as i64 + delta) as usize;
            rejected(&with(&s), "tree_sizes");
        }
    }
    rejected(&with(&sizes[..n - 1]), "tree_sizes");
    let mut more = sizes.clone();
    more.push(sizes[0]);
    rejected(&with(&more), "tree_sizes");
    let mut swapped = sizes.clone();
    let j = (1..n)
        .find(|&j| sizes[j] != sizes[0])
        .expect("two sizes differ");
    swapped.swap(0, j);
    rejected(&with(&swapped), "tree_sizes");
    rejected(&with(&[usize::MAX]), "tree_sizes");
    rejected(
        &text.replacen("tree_sizes=", "tree_sizes=x", 1),
        "tree_sizes",
    );
    let no_sizes = text.replacen(&good, "", 1);
    rejected(&no_sizes, "tree_sizes");
}

#[test]
fn arrays_of_the_wrong_length_are_rejected() {
    let (_, text, _) = trained_models().remove(0);
    let base = Parts::of(&text);
    let i = base.tree_with_leaves(3);
    for key in [
        "split_feature",
        "split_gain",
        "threshold",
        "decision_type",
        "left_child",
        "right_child",
        "leaf_value",
        "leaf_weight",
        "leaf_count",
        "internal_value",
        "internal_weight",
        "internal_count",
    ] {
        let mut p = Parts::of(&text);
        p.edit_tree(i, key, |v| {
            let mut vs = values(v);
            vs.pop();
            vs.join(" ")
        });
        rejected(&p.text(), key);
        let mut p = Parts::of(&text);
        p.edit_tree(i, key, |v| format!("{v} 1"));
        rejected(&p.text(), key);
    }
    // num_leaves disagreeing with the arrays.
    let mut p = Parts::of(&text);
    p.edit_tree(i, "num_leaves", |v| {
        (v.parse::<usize>().unwrap() + 1).to_string()
    });
    rejected(&p.text(), &format!("tree {i}"));
    // A missing array that LightGBM requires, and non-numbers.
    let mut p = Parts::of(&text);
    p.trees[i] = p.trees[i].replace("\nleft_child=", "\nleft_childx=");
    rejected(&p.text(), "left_childx");
    let mut p = Parts::of(&text);
    p.edit_tree(i, "threshold", |v| v.replacen(' ', " abc ", 1));
    rejected(&p.text(), "threshold");
    // A key line without '=' (LightGBM's parser scans for one unbounded).
    let mut p = Parts::of(&text);
    p.trees[i] = p.trees[i].replace("\nshrinkage=", "\nshrinkage");
    rejected(&p.text(), "no '='");
}

#[test]
fn children_and_features_out_of_range_are_rejected() {
    let (_, text, _) = trained_models().remove(0);
    let base = Parts::of(&text);
    let i = base.tree_with_leaves(4);
    let leaves: usize = base.trees[i]
        .lines()
        .find_map(|l| l.strip_prefix("num_leaves="))
        .unwrap()
        .parse()
        .unwrap();
    let set = |key: &str, at: usize, value: String| {
        let mut p = Parts::of(&text);
        p.edit_tree(i, key, |v| {
            let mut vs = values(v);
            vs[at] = value.clone();
            vs.join(" ")
        });
        p.text()
    };
    // Split index past the splits, leaf past the leaves, the root as a
    // child (a cycle), and a leaf reached twice.
    rejected(
        &set("left_child", 0, (leaves - 1).to_string()),
        "left_child[0]",
    );
    rejected(&set("left_child", 0, "2147483647".into()), "left_child[0]");
    rejected(
        &set("right_child", 0, format!("-{}", leaves + 1)),
        "right_child[0]",
    );
    rejected(&set("right_child", 1, "0".into()), "reached twice");
    let p = Parts::of(&text);
    let right0 = values(
        p.trees[i]
            .lines()
            .find_map(|l| l.strip_prefix("left_child="))
            .unwrap(),
    );
    let leaf = right0
        .iter()
        .find(|v| v.starts_with('-'))
        .expect("a leaf child")
        .clone();
    let other = right0.iter().position(|v| *v != leaf).unwrap();
    rejected(&set("left_child", other, leaf), "left_child");
    rejected(&set("left_child", 0, "x".into()), "left_child");
    // Features: max_feature_idx is 3.
    rejected(&set("split_feature", 0, "4".into()), "split_feature[0]");
    rejected(&set("split_feature", 0, "-1".into()), "split_feature[0]");
    // A categorical decision in a tree without categories, a bad type.
    rejected(&set("decision_type", 0, "1".into()), "categorical");
    rejected(&set("decision_type", 0, "14".into()), "decision_type[0]");
}

#[test]
fn categorical_and_linear_arrays_are_checked() {
    let models = trained_models();
    let (_, cat, _) = &models[2];
    let p = Parts::of(cat);
    let i = p
        .trees
        .iter()
        .position(|t| t.contains("cat_boundaries="))
        .expect("a categorical tree");
    let mut q = Parts::of(cat);
    q.edit_tree(i, "cat_boundaries", |v| {
        let mut vs = values(v);
        let last = vs.len() - 1;
        vs[last] = (vs[last].parse::<i64>().unwrap() + 1).to_string();
        vs.join(" ")
    });
    rejected(&q.text(), "cat_threshold");
    let mut q = Parts::of(cat);
    q.edit_tree(i, "num_cat", |v| {
        (v.parse::<usize>().unwrap() + 1).to_string()
    });
    rejected(&q.text(), "cat_boundaries");
    // A categorical split's threshold indexes the category sets.
    let mut q = Parts::of(cat);
    let dt = values(
        q.trees[i]
            .lines()
            .find_map(|l| l.strip_prefix("decision_type="))
            .unwrap(),
    );
    let node = dt
        .iter()
        .position(|d| d.parse::<i32>().unwrap() & 1 == 1)
        .unwrap();
    q.edit_tree(i, "threshold", |v| {
        let mut vs = values(v);
        vs[node] = "99".into();
        vs.join(" ")
    });
    rejected(&q.text(), &format!("categorical split {node}"));

    let (_, lin, _) = &models[3];
    // The first round's linear trees have no coefficients yet.
    let j = Parts::of(lin)
        .trees
        .iter()
        .position(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("num_features="))
                .is_some_and(|v| values(v).iter().any(|n| n != "0"))
        })
        .expect("a linear tree with coefficients");
    let mut q = Parts::of(lin);
    q.edit_tree(j, "leaf_features", |v| {
        let mut vs = values(v);
        vs[0] = "9".into();
        vs.join(" ")
    });
    rejected(&q.text(), "leaf_features");
    let mut q = Parts::of(lin);
    q.edit_tree(j, "num_features", |v| {
        let mut vs = values(v);
        vs[0] = (vs[0].parse::<u32>().unwrap() + 1).to_string();
        vs.join(" ")
    });
    rejected(&q.text(), "leaf_features");
}

#[test]
fn header_faults_are_rejected() {
    let models = trained_models();
    let (_, text, _) = &models[0];
    let (_, multi, _) = &models[1];
    for key in [
        "version",
        "num_class",
        "num_tree_per_iteration",
        "label_index",
        "max_feature_idx",
        "feature_names",
        "feature_infos",
    ] {
        let mut p = Parts::of(text);
        p.edit_header(key, |_| None);
        rejected(&p.text(), &format!("no {key}"));
    }
    let edit = |t: &str, key: &str, v: &str| {
        let mut p = Parts::of(t);
        p.edit_header(key, |_| Some(v.to_string()));
        p.text()
    };
    // LightGBM divides by num_tree_per_iteration.
    rejected(
        &edit(text, "num_tree_per_iteration", "0"),
        "num_tree_per_iteration",
    );
    rejected(&edit(text, "num_class", "0"), "num_class");
    rejected(&edit(text, "max_feature_idx", "4"), "feature_names");
    rejected(&edit(text, "max_feature_idx", "-1"), "max_feature_idx");
    rejected(&edit(text, "feature_infos", "none none"), "feature_infos");
    rejected(&edit(text, "version", "4"), "version");
    // LightGBM reads the first word of objective unchecked.
    rejected(&edit(text, "objective", ""), "objective");
    rejected(&edit(text, "objective", "nonsense"), "objective");
    // The multiclass output transform writes num_class values.
    rejected(
        &edit(multi, "objective", "multiclass num_class:5"),
        "num_class:5",
    );
    rejected(
        &edit(multi, "objective", "regression"),
        "objective regression",
    );
    // Three classes need whole iterations of three trees.
    let mut p = Parts::of(multi);
    p.trees.pop();
    rejected(&p.text(), "whole iterations");
    let mut p = Parts::of(text);
    p.header.push("max_feature_idx=3".into());
    rejected(&p.text(), "twice");
    let mut p = Parts::of(text);
    p.header
        .push(format!("unknown_key={}", "x".repeat(1 << 20)));
    rejected(&p.text(), "unknown header line");
    rejected(&text.replacen("tree\n", "trees\n", 1), "first line");
    rejected("", "empty");
}

#[test]
fn sections_after_the_trees_are_checked() {
    let (_, text, _) = trained_models().remove(0);
    rejected(
        &text.replacen("end of trees", "end of tree", 1),
        "end of trees",
    );
    rejected(
        &text.replacen("end of parameters\n", "", 1),
        "end of parameters",
    );
    rejected(
        &text.replacen("parameters:\n", "parameters:\nnot a parameter\n", 1),
        "parameters section",
    );
    rejected(
        &text.replacen("feature_importances:\n", "feature_importances:\nf1=x\n", 1),
        "feature_importances",
    );
    rejected(&format!("{text}garbage\n"), "unexpected line");
    // Python LightGBM's trailer is accepted.
    let with_pandas = format!("{text}\npandas_categorical:null\n");
    validate_model_text(&with_pandas).expect("pandas_categorical line");
}

#[test]
fn bytes_that_are_not_model_text_are_rejected() {
    let (_, text, _) = trained_models().remove(0);
    rejected(&text.replace('\n', "\r\n"), "control character");
    rejected(
        &text.replacen("num_leaves", "num_\0leaves", 1),
        "control character",
    );
    let mut big = text.clone();
    big.push_str(&"\n".repeat(MAX_MODEL_TEXT_BYTES + 1 - big.len()));
    rejected(&big, "bytes, more than");
}
