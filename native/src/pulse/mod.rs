//! pulseSink / pulseSrc's core: PulseAudio playback and capture through libpulse's simple API, each on a
//! thread of its own so that no call from JS waits for the server. Playback takes bytes through a bounded
//! ring (`ring`) that its thread moves into the server's buffer; capture reads fixed blocks into a bounded
//! queue. The buffer attributes (`attrs`) are pure and unit-tested; the rest needs a server (test/audio).
pub mod attrs;
pub mod capture;
pub mod playback;
pub mod ring;

pub use attrs::{SampleFormat, StreamSpec};
pub use capture::{Capture, CaptureOptions, Chunk};
pub use playback::{Playback, PlaybackOptions, PlaybackStats};

use crate::error::NativeError;

/// The error for a failed libpulse call: what was being done, and libpulse's text for why.
pub(crate) fn pa_error(what: &str, e: libpulse_binding::error::PAErr) -> NativeError {
  let why = e.to_string().unwrap_or_else(|| format!("error {}", e.0));
  NativeError::Audio(format!("{what}: {why}"))
}

/// Now on CLOCK_MONOTONIC (ns): the clock capture times and latency readings are taken on.
pub fn monotonic_ns() -> i64 {
  crate::wayland::clock_now_ns(libc::CLOCK_MONOTONIC)
}
