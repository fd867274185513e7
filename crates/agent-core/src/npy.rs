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

/// Longest header accepted. NumPy writes well under 1 KiB for the arrays
/// the agents store; the bound keeps a hostile header from costing memory.
pub const MAX_HEADER_LEN: usize = 64 * 1024;
/// Most dimensions accepted (NumPy's own limit is 64).
pub const MAX_NDIM: usize = 64;

/// The parsed header of an `.npy` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Element type, e.g. `<f8`.
    pub descr: String,
    pub fortran_order: bool,
    pub shape: Vec<usize>,
    /// Number of elements (the product of `shape`, checked for overflow).
    pub len: usize,
    /// Offset of the first data byte.
    pub data_offset: usize,
}

fn bad(why: impl std::fmt::Display) -> CoreError {
    CoreError::InvalidData(format!("not a valid .npy file: {why}"))
}

/// Parse and check the header of an `.npy` file without touching its data:
/// magic, version, header length (at most [`MAX_HEADER_LEN`]), the
/// `{'descr': .., 'fortran_order': .., 'shape': (..)}` dictionary, and an
/// element count whose 8-byte values exactly fill the rest of `bytes`.
/// Allocates nothing in proportion to the shape.
pub fn parse_header(bytes: &[u8]) -> Result<Header> {
    if bytes.get(..MAGIC.len()) != Some(MAGIC) {
        return Err(bad("missing the \\x93NUMPY magic"));
    }
    let major = *bytes.get(6).ok_or_else(|| bad("truncated header"))?;
    let (hlen, hdr_start) = match major {
        1 => match bytes.get(8..10) {
            Some(&[a, b]) => (usize::from(u16::from_le_bytes([a, b])), 10usize),
            _ => return Err(bad("truncated header")),
        },
        2 | 3 => match bytes.get(8..12) {
            Some(&[a, b, c, d]) => (u32::from_le_bytes([a, b, c, d]) as usize, 12usize),
            _ => return Err(bad("truncated header")),
        },
        v => return Err(bad(format!("unsupported format version {v}"))),
    };
    if hlen > MAX_HEADER_LEN {
        return Err(bad(format!(
            "header of {hlen} bytes is longer than the {MAX_HEADER_LEN} allowed"
        )));
    }
    let data_offset = hdr_start
        .checked_add(hlen)
        .filter(|&e| e <= bytes.len())
        .ok_or_else(|| bad("truncated header"))?;
    let text = bytes
        .get(hdr_start..data_offset)
        .and_then(|h| std::str::from_utf8(h).ok())
        .ok_or_else(|| bad("header is not text"))?;
    let (descr, fortran_order, shape) = parse_dict(text)?;
    let len = shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| {
            bad(format!(
                "shape {shape:?} has more elements than memory can hold"
            ))
        })?;
    let body = bytes.len() - data_offset;
    if len.checked_mul(8) != Some(body) {
        return Err(bad(format!(
            "shape {shape:?} needs {len} values of 8 bytes, the file holds {body} data bytes"
        )));
    }
    Ok(Header {
        descr,
        fortran_order,
        shape,
        len,
        data_offset,
    })
}

/// Decode an `.npy` file of element type `T` into (shape, data). The data
/// is allocated only after [`parse_header`] has matched it against the
/// bytes actually present.
pub fn decode<T: NpyElement>(bytes: &[u8]) -> Result<(Vec<usize>, Vec<T>)> {
    let h = parse_header(bytes)?;
    if h.descr != T::DESCR {
        return Err(bad(format!("element type {} is not {}", h.descr, T::DESCR)));
    }
    if h.fortran_order {
        return Err(bad("Fortran-order arrays are not supported"));
    }
    let data = bytes
        .get(h.data_offset..)
        .unwrap_or_default()
        .chunks_exact(8)
        .map(|c| {
            let mut b = [0u8; 8];
            b.copy_from_slice(c);
            T::from_le(b)
        })
        .collect();
    Ok((h.shape, data))
}

/// The header dictionary: a Python literal with exactly the keys `descr`
/// (a string), `fortran_order` (`True`/`False`) and `shape` (a tuple of
/// non-negative integers), in any order, with an optional trailing comma,
/// followed by spaces and a newline.
fn parse_dict(text: &str) -> Result<(String, bool, Vec<usize>)> {
    let mut p = Cursor {
        s: text.as_bytes(),
        i: 0,
    };
    let (mut descr, mut fortran, mut shape) = (None, None, None);
    p.expect(b'{')?;
    loop {
        if p.eat(b'}') {
            break;
        }
        let key = p.string()?;
        p.expect(b':')?;
        let slot_taken = match key.as_str() {
            "descr" => descr.replace(p.string()?).is_some(),
            "fortran_order" => fortran.replace(p.boolean()?).is_some(),
            "shape" => shape.replace(p.tuple()?).is_some(),
            _ => {
                return Err(bad(
                    "header has a key other than descr, fortran_order and shape",
                ));
            }
        };
        if slot_taken {
            return Err(bad(format!("header repeats the key {key}")));
        }
        if !p.eat(b',') {
            p.expect(b'}')?;
            break;
        }
    }
    if p.s[p.i..].iter().any(|b| !b.is_ascii_whitespace()) {
        return Err(bad("header has text after its dictionary"));
    }
    Ok((
        descr.ok_or_else(|| bad("no descr"))?,
        fortran.ok_or_else(|| bad("no fortran_order"))?,
        shape.ok_or_else(|| bad("no shape"))?,
    ))
}

/// A position in the header text; every read is bounds-checked.
struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn skip_ws(&mut self) {
        while self.s.get(self.i).is_some_and(u8::is_ascii_whitespace) {
            self.i += 1;
        }
    }

    /// Consume `c` (after spaces) if it comes next.
    fn eat(&mut self, c: u8) -> bool {
        self.skip_ws();
        if self.s.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: u8) -> Result<()> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(bad(format!(
                "header dictionary expected `{}` at byte {}",
                c as char, self.i
            )))
        }
    }

    /// A quoted string of printable ASCII without escapes.
    fn string(&mut self) -> Result<String> {
        self.skip_ws();
        let q = match self.s.get(self.i) {
            Some(&q @ (b'\'' | b'"')) => q,
            _ => {
                return Err(bad(format!(
                    "header expected a quoted string at byte {}",
                    self.i
                )));
            }
        };
        let start = self.i + 1;
        let len = self.s[start..]
            .iter()
            .position(|&b| b == q)
            .ok_or_else(|| bad("header has an unterminated string"))?;
        let raw = &self.s[start..start + len];
        if !raw.iter().all(|b| b.is_ascii_graphic() || *b == b' ') || raw.contains(&b'\\') {
            return Err(bad("header string holds characters NumPy never writes"));
        }
        self.i = start + len + 1;
        Ok(String::from_utf8_lossy(raw).into_owned())
    }

    fn boolean(&mut self) -> Result<bool> {
        self.skip_ws();
        for (word, v) in [(&b"True"[..], true), (&b"False"[..], false)] {
            if self.s[self.i..].starts_with(word) {
                self.i += word.len();
                return Ok(v);
            }
        }
        Err(bad("fortran_order is neither True nor False"))
    }

    fn integer(&mut self) -> Result<usize> {
        self.skip_ws();
        let digits = self.s[self.i..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        let txt = std::str::from_utf8(&self.s[self.i..self.i + digits]).unwrap_or("");
        let v = txt
            .parse::<usize>()
            .map_err(|_| bad(format!("shape holds a bad dimension at byte {}", self.i)))?;
        self.i += digits;
        Ok(v)
    }

    /// `()`, `(n,)`, `(n, m)`, `(n, m,)`, ...
    fn tuple(&mut self) -> Result<Vec<usize>> {
        self.expect(b'(')?;
        let mut dims = Vec::new();
        loop {
            if self.eat(b')') {
                break;
            }
            if dims.len() == MAX_NDIM {
                return Err(bad(format!("shape has more than {MAX_NDIM} dimensions")));
            }
            dims.push(self.integer()?);
            if !self.eat(b',') {
                self.expect(b')')?;
                break;
            }
        }
        Ok(dims)
    }
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
