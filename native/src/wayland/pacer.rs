//! When a converted frame is committed. Two rules (`Pacing`):
//!
//! - Latest: every frame at once. A compositor keeps one pending state per surface and takes the newest at
//!   its repaint, so the frame shown is always the newest (the least glass-to-glass); commits it never
//!   shows come back as discarded feedback.
//! - FrameCallback: a frame is committed at once only when no frame callback is outstanding (the compositor
//!   has repainted since the last commit); otherwise it waits, one frame at most, a newer frame replacing it
//!   (counted), committed when the callback comes. No wasted commit, but a frame that arrives while the
//!   callback is outstanding waits for it: up to one refresh more.
//!
//! Pure state: the window applies its decisions.

/// A frame ready in a buffer of the pool: its slot and its feedback id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ready {
  pub slot: usize,
  pub id: u32,
}

/// What to do with a frame that is ready.
#[derive(Debug, PartialEq, Eq)]
pub enum Decision {
  /// Commit it now (a frame callback is requested with it).
  Commit,
  /// Keep it until the frame callback; `replaced`: the frame that was waiting and now never shows.
  Wait { replaced: Option<Ready> },
}

/// The rule: `Latest` commits every frame at once (the compositor's pending state is always the newest frame,
/// earlier ones are discarded by it: the least latency); `FrameCallback` waits for the compositor's frame
/// callback (no commit it would discard, up to one refresh more latency).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Pacing {
  #[default]
  Latest,
  FrameCallback,
}

#[derive(Debug, Default)]
pub struct Pacer {
  pacing: Pacing,
  /// A commit's frame callback has not come yet: the compositor has not repainted since.
  callback_pending: bool,
  waiting: Option<Ready>,
}

impl Pacer {
  pub fn new(pacing: Pacing) -> Self {
    Self { pacing, ..Self::default() }
  }

  /// A frame is ready to show.
  pub fn ready(&mut self, f: Ready) -> Decision {
    if self.pacing == Pacing::Latest || !self.callback_pending {
      self.callback_pending = true;
      return Decision::Commit;
    }
    Decision::Wait { replaced: self.waiting.replace(f) }
  }

  /// The frame callback came: the waiting frame, if any, to commit now (with a new callback).
  pub fn frame_done(&mut self) -> Option<Ready> {
    let next = self.waiting.take();
    self.callback_pending = next.is_some();
    next
  }

  /// Takes the waiting frame back (its buffer is to be reused for a newer frame, or dropped on resize).
  pub fn take_waiting(&mut self) -> Option<Ready> {
    self.waiting.take()
  }

  pub fn has_waiting(&self) -> bool {
    self.waiting.is_some()
  }

  /// The compositor cannot send the callback any more (a new surface state): commit the next frame at once.
  pub fn reset(&mut self) {
    self.callback_pending = false;
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  const A: Ready = Ready { slot: 0, id: 1 };
  const B: Ready = Ready { slot: 1, id: 2 };
  const C: Ready = Ready { slot: 2, id: 3 };

  #[test]
  fn latest_commits_every_frame() {
    let mut p = Pacer::new(Pacing::Latest);
    assert_eq!(p.ready(A), Decision::Commit);
    assert_eq!(p.ready(B), Decision::Commit);
    assert!(!p.has_waiting());
  }

  #[test]
  fn first_frame_commits_at_once() {
    let mut p = Pacer::new(Pacing::FrameCallback);
    assert_eq!(p.ready(A), Decision::Commit);
  }

  #[test]
  fn frames_before_the_callback_wait_and_the_newest_wins() {
    let mut p = Pacer::new(Pacing::FrameCallback);
    p.ready(A);
    assert_eq!(p.ready(B), Decision::Wait { replaced: None });
    assert_eq!(p.ready(C), Decision::Wait { replaced: Some(B) });
    assert_eq!(p.frame_done(), Some(C));
    // C is committed: the next frame waits for C's callback.
    assert_eq!(p.ready(A), Decision::Wait { replaced: None });
  }

  #[test]
  fn a_callback_with_nothing_waiting_frees_the_next_commit() {
    let mut p = Pacer::new(Pacing::FrameCallback);
    p.ready(A);
    assert_eq!(p.frame_done(), None);
    assert_eq!(p.ready(B), Decision::Commit);
  }

  #[test]
  fn taking_the_waiting_frame_back() {
    let mut p = Pacer::new(Pacing::FrameCallback);
    p.ready(A);
    p.ready(B);
    assert!(p.has_waiting());
    assert_eq!(p.take_waiting(), Some(B));
    assert_eq!(p.frame_done(), None);
  }
}
