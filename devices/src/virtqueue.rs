//! Virtqueue bookkeeping the driver keeps beside the `virtio-drivers`
//! queue: whether the device asked to be told about new buffers (the
//! event index rule, with 16-bit wrap-around), which buffer slot a
//! descriptor token stands for, and the free slots. Pure, so the rules
//! that decide whether a device stalls are tested on the host.

/// virtio 1.2, 2.7.10: after publishing available index `new`, having last
/// notified at `old`, the driver notifies if the device's `avail_event`
/// lies in `[old, new)`: the device asked to hear of the buffer at that
/// index, which the driver has now published. All arithmetic wraps.
pub fn need_event(event: u16, new: u16, old: u16) -> bool {
    new.wrapping_sub(event).wrapping_sub(1) < new.wrapping_sub(old)
}

/// The slots not lent to the device: a fixed stack, no allocation.
pub struct FreeSlots<const N: usize> {
    stack: [u16; N],
    len: usize,
    /// Whether each slot is in the stack: O(1) refusal of a double return.
    is_free: [bool; N],
}

impl<const N: usize> FreeSlots<N> {
    /// Slots `0..N`, every one free.
    pub fn full() -> Self {
        let mut stack = [0u16; N];
        for (i, s) in stack.iter_mut().enumerate() {
            *s = i as u16;
        }
        FreeSlots { stack, len: N, is_free: [true; N] }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn pop(&mut self) -> Option<u16> {
        self.len = self.len.checked_sub(1)?;
        let slot = self.stack[self.len];
        self.is_free[slot as usize] = false;
        Some(slot)
    }

    /// Gives `slot` back. A slot beyond `N`, or one more than `N` slots,
    /// is refused (false): a confused device cannot make a slot appear
    /// twice in the stack.
    pub fn push(&mut self, slot: u16) -> bool {
        if slot as usize >= N || self.len >= N || self.is_free[slot as usize] {
            return false;
        }
        self.is_free[slot as usize] = true;
        self.stack[self.len] = slot;
        self.len += 1;
        true
    }
}

/// Which buffer slot each descriptor token (the head descriptor's index,
/// as the device reports it in the used ring) carries.
pub struct TokenMap<const N: usize> {
    slot: [Option<u16>; N],
}

impl<const N: usize> TokenMap<N> {
    pub fn new() -> Self {
        TokenMap { slot: [None; N] }
    }

    /// Records that `token` carries `slot`; false for a token out of range.
    pub fn lend(&mut self, token: u16, slot: u16) -> bool {
        match self.slot.get_mut(token as usize) {
            Some(s) => {
                *s = Some(slot);
                true
            }
            None => false,
        }
    }

    /// The slot `token` carried, forgetting it: None for a token that
    /// carries nothing (out of range, or reported twice).
    pub fn take(&mut self, token: u16) -> Option<u16> {
        self.slot.get_mut(token as usize)?.take()
    }

    /// The slot `token` carries, without forgetting it.
    pub fn get(&self, token: u16) -> Option<u16> {
        self.slot.get(token as usize).copied().flatten()
    }
}

impl<const N: usize> Default for TokenMap<N> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_device_that_asked_for_the_first_buffer_is_notified() {
        assert!(need_event(0, 1, 0));
    }

    #[test]
    fn a_device_that_asked_for_a_later_index_is_not_notified_yet() {
        // It asked to hear of index 10; we published 5..8.
        assert!(!need_event(10, 8, 5));
        assert!(need_event(10, 11, 8));
    }

    #[test]
    fn a_device_already_told_is_not_notified_again() {
        // Notified at 8 for event 7; more buffers up to 12, event still 7.
        assert!(!need_event(7, 12, 8));
    }

    #[test]
    fn the_event_index_rule_holds_across_wrap_around() {
        // The crate's own check (`new >= event + 1`) says no here and the
        // device would wait for ever.
        assert!(need_event(65530, 3, 65529));
        assert!(need_event(65535, 0, 65535));
        assert!(!need_event(2, 65535, 65530));
    }

    #[test]
    fn nothing_published_means_nothing_to_notify() {
        for e in [0u16, 1, 100, 65535] {
            assert!(!need_event(e, 42, 42));
        }
    }

    #[test]
    fn a_batch_notifies_once_for_the_event_inside_it() {
        let (mut old, mut notified) = (0u16, 0);
        let event = 37u16;
        for new in (8u16..=64).step_by(8) {
            if need_event(event, new, old) {
                notified += 1;
            }
            old = new;
        }
        assert_eq!(notified, 1);
    }

    #[test]
    fn free_slots_start_full_and_empty_without_repeats() {
        let mut f = FreeSlots::<8>::full();
        assert_eq!(f.len(), 8);
        let mut seen: Vec<u16> = core::iter::from_fn(|| f.pop()).collect();
        seen.sort();
        assert_eq!(seen, (0..8).collect::<Vec<_>>());
        assert!(f.is_empty());
        assert_eq!(f.pop(), None);
    }

    #[test]
    fn a_slot_cannot_be_given_back_twice_or_out_of_range() {
        let mut f = FreeSlots::<4>::full();
        let s = f.pop().unwrap();
        assert!(!f.push(s + 1), "slot still free");
        assert!(f.push(s));
        assert!(!f.push(s), "already back");
        assert!(!f.push(4), "beyond N");
        assert_eq!(f.len(), 4);
    }

    #[test]
    fn a_token_carries_its_slot_once() {
        let mut m = TokenMap::<4>::new();
        assert!(m.lend(3, 9));
        assert_eq!(m.get(3), Some(9));
        assert_eq!(m.take(3), Some(9));
        assert_eq!(m.take(3), None, "a token reported twice carries nothing");
    }

    #[test]
    fn tokens_out_of_range_are_refused() {
        let mut m = TokenMap::<4>::new();
        assert!(!m.lend(4, 0));
        assert_eq!(m.take(400), None);
        assert_eq!(m.get(u16::MAX), None);
    }
}
