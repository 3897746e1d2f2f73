//! kmsSink's core: shows raw frames on a display through DRM/KMS with no compositor, by raw ioctls (`sys`,
//! no libdrm). Knows nothing of Node.
//!
//! Open: find a card and connected connector (`device`), pick the mode (`mode`), a CRTC and its primary
//! plane, make `buffers` mode-sized dumb buffers (XRGB8888), and set the mode with one blocking atomic
//! commit (a black frame), so that every failure (no device, no connector, another DRM master) comes
//! before the first frame.
//!
//! Frames: the caller's thread (JS) converts a frame into a free buffer and, when no flip is in flight,
//! commits it as a non-blocking page flip with an event; otherwise it is queued (replacing a queued one,
//! counted as dropped: latest frame wins). A flip thread of its own polls the DRM fd (and a wake pipe for
//! close), reads each flip-complete event (vblank time, CLOCK_MONOTONIC), frees the buffer it replaced and
//! commits the queued one, so flips follow vblank without the JS thread ever waiting on one. Which buffer
//! holds what is `flipq`, a pure state machine; this module only does the ioctls it calls for.
pub mod connector;
pub mod device;
mod flip;
pub mod flipq;
pub mod layout;
pub mod mode;
pub mod sys;

use crate::error::{NativeError, Result};
use crate::wayland::convert::{self, InFormat};
use device::display_error;
use flipq::{Acquire, FlipQueue};
use layout::Placement;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How the display is opened (the sink's properties).
#[derive(Clone, Debug, Default)]
pub struct Options {
  /// A card path; None: the first /dev/dri/card* with a connected connector.
  pub device: Option<String>,
  /// A connector name (HDMI-A-1) or object id; None: the first connected.
  pub connector: Option<String>,
  /// WIDTHxHEIGHT[@HZ]; None: the connector's preferred mode.
  pub mode: Option<String>,
  /// Scan-out buffers (2..=4): one shown, one flipping, one being drawn or queued.
  pub buffers: usize,
}

/// One page flip's completion.
#[derive(Clone, Debug)]
pub struct Feedback {
  /// What `present` returned for the frame.
  pub id: u32,
  /// The vblank it was shown at, in ns of CLOCK_MONOTONIC.
  pub presented_ns: i64,
  /// The CRTC's vblank counter then.
  pub sequence: u32,
}

#[derive(Clone, Debug, Default)]
pub struct Stats {
  /// Frames committed as page flips.
  pub committed: u64,
  /// Flips completed (the frame reached the screen at a vblank).
  pub presented: u64,
  /// Frames not shown: no buffer free, or a queued frame replaced by a newer one before its vblank.
  pub dropped: u64,
}

/// What the chosen output is, for logs and the element's counters.
#[derive(Clone, Debug)]
pub struct Info {
  pub device: String,
  pub connector: String,
  pub connector_id: u32,
  pub crtc_id: u32,
  pub plane_id: u32,
  pub width: u32,
  pub height: u32,
  pub refresh: f64,
}

struct Shared {
  queue: FlipQueue,
  feedback: Vec<Feedback>,
  stats: Stats,
  error: Option<String>,
}

/// What both threads need to commit a flip.
struct Flipper {
  fd: OwnedFd,
  plane: u32,
  fb_prop: u32,
  fbs: Vec<u32>,
  shared: Mutex<Shared>,
  /// Signalled on every flip completion and on an error (`Drainer` waits on it).
  changed: Condvar,
}

impl Flipper {
  fn lock(&self) -> MutexGuard<'_, Shared> {
    self.shared.lock().unwrap_or_else(|p| p.into_inner())
  }

  /// Flips to buffer `slot` at the next vblank; the event carries the slot. Called with the lock held, so
  /// the two threads never both think no flip is in flight.
  fn flip(&self, g: &mut Shared, slot: usize, id: u32) -> Result<()> {
    let flags = sys::PAGE_FLIP_EVENT | sys::ATOMIC_NONBLOCK;
    match device::commit(self.fd.as_raw_fd(), &[(self.plane, self.fb_prop, self.fbs[slot] as u64)], flags, slot as u64) {
      Ok(()) => {
        g.queue.flipping(slot, id);
        g.stats.committed += 1;
        Ok(())
      }
      Err(e) => {
        g.queue.failed(slot);
        let msg = g.error.get_or_insert_with(|| format!("KMS page flip failed: {e}")).clone();
        Err(display_error(msg))
      }
    }
  }
}

/// A dumb buffer, mapped.
struct Buffer {
  handle: u32,
  pitch: usize,
  size: usize,
  map: *mut u8,
  /// Where the last frame drawn here went: a different placement clears the buffer first.
  placed: Option<Placement>,
}

// The mapping is only written by the thread holding &mut Display, into a buffer the queue marked Writing.
unsafe impl Send for Buffer {}

fn create_buffer(fd: RawFd, w: u32, h: u32) -> std::io::Result<(Buffer, u32)> {
  let mut c = sys::CreateDumb { width: w, height: h, bpp: 32, ..Default::default() };
  sys::ioctl(fd, sys::MODE_CREATE_DUMB, &mut c)?;
  let mut b = Buffer { handle: c.handle, pitch: c.pitch as usize, size: c.size as usize, map: std::ptr::null_mut(), placed: None };
  let fail = |b: &Buffer, e: std::io::Error| {
    destroy_buffer(fd, b, 0);
    Err(e)
  };
  let mut m = sys::MapDumb { handle: c.handle, ..Default::default() };
  if let Err(e) = sys::ioctl(fd, sys::MODE_MAP_DUMB, &mut m) {
    return fail(&b, e);
  }
  let p = unsafe { libc::mmap(std::ptr::null_mut(), b.size, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_SHARED, fd, m.offset as libc::off_t) };
  if p == libc::MAP_FAILED {
    return fail(&b, std::io::Error::last_os_error());
  }
  b.map = p as *mut u8;
  let mut fb = sys::FbCmd2 { width: w, height: h, pixel_format: layout::DRM_FORMAT_XRGB8888, ..Default::default() };
  fb.handles[0] = c.handle;
  fb.pitches[0] = c.pitch;
  if let Err(e) = sys::ioctl(fd, sys::MODE_ADDFB2, &mut fb) {
    return fail(&b, e);
  }
  // Black, not whatever the allocator left: the first commit shows it.
  unsafe { std::ptr::write_bytes(b.map, 0, b.size) };
  Ok((b, fb.fb_id))
}

fn destroy_buffer(fd: RawFd, b: &Buffer, fb: u32) {
  if fb != 0 {
    let mut id = fb;
    let _ = sys::ioctl(fd, sys::MODE_RMFB, &mut id);
  }
  if !b.map.is_null() {
    unsafe { libc::munmap(b.map as *mut _, b.size) };
  }
  let mut h = b.handle;
  let _ = sys::ioctl(fd, sys::MODE_DESTROY_DUMB, &mut h);
}

/// The first card with a connector the selector accepts, opened with atomic enabled.
fn open_card(o: &Options, sel: &connector::Selector) -> Result<(OwnedFd, PathBuf, device::Resources, device::Connector)> {
  let paths = match &o.device {
    Some(d) => vec![PathBuf::from(d)],
    None => device::card_paths(Path::new(device::DRI_DIR))?,
  };
  let mut errors = Vec::new();
  for path in &paths {
    let attempt = (|| {
      let fd = device::open(path)?;
      device::enable_atomic(fd.as_raw_fd(), path)?;
      let res = device::resources(fd.as_raw_fd(), path)?;
      let c = device::pick_connector(fd.as_raw_fd(), path, &res, sel)?;
      Ok::<_, NativeError>((fd, res, c))
    })();
    match attempt {
      Ok((fd, res, c)) => return Ok((fd, path.clone(), res, c)),
      Err(e) if paths.len() == 1 => return Err(e),
      Err(e) => errors.push(e.to_string()),
    }
  }
  Err(display_error(format!("no usable DRM device in {}: {}", device::DRI_DIR, errors.join("; "))))
}

/// An output being driven. `close()` (or drop) stops the flip thread and frees the buffers.
pub struct Display {
  flipper: Arc<Flipper>,
  buffers: Vec<Buffer>,
  info: Info,
  mode_blob: u32,
  next_id: u32,
  wake: Option<OwnedFd>,
  thread: Option<JoinHandle<()>>,
  closed: bool,
}

impl Display {
  pub fn open(o: &Options) -> Result<Self> {
    let spec = o.mode.as_deref().map(mode::parse).transpose().map_err(NativeError::invalid)?;
    let sel = connector::Selector::parse(o.connector.as_deref());
    let (fd, path, res, conn) = open_card(o, &sel)?;
    let raw = fd.as_raw_fd();
    let where_ = format!("{} {}", path.display(), conn.name);
    let summaries: Vec<mode::ModeSummary> = conn
      .modes
      .iter()
      .map(|m| mode::ModeSummary {
        width: m.hdisplay,
        height: m.vdisplay,
        refresh: mode::refresh_hz(m.clock, m.htotal, m.vtotal, m.flags & sys::MODE_FLAG_INTERLACE != 0, m.flags & sys::MODE_FLAG_DBLSCAN != 0, m.vscan),
        preferred: m.type_ & sys::MODE_TYPE_PREFERRED != 0,
      })
      .collect();
    let mi = mode::choose(&summaries, spec.as_ref()).map_err(|e| display_error(format!("{where_}: {e}")))?;
    let m = conn.modes[mi];
    let (crtc, crtc_index) = device::pick_crtc(raw, &res, &conn).ok_or_else(|| display_error(format!("{where_}: no CRTC can drive this connector")))?;
    let plane = device::primary_plane(raw, crtc_index)
      .map_err(|e| display_error(format!("{where_}: planes: {e}")))?
      .ok_or_else(|| display_error(format!("{where_}: CRTC {crtc} has no primary plane")))?;
    let perr = |what: &str, e: std::io::Error| display_error(format!("{where_}: {what} properties: {e}"));
    let cp = device::properties(raw, conn.id, sys::OBJECT_CONNECTOR).map_err(|e| perr("connector", e))?;
    let rp = device::properties(raw, crtc, sys::OBJECT_CRTC).map_err(|e| perr("CRTC", e))?;
    let pp = device::properties(raw, plane, sys::OBJECT_PLANE).map_err(|e| perr("plane", e))?;
    let cprop = |name| device::prop(&cp, name, &format!("connector {}", conn.name));
    let rprop = |name| device::prop(&rp, name, &format!("CRTC {crtc}"));
    let pprop = |name| device::prop(&pp, name, &format!("plane {plane}"));
    let fb_prop = pprop("FB_ID")?;

    let (w, h) = (m.hdisplay as u32, m.vdisplay as u32);
    let mut buffers = Vec::new();
    let mut fbs = Vec::new();
    let cleanup = |buffers: &[Buffer], fbs: &[u32]| buffers.iter().zip(fbs).for_each(|(b, &f)| destroy_buffer(raw, b, f));
    for _ in 0..o.buffers.clamp(2, 4) {
      match create_buffer(raw, w, h) {
        Ok((b, f)) => {
          buffers.push(b);
          fbs.push(f);
        }
        Err(e) => {
          cleanup(&buffers, &fbs);
          return Err(NativeError::Resource(format!("{where_}: a {w}x{h} dumb buffer: {e}")));
        }
      }
    }
    // The mode set with buffer 0 (black) in one blocking commit: the failures a display can have show here.
    let set = (|| {
      let blob = device::create_mode_blob(raw, &m).map_err(|e| display_error(format!("{where_}: mode blob: {e}")))?;
      let (fw, fh) = ((w as u64) << 16, (h as u64) << 16); // SRC_* are 16.16 fixed point
      let triples = [
        (conn.id, cprop("CRTC_ID")?, crtc as u64),
        (crtc, rprop("MODE_ID")?, blob as u64),
        (crtc, rprop("ACTIVE")?, 1),
        (plane, fb_prop, fbs[0] as u64),
        (plane, pprop("CRTC_ID")?, crtc as u64),
        (plane, pprop("SRC_X")?, 0),
        (plane, pprop("SRC_Y")?, 0),
        (plane, pprop("SRC_W")?, fw),
        (plane, pprop("SRC_H")?, fh),
        (plane, pprop("CRTC_X")?, 0),
        (plane, pprop("CRTC_Y")?, 0),
        (plane, pprop("CRTC_W")?, w as u64),
        (plane, pprop("CRTC_H")?, h as u64),
      ];
      if let Err(e) = device::commit(raw, &triples, sys::ATOMIC_ALLOW_MODESET, 0) {
        device::destroy_blob(&fd, blob);
        let why = if e.raw_os_error() == Some(libc::EACCES) { " (another process is DRM master: a compositor or display server runs on this card)" } else { "" };
        return Err(display_error(format!("{where_}: setting mode {}x{}@{:.2}: {e}{why}", w, h, summaries[mi].refresh)));
      }
      Ok(blob)
    })();
    let blob = match set {
      Ok(b) => b,
      Err(e) => {
        cleanup(&buffers, &fbs);
        return Err(e);
      }
    };

    let shared = Mutex::new(Shared { queue: FlipQueue::new(buffers.len()), feedback: Vec::new(), stats: Stats::default(), error: None });
    let flipper = Arc::new(Flipper { fd, plane, fb_prop, fbs, shared, changed: Condvar::new() });
    let info = Info {
      device: path.display().to_string(),
      connector: conn.name.clone(),
      connector_id: conn.id,
      crtc_id: crtc,
      plane_id: plane,
      width: w,
      height: h,
      refresh: summaries[mi].refresh,
    };
    let mut d = Display { flipper, buffers, info, mode_blob: blob, next_id: 0, wake: None, thread: None, closed: false };
    // From here on, Drop frees everything if the thread cannot start.
    let mut fds = [0; 2];
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) } < 0 {
      return Err(NativeError::Resource(format!("pipe2: {}", std::io::Error::last_os_error())));
    }
    let (rd, wr) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    d.wake = Some(wr);
    let f = d.flipper.clone();
    d.thread = Some(
      std::thread::Builder::new()
        .name("g2g-kms-flip".into())
        .spawn(move || flip::flip_loop(&f, rd))
        .map_err(|e| NativeError::Resource(format!("spawning the KMS flip thread: {e}")))?,
    );
    Ok(d)
  }

  pub fn info(&self) -> &Info {
    &self.info
  }

  /// Shows one frame at the next free vblank: Some(id) names it in `take_feedback`; None: dropped (no free
  /// buffer: one shown, one flipping, and fewer than 3 buffers). `planes`: each plane's (offset, stride);
  /// None: packed.
  pub fn present(&mut self, fmt: InFormat, data: &[u8], w: usize, h: usize, planes: Option<&[(usize, usize)]>) -> Result<Option<u32>> {
    if self.closed {
      return Err(NativeError::Closed);
    }
    if w == 0 || h == 0 || w > 16384 || h > 16384 {
      return Err(NativeError::invalid(format!("frame size {w}x{h} out of range")));
    }
    let packed;
    let planes = match planes {
      Some(p) => p,
      None => {
        packed = fmt.packed(w, h);
        &packed
      }
    };
    if planes.len() != fmt.planes() {
      return Err(NativeError::invalid(format!("{fmt:?} has {} planes, got {}", fmt.planes(), planes.len())));
    }
    let need = fmt.needed(w, h, planes);
    if data.len() < need {
      return Err(NativeError::invalid(format!("a {w}x{h} {fmt:?} frame needs {need} bytes, got {}", data.len())));
    }
    let f = self.flipper.clone();
    let slot = {
      let mut g = f.lock();
      if let Some(e) = &g.error {
        return Err(display_error(e.clone()));
      }
      match g.queue.acquire() {
        Acquire::Slot { slot, replaced } => {
          g.stats.dropped += replaced as u64;
          slot
        }
        Acquire::Full => {
          g.stats.dropped += 1;
          return Ok(None);
        }
      }
    };
    // Converted without the lock: the flip thread never touches a buffer being written.
    let (bw, bh) = (self.info.width as usize, self.info.height as usize);
    let place = layout::place(w, h, bw, bh);
    let b = &mut self.buffers[slot];
    let dst = unsafe { std::slice::from_raw_parts_mut(b.map, b.size) };
    if b.placed != Some(place) {
      dst.fill(0);
      b.placed = Some(place);
    }
    let src_planes = layout::crop_planes(fmt, planes, place.src_x, place.src_y);
    convert::to_xrgb(fmt, data, place.width, place.height, &src_planes, &mut dst[layout::offset(b.pitch, place.dst_x, place.dst_y)..], b.pitch);

    let id = self.next_id;
    self.next_id = self.next_id.wrapping_add(1);
    let mut g = f.lock();
    if g.queue.ready(slot, id) {
      f.flip(&mut g, slot, id)?;
    }
    Ok(Some(id))
  }

  /// A handle for waiting, on another thread, until the frames given are on screen.
  pub fn drainer(&self) -> Drainer {
    Drainer { f: self.flipper.clone() }
  }

  pub fn take_feedback(&self) -> Vec<Feedback> {
    std::mem::take(&mut self.flipper.lock().feedback)
  }

  pub fn stats(&self) -> Stats {
    self.flipper.lock().stats.clone()
  }

  pub fn error(&self) -> Option<String> {
    self.flipper.lock().error.clone()
  }

  /// Stops the flip thread, removes the framebuffers (the kernel turns the CRTC off when the one shown
  /// goes) and frees the buffers. Idempotent.
  pub fn close(&mut self) {
    if self.closed {
      return;
    }
    self.closed = true;
    if let Some(w) = self.wake.take() {
      unsafe { libc::write(w.as_raw_fd(), [1u8].as_ptr() as *const _, 1) };
    }
    if let Some(t) = self.thread.take() {
      let _ = t.join();
    }
    let raw = self.flipper.fd.as_raw_fd();
    for (b, &fb) in self.buffers.drain(..).zip(&self.flipper.fbs) {
      destroy_buffer(raw, &b, fb);
    }
    device::destroy_blob(&self.flipper.fd, self.mode_blob);
    self.flipper.lock().error.get_or_insert_with(|| "the KMS display is closed".into());
    self.flipper.changed.notify_all();
  }
}

/// Waits for the last frames' flips from another thread (the binding's async task at end of stream).
pub struct Drainer {
  f: Arc<Flipper>,
}

impl Drainer {
  /// Until no frame is flipping or waiting to, the display failed or closed, or the timeout passed (what
  /// is still in flight then stays so: end of stream must not hang on a display that stopped flipping).
  pub fn wait_idle(&self, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    let mut g = self.f.lock();
    while g.error.is_none() && g.queue.busy() {
      let now = Instant::now();
      if now >= deadline {
        return;
      }
      g = self.f.changed.wait_timeout(g, deadline - now).map(|(g, _)| g).unwrap_or_else(|p| p.into_inner().0);
    }
  }
}

impl Drop for Display {
  fn drop(&mut self) {
    self.close();
  }
}

/// CLOCK_MONOTONIC now in ns: the clock of the flip events' timestamps.
#[allow(clippy::unnecessary_cast)]
pub fn monotonic_now_ns() -> i64 {
  let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
  unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
  ts.tv_sec as i64 * 1_000_000_000 + ts.tv_nsec as i64
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn a_missing_device_fails_at_open_naming_it() {
    let o = Options { device: Some("/nonexistent/card0".into()), buffers: 3, ..Options::default() };
    let e = Display::open(&o).err().unwrap();
    assert!(e.to_string().starts_with("no DRM device at /nonexistent/card0:"), "{e}");
    assert_eq!(e.code(), "DISPLAY");
  }

  #[test]
  fn a_bad_mode_fails_before_any_device_is_opened() {
    let o = Options { device: Some("/nonexistent/card0".into()), mode: Some("big".into()), buffers: 3, ..Options::default() };
    let e = Display::open(&o).err().unwrap();
    assert_eq!(e.code(), "INVALID_ARGUMENT");
  }
}
