//! The napi binding: argument conversion, worker-thread tasks and error mapping only. The logic lives in
//! the pure-Rust modules (decoder, encoder, backend) so examples and unit tests use it without Node.
#![deny(clippy::all)]

pub mod backend;
pub mod decoder;
pub mod encoder;
pub mod ffi;

/// The JS-facing items; off for Rust-only users of the core (examples, tests) so that they link without Node.
#[cfg(feature = "node")]
mod js {
  use crate::{backend, decoder, encoder, ffi};

  use napi::bindgen_prelude::*;
  use napi_derive::napi;
  use std::panic::{catch_unwind, AssertUnwindSafe};
  use std::sync::{Arc, Mutex};

  /// Runs native work, turning a Rust panic into a JS error instead of aborting the process.
  fn guarded<T>(what: &str, f: impl FnOnce() -> std::result::Result<T, String>) -> Result<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
      Ok(Ok(v)) => Ok(v),
      Ok(Err(e)) => Err(Error::new(Status::GenericFailure, e)),
      Err(p) => {
        let msg = p.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| p.downcast_ref::<String>().cloned()).unwrap_or_else(|| "unknown".into());
        Err(Error::new(Status::GenericFailure, format!("native panic in {what}: {msg}")))
      }
    }
  }

  fn invalid(e: String) -> Error {
    Error::new(Status::InvalidArg, e)
  }

  // ------------------------------------------------------------------ backends

  #[napi(object)]
  pub struct BackendStatus {
    /// software, nvdec, cuvid or vaapi.
    pub name: String,
    pub available: bool,
    /// Why it is not available.
    pub reason: Option<String>,
  }

  /// Probes every decoder backend (cached per process).
  #[napi]
  pub fn probe_backends() -> Vec<BackendStatus> {
    backend::Backend::ALL
      .iter()
      .map(|b| {
        let r = backend::available(*b);
        BackendStatus { name: b.name().into(), available: r.is_ok(), reason: r.err() }
      })
      .collect()
  }

  /// FFmpeg's version string.
  #[napi]
  pub fn ffmpeg_version() -> String {
    backend::ffmpeg_version()
  }

  /// Whether this libavcodec has an encoder of this name (libx264, libopenh264, h264_nvenc).
  #[napi]
  pub fn has_encoder(name: String) -> bool {
    let Ok(c) = std::ffi::CString::new(name) else { return false };
    unsafe { ffi::g2g_has_encoder(c.as_ptr()) != 0 }
  }

  // ------------------------------------------------------------------ decoder

  #[napi(object)]
  pub struct DecoderOptions {
    /// software | nvdec | cuvid | vaapi; unset or 'auto': the best available.
    pub backend: Option<String>,
    /// 'I420' (default) or 'NV12'.
    pub format: Option<String>,
    /// Decoder threads; 0 or unset: one per core.
    pub threads: Option<i32>,
    /// Low-delay mode (slice threads, a frame out as soon as it is decodable).
    pub live: Option<bool>,
    /// avcC record for stream-format=avc input.
    pub extradata: Option<Uint8Array>,
    /// Device (CUDA index, DRM render node) for hardware backends.
    pub device: Option<String>,
  }

  #[napi(object)]
  pub struct DecodedFrame {
    /// Tightly packed planes in the decoder's output format.
    pub data: Buffer,
    pub width: u32,
    pub height: u32,
    /// The pts (ns) of the access unit this frame came from, after reordering.
    pub pts: Option<i64>,
    pub key: bool,
    /// Concealed errors: the frame is damaged.
    pub corrupt: bool,
  }

  #[napi(object)]
  pub struct DecodeResult {
    pub frames: Vec<DecodedFrame>,
    /// Set when libavcodec refused the access unit (damaged data); decoding goes on.
    pub rejected: Option<String>,
  }

  type Shared<T> = Arc<Mutex<Option<T>>>;

  fn with<T, R>(shared: &Shared<T>, f: impl FnOnce(&mut T) -> std::result::Result<R, String>) -> std::result::Result<R, String> {
    let mut g = shared.lock().map_err(|_| "native object poisoned by an earlier panic".to_string())?;
    match g.as_mut() {
      Some(v) => f(v),
      None => Err("used after close()".into()),
    }
  }

  fn to_js_frames(frames: Vec<decoder::Frame>) -> Vec<DecodedFrame> {
    frames
      .into_iter()
      .map(|f| DecodedFrame { data: f.data.into(), width: f.width, height: f.height, pts: f.pts, key: f.key, corrupt: f.corrupt })
      .collect()
  }

  pub struct DecodeTask {
    decoder: Shared<decoder::Decoder>,
    /// None: end of stream (drain).
    input: Option<(Uint8Array, Option<i64>, Option<i64>, bool)>,
  }

  impl Task for DecodeTask {
    type Output = decoder::Output;
    type JsValue = DecodeResult;

    fn compute(&mut self) -> Result<Self::Output> {
      let input = &self.input;
      guarded("decode", || {
        with(&self.decoder, |d| match input {
          Some((data, pts, dts, key)) => d.decode(data, *pts, *dts, *key),
          None => d.finish(),
        })
      })
    }

    fn resolve(&mut self, _env: Env, out: Self::Output) -> Result<Self::JsValue> {
      Ok(DecodeResult { frames: to_js_frames(out.frames), rejected: out.rejected })
    }
  }

  /// An H.264 decoder; decode() and finish() run on the libuv thread pool, one at a time.
  #[napi]
  pub struct NativeDecoder {
    inner: Shared<decoder::Decoder>,
    backend: String,
    format: String,
    skipped: Vec<String>,
  }

  #[napi]
  impl NativeDecoder {
    #[napi(constructor)]
    pub fn new(options: DecoderOptions) -> Result<Self> {
      let backend = match options.backend.as_deref() {
        None | Some("auto") => None,
        Some(s) => Some(backend::Backend::parse(s).map_err(invalid)?),
      };
      let format = decoder::OutFormat::parse(options.format.as_deref().unwrap_or("I420")).map_err(invalid)?;
      let threads = options.threads.unwrap_or(0);
      if !(0..=64).contains(&threads) {
        return Err(invalid(format!("threads must be in [0, 64], got {threads}")));
      }
      let cfg = decoder::DecoderConfig {
        backend,
        format,
        threads,
        live: options.live.unwrap_or(false),
        extradata: options.extradata.map(|e| e.to_vec()),
        device: options.device,
      };
      let d = guarded("open", || decoder::Decoder::open(&cfg))?;
      Ok(Self { backend: d.backend().name().into(), format: format.name().into(), skipped: d.skipped.clone(), inner: Arc::new(Mutex::new(Some(d))) })
    }

    /// The backend in use.
    #[napi(getter)]
    pub fn backend(&self) -> String {
      self.backend.clone()
    }

    #[napi(getter)]
    pub fn format(&self) -> String {
      self.format.clone()
    }

    /// Better backends passed over when choosing automatically, each with its reason.
    #[napi(getter)]
    pub fn skipped(&self) -> Vec<String> {
      self.skipped.clone()
    }

    /// Decodes one access unit (Annex B, or length-prefixed with avcC extradata) off the JS thread.
    /// `pts`/`dts` in ns come back on the frames they belong to, in presentation order.
    #[napi(ts_return_type = "Promise<DecodeResult>")]
    pub fn decode(&self, data: Uint8Array, pts: Option<i64>, dts: Option<i64>, key: bool, signal: Option<AbortSignal>) -> AsyncTask<DecodeTask> {
      AsyncTask::with_optional_signal(DecodeTask { decoder: self.inner.clone(), input: Some((data, pts, dts, key)) }, signal)
    }

    /// End of stream: the frames still held for reordering; the decoder can then take a new stream.
    #[napi(ts_return_type = "Promise<DecodeResult>")]
    pub fn finish(&self, signal: Option<AbortSignal>) -> AsyncTask<DecodeTask> {
      AsyncTask::with_optional_signal(DecodeTask { decoder: self.inner.clone(), input: None }, signal)
    }

    /// Drops reference frames and queued output (after a discontinuity).
    #[napi]
    pub fn reset(&self) -> Result<()> {
      guarded("reset", || with(&self.inner, |d| Ok(d.reset())))
    }

    /// Frees the decoder now (a task in flight finishes first); later calls fail. Idempotent.
    #[napi]
    pub fn close(&self) {
      if let Ok(mut g) = self.inner.lock() {
        g.take();
      }
    }

    #[napi(getter)]
    pub fn closed(&self) -> bool {
      self.inner.lock().map(|g| g.is_none()).unwrap_or(true)
    }
  }

  // ------------------------------------------------------------------ encoder

  #[napi(object)]
  pub struct EncoderOptions {
    /// libavcodec encoder name (default libx264).
    pub codec: Option<String>,
    pub width: u32,
    pub height: u32,
    /// Input layout: 'I420' or 'NV12'.
    pub format: String,
    pub fps_num: i32,
    pub fps_den: i32,
    /// Target bits per second (ABR); exclusive with crf.
    pub bitrate: Option<i64>,
    /// Constant rate factor (default: the encoder's, 23 for x264).
    pub crf: Option<f64>,
    /// Keyframe interval in frames.
    pub gop: Option<i32>,
    pub bframes: Option<i32>,
    pub threads: Option<i32>,
    pub preset: Option<String>,
    pub tune: Option<String>,
    pub profile: Option<String>,
    /// Extra x264-params, key=value:key=value.
    pub params: Option<String>,
  }

  #[napi(object)]
  pub struct EncodedPacket {
    /// One access unit, Annex B.
    pub data: Buffer,
    pub pts: Option<i64>,
    pub dts: Option<i64>,
    pub key: bool,
  }

  pub struct EncodeTask {
    encoder: Shared<encoder::Encoder>,
    input: Option<(Uint8Array, Option<i64>, bool)>,
  }

  impl Task for EncodeTask {
    type Output = Vec<encoder::Packet>;
    type JsValue = Vec<EncodedPacket>;

    fn compute(&mut self) -> Result<Self::Output> {
      let input = &self.input;
      guarded("encode", || {
        with(&self.encoder, |e| match input {
          Some((data, pts, key)) => e.encode(data, *pts, *key),
          None => e.finish(),
        })
      })
    }

    fn resolve(&mut self, _env: Env, out: Self::Output) -> Result<Self::JsValue> {
      Ok(out.into_iter().map(|p| EncodedPacket { data: p.data.into(), pts: p.pts, dts: p.dts, key: p.key }).collect())
    }
  }

  /// An H.264 encoder (libx264 through libavcodec); encode() and finish() run on the libuv thread pool.
  #[napi]
  pub struct NativeEncoder {
    inner: Shared<encoder::Encoder>,
  }

  #[napi]
  impl NativeEncoder {
    #[napi(constructor)]
    pub fn new(o: EncoderOptions) -> Result<Self> {
      if o.bitrate.is_some() && o.crf.is_some() {
        return Err(invalid("bitrate and crf are exclusive".into()));
      }
      let cfg = encoder::EncoderConfig {
        codec: o.codec.unwrap_or_else(|| "libx264".into()),
        width: o.width,
        height: o.height,
        format: decoder::OutFormat::parse(&o.format).map_err(invalid)?,
        fps_num: o.fps_num,
        fps_den: o.fps_den,
        bitrate: o.bitrate,
        crf: o.crf,
        gop: o.gop,
        bframes: o.bframes,
        threads: o.threads.unwrap_or(0),
        preset: o.preset,
        tune: o.tune,
        profile: o.profile,
        params: o.params,
      };
      let e = guarded("open", || encoder::Encoder::open(&cfg))?;
      Ok(Self { inner: Arc::new(Mutex::new(Some(e))) })
    }

    /// Encodes one raw frame (read in place, not copied); resolves to the access units now ready.
    #[napi(ts_return_type = "Promise<EncodedPacket[]>")]
    pub fn encode(&self, data: Uint8Array, pts: Option<i64>, force_key: bool, signal: Option<AbortSignal>) -> AsyncTask<EncodeTask> {
      AsyncTask::with_optional_signal(EncodeTask { encoder: self.inner.clone(), input: Some((data, pts, force_key)) }, signal)
    }

    /// End of stream: the access units still in the encoder.
    #[napi(ts_return_type = "Promise<EncodedPacket[]>")]
    pub fn finish(&self, signal: Option<AbortSignal>) -> AsyncTask<EncodeTask> {
      AsyncTask::with_optional_signal(EncodeTask { encoder: self.inner.clone(), input: None }, signal)
    }

    #[napi]
    pub fn close(&self) {
      if let Ok(mut g) = self.inner.lock() {
        g.take();
      }
    }
  }
}
