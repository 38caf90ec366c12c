//! The kernel command line (ringo_boot::cmdline) and the `ip=` parameter it
//! carries (ringo_net::config::parse_ip_param). The kernel keeps the valid
//! UTF-8 prefix of what the loader gave it (src/boot_info.rs); so does this
//! target. Beyond not panicking: every word and parameter is a piece of the
//! line; the words before `--`, joined by single spaces, split into the
//! same words again; and an accepted static `ip=` has a contiguous netmask
//! and a unicast address.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ringo_boot::cmdline::{KernelArgs, Words, params};
use ringo_net::config::{IpConfig, is_contiguous, parse_ip_param};

fn piece_of(line: &str, part: &str) -> bool {
    let (l, p) = (line.as_ptr() as usize, part.as_ptr() as usize);
    p >= l && p + part.len() <= l + line.len()
}

fn check_ip(value: &str) {
    if let Ok(IpConfig::Static(cfg)) = parse_ip_param(value) {
        assert!(is_contiguous(cfg.netmask), "ip={value}: netmask {} accepted", cfg.netmask);
        assert!(cfg.prefix_len() <= 32);
        assert!(!cfg.addr.is_broadcast() && !cfg.addr.is_multicast(), "ip={value}: address {} accepted", cfg.addr);
    }
}

fuzz_target!(|data: &[u8]| {
    let line = match core::str::from_utf8(data) {
        Ok(s) => s,
        Err(e) => core::str::from_utf8(&data[..e.valid_up_to()]).unwrap_or(""),
    };
    let mut errors = 0usize;
    let args = KernelArgs::parse(line, |_| errors += 1);
    assert!(args.loglevel <= 8);
    for s in [args.init, args.ktest].into_iter().flatten() {
        assert!(piece_of(line, s) && !s.is_empty());
    }
    let mut count = 0usize;
    for p in args.params() {
        assert!(piece_of(line, p.key));
        if let Some(v) = p.value {
            assert!(piece_of(line, v));
            if p.key == "ip" {
                check_ip(v);
            }
        }
        count += 1;
    }
    assert!(errors <= count);
    for w in args.init_args() {
        assert!(piece_of(line, w));
    }

    let words: Vec<&str> = Words::new(line).collect();
    assert!(words.iter().all(|w| !w.is_empty() && *w != "--"));
    let joined = words.join(" ");
    let again: Vec<&str> = Words::new(&joined).collect();
    assert_eq!(words, again, "the words of {line:?} do not survive a re-join");
    assert_eq!(params(line).count(), words.len());

    // The whole line as an ip= value too: the parser sees more shapes.
    check_ip(line);
});
