//! waylandSink's core: a Wayland client (pure Rust `wayland-client`, no libwayland) that shows raw frames in an
//! xdg_toplevel through a wl_shm pool, and reports `wp_presentation` feedback. Knows nothing of Node.
//!
//! Threads: the caller's thread (JS) converts a frame into a free buffer of the pool, attaches, commits and
//! flushes — it never reads the socket, so it never blocks on the compositor. A dispatch thread of its own
//! polls the socket (and a wake pipe for close), dispatches events (buffer releases, configure, presentation
//! feedback, ping) and records them in `Shared`; a lost connection becomes the error every later call returns.
//! The pool (one memfd, `buffers` slots of one frame each) is made once per frame size and reused.
//!
//! Pacing (`pacer`): a frame is committed at once when the compositor has repainted since the last commit,
//! else it waits in its buffer (one at most, the newest) and the dispatch thread commits it on the frame
//! callback — so what is shown is always the newest frame, never a queue of stale ones.
pub mod convert;
pub mod dmabuf;
pub mod pacer;
mod shm;

use crate::error::{NativeError, Result};
use convert::InFormat;
use dmabuf::{DmabufUse, YuvLayout};
use pacer::{Decision, Pacer, Ready};
use shm::Pool;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use wayland_client::backend::WaylandError;
use wayland_client::globals::{registry_queue_init, GlobalListContents};
use wayland_client::protocol::wl_buffer::{self, WlBuffer};
use wayland_client::protocol::wl_callback::{self, WlCallback};
use wayland_client::protocol::wl_compositor::WlCompositor;
use wayland_client::protocol::wl_registry::WlRegistry;
use wayland_client::protocol::wl_shm::{self, WlShm};
use wayland_client::protocol::wl_shm_pool::WlShmPool;
use wayland_client::protocol::wl_surface::WlSurface;
use wayland_client::{delegate_noop, Connection, Dispatch, EventQueue, Proxy, QueueHandle};
use wayland_protocols::wp::linux_dmabuf::zv1::client::zwp_linux_buffer_params_v1::{self, ZwpLinuxBufferParamsV1};
use wayland_protocols::wp::linux_dmabuf::zv1::client::zwp_linux_dmabuf_v1::{self, ZwpLinuxDmabufV1};
use wayland_protocols::wp::presentation_time::client::wp_presentation::{self, WpPresentation};
use wayland_protocols::wp::presentation_time::client::wp_presentation_feedback::{self, WpPresentationFeedback};
use wayland_protocols::wp::viewporter::client::wp_viewport::WpViewport;
use wayland_protocols::wp::viewporter::client::wp_viewporter::WpViewporter;
use wayland_protocols::xdg::shell::client::xdg_surface::{self, XdgSurface};
use wayland_protocols::xdg::shell::client::xdg_toplevel::{self, XdgToplevel};
use wayland_protocols::xdg::shell::client::xdg_wm_base::{self, XdgWmBase};

/// How a window is opened.
#[derive(Clone, Debug)]
pub struct Options {
  pub title: String,
  pub app_id: String,
  pub fullscreen: bool,
  /// Buffers in the pool (≥ 2): one shown, one waiting for the compositor, the rest free to draw into.
  pub buffers: usize,
  /// A socket name (in $XDG_RUNTIME_DIR) or path; None: $WAYLAND_DISPLAY.
  pub display: Option<String>,
  pub pacing: pacer::Pacing,
  pub dmabuf: DmabufUse,
}

/// One committed frame's fate, from its `wp_presentation_feedback`.
#[derive(Clone, Debug)]
pub struct Feedback {
  /// What `present` returned for it.
  pub id: u32,
  /// When it turned into light, in ns of the compositor's presentation clock (`clock_id`); None: discarded.
  pub presented_ns: Option<i64>,
  /// The output's refresh period in ns (0: unknown).
  pub refresh_ns: u32,
  /// wp_presentation_feedback kind flags (vsync, hw_clock, hw_completion, zero_copy).
  pub flags: u32,
  /// Never committed: a newer frame replaced it while it waited for the compositor.
  pub replaced: bool,
}

/// Counters since the window opened.
#[derive(Clone, Debug, Default)]
pub struct Stats {
  pub committed: u64,
  pub presented: u64,
  pub discarded: u64,
  /// Frames not shown because every buffer was still held by the compositor.
  pub dropped: u64,
  /// Frames that waited for the compositor's frame callback and were replaced by a newer one (never committed).
  pub replaced: u64,
  /// Committed frames whose feedback has not come yet.
  pub pending: u64,
  /// The presentation clock (a clockid_t: 4 is CLOCK_MONOTONIC_RAW), -1 before the compositor said.
  pub clock_id: i64,
  pub configured_width: i32,
  pub configured_height: i32,
  /// Shared-memory pools mapped or grown (once per larger frame size; never per frame).
  pub pool_allocations: u64,
  /// wl_buffers made (the pool's slots, again only when the frame size changes).
  pub buffers_created: u64,
  /// Frames handed over as linux-dmabuf YUV buffers (not converted: the compositor samples YUV).
  pub dmabuf_frames: u64,
}

/// What commits a frame: the surface and what is attached with it. In `Shared`, so the dispatch thread
/// commits a waiting frame on the frame callback under the same lock as the caller's commits.
struct Output {
  surface: WlSurface,
  presentation: Option<WpPresentation>,
  viewport: Option<WpViewport>,
  /// The viewport's destination now (None: the buffer's size).
  destination: Option<(i32, i32)>,
  slots: Vec<WlBuffer>,
  /// Width, height of the slots' frames.
  frame: (usize, usize),
  qh: QueueHandle<State>,
}

#[derive(Default)]
struct Shared {
  out: Option<Output>,
  /// (DRM fourcc, modifier) pairs zwp_linux_dmabuf_v1 offered.
  dmabuf_formats: Vec<(u32, u64)>,
  pacer: Pacer,
  /// The toplevel size of the last configure acked (0 × 0: ours to choose); None before the first.
  configured: Option<(i32, i32)>,
  pending_size: (i32, i32),
  /// Buffers of older pools (another frame size) are not ours to reuse.
  generation: u32,
  busy: Vec<bool>,
  feedback: Vec<Feedback>,
  stats: Stats,
  error: Option<String>,
}

type Sync = Arc<(Mutex<Shared>, Condvar)>;

fn lock(sync: &Sync) -> MutexGuard<'_, Shared> {
  sync.0.lock().unwrap_or_else(|p| p.into_inner())
}

/// The dispatch thread's state.
pub struct State {
  sync: Sync,
}

impl Dispatch<WlRegistry, GlobalListContents> for State {
  fn event(_: &mut Self, _: &WlRegistry, _: <WlRegistry as Proxy>::Event, _: &GlobalListContents, _: &Connection, _: &QueueHandle<Self>) {}
}

delegate_noop!(State: ignore WlCompositor);
delegate_noop!(State: ignore WlShm);
delegate_noop!(State: ignore WlShmPool);
delegate_noop!(State: ignore WlSurface);
delegate_noop!(State: ignore WpViewporter);
delegate_noop!(State: ignore WpViewport);

impl Dispatch<WlBuffer, (u32, usize)> for State {
  fn event(s: &mut Self, _: &WlBuffer, e: wl_buffer::Event, &(generation, slot): &(u32, usize), _: &Connection, _: &QueueHandle<Self>) {
    if let wl_buffer::Event::Release = e {
      let mut g = lock(&s.sync);
      if g.generation == generation {
        if let Some(b) = g.busy.get_mut(slot) {
          *b = false;
        }
      }
    }
  }
}

impl Dispatch<XdgWmBase, ()> for State {
  fn event(_: &mut Self, wm: &XdgWmBase, e: xdg_wm_base::Event, _: &(), _: &Connection, _: &QueueHandle<Self>) {
    if let xdg_wm_base::Event::Ping { serial } = e {
      wm.pong(serial);
    }
  }
}

impl Dispatch<XdgSurface, ()> for State {
  fn event(s: &mut Self, xs: &XdgSurface, e: xdg_surface::Event, _: &(), _: &Connection, _: &QueueHandle<Self>) {
    if let xdg_surface::Event::Configure { serial } = e {
      xs.ack_configure(serial);
      let mut g = lock(&s.sync);
      g.configured = Some(g.pending_size);
      g.stats.configured_width = g.pending_size.0;
      g.stats.configured_height = g.pending_size.1;
      drop(g);
      s.sync.1.notify_all();
    }
  }
}

impl Dispatch<XdgToplevel, ()> for State {
  fn event(s: &mut Self, _: &XdgToplevel, e: xdg_toplevel::Event, _: &(), _: &Connection, _: &QueueHandle<Self>) {
    match e {
      xdg_toplevel::Event::Configure { width, height, .. } => lock(&s.sync).pending_size = (width, height),
      xdg_toplevel::Event::Close => {
        let mut g = lock(&s.sync);
        g.error.get_or_insert_with(|| "the Wayland window was closed".into());
        drop(g);
        s.sync.1.notify_all();
      }
      _ => {}
    }
  }
}

impl Dispatch<WpPresentation, ()> for State {
  fn event(s: &mut Self, _: &WpPresentation, e: wp_presentation::Event, _: &(), _: &Connection, _: &QueueHandle<Self>) {
    if let wp_presentation::Event::ClockId { clk_id } = e {
      lock(&s.sync).stats.clock_id = clk_id as i64;
    }
  }
}

impl Dispatch<WpPresentationFeedback, u32> for State {
  fn event(s: &mut Self, _: &WpPresentationFeedback, e: wp_presentation_feedback::Event, &id: &u32, _: &Connection, _: &QueueHandle<Self>) {
    let fb = match e {
      wp_presentation_feedback::Event::Presented { tv_sec_hi, tv_sec_lo, tv_nsec, refresh, flags, .. } => {
        let secs = ((tv_sec_hi as i64) << 32) | tv_sec_lo as i64;
        let flags = match flags {
          wayland_client::WEnum::Value(f) => f.bits(),
          wayland_client::WEnum::Unknown(b) => b,
        };
        Feedback { id, presented_ns: Some(secs * 1_000_000_000 + tv_nsec as i64), refresh_ns: refresh, flags, replaced: false }
      }
      wp_presentation_feedback::Event::Discarded => Feedback { id, presented_ns: None, refresh_ns: 0, flags: 0, replaced: false },
      _ => return,
    };
    let mut g = lock(&s.sync);
    if fb.presented_ns.is_some() {
      g.stats.presented += 1;
    } else {
      g.stats.discarded += 1;
    }
    g.stats.pending = g.stats.pending.saturating_sub(1);
    g.feedback.push(fb);
    drop(g);
    s.sync.1.notify_all();
  }
}

impl Dispatch<ZwpLinuxDmabufV1, ()> for State {
  fn event(s: &mut Self, _: &ZwpLinuxDmabufV1, e: zwp_linux_dmabuf_v1::Event, _: &(), _: &Connection, _: &QueueHandle<Self>) {
    let pair = match e {
      zwp_linux_dmabuf_v1::Event::Format { format } => (format, dmabuf::MOD_INVALID),
      zwp_linux_dmabuf_v1::Event::Modifier { format, modifier_hi, modifier_lo } => (format, ((modifier_hi as u64) << 32) | modifier_lo as u64),
      _ => return,
    };
    lock(&s.sync).dmabuf_formats.push(pair);
  }
}

impl Dispatch<ZwpLinuxBufferParamsV1, ()> for State {
  fn event(s: &mut Self, _: &ZwpLinuxBufferParamsV1, e: zwp_linux_buffer_params_v1::Event, _: &(), _: &Connection, _: &QueueHandle<Self>) {
    if let zwp_linux_buffer_params_v1::Event::Failed = e {
      lock(&s.sync).error.get_or_insert_with(|| "the Wayland compositor refused a linux-dmabuf buffer (set dmabuf=never)".into());
      s.sync.1.notify_all();
    }
  }
}

impl Dispatch<WlCallback, ()> for State {
  fn event(s: &mut Self, _: &WlCallback, e: wl_callback::Event, _: &(), _: &Connection, _: &QueueHandle<Self>) {
    if let wl_callback::Event::Done { .. } = e {
      let mut g = lock(&s.sync);
      if let Some(next) = g.pacer.frame_done() {
        commit(&mut g, next);
      }
      // The dispatch loop flushes the commit right after this handler.
      drop(g);
      s.sync.1.notify_all();
    }
  }
}

/// A frame that will never be committed: its buffer back to the pool, its fate told as feedback.
fn replaced(g: &mut Shared, r: Ready, reuse: bool) {
  g.stats.replaced += 1;
  if !reuse {
    if let Some(b) = g.busy.get_mut(r.slot) {
      *b = false;
    }
  }
  g.feedback.push(Feedback { id: r.id, presented_ns: None, refresh_ns: 0, flags: 0, replaced: true });
}

/// Attaches and commits the frame in `r.slot`, scaled to the configured size (aspect kept), with a frame
/// callback (pacing) and a presentation feedback request.
fn commit(g: &mut Shared, r: Ready) {
  let configured = g.configured.unwrap_or((0, 0));
  let Some(out) = g.out.as_mut() else { return };
  let (w, h) = out.frame;
  if let Some(vp) = &out.viewport {
    let (cw, ch) = configured;
    let dest = if cw > 0 && ch > 0 && (cw as usize != w || ch as usize != h) {
      let s = (cw as f64 / w as f64).min(ch as f64 / h as f64);
      Some((((w as f64 * s).round() as i32).max(1), ((h as f64 * s).round() as i32).max(1)))
    } else {
      None
    };
    if dest != out.destination {
      match dest {
        Some((dw, dh)) => vp.set_destination(dw, dh),
        None => vp.set_destination(-1, -1),
      }
      out.destination = dest;
    }
  }
  out.surface.attach(Some(&out.slots[r.slot]), 0, 0);
  out.surface.damage_buffer(0, 0, w as i32, h as i32);
  out.surface.frame(&out.qh, ());
  let feedback = out.presentation.as_ref().map(|p| p.feedback(&out.surface, &out.qh, r.id)).is_some();
  out.surface.commit();
  g.stats.committed += 1;
  if feedback {
    g.stats.pending += 1;
  }
}

fn display_error(msg: impl Into<String>) -> NativeError {
  NativeError::Display(msg.into())
}

/// Where the compositor's socket is, from the options or the environment; an error saying what to set.
fn socket_path(display: Option<&str>) -> Result<PathBuf> {
  let name = match display.map(str::to_owned).or_else(|| std::env::var("WAYLAND_DISPLAY").ok().filter(|s| !s.is_empty())) {
    Some(n) => n,
    None => {
      return Err(display_error(
        "no Wayland display: WAYLAND_DISPLAY is not set (start a compositor such as weston and export WAYLAND_DISPLAY, or set the sink's display)",
      ))
    }
  };
  let p = PathBuf::from(&name);
  if p.is_absolute() {
    return Ok(p);
  }
  match std::env::var_os("XDG_RUNTIME_DIR") {
    Some(dir) if !dir.is_empty() => Ok(PathBuf::from(dir).join(name)),
    _ => Err(display_error(format!("no Wayland display: XDG_RUNTIME_DIR is not set, so the socket of WAYLAND_DISPLAY={name} cannot be found"))),
  }
}

/// An open window. `close()` (or drop) destroys every object, stops the dispatch thread and closes the socket.
pub struct Window {
  /// None once closed: the socket closes with close(), not when JS collects the object.
  conn: Option<Connection>,
  qh: QueueHandle<State>,
  sync: Sync,
  shm: WlShm,
  wm_base: XdgWmBase,
  xdg_surface: XdgSurface,
  toplevel: XdgToplevel,
  viewporter: Option<WpViewporter>,
  compositor: WlCompositor,
  has_presentation: bool,
  dmabuf: Option<ZwpLinuxDmabufV1>,
  pool: Option<Pool>,
  /// Width, height and dma-buf fourcc (None: shm XRGB) of the pool's buffers.
  frame: (usize, usize, Option<u32>),
  /// The slots' YUV layout when they are dma-bufs.
  yuv: Option<YuvLayout>,
  buffers: usize,
  next_id: u32,
  wake: Option<OwnedFd>,
  thread: Option<JoinHandle<()>>,
  closed: bool,
}

impl Window {
  /// Connects and maps the toplevel (without waiting for its configure: see `wait_configured`). A missing
  /// display or a compositor without xdg-shell fails here, before any frame.
  pub fn open(o: &Options) -> Result<Self> {
    let path = socket_path(o.display.as_deref())?;
    let stream = UnixStream::connect(&path).map_err(|e| display_error(format!("no Wayland compositor at {}: {e}", path.display())))?;
    let conn = Connection::from_socket(stream).map_err(|e| display_error(format!("Wayland connection to {}: {e}", path.display())))?;
    let (globals, queue) = registry_queue_init::<State>(&conn).map_err(|e| display_error(format!("Wayland registry of {}: {e}", path.display())))?;
    let qh = queue.handle();
    let need = |what: &str, e: wayland_client::globals::BindError| display_error(format!("the Wayland compositor lacks {what}: {e}"));
    let compositor: WlCompositor = globals.bind(&qh, 1..=5, ()).map_err(|e| need("wl_compositor", e))?;
    let shm: WlShm = globals.bind(&qh, 1..=1, ()).map_err(|e| need("wl_shm", e))?;
    let wm_base: XdgWmBase = globals.bind(&qh, 1..=3, ()).map_err(|e| need("xdg_wm_base (xdg-shell)", e))?;
    let presentation: Option<WpPresentation> = globals.bind(&qh, 1..=1, ()).ok();
    let viewporter: Option<WpViewporter> = globals.bind(&qh, 1..=1, ()).ok();
    // Version 3 exactly: it announces (format, modifier) pairs as events (4 moved them to a feedback object).
    let dmabuf: Option<ZwpLinuxDmabufV1> = if o.dmabuf == DmabufUse::Never { None } else { globals.bind(&qh, 3..=3, ()).ok() };
    let surface = compositor.create_surface(&qh, ());
    let xdg_surface = wm_base.get_xdg_surface(&surface, &qh, ());
    let toplevel = xdg_surface.get_toplevel(&qh, ());
    toplevel.set_title(o.title.clone());
    toplevel.set_app_id(o.app_id.clone());
    if o.fullscreen {
      toplevel.set_fullscreen(None);
    }
    let viewport = viewporter.as_ref().map(|v| v.get_viewport(&surface, &qh, ()));
    surface.commit();
    conn.flush().map_err(|e| display_error(format!("Wayland connection to {}: {e}", path.display())))?;

    let has_presentation = presentation.is_some();
    let out = Output { surface, presentation, viewport, destination: None, slots: Vec::new(), frame: (0, 0), qh: qh.clone() };
    let shared = Shared { out: Some(out), pacer: Pacer::new(o.pacing), stats: Stats { clock_id: -1, ..Stats::default() }, ..Shared::default() };
    let sync: Sync = Arc::new((Mutex::new(shared), Condvar::new()));
    let mut fds = [0; 2];
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) } < 0 {
      return Err(NativeError::Resource(format!("pipe2: {}", std::io::Error::last_os_error())));
    }
    let (rd, wr) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    let state = State { sync: sync.clone() };
    let thread = std::thread::Builder::new()
      .name("g2g-wayland".into())
      .spawn(move || dispatch_loop(queue, state, rd))
      .map_err(|e| NativeError::Resource(format!("spawning the Wayland dispatch thread: {e}")))?;
    Ok(Self {
      conn: Some(conn),
      qh,
      sync,
      shm,
      wm_base,
      xdg_surface,
      toplevel,
      viewporter,
      compositor,
      has_presentation,
      dmabuf,
      pool: None,
      frame: (0, 0, None),
      yuv: None,
      buffers: o.buffers.clamp(2, 8),
      next_id: 0,
      wake: Some(wr),
      thread: Some(thread),
      closed: false,
    })
  }

  /// A handle for waiting on the window from another thread (see `wait_configured`).
  pub fn waiter(&self) -> Waiter {
    Waiter { sync: self.sync.clone() }
  }

  fn check(&self) -> Result<()> {
    if self.closed {
      return Err(NativeError::Closed);
    }
    match &lock(&self.sync).error {
      Some(e) => Err(display_error(e.clone())),
      None => Ok(()),
    }
  }

  fn fail(&self, e: WaylandError) -> NativeError {
    let mut g = lock(&self.sync);
    let msg = g.error.get_or_insert_with(|| format!("lost the Wayland compositor: {e}")).clone();
    display_error(msg)
  }

  /// (Re)makes the pool's buffers for frames of this size (XRGB wl_shm buffers, or dma-bufs of this YUV
  /// layout); a frame waiting in an old buffer is replaced.
  fn resize(&mut self, w: usize, h: usize, yuv: Option<YuvLayout>) -> Result<()> {
    let stride = w * 4;
    let slot = yuv.as_ref().map_or(stride * h, |l| l.size);
    let total = slot * self.buffers;
    let allocated = match &mut self.pool {
      Some(p) if p.size >= total => false,
      Some(p) => p.grow(total).map(|_| true)?,
      None => {
        self.pool = Some(Pool::new(&self.shm, &self.qh, total)?);
        true
      }
    };
    let mut g = lock(&self.sync);
    if let Some(r) = g.pacer.take_waiting() {
      replaced(&mut g, r, false);
    }
    g.stats.pool_allocations += allocated as u64;
    g.stats.buffers_created += self.buffers as u64;
    g.generation += 1;
    g.busy = vec![false; self.buffers];
    let generation = g.generation;
    let pool = self.pool.as_ref().unwrap();
    let out = g.out.as_mut().ok_or(NativeError::Closed)?;
    for b in out.slots.drain(..) {
      b.destroy();
    }
    for i in 0..self.buffers {
      let b = match (&yuv, &self.dmabuf) {
        (Some(l), Some(d)) => {
          let params = d.create_params(&self.qh, ());
          for (k, &(off, st)) in l.planes.iter().enumerate() {
            params.add(pool.fd(), k as u32, (i * slot + off) as u32, st as u32, (dmabuf::MOD_LINEAR >> 32) as u32, dmabuf::MOD_LINEAR as u32);
          }
          let b = params.create_immed(w as i32, h as i32, l.fourcc, zwp_linux_buffer_params_v1::Flags::empty(), &self.qh, (generation, i));
          params.destroy();
          b
        }
        _ => pool.pool.create_buffer((i * slot) as i32, w as i32, h as i32, stride as i32, wl_shm::Format::Xrgb8888, &self.qh, (generation, i)),
      };
      out.slots.push(b);
    }
    out.frame = (w, h);
    self.frame = (w, h, yuv.as_ref().map(|l| l.fourcc));
    self.yuv = yuv;
    Ok(())
  }

  /// Shows one frame: converted into a free buffer of the pool, then committed at once, or, when the
  /// compositor has not repainted since the last commit, kept waiting for its frame callback (a newer frame
  /// replaces it: counted, its feedback says `replaced`). Some(id) names it in `take_feedback`; None: every
  /// buffer is held by the compositor and none waits, the frame is dropped (counted). `planes`: each plane's
  /// (offset, stride); None: packed.
  pub fn present(&mut self, fmt: InFormat, data: &[u8], w: usize, h: usize, planes: Option<&[(usize, usize)]>) -> Result<Option<u32>> {
    self.check()?;
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
    if lock(&self.sync).configured.is_none() {
      return Err(display_error("the Wayland window is not configured yet (wait for ready())"));
    }
    // YUV goes as a dma-buf where the compositor offers its format (no conversion here), else XRGB by wl_shm.
    let yuv = match &self.dmabuf {
      Some(_) => dmabuf::layout(fmt, w, h).filter(|l| dmabuf::offered(&lock(&self.sync).dmabuf_formats, l.fourcc)),
      None => None,
    };
    if self.frame != (w, h, yuv.as_ref().map(|l| l.fourcc)) {
      self.resize(w, h, yuv)?;
    }
    let slot = {
      let mut g = lock(&self.sync);
      if let Some(i) = g.busy.iter().position(|b| !b) {
        g.busy[i] = true;
        i
      } else if let Some(r) = g.pacer.take_waiting() {
        // The waiting frame's buffer takes the newer frame.
        replaced(&mut g, r, true);
        r.slot
      } else {
        g.stats.dropped += 1;
        return Ok(None);
      }
    };
    // Converted outside the lock: the slot is ours (busy, not waiting), the dispatch thread leaves it alone.
    let stride = w * 4;
    match &self.yuv {
      Some(l) => {
        let dst = self.pool.as_mut().unwrap().slice(slot * l.size, l.size);
        dmabuf::copy_planes(fmt, data, w, h, planes, l, dst);
        lock(&self.sync).stats.dmabuf_frames += 1;
      }
      None => {
        let dst = self.pool.as_mut().unwrap().slice(slot * stride * h, stride * h);
        convert::to_xrgb(fmt, data, w, h, planes, dst, stride);
      }
    }

    let id = self.next_id;
    self.next_id = self.next_id.wrapping_add(1);
    let r = Ready { slot, id };
    {
      let mut g = lock(&self.sync);
      match g.pacer.ready(r) {
        Decision::Commit => commit(&mut g, r),
        Decision::Wait { replaced: Some(old) } => replaced(&mut g, old, false),
        Decision::Wait { replaced: None } => {}
      }
    }
    if let Some(c) = &self.conn {
      c.flush().map_err(|e| self.fail(e))?;
    }
    Ok(Some(id))
  }

  /// The feedback that came since the last call, in arrival order.
  pub fn take_feedback(&self) -> Vec<Feedback> {
    std::mem::take(&mut lock(&self.sync).feedback)
  }

  pub fn stats(&self) -> Stats {
    lock(&self.sync).stats.clone()
  }

  /// The error that ended the connection (the compositor went away, closed the window), if any.
  pub fn error(&self) -> Option<String> {
    lock(&self.sync).error.clone()
  }

  pub fn has_presentation(&self) -> bool {
    self.has_presentation
  }

  /// Destroys the window and its buffers, stops the dispatch thread, closes the socket. Idempotent.
  pub fn close(&mut self) {
    if self.closed {
      return;
    }
    self.closed = true;
    let out = lock(&self.sync).out.take();
    if let Some(out) = &out {
      for b in &out.slots {
        b.destroy();
      }
      if let Some(v) = &out.viewport {
        v.destroy();
      }
      if let Some(p) = &out.presentation {
        p.destroy();
      }
    }
    self.pool = None;
    if let Some(v) = self.viewporter.take() {
      v.destroy();
    }
    if let Some(d) = self.dmabuf.take() {
      d.destroy();
    }
    self.toplevel.destroy();
    self.xdg_surface.destroy();
    if let Some(out) = out {
      out.surface.destroy();
    }
    self.wm_base.destroy();
    let _ = &self.compositor;
    if let Some(c) = &self.conn {
      let _ = c.flush();
    }
    if let Some(w) = self.wake.take() {
      unsafe { libc::write(w.as_raw_fd(), [1u8].as_ptr() as *const _, 1) };
      if let Some(t) = self.thread.take() {
        let _ = t.join();
      }
    }
    // The thread's queue is gone with it: dropping ours closes the socket now.
    self.conn = None;
    let mut g = lock(&self.sync);
    g.error.get_or_insert_with(|| "the Wayland window is closed".into());
    drop(g);
    self.sync.1.notify_all();
  }
}

impl Drop for Window {
  fn drop(&mut self) {
    self.close();
  }
}

/// Waits on a window's events from another thread (the binding's async tasks).
#[derive(Clone)]
pub struct Waiter {
  sync: Sync,
}

impl Waiter {
  /// Until the first configure is acked (the window may show frames); the connection's error, or a timeout.
  pub fn wait_configured(&self, timeout: Duration) -> Result<(i32, i32)> {
    self.wait(timeout, "configure the window", |g| g.configured)
  }

  /// Until no committed frame awaits its feedback (or the timeout: what is still pending stays pending).
  pub fn wait_feedback(&self, timeout: Duration) -> Result<()> {
    match self.wait(timeout, "", |g| (g.stats.pending == 0 && !g.pacer.has_waiting()).then_some(())) {
      Err(NativeError::Display(m)) if m.starts_with("the Wayland compositor did not") => Ok(()),
      r => r,
    }
  }

  fn wait<T>(&self, timeout: Duration, what: &str, mut done: impl FnMut(&Shared) -> Option<T>) -> Result<T> {
    let deadline = Instant::now() + timeout;
    let mut g = lock(&self.sync);
    loop {
      if let Some(v) = done(&g) {
        return Ok(v);
      }
      if let Some(e) = &g.error {
        return Err(display_error(e.clone()));
      }
      let now = Instant::now();
      if now >= deadline {
        return Err(display_error(format!("the Wayland compositor did not {what} within {} ms", timeout.as_millis())));
      }
      g = self.sync.1.wait_timeout(g, deadline - now).map(|(g, _)| g).unwrap_or_else(|p| p.into_inner().0);
    }
  }
}

/// The dispatch thread: reads and dispatches events until close() writes to the wake pipe or the
/// connection fails (then recorded as the error every later call returns).
fn dispatch_loop(mut queue: EventQueue<State>, mut state: State, wake: OwnedFd) {
  let result: std::result::Result<(), String> = loop {
    if let Err(e) = queue.dispatch_pending(&mut state) {
      break Err(format!("lost the Wayland compositor: {e}"));
    }
    if let Err(e) = queue.flush() {
      break Err(format!("lost the Wayland compositor: {e}"));
    }
    let Some(guard) = queue.prepare_read() else { continue };
    let mut fds = [
      libc::pollfd { fd: guard.connection_fd().as_raw_fd(), events: libc::POLLIN, revents: 0 },
      libc::pollfd { fd: wake.as_raw_fd(), events: libc::POLLIN, revents: 0 },
    ];
    let r = unsafe { libc::poll(fds.as_mut_ptr(), 2, -1) };
    if r < 0 {
      let e = std::io::Error::last_os_error();
      if e.kind() == std::io::ErrorKind::Interrupted {
        continue;
      }
      break Err(format!("poll on the Wayland socket: {e}"));
    }
    if fds[1].revents != 0 {
      break Ok(());
    }
    if fds[0].revents != 0 {
      match guard.read() {
        Ok(_) => {}
        Err(WaylandError::Io(e)) if e.kind() == std::io::ErrorKind::WouldBlock => {}
        Err(e) => break Err(format!("lost the Wayland compositor: {e}")),
      }
    }
  };
  if let Err(msg) = result {
    let mut g = lock(&state.sync);
    g.error.get_or_insert(msg);
    drop(g);
    state.sync.1.notify_all();
  }
}

/// Now on a clock (the presentation clock's id, as `Stats::clock_id`), in ns.
#[allow(clippy::unnecessary_cast)] // time_t and c_long are i64 here, not everywhere
pub fn clock_now_ns(clock_id: i32) -> i64 {
  let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
  unsafe { libc::clock_gettime(clock_id as libc::clockid_t, &mut ts) };
  ts.tv_sec as i64 * 1_000_000_000 + ts.tv_nsec as i64
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn no_display_is_a_clear_error() {
    // Not touching the environment (tests run in parallel): an explicit relative name with XDG_RUNTIME_DIR
    // possibly unset, or an absolute path where nothing listens.
    let e = Window::open(&Options {
      title: "t".into(),
      app_id: "t".into(),
      fullscreen: false,
      buffers: 3,
      display: Some("/nonexistent/wayland-x".into()),
      pacing: pacer::Pacing::Latest,
      dmabuf: DmabufUse::Auto,
    })
      .err()
      .unwrap();
    assert!(e.to_string().starts_with("no Wayland compositor at /nonexistent/wayland-x"), "{e}");
    assert_eq!(e.code(), "DISPLAY");
  }
}
