//! The JSON the component sends: objects of strings.

use crate::primitives::prelude::*;

/// An object of strings, as serde_json writes a `BTreeMap<String, String>`.
pub fn write_object<'a>(members: impl Iterator<Item = (&'a str, &'a str)>) -> Vec<u8> {
    let mut out = vec![b'{'];
    for (i, (key, value)) in members.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_string(&mut out, key);
        out.push(b':');
        write_string(&mut out, value);
    }
    out.push(b'}');
    out
}

fn write_string(out: &mut Vec<u8>, text: &str) {
    out.push(b'"');
    for &byte in text.as_bytes() {
        match byte {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            0..0x20 => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(byte >> 4)]);
                out.push(HEX[usize::from(byte & 0xf)]);
            }
            _ => out.push(byte),
        }
    }
    out.push(b'"');
}

/// The writer held to serde_json.
#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn writes_objects_as_serde_json_does(members in proptest::collection::btree_map(any::<String>(), any::<String>(), 0..6)) {
            let ours = write_object(members.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            prop_assert_eq!(ours, serde_json::to_vec(&members).unwrap());
        }
    }
}
