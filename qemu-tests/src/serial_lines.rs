//! Parsers for the lines the kernel prints by contract (docs: the kernel's
//! boot banner, the SMP self-test, fault backtraces). Each finds its line
//! anywhere in a serial line, so a log prefix does not hide it.

/// `ringo: ready: <n> CPUs, <m> MiB memory, accel <name>, boot <x.yyy> ms`
#[derive(Debug, Clone, PartialEq)]
pub struct Banner {
    pub cpus: u32,
    pub memory_mib: u64,
    pub accel: String,
    pub boot_ms: f64,
}

/// `smp: cpu <i> (apic <a>) online, <t> ticks`
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuOnline {
    pub index: u32,
    pub apic: u32,
    pub ticks: u64,
}

/// `#<k> 0x<16 hex> <symbol>+0x<off>`; a frame the kernel could not name
/// has whatever it printed as `symbol` and no offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub index: u32,
    pub addr: u64,
    pub symbol: String,
    pub offset: Option<u64>,
}

pub const BANNER_PREFIX: &str = "ringo: ready: ";
pub const BACKTRACE_HEADER: &str = "backtrace:";

pub fn parse_banner(line: &str) -> Option<Banner> {
    let mut c = Cursor::after(line, BANNER_PREFIX)?;
    let cpus = c.uint()?;
    c.literal(" CPUs, ")?;
    let memory_mib = c.uint()?;
    c.literal(" MiB memory, accel ")?;
    let accel = c.word()?.to_string();
    c.literal(", boot ")?;
    let boot_ms = c.decimal()?;
    c.literal(" ms")?;
    Some(Banner { cpus: u32::try_from(cpus).ok()?, memory_mib, accel, boot_ms })
}

pub fn parse_cpu_online(line: &str) -> Option<CpuOnline> {
    let mut c = Cursor::after(line, "smp: cpu ")?;
    let index = c.uint()?;
    c.literal(" (apic ")?;
    let apic = c.uint()?;
    c.literal(") online, ")?;
    let ticks = c.uint()?;
    c.literal(" ticks")?;
    Some(CpuOnline { index: u32::try_from(index).ok()?, apic: u32::try_from(apic).ok()?, ticks })
}

pub fn parse_frame(line: &str) -> Option<Frame> {
    let mut c = Cursor(line.trim_start().strip_prefix('#')?);
    let index = u32::try_from(c.uint()?).ok()?;
    c.literal(" 0x")?;
    let addr = c.hex()?;
    c.literal(" ")?;
    let rest = c.0.trim_end();
    let (symbol, offset) = match rest.rsplit_once("+0x") {
        Some((symbol, off)) => match u64::from_str_radix(off, 16) {
            Ok(off) => (symbol, Some(off)),
            Err(_) => (rest, None),
        },
        None => (rest, None),
    };
    Some(Frame { index, addr, symbol: symbol.to_string(), offset })
}

/// The frames of the first backtrace in `serial`: the frame lines that
/// follow its `backtrace:` line.
pub fn first_backtrace(serial: &str) -> Vec<Frame> {
    let mut lines = serial.lines().skip_while(|l| !l.trim_end().ends_with(BACKTRACE_HEADER));
    lines.next();
    lines.map_while(parse_frame).collect()
}

/// A read position in a line, for the patterns above.
struct Cursor<'a>(&'a str);

impl<'a> Cursor<'a> {
    fn after(line: &'a str, prefix: &str) -> Option<Cursor<'a>> {
        line.find(prefix).map(|at| Cursor(&line[at + prefix.len()..]))
    }

    fn literal(&mut self, text: &str) -> Option<()> {
        self.0 = self.0.strip_prefix(text)?;
        Some(())
    }

    fn take_while(&mut self, keep: impl Fn(char) -> bool) -> Option<&'a str> {
        let end = self.0.find(|c: char| !keep(c)).unwrap_or(self.0.len());
        let (taken, rest) = self.0.split_at(end);
        self.0 = rest;
        (!taken.is_empty()).then_some(taken)
    }

    fn uint(&mut self) -> Option<u64> {
        self.take_while(|c| c.is_ascii_digit())?.parse().ok()
    }

    fn hex(&mut self) -> Option<u64> {
        u64::from_str_radix(self.take_while(|c| c.is_ascii_hexdigit())?, 16).ok()
    }

    fn decimal(&mut self) -> Option<f64> {
        self.take_while(|c| c.is_ascii_digit() || c == '.')?.parse().ok()
    }

    fn word(&mut self) -> Option<&'a str> {
        self.take_while(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn banner() {
        let line = "ringo: ready: 4 CPUs, 254 MiB memory, accel tcg, boot 12.345 ms";
        assert_eq!(parse_banner(line), Some(Banner { cpus: 4, memory_mib: 254, accel: "tcg".into(), boot_ms: 12.345 }));
        assert_eq!(parse_banner(&format!("[0.01] {line}")).map(|b| b.cpus), Some(4));
        assert_eq!(parse_banner("ringo: ready: 4 CPUs, lots MiB memory, accel tcg, boot 1.0 ms"), None);
        assert_eq!(parse_banner("ringo: ready: 1 CPUs, 10 MiB memory, accel kvm, boot 1.000"), None);
    }

    #[test]
    fn cpu_online() {
        assert_eq!(
            parse_cpu_online("smp: cpu 3 (apic 6) online, 17 ticks"),
            Some(CpuOnline { index: 3, apic: 6, ticks: 17 })
        );
        assert_eq!(parse_cpu_online("smp: cpu 3 (apic 6) offline"), None);
    }

    #[test]
    fn frames_and_backtraces() {
        let serial = "KERNEL FAULT: page fault (#PF, vector 14)\n\
                      backtrace:\n  \
                      #0 0xffffffff80012345 ringo_kernel::ktest::page_fault+0x2a\n  \
                      #1 0xffffffff80010000 <ringo_kernel::X as core::ops::Fn<()>>::call+0x10\n  \
                      #2 0x0000000000001234 ?\n\
                      ringo: exit status 70 (kernel fault)\n";
        let frames = first_backtrace(serial);
        assert_eq!(frames.len(), 3);
        assert_eq!(
            frames[0],
            Frame {
                index: 0,
                addr: 0xffffffff80012345,
                symbol: "ringo_kernel::ktest::page_fault".into(),
                offset: Some(0x2a)
            }
        );
        assert_eq!(frames[1].symbol, "<ringo_kernel::X as core::ops::Fn<()>>::call");
        assert_eq!(frames[2], Frame { index: 2, addr: 0x1234, symbol: "?".into(), offset: None });
        assert!(first_backtrace("no trace here\n").is_empty());
    }
}
