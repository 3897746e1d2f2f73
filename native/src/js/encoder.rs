//! `NativeEncoder`: options in, the core's encoder behind a mutex, encode()/finish() as libuv pool tasks.
use super::guarded;
use crate::decoder::OutFormat;
use crate::encoder::{Encoder, EncoderConfig, Packet};
use crate::error::NativeError;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use std::sync::{Arc, Mutex};

/// Shared with the tasks in flight; None once closed.
type Shared<T> = Arc<Mutex<Option<T>>>;

fn with<T, R>(shared: &Shared<T>, f: impl FnOnce(&mut T) -> crate::error::Result<R>) -> crate::error::Result<R> {
  let mut g = shared.lock().map_err(|_| NativeError::Poisoned { what: "object" })?;
  match g.as_mut() {
    Some(v) => f(v),
    None => Err(NativeError::Closed),
  }
}

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

/// One frame (data, pts, force_key, plane offsets and strides) to encode.
type Input = (Uint8Array, Option<i64>, bool, Option<Vec<(usize, usize)>>);

pub struct EncodeTask {
  encoder: Shared<Encoder>,
  /// None: finish.
  input: Option<Input>,
}

impl Task for EncodeTask {
  type Output = Vec<Packet>;
  type JsValue = Vec<EncodedPacket>;

  fn compute(&mut self) -> Result<Self::Output> {
    let input = &self.input;
    guarded("encode", || {
      with(&self.encoder, |e| match input {
        Some((data, pts, key, planes)) => e.encode(data, *pts, *key, planes.as_deref()),
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
  inner: Shared<Encoder>,
}

#[napi]
impl NativeEncoder {
  #[napi(constructor)]
  pub fn new(o: EncoderOptions) -> Result<Self> {
    if o.bitrate.is_some() && o.crf.is_some() {
      return Err(NativeError::invalid("bitrate and crf are exclusive").into());
    }
    let cfg = EncoderConfig {
      codec: o.codec.unwrap_or_else(|| "libx264".into()),
      width: o.width,
      height: o.height,
      format: OutFormat::parse(&o.format)?,
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
    let e = guarded("open", || Encoder::open(&cfg))?;
    Ok(Self { inner: Arc::new(Mutex::new(Some(e))) })
  }

  /// Encodes one raw frame (read in place, not copied); resolves to the access units now ready.
  /// Tightly packed planes, or with `offsets`/`strides`, plane k at offsets[k], rows strides[k] apart
  /// (a decoder's padded frame as it is).
  #[napi(ts_return_type = "Promise<EncodedPacket[]>")]
  pub fn encode(
    &self,
    data: Uint8Array,
    pts: Option<i64>,
    force_key: bool,
    signal: Option<AbortSignal>,
    offsets: Option<Vec<u32>>,
    strides: Option<Vec<u32>>,
  ) -> Result<AsyncTask<EncodeTask>> {
    let planes = match (offsets, strides) {
      (None, None) => None,
      (Some(o), Some(s)) if o.len() == s.len() => Some(o.into_iter().zip(s).map(|(o, s)| (o as usize, s as usize)).collect()),
      // "together" is matched by test/native/encode.test.ts.
      _ => return Err(NativeError::invalid("offsets and strides go together, one of each per plane").into()),
    };
    Ok(AsyncTask::with_optional_signal(EncodeTask { encoder: self.inner.clone(), input: Some((data, pts, force_key, planes)) }, signal))
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
