//! `KmsDisplay`: the core's DRM/KMS output for kmsSink. The constructor sets the mode (one blocking atomic
//! commit, when the pipeline starts, so that a missing device or connector fails before any frame);
//! `present` converts and commits a non-blocking flip and returns; flip events are read by the core's own
//! thread, so no call here waits for a vblank.
use super::guarded;
use super::raw_frame::frame_args;
use crate::kms::{self, Display, Drainer};

use napi::bindgen_prelude::*;
use napi_derive::napi;
use std::time::Duration;

#[napi(object)]
pub struct KmsOptions {
  /// A DRM card path; default the first /dev/dri/card* with a connected connector.
  pub device: Option<String>,
  /// A connector name (HDMI-A-1, DP-1, eDP-1) or its object id; default the first connected.
  pub connector: Option<String>,
  /// WIDTHxHEIGHT or WIDTHxHEIGHT@HZ; default the connector's preferred mode.
  pub mode: Option<String>,
  /// Scan-out buffers, 2 to 4 (default 3).
  pub buffers: Option<u32>,
}

#[napi(object)]
pub struct KmsOutput {
  pub device: String,
  pub connector: String,
  pub connector_id: u32,
  pub crtc_id: u32,
  pub plane_id: u32,
  pub width: u32,
  pub height: u32,
  /// Hz, from the mode's timings.
  pub refresh: f64,
}

#[napi(object)]
pub struct FlipFeedback {
  /// What present() returned for the frame.
  pub id: u32,
  /// The vblank it was shown at, ns of CLOCK_MONOTONIC.
  pub presented: i64,
  /// The CRTC's vblank counter.
  pub sequence: u32,
}

#[napi(object)]
pub struct KmsStats {
  pub committed: i64,
  pub presented: i64,
  /// Frames not shown: no free buffer, or replaced in the queue by a newer one before their vblank.
  pub dropped: i64,
}

pub struct DrainTask {
  drainer: Drainer,
  timeout: Duration,
}

impl Task for DrainTask {
  type Output = ();
  type JsValue = ();

  fn compute(&mut self) -> Result<()> {
    guarded("kms drain", || {
      self.drainer.wait_idle(self.timeout);
      Ok(())
    })
  }

  fn resolve(&mut self, _env: Env, _out: ()) -> Result<()> {
    Ok(())
  }
}

/// A display driven directly through DRM/KMS (no compositor): atomic modesetting, dumb buffers, page flips
/// at vblank.
#[napi]
pub struct KmsDisplay {
  inner: Display,
}

#[napi]
impl KmsDisplay {
  /// Opens the card, picks connector and mode and sets it. Throws, naming the device, when there is no
  /// DRM device, no connected connector, no such mode, or another process is DRM master.
  #[napi(constructor)]
  pub fn new(o: KmsOptions) -> Result<Self> {
    let opts = kms::Options { device: o.device, connector: o.connector, mode: o.mode, buffers: o.buffers.unwrap_or(3) as usize };
    Ok(Self { inner: guarded("kms open", || Display::open(&opts))? })
  }

  /// The output in use.
  #[napi(getter)]
  pub fn output(&self) -> KmsOutput {
    let i = self.inner.info();
    KmsOutput {
      device: i.device.clone(),
      connector: i.connector.clone(),
      connector_id: i.connector_id,
      crtc_id: i.crtc_id,
      plane_id: i.plane_id,
      width: i.width,
      height: i.height,
      refresh: i.refresh,
    }
  }

  /// Shows one frame (RGBA, I420, NV12 or BGRx; centred, cropped if larger than the mode) at the next
  /// vblank. Returns its feedback id, or null when it was dropped (no free buffer). Throws once the
  /// device failed.
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
    let (fmt, planes) = frame_args("kmsSink", &format, offsets, strides)?;
    let inner = &mut self.inner;
    guarded("kms present", || inner.present(fmt, &data, width as usize, height as usize, planes.as_deref()))
  }

  /// Resolves once every frame given is on screen (no flip in flight or waiting), the display failed, or
  /// after `timeoutMs` (default 200); waits on the libuv pool, not the JS thread.
  #[napi(ts_return_type = "Promise<void>")]
  pub fn drain(&self, timeout_ms: Option<u32>) -> AsyncTask<DrainTask> {
    AsyncTask::new(DrainTask { drainer: self.inner.drainer(), timeout: Duration::from_millis(timeout_ms.unwrap_or(200) as u64) })
  }

  /// Flips completed since the last call.
  #[napi]
  pub fn take_feedback(&self) -> Vec<FlipFeedback> {
    self.inner.take_feedback().into_iter().map(|f| FlipFeedback { id: f.id, presented: f.presented_ns, sequence: f.sequence }).collect()
  }

  #[napi]
  pub fn stats(&self) -> KmsStats {
    let s = self.inner.stats();
    KmsStats { committed: s.committed as i64, presented: s.presented as i64, dropped: s.dropped as i64 }
  }

  /// The error that stopped the display (a failed flip, the device gone), if any.
  #[napi(getter)]
  pub fn error(&self) -> Option<String> {
    self.inner.error()
  }

  /// Now on CLOCK_MONOTONIC (ns), the flip timestamps' clock.
  #[napi]
  pub fn clock_now(&self) -> i64 {
    kms::monotonic_now_ns()
  }

  /// Stops the flip thread and frees the framebuffers (the CRTC goes dark). Idempotent.
  #[napi]
  pub fn close(&mut self) {
    self.inner.close();
  }
}
