//! A bounded byte ring: JS pushes what fits, the playback thread takes whole frames. Pure (no locks); the
//! playback keeps it under its mutex.
use std::collections::VecDeque;

pub struct ByteRing {
  buf: VecDeque<u8>,
  cap: usize,
}

impl ByteRing {
  pub fn new(cap: usize) -> Self {
    Self { buf: VecDeque::with_capacity(cap), cap }
  }

  pub fn len(&self) -> usize {
    self.buf.len()
  }

  pub fn is_empty(&self) -> bool {
    self.buf.is_empty()
  }

  pub fn capacity(&self) -> usize {
    self.cap
  }

  pub fn free(&self) -> usize {
    self.cap - self.buf.len()
  }

  /// Copies as much of `data` as fits; returns how many bytes.
  pub fn push(&mut self, data: &[u8]) -> usize {
    let n = data.len().min(self.free());
    self.buf.extend(&data[..n]);
    n
  }

  /// Moves up to `max` bytes, a multiple of `unit`, into `out` (cleared first); returns how many.
  pub fn take(&mut self, max: usize, unit: usize, out: &mut Vec<u8>) -> usize {
    out.clear();
    let n = self.buf.len().min(max) / unit * unit;
    out.extend(self.buf.drain(..n));
    n
  }

  pub fn clear(&mut self) {
    self.buf.clear();
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn bounded_push_and_whole_unit_take() {
    let mut r = ByteRing::new(10);
    assert_eq!(r.push(&[1, 2, 3, 4, 5, 6, 7]), 7);
    assert_eq!(r.push(&[8, 9, 10, 11, 12]), 3);
    assert_eq!(r.free(), 0);
    let mut out = Vec::new();
    assert_eq!(r.take(7, 4, &mut out), 4);
    assert_eq!(out, vec![1, 2, 3, 4]);
    assert_eq!(r.take(100, 4, &mut out), 4);
    assert_eq!(out, vec![5, 6, 7, 8]);
    // Two bytes left: less than a unit stays.
    assert_eq!(r.take(100, 4, &mut out), 0);
    assert_eq!(r.len(), 2);
  }
}
