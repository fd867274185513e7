//! The static library links and answers: LightGBM's parameter table comes
//! back through the C API.

use lightgbm_sys as sys;
use std::ffi::CStr;

#[test]
fn the_c_api_is_linked_and_answers() {
    let mut len = 0i64;
    // SAFETY: a zero-length buffer asks for the size only.
    let rc = unsafe { sys::LGBM_DumpParamAliases(0, &mut len, std::ptr::null_mut()) };
    assert_eq!(rc, 0);
    assert!(len > 0);
    let mut buf = vec![0u8; len as usize];
    // SAFETY: `buf` has the `len` bytes LightGBM asked for.
    let rc = unsafe {
        sys::LGBM_DumpParamAliases(len, &mut len, buf.as_mut_ptr() as *mut std::ffi::c_char)
    };
    assert_eq!(rc, 0);
    let text = CStr::from_bytes_until_nul(&buf)
        .expect("NUL-terminated")
        .to_str()
        .expect("UTF-8");
    assert!(
        text.contains("\"num_leaves\""),
        "no num_leaves in {} bytes",
        text.len()
    );
    assert!(text.contains("\"max_bin\""));
}
