//! Test support: reading `#define`s from Debian's Linux headers
//! (linux-libc-dev), so constants can be compared with Linux's own. Built
//! for this crate's tests and, through the `linux-headers` feature, for
//! other crates' tests (syscalls), never for the kernel.
use std::collections::HashMap;

/// Every define in `paths` whose value is an integer expression of
/// literals, earlier defines, `( ) ~ - | + <<`. Panics when a header is
/// missing, because then the comparison would silently test nothing.
pub fn defines(paths: &[&str]) -> HashMap<String, i128> {
    let mut defs = HashMap::new();
    for path in paths {
        let Ok(text) = std::fs::read_to_string(path) else {
            panic!("{path} missing: install linux-libc-dev");
        };
        for line in text.lines() {
            let line = line.trim_start();
            let Some(rest) = line.strip_prefix('#') else { continue };
            let Some(rest) = rest.trim_start().strip_prefix("define") else { continue };
            let rest = rest.trim_start();
            let name_len = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
            let (name, body) = rest.split_at(name_len);
            if name.is_empty() || body.starts_with('(') {
                continue; // function-like macro
            }
            let body = body.split("/*").next().unwrap_or("").trim();
            if let Some(v) = eval(body, &defs) {
                defs.insert(name.to_string(), v);
            }
        }
    }
    defs
}

/// Compares `value` with the header's, both seen as 64-bit patterns so
/// that `(~0UL)` equals `u64::MAX` and `(-1)` equals an `i32` -1.
pub fn assert_same(defs: &HashMap<String, i128>, name: &str, value: i128) {
    let Some(&header) = defs.get(name) else { panic!("{name} is not defined in the headers read") };
    assert_eq!(header as u64, value as u64, "{name}: header says {header:#x}, we say {value:#x}");
}

fn eval(body: &str, defs: &HashMap<String, i128>) -> Option<i128> {
    let tokens = tokenize(body)?;
    let mut pos = 0;
    let v = expr(&tokens, &mut pos, defs)?;
    (pos == tokens.len()).then_some(v)
}

fn tokenize(s: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i] as char;
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_alphanumeric() || c == '_' {
            let start = i;
            while i < b.len() && ((b[i] as char).is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            out.push(s[start..i].to_string());
        } else if s[i..].starts_with("<<") {
            out.push("<<".to_string());
            i += 2;
        } else if "()~-|+".contains(c) {
            out.push(c.to_string());
            i += 1;
        } else {
            return None;
        }
    }
    Some(out)
}

fn expr(t: &[String], pos: &mut usize, defs: &HashMap<String, i128>) -> Option<i128> {
    let mut v = unary(t, pos, defs)?;
    while let Some(op) = t.get(*pos) {
        let op = op.clone();
        if op != "|" && op != "+" && op != "<<" && op != "-" {
            break;
        }
        *pos += 1;
        let r = unary(t, pos, defs)?;
        v = match op.as_str() {
            "|" => v | r,
            "+" => v + r,
            "-" => v - r,
            _ => v << r,
        };
    }
    Some(v)
}

fn unary(t: &[String], pos: &mut usize, defs: &HashMap<String, i128>) -> Option<i128> {
    let tok = t.get(*pos)?.clone();
    *pos += 1;
    match tok.as_str() {
        "~" => Some(!unary(t, pos, defs)?),
        "-" => Some(-unary(t, pos, defs)?),
        "(" => {
            let v = expr(t, pos, defs)?;
            (t.get(*pos)? == ")").then_some(())?;
            *pos += 1;
            Some(v)
        }
        _ if tok.as_bytes()[0].is_ascii_digit() => literal(&tok),
        _ => defs.get(&tok).copied(),
    }
}

fn literal(tok: &str) -> Option<i128> {
    let digits = tok.trim_end_matches(['u', 'U', 'l', 'L']);
    if let Some(hex) = digits.strip_prefix("0x").or_else(|| digits.strip_prefix("0X")) {
        i128::from_str_radix(hex, 16).ok()
    } else if digits.len() > 1 && digits.starts_with('0') {
        i128::from_str_radix(&digits[1..], 8).ok()
    } else {
        digits.parse().ok()
    }
}

#[test]
fn the_evaluator_reads_the_forms_linux_uses() {
    let mut defs = HashMap::new();
    defs.insert("A".to_string(), 0o4000000);
    assert_eq!(eval("(A|010000)", &defs), Some(0o4010000));
    assert_eq!(eval("(~0UL)", &defs), Some(-1));
    assert_eq!(eval("(-1)", &defs), Some(-1));
    assert_eq!(eval("0x1000 + 6", &defs), Some(0x1006));
    assert_eq!(eval("1 << 3", &defs), Some(8));
    assert_eq!(eval("_IOR('T', 0x30, int)", &defs), None);
}
