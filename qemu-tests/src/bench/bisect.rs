//! The least value that passes a monotonic test, by bisection: the least
//! guest memory in which a program completes.

/// The least value in `low..=high` for which `passes` holds, assuming that
/// every value above a passing one passes too; `None` when `high` itself
/// fails. Calls `passes` about log2(high - low) + 1 times, each value at
/// most once; stops at its first error.
pub fn least_passing<E>(low: u64, high: u64, mut passes: impl FnMut(u64) -> Result<bool, E>) -> Result<Option<u64>, E> {
    if low > high || !passes(high)? {
        return Ok(None);
    }
    // Invariant: `high` passes; every value below `low` fails.
    let (mut low, mut high) = (low, high);
    while low < high {
        let mid = low + (high - low) / 2;
        if passes(mid)? {
            high = mid;
        } else {
            low = mid + 1;
        }
    }
    Ok(Some(high))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn search(low: u64, high: u64, threshold: u64) -> (Option<u64>, Vec<u64>) {
        let mut tried = Vec::new();
        let found = least_passing(low, high, |m| {
            tried.push(m);
            Ok::<_, ()>(m >= threshold)
        })
        .unwrap();
        (found, tried)
    }

    #[test]
    fn finds_the_threshold() {
        for threshold in [1, 2, 13, 16, 17, 255, 256] {
            let (found, tried) = search(1, 256, threshold);
            assert_eq!(found, Some(threshold));
            assert!(tried.len() <= 10, "{threshold}: {tried:?}");
            let mut unique = tried.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), tried.len(), "each value once: {tried:?}");
        }
    }

    #[test]
    fn nothing_passes_or_empty_range() {
        assert_eq!(search(1, 256, 300), (None, vec![256]));
        assert_eq!(search(10, 5, 1).0, None);
        assert_eq!(search(8, 8, 1).0, Some(8));
    }

    #[test]
    fn an_error_stops_the_search() {
        let mut calls = 0;
        let r = least_passing(1, 64, |m| {
            calls += 1;
            if m == 64 { Ok(true) } else { Err(format!("qemu failed at {m}")) }
        });
        assert_eq!(r, Err("qemu failed at 32".to_string()));
        assert_eq!(calls, 2);
    }
}
