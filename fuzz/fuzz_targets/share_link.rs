//! cargo-fuzz target: share-link decode (`nestscope_core::share::ShareLink::decode`) must refuse
//! any input with a one-line message or give a link that is valid, sets up a run, and encodes to
//! a link that decodes to itself — never panic or allocate beyond the caps. Input whose first byte
//! is odd is taken as text (a whole URL or fragment); otherwise the rest is taken as the JSON
//! payload and packed as a correct `#ns1.` link first, so the fuzzer reaches the record parser and
//! the validation behind the zlib checksum.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nestscope_core::share::{MAX_LINK_CHARS, ShareLink};

fn packed(json: &[u8]) -> String {
    use base64::Engine;
    let z = miniz_oxide::deflate::compress_to_vec_zlib(json, 1);
    format!("#ns1.{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(z))
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let link = if mode & 1 == 1 { String::from_utf8_lossy(rest).into_owned() } else { packed(rest) };
    match ShareLink::decode(&link) {
        Err(e) => {
            let t = e.to_string();
            assert!(!t.is_empty() && !t.chars().any(char::is_control), "{t:?}");
        }
        Ok(l) => {
            let again = l.encode();
            // (A hand-made deflate stream may beat level 9: a re-encoding above the cap is refused.)
            if again.len() <= MAX_LINK_CHARS {
                assert_eq!(ShareLink::decode(&again).as_ref(), Ok(&l), "a decoded link encodes to itself");
            }
            // Setting the run up must not panic either (assembling a source, a binary's bytes).
            let _ = l.setup();
        }
    }
});
