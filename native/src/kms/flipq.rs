//! Which scan-out buffer holds what: the page-flip policy as a pure state machine (no ioctls), so it is
//! tested without a display. One buffer is shown, at most one is flipping (committed, awaiting its vblank),
//! at most one frame waits behind it (the newest: a newer one replaces it), the rest are free.

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Slot {
  Free,
  /// Being drawn into by the caller, outside any lock: nobody else touches it.
  Writing,
  /// Drawn, waiting for the flip in flight to complete; the frame's id.
  Queued(u32),
  /// Committed, awaiting its flip-complete event.
  Flipping(u32),
  Shown,
}

#[derive(Debug)]
pub struct FlipQueue {
  slots: Vec<Slot>,
}

/// What `acquire` found.
#[derive(Debug, PartialEq, Eq)]
pub enum Acquire {
  /// Draw into this buffer; `replaced`: it held a waiting frame, now dropped.
  Slot { slot: usize, replaced: bool },
  /// Every buffer is shown or flipping: drop the frame.
  Full,
}

impl FlipQueue {
  /// `n` buffers, the first shown (the modeset's black frame).
  pub fn new(n: usize) -> Self {
    let mut slots = vec![Slot::Free; n];
    slots[0] = Slot::Shown;
    Self { slots }
  }

  /// A buffer for the next frame: a free one, else the waiting frame's (latest wins).
  pub fn acquire(&mut self) -> Acquire {
    let free = self.slots.iter().position(|s| *s == Slot::Free);
    let queued = || self.slots.iter().position(|s| matches!(s, Slot::Queued(_)));
    match free.map(|i| (i, false)).or_else(|| queued().map(|i| (i, true))) {
      Some((slot, replaced)) => {
        self.slots[slot] = Slot::Writing;
        Acquire::Slot { slot, replaced }
      }
      None => Acquire::Full,
    }
  }

  /// The frame drawn into `slot` is ready. True: no flip is in flight, the caller commits it now (then
  /// `flipping` or `failed`); false: it waits for the flip in flight.
  pub fn ready(&mut self, slot: usize, id: u32) -> bool {
    if self.slots.iter().any(|s| matches!(s, Slot::Flipping(_))) {
      self.slots[slot] = Slot::Queued(id);
      false
    } else {
      true
    }
  }

  pub fn flipping(&mut self, slot: usize, id: u32) {
    self.slots[slot] = Slot::Flipping(id);
  }

  /// The commit of `slot` failed: its frame is lost and the buffer free again.
  pub fn failed(&mut self, slot: usize) {
    self.slots[slot] = Slot::Free;
  }

  /// `slot`'s flip completed: it is shown, the buffer shown before is free. Returns the shown frame's id and
  /// the waiting frame (slot, id) to commit next; None for an event that is not ours (a stale slot).
  pub fn completed(&mut self, slot: usize) -> Option<(u32, Option<(usize, u32)>)> {
    let Some(Slot::Flipping(id)) = self.slots.get(slot).copied() else { return None };
    for s in self.slots.iter_mut().filter(|s| **s == Slot::Shown) {
      *s = Slot::Free;
    }
    self.slots[slot] = Slot::Shown;
    let next = self.slots.iter().enumerate().find_map(|(i, s)| match s {
      Slot::Queued(q) => Some((i, *q)),
      _ => None,
    });
    Some((id, next))
  }

  /// Whether a frame is still on its way to the screen.
  pub fn busy(&self) -> bool {
    self.slots.iter().any(|s| matches!(s, Slot::Flipping(_) | Slot::Queued(_)))
  }

  #[cfg(test)]
  fn states(&self) -> &[Slot] {
    &self.slots
  }
}

#[cfg(test)]
mod tests {
  use super::*;
  use Slot::*;

  /// acquire + ready, committing at once when told to (as Display::present does).
  fn give(q: &mut FlipQueue, id: u32) -> Acquire {
    let a = q.acquire();
    if let Acquire::Slot { slot, .. } = a {
      if q.ready(slot, id) {
        q.flipping(slot, id);
      }
    }
    a
  }

  #[test]
  fn three_buffers_latest_frame_wins() {
    let mut q = FlipQueue::new(3);
    assert_eq!(give(&mut q, 0), Acquire::Slot { slot: 1, replaced: false });
    assert_eq!(q.states(), [Shown, Flipping(0), Free]);
    // A flip is in flight: the next frame waits…
    assert_eq!(give(&mut q, 1), Acquire::Slot { slot: 2, replaced: false });
    assert_eq!(q.states(), [Shown, Flipping(0), Queued(1)]);
    // …and a newer one replaces it (frame 1 dropped).
    assert_eq!(give(&mut q, 2), Acquire::Slot { slot: 2, replaced: true });
    assert_eq!(q.states(), [Shown, Flipping(0), Queued(2)]);
    assert!(q.busy());
    // Vblank: 0 shown, the old front free, the waiting frame flips next.
    assert_eq!(q.completed(1), Some((0, Some((2, 2)))));
    q.flipping(2, 2);
    assert_eq!(q.states(), [Free, Shown, Flipping(2)]);
    assert_eq!(q.completed(2), Some((2, None)));
    assert_eq!(q.states(), [Free, Free, Shown]);
    assert!(!q.busy());
  }

  #[test]
  fn two_buffers_drop_while_a_flip_is_in_flight() {
    let mut q = FlipQueue::new(2);
    assert_eq!(give(&mut q, 0), Acquire::Slot { slot: 1, replaced: false });
    assert_eq!(q.acquire(), Acquire::Full);
    assert_eq!(q.completed(1), Some((0, None)));
    assert_eq!(give(&mut q, 1), Acquire::Slot { slot: 0, replaced: false });
    assert_eq!(q.states(), [Flipping(1), Shown]);
  }

  #[test]
  fn a_frame_drawn_while_its_predecessor_completes_flips_at_once() {
    let mut q = FlipQueue::new(3);
    give(&mut q, 0);
    let Acquire::Slot { slot, .. } = q.acquire() else { panic!() };
    // The flip thread completes frame 0 while frame 1 is being drawn: nothing waits, so nothing is flipped…
    assert_eq!(q.completed(1), Some((0, None)));
    // …and frame 1, ready after, is committed by the caller.
    assert!(q.ready(slot, 1));
  }

  #[test]
  fn stale_events_and_failed_commits() {
    let mut q = FlipQueue::new(3);
    assert_eq!(q.completed(0), None, "the shown buffer is not flipping");
    assert_eq!(q.completed(9), None, "no such buffer");
    let Acquire::Slot { slot, .. } = q.acquire() else { panic!() };
    assert!(q.ready(slot, 0));
    q.failed(slot);
    assert_eq!(q.states(), [Shown, Free, Free]);
  }
}
