//! The CMOS real-time clock, read once at boot to anchor wall-clock time.

use x86_64::instructions::port::Port;

fn read(reg: u8) -> u8 {
    // SAFETY: CMOS index/data ports; selecting a register and reading it
    // has no other effect (NMI-disable bit left clear).
    unsafe {
        Port::<u8>::new(0x70).write(reg);
        Port::<u8>::new(0x71).read()
    }
}

fn updating() -> bool {
    read(0x0a) & 0x80 != 0
}

/// Seconds since the Unix epoch, or `None` when there is no usable RTC.
pub fn unix_time() -> Option<i64> {
    // No busy wait on update-in-progress (port reads are slow under some
    // hypervisors): a snapshot taken during an update is retried instead.
    let snapshot = || {
        let busy = updating();
        (busy, [read(0x00), read(0x02), read(0x04), read(0x07), read(0x08), read(0x09), read(0x32)])
    };
    // Read until two clean snapshots agree, so an update in between is not seen.
    let (_, mut a) = snapshot();
    for _ in 0..5 {
        let (busy, b) = snapshot();
        if !busy && a == b {
            break;
        }
        a = b;
    }
    let status_b = read(0x0b);
    let bcd = |v: u8| if status_b & 0x04 == 0 { (v & 0x0f) + (v >> 4) * 10 } else { v };
    let [s, m, h, d, mo, y, c] = a;
    let (sec, min, day, mon, year) = (bcd(s) as i64, bcd(m) as i64, bcd(d) as i64, bcd(mo) as i64, bcd(y) as i64);
    let mut hour = bcd(h & 0x7f) as i64;
    if status_b & 0x02 == 0 && h & 0x80 != 0 {
        hour = (hour % 12) + 12; // 12-hour clock, PM
    }
    let century = if c != 0 && c != 0xff { bcd(c) as i64 } else { 20 };
    let year = century * 100 + year;
    if !(1..=12).contains(&mon) || !(1..=31).contains(&day) || hour > 23 || min > 59 || sec > 60 || year < 1970 {
        return None;
    }
    Some(days_from_civil(year, mon, day) * 86_400 + hour * 3600 + min * 60 + sec)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}
