//! The gate in front of LightGBM's text-model parser.
//!
//! LightGBM's loader (`GBDT::LoadModelFromString`, `Tree::Tree(const char*)`)
//! trusts its input: it jumps to each tree at the offsets `tree_sizes` claims
//! without checking them against the text, scans a tree's `key=value` lines
//! for `=` and `\n` past the end of the buffer, divides by
//! `num_tree_per_iteration`, indexes the first word of `objective`, and at
//! prediction time follows `left_child`/`right_child`, `split_feature` and
//! the categorical boundaries as array indices without bounds checks. A
//! truncated or crafted `model.txt` therefore reads out of bounds, loops or
//! aborts the process. [`validate_model_text`] checks everything that parser
//! and the predictor rely on, so only well-formed models reach the C++ code;
//! [`crate::LgbBooster::from_string`], the one text loader, calls it first.

use crate::LgbError;
use std::collections::HashMap;

type Result<T> = std::result::Result<T, LgbError>;

/// Largest model text accepted (a 3-class model of 1,000 iterations with 255
/// leaves per tree is about 60 MB).
pub const MAX_MODEL_TEXT_BYTES: usize = 128 << 20;
/// LightGBM's own upper bound on `num_leaves`.
const MAX_LEAVES: usize = 131_072;
/// More classes than any model here has; bounds the per-row output buffers.
const MAX_CLASSES: usize = 10_000;
/// Characters of a offending token quoted in an error, at most.
const QUOTE: usize = 40;

/// Objectives LightGBM's `CreateObjectiveFunction` knows.
const OBJECTIVES: [&str; 17] = [
    "regression",
    "regression_l1",
    "quantile",
    "huber",
    "fair",
    "poisson",
    "binary",
    "lambdarank",
    "rank_xendcg",
    "multiclass",
    "multiclassova",
    "cross_entropy",
    "cross_entropy_lambda",
    "mape",
    "gamma",
    "tweedie",
    "custom",
];

/// Header keys LightGBM writes (`GBDT::SaveModelToString`).
const HEADER_KEYS: [&str; 11] = [
    "version",
    "num_class",
    "num_tree_per_iteration",
    "label_index",
    "max_feature_idx",
    "objective",
    "average_output",
    "feature_names",
    "monotone_constraints",
    "feature_infos",
    "tree_sizes",
];

/// Tree keys LightGBM writes (`Tree::ToString`); its parser reads at most
/// this many lines per tree.
const TREE_KEYS: [&str; 22] = [
    "num_leaves",
    "num_cat",
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
    "cat_boundaries",
    "cat_threshold",
    "is_linear",
    "leaf_const",
    "num_features",
    "leaf_features",
    "leaf_coeff",
    "shrinkage",
];

fn err(msg: impl Into<String>) -> LgbError {
    LgbError(format!("model text: {}", msg.into()))
}

/// `s` for an error message: at most [`QUOTE`] characters, escaped.
fn quote(s: &str) -> String {
    let cut: String = s.chars().take(QUOTE).collect();
    if cut.len() < s.len() {
        format!("{cut:?}...")
    } else {
        format!("{cut:?}")
    }
}

/// Splits on single spaces, skipping empty items, as LightGBM's
/// `Common::Split(str, ' ')` does.
fn items(value: &str) -> impl Iterator<Item = &str> {
    value.split(' ').filter(|s| !s.is_empty())
}

fn parse_int<T: std::str::FromStr>(token: &str, what: &str) -> Result<T> {
    token.parse().map_err(|_| {
        err(format!(
            "{what}: {} is not an integer in range",
            quote(token)
        ))
    })
}

fn parse_float(token: &str, what: &str) -> Result<f64> {
    token
        .parse()
        .map_err(|_| err(format!("{what}: {} is not a number", quote(token))))
}

/// Checks that `text` is a LightGBM text model that LightGBM's parser and
/// predictor can read without going out of bounds: size, characters, the
/// header keys and their values, `tree_sizes` against the actual `Tree=`
/// blocks, every tree's arrays (lengths from `num_leaves` and `num_cat`,
/// child and feature indices in range, children forming one tree), the
/// `end of trees` marker and the sections after it. The error names what is
/// wrong and where, quoting no more than a short token of the text.
pub fn validate_model_text(text: &str) -> Result<()> {
    if text.len() > MAX_MODEL_TEXT_BYTES {
        return Err(err(format!(
            "{} bytes, more than the {} accepted",
            text.len(),
            MAX_MODEL_TEXT_BYTES
        )));
    }
    if let Some((i, c)) = text
        .char_indices()
        .find(|&(_, c)| c != '\n' && c.is_control())
    {
        return Err(err(format!(
            "control character {:?} at byte {i} (LightGBM writes plain text with \\n line ends)",
            c
        )));
    }
    let header = parse_header(text)?;
    let trees_end = check_tree_blocks(text, &header)?;
    check_trailer(text, trees_end)
}

/// What the trees are checked against.
struct Header {
    n_features: usize,
    tree_sizes: Vec<usize>,
    /// Byte offset of the first `Tree=` line (or `end of trees` with no tree).
    trees_start: usize,
}

/// Lines of `text` from byte `start`: (offset, line without its `\n`).
fn lines_from(text: &str, start: usize) -> impl Iterator<Item = (usize, &str)> {
    let mut pos = start;
    std::iter::from_fn(move || {
        if pos >= text.len() {
            return None;
        }
        let rest = &text[pos..];
        let len = rest.find('\n').unwrap_or(rest.len());
        let at = pos;
        pos += len + 1;
        Some((at, &rest[..len]))
    })
}

fn parse_header(text: &str) -> Result<Header> {
    let mut lines = lines_from(text, 0);
    match lines.next() {
        Some((_, "tree")) => {}
        Some((_, first)) => {
            return Err(err(format!(
                "first line is {}, expected \"tree\"",
                quote(first)
            )));
        }
        None => return Err(err("empty")),
    }
    let mut keys: HashMap<&str, &str> = HashMap::new();
    let mut trees_start = None;
    for (at, line) in lines {
        if line.starts_with("Tree=") || line == "end of trees" {
            trees_start = Some(at);
            break;
        }
        if line.is_empty() {
            continue;
        }
        let (key, value) = line.split_once('=').unwrap_or((line, ""));
        if !HEADER_KEYS.contains(&key) {
            return Err(err(format!("unknown header line {}", quote(line))));
        }
        if keys.insert(key, value).is_some() {
            return Err(err(format!("header key {key} appears twice")));
        }
    }
    let trees_start = trees_start.ok_or_else(|| err("no Tree= block and no \"end of trees\""))?;
    let get = |k: &str| {
        keys.get(k)
            .copied()
            .ok_or_else(|| err(format!("header has no {k}")))
    };

    let version = get("version")?;
    if !(version.len() >= 2
        && version.starts_with('v')
        && version[1..].bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(err(format!(
            "version {} is not of the form v<number>",
            quote(version)
        )));
    }
    let num_class: usize = parse_int(get("num_class")?, "num_class")?;
    if num_class == 0 || num_class > MAX_CLASSES {
        return Err(err(format!(
            "num_class = {num_class}, expected 1 to {MAX_CLASSES}"
        )));
    }
    let per_iter: usize = parse_int(get("num_tree_per_iteration")?, "num_tree_per_iteration")?;
    if per_iter != num_class {
        return Err(err(format!(
            "num_tree_per_iteration = {per_iter} but num_class = {num_class} (LightGBM writes one tree per class)"
        )));
    }
    let _: i32 = parse_int(get("label_index")?, "label_index")?;
    let max_feature_idx: i32 = parse_int(get("max_feature_idx")?, "max_feature_idx")?;
    if max_feature_idx < 0 {
        return Err(err(format!(
            "max_feature_idx = {max_feature_idx}, a model needs at least one feature"
        )));
    }
    let n_features = usize::try_from(max_feature_idx)
        .ok()
        .and_then(|m| m.checked_add(1))
        .ok_or_else(|| err("max_feature_idx out of range"))?;
    if let Some(v) = keys.get("average_output")
        && !v.is_empty()
    {
        return Err(err("average_output takes no value"));
    }
    let names = items(get("feature_names")?).count();
    if names != n_features {
        return Err(err(format!(
            "feature_names has {names} names, max_feature_idx = {max_feature_idx} needs {n_features}"
        )));
    }
    let infos = items(get("feature_infos")?).count();
    if infos != n_features {
        return Err(err(format!(
            "feature_infos has {infos} entries, max_feature_idx = {max_feature_idx} needs {n_features}"
        )));
    }
    if let Some(mc) = keys.get("monotone_constraints") {
        let mut n = 0usize;
        for t in items(mc) {
            let v: i8 = parse_int(t, "monotone_constraints")?;
            if !(-1..=1).contains(&v) {
                return Err(err(format!("monotone_constraints: {v} is not -1, 0 or 1")));
            }
            n += 1;
        }
        if n != n_features {
            return Err(err(format!(
                "monotone_constraints has {n} entries, max_feature_idx = {max_feature_idx} needs {n_features}"
            )));
        }
    }
    if let Some(obj) = keys.get("objective") {
        check_objective(obj, num_class)?;
    }
    let tree_sizes = items(get("tree_sizes")?)
        .map(|t| parse_int::<usize>(t, "tree_sizes"))
        .collect::<Result<Vec<_>>>()?;
    // Also keeps LightGBM's header loop, which runs to the first `Tree=`
    // line, from reading the sections after the trees as header keys.
    if tree_sizes.is_empty() {
        return Err(err("tree_sizes lists no tree; a model needs at least one"));
    }
    if !tree_sizes.len().is_multiple_of(per_iter) {
        return Err(err(format!(
            "{} trees do not make whole iterations of {per_iter} trees",
            tree_sizes.len()
        )));
    }
    Ok(Header {
        n_features,
        tree_sizes,
        trees_start,
    })
}

/// `objective=<name> key:value ...`: a name LightGBM knows; multiclass
/// objectives carry the model's `num_class` (their output transform
/// writes that many values), the others need `num_class` = 1.
fn check_objective(obj: &str, num_class: usize) -> Result<()> {
    let mut words = items(obj);
    let name = words.next().ok_or_else(|| err("objective is empty"))?;
    if !OBJECTIVES.contains(&name) {
        return Err(err(format!("unknown objective {}", quote(name))));
    }
    let mut obj_classes = None;
    for w in words {
        let (k, v) = w
            .split_once(':')
            .ok_or_else(|| err(format!("objective parameter {} is not key:value", quote(w))))?;
        if k == "num_class" {
            obj_classes = Some(parse_int::<usize>(v, "objective num_class")?);
        }
    }
    if name.starts_with("multiclass") {
        match obj_classes {
            Some(n) if n == num_class => Ok(()),
            Some(n) => Err(err(format!(
                "objective says num_class:{n}, header num_class = {num_class}"
            ))),
            None => Err(err(format!("objective {name} has no num_class"))),
        }
    } else if num_class != 1 {
        Err(err(format!(
            "objective {name} with num_class = {num_class}; only multiclass objectives have more than one class"
        )))
    } else {
        Ok(())
    }
}

/// Walks the `Tree=` blocks at the offsets `tree_sizes` gives, checks each,
/// and returns the offset just past the last one (where `end of trees`
/// must start).
fn check_tree_blocks(text: &str, h: &Header) -> Result<usize> {
    let mut at = h.trees_start;
    for (i, &size) in h.tree_sizes.iter().enumerate() {
        let end = at
            .checked_add(size)
            .filter(|&e| e <= text.len())
            .ok_or_else(|| {
                err(format!(
                    "tree_sizes: tree {i} of {size} bytes at byte {at} runs past the end of the text ({} bytes)",
                    text.len()
                ))
            })?;
        let block = text.get(at..end).ok_or_else(|| {
            err(format!(
                "tree_sizes: tree {i} does not end on a character boundary"
            ))
        })?;
        check_tree(block, i, h.n_features)?;
        at = end;
    }
    let rest = &text[at..];
    if !(rest.starts_with("end of trees\n") || rest == "end of trees") {
        let what = if rest.starts_with("Tree=") {
            "another Tree= block (more trees than tree_sizes lists)".to_string()
        } else {
            quote(rest.lines().next().unwrap_or(""))
        };
        return Err(err(format!(
            "tree_sizes: after {} trees, byte {at} holds {what} instead of \"end of trees\"",
            h.tree_sizes.len()
        )));
    }
    Ok(at)
}

/// One tree's `key=value` lines, as LightGBM's `Tree` constructor reads them.
struct TreeKeys<'a> {
    tree: usize,
    keys: HashMap<&'a str, &'a str>,
}

impl<'a> TreeKeys<'a> {
    fn get(&self, k: &str) -> Option<&'a str> {
        self.keys.get(k).copied()
    }

    fn require(&self, k: &str) -> Result<&'a str> {
        self.get(k)
            .ok_or_else(|| err(format!("tree {}: no {k}", self.tree)))
    }

    fn what(&self, k: &str) -> String {
        format!("tree {}: {k}", self.tree)
    }

    /// The values of `k` (absent: none), which must number `n`.
    fn counted<T>(
        &self,
        k: &str,
        n: usize,
        parse: impl Fn(&str, &str) -> Result<T>,
    ) -> Result<Option<Vec<T>>> {
        let Some(v) = self.get(k) else {
            return Ok(None);
        };
        let what = self.what(k);
        let vals = items(v)
            .map(|t| parse(t, &what))
            .collect::<Result<Vec<_>>>()?;
        if vals.len() != n {
            return Err(err(format!(
                "{what} has {} values, expected {n}",
                vals.len()
            )));
        }
        Ok(Some(vals))
    }

    fn ints<T: std::str::FromStr>(&self, k: &str, n: usize) -> Result<Option<Vec<T>>> {
        self.counted(k, n, |t, what| parse_int::<T>(t, what))
    }

    fn floats(&self, k: &str, n: usize) -> Result<Option<Vec<f64>>> {
        self.counted(k, n, parse_float)
    }
}

fn check_tree(block: &str, i: usize, n_features: usize) -> Result<()> {
    let mut lines = block.split('\n');
    let first = lines.next().unwrap_or("");
    if first != format!("Tree={i}") {
        return Err(err(format!(
            "tree_sizes: tree {i} starts with {}, expected \"Tree={i}\"",
            quote(first)
        )));
    }
    // Key lines up to the empty line that ends the tree; LightGBM's parser
    // scans for '=' and '\n' without a bound, so both must be in the block.
    let mut keys = HashMap::new();
    let mut closed = false;
    let mut body = block[first.len()..].strip_prefix('\n').unwrap_or("");
    while !body.is_empty() {
        let Some(nl) = body.find('\n') else {
            break;
        };
        let line = &body[..nl];
        body = &body[nl + 1..];
        if line.is_empty() {
            closed = true;
            break;
        }
        let (k, v) = line
            .split_once('=')
            .ok_or_else(|| err(format!("tree {i}: line {} has no '='", quote(line))))?;
        if !TREE_KEYS.contains(&k) {
            return Err(err(format!("tree {i}: unknown key {}", quote(k))));
        }
        if keys.insert(k, v).is_some() {
            return Err(err(format!("tree {i}: {k} appears twice")));
        }
    }
    if !closed {
        return Err(err(format!(
            "tree {i}: no empty line ends it within its {} bytes (tree_sizes wrong or text cut)",
            block.len()
        )));
    }
    if !body.bytes().all(|b| b == b'\n') {
        return Err(err(format!(
            "tree {i}: text after the tree's empty line within its tree_sizes bytes"
        )));
    }
    check_tree_arrays(&TreeKeys { tree: i, keys }, n_features)
}

fn check_tree_arrays(t: &TreeKeys<'_>, n_features: usize) -> Result<()> {
    let i = t.tree;
    let num_leaves: usize = parse_int(t.require("num_leaves")?, &t.what("num_leaves"))?;
    if num_leaves == 0 || num_leaves > MAX_LEAVES {
        return Err(err(format!(
            "tree {i}: num_leaves = {num_leaves}, expected 1 to {MAX_LEAVES}"
        )));
    }
    let internal = num_leaves - 1;
    let num_cat: usize = parse_int(t.require("num_cat")?, &t.what("num_cat"))?;
    if num_cat > internal {
        return Err(err(format!(
            "tree {i}: num_cat = {num_cat} but only {internal} splits"
        )));
    }
    t.require("leaf_value")?;
    t.floats("leaf_value", num_leaves)?;
    t.ints::<i32>("leaf_count", num_leaves)?;
    if let Some(s) = t.get("shrinkage") {
        parse_float(s, &t.what("shrinkage"))?;
    }
    let is_linear = match t.get("is_linear") {
        None | Some("0") => false,
        Some("1") => true,
        Some(v) => {
            return Err(err(format!(
                "tree {i}: is_linear = {}, expected 0 or 1",
                quote(v)
            )));
        }
    };

    let need = |k: &str| -> Result<()> {
        if internal > 0 || is_linear {
            t.require(k)?;
        }
        Ok(())
    };
    // LightGBM reads the leaf weights of a tree that splits (or is linear)
    // only: a one-leaf tree it parsed is written back with them empty.
    if internal > 0 || is_linear {
        t.floats("leaf_weight", num_leaves)?;
    }
    for k in ["left_child", "right_child", "split_feature", "threshold"] {
        need(k)?;
    }
    let left = t.ints::<i32>("left_child", internal)?.unwrap_or_default();
    let right = t.ints::<i32>("right_child", internal)?.unwrap_or_default();
    let split_feature = t
        .ints::<i32>("split_feature", internal)?
        .unwrap_or_default();
    let threshold = t.floats("threshold", internal)?.unwrap_or_default();
    t.floats("split_gain", internal)?;
    t.floats("internal_value", internal)?;
    t.floats("internal_weight", internal)?;
    t.ints::<i32>("internal_count", internal)?;
    let decision = t
        .ints::<i8>("decision_type", internal)?
        .unwrap_or_else(|| vec![0; internal]);

    for (node, &f) in split_feature.iter().enumerate() {
        if f < 0 || f as u64 >= n_features as u64 {
            return Err(err(format!(
                "tree {i}: split_feature[{node}] = {f}, the model has features 0 to {}",
                n_features - 1
            )));
        }
    }
    check_children(i, &left, &right, num_leaves)?;

    // Categorical splits: decision_type bit 0; their threshold indexes
    // cat_boundaries, which index cat_threshold.
    let n_bits = if num_cat > 0 {
        let bounds = t
            .ints::<i32>("cat_boundaries", num_cat + 1)?
            .ok_or_else(|| {
                err(format!(
                    "tree {i}: num_cat = {num_cat} but no cat_boundaries"
                ))
            })?;
        if bounds[0] != 0 || bounds.windows(2).any(|w| w[1] < w[0]) {
            return Err(err(format!(
                "tree {i}: cat_boundaries must start at 0 and never decrease"
            )));
        }
        let last = usize::try_from(bounds[num_cat])
            .map_err(|_| err(format!("tree {i}: cat_boundaries out of range")))?;
        t.require("cat_threshold")?;
        t.ints::<u32>("cat_threshold", last)?;
        Some(num_cat)
    } else {
        None
    };
    for (node, &d) in decision.iter().enumerate() {
        // Bits LightGBM uses: 1 categorical, 2 default left, 4|8 missing type
        // (0 none, 1 zero, 2 NaN).
        if !(0..=15).contains(&d) || (d >> 2) & 3 == 3 {
            return Err(err(format!(
                "tree {i}: decision_type[{node}] = {d} is not a LightGBM decision type"
            )));
        }
        if d & 1 == 1 {
            let Some(n) = n_bits else {
                return Err(err(format!(
                    "tree {i}: split {node} is categorical but num_cat = 0"
                )));
            };
            let th = threshold[node];
            if !(th >= 0.0 && th.fract() == 0.0 && th < n as f64) {
                return Err(err(format!(
                    "tree {i}: categorical split {node} has threshold {th}, expected a category set index below {n}"
                )));
            }
        }
    }

    if is_linear {
        t.floats("leaf_const", num_leaves)?;
        if let Some(counts) = t.ints::<u32>("num_features", num_leaves)? {
            let total = counts
                .iter()
                .try_fold(0usize, |a, &c| a.checked_add(c as usize));
            let total = total
                .filter(|&n| n <= n_features.saturating_mul(num_leaves))
                .ok_or_else(|| err(format!("tree {i}: num_features too large")))?;
            if let Some(fs) = t.ints::<i32>("leaf_features", total)?
                && let Some(f) = fs.iter().find(|&&f| f < 0 || f as u64 >= n_features as u64)
            {
                return Err(err(format!(
                    "tree {i}: leaf_features has feature {f}, the model has features 0 to {}",
                    n_features - 1
                )));
            }
            t.floats("leaf_coeff", total)?;
        } else if t.get("leaf_features").is_some() || t.get("leaf_coeff").is_some() {
            return Err(err(format!(
                "tree {i}: leaf_features or leaf_coeff without num_features"
            )));
        }
    }
    Ok(())
}

/// `left_child`/`right_child` must form one binary tree over the
/// `num_leaves - 1` splits (node indices >= 0) and `num_leaves` leaves
/// (`~leaf` < 0): every child in range, the root never a child, every other
/// node and every leaf the child of exactly one split, all reached from the
/// root (so prediction always ends at a leaf).
fn check_children(i: usize, left: &[i32], right: &[i32], num_leaves: usize) -> Result<()> {
    let internal = num_leaves - 1;
    if internal == 0 {
        return Ok(());
    }
    let mut node_seen = vec![false; internal];
    let mut leaf_seen = vec![false; num_leaves];
    node_seen[0] = true;
    let mut stack = vec![0usize];
    let mut reached = 1usize;
    while let Some(node) = stack.pop() {
        for (side, c) in [("left_child", left[node]), ("right_child", right[node])] {
            if c >= 0 {
                let c_us = c as usize;
                if c_us >= internal {
                    return Err(err(format!(
                        "tree {i}: {side}[{node}] = {c}, the tree has splits 0 to {}",
                        internal - 1
                    )));
                }
                if node_seen[c_us] {
                    return Err(err(format!(
                        "tree {i}: {side}[{node}] = {c} is reached twice (children must form a tree)"
                    )));
                }
                node_seen[c_us] = true;
                reached += 1;
                stack.push(c_us);
            } else {
                let leaf = !c;
                if leaf as u64 >= num_leaves as u64 {
                    return Err(err(format!(
                        "tree {i}: {side}[{node}] = {c} names leaf {leaf}, the tree has leaves 0 to {}",
                        num_leaves - 1
                    )));
                }
                let leaf = leaf as usize;
                if leaf_seen[leaf] {
                    return Err(err(format!(
                        "tree {i}: {side}[{node}] = {c}: leaf {leaf} is reached twice"
                    )));
                }
                leaf_seen[leaf] = true;
            }
        }
    }
    if reached != internal || leaf_seen.iter().any(|s| !s) {
        return Err(err(format!(
            "tree {i}: left_child/right_child do not reach every split and leaf from the root"
        )));
    }
    Ok(())
}

/// After `end of trees`: optional `feature_importances:`, `parameters:` ...
/// `end of parameters`, `parser:` ... `end of parser` sections and Python's
/// `pandas_categorical:` line, separated by empty lines, in that order.
fn check_trailer(text: &str, at: usize) -> Result<()> {
    let mut lines = lines_from(text, at).map(|(_, l)| l).peekable();
    lines.next(); // "end of trees"
    let mut stage = 0u8;
    while let Some(line) = lines.next() {
        match line {
            "" => {}
            "feature_importances:" if stage < 1 => {
                stage = 1;
                while let Some(l) = lines.next_if(|l| !l.is_empty()) {
                    let ok = l
                        .rsplit_once('=')
                        .is_some_and(|(name, n)| !name.is_empty() && n.parse::<u64>().is_ok());
                    if !ok {
                        return Err(err(format!(
                            "feature_importances: line {} is not name=count",
                            quote(l)
                        )));
                    }
                }
            }
            "parameters:" if stage < 2 => {
                stage = 2;
                section(&mut lines, "parameters", "end of parameters", |l| {
                    l.is_empty() || (l.starts_with('[') && l.ends_with(']') && l.contains(": "))
                })?;
            }
            "parser:" if stage < 3 => {
                stage = 3;
                section(&mut lines, "parser", "end of parser", |_| true)?;
            }
            l if l.starts_with("pandas_categorical:") && stage < 4 => stage = 4,
            other => {
                return Err(err(format!(
                    "after \"end of trees\": unexpected line {}",
                    quote(other)
                )));
            }
        }
    }
    Ok(())
}

/// Lines up to `end` (which must come), each accepted by `ok`.
fn section<'a>(
    lines: &mut impl Iterator<Item = &'a str>,
    name: &str,
    end: &str,
    ok: impl Fn(&str) -> bool,
) -> Result<()> {
    for l in lines.by_ref() {
        if l == end {
            return Ok(());
        }
        if !ok(l) {
            return Err(err(format!(
                "{name} section: line {} is malformed",
                quote(l)
            )));
        }
    }
    Err(err(format!("{name} section has no \"{end}\" (text cut?)")))
}
