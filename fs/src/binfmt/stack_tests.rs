//! The initial stack read back the way a libc's _start reads it.

use super::auxv::{AuxvInputs, CLOCK_TICKS, standard_auxv, standard_auxv_with};
use super::elf::plan;
use super::load_plan::{USER_END, USER_MIN};
use super::stack::{self, ARG_SPACE, InitialStack, MAX_ARG_STRLEN, StackError};
use super::test_elf::TestElf;
use ringo_uapi::Errno;
use ringo_uapi::auxv::*;

pub const TOP: u64 = 0x7fff_ffff_f000;
const RANDOM: [u8; 16] = *b"0123456789abcdef";

/// The process's view of its stack at entry.
#[derive(Debug)]
pub struct Parsed {
    pub argv: Vec<Vec<u8>>,
    pub envp: Vec<Vec<u8>>,
    /// Without the AT_NULL that ended it.
    pub auxv: Vec<(u64, u64)>,
}

/// Memory [rsp, top) as the program sees it.
pub struct Memory<'a> {
    pub rsp: u64,
    pub bytes: &'a [u8],
}

impl Memory<'_> {
    pub fn word(&self, addr: u64) -> u64 {
        let at = (addr - self.rsp) as usize;
        u64::from_le_bytes(self.bytes[at..at + 8].try_into().expect("8 bytes"))
    }

    pub fn c_string(&self, addr: u64) -> Vec<u8> {
        let at = (addr - self.rsp) as usize;
        let len = self.bytes[at..].iter().position(|&b| b == 0).expect("NUL-terminated");
        self.bytes[at..at + len].to_vec()
    }

    pub fn slice(&self, addr: u64, len: usize) -> &[u8] {
        let at = (addr - self.rsp) as usize;
        &self.bytes[at..at + len]
    }

    /// What crt1's _start does: argc at rsp, argv after it, envp after
    /// argv's NULL, auxv after envp's NULL.
    pub fn parse(&self) -> Parsed {
        let argc = self.word(self.rsp);
        let mut at = self.rsp + 8;
        let argv = (0..argc).map(|i| self.c_string(self.word(at + i * 8))).collect();
        at += argc * 8;
        assert_eq!(self.word(at), 0, "argv is NULL-terminated");
        at += 8;
        let mut envp = Vec::new();
        while self.word(at) != 0 {
            envp.push(self.c_string(self.word(at)));
            at += 8;
        }
        at += 8;
        let mut auxv = Vec::new();
        while self.word(at) != AT_NULL {
            auxv.push((self.word(at), self.word(at + 8)));
            at += 16;
        }
        Parsed { argv, envp, auxv }
    }
}

pub fn memory(stack: &InitialStack) -> Memory<'_> {
    Memory { rsp: stack.rsp, bytes: &stack.bytes }
}

fn lookup(auxv: &[(u64, u64)], tag: u64) -> Option<u64> {
    auxv.iter().find(|&&(t, _)| t == tag).map(|&(_, v)| v)
}

/// The inputs a test varies; the random bytes and execfn stay fixed.
struct Spec<'a> {
    argv: &'a [&'a [u8]],
    envp: &'a [&'a [u8]],
    auxv: &'a [(u64, u64)],
    platform: &'a [u8],
}

fn spec<'a>(argv: &'a [&'a [u8]], envp: &'a [&'a [u8]], auxv: &'a [(u64, u64)]) -> Spec<'a> {
    Spec { argv, envp, auxv, platform: b"x86_64" }
}

fn build(top: u64, s: &Spec<'_>) -> Result<InitialStack, StackError> {
    stack::build(top, s.argv, s.envp, s.auxv, &RANDOM, s.platform, b"/bin/prog")
}

#[test]
fn a_libc_finds_everything() {
    let plan = plan(&TestElf::static_exec().bytes()).expect("valid");
    let inputs = AuxvInputs { hwcap: 0x178b_fbff, hwcap2: 2, minsigstksz: Some(0xd30), sysinfo_ehdr: None };
    let auxv = standard_auxv_with(&plan, &inputs, &[(AT_RINGO_VTABLE, 0x7000_0000_0000)]);
    let argv: [&[u8]; 3] = [b"/bin/prog", b"-v", b""];
    let envp: [&[u8]; 2] = [b"HOME=/", b"TERM=vt100"];
    let stack = build(TOP, &spec(&argv, &envp, &auxv)).expect("fits");

    assert_eq!(stack.rsp % 16, 0, "psABI: rsp is 16-byte aligned at entry");
    assert_eq!(stack.bytes.len() as u64, TOP - stack.rsp);
    let mem = memory(&stack);
    let parsed = mem.parse();
    assert_eq!(parsed.argv, argv);
    assert_eq!(parsed.envp, envp);
    assert_eq!(mem.word(TOP - 8), 0, "Linux's end marker");

    let got = &parsed.auxv;
    assert_eq!(got.as_slice(), &stack.auxv[..stack.auxv.len() - 1]);
    assert_eq!(stack.auxv.last(), Some(&(AT_NULL, 0)));
    assert_eq!(lookup(got, AT_PHDR), Some(0x400040));
    assert_eq!(lookup(got, AT_PHENT), Some(56));
    assert_eq!(lookup(got, AT_PHNUM), Some(4));
    assert_eq!(lookup(got, AT_PAGESZ), Some(4096));
    assert_eq!(lookup(got, AT_ENTRY), Some(0x400140));
    assert_eq!(lookup(got, AT_BASE), Some(0));
    assert_eq!(lookup(got, AT_CLKTCK), Some(CLOCK_TICKS));
    assert_eq!(lookup(got, AT_HWCAP), Some(0x178b_fbff));
    assert_eq!(lookup(got, AT_HWCAP2), Some(2));
    assert_eq!(lookup(got, AT_MINSIGSTKSZ), Some(0xd30));
    assert_eq!(lookup(got, AT_SECURE), Some(0));
    assert_eq!(lookup(got, AT_RINGO_VTABLE), Some(0x7000_0000_0000));
    assert_eq!(lookup(got, AT_SYSINFO_EHDR), None);

    let random = lookup(got, AT_RANDOM).expect("AT_RANDOM");
    assert_eq!(random, stack.random_addr);
    assert_eq!(mem.slice(random, 16), RANDOM);
    let platform = lookup(got, AT_PLATFORM).expect("AT_PLATFORM");
    assert_eq!(Some(platform), stack.platform_addr);
    assert_eq!(mem.c_string(platform), b"x86_64");
    let execfn = lookup(got, AT_EXECFN).expect("AT_EXECFN");
    assert_eq!(execfn, stack.execfn_addr);
    assert_eq!(mem.c_string(execfn), b"/bin/prog");

    assert_eq!(mem.slice(stack.arg_start, (stack.arg_end - stack.arg_start) as usize), b"/bin/prog\0-v\0\0");
    assert_eq!(mem.slice(stack.env_start, (stack.env_end - stack.env_start) as usize), b"HOME=/\0TERM=vt100\0");
    assert_eq!(stack.arg_end, stack.env_start);
}

#[test]
fn strings_sit_in_linux_order_below_the_top() {
    let argv: [&[u8]; 2] = [b"a", b"bc"];
    let envp: [&[u8]; 1] = [b"X=1"];
    let stack = build(TOP, &spec(&argv, &envp, &[])).expect("fits");
    let mem = memory(&stack);
    assert_eq!(stack.execfn_addr, TOP - 8 - 10);
    assert_eq!(stack.env_start, stack.execfn_addr - 4);
    assert_eq!(stack.arg_start, stack.env_start - 5);
    assert_eq!(stack.platform_addr, Some((stack.arg_start & !15) - 7));
    assert_eq!(stack.random_addr, stack.platform_addr.expect("platform") - 16);
    assert_eq!(mem.slice(stack.arg_start, 27), b"a\0bc\0X=1\0/bin/prog\0\0\0\0\0\0\0\0\0");
}

#[test]
fn rsp_is_aligned_with_no_wasted_padding_for_any_shape() {
    let long = [b'x'; 40];
    for argc in 0..6 {
        for envc in 0..5 {
            for len in 0..18 {
                for extra in 0..3u64 {
                    let argv: Vec<&[u8]> = (0..argc).map(|i| &long[..(len + i) % 40]).collect();
                    let envp: Vec<&[u8]> = (0..envc).map(|i| &long[..(len * 3 + i) % 40]).collect();
                    let auxv: Vec<(u64, u64)> = (0..extra).map(|i| (AT_RINGO_VTABLE + i, i)).collect();
                    let stack = build(TOP, &spec(&argv, &envp, &auxv)).expect("fits");
                    assert_eq!(stack.rsp % 16, 0);
                    let parsed = memory(&stack).parse();
                    assert_eq!(parsed.argv.len(), argc.max(1));
                    assert_eq!(parsed.envp.len(), envc);
                    // Tables end within 16 bytes of the random bytes.
                    let tables = 8 * (1 + argc.max(1) + 1 + envc + 1) as u64 + 16 * stack.auxv.len() as u64;
                    let gap = stack.random_addr - (stack.rsp + tables);
                    assert!(gap < 16, "gap {gap}");
                }
            }
        }
    }
}

#[test]
fn no_arguments_means_one_empty_argv0() {
    let stack = build(TOP, &spec(&[], &[], &[])).expect("fits");
    let parsed = memory(&stack).parse();
    assert_eq!(parsed.argv, [b""]);
    assert!(parsed.envp.is_empty());
}

#[test]
fn build_fills_or_appends_the_stack_addresses() {
    let given = [(AT_RANDOM, 0xdead), (AT_PAGESZ, 4096)];
    let stack = build(TOP, &spec(&[b"p"], &[], &given)).expect("fits");
    assert_eq!(
        stack.auxv,
        [
            (AT_RANDOM, stack.random_addr),
            (AT_PAGESZ, 4096),
            (AT_EXECFN, stack.execfn_addr),
            (AT_PLATFORM, stack.platform_addr.expect("platform")),
            (AT_NULL, 0),
        ]
    );

    let mut no_platform = spec(&[b"p"], &[], &[(AT_PLATFORM, 1), (AT_HWCAP, 5)]);
    no_platform.platform = b"";
    let stack = build(TOP, &no_platform).expect("fits");
    assert_eq!(stack.platform_addr, None);
    assert_eq!(
        stack.auxv,
        [(AT_HWCAP, 5), (AT_RANDOM, stack.random_addr), (AT_EXECFN, stack.execfn_addr), (AT_NULL, 0)]
    );
    assert_eq!(stack.random_addr, (stack.arg_start & !15) - 16);
}

#[test]
fn standard_auxv_follows_linux_order() {
    let plan = plan(&TestElf::static_exec().bytes()).expect("valid");
    let inputs = AuxvInputs { hwcap: 1, hwcap2: 2, minsigstksz: Some(3), sysinfo_ehdr: Some(0x7fff_f7ff_d000) };
    let tags: Vec<u64> = standard_auxv_with(&plan, &inputs, &[(AT_RINGO_VTABLE, 9)]).iter().map(|&(t, _)| t).collect();
    assert_eq!(
        tags,
        [
            AT_SYSINFO_EHDR,
            AT_MINSIGSTKSZ,
            AT_HWCAP,
            AT_PAGESZ,
            AT_CLKTCK,
            AT_PHDR,
            AT_PHENT,
            AT_PHNUM,
            AT_BASE,
            AT_FLAGS,
            AT_ENTRY,
            AT_UID,
            AT_EUID,
            AT_GID,
            AT_EGID,
            AT_SECURE,
            AT_RANDOM,
            AT_HWCAP2,
            AT_EXECFN,
            AT_PLATFORM,
            AT_RINGO_VTABLE,
        ]
    );
    let minimal = standard_auxv(&plan, 0x178b_fbff);
    assert_eq!(minimal.first(), Some(&(AT_HWCAP, 0x178b_fbff)));
    assert_eq!(minimal.last(), Some(&(AT_PLATFORM, 0)));
    assert_eq!(minimal.len(), 18);
    assert_eq!(stack::standard_auxv(&plan, 1)[0], (AT_HWCAP, 1), "reachable next to build");
}

#[test]
fn argument_limits_give_e2big() {
    let huge = vec![b'a'; MAX_ARG_STRLEN];
    let e = build(TOP, &spec(&[b"p", &huge], &[], &[])).expect_err("too long");
    assert_eq!(e, StackError::StringTooLong { env: false, index: 1 });
    assert_eq!(e.errno(), Errno::E2BIG);
    assert_eq!(e.to_string(), "argument 1 is longer than 131072 bytes");
    let e = build(TOP, &spec(&[b"p"], &[&huge], &[])).expect_err("too long");
    assert_eq!(e, StackError::StringTooLong { env: true, index: 0 });

    let just_fits = vec![b'a'; MAX_ARG_STRLEN - 1];
    assert!(build(TOP, &spec(&[b"p", &just_fits], &[], &[])).is_ok());

    // 16 strings of 128 KiB are exactly the 2 MiB; pointers and execfn tip it over.
    let many: Vec<&[u8]> = (0..16).map(|_| &just_fits[..]).collect();
    let e = build(TOP, &spec(&many, &[], &[])).expect_err("too much");
    assert_eq!(e, StackError::TooMuch);
    assert_eq!(e.errno(), Errno::E2BIG);
    assert_eq!(e.to_string(), format!("arguments and environment exceed {ARG_SPACE} bytes"));
    let fewer: Vec<&[u8]> = (0..15).map(|_| &just_fits[..]).collect();
    let stack = build(TOP, &spec(&fewer, &[], &[])).expect("fits");
    assert_eq!(memory(&stack).parse().argv.len(), 15);

    let tiny: Vec<&[u8]> = vec![b""; ARG_SPACE / 9];
    assert_eq!(build(TOP, &spec(&tiny, &[], &[])), Err(StackError::TooMuch), "pointers count too");
}

#[test]
fn caller_mistakes_are_refused() {
    let e = build(TOP, &spec(&[b"a\0b"], &[], &[])).expect_err("NUL");
    assert_eq!(e, StackError::NulInString { env: false, index: 0 });
    assert_eq!(e.errno(), Errno::EINVAL);
    let e = build(TOP, &spec(&[b"a"], &[b"X=1", b"Y\0"], &[])).expect_err("NUL");
    assert_eq!(e, StackError::NulInString { env: true, index: 1 });
    assert_eq!(build(TOP, &spec(&[b"a"], &[], &[(AT_NULL, 0)])), Err(StackError::AuxvHasNull));
    assert_eq!(build(TOP - 8, &spec(&[b"a"], &[], &[])), Err(StackError::BadTop(TOP - 8)));
    assert_eq!(build(256, &spec(&[b"a"], &[], &[])), Err(StackError::BadTop(256)));
    assert_eq!(build(USER_END + 16, &spec(&[b"a"], &[], &[])), Err(StackError::BadTop(USER_END + 16)));
    assert_eq!(build(0, &spec(&[b"a"], &[], &[])).map_err(|e| e.errno()), Err(Errno::EFAULT));
    for e in [StackError::TooMuch, StackError::AuxvHasNull, StackError::BadTop(1)] {
        assert!(!e.to_string().contains('\n'));
    }
}

#[test]
fn lowest_possible_top_still_works() {
    // The room build demands is a generous bound; a top just above it must
    // work and keep the whole stack above USER_MIN.
    let argv: [&[u8]; 1] = [b"p"];
    let first_ok = (0..64u64).map(|i| USER_MIN + i * 16).find(|&top| build(top, &spec(&argv, &[], &[])).is_ok());
    let top = first_ok.expect("a small top works");
    assert_eq!(build(USER_MIN, &spec(&argv, &[], &[])), Err(StackError::BadTop(USER_MIN)));
    let stack = build(top, &spec(&argv, &[], &[])).expect("fits");
    assert!(stack.rsp >= USER_MIN);
    assert_eq!(memory(&stack).parse().argv, argv);
    assert_eq!(build(USER_END, &spec(&argv, &[], &[])).map(|s| s.rsp % 16), Ok(0));
}

#[test]
fn arg_space_is_a_quarter_of_the_stack_limit_within_arg_max_and_the_stack() {
    assert_eq!(stack::arg_space(8 << 20), 2 << 20);
    assert_eq!(stack::arg_space(1 << 20), 256 << 10);
    assert_eq!(stack::arg_space(256 << 10), stack::ARG_MAX);
    assert_eq!(stack::arg_space(0), stack::ARG_MAX);
    assert_eq!(stack::arg_space(u64::MAX), ARG_SPACE);
}
