//! Escaping bytes the way strace prints strings, so traces can be compared
//! with strace's on Linux.

use core::fmt::{self, Write};

/// Writes `bytes` as the inside of a C string literal: `\n \t \r \v \f \\ \"`
/// by name, printable ASCII as is, anything else in octal with as few digits
/// as possible unless an octal digit follows (then three, so it cannot merge).
pub fn write_escaped(out: &mut impl Write, bytes: &[u8]) -> fmt::Result {
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'"' => out.write_str("\\\"")?,
            b'\\' => out.write_str("\\\\")?,
            b'\n' => out.write_str("\\n")?,
            b'\t' => out.write_str("\\t")?,
            b'\r' => out.write_str("\\r")?,
            0x0b => out.write_str("\\v")?,
            0x0c => out.write_str("\\f")?,
            0x20..=0x7e => out.write_char(b as char)?,
            _ => {
                if bytes.get(i + 1).is_some_and(|c| (b'0'..=b'7').contains(c)) {
                    write!(out, "\\{b:03o}")?
                } else {
                    write!(out, "\\{b:o}")?
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escaped(bytes: &[u8]) -> String {
        let mut s = String::new();
        write_escaped(&mut s, bytes).unwrap_or_default();
        s
    }

    #[test]
    fn escapes_like_strace() {
        assert_eq!(escaped(b"hello\n"), "hello\\n");
        assert_eq!(escaped(b"a\"b\\c\t\r\x0b\x0c"), "a\\\"b\\\\c\\t\\r\\v\\f");
        assert_eq!(escaped(b"\x1b[0m"), "\\33[0m");
        assert_eq!(escaped(b"\x001"), "\\0001");
        assert_eq!(escaped(b"\x00a"), "\\0a");
        assert_eq!(escaped(b"\xff"), "\\377");
    }
}
