//! Sample specs and buffer attributes: GStreamer's audio sink properties mapped onto pa_buffer_attr.
use crate::error::NativeError;
use libpulse_binding::{def::BufferAttr, sample};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SampleFormat {
  S16LE,
  S32LE,
  F32LE,
}

impl SampleFormat {
  pub fn parse(s: &str) -> Result<Self, NativeError> {
    match s {
      "S16LE" => Ok(Self::S16LE),
      "S32LE" => Ok(Self::S32LE),
      "F32LE" => Ok(Self::F32LE),
      _ => Err(NativeError::invalid(format!("PulseAudio format must be S16LE, S32LE or F32LE, got '{s}'"))),
    }
  }

  pub fn bytes(self) -> u32 {
    match self {
      Self::S16LE => 2,
      Self::S32LE | Self::F32LE => 4,
    }
  }

  fn pa(self) -> sample::Format {
    match self {
      Self::S16LE => sample::Format::S16le,
      Self::S32LE => sample::Format::S32le,
      Self::F32LE => sample::Format::F32le,
    }
  }
}

/// Interleaved samples: format, rate, channels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamSpec {
  pub format: SampleFormat,
  pub rate: u32,
  pub channels: u8,
}

impl StreamSpec {
  pub fn new(format: &str, rate: u32, channels: u32) -> Result<Self, NativeError> {
    let format = SampleFormat::parse(format)?;
    // PA_RATE_MAX and PA_CHANNELS_MAX.
    if rate == 0 || rate > 384_000 * 4 {
      return Err(NativeError::invalid(format!("PulseAudio rate must be in [1, 1536000], got {rate}")));
    }
    if channels == 0 || channels > 32 {
      return Err(NativeError::invalid(format!("PulseAudio takes 1 to 32 channels, got {channels}")));
    }
    Ok(Self { format, rate, channels: channels as u8 })
  }

  /// Bytes of one frame (a sample of every channel).
  pub fn frame_bytes(&self) -> u32 {
    self.format.bytes() * self.channels as u32
  }

  /// Bytes of `us` microseconds, a whole number of frames, at least one frame.
  pub fn bytes_for_us(&self, us: u64) -> u32 {
    let frames = (us as u128 * self.rate as u128 / 1_000_000).max(1);
    (frames * self.frame_bytes() as u128).min(u32::MAX as u128 / 2) as u32 / self.frame_bytes() * self.frame_bytes()
  }

  /// Microseconds of `bytes`.
  pub fn us_for_bytes(&self, bytes: u64) -> u64 {
    bytes / self.frame_bytes() as u64 * 1_000_000 / self.rate as u64
  }

  pub(crate) fn pa(&self) -> sample::Spec {
    sample::Spec { format: self.format.pa(), rate: self.rate, channels: self.channels }
  }
}

/// What to ask the server for, as GStreamer's audio sinks (pulsesink) do: the server keeps up to
/// `buffer_time` ahead of playback (tlength, which with the simple API's ADJUST_LATENCY is the whole latency,
/// the sink's own included) and asks for more once `latency_time` has played (minreq). Playback starts once
/// the buffer is full (prebuf = tlength, libpulse's default; pulsesink uses 0 because it corks and uncorks the
/// stream itself, which the simple API cannot). A smaller prebuf loses the start: the sink's first render
/// wants its whole latency, the stream underruns at once, and what it lacked is skipped (measured on the null
/// sink's monitor: prebuf 10 ms lost 220 ms of a tone, 50 ms lost 140 ms, 100 ms 40 ms, tlength 20 ms as
/// paplay). maxlength is the server's maximum.
pub fn playback_attr(spec: &StreamSpec, latency_time_us: u64, buffer_time_us: u64) -> BufferAttr {
  let seg = spec.bytes_for_us(latency_time_us);
  let tlength = spec.bytes_for_us(buffer_time_us).max(seg);
  BufferAttr { maxlength: u32::MAX, tlength, prebuf: tlength, minreq: seg, fragsize: u32::MAX }
}

/// Capture: the server hands data over in `latency_time` fragments (fragsize), as pulsesrc asks.
pub fn capture_attr(spec: &StreamSpec, latency_time_us: u64) -> BufferAttr {
  BufferAttr { maxlength: u32::MAX, tlength: u32::MAX, prebuf: u32::MAX, minreq: u32::MAX, fragsize: spec.bytes_for_us(latency_time_us) }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn gstreamer_defaults_at_48k_stereo_s16() {
    let s = StreamSpec::new("S16LE", 48000, 2).unwrap();
    let a = playback_attr(&s, 10_000, 200_000);
    assert_eq!(a.minreq, 480 * 4);
    assert_eq!(a.prebuf, a.tlength);
    assert_eq!(a.tlength, 9600 * 4);
    assert_eq!(a.maxlength, u32::MAX);
  }

  #[test]
  fn whole_frames_and_at_least_one() {
    let s = StreamSpec::new("F32LE", 44100, 3).unwrap();
    assert_eq!(s.bytes_for_us(10_000) % 12, 0);
    assert_eq!(s.bytes_for_us(10_000), 441 * 12);
    assert_eq!(s.bytes_for_us(1), 12);
    assert_eq!(s.us_for_bytes(441 * 12), 10_000);
    // A buffer shorter than a segment is a segment.
    let a = playback_attr(&s, 20_000, 5_000);
    assert_eq!(a.tlength, a.minreq);
  }

  #[test]
  fn rejects_what_pulse_cannot_take() {
    assert!(StreamSpec::new("S24LE", 48000, 2).is_err());
    assert!(StreamSpec::new("S16LE", 0, 2).is_err());
    assert!(StreamSpec::new("S16LE", 48000, 0).is_err());
    assert!(StreamSpec::new("S16LE", 48000, 33).is_err());
  }
}
