//! `WaylandWindow`: the core's Wayland window for waylandSink. Calls are quick and never read the socket
//! (a dispatch thread of the core does); waiting (for the first configure, for the last feedback) is an async
//! task on the libuv pool.
use super::guarded;
use super::raw_frame::frame_args;
use crate::error::NativeError;
use crate::wayland::{self, dmabuf::DmabufUse, pacer::Pacing, Waiter, Window};

use napi::bindgen_prelude::*;
use napi_derive::napi;
use std::time::Duration;

#[napi(object)]
pub struct WaylandOptions {
  /// The window title (xdg_toplevel.set_title).
  pub title: Option<String>,
  /// The xdg_toplevel app id (default glass2glass).
  pub app_id: Option<String>,
  /// Ask the compositor for a fullscreen window.
  pub fullscreen: Option<bool>,
  /// Buffers in the shm pool, 2 to 8 (default 3).
  pub buffers: Option<u32>,
  /// A socket name (in $XDG_RUNTIME_DIR) or an absolute path; default $WAYLAND_DISPLAY.
  pub display: Option<String>,
  /// 'latest' (default: every frame committed at once, the compositor shows the newest) or 'frame-callback'
  /// (a frame waits for the compositor's frame callback, the newest replacing older).
  pub pacing: Option<String>,
  /// 'auto' (default: I420/NV12 as linux-dmabuf YUV buffers where the compositor offers them, else wl_shm XRGB)
  /// or 'never'.
  pub dmabuf: Option<String>,
}

#[napi(object)]
pub struct PresentationFeedback {
  /// What present() returned for the frame.
  pub id: u32,
  /// When it was presented, ns on the presentation clock (`WaylandStats.clockId`); absent: discarded.
  pub presented: Option<i64>,
  /// Refresh period in ns (0: unknown).
  pub refresh: u32,
  /// wp_presentation_feedback kind flags.
  pub flags: u32,
  /// Never committed: a newer frame replaced it while it waited for the compositor's frame callback.
  pub replaced: bool,
}

#[napi(object)]
pub struct WaylandStats {
  pub committed: i64,
  pub presented: i64,
  pub discarded: i64,
  /// Frames not shown because every buffer was held by the compositor.
  pub dropped: i64,
  /// Frames replaced by a newer one while waiting for the compositor's frame callback (never committed).
  pub replaced: i64,
  /// Committed frames still awaiting feedback.
  pub pending: i64,
  /// The presentation clock (clockid_t; 4 is CLOCK_MONOTONIC_RAW); -1 before the compositor said.
  pub clock_id: i64,
  pub configured_width: i32,
  pub configured_height: i32,
  /// Shared-memory pools mapped or grown (once per larger frame size, never per frame).
  pub pool_allocations: i64,
  /// wl_buffers made (only when the frame size changes).
  pub buffers_created: i64,
  /// Frames handed over as linux-dmabuf YUV buffers (not converted).
  pub dmabuf_frames: i64,
}

pub struct WaitTask {
  waiter: Waiter,
  timeout: Duration,
  feedback: bool,
}

impl Task for WaitTask {
  type Output = ();
  type JsValue = ();

  fn compute(&mut self) -> Result<()> {
    guarded("wayland wait", || if self.feedback { self.waiter.wait_feedback(self.timeout) } else { self.waiter.wait_configured(self.timeout).map(|_| ()) })
  }

  fn resolve(&mut self, _env: Env, _out: ()) -> Result<()> {
    Ok(())
  }
}

/// A Wayland window showing raw frames through a reused wl_shm pool, with wp_presentation feedback.
#[napi]
pub struct WaylandWindow {
  inner: Window,
}

#[napi]
impl WaylandWindow {
  /// Connects to the compositor and maps an xdg_toplevel. Fails at once, naming what is missing, when
  /// there is no display ($WAYLAND_DISPLAY unset, no socket) or the compositor lacks xdg-shell.
  #[napi(constructor)]
  pub fn new(o: WaylandOptions) -> Result<Self> {
    let opts = wayland::Options {
      title: o.title.unwrap_or_else(|| "glass2glass".into()),
      app_id: o.app_id.unwrap_or_else(|| "glass2glass".into()),
      fullscreen: o.fullscreen.unwrap_or(false),
      buffers: o.buffers.unwrap_or(3) as usize,
      display: o.display,
      pacing: match o.pacing.as_deref() {
        None | Some("latest") => Pacing::Latest,
        Some("frame-callback") => Pacing::FrameCallback,
        Some(other) => return Err(NativeError::invalid(format!("pacing must be 'latest' or 'frame-callback', got '{other}'")).into()),
      },
      dmabuf: match o.dmabuf.as_deref() {
        None | Some("auto") => DmabufUse::Auto,
        Some("never") => DmabufUse::Never,
        Some(other) => return Err(NativeError::invalid(format!("dmabuf must be 'auto' or 'never', got '{other}'")).into()),
      },
    };
    Ok(Self { inner: guarded("wayland open", || Window::open(&opts))? })
  }

  /// Resolves once the compositor configured the window (frames may be presented), rejects on a lost
  /// connection or after `timeoutMs` (default 5000).
  #[napi(ts_return_type = "Promise<void>")]
  pub fn ready(&self, timeout_ms: Option<u32>) -> AsyncTask<WaitTask> {
    AsyncTask::new(WaitTask { waiter: self.inner.waiter(), timeout: Duration::from_millis(timeout_ms.unwrap_or(5000) as u64), feedback: false })
  }

  /// Resolves once every committed frame's feedback came, or after `timeoutMs` (default 1000); rejects on
  /// a lost connection.
  #[napi(ts_return_type = "Promise<void>")]
  pub fn drain(&self, timeout_ms: Option<u32>) -> AsyncTask<WaitTask> {
    AsyncTask::new(WaitTask { waiter: self.inner.waiter(), timeout: Duration::from_millis(timeout_ms.unwrap_or(1000) as u64), feedback: true })
  }

  /// Shows one frame (format BGRx, RGBA, I420 or NV12; read in place; tightly packed planes, or plane k at
  /// offsets[k], rows strides[k] apart): committed at once, or kept (one at most, the newest) until the
  /// compositor's frame callback. Returns its feedback id, or null when every buffer was held by the
  /// compositor (the frame is dropped and counted). Throws once the compositor is gone.
  #[napi]
  pub fn present(
    &mut self,
    data: Uint8Array,
    format: String,
    width: u32,
    height: u32,
    offsets: Option<Vec<u32>>,
    strides: Option<Vec<u32>>,
  ) -> Result<Option<u32>> {
    let (fmt, planes) = frame_args("waylandSink", &format, offsets, strides)?;
    let inner = &mut self.inner;
    guarded("wayland present", || inner.present(fmt, &data, width as usize, height as usize, planes.as_deref()))
  }

  /// Presentation feedback received since the last call.
  #[napi]
  pub fn take_feedback(&self) -> Vec<PresentationFeedback> {
    self
      .inner
      .take_feedback()
      .into_iter()
      .map(|f| PresentationFeedback { id: f.id, presented: f.presented_ns, refresh: f.refresh_ns, flags: f.flags, replaced: f.replaced })
      .collect()
  }

  #[napi]
  pub fn stats(&self) -> WaylandStats {
    let s = self.inner.stats();
    WaylandStats {
      committed: s.committed as i64,
      presented: s.presented as i64,
      discarded: s.discarded as i64,
      dropped: s.dropped as i64,
      replaced: s.replaced as i64,
      pending: s.pending as i64,
      clock_id: s.clock_id,
      configured_width: s.configured_width,
      configured_height: s.configured_height,
      pool_allocations: s.pool_allocations as i64,
      buffers_created: s.buffers_created as i64,
      dmabuf_frames: s.dmabuf_frames as i64,
    }
  }

  /// The error that ended the connection (compositor gone, window closed), if any.
  #[napi(getter)]
  pub fn error(&self) -> Option<String> {
    self.inner.error()
  }

  /// Whether the compositor offers wp_presentation (else no feedback comes).
  #[napi(getter)]
  pub fn has_presentation(&self) -> bool {
    self.inner.has_presentation()
  }

  /// Now on the presentation clock (ns), to put feedback timestamps on another clock.
  #[napi]
  pub fn clock_now(&self) -> i64 {
    let id = self.inner.stats().clock_id;
    wayland::clock_now_ns(if id < 0 { libc::CLOCK_MONOTONIC_RAW } else { id as i32 })
  }

  /// Destroys the window, stops the dispatch thread and closes the connection. Idempotent.
  #[napi]
  pub fn close(&mut self) {
    self.inner.close();
  }
}
