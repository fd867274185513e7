//! A small, strict reader and writer of the safetensors format
//! (<https://github.com/huggingface/safetensors>): an 8-byte little-endian
//! header length, a JSON header naming each tensor's dtype, shape and byte
//! range, then the raw little-endian data. Only float tensors are read.

use crate::error::LstmError;
use std::collections::BTreeMap;

/// Serialise f32 tensors `(name, shape, values)` plus string metadata.
pub(crate) fn write_f32(
    tensors: &[(&str, &[usize], &[f32])],
    metadata: &[(&str, &str)],
) -> Vec<u8> {
    let mut header = serde_json::Map::new();
    if !metadata.is_empty() {
        let meta: serde_json::Map<String, serde_json::Value> = metadata
            .iter()
            .map(|(k, v)| (k.to_string(), serde_json::Value::from(*v)))
            .collect();
        header.insert("__metadata__".into(), meta.into());
    }
    let mut offset = 0usize;
    for (name, shape, values) in tensors {
        let len = values.len() * 4;
        header.insert(
            name.to_string(),
            serde_json::json!({
                "dtype": "F32",
                "shape": shape,
                "data_offsets": [offset, offset + len],
            }),
        );
        offset += len;
    }
    let mut json = serde_json::Value::Object(header).to_string().into_bytes();
    // The reference implementation pads the header with spaces to 8 bytes.
    while !json.len().is_multiple_of(8) {
        json.push(b' ');
    }
    let mut out = Vec::with_capacity(8 + json.len() + offset);
    out.extend_from_slice(&(json.len() as u64).to_le_bytes());
    out.extend_from_slice(&json);
    for (_, _, values) in tensors {
        for v in *values {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    out
}

/// Decode little-endian values of a safetensors dtype name into f32.
pub(crate) fn decode_values(dtype: &str, bytes: &[u8]) -> Result<Vec<f32>, String> {
    let conv = |size: usize, f: &dyn Fn(&[u8]) -> f32| -> Result<Vec<f32>, String> {
        if !bytes.len().is_multiple_of(size) {
            return Err(format!(
                "{} bytes is not a whole number of {dtype} values",
                bytes.len()
            ));
        }
        Ok(bytes.chunks_exact(size).map(f).collect())
    };
    match dtype {
        "F32" => conv(4, &|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
        "F64" => conv(8, &|b| {
            f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]) as f32
        }),
        "BF16" => conv(2, &|b| {
            f32::from_bits((u16::from_le_bytes([b[0], b[1]]) as u32) << 16)
        }),
        "F16" => conv(2, &|b| f16_to_f32(u16::from_le_bytes([b[0], b[1]]))),
        other => Err(format!("dtype {other} is not a float type")),
    }
}

fn f16_to_f32(h: u16) -> f32 {
    let sign = ((h >> 15) as u32) << 31;
    let exp = ((h >> 10) & 0x1f) as u32;
    let man = (h & 0x3ff) as u32;
    let bits = match (exp, man) {
        (0, 0) => sign,
        (0, m) => {
            // Subnormal: value = m * 2^-24.
            let v = m as f32 * (1.0 / 16_777_216.0);
            return if sign != 0 { -v } else { v };
        }
        (0x1f, m) => sign | 0x7f80_0000 | (m << 13),
        (e, m) => sign | ((e + 112) << 23) | (m << 13),
    };
    f32::from_bits(bits)
}

/// Parse a safetensors file into `name -> (shape, f32 values)`.
pub(crate) fn read_f32(bytes: &[u8]) -> Result<crate::weights::StateDict, LstmError> {
    let bad = |why: String| LstmError::Import(format!("safetensors: {why}"));
    if bytes.len() < 8 {
        return Err(bad(format!("file of {} bytes has no header", bytes.len())));
    }
    let mut n = [0u8; 8];
    n.copy_from_slice(&bytes[..8]);
    let n = u64::from_le_bytes(n);
    let data_start =
        8u64.checked_add(n)
            .filter(|&e| e <= bytes.len() as u64)
            .ok_or_else(|| bad(format!("header length {n} exceeds the file")))? as usize;
    let header: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&bytes[8..data_start]).map_err(|e| bad(format!("header: {e}")))?;
    let data = &bytes[data_start..];
    let mut out = BTreeMap::new();
    for (name, info) in header {
        if name == "__metadata__" {
            continue;
        }
        let dtype = info
            .get("dtype")
            .and_then(|v| v.as_str())
            .ok_or_else(|| bad(format!("tensor `{name}` has no dtype")))?;
        let shape: Vec<usize> = info
            .get("shape")
            .and_then(|v| v.as_array())
            .ok_or_else(|| bad(format!("tensor `{name}` has no shape")))?
            .iter()
            .map(|d| d.as_u64().map(|d| d as usize))
            .collect::<Option<_>>()
            .ok_or_else(|| bad(format!("tensor `{name}` has a bad shape")))?;
        let offs: Vec<usize> = info
            .get("data_offsets")
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|d| d.as_u64().map(|d| d as usize))
                    .collect()
            })
            .unwrap_or_default();
        let [b, e] = offs[..] else {
            return Err(bad(format!("tensor `{name}` has bad data_offsets")));
        };
        if b > e || e > data.len() {
            return Err(bad(format!(
                "tensor `{name}` spans bytes {b}..{e} of a {}-byte buffer",
                data.len()
            )));
        }
        let values =
            decode_values(dtype, &data[b..e]).map_err(|w| bad(format!("tensor `{name}`: {w}")))?;
        // Checked: a wrapped product could match an empty buffer and pass
        // an absurd shape on to code that sizes allocations from it.
        let expect = shape
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))
            .ok_or_else(|| {
                bad(format!(
                    "tensor `{name}` has a shape {shape:?} too large to hold"
                ))
            })?;
        if values.len() != expect {
            return Err(bad(format!(
                "tensor `{name}` holds {} values, its shape {shape:?} needs {expect}",
                values.len()
            )));
        }
        out.insert(name, (shape, values));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncated_or_garbage_safetensors_is_an_error_not_a_panic() {
        let ok = write_f32(&[("a", &[2], &[1.0, 2.0])], &[]);
        for cut in [0, 7, 9, ok.len() - 1] {
            assert!(read_f32(&ok[..cut]).is_err(), "cut {cut}");
        }
        let mut huge = ok.clone();
        huge[..8].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(read_f32(&huge).is_err());
        assert_eq!(read_f32(&ok).unwrap()["a"], (vec![2], vec![1.0, 2.0]));
    }

    #[test]
    fn half_precision_values_decode() {
        // 1.0, -2.0, 0.5 in f16 and bf16.
        let f16 = [0x00u8, 0x3c, 0x00, 0xc0, 0x00, 0x38];
        assert_eq!(decode_values("F16", &f16).unwrap(), vec![1.0, -2.0, 0.5]);
        let bf16 = [0x80u8, 0x3f, 0x00, 0xc0, 0x00, 0x3f];
        assert_eq!(decode_values("BF16", &bf16).unwrap(), vec![1.0, -2.0, 0.5]);
    }
}
