//! The initial user stack of a new program, byte for byte as Linux's
//! create_elf_tables (fs/binfmt_elf.c) and the exec string copying before
//! it lay it out with stack randomization off. From `stack_top` down:
//!
//! ```text
//!   8 zero bytes                     (Linux's end marker)
//!   execfn string
//!   envp strings, envp[0] lowest
//!   argv strings, argv[0] lowest     <- arg_start
//!   padding to 16
//!   platform string ("x86_64")
//!   16 random bytes                  <- AT_RANDOM
//!   padding so that rsp ends 16-byte aligned
//!   auxv pairs, AT_NULL last
//!   envp pointers, NULL
//!   argv pointers, NULL
//!   argc                             <- rsp
//! ```

use super::load_plan::{USER_END, USER_MIN};
use alloc::vec::Vec;
use core::fmt;
use ringo_uapi::Errno;
use ringo_uapi::auxv::{AT_EXECFN, AT_NULL, AT_PLATFORM, AT_RANDOM};

// The auxv builder lives in its own module; exec finds it next to `build`.
pub use super::auxv::{AuxvInputs, standard_auxv, standard_auxv_with};

/// Linux's MAX_ARG_STRLEN: one string, NUL included.
pub const MAX_ARG_STRLEN: usize = 32 * 4096;

/// Room for argv and envp (strings, NULs and pointers) and execfn: a
/// quarter of the default 8 MiB RLIMIT_STACK, as Linux allows.
pub const ARG_SPACE: usize = 8 * 1024 * 1024 / 4;

/// Linux's ARG_MAX: the least room execve gives whatever RLIMIT_STACK says.
pub const ARG_MAX: usize = 32 * 4096;

/// The room for strings and pointers an execve may use under a stack
/// limit of `rlimit_stack` bytes: a quarter of it, as Linux, at least
/// [`ARG_MAX`], and at most [`ARG_SPACE`] (all the initial stack holds).
pub fn arg_space(rlimit_stack: u64) -> usize {
    (rlimit_stack / 4).clamp(ARG_MAX as u64, ARG_SPACE as u64) as usize
}

const WORD: u64 = 8;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitialStack {
    /// 16-byte aligned, pointing at argc: the value for rsp at entry.
    pub rsp: u64,
    /// The contents of [rsp, stack_top).
    pub bytes: Vec<u8>,
    /// The final auxiliary vector, AT_NULL included (for /proc/self/auxv).
    pub auxv: Vec<(u64, u64)>,
    pub random_addr: u64,
    pub platform_addr: Option<u64>,
    pub execfn_addr: u64,
    /// The argv strings, NULs included (for /proc/self/cmdline).
    pub arg_start: u64,
    pub arg_end: u64,
    /// The envp strings, NULs included (for /proc/self/environ).
    pub env_start: u64,
    pub env_end: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StackError {
    /// One argv (or envp, when `env`) string exceeds [`MAX_ARG_STRLEN`].
    StringTooLong { env: bool, index: usize },
    /// Everything together exceeds [`ARG_SPACE`].
    TooMuch,
    /// A string holds a NUL, which would silently cut it short.
    NulInString { env: bool, index: usize },
    /// The caller's auxv holds AT_NULL; `build` adds the terminator.
    AuxvHasNull,
    /// `stack_top` is not 16-byte aligned, not in user space, or leaves no
    /// room below it.
    BadTop(u64),
}

impl StackError {
    pub fn errno(&self) -> Errno {
        match self {
            StackError::StringTooLong { .. } | StackError::TooMuch => Errno::E2BIG,
            StackError::NulInString { .. } | StackError::AuxvHasNull => Errno::EINVAL,
            StackError::BadTop(_) => Errno::EFAULT,
        }
    }
}

impl fmt::Display for StackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = |env: bool| if env { "environment string" } else { "argument" };
        match *self {
            StackError::StringTooLong { env, index } => {
                write!(f, "{} {index} is longer than {MAX_ARG_STRLEN} bytes", kind(env))
            }
            StackError::TooMuch => write!(f, "arguments and environment exceed {ARG_SPACE} bytes"),
            StackError::NulInString { env, index } => write!(f, "{} {index} contains a NUL byte", kind(env)),
            StackError::AuxvHasNull => f.write_str("auxiliary vector given with AT_NULL inside"),
            StackError::BadTop(top) => write!(f, "unusable stack top {top:#x}"),
        }
    }
}

/// Lays out the initial stack ending at `stack_top` (16-byte aligned, in
/// user space).
///
/// An empty `argv` becomes one empty string, as Linux substitutes since
/// 5.18 so that programs reading argv[0] stay safe. `auxv` comes without
/// AT_NULL (see [`standard_auxv`]); entries tagged AT_RANDOM, AT_PLATFORM
/// or AT_EXECFN get their values filled in here, and those missing are
/// appended. An empty `platform` means no platform string and no
/// AT_PLATFORM. `execfn` is the path execve was given.
pub fn build(
    stack_top: u64,
    argv: &[&[u8]],
    envp: &[&[u8]],
    auxv: &[(u64, u64)],
    random: &[u8; 16],
    platform: &[u8],
    execfn: &[u8],
) -> Result<InitialStack, StackError> {
    let argv: &[&[u8]] = if argv.is_empty() { &[b""] } else { argv };
    check_strings(argv, envp, execfn)?;
    if auxv.iter().any(|&(tag, _)| tag == AT_NULL) {
        return Err(StackError::AuxvHasNull);
    }
    if !stack_top.is_multiple_of(16) {
        return Err(StackError::BadTop(stack_top));
    }
    let strings_len = |list: &[&[u8]]| list.iter().map(|s| s.len() as u64 + 1).sum::<u64>();
    let (argv_len, envp_len) = (strings_len(argv), strings_len(envp));
    let platform_len = if platform.is_empty() { 0 } else { platform.len() as u64 + 1 };
    let auxv_len = auxv.len() as u64 + 4;
    let pointers = argv.len() as u64 + 1 + envp.len() as u64 + 1 + 1;
    // An upper bound of everything below, so the subtractions after it
    // cannot underflow: check_strings has bounded the strings.
    let worst = WORD + execfn.len() as u64 + 1 + envp_len + argv_len + 16 + platform_len + 16 + 16;
    let worst = worst + auxv_len * 2 * WORD + pointers * WORD + 16;
    if stack_top > USER_END || stack_top < USER_MIN + worst {
        return Err(StackError::BadTop(stack_top));
    }

    let execfn_addr = stack_top - WORD - (execfn.len() as u64 + 1);
    let env_start = execfn_addr - envp_len;
    let arg_start = env_start - argv_len;
    let mut p = arg_start & !15;
    let platform_addr = (platform_len != 0).then(|| {
        p -= platform_len;
        p
    });
    p -= 16;
    let random_addr = p;

    let auxv = final_auxv(auxv, random_addr, platform_addr, execfn_addr);
    let rsp = (p - auxv.len() as u64 * 2 * WORD - pointers * WORD) & !15;

    let mut stack = Image { base: rsp, bytes: alloc::vec![0; (stack_top - rsp) as usize] };
    let mut at = stack.write_word(rsp, argv.len() as u64);
    let mut string_at = arg_start;
    for list in [argv, envp] {
        for s in list {
            at = stack.write_word(at, string_at);
            string_at = stack.write(string_at, s) + 1;
        }
        at = stack.write_word(at, 0);
    }
    for &(tag, value) in &auxv {
        at = stack.write_word(at, tag);
        at = stack.write_word(at, value);
    }
    stack.write(execfn_addr, execfn);
    if let Some(addr) = platform_addr {
        stack.write(addr, platform);
    }
    stack.write(random_addr, random);

    Ok(InitialStack {
        rsp,
        bytes: stack.bytes,
        auxv,
        random_addr,
        platform_addr,
        execfn_addr,
        arg_start,
        arg_end: env_start,
        env_start,
        env_end: execfn_addr,
    })
}

fn check_strings(argv: &[&[u8]], envp: &[&[u8]], execfn: &[u8]) -> Result<(), StackError> {
    let mut total = 0usize;
    for (env, list) in [(false, argv), (true, envp)] {
        for (index, s) in list.iter().enumerate() {
            if s.len() >= MAX_ARG_STRLEN {
                return Err(StackError::StringTooLong { env, index });
            }
            if s.contains(&0) {
                return Err(StackError::NulInString { env, index });
            }
            total += s.len() + 1;
        }
    }
    if execfn.len() >= MAX_ARG_STRLEN {
        return Err(StackError::TooMuch);
    }
    // Linux reserves a pointer per string out of the same space.
    let pointers = (argv.len() + envp.len()) * WORD as usize;
    if total + execfn.len() + 1 + pointers > ARG_SPACE {
        return Err(StackError::TooMuch);
    }
    Ok(())
}

/// The caller's auxv with the stack addresses filled in, in the caller's
/// order, then any of the three it lacked, then AT_NULL.
fn final_auxv(given: &[(u64, u64)], random: u64, platform: Option<u64>, execfn: u64) -> Vec<(u64, u64)> {
    let ours = [(AT_RANDOM, Some(random)), (AT_EXECFN, Some(execfn)), (AT_PLATFORM, platform)];
    let mut auxv: Vec<(u64, u64)> = given
        .iter()
        .filter_map(|&(tag, value)| match ours.iter().find(|(t, _)| *t == tag) {
            Some(&(_, filled)) => filled.map(|v| (tag, v)),
            None => Some((tag, value)),
        })
        .collect();
    for (tag, value) in ours {
        if let Some(v) = value
            && !given.iter().any(|&(t, _)| t == tag)
        {
            auxv.push((tag, v));
        }
    }
    auxv.push((AT_NULL, 0));
    auxv
}

/// The stack bytes being written, addressed by user address.
struct Image {
    base: u64,
    bytes: Vec<u8>,
}

impl Image {
    /// Returns the address just past what it wrote.
    fn write(&mut self, at: u64, data: &[u8]) -> u64 {
        let start = (at - self.base) as usize;
        self.bytes[start..start + data.len()].copy_from_slice(data);
        at + data.len() as u64
    }

    fn write_word(&mut self, at: u64, word: u64) -> u64 {
        self.write(at, &word.to_le_bytes())
    }
}
