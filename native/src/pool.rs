//! Recycled output buffers for decoded frames. A fresh multi-megabyte buffer per frame costs the kernel a
//! page fault (and a zeroed page) for every 4 KiB written: at 1080p that was ~15% of a software decode.
//! Buffers handed to JS come back here when JS lets go of them (the external Buffer's finalizer), so a
//! steady stream reuses a handful of buffers whose pages are already mapped.
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Buffers kept for reuse: at least this many, whatever their size.
const MIN_FREE: usize = 4;
/// Bytes kept for reuse beyond MIN_FREE buffers (the rest are freed as they come back).
const MAX_FREE_BYTES: usize = 96 << 20;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolStats {
  /// Buffers allocated because none of the right size was free.
  pub allocated: u64,
  /// Buffers taken from the free list.
  pub reused: u64,
  /// Buffers out (in JS or in flight) and not yet given back.
  pub outstanding: u64,
  /// Buffers waiting on the free list.
  pub free: u64,
}

/// Counters of frames handed on in libavcodec's own buffers (no packing) and of the codec's frame pool.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SharedStats {
  /// Buffers the codec's frame pool allocated.
  pub codec_allocated: u64,
  /// Frames the codec's pool handed out (to the decoder itself: references, frame threads).
  pub codec_gets: u64,
  /// Shared frames out (in JS, or queued) and not yet released.
  pub outstanding: u64,
}

#[derive(Default)]
pub struct FramePool {
  /// (frame size the free buffers have, the free buffers).
  free: Mutex<(usize, Vec<Vec<u8>>)>,
  allocated: AtomicU64,
  reused: AtomicU64,
  given: AtomicU64,
  returned: AtomicU64,
  shared_given: AtomicU64,
  shared_returned: AtomicU64,
  codec_allocs: AtomicU64,
  codec_gets: AtomicU64,
}

impl FramePool {
  pub fn new() -> Self {
    Self::default()
  }

  /// An empty buffer with room for `size` bytes (its pages already mapped when it is a reused one).
  pub fn take(&self, size: usize) -> Vec<u8> {
    self.given.fetch_add(1, Ordering::Relaxed);
    if let Ok(mut g) = self.free.lock() {
      if g.0 == size {
        if let Some(mut v) = g.1.pop() {
          self.reused.fetch_add(1, Ordering::Relaxed);
          v.clear();
          return v;
        }
      }
    }
    self.allocated.fetch_add(1, Ordering::Relaxed);
    Vec::with_capacity(size)
  }

  /// Takes a buffer back from its consumer. A size change (new resolution) drops the old size's buffers.
  pub fn give(&self, v: Vec<u8>) {
    self.returned.fetch_add(1, Ordering::Relaxed);
    let Ok(mut g) = self.free.lock() else { return };
    let size = v.capacity();
    if g.0 != size {
      g.1.clear();
      g.0 = size;
    }
    if g.1.len() < MIN_FREE.max(MAX_FREE_BYTES / size.max(1)) {
      g.1.push(v);
    }
  }

  /// A frame left in libavcodec's buffer (FrameData::Shared) is on its way out.
  pub fn shared_out(&self) {
    self.shared_given.fetch_add(1, Ordering::Relaxed);
  }

  /// A shared frame's buffer reference was released.
  pub fn shared_back(&self) {
    self.shared_returned.fetch_add(1, Ordering::Relaxed);
  }

  pub fn set_codec_counts(&self, allocs: u64, gets: u64) {
    self.codec_allocs.store(allocs, Ordering::Relaxed);
    self.codec_gets.store(gets, Ordering::Relaxed);
  }

  pub fn shared_stats(&self) -> SharedStats {
    SharedStats {
      codec_allocated: self.codec_allocs.load(Ordering::Relaxed),
      codec_gets: self.codec_gets.load(Ordering::Relaxed),
      outstanding: self.shared_given.load(Ordering::Relaxed).saturating_sub(self.shared_returned.load(Ordering::Relaxed)),
    }
  }

  pub fn stats(&self) -> PoolStats {
    let free = self.free.lock().map(|g| g.1.len() as u64).unwrap_or(0);
    let given = self.given.load(Ordering::Relaxed);
    let returned = self.returned.load(Ordering::Relaxed);
    PoolStats {
      allocated: self.allocated.load(Ordering::Relaxed),
      reused: self.reused.load(Ordering::Relaxed),
      outstanding: given.saturating_sub(returned),
      free,
    }
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn reuses_returned_buffers_of_the_same_size() {
    let p = FramePool::new();
    let mut a = p.take(1000);
    a.extend_from_slice(&[1; 1000]);
    let ptr = a.as_ptr();
    p.give(a);
    let b = p.take(1000);
    assert_eq!(b.as_ptr(), ptr);
    assert!(b.is_empty());
    assert_eq!(p.stats(), PoolStats { allocated: 1, reused: 1, outstanding: 1, free: 0 });
  }

  #[test]
  fn a_new_size_drops_the_old_buffers() {
    let p = FramePool::new();
    let a = p.take(1000);
    p.give(a);
    let b = p.take(2000);
    assert_eq!(b.capacity(), 2000);
    p.give(b);
    assert_eq!(p.stats().free, 1);
    assert_eq!(p.stats().allocated, 2);
  }

  #[test]
  fn keeps_a_bounded_number_free() {
    let p = FramePool::new();
    let size = 40 << 20;
    let bufs: Vec<_> = (0..10).map(|_| p.take(size)).collect();
    for b in bufs {
      p.give(b);
    }
    assert_eq!(p.stats().free, MIN_FREE as u64);
  }
}
