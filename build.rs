//! Kernel build script: links with the arch linker script and generates the
//! 256 interrupt entry stubs (one per vector, 16 bytes apart, so the IDT can
//! point at `trap_stubs + 16 * vector`).
use std::fmt::Write;
use std::path::PathBuf;

/// Exceptions for which the CPU pushes an error code.
const HAS_ERROR_CODE: [u8; 8] = [8, 10, 11, 12, 13, 14, 17, 21];

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let script = manifest.join("src/arch/x86_64/linker.ld");
    println!("cargo:rerun-if-changed={}", script.display());
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var("TARGET").as_deref() == Ok("x86_64-unknown-none") {
        println!("cargo:rustc-link-arg-bins=-T{}", script.display());
        println!("cargo:rustc-link-arg-bins=-zmax-page-size=4096");
    }

    let mut s = String::new();
    s.push_str(".section .text.trap_stubs, \"ax\"\n.p2align 4\n.global trap_stubs\ntrap_stubs:\n");
    for v in 0..256u32 {
        writeln!(s, ".p2align 4").unwrap();
        if !HAS_ERROR_CODE.contains(&(v as u8)) || v > 31 {
            // Same frame shape for every vector: a dummy error code.
            writeln!(s, "    push 0").unwrap();
        }
        writeln!(s, "    push {v}\n    jmp trap_common").unwrap();
    }
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("trap_stubs.s");
    std::fs::write(out, s).unwrap();
}
