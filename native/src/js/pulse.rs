//! `PulsePlayback` and `PulseCapture`: the core's PulseAudio streams for pulseSink and pulseSrc. Calls are
//! quick and never wait for the server (the core's threads do); waiting for room, for the drain or for the
//! next captured block is an async task on the libuv pool.
use super::guarded;
use crate::error::NativeError;
use crate::pulse::{self, Capture, CaptureOptions, Playback, PlaybackOptions, StreamSpec};

use napi::bindgen_prelude::*;
use napi_derive::napi;
use std::time::Duration;

#[napi(object)]
pub struct PulseOptions {
  /// A server string (unix:/path/native, tcp:host); default libpulse's ($PULSE_SERVER, the user's daemon).
  pub server: Option<String>,
  /// A sink (playback) or source (capture) name; default the server's.
  pub device: Option<String>,
  pub client_name: Option<String>,
  pub stream_name: Option<String>,
  /// S16LE, S32LE or F32LE, interleaved.
  pub format: String,
  pub rate: u32,
  pub channels: u32,
  /// µs: playback's minreq, capture's fragment size (default 10000, as GStreamer's).
  pub latency_time: Option<u32>,
  /// µs: playback's tlength and prebuf (default 200000, as GStreamer's).
  pub buffer_time: Option<u32>,
  /// Capture: frames in each block (default 1024).
  pub block_frames: Option<u32>,
  /// Capture: blocks queued before the oldest is dropped (default 32).
  pub queue: Option<u32>,
}

#[napi(object)]
pub struct PulsePlaybackStats {
  /// Bytes handed to the server.
  pub written: i64,
  /// Bytes waiting in the addon's ring.
  pub queued: i64,
  /// pa_simple_get_latency last read (µs): how long a byte written then takes to be heard.
  pub latency_us: i64,
  /// When it was read (CLOCK_MONOTONIC ns; 0 before the first reading).
  pub latency_at: i64,
  pub max_latency_us: i64,
}

#[napi(object)]
pub struct PulseChunk {
  pub data: Buffer,
  /// CLOCK_MONOTONIC ns when its first frame was captured.
  pub captured: i64,
}

fn spec_of(o: &PulseOptions) -> Result<StreamSpec> {
  Ok(StreamSpec::new(&o.format, o.rate, o.channels)?)
}

pub struct PlaybackWaitTask {
  waiter: pulse::playback::PlaybackWaiter,
  timeout: Duration,
  drain: bool,
}

impl Task for PlaybackWaitTask {
  type Output = bool;
  type JsValue = bool;

  fn compute(&mut self) -> Result<bool> {
    guarded("pulse wait", || if self.drain { self.waiter.wait_done(self.timeout) } else { self.waiter.wait_writable(self.timeout) })
  }

  fn resolve(&mut self, _env: Env, out: bool) -> Result<bool> {
    Ok(out)
  }
}

/// A PulseAudio playback stream fed through a bounded ring by a thread of the addon.
#[napi]
pub struct PulsePlayback {
  inner: Playback,
}

#[napi]
impl PulsePlayback {
  /// Connects and opens the stream (a local connection: milliseconds). Throws at once, with libpulse's
  /// reason, when there is no server, no such sink, or the spec is refused.
  #[napi(constructor)]
  pub fn new(o: PulseOptions) -> Result<Self> {
    let spec = spec_of(&o)?;
    let opts = PlaybackOptions {
      server: o.server,
      device: o.device,
      client_name: o.client_name.unwrap_or_else(|| "glass2glass".into()),
      stream_name: o.stream_name.unwrap_or_else(|| "pulseSink".into()),
      spec,
      latency_time_us: o.latency_time.unwrap_or(10_000) as u64,
      buffer_time_us: o.buffer_time.unwrap_or(200_000) as u64,
    };
    Ok(Self { inner: guarded("pulse open", || Playback::open(opts))? })
  }

  /// Copies as much of `data` as the ring has room for (whole frames) and returns how many bytes; the rest
  /// waits for `writable()`. Throws once the stream failed (the server went away).
  #[napi]
  pub fn write(&self, data: Uint8Array) -> Result<u32> {
    let inner = &self.inner;
    guarded("pulse write", || inner.write(&data).map(|n| n as u32))
  }

  /// Resolves true once a quarter of the ring is free (false after `timeoutMs`, default 5000); rejects once
  /// the stream failed.
  #[napi(ts_return_type = "Promise<boolean>")]
  pub fn writable(&self, timeout_ms: Option<u32>) -> AsyncTask<PlaybackWaitTask> {
    AsyncTask::new(PlaybackWaitTask { waiter: self.inner.waiter(), timeout: Duration::from_millis(timeout_ms.unwrap_or(5000) as u64), drain: false })
  }

  /// No more data: resolves true once everything queued was played and the server drained (false after
  /// `timeoutMs`, default 5000); rejects once the stream failed.
  #[napi(ts_return_type = "Promise<boolean>")]
  pub fn drain(&self, timeout_ms: Option<u32>) -> AsyncTask<PlaybackWaitTask> {
    self.inner.end();
    AsyncTask::new(PlaybackWaitTask { waiter: self.inner.waiter(), timeout: Duration::from_millis(timeout_ms.unwrap_or(5000) as u64), drain: true })
  }

  #[napi]
  pub fn stats(&self) -> PulsePlaybackStats {
    let s = self.inner.stats();
    PulsePlaybackStats {
      written: s.written as i64,
      queued: s.queued as i64,
      latency_us: s.latency_us as i64,
      latency_at: s.latency_at,
      max_latency_us: s.max_latency_us as i64,
    }
  }

  /// The error that ended the stream, if any.
  #[napi(getter)]
  pub fn error(&self) -> Option<String> {
    self.inner.error().map(|e| e.to_string())
  }

  /// Now on CLOCK_MONOTONIC (ns), to put `latencyAt` on another clock.
  #[napi]
  pub fn clock_now(&self) -> i64 {
    pulse::monotonic_ns()
  }

  /// Stops at once (queued data dropped), joins the thread, frees the stream. Idempotent.
  #[napi]
  pub fn close(&mut self) {
    self.inner.close();
  }
}

pub struct CaptureReadTask {
  waiter: pulse::capture::CaptureWaiter,
  timeout: Duration,
}

impl Task for CaptureReadTask {
  type Output = Option<pulse::Chunk>;
  type JsValue = Option<PulseChunk>;

  fn compute(&mut self) -> Result<Self::Output> {
    guarded("pulse read", || self.waiter.next(self.timeout))
  }

  fn resolve(&mut self, _env: Env, out: Self::Output) -> Result<Self::JsValue> {
    Ok(out.map(|c| PulseChunk { data: c.data.into(), captured: c.captured }))
  }
}

/// A PulseAudio record stream read in fixed blocks by a thread of the addon.
#[napi]
pub struct PulseCapture {
  inner: Capture,
}

#[napi]
impl PulseCapture {
  /// Connects and opens the stream; throws at once, with libpulse's reason, when there is no server or no
  /// such source.
  #[napi(constructor)]
  pub fn new(o: PulseOptions) -> Result<Self> {
    let spec = spec_of(&o)?;
    let opts = CaptureOptions {
      server: o.server,
      device: o.device,
      client_name: o.client_name.unwrap_or_else(|| "glass2glass".into()),
      stream_name: o.stream_name.unwrap_or_else(|| "pulseSrc".into()),
      spec,
      block_frames: o.block_frames.unwrap_or(1024),
      latency_time_us: o.latency_time.unwrap_or(10_000) as u64,
      queue: o.queue.unwrap_or(32).max(1) as usize,
    };
    if opts.block_frames == 0 {
      return Err(NativeError::invalid("blockFrames must be at least 1").into());
    }
    Ok(Self { inner: guarded("pulse open", || Capture::open(opts))? })
  }

  /// The next block (null after close, or after `timeoutMs`, default 5000); rejects once the stream failed.
  #[napi(ts_return_type = "Promise<PulseChunk | null>")]
  pub fn read(&self, timeout_ms: Option<u32>) -> AsyncTask<CaptureReadTask> {
    AsyncTask::new(CaptureReadTask { waiter: self.inner.waiter(), timeout: Duration::from_millis(timeout_ms.unwrap_or(5000) as u64) })
  }

  /// Blocks read, blocks dropped (queue full), source latency µs.
  #[napi]
  pub fn stats(&self) -> Vec<i64> {
    let (r, d, l) = self.inner.stats();
    vec![r as i64, d as i64, l as i64]
  }

  #[napi]
  pub fn clock_now(&self) -> i64 {
    pulse::monotonic_ns()
  }

  #[napi]
  pub fn close(&mut self) {
    self.inner.close();
  }
}
