//! The kernel command line, parsed the way Linux reads it: whitespace-separated
//! `key` or `key=value` words, double quotes to keep spaces inside a word, and
//! everything after a lone `--` handed to init as its arguments.

/// One `key[=value]` word, quotes removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Param<'a> {
    pub key: &'a str,
    pub value: Option<&'a str>,
}

/// How init runs (contract: `ringo.mode=hp` runs it in ring 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    Normal,
    Hp,
}

/// Log levels, most to least severe; `loglevel=N` keeps levels `< N` like Linux.
pub const DEFAULT_LOGLEVEL: u8 = 7;
pub const QUIET_LOGLEVEL: u8 = 4;

/// The settings the kernel understands, borrowed from the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelArgs<'a> {
    line: &'a str,
    pub init: Option<&'a str>,
    pub mode: Mode,
    pub strace: bool,
    pub loglevel: u8,
    /// `ringo.ktest=NAME`: run the named in-kernel self-test instead of init.
    pub ktest: Option<&'a str>,
}

/// Why a word was not understood; the kernel logs it and carries on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamError<'a> {
    BadValue { key: &'a str, value: &'a str },
    MissingValue { key: &'a str },
}

impl<'a> KernelArgs<'a> {
    /// Parses `line`; words that are not understood are returned through
    /// `on_error` (unknown keys are not errors: they may be for init).
    pub fn parse(line: &'a str, mut on_error: impl FnMut(ParamError<'a>)) -> Self {
        let mut args =
            KernelArgs { line, init: None, mode: Mode::Normal, strace: false, loglevel: DEFAULT_LOGLEVEL, ktest: None };
        for p in params(line) {
            match (p.key, p.value) {
                ("init", Some(v)) if !v.is_empty() => args.init = Some(v),
                ("ringo.mode", Some("hp")) => args.mode = Mode::Hp,
                ("ringo.mode", Some("normal")) => args.mode = Mode::Normal,
                ("ringo.strace", None) => args.strace = true,
                ("quiet", None) => args.loglevel = QUIET_LOGLEVEL,
                ("loglevel", Some(v)) => match v.parse::<u8>() {
                    Ok(n) if n <= 8 => args.loglevel = n,
                    _ => on_error(ParamError::BadValue { key: p.key, value: v }),
                },
                ("ringo.ktest", Some(v)) if !v.is_empty() => args.ktest = Some(v),
                ("init" | "ringo.mode" | "ringo.ktest", Some(v)) => {
                    on_error(ParamError::BadValue { key: p.key, value: v })
                }
                ("init" | "ringo.mode" | "loglevel" | "ringo.ktest", None) => {
                    on_error(ParamError::MissingValue { key: p.key })
                }
                _ => {}
            }
        }
        args
    }

    /// The arguments after `--`, for init.
    pub fn init_args(&self) -> Words<'a> {
        Words::after_separator(self.line)
    }

    /// Every `key[=value]` word before `--`.
    pub fn params(&self) -> impl Iterator<Item = Param<'a>> + 'a {
        params(self.line)
    }
}

/// Every `key[=value]` word before `--`.
pub fn params(line: &str) -> impl Iterator<Item = Param<'_>> {
    Words::new(line).map(|w| match w.find('=') {
        Some(i) => Param { key: &w[..i], value: Some(strip_quotes(&w[i + 1..])) },
        None => Param { key: strip_quotes(w), value: None },
    })
}

fn strip_quotes(s: &str) -> &str {
    s.strip_prefix('"').map(|t| t.strip_suffix('"').unwrap_or(t)).unwrap_or(s)
}

/// Splits on whitespace outside double quotes. Stops at a lone `--` unless
/// built by [`Words::after_separator`], which yields only what follows it.
#[derive(Debug, Clone)]
pub struct Words<'a> {
    rest: &'a str,
    stop_at_separator: bool,
}

impl<'a> Words<'a> {
    pub fn new(line: &'a str) -> Self {
        Words { rest: line, stop_at_separator: true }
    }

    pub fn after_separator(line: &'a str) -> Self {
        let mut w = Words::new(line);
        while w.next().is_some() {}
        // `next` stops right after consuming the separator (or at the end).
        w.stop_at_separator = false;
        w
    }

    fn raw_word(&mut self) -> Option<&'a str> {
        let s = self.rest.trim_start();
        if s.is_empty() {
            self.rest = s;
            return None;
        }
        let mut in_quotes = false;
        let mut end = s.len();
        for (i, c) in s.char_indices() {
            match c {
                '"' => in_quotes = !in_quotes,
                c if c.is_whitespace() && !in_quotes => {
                    end = i;
                    break;
                }
                _ => {}
            }
        }
        self.rest = &s[end..];
        Some(&s[..end])
    }
}

impl<'a> Iterator for Words<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let w = self.raw_word()?;
        if self.stop_at_separator && w == "--" {
            return None;
        }
        Some(if self.stop_at_separator { w } else { strip_quotes(w) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> (KernelArgs<'_>, Vec<ParamError<'_>>) {
        let mut errs = Vec::new();
        let a = KernelArgs::parse(line, |e| errs.push(e));
        (a, errs)
    }

    #[test]
    fn empty_line_gives_defaults() {
        let (a, errs) = parse("");
        assert_eq!(a.init, None);
        assert_eq!(a.mode, Mode::Normal);
        assert!(!a.strace);
        assert_eq!(a.loglevel, DEFAULT_LOGLEVEL);
        assert_eq!(a.init_args().count(), 0);
        assert!(errs.is_empty());
    }

    #[test]
    fn known_keys() {
        let (a, errs) = parse("  init=/bin/sh ringo.mode=hp ringo.strace loglevel=3 ringo.ktest=smp ");
        assert_eq!(a.init, Some("/bin/sh"));
        assert_eq!(a.mode, Mode::Hp);
        assert!(a.strace);
        assert_eq!(a.loglevel, 3);
        assert_eq!(a.ktest, Some("smp"));
        assert!(errs.is_empty());
    }

    #[test]
    fn quiet_lowers_loglevel_and_later_words_win() {
        assert_eq!(parse("quiet").0.loglevel, QUIET_LOGLEVEL);
        assert_eq!(parse("quiet loglevel=8").0.loglevel, 8);
        assert_eq!(parse("ringo.mode=hp ringo.mode=normal").0.mode, Mode::Normal);
    }

    #[test]
    fn args_after_separator_go_to_init() {
        let (a, _) = parse("init=/prog -- -v \"two words\" x=1 -- y");
        assert_eq!(a.init, Some("/prog"));
        let args: Vec<_> = a.init_args().collect();
        assert_eq!(args, ["-v", "two words", "x=1", "--", "y"]);
        // Words after `--` are not kernel parameters.
        assert!(a.params().all(|p| p.key != "x"));
    }

    #[test]
    fn quoted_values_keep_spaces() {
        let (a, _) = parse("init=\"/my prog\" other=\"a b\" \"bare word\"");
        assert_eq!(a.init, Some("/my prog"));
        let ps: Vec<_> = a.params().collect();
        assert_eq!(ps[1], Param { key: "other", value: Some("a b") });
        assert_eq!(ps[2], Param { key: "bare word", value: None });
    }

    #[test]
    fn bad_values_are_reported_not_applied() {
        let (a, errs) = parse("loglevel=x loglevel=99 ringo.mode=fast init init=");
        assert_eq!(a.loglevel, DEFAULT_LOGLEVEL);
        assert_eq!(a.mode, Mode::Normal);
        assert_eq!(a.init, None);
        assert_eq!(
            errs,
            [
                ParamError::BadValue { key: "loglevel", value: "x" },
                ParamError::BadValue { key: "loglevel", value: "99" },
                ParamError::BadValue { key: "ringo.mode", value: "fast" },
                ParamError::MissingValue { key: "init" },
                ParamError::BadValue { key: "init", value: "" },
            ]
        );
    }

    #[test]
    fn unterminated_quote_runs_to_end() {
        let ws: Vec<_> = Words::new("a=\"b c").collect();
        assert_eq!(ws, ["a=\"b c"]);
        let (a, _) = parse("init=\"/x y");
        assert_eq!(a.init, Some("/x y"));
    }
}
