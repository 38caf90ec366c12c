//! The goals issue 7 sets Ringo against the Linux guest, checked against a
//! comparison: each is a least ratio of a Linux median over a Ringo one,
//! or a most value of a Ringo median.

use super::comparison::{Cell, Comparison};
use super::guests::{Guest, Timing};
use super::results::Metric;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Goal {
    /// `linux`'s median at least `factor` times `ringo`'s.
    Faster { linux: Guest, ringo: Guest, factor: f64 },
    /// `ringo`'s median at most `limit`.
    AtMost { ringo: Guest, limit: f64 },
    /// `ringo`'s median at most `factor` times its median of `base`.
    WithinOf { ringo: Guest, base: Metric, factor: f64 },
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Target {
    pub metric: Metric,
    pub goal: Goal,
}

pub const TARGETS: [Target; 9] = [
    Target {
        metric: Metric::GoFileWrite,
        goal: Goal::Faster { linux: Guest::Linux, ringo: Guest::RingoHp, factor: 4.0 },
    },
    Target {
        metric: Metric::GoFileWrite,
        goal: Goal::Faster { linux: Guest::LinuxMitigationsOff, ringo: Guest::RingoHp, factor: 2.0 },
    },
    Target {
        metric: Metric::GoFileWrite,
        goal: Goal::Faster { linux: Guest::Linux, ringo: Guest::Ringo, factor: 1.5 },
    },
    Target {
        metric: Metric::Getpid,
        goal: Goal::WithinOf { ringo: Guest::RingoHp, base: Metric::FunctionCall, factor: 3.0 },
    },
    Target { metric: Metric::Getpid, goal: Goal::Faster { linux: Guest::Linux, ringo: Guest::Ringo, factor: 1.0 } },
    Target {
        metric: Metric::BootToInit,
        goal: Goal::Faster { linux: Guest::Linux, ringo: Guest::Ringo, factor: 10.0 },
    },
    Target {
        metric: Metric::BootToInit,
        goal: Goal::Faster { linux: Guest::Linux, ringo: Guest::RingoHp, factor: 10.0 },
    },
    Target { metric: Metric::HelloMemory, goal: Goal::AtMost { ringo: Guest::Ringo, limit: 16.0 } },
    Target { metric: Metric::HelloMemory, goal: Goal::AtMost { ringo: Guest::RingoHp, limit: 16.0 } },
];

impl Target {
    pub fn describe(&self) -> String {
        match self.goal {
            Goal::Faster { linux, ringo, factor } => {
                format!("{}: {} at least {factor}x faster than {}", self.metric.label(), ringo.column(), linux.column())
            }
            Goal::AtMost { ringo, limit } => {
                format!("{}: {} {limit} {} or less", self.metric.label(), ringo.column(), self.metric.unit())
            }
            Goal::WithinOf { ringo, base, factor } => {
                format!("{}: {} within {factor}x of a {}", self.metric.label(), ringo.column(), base.label())
            }
        }
    }

    /// `Some((met, the figure))` when both medians exist under `timing`.
    pub fn check(&self, comparison: &Comparison, timing: Timing) -> Option<(bool, String)> {
        let median_of = |metric, guest| match comparison.cell(timing, metric, guest) {
            Some(Cell::Figure(s)) => Some(s.median),
            _ => None,
        };
        let median = |guest| median_of(self.metric, guest);
        match self.goal {
            Goal::Faster { linux, ringo, factor } => {
                let (l, r) = (median(linux)?, median(ringo)?);
                (r > 0.0).then(|| (l / r >= factor, format!("{:.2}x", l / r)))
            }
            Goal::AtMost { ringo, limit } => {
                let r = median(ringo)?;
                Some((r <= limit, format!("{r} {}", self.metric.unit())))
            }
            Goal::WithinOf { ringo, base, factor } => {
                let (r, b) = (median(ringo)?, median_of(base, ringo)?);
                (b > 0.0).then(|| (r / b <= factor, format!("{:.2}x", r / b)))
            }
        }
    }
}

/// The markdown table: one row per target, one column per timing.
pub fn table(comparison: &Comparison, timings: &[Timing]) -> String {
    let mut s = String::from("| target |");
    for t in timings {
        s.push_str(&format!(" {t} |"));
    }
    s.push('\n');
    s.push_str(&"|---".repeat(1 + timings.len()));
    s.push_str("|\n");
    for target in TARGETS {
        s.push_str(&format!("| {} |", target.describe()));
        for &t in timings {
            let text = match target.check(comparison, t) {
                Some((true, figure)) => format!("met ({figure})"),
                Some((false, figure)) => format!("**not met** ({figure})"),
                None => "n/a".to_string(),
            };
            s.push_str(&format!(" {text} |"));
        }
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::stats::Summary;

    fn set(c: &mut Comparison, metric: Metric, guest: Guest, v: f64) {
        c.cells.insert((Timing::Tcg, metric, guest), Cell::Figure(Summary::of(&[v]).unwrap()));
    }

    #[test]
    fn targets_are_checked_against_medians() {
        let mut c = Comparison::default();
        set(&mut c, Metric::GoFileWrite, Guest::Linux, 6000.0);
        set(&mut c, Metric::GoFileWrite, Guest::Ringo, 3000.0);
        set(&mut c, Metric::GoFileWrite, Guest::RingoHp, 1000.0);
        set(&mut c, Metric::HelloMemory, Guest::Ringo, 9.0);
        let hp_vs_linux = TARGETS[0].check(&c, Timing::Tcg);
        assert_eq!(hp_vs_linux, Some((true, "6.00x".to_string())));
        assert_eq!(TARGETS[1].check(&c, Timing::Tcg), None, "no Linux mitigations=off figure");
        assert_eq!(TARGETS[2].check(&c, Timing::Tcg), Some((true, "2.00x".to_string())));
        assert_eq!(TARGETS[7].check(&c, Timing::Tcg), Some((true, "9 MiB".to_string())));
        set(&mut c, Metric::Getpid, Guest::RingoHp, 26.0);
        set(&mut c, Metric::FunctionCall, Guest::RingoHp, 13.0);
        assert_eq!(TARGETS[3].check(&c, Timing::Tcg), Some((true, "2.00x".to_string())));
        set(&mut c, Metric::FunctionCall, Guest::RingoHp, 5.0);
        assert_eq!(TARGETS[3].check(&c, Timing::Tcg), Some((false, "5.20x".to_string())));
        assert_eq!(TARGETS[0].check(&c, Timing::TcgIcount), None);
        set(&mut c, Metric::GoFileWrite, Guest::Ringo, 5000.0);
        assert_eq!(TARGETS[2].check(&c, Timing::Tcg), Some((false, "1.20x".to_string())));
    }

    #[test]
    fn the_table_says_met_or_not() {
        let mut c = Comparison::default();
        set(&mut c, Metric::Getpid, Guest::Linux, 700.0);
        set(&mut c, Metric::Getpid, Guest::Ringo, 800.0);
        let text = table(&c, &[Timing::Tcg]);
        assert!(text.starts_with("| target | TCG |\n|---|---|\n"), "{text}");
        assert!(
            text.contains("| getpid (raw syscall): Ringo normal at least 1x faster than Linux | **not met** (0.88x) |"),
            "{text}"
        );
        assert!(text.contains("| least -m for hello: Ringo HP 16 MiB or less | n/a |"), "{text}");
    }
}
