//! Per-interface counters and their /proc/net/dev rendering, in exactly
//! Linux's format (net/core/net-procfs.c, dev_seq_show): busybox ifconfig
//! and other tools parse it by column.

use alloc::string::String;
use core::fmt::Write;

/// The columns of /proc/net/dev, in its order. `rx_frame` and `tx_carrier`
/// are Linux's sums of several error kinds; here they are what the driver
/// counts under those names.
#[derive(Default, Clone, Copy, Debug, PartialEq, Eq)]
pub struct IfCounters {
    pub rx_bytes: u64,
    pub rx_packets: u64,
    pub rx_errs: u64,
    pub rx_drop: u64,
    pub rx_fifo: u64,
    pub rx_frame: u64,
    pub rx_compressed: u64,
    pub rx_multicast: u64,
    pub tx_bytes: u64,
    pub tx_packets: u64,
    pub tx_errs: u64,
    pub tx_drop: u64,
    pub tx_fifo: u64,
    pub tx_colls: u64,
    pub tx_carrier: u64,
    pub tx_compressed: u64,
}

impl IfCounters {
    /// Adds `other` in, e.g. to total per-CPU or per-queue counters. Counters
    /// wrap like Linux's rather than stop the kernel.
    pub fn add(&mut self, other: &Self) {
        for (mine, theirs) in self.columns_mut().into_iter().zip(other.columns()) {
            *mine = mine.wrapping_add(theirs);
        }
    }

    fn columns(&self) -> [u64; 16] {
        [
            self.rx_bytes,
            self.rx_packets,
            self.rx_errs,
            self.rx_drop,
            self.rx_fifo,
            self.rx_frame,
            self.rx_compressed,
            self.rx_multicast,
            self.tx_bytes,
            self.tx_packets,
            self.tx_errs,
            self.tx_drop,
            self.tx_fifo,
            self.tx_colls,
            self.tx_carrier,
            self.tx_compressed,
        ]
    }

    fn columns_mut(&mut self) -> [&mut u64; 16] {
        [
            &mut self.rx_bytes,
            &mut self.rx_packets,
            &mut self.rx_errs,
            &mut self.rx_drop,
            &mut self.rx_fifo,
            &mut self.rx_frame,
            &mut self.rx_compressed,
            &mut self.rx_multicast,
            &mut self.tx_bytes,
            &mut self.tx_packets,
            &mut self.tx_errs,
            &mut self.tx_drop,
            &mut self.tx_fifo,
            &mut self.tx_colls,
            &mut self.tx_carrier,
            &mut self.tx_compressed,
        ]
    }
}

const HEADER: &str = "Inter-|   Receive                                                |  Transmit\n face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n";

/// The whole file: the two header lines, then one line per interface in the
/// order given (include `lo` by passing it).
pub fn proc_net_dev(ifaces: &[(&str, IfCounters)]) -> String {
    let mut s = String::from(HEADER);
    for (name, c) in ifaces {
        // Linux: "%6s:%8llu %7llu %4llu %4llu %4llu %5llu %10llu %9llu
        //         %8llu %7llu %4llu %4llu %4llu %5llu %7llu %10llu\n"
        let _ = writeln!(
            s,
            "{name:>6}:{:>8} {:>7} {:>4} {:>4} {:>4} {:>5} {:>10} {:>9} {:>8} {:>7} {:>4} {:>4} {:>4} {:>5} {:>7} {:>10}",
            c.rx_bytes,
            c.rx_packets,
            c.rx_errs,
            c.rx_drop,
            c.rx_fifo,
            c.rx_frame,
            c.rx_compressed,
            c.rx_multicast,
            c.tx_bytes,
            c.tx_packets,
            c.tx_errs,
            c.tx_drop,
            c.tx_fifo,
            c.tx_colls,
            c.tx_carrier,
            c.tx_compressed,
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_lines_are_linuxs() {
        let text = proc_net_dev(&[]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0], "Inter-|   Receive                                                |  Transmit");
        assert_eq!(
            lines[1],
            " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed"
        );
        assert_eq!(lines[0].find("|  Transmit"), lines[1].rfind("|bytes"), "the columns' separator lines up");
    }

    #[test]
    fn an_interface_line_has_linuxs_widths() {
        let c = IfCounters {
            rx_bytes: 1234,
            rx_packets: 12,
            tx_bytes: 5678,
            tx_packets: 34,
            rx_drop: 1,
            ..Default::default()
        };
        let text = proc_net_dev(&[("eth0", c)]);
        let line = text.lines().nth(2).unwrap();
        assert_eq!(
            line,
            "  eth0:    1234      12    0    1    0     0          0         0     5678      34    0    0    0     0       0          0"
        );
        assert!(text.ends_with('\n'));
    }

    #[test]
    fn long_names_and_big_numbers_widen_their_columns_as_printf_does() {
        let c = IfCounters { rx_bytes: 123_456_789_012, ..Default::default() };
        let text = proc_net_dev(&[("lo", IfCounters::default()), ("enp0s3xyz", c)]);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[2].starts_with("    lo:       0       0"));
        assert!(lines[3].starts_with("enp0s3xyz:123456789012       0    0"));
    }

    #[test]
    fn every_column_is_printed_in_order() {
        let mut c = IfCounters::default();
        for (i, col) in c.columns_mut().into_iter().enumerate() {
            *col = i as u64 + 1;
        }
        let text = proc_net_dev(&[("eth0", c)]);
        let numbers: Vec<u64> = text
            .lines()
            .nth(2)
            .unwrap()
            .split(':')
            .nth(1)
            .unwrap()
            .split_whitespace()
            .map(|n| n.parse().unwrap())
            .collect();
        assert_eq!(numbers, (1..=16).collect::<Vec<u64>>());
    }

    #[test]
    fn add_sums_every_column() {
        let mut total = IfCounters { rx_bytes: 10, tx_compressed: 1, ..Default::default() };
        let other = IfCounters { rx_bytes: 5, tx_colls: 2, tx_compressed: 1, ..Default::default() };
        total.add(&other);
        assert_eq!(total, IfCounters { rx_bytes: 15, tx_colls: 2, tx_compressed: 2, ..Default::default() });
        let mut wrapping = IfCounters { rx_packets: u64::MAX, ..Default::default() };
        wrapping.add(&IfCounters { rx_packets: 2, ..Default::default() });
        assert_eq!(wrapping.rx_packets, 1);
    }
}
