//! The guest's network figures as its /proc files show them (a test `cat`s
//! them on the console):
//! - `/proc/ringo_net`: a header line `cpu0 cpu1 ...`, then one line per
//!   counter, its name then one number per CPU (`rx_frames 12 7`);
//! - `/proc/interrupts`, as Linux lays it out: a header of `CPU0 CPU1 ...`,
//!   then per row a label (`24:`), one count per CPU, the chip and the
//!   name last (`eth0-rx-0`);
//! - `/proc/net/dev`, as Linux: `eth0: rx_bytes rx_packets ... tx_bytes
//!   tx_packets ...`, 8 receive columns then 8 transmit columns.

/// `/proc/ringo_net`: counters per CPU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpuCounters {
    pub cpus: usize,
    pub counters: Vec<(String, Vec<u64>)>,
}

impl CpuCounters {
    pub fn parse(text: &str) -> Result<CpuCounters, String> {
        let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
        let header = lines.next().ok_or("empty: no `cpu0 ...` header")?;
        let cpus = header.split_whitespace().count();
        let numbered = header.split_whitespace().enumerate().all(|(i, w)| w == format!("cpu{i}"));
        if cpus == 0 || !numbered {
            return Err(format!("the header `{header}` is not `cpu0 cpu1 ...`"));
        }
        let mut counters = Vec::new();
        for line in lines {
            let mut words = line.split_whitespace();
            let name = words.next().unwrap_or_default().to_string();
            let values: Vec<u64> = words
                .map(|w| w.parse().map_err(|_| format!("`{line}`: `{w}` is not a count")))
                .collect::<Result<_, _>>()?;
            if values.len() != cpus {
                return Err(format!("`{line}` has {} numbers for {cpus} CPUs", values.len()));
            }
            counters.push((name, values));
        }
        Ok(CpuCounters { cpus, counters })
    }

    /// The counter's value on each CPU.
    pub fn get(&self, name: &str) -> Option<&[u64]> {
        self.counters.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_slice())
    }

    /// The counter summed over the CPUs.
    pub fn total(&self, name: &str) -> Option<u64> {
        self.get(name).map(|v| v.iter().sum())
    }
}

/// One row of `/proc/interrupts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterruptRow {
    /// The first column without its colon (`24`, `LOC`).
    pub label: String,
    pub per_cpu: Vec<u64>,
    /// What is between the counts and the name (`PCI-MSIX 0000:00:02.0 1-edge`).
    pub chip: String,
    /// The last word (`eth0-rx-0`).
    pub name: String,
}

/// `/proc/interrupts`' rows. Rows with fewer counts than CPUs (Linux's
/// `ERR:`) keep the counts they have.
pub fn parse_interrupts(text: &str) -> Result<Vec<InterruptRow>, String> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header = lines.next().ok_or("empty: no `CPU0 ...` header")?;
    let cpus = header.split_whitespace().count();
    if cpus == 0 || !header.split_whitespace().enumerate().all(|(i, w)| w == format!("CPU{i}")) {
        return Err(format!("the header `{}` is not `CPU0 CPU1 ...`", header.trim()));
    }
    let mut rows = Vec::new();
    for line in lines {
        let mut words = line.split_whitespace().peekable();
        let label = words.next().unwrap_or_default();
        let Some(label) = label.strip_suffix(':') else {
            return Err(format!("`{}`: no `label:` first", line.trim()));
        };
        let mut per_cpu = Vec::new();
        while per_cpu.len() < cpus {
            match words.peek().and_then(|w| w.parse::<u64>().ok()) {
                Some(n) => {
                    per_cpu.push(n);
                    words.next();
                }
                None => break,
            }
        }
        let mut rest: Vec<&str> = words.collect();
        let name = rest.pop().unwrap_or_default().to_string();
        rows.push(InterruptRow { label: label.to_string(), per_cpu, chip: rest.join(" "), name });
    }
    Ok(rows)
}

/// The row named `name` (its last word).
pub fn interrupt_row<'a>(rows: &'a [InterruptRow], name: &str) -> Option<&'a InterruptRow> {
    rows.iter().find(|r| r.name == name)
}

/// Packet counts of one interface in `/proc/net/dev`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DevPackets {
    pub rx_packets: u64,
    pub rx_dropped: u64,
    pub tx_packets: u64,
}

/// `iface`'s packet counts in `/proc/net/dev`.
pub fn net_dev_packets(text: &str, iface: &str) -> Option<DevPackets> {
    let prefix = format!("{iface}:");
    let line = text.lines().map(str::trim_start).find(|l| l.starts_with(&prefix))?;
    let fields: Vec<u64> = line[prefix.len()..].split_whitespace().map(|w| w.parse().ok()).collect::<Option<_>>()?;
    (fields.len() >= 16).then(|| DevPackets { rx_packets: fields[1], rx_dropped: fields[3], tx_packets: fields[9] })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ringo_net_counters() {
        let text = "cpu0 cpu1\nrx_frames 12 7\ntx_frames 3 0\ndrop_runt 2 0\n\n";
        let counters = CpuCounters::parse(text).unwrap();
        assert_eq!(counters.cpus, 2);
        assert_eq!(counters.get("rx_frames"), Some(&[12, 7][..]));
        assert_eq!(counters.total("rx_frames"), Some(19));
        assert_eq!(counters.get("drop_fragment"), None);
        assert!(CpuCounters::parse("").is_err());
        assert!(CpuCounters::parse("cpu1\nrx_frames 1\n").is_err(), "numbered from 0");
        assert!(CpuCounters::parse("cpu0 cpu1\nrx_frames 1\n").is_err(), "a number per CPU");
        assert!(CpuCounters::parse("cpu0\nrx_frames x\n").is_err());
    }

    #[test]
    fn interrupts_in_linux_layout() {
        // Shaped after Linux 6.1's on q35 with two CPUs.
        let text = "\
           CPU0       CPU1
  0:         46          0   IO-APIC   2-edge      timer
 24:        311          0  PCI-MSIX-0000:00:02.0   1-edge      eth0-rx-0
 25:          0        208  PCI-MSIX-0000:00:02.0   3-edge      eth0-rx-1
LOC:      12345      23456   Local timer interrupts
ERR:          0
";
        let rows = parse_interrupts(text).unwrap();
        assert_eq!(rows.len(), 5);
        let rx0 = interrupt_row(&rows, "eth0-rx-0").unwrap();
        assert_eq!((rx0.label.as_str(), rx0.per_cpu.as_slice()), ("24", &[311, 0][..]));
        assert_eq!(rx0.chip, "PCI-MSIX-0000:00:02.0 1-edge");
        assert_eq!(interrupt_row(&rows, "eth0-rx-1").unwrap().per_cpu, [0, 208]);
        let loc = &rows[3];
        assert_eq!((loc.label.as_str(), loc.name.as_str(), loc.chip.as_str()), ("LOC", "interrupts", "Local timer"));
        assert_eq!(rows[4].per_cpu, [0]);
        assert!(interrupt_row(&rows, "eth0-tx-0").is_none());
        assert!(parse_interrupts("").is_err());
        assert!(parse_interrupts("CPU0\nbogus 1 x\n").is_err());
    }

    #[test]
    fn net_dev_lines() {
        let text = "\
Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0
  eth0:    5840      40    0   23    0     0          0         0     3000      12    0    0    0     0       0          0
";
        assert_eq!(net_dev_packets(text, "eth0"), Some(DevPackets { rx_packets: 40, rx_dropped: 23, tx_packets: 12 }));
        assert_eq!(net_dev_packets(text, "eth1"), None);
        assert_eq!(net_dev_packets("eth0: 1 2 3\n", "eth0"), None);
    }
}
