//! Generates the syscall tables from the data files next to this script:
//!
//! - syscall_64.tbl  -> table.rs (COUNT, NAMES, IMPLEMENTED, nr::*) and
//!   dispatch_macro.rs (`implemented_syscalls!`)
//! - signatures.txt  -> signatures.rs (argument kinds per number)
//! - syscall_32.tbl + i386_rules.txt -> i386.rs (int 0x80 numbering)
//!
//! Every input error stops the build with the file and line at fault.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

const NI_SYSCALL: &str = "sys_ni_syscall";

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").map_err(|e| format!("CARGO_MANIFEST_DIR: {e}"))?);
    let out = PathBuf::from(std::env::var("OUT_DIR").map_err(|e| format!("OUT_DIR: {e}"))?);
    for f in ["syscall_64.tbl", "syscall_32.tbl", "i386_rules.txt", "signatures.txt"] {
        println!("cargo:rerun-if-changed={f}");
    }
    println!("cargo:rerun-if-changed=build.rs");

    let table = parse_table_64(&dir.join("syscall_64.tbl"))?;
    let signatures = parse_signatures(&dir.join("signatures.txt"), &table)?;
    let i386 = parse_table_32(&dir.join("syscall_32.tbl"))?;
    let rules = parse_rules(&dir.join("i386_rules.txt"), &table, &i386)?;
    let map = map_i386(&table, &i386, &rules)?;

    write(&out.join("table.rs"), &gen_table(&table))?;
    write(&out.join("dispatch_macro.rs"), &gen_dispatch_macro(&table))?;
    write(&out.join("signatures.rs"), &gen_signatures(&table, &signatures))?;
    write(&out.join("i386.rs"), &gen_i386(&i386, &map))?;
    Ok(())
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Lines with content: (1-based line number, words), comments and blanks dropped.
fn data_lines(text: &str) -> impl Iterator<Item = (usize, Vec<&str>)> {
    text.lines().enumerate().filter_map(|(i, line)| {
        let words: Vec<&str> = line.split('#').next().unwrap_or("").split_whitespace().collect();
        (!words.is_empty()).then_some((i + 1, words))
    })
}

fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

struct Syscall {
    nr: usize,
    name: String,
    entry: String,
    /// A number Linux leaves unassigned (`reserved_<nr>` in the table).
    reserved: bool,
}

impl Syscall {
    fn implemented(&self) -> bool {
        self.entry != NI_SYSCALL
    }
}

fn parse_table_64(path: &Path) -> Result<Vec<Syscall>, String> {
    let text = read(path)?;
    let mut table: Vec<Syscall> = Vec::new();
    let mut names = HashSet::new();
    for (line, w) in data_lines(&text) {
        let at = format!("{}:{line}", path.display());
        let [nr, abi, name, entry] = w[..] else {
            return Err(format!("{at}: expected `nr abi name entry`, found {} words", w.len()));
        };
        let nr: usize = nr.parse().map_err(|_| format!("{at}: `{nr}` is not a number"))?;
        if nr != table.len() {
            return Err(format!("{at}: number {nr} out of order, expected {}", table.len()));
        }
        if abi != "common" && abi != "64" {
            return Err(format!("{at}: abi `{abi}` is neither common nor 64"));
        }
        if !is_ident(name) || !names.insert(name.to_string()) {
            return Err(format!("{at}: name `{name}` is not an identifier or repeats an earlier one"));
        }
        if !is_ident(entry) {
            return Err(format!("{at}: entry `{entry}` is not an identifier"));
        }
        let reserved = name == format!("reserved_{nr}");
        if reserved && entry != NI_SYSCALL {
            return Err(format!("{at}: a reserved number cannot have a handler"));
        }
        table.push(Syscall { nr, name: name.to_string(), entry: entry.to_string(), reserved });
    }
    if table.is_empty() {
        return Err(format!("{}: no system calls", path.display()));
    }
    Ok(table)
}

struct Signature {
    args: Vec<(String, String)>,
    ret_hex: bool,
}

fn parse_signatures(path: &Path, table: &[Syscall]) -> Result<HashMap<usize, Signature>, String> {
    let text = read(path)?;
    let by_name: HashMap<&str, usize> = table.iter().filter(|s| !s.reserved).map(|s| (s.name.as_str(), s.nr)).collect();
    let mut out = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let at = format!("{}:{}", path.display(), i + 1);
        let (call, ret) = match line.split_once("->") {
            Some((call, ret)) => (call.trim(), Some(ret.trim())),
            None => (line, None),
        };
        let ret_hex = match ret {
            None => false,
            Some("hex") => true,
            Some(other) => return Err(format!("{at}: result kind `{other}` is not hex")),
        };
        let (name, rest) = call.split_once('(').ok_or_else(|| format!("{at}: expected `name(arg: kind, ...)`"))?;
        let inner = rest.strip_suffix(')').ok_or_else(|| format!("{at}: missing `)`"))?;
        let nr =
            *by_name.get(name.trim()).ok_or_else(|| format!("{at}: `{}` is not in syscall_64.tbl", name.trim()))?;
        let mut args = Vec::new();
        for arg in inner.split(',').map(str::trim).filter(|a| !a.is_empty()) {
            let (arg_name, kind) = arg.split_once(':').ok_or_else(|| format!("{at}: `{arg}` needs `name: kind`"))?;
            let (arg_name, kind) = (arg_name.trim(), kind.trim());
            if !is_ident(arg_name) || !is_ident(kind) {
                return Err(format!("{at}: `{arg}` is not `name: kind`"));
            }
            args.push((arg_name.to_string(), kind.to_string()));
        }
        if args.len() > 6 {
            return Err(format!("{at}: more than six arguments"));
        }
        if args.last().is_some_and(|(_, kind)| kind == "bytes") {
            return Err(format!("{at}: a `bytes` argument needs its length in the next argument"));
        }
        if out.insert(nr, Signature { args, ret_hex }).is_some() {
            return Err(format!("{at}: `{}` is listed twice", name.trim()));
        }
    }
    Ok(out)
}

struct I386Call {
    nr: usize,
    name: String,
    native: Option<String>,
    compat: Option<String>,
}

fn parse_table_32(path: &Path) -> Result<Vec<I386Call>, String> {
    let text = read(path)?;
    let mut calls: Vec<I386Call> = Vec::new();
    for (line, w) in data_lines(&text) {
        let at = format!("{}:{line}", path.display());
        if w.len() < 3 || w.len() > 5 || w[1] != "i386" {
            return Err(format!("{at}: expected `nr i386 name [entry [compat entry]]`"));
        }
        let nr: usize = w[0].parse().map_err(|_| format!("{at}: `{}` is not a number", w[0]))?;
        if calls.last().is_some_and(|c| c.nr >= nr) {
            return Err(format!("{at}: number {nr} out of order"));
        }
        calls.push(I386Call {
            nr,
            name: w[2].to_string(),
            native: w.get(3).map(|s| s.to_string()),
            compat: w.get(4).map(|s| s.to_string()),
        });
    }
    Ok(calls)
}

#[derive(Default)]
struct Rules {
    linux64: HashMap<String, Option<String>>,
    deny: HashSet<String>,
    allow: HashSet<String>,
}

fn parse_rules(path: &Path, table: &[Syscall], i386: &[I386Call]) -> Result<Rules, String> {
    let text = read(path)?;
    let names64: HashSet<&str> = table.iter().map(|s| s.name.as_str()).collect();
    let names32: HashSet<&str> = i386.iter().map(|c| c.name.as_str()).collect();
    let mut rules = Rules::default();
    for (line, w) in data_lines(&text) {
        let at = format!("{}:{line}", path.display());
        match w[..] {
            ["linux64", name, entry] => {
                if !names64.contains(name) {
                    return Err(format!("{at}: `{name}` is not in syscall_64.tbl"));
                }
                rules.linux64.insert(name.to_string(), (entry != "-").then(|| entry.to_string()));
            }
            ["deny", name, ..] | ["allow", name, ..] => {
                if !names32.contains(name) {
                    return Err(format!("{at}: `{name}` is not in syscall_32.tbl"));
                }
                let set = if w[0] == "deny" { &mut rules.deny } else { &mut rules.allow };
                set.insert(name.to_string());
            }
            _ => return Err(format!("{at}: expected `linux64 name entry`, `deny name ...` or `allow name ...`")),
        }
    }
    Ok(rules)
}

/// The x86-64 number for every i386 number, following i386_rules.txt.
fn map_i386(table: &[Syscall], i386: &[I386Call], rules: &Rules) -> Result<HashMap<usize, usize>, String> {
    let mut by_entry: HashMap<String, usize> = HashMap::new();
    for s in table.iter().filter(|s| !s.reserved) {
        let entry = match rules.linux64.get(&s.name) {
            Some(Some(entry)) => entry.clone(),
            Some(None) => continue,
            None => format!("sys_{}", s.name),
        };
        if let Some(other) = by_entry.insert(entry.clone(), s.nr) {
            return Err(format!("i386_rules.txt: Linux entry {entry} claimed by x86-64 {other} and {}", s.nr));
        }
    }
    let mut map = HashMap::new();
    for call in i386 {
        let target = call.native.as_ref().and_then(|e| by_entry.get(e));
        let denied = rules.deny.contains(&call.name);
        let allowed = rules.allow.contains(&call.name);
        if denied && (target.is_none() || call.compat.is_some()) {
            return Err(format!("i386_rules.txt: `deny {}` changes nothing; remove it", call.name));
        }
        if allowed && (target.is_none() || call.compat.is_none()) {
            return Err(format!("i386_rules.txt: `allow {}` changes nothing; remove it", call.name));
        }
        if let Some(&nr64) = target
            && !denied
            && (call.compat.is_none() || allowed)
        {
            map.insert(call.nr, nr64);
        }
    }
    Ok(map)
}

fn gen_table(table: &[Syscall]) -> String {
    let mut s = String::new();
    let count = table.len();
    let implemented = table.iter().filter(|t| t.implemented()).count();
    let real = table.iter().filter(|t| !t.reserved).count();
    let _ = writeln!(s, "/// Slots in the table: the highest x86-64 system call number + 1.");
    let _ = writeln!(s, "pub const COUNT: usize = {count};");
    let _ = writeln!(s, "/// System calls whose entry is not sys_ni_syscall.");
    let _ = writeln!(s, "pub const IMPLEMENTED_COUNT: usize = {implemented};");
    let _ = writeln!(s, "/// Numbers Linux assigns (COUNT minus the reserved gap).");
    let _ = writeln!(s, "pub const LINUX_SYSCALL_COUNT: usize = {real};");
    let _ = writeln!(s, "/// The name column of syscall_64.tbl (`reserved_<nr>` for unassigned numbers).");
    let _ = writeln!(s, "pub static NAMES: [&str; COUNT] = [");
    for t in table {
        let _ = writeln!(s, "    {:?},", t.name);
    }
    let _ = writeln!(s, "];");
    let _ = writeln!(s, "/// Whether the table names a handler for the number.");
    let _ = writeln!(s, "pub static IMPLEMENTED: [bool; COUNT] = [");
    for t in table {
        let _ = writeln!(s, "    {},", t.implemented());
    }
    let _ = writeln!(s, "];");
    let _ = writeln!(s, "static RESERVED: [bool; COUNT] = [");
    for t in table {
        let _ = writeln!(s, "    {},", t.reserved);
    }
    let _ = writeln!(s, "];");
    let _ = writeln!(s, "/// x86-64 system call numbers by upper-case name (`nr::OPENAT`).");
    let _ = writeln!(s, "pub mod nr {{");
    for t in table.iter().filter(|t| !t.reserved) {
        let _ = writeln!(s, "    pub const {}: u64 = {};", t.name.to_uppercase(), t.nr);
    }
    let _ = writeln!(s, "}}");
    s
}

fn gen_dispatch_macro(table: &[Syscall]) -> String {
    let entries: Vec<String> =
        table.iter().filter(|t| t.implemented()).map(|t| format!("({}, {}, {})", t.nr, t.name, t.entry)).collect();
    let mut s = String::new();
    let _ = writeln!(s, "/// Calls `$cb! {{ (nr, name, handler), ... }}` with every implemented system call");
    let _ = writeln!(s, "/// of syscall_64.tbl, in number order, without a trailing comma.");
    let _ = writeln!(s, "#[macro_export]");
    let _ = writeln!(s, "macro_rules! implemented_syscalls {{");
    let _ = writeln!(s, "    ($cb:ident) => {{");
    let _ = writeln!(s, "        $cb! {{ {} }}", entries.join(", "));
    let _ = writeln!(s, "    }};");
    let _ = writeln!(s, "}}");
    s
}

fn camel(kind: &str) -> String {
    kind.split('_')
        .map(|part| {
            let mut c = part.chars();
            match c.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

fn gen_signatures(table: &[Syscall], sigs: &HashMap<usize, Signature>) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "pub(crate) static SIGNATURES: [Option<Signature>; COUNT] = [");
    for t in table {
        match sigs.get(&t.nr) {
            None => {
                let _ = writeln!(s, "    None,");
            }
            Some(sig) => {
                let args: Vec<String> = sig
                    .args
                    .iter()
                    .map(|(name, kind)| format!("Arg {{ name: {name:?}, kind: ArgKind::{} }}", camel(kind)))
                    .collect();
                let ret = if sig.ret_hex { "Hex" } else { "Int" };
                let _ = writeln!(
                    s,
                    "    Some(Signature {{ name: {:?}, args: &[{}], ret: RetKind::{ret} }}),",
                    t.name,
                    args.join(", ")
                );
            }
        }
    }
    let _ = writeln!(s, "];");
    s
}

fn gen_i386(i386: &[I386Call], map: &HashMap<usize, usize>) -> String {
    let count = i386.last().map_or(0, |c| c.nr + 1);
    let mut names = vec![""; count];
    for c in i386 {
        names[c.nr] = c.name.as_str();
    }
    let mut s = String::new();
    let _ = writeln!(s, "/// Slots in the i386 tables: the highest i386 number + 1.");
    let _ = writeln!(s, "pub const I386_COUNT: usize = {count};");
    let _ = writeln!(s, "/// i386 calls that run an x86-64 handler.");
    let _ = writeln!(s, "pub const I386_MAPPED_COUNT: usize = {};", map.len());
    let _ = writeln!(s, "/// i386 names by i386 number (empty where Linux assigns none).");
    let _ = writeln!(s, "pub static I386_NAMES: [&str; I386_COUNT] = [");
    for n in &names {
        let _ = writeln!(s, "    {n:?},");
    }
    let _ = writeln!(s, "];");
    let _ = writeln!(s, "/// The x86-64 number serving each i386 number, or I386_ENOSYS.");
    let _ = writeln!(s, "pub static I386_TO_X86_64: [u16; I386_COUNT] = [");
    for nr in 0..count {
        match map.get(&nr) {
            Some(nr64) => {
                let _ = writeln!(s, "    {nr64},");
            }
            None => {
                let _ = writeln!(s, "    I386_ENOSYS,");
            }
        }
    }
    let _ = writeln!(s, "];");
    s
}
