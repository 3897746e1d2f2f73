//! A CUDA stream per NVDEC decoder over a shared device context. libavcodec's nvdec hwaccel maps each
//! decoded picture (`cuvidMapVideoFrame`'s `output_stream`) and the CUDA download (`av_hwframe_transfer_data`:
//! `cuMemcpy2DAsync` then `cuStreamSynchronize`) on the device context's `AVCUDADeviceContext.stream`,
//! read when the decoder is created; a context made by `av_hwdevice_ctx_create` has none (NULL: the
//! legacy default stream, which every other blocking stream of the context waits for). Decoders sharing
//! a context would so share one stream. Each decoder instead gets a device context of its own that wraps
//! the shared CUDA context with a stream of its own (libavutil's public way to bring a context and
//! stream: `av_hwdevice_ctx_alloc`, fields set, `av_hwdevice_ctx_init`; see `g2g_hwdevice_cuda_wrap`).
//!
//! libcuda is loaded at run time (dlopen `libcuda.so.1`): the addon links no CUDA and loads and works
//! where there is no NVIDIA driver. `G2G_CUDA_SHARED_STREAM=1` turns streams of their own off;
//! `G2G_CUDA_STREAM_FLAGS` sets `cuStreamCreate`'s flags (default 1, CU_STREAM_NON_BLOCKING: no implicit
//! synchronisation with the legacy default stream).
//!
//! Measured (H100, 8 shared contexts, N=96 and 112 live 1080p30 streams, interleaved, two runs each): no
//! gain over the shared stream beyond run-to-run noise (p95 5.5–7.8 ms with streams of their own against
//! 4.7–7.4 ms shared). NVDEC's decoding itself takes no stream; only the picture map and the download do,
//! and the download to pageable memory ends in a synchronize either way. Kept, switchable, for
//! consumers that will work on the GPU (CUDA-memory output) where per-decoder streams matter.
use crate::ffi;
use crate::hwdevice::AvDevice;
use std::ffi::{c_int, c_uint, c_void, CStr};
use std::sync::OnceLock;

/// cuStreamCreate's flags when `G2G_CUDA_STREAM_FLAGS` is unset: CU_STREAM_NON_BLOCKING.
pub const DEFAULT_STREAM_FLAGS: u32 = 1;

type CuResult = c_int;
type StreamCreate = unsafe extern "C" fn(*mut *mut c_void, c_uint) -> CuResult;
type StreamDestroy = unsafe extern "C" fn(*mut c_void) -> CuResult;
type CtxPush = unsafe extern "C" fn(*mut c_void) -> CuResult;
type CtxPop = unsafe extern "C" fn(*mut *mut c_void) -> CuResult;

/// The four driver API entry points used here (the `_v2` symbols the driver exports for these names).
struct Api {
  stream_create: StreamCreate,
  stream_destroy: StreamDestroy,
  ctx_push: CtxPush,
  ctx_pop: CtxPop,
}

/// libcuda, loaded once per process; Err: why not (no NVIDIA driver).
fn api() -> Result<&'static Api, &'static str> {
  static API: OnceLock<Result<Api, String>> = OnceLock::new();
  API.get_or_init(load).as_ref().map_err(String::as_str)
}

fn load() -> Result<Api, String> {
  unsafe {
    // Never closed: libavutil holds its own handle; the library stays loaded for the process either way.
    let h = libc::dlopen(c"libcuda.so.1".as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL);
    if h.is_null() {
      let e = libc::dlerror();
      return Err(if e.is_null() { "libcuda.so.1 not found".into() } else { CStr::from_ptr(e).to_string_lossy().into_owned() });
    }
    let sym = |name: &CStr| {
      let p = libc::dlsym(h, name.as_ptr());
      if p.is_null() {
        Err(format!("libcuda.so.1 has no {}", name.to_string_lossy()))
      } else {
        Ok(p)
      }
    };
    Ok(Api {
      stream_create: std::mem::transmute::<*mut c_void, StreamCreate>(sym(c"cuStreamCreate")?),
      stream_destroy: std::mem::transmute::<*mut c_void, StreamDestroy>(sym(c"cuStreamDestroy_v2")?),
      ctx_push: std::mem::transmute::<*mut c_void, CtxPush>(sym(c"cuCtxPushCurrent_v2")?),
      ctx_pop: std::mem::transmute::<*mut c_void, CtxPop>(sym(c"cuCtxPopCurrent_v2")?),
    })
  }
}

/// Whether decoders get streams of their own, and with which flags: None when `G2G_CUDA_SHARED_STREAM`
/// is 1 (the shared context's one stream, as libavutil made it).
pub fn stream_setting(shared: Option<&str>, flags: Option<&str>) -> Option<u32> {
  if shared.is_some_and(|v| v.trim() == "1") {
    return None;
  }
  Some(flags.and_then(|f| parse_flags(f.trim())).unwrap_or(DEFAULT_STREAM_FLAGS))
}

fn parse_flags(f: &str) -> Option<u32> {
  match f.strip_prefix("0x") {
    Some(hex) => u32::from_str_radix(hex, 16).ok(),
    None => f.parse().ok(),
  }
}

/// `stream_setting` from the environment, read once.
pub fn stream_flags() -> Option<u32> {
  static FLAGS: OnceLock<Option<u32>> = OnceLock::new();
  *FLAGS.get_or_init(|| stream_setting(std::env::var("G2G_CUDA_SHARED_STREAM").ok().as_deref(), std::env::var("G2G_CUDA_STREAM_FLAGS").ok().as_deref()))
}

/// A device context for one decoder: `shared`'s CUDA context with a new stream (`flags`), destroyed
/// when libavutil frees the returned context (after the decoder and its frames). The caller owns the
/// returned reference (`ffi::g2g_hwdevice_unref`).
pub fn device_with_stream(shared: AvDevice, flags: u32) -> Result<AvDevice, String> {
  let api = api()?;
  let ctx = unsafe { ffi::g2g_hwdevice_cuda_ctx(shared.0) };
  if ctx.is_null() {
    return Err("not a CUDA device context".into());
  }
  let mut stream = std::ptr::null_mut();
  let r = unsafe { with_ctx(api, ctx, || (api.stream_create)(&mut stream, flags)) };
  if r != 0 {
    return Err(format!("cuStreamCreate (flags {flags}) failed: CUDA error {r}"));
  }
  let mut err = ffi::ErrBuf::new();
  let dev = unsafe { ffi::g2g_hwdevice_cuda_wrap(shared.0, stream, Some(destroy_stream), err.ptr(), err.capacity()) };
  if dev.is_null() {
    unsafe { destroy_stream(stream, ctx) };
    return Err(err.text());
  }
  Ok(AvDevice(dev))
}

/// Runs `f` with `ctx` current on this thread (CUDA calls act on the current context).
unsafe fn with_ctx(api: &Api, ctx: *mut c_void, f: impl FnOnce() -> CuResult) -> CuResult {
  let r = unsafe { (api.ctx_push)(ctx) };
  if r != 0 {
    return r;
  }
  let r = f();
  let mut popped = std::ptr::null_mut();
  unsafe { (api.ctx_pop)(&mut popped) };
  r
}

/// Called by the shim when a decoder's device context is freed (any thread).
unsafe extern "C" fn destroy_stream(stream: *mut c_void, ctx: *mut c_void) {
  if let Ok(api) = api() {
    unsafe { with_ctx(api, ctx, || (api.stream_destroy)(stream)) };
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn streams_of_their_own_unless_shared_is_asked_for() {
    assert_eq!(stream_setting(None, None), Some(DEFAULT_STREAM_FLAGS));
    assert_eq!(stream_setting(Some("0"), None), Some(DEFAULT_STREAM_FLAGS));
    assert_eq!(stream_setting(Some("1"), Some("1")), None);
    assert_eq!(stream_setting(None, Some("0")), Some(0));
    assert_eq!(stream_setting(None, Some("0x1")), Some(1));
    assert_eq!(stream_setting(None, Some("fast")), Some(DEFAULT_STREAM_FLAGS));
  }
}
