//! NumPy `.npy` (format 1.0) for f64 and i64 arrays in C order, so `numpy.load`
//! reads what the agents save and we read what NumPy writes.

use crate::error::{CoreError, Result};

const MAGIC: &[u8] = b"\x93NUMPY";

/// The element types supported.
pub trait NpyElement: Copy {
    const DESCR: &'static str;
    fn to_le(self) -> [u8; 8];
    fn from_le(b: [u8; 8]) -> Self;
}

impl NpyElement for f64 {
    const DESCR: &'static str = "<f8";
    fn to_le(self) -> [u8; 8] {
        self.to_le_bytes()
    }
    fn from_le(b: [u8; 8]) -> Self {
        f64::from_le_bytes(b)
    }
}

impl NpyElement for i64 {
    const DESCR: &'static str = "<i8";
    fn to_le(self) -> [u8; 8] {
        self.to_le_bytes()
    }
    fn from_le(b: [u8; 8]) -> Self {
        i64::from_le_bytes(b)
    }
}

/// Encode `data` with `shape` (C order) as an `.npy` file.
pub fn encode<T: NpyElement>(shape: &[usize], data: &[T]) -> Result<Vec<u8>> {
    let expected: usize = shape.iter().product();
    if expected != data.len() {
        return Err(CoreError::Shape {
            what: "npy data",
            expected: format!("{expected} values for shape {shape:?}"),
            got: data.len().to_string(),
        });
    }
    let shape_txt = match shape.len() {
        1 => format!("({},)", shape[0]),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut header = format!(
        "{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}",
        T::DESCR,
        shape_txt
    );
    // Pad so the data starts on a 64-byte boundary, header ends with '\n'.
    let unpadded = MAGIC.len() + 2 + 2 + header.len() + 1;
    header.push_str(&" ".repeat((64 - unpadded % 64) % 64));
    header.push('\n');
    let mut out = Vec::with_capacity(MAGIC.len() + 4 + header.len() + data.len() * 8);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for v in data {
        out.extend_from_slice(&v.to_le());
    }
    Ok(out)
}

/// Decode an `.npy` file of element type `T` into (shape, data).
pub fn decode<T: NpyElement>(bytes: &[u8]) -> Result<(Vec<usize>, Vec<T>)> {
    let bad = |why: String| CoreError::InvalidData(format!("not a valid .npy file: {why}"));
    if bytes.len() < 10 || &bytes[..6] != MAGIC {
        return Err(bad("missing the \\x93NUMPY magic".into()));
    }
    let (major, hdr_start) = (bytes[6], 8usize);
    let (hlen, hdr_start) = match major {
        1 => (
            u16::from_le_bytes([bytes[8], bytes[9]]) as usize,
            hdr_start + 2,
        ),
        2 | 3 => {
            if bytes.len() < 12 {
                return Err(bad("truncated header".into()));
            }
            (
                u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
                hdr_start + 4,
            )
        }
        v => return Err(bad(format!("unsupported format version {v}"))),
    };
    let data_start = hdr_start + hlen;
    if bytes.len() < data_start {
        return Err(bad("truncated header".into()));
    }
    let header = std::str::from_utf8(&bytes[hdr_start..data_start])
        .map_err(|_| bad("header is not text".into()))?;
    let field = |key: &str| -> Option<&str> {
        let i = header.find(&format!("'{key}'"))?;
        let rest = &header[i + key.len() + 2..];
        let rest = rest.trim_start().strip_prefix(':')?.trim_start();
        Some(rest)
    };
    let descr = field("descr").ok_or_else(|| bad("no descr".into()))?;
    if !descr.starts_with(&format!("'{}'", T::DESCR)) {
        return Err(bad(format!(
            "element type {} is not {}",
            descr.split(',').next().unwrap_or(""),
            T::DESCR
        )));
    }
    let fortran = field("fortran_order").ok_or_else(|| bad("no fortran_order".into()))?;
    if fortran.starts_with("True") {
        return Err(bad("Fortran-order arrays are not supported".into()));
    }
    let shape_txt = field("shape").ok_or_else(|| bad("no shape".into()))?;
    let close = shape_txt
        .find(')')
        .ok_or_else(|| bad("unterminated shape".into()))?;
    let shape: Vec<usize> = shape_txt[1..close]
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<usize>()
                .map_err(|_| bad(format!("bad dimension {s}")))
        })
        .collect::<Result<_>>()?;
    let n: usize = shape.iter().product();
    let body = &bytes[data_start..];
    if body.len() != n * 8 {
        return Err(bad(format!(
            "shape {shape:?} needs {} data bytes, file has {}",
            n * 8,
            body.len()
        )));
    }
    let data = body
        .chunks_exact(8)
        .map(|c| {
            let mut b = [0u8; 8];
            b.copy_from_slice(c);
            T::from_le(b)
        })
        .collect();
    Ok((shape, data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npy_round_trip_keeps_shape_and_alignment() {
        let data: Vec<f64> = (0..6).map(|i| i as f64 * 0.5).collect();
        let bytes = encode(&[2, 3], &data).unwrap();
        let hlen = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
        assert_eq!((10 + hlen) % 64, 0);
        let (shape, back) = decode::<f64>(&bytes).unwrap();
        assert_eq!(shape, vec![2, 3]);
        assert_eq!(back, data);
        assert!(decode::<i64>(&bytes).is_err());
    }

    #[test]
    fn npy_scalar_and_vector_shapes() {
        let b = encode(&[3], &[1i64, 2, 3]).unwrap();
        assert!(String::from_utf8_lossy(&b).contains("'shape': (3,)"));
        let (s, d) = decode::<i64>(&b).unwrap();
        assert_eq!((s, d), (vec![3], vec![1, 2, 3]));
    }
}
