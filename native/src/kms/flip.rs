//! The flip thread: waits on the DRM fd for flip-complete events and moves the flip queue on, so page flips
//! follow vblank while the JS thread never waits for one.
use super::{sys, Feedback, Flipper};
use std::os::fd::{AsRawFd, OwnedFd};

/// The flip thread: reads flip-complete events until close() writes to the wake pipe or the fd fails.
pub(super) fn flip_loop(f: &Flipper, wake: OwnedFd) {
  let fd = f.fd.as_raw_fd();
  let mut buf = [0u8; 1024];
  let result: std::result::Result<(), String> = loop {
    let mut fds = [libc::pollfd { fd, events: libc::POLLIN, revents: 0 }, libc::pollfd { fd: wake.as_raw_fd(), events: libc::POLLIN, revents: 0 }];
    if unsafe { libc::poll(fds.as_mut_ptr(), 2, -1) } < 0 {
      let e = std::io::Error::last_os_error();
      if e.kind() == std::io::ErrorKind::Interrupted {
        continue;
      }
      break Err(format!("poll on the DRM device: {e}"));
    }
    if fds[1].revents != 0 {
      break Ok(());
    }
    if fds[0].revents & (libc::POLLERR | libc::POLLHUP) != 0 {
      break Err("the DRM device went away".into());
    }
    if fds[0].revents == 0 {
      continue;
    }
    let n = unsafe { libc::read(fd, buf.as_mut_ptr() as *mut _, buf.len()) };
    if n < 0 {
      let e = std::io::Error::last_os_error();
      if matches!(e.raw_os_error(), Some(libc::EINTR) | Some(libc::EAGAIN)) {
        continue;
      }
      break Err(format!("reading DRM events: {e}"));
    }
    for ev in parse_events(&buf[..n as usize]) {
      on_flip(f, &ev);
    }
  };
  if let Err(msg) = result {
    f.lock().error.get_or_insert(msg);
    f.changed.notify_all();
  }
}

/// The flip-complete events in one read (other event types skipped by their length).
fn parse_events(mut b: &[u8]) -> Vec<sys::EventVblank> {
  let mut out = Vec::new();
  while b.len() >= 8 {
    let ty = u32::from_ne_bytes(b[0..4].try_into().unwrap());
    let len = u32::from_ne_bytes(b[4..8].try_into().unwrap()) as usize;
    if len < 8 || len > b.len() {
      break;
    }
    if ty == sys::EVENT_FLIP_COMPLETE && len >= size_of::<sys::EventVblank>() {
      // Unaligned read: the buffer is bytes.
      out.push(unsafe { std::ptr::read_unaligned(b.as_ptr() as *const sys::EventVblank) });
    }
    b = &b[len..];
  }
  out
}

/// A flip completed: its buffer is shown, the one shown before is free, a queued frame flips next.
fn on_flip(f: &Flipper, ev: &sys::EventVblank) {
  let mut g = f.lock();
  let Some((id, next)) = g.queue.completed(ev.user_data as usize) else { return };
  g.stats.presented += 1;
  g.feedback.push(Feedback { id, presented_ns: ev.tv_sec as i64 * 1_000_000_000 + ev.tv_usec as i64 * 1000, sequence: ev.sequence });
  if let Some((slot, qid)) = next {
    let _ = f.flip(&mut g, slot, qid); // a failure is recorded as the error the next present throws
  }
  drop(g);
  f.changed.notify_all();
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn flip_events_are_parsed_and_others_skipped() {
    let mut b = Vec::new();
    // A vblank event (type 1) then a flip complete for slot 2.
    for (ty, data, sec, usec, seq) in [(1u32, 9u64, 1u32, 2u32, 3u32), (sys::EVENT_FLIP_COMPLETE, 2, 10, 500, 77)] {
      b.extend(ty.to_ne_bytes());
      b.extend(32u32.to_ne_bytes());
      b.extend(data.to_ne_bytes());
      for v in [sec, usec, seq, 5] {
        b.extend(v.to_ne_bytes());
      }
    }
    b.extend([1, 0, 0]); // a truncated tail is ignored
    let ev = parse_events(&b);
    assert_eq!(ev.len(), 1);
    assert_eq!((ev[0].user_data, ev[0].tv_sec, ev[0].tv_usec, ev[0].sequence), (2, 10, 500, 77));
  }
}
