//! `NativeAudioDecoder` / `NativeAudioEncoder`: the core's audio codecs behind a mutex, every decode/encode
//! a libuv pool task (never on the JS thread). The input bytes are read in place by the task (the JS view
//! is held by it until it resolves); outputs are moved into Buffers, no copy.
use super::guarded;
use crate::audio::{AudioDecoder, AudioEncoder, AudioOutput, AudioPacket, SampleFormat};
use crate::error::NativeError;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use std::sync::{Arc, Mutex};

type Shared<T> = Arc<Mutex<Option<T>>>;

fn with<T, R>(shared: &Shared<T>, f: impl FnOnce(&mut T) -> crate::error::Result<R>) -> crate::error::Result<R> {
  let mut g = shared.lock().map_err(|_| NativeError::Poisoned { what: "object" })?;
  match g.as_mut() {
    Some(v) => f(v),
    None => Err(NativeError::Closed),
  }
}

#[napi(object)]
pub struct AudioDecoderOptions {
  /// libavcodec decoder: aac, opus, libopus.
  pub codec: String,
  /// AudioSpecificConfig (raw AAC) or OpusHead.
  pub extradata: Option<Uint8Array>,
  /// 0 or absent: from the extradata or the stream.
  pub rate: Option<u32>,
  pub channels: Option<u32>,
  /// Output: 'S16LE' or 'F32LE', interleaved.
  pub format: String,
}

#[napi(object)]
pub struct DecodedAudioBlock {
  /// Interleaved samples in the decoder's output format.
  pub data: Buffer,
  pub samples: u32,
  pub rate: u32,
  pub channels: u32,
}

#[napi(object)]
pub struct AudioDecodeResult {
  pub blocks: Vec<DecodedAudioBlock>,
  /// libavcodec's reason when it refused the packet (it is lost; decoding goes on).
  pub rejected: Option<String>,
}

fn to_js(out: AudioOutput) -> AudioDecodeResult {
  AudioDecodeResult {
    blocks: out.frames.into_iter().map(|f| DecodedAudioBlock { data: f.data.into(), samples: f.samples, rate: f.rate, channels: f.channels }).collect(),
    rejected: out.rejected,
  }
}

pub struct AudioDecodeTask {
  dec: Shared<AudioDecoder>,
  /// None: finish.
  input: Option<Uint8Array>,
}

impl Task for AudioDecodeTask {
  type Output = AudioOutput;
  type JsValue = AudioDecodeResult;

  fn compute(&mut self) -> Result<Self::Output> {
    let input = &self.input;
    guarded("audio decode", || {
      with(&self.dec, |d| match input {
        Some(data) => d.decode(data),
        None => d.finish(),
      })
    })
  }

  fn resolve(&mut self, _env: Env, out: Self::Output) -> Result<Self::JsValue> {
    Ok(to_js(out))
  }
}

/// Several packets in one pool task: one thread hop for all (an AAC frame decodes in ~20 µs, less than
/// the hop), results one per packet, in order.
pub struct AudioDecodeBatchTask {
  dec: Shared<AudioDecoder>,
  input: Vec<Uint8Array>,
}

impl Task for AudioDecodeBatchTask {
  type Output = Vec<AudioOutput>;
  type JsValue = Vec<AudioDecodeResult>;

  fn compute(&mut self) -> Result<Self::Output> {
    let input = &self.input;
    guarded("audio decode", || with(&self.dec, |d| input.iter().map(|p| d.decode(p)).collect()))
  }

  fn resolve(&mut self, _env: Env, out: Self::Output) -> Result<Self::JsValue> {
    Ok(out.into_iter().map(to_js).collect())
  }
}

/// An audio decoder (AAC, Opus) through libavcodec; decode() and finish() run on the libuv thread pool.
#[napi]
pub struct NativeAudioDecoder {
  inner: Shared<AudioDecoder>,
}

#[napi]
impl NativeAudioDecoder {
  #[napi(constructor)]
  pub fn new(o: AudioDecoderOptions) -> Result<Self> {
    let format = SampleFormat::parse(&o.format)?;
    let extra = o.extradata.as_ref().map(|e| e.to_vec());
    let d = guarded("open", || AudioDecoder::open(&o.codec, extra.as_deref(), o.rate.unwrap_or(0), o.channels.unwrap_or(0), format))?;
    Ok(Self { inner: Arc::new(Mutex::new(Some(d))) })
  }

  /// Decodes one packet (read in place); resolves to the samples now ready.
  #[napi(ts_return_type = "Promise<AudioDecodeResult>")]
  pub fn decode(&self, data: Uint8Array, signal: Option<AbortSignal>) -> AsyncTask<AudioDecodeTask> {
    AsyncTask::with_optional_signal(AudioDecodeTask { dec: self.inner.clone(), input: Some(data) }, signal)
  }

  /// Decodes several packets in one task; resolves to one result per packet, in order.
  #[napi(ts_return_type = "Promise<AudioDecodeResult[]>")]
  pub fn decode_batch(&self, packets: Vec<Uint8Array>, signal: Option<AbortSignal>) -> AsyncTask<AudioDecodeBatchTask> {
    AsyncTask::with_optional_signal(AudioDecodeBatchTask { dec: self.inner.clone(), input: packets }, signal)
  }

  /// End of stream: what the decoder still holds.
  #[napi(ts_return_type = "Promise<AudioDecodeResult>")]
  pub fn finish(&self, signal: Option<AbortSignal>) -> AsyncTask<AudioDecodeTask> {
    AsyncTask::with_optional_signal(AudioDecodeTask { dec: self.inner.clone(), input: None }, signal)
  }

  #[napi]
  pub fn close(&self) {
    if let Ok(mut g) = self.inner.lock() {
      g.take();
    }
  }
}

#[napi(object)]
pub struct AudioEncoderOptions {
  /// libavcodec encoder: aac, libopus.
  pub codec: String,
  pub rate: u32,
  pub channels: u32,
  /// Input: 'S16LE' or 'F32LE', interleaved.
  pub format: String,
  /// Bits per second (absent: the encoder's default).
  pub bitrate: Option<i64>,
}

#[napi(object)]
pub struct EncodedAudioPacket {
  pub data: Buffer,
  /// In samples since the first input sample; negative for the encoder's priming.
  pub pts: i64,
  /// In samples.
  pub duration: i64,
}

pub struct AudioEncodeTask {
  enc: Shared<AudioEncoder>,
  /// Blocks of samples, in order; None: finish.
  input: Option<Vec<Uint8Array>>,
}

impl Task for AudioEncodeTask {
  type Output = Vec<AudioPacket>;
  type JsValue = Vec<EncodedAudioPacket>;

  fn compute(&mut self) -> Result<Self::Output> {
    let input = &self.input;
    guarded("audio encode", || {
      with(&self.enc, |e| match input {
        Some(blocks) => {
          let mut out = Vec::new();
          for b in blocks {
            out.extend(e.encode(b)?);
          }
          Ok(out)
        }
        None => e.finish(),
      })
    })
  }

  fn resolve(&mut self, _env: Env, out: Self::Output) -> Result<Self::JsValue> {
    Ok(out.into_iter().map(|p| EncodedAudioPacket { data: p.data.into(), pts: p.pts, duration: p.duration }).collect())
  }
}

/// An audio encoder (AAC, Opus) through libavcodec; encode() and finish() run on the libuv thread pool.
#[napi]
pub struct NativeAudioEncoder {
  inner: Shared<AudioEncoder>,
  frame_size: u32,
  delay: u32,
  extradata: Vec<u8>,
}

#[napi]
impl NativeAudioEncoder {
  #[napi(constructor)]
  pub fn new(o: AudioEncoderOptions) -> Result<Self> {
    let format = SampleFormat::parse(&o.format)?;
    let e = guarded("open", || AudioEncoder::open(&o.codec, o.rate, o.channels, o.bitrate, format))?;
    let (frame_size, delay, extradata) = (e.frame_size as u32, e.delay, e.extradata.clone());
    Ok(Self { inner: Arc::new(Mutex::new(Some(e))), frame_size, delay, extradata })
  }

  /// Samples per packet.
  #[napi(getter)]
  pub fn frame_size(&self) -> u32 {
    self.frame_size
  }

  /// Priming samples before the first input sample (libavcodec's initial_padding).
  #[napi(getter)]
  pub fn delay(&self) -> u32 {
    self.delay
  }

  /// The codec's global header: AudioSpecificConfig (aac), OpusHead (libopus).
  #[napi(getter)]
  pub fn extradata(&self) -> Buffer {
    self.extradata.clone().into()
  }

  /// Takes interleaved samples (any count, read in place); resolves to the packets now ready.
  #[napi(ts_return_type = "Promise<EncodedAudioPacket[]>")]
  pub fn encode(&self, data: Uint8Array, signal: Option<AbortSignal>) -> AsyncTask<AudioEncodeTask> {
    AsyncTask::with_optional_signal(AudioEncodeTask { enc: self.inner.clone(), input: Some(vec![data]) }, signal)
  }

  /// `encode` of several blocks in one task (one thread hop).
  #[napi(ts_return_type = "Promise<EncodedAudioPacket[]>")]
  pub fn encode_batch(&self, blocks: Vec<Uint8Array>, signal: Option<AbortSignal>) -> AsyncTask<AudioEncodeTask> {
    AsyncTask::with_optional_signal(AudioEncodeTask { enc: self.inner.clone(), input: Some(blocks) }, signal)
  }

  #[napi(ts_return_type = "Promise<EncodedAudioPacket[]>")]
  pub fn finish(&self, signal: Option<AbortSignal>) -> AsyncTask<AudioEncodeTask> {
    AsyncTask::with_optional_signal(AudioEncodeTask { enc: self.inner.clone(), input: None }, signal)
  }

  #[napi]
  pub fn close(&self) {
    if let Ok(mut g) = self.inner.lock() {
      g.take();
    }
  }
}
