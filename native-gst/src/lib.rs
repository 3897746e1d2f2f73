//! glass2glass GStreamer bridge (g2g_gst.node): a thin napi binding over `fragment`, the pure Rust core.
//! A separate addon from g2g_native.node so that the main one never links libgstreamer; node/elements/gst/
//! loads it lazily, only when a bridge element is built.
#![deny(clippy::all)]

mod fragment;

use fragment::{Fragment, Mode, Ready};
use gstreamer as gst;
use napi::bindgen_prelude::*;
use napi::{sys, Env};
use napi_derive::napi;
use std::ffi::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Duration;

/// Packet flags (glass2glass's PacketFlags bits) ↔ GStreamer buffer flags.
const KEYFRAME: u32 = 1 << 0;
const DISCONT: u32 = 1 << 1;
const CORRUPT: u32 = 1 << 2;
const HEADER: u32 = 1 << 3;
const GAP: u32 = 1 << 4;
const DROPPABLE: u32 = 1 << 5;
const MARKER: u32 = 1 << 6;
/// Set in the flags handed out when the buffer's memory was merged (a copy): the element records it.
const COPIED: u32 = 1 << 16;
/// Set when the sample's caps differ from the previous sample's (`currentCaps()` has them).
const CAPS_CHANGED: u32 = 1 << 17;

fn guarded<T>(what: &str, f: impl FnOnce() -> std::result::Result<T, String>) -> Result<T> {
  match catch_unwind(AssertUnwindSafe(f)) {
    Ok(r) => r.map_err(|e| Error::new(Status::GenericFailure, e)),
    Err(p) => {
      let msg = p.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| p.downcast_ref::<String>().cloned()).unwrap_or_default();
      Err(Error::new(Status::GenericFailure, format!("{what} panicked: {msg}")))
    }
  }
}

fn time(ns: f64) -> Option<gst::ClockTime> {
  (ns >= 0.0 && ns.is_finite()).then(|| gst::ClockTime::from_nseconds(ns as u64))
}

fn ns(t: Option<gst::ClockTime>) -> f64 {
  t.map(|t| t.nseconds() as f64).unwrap_or(-1.0)
}

fn to_gst_flags(flags: u32) -> gst::BufferFlags {
  let mut f = gst::BufferFlags::empty();
  if flags & KEYFRAME == 0 {
    f |= gst::BufferFlags::DELTA_UNIT;
  }
  for (ours, theirs) in [
    (DISCONT, gst::BufferFlags::DISCONT),
    (CORRUPT, gst::BufferFlags::CORRUPTED),
    (HEADER, gst::BufferFlags::HEADER),
    (GAP, gst::BufferFlags::GAP),
    (DROPPABLE, gst::BufferFlags::DROPPABLE),
    (MARKER, gst::BufferFlags::MARKER),
  ] {
    if flags & ours != 0 {
      f |= theirs;
    }
  }
  f
}

fn from_gst_flags(f: gst::BufferFlags) -> u32 {
  let mut out = if f.contains(gst::BufferFlags::DELTA_UNIT) { 0 } else { KEYFRAME };
  for (ours, theirs) in [
    (DISCONT, gst::BufferFlags::DISCONT),
    (CORRUPT, gst::BufferFlags::CORRUPTED),
    (HEADER, gst::BufferFlags::HEADER),
    (GAP, gst::BufferFlags::GAP),
    (DROPPABLE, gst::BufferFlags::DROPPABLE),
    (MARKER, gst::BufferFlags::MARKER),
  ] {
    if f.contains(theirs) {
      out |= ours;
    }
  }
  out
}

/// A GStreamer buffer's bytes as an external Buffer: no copy; the buffer stays mapped and referenced until
/// V8 collects the Buffer, then it is unmapped and unreffed (on the JS thread).
pub struct MappedBytes(gst::MappedBuffer<gst::buffer::Readable>);

unsafe extern "C" fn unmap(_env: sys::napi_env, _data: *mut c_void, hint: *mut c_void) {
  drop(unsafe { Box::from_raw(hint.cast::<MappedBytes>()) });
}

impl TypeName for MappedBytes {
  fn type_name() -> &'static str {
    "Buffer"
  }
  fn value_type() -> ValueType {
    ValueType::Object
  }
}

impl ToNapiValue for MappedBytes {
  unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
    let len = val.0.len();
    let mut out = std::ptr::null_mut();
    if len == 0 {
      check_status!(unsafe { sys::napi_create_buffer(env, 0, &mut std::ptr::null_mut(), &mut out) }, "creating a Buffer")?;
      return Ok(out);
    }
    let hint = Box::into_raw(Box::new(val));
    let ptr = unsafe { (*hint).0.as_slice().as_ptr() as *mut c_void };
    let status = unsafe { sys::napi_create_external_buffer(env, len, ptr, Some(unmap), hint.cast(), &mut out) };
    if status == sys::Status::napi_no_external_buffers_allowed {
      let b = unsafe { Box::from_raw(hint) };
      let mut p = std::ptr::null_mut();
      check_status!(unsafe { sys::napi_create_buffer_copy(env, len, b.0.as_slice().as_ptr().cast(), &mut p, &mut out) }, "copying a Buffer")?;
      return Ok(out);
    }
    if status != sys::Status::napi_ok {
      drop(unsafe { Box::from_raw(hint) });
    }
    check_status!(status, "creating an external Buffer")?;
    Ok(out)
  }
}

/// JS bytes lent to GStreamer without a copy: JS keeps the Uint8Array alive (a Map by `id` in the element)
/// until GStreamer drops the buffer's memory, which puts `id` on the released list that `push` hands back.
/// GStreamer sees the memory read-only (a writing element copies it first), as packets are immutable.
/// Process-wide: a lent buffer may outlive its fragment (a passthrough element hands the same GstBuffer out,
/// and the output packet maps it), so the ids go back through whichever fragment pushes next.
static RELEASED: std::sync::Mutex<Vec<u32>> = std::sync::Mutex::new(Vec::new());

struct LentBytes {
  ptr: *const u8,
  len: usize,
  id: u32,
}

// SAFETY: the bytes are only read, and stay alive (held by JS) until Drop has run on whatever thread.
unsafe impl Send for LentBytes {}

impl AsRef<[u8]> for LentBytes {
  fn as_ref(&self) -> &[u8] {
    // SAFETY: ptr/len come from a live Uint8Array that JS holds until `id` is released.
    unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
  }
}

impl Drop for LentBytes {
  fn drop(&mut self) {
    if let Ok(mut r) = RELEASED.lock() {
      r.push(self.id);
    }
  }
}

pub struct WaitTask {
  fragment: Arc<Fragment>,
  want_input: bool,
  timeout: Duration,
}

impl Task for WaitTask {
  type Output = Ready;
  type JsValue = String;

  fn compute(&mut self) -> Result<Ready> {
    guarded("wait", || Ok(self.fragment.wait(self.want_input, self.timeout)))
  }

  fn resolve(&mut self, _env: Env, r: Ready) -> Result<String> {
    Ok(match r {
      Ready::Output => "output",
      Ready::Input => "input",
      Ready::Eos => "eos",
      Ready::Error => "error",
      Ready::Timeout => "timeout",
    }
    .into())
  }
}

/// GStreamer's version, "GStreamer 1.22.0"; throws when it cannot initialise.
#[napi]
pub fn gst_version() -> Result<String> {
  guarded("init", || {
    fragment::init()?;
    Ok(gst::version_string().to_string())
  })
}

/// The lent ids (see GstFragment.push) GStreamer has let go of since the last call, process-wide.
#[napi]
pub fn take_released() -> Vec<u32> {
  let mut r = RELEASED.lock().unwrap();
  if r.is_empty() {
    Vec::new()
  } else {
    std::mem::take(&mut *r)
  }
}

/// Whether GStreamer has an element factory of this name (`x264enc`).
#[napi]
pub fn gst_has_element(name: String) -> Result<bool> {
  guarded("init", || {
    fragment::init()?;
    Ok(gst::ElementFactory::find(&name).is_some())
  })
}

/// A gst-launch fragment between an appsrc (modes bin, sink) and an appsink (bin, src).
#[napi]
pub struct GstFragment {
  /// None once disposed: the pipeline (its bus, its fds) is gone, not waiting for V8 to collect this object.
  slot: std::sync::Mutex<Option<Arc<Fragment>>>,
}

impl GstFragment {
  fn get(&self) -> Result<Arc<Fragment>> {
    self.slot.lock().unwrap().clone().ok_or_else(|| Error::new(Status::GenericFailure, "the GStreamer fragment is disposed".to_string()))
  }
}

#[napi]
impl GstFragment {
  /// Parses the fragment (state NULL: no thread runs yet). mode: "bin" | "src" | "sink".
  #[napi(constructor)]
  pub fn new(mode: String, description: String) -> Result<Self> {
    guarded("parse", || Ok(GstFragment { slot: std::sync::Mutex::new(Some(Arc::new(Fragment::new(Mode::parse(&mode)?, &description)?))) }))
  }

  /// Caps query on the fragment's input, with what may leave it as the appsink's caps.
  #[napi]
  pub fn sink_caps(&self, downstream: Option<String>) -> Result<String> {
    guarded("caps query", || self.get().map_err(|e| e.reason.clone())?.sink_caps(downstream.as_deref()))
  }

  /// Caps query on the fragment's output, given the input caps and filtered by what downstream allows.
  #[napi]
  pub fn src_caps(&self, input: Option<String>, allowed: Option<String>) -> Result<String> {
    guarded("caps query", || self.get().map_err(|e| e.reason.clone())?.src_caps(input.as_deref(), allowed.as_deref()))
  }

  /// The element that makes negotiation fail (after srcCaps with the input), when one can be named.
  #[napi]
  pub fn culprit(&self, allowed: Option<String>) -> Option<String> {
    self.get().ok()?.culprit(allowed.as_deref())
  }

  /// Sets the caps and the state PLAYING.
  #[napi]
  pub fn start(&self, input: Option<String>, output: Option<String>) -> Result<()> {
    guarded("start", || self.get().map_err(|e| e.reason.clone())?.start(input.as_deref(), output.as_deref()))
  }

  /// State NULL: the streaming threads are joined. Idempotent.
  #[napi]
  pub fn stop(&self) {
    if let Ok(f) = self.get() {
      f.stop();
    }
  }

  /// Stops and frees the GStreamer pipeline now; later calls fail (isEos and canPush answer false).
  #[napi]
  pub fn dispose(&self) {
    if let Some(f) = self.slot.lock().unwrap().take() {
      f.stop();
    }
  }

  #[napi]
  pub fn can_push(&self) -> bool {
    self.get().is_ok_and(|f| f.can_push())
  }

  #[napi]
  pub fn set_input_caps(&self, caps: String) -> Result<()> {
    guarded("caps", || self.get().map_err(|e| e.reason.clone())?.set_input_caps(&caps))
  }

  /// Hands the bytes to the appsrc as a GstBuffer with the times (ns; negative: none) and glass2glass flags.
  /// `lend` ≥ 0: without a copy, the caller keeping `data` alive until `lend` comes back in a later call's
  /// answer; else copied. Answers the lent ids GStreamer has let go of since the last call.
  #[napi]
  pub fn push(&self, data: &[u8], pts: f64, dts: f64, duration: f64, flags: u32, lend: i32) -> Result<Vec<u32>> {
    guarded("push", || {
      let mut buffer = if lend >= 0 && !data.is_empty() {
        gst::Buffer::from_slice(LentBytes { ptr: data.as_ptr(), len: data.len(), id: lend as u32 })
      } else {
        gst::Buffer::from_mut_slice(data.to_vec())
      };
      {
        let b = buffer.get_mut().unwrap();
        b.set_pts(time(pts));
        b.set_dts(time(dts));
        b.set_duration(time(duration));
        b.set_flags(to_gst_flags(flags));
      }
      self.get().map_err(|e| e.reason.clone())?.push(buffer)?;
      let mut r = RELEASED.lock().unwrap();
      Ok(if r.is_empty() { Vec::new() } else { std::mem::take(&mut *r) })
    })
  }



  #[napi]
  pub fn end_of_stream(&self) {
    if let Ok(f) = self.get() {
      f.end_of_stream();
    }
  }

  /// The next sample's bytes (an external Buffer over the mapped GstBuffer), its times and flags written to
  /// `meta` as [pts, dts, duration, flags] (ns, -1 for none; flags | 1<<16 when the memory was merged, a
  /// copy; | 1<<17 when the caps changed). null when none is queued. Throws the first bus error.
  #[napi(ts_return_type = "Buffer | null")]
  pub fn try_pull(&self, mut meta: Float64Array) -> Result<Option<MappedBytes>> {
    let r = guarded("pull", || self.get().map_err(|e| e.reason.clone())?.try_pull())?;
    let Some((sample, changed)) = r else { return Ok(None) };
    let Some(buffer) = sample.buffer_owned() else { return Ok(None) };
    let copied = buffer.n_memory() > 1;
    // SAFETY: the array is not shared with another thread while this synchronous call runs.
    let m = unsafe { meta.as_mut() };
    if m.len() >= 4 {
      m[0] = ns(buffer.pts());
      m[1] = ns(buffer.dts());
      m[2] = ns(buffer.duration());
      m[3] = (from_gst_flags(buffer.flags()) | if copied { COPIED } else { 0 } | if changed { CAPS_CHANGED } else { 0 }) as f64;
    }
    let mapped = buffer.into_mapped_buffer_readable().map_err(|_| Error::new(Status::GenericFailure, "cannot map a GStreamer buffer".to_string()))?;
    Ok(Some(MappedBytes(mapped)))
  }

  /// The caps of the last sample handed out, as GStreamer prints them.
  #[napi]
  pub fn current_caps(&self) -> Option<String> {
    self.get().ok()?.current_caps()
  }

  #[napi]
  pub fn is_eos(&self) -> bool {
    self.get().is_ok_and(|f| f.is_eos())
  }

  #[napi]
  pub fn error(&self) -> Option<String> {
    self.get().ok()?.error()
  }

  #[napi]
  pub fn take_warnings(&self) -> Vec<String> {
    self.get().map(|f| f.take_warnings()).unwrap_or_default()
  }

  /// Waits on the libuv pool until output is queued, the appsrc has room (wantInput), EOS, an error or the
  /// timeout: "output" | "input" | "eos" | "error" | "timeout".
  #[napi(ts_return_type = "Promise<'output' | 'input' | 'eos' | 'error' | 'timeout'>")]
  pub fn wait(&self, want_input: bool, timeout_ms: u32, signal: Option<AbortSignal>) -> Result<AsyncTask<WaitTask>> {
    Ok(AsyncTask::with_optional_signal(
      WaitTask { fragment: self.get()?, want_input, timeout: Duration::from_millis(timeout_ms as u64) },
      signal,
    ))
  }
}
