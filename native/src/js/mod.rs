//! The napi binding: one module per JS concept, each a thin wrapper that converts arguments, calls the core
//! and maps its `NativeError` to a JS error.
//!
//! - `probe`: process-wide queries (backends, FFmpeg version, encoders).
//! - `audio`: `NativeAudioDecoder`/`NativeAudioEncoder` (AAC, Opus) on the libuv thread pool.
//! - `decoder`: `NativeDecoder` over the core's decoder on its worker thread or the shared pool.
//! - `decode_pool`: the shared decoder pool's counters and size.
//! - `frames`: how decoded frames reach JS (external Buffers, leases, per-block ArrayBuffers).
//! - `encoder`: `NativeEncoder` on the libuv thread pool.
//! - `wayland`: `WaylandWindow` over the core's Wayland client (waylandSink).
//! - `kms`: `KmsDisplay` over the core's DRM/KMS output (kmsSink), with the `kms` feature.
//! - `pulse`: `PulsePlayback`/`PulseCapture` over the core's PulseAudio streams (pulseSink, pulseSrc), with
//!   the `pulse` feature.
mod audio;
mod decode_pool;
mod decoder;
mod encoder;
mod frames;
#[cfg(feature = "kms")]
mod kms;
mod probe;
mod raw_frame;
#[cfg(feature = "pulse")]
mod pulse;
mod wayland;

use crate::error::NativeError;
use napi::{Error, Status};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// The JS error for a core error: its message is the Display text (what the element logs and tests match);
/// its `code` the napi Status, InvalidArg for the caller's mistakes and GenericFailure for the rest.
impl From<NativeError> for Error {
  fn from(e: NativeError) -> Self {
    let status = match e {
      NativeError::InvalidArgument(_) => Status::InvalidArg,
      _ => Status::GenericFailure,
    };
    Error::new(status, e.to_string())
  }
}

/// Runs native work, turning a Rust panic into a JS error instead of aborting the process.
fn guarded<T>(what: &'static str, f: impl FnOnce() -> crate::error::Result<T>) -> napi::Result<T> {
  match catch_unwind(AssertUnwindSafe(f)) {
    Ok(r) => r.map_err(Error::from),
    Err(p) => Err(NativeError::from_panic(what, &*p).into()),
  }
}
