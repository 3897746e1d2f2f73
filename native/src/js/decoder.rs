//! `NativeDecoder`: options in, the core's decoder on its worker thread, results out as promises.
use super::frames::{to_js, BlockViews, DecodeResult, LeaseState, Leases};
use super::guarded;
use crate::backend::Backend;
use crate::decoder::{Decoder, DecoderConfig, OutFormat};
use crate::error::NativeError;
use crate::pool::FramePool;
use crate::sched;
use crate::worker::{Done, Job, Worker};

use napi::bindgen_prelude::*;
use napi_derive::napi;
use std::sync::Arc;

#[napi(object)]
pub struct DecoderOptions {
  /// software | nvdec | cuvid | vaapi; unset or 'auto': the best available.
  pub backend: Option<String>,
  /// 'I420' (default) or 'NV12'.
  pub format: Option<String>,
  /// Decoder threads; 0 or unset: one per core. With `pooled`, 0 or 1 (the codec runs single-threaded).
  pub threads: Option<i32>,
  /// Decode on the addon's shared decoder pool (a strand of it: units still decode in call order) instead
  /// of a thread of its own; the codec is then single-threaded, the pool's threads (one per core, or
  /// G2G_DECODE_THREADS, or `setDecodePoolThreads`) serving every pooled decoder of the process in turn.
  pub pooled: Option<bool>,
  /// Low-delay mode (a frame out as soon as it is decodable; slice threads unless `pooled`).
  pub live: Option<bool>,
  /// avcC record for stream-format=avc input.
  pub extradata: Option<Uint8Array>,
  /// Device (CUDA index, DRM render node) for hardware backends.
  pub device: Option<String>,
  /// Hand frames on in libavcodec's own buffer (planes at `offsets`/`strides`, no copy) whenever the
  /// decoded layout is the output format; otherwise, and by default, frames are tightly packed.
  pub strided: Option<bool>,
  /// With `strided`: software-decoded frames and NVDEC's NV12 downloads come as views of the decoder's
  /// blocks, each with a `lease` that the consumer gives back with `release(lease)` as soon as it is done
  /// with the frame: the codec reuses the buffer then, not when the garbage collector finds a Buffer. A
  /// view stays valid memory after release but may then hold a newer picture: release only what nothing
  /// will read again. Leases never released go back at close().
  pub leases: Option<bool>,
}

#[napi(object)]
pub struct FramePoolStats {
  /// Frame buffers allocated because none was free.
  pub allocated: f64,
  /// Frame buffers reused after JS let go of them.
  pub reused: f64,
  /// Frame buffers out (in JS, or queued) and not yet given back.
  pub outstanding: f64,
  /// Frame buffers waiting for reuse.
  pub free: f64,
  /// Buffers libavcodec's frame pool allocated (every decoded picture lives in one; frames handed on
  /// unpacked are these).
  pub codec_allocated: f64,
  /// Pictures libavcodec's frame pool handed out (allocated + reused).
  pub codec_gets: f64,
  /// Frames handed on in libavcodec's buffers and not yet released by JS.
  pub shared_outstanding: f64,
}

type Resolver = Box<dyn FnOnce(Env) -> Result<DecodeResult> + Send>;

/// A decoder collected without close(): what close() would have let go of.
impl ObjectFinalize for NativeDecoder {
  fn finalize(mut self, env: Env) -> Result<()> {
    self.worker.close();
    self.let_go(&env);
    Ok(())
  }
}

/// An H.264 decoder on its own thread or on the shared decoder pool. decode() queues an access unit and returns at once; units are
/// decoded strictly in call order, so a caller keeps several in flight to keep the codec busy.
#[napi(custom_finalize)]
pub struct NativeDecoder {
  worker: Worker,
  pool: Arc<FramePool>,
  backend: String,
  format: String,
  skipped: Vec<String>,
  hw_device: Option<String>,
  /// With `leases`: the frames out under one, and their blocks' ArrayBuffers.
  leases: Option<LeaseState>,
}

impl NativeDecoder {
  fn queue<'env>(&self, env: &'env Env, job: Job) -> Result<Object<'env>> {
    let (deferred, promise) = env.create_deferred::<DecodeResult, Resolver>()?;
    let pool = self.pool.clone();
    let leases = self.leases.clone();
    // Runs on the worker thread; the frames become JS values in the resolver, on the JS thread.
    let done: Done = Box::new(move |r| match r {
      Ok(out) => deferred.resolve(Box::new(move |_env| Ok(to_js(out, &pool, leases.as_ref())))),
      Err(e) => deferred.reject(e.into()),
    });
    if let Err(Some(done)) = self.worker.submit(job, Some(done)) {
      done(Err(NativeError::Closed));
    }
    Ok(promise)
  }
}

#[napi]
impl NativeDecoder {
  #[napi(constructor)]
  pub fn new(options: DecoderOptions) -> Result<Self> {
    let backend = match options.backend.as_deref() {
      None | Some("auto") => None,
      Some(s) => Some(Backend::parse(s)?),
    };
    let format = OutFormat::parse(options.format.as_deref().unwrap_or("I420"))?;
    let threads = options.threads.unwrap_or(0);
    if !(0..=64).contains(&threads) {
      return Err(NativeError::invalid(format!("threads must be in [0, 64], got {threads}")).into());
    }
    let pooled = options.pooled.unwrap_or(false);
    if pooled && threads > 1 {
      return Err(NativeError::invalid(format!("threads must be 0 or 1 for a pooled decoder (the pool's threads decode), got {threads}")).into());
    }
    let cfg = DecoderConfig {
      backend,
      format,
      // A pooled decoder's parallelism is the pool's: libavcodec threads of its own would be N per stream.
      threads: if pooled { 1 } else { threads },
      live: options.live.unwrap_or(false),
      extradata: options.extradata.map(|e| e.to_vec()),
      device: options.device,
      strided: options.strided.unwrap_or(false),
    };
    let d = guarded("open", || Decoder::open(&cfg))?;
    let (backend, skipped, pool) = (d.backend().name().to_string(), d.skipped.clone(), d.pool());
    let hw_device = d.hw_device().map(str::to_owned);
    let leases = (cfg.strided && options.leases.unwrap_or(false)).then(|| (Arc::new(Leases::default()), Arc::new(BlockViews::default())));
    // Throughput decoding packs frames on a thread of their own, off the codec's critical path; none
    // is needed when software I420 frames leave unpacked (libavcodec decodes H.264 to yuv420p).
    let unpacked = cfg.strided && format == OutFormat::I420 && d.backend() == Backend::Software;
    let worker = if pooled { Worker::pooled(d, sched::decode_pool())? } else { Worker::spawn(d, !cfg.live && !unpacked)? };
    Ok(Self { worker, pool, backend, format: format.name().into(), skipped, hw_device, leases })
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

  /// A hardware decoder's device context: which of the process's shared ones, and which CUDA stream
  /// (e.g. "shared device context 3 of 8, a CUDA stream of its own (flags 1)"); null for software.
  #[napi(getter)]
  pub fn hw_device(&self) -> Option<String> {
    self.hw_device.clone()
  }

  /// Better backends passed over when choosing automatically, each with its reason.
  #[napi(getter)]
  pub fn skipped(&self) -> Vec<String> {
    self.skipped.clone()
  }

  /// Queues one access unit (Annex B, or length-prefixed with avcC extradata; copied, so the caller
  /// may reuse its bytes) for the decoder thread. Resolves to the frames it made ready, after every
  /// earlier call's. `pts`/`dts` in ns come back on the frames they belong to, in presentation order.
  #[napi(ts_return_type = "Promise<DecodeResult>")]
  pub fn decode<'env>(&self, env: &'env Env, data: Uint8Array, pts: Option<i64>, dts: Option<i64>, key: bool) -> Result<Object<'env>> {
    self.queue(env, Job::Decode { data: data.to_vec(), pts, dts, key })
  }

  /// End of stream: the frames still held for reordering; the decoder can then take a new stream.
  #[napi(ts_return_type = "Promise<DecodeResult>")]
  pub fn finish<'env>(&self, env: &'env Env) -> Result<Object<'env>> {
    self.queue(env, Job::Finish)
  }

  /// Drops reference frames and queued output (after a discontinuity), after the units queued so far.
  #[napi]
  pub fn reset(&self) -> Result<()> {
    self.worker.submit(Job::Reset, None).map_err(|_| NativeError::Closed.into())
  }

  /// Frees the decoder now: units still queued fail, the one being decoded finishes first (this waits
  /// for it). Later calls fail. Idempotent.
  #[napi]
  pub fn close(&mut self, env: Env) {
    self.worker.close();
    self.let_go(&env);
  }

  /// Frames still out keep their blocks (memory-safe); their buffers need not wait for the codec.
  fn let_go(&self, env: &Env) {
    if let Some((leases, views)) = &self.leases {
      leases.clear();
      views.clear(env.raw());
    }
  }

  /// Gives a leased frame's buffer back to the codec (see `DecoderOptions.leases`). Releasing an
  /// unknown or already released lease does nothing.
  #[napi]
  pub fn release(&self, lease: u32) {
    if let Some((leases, _)) = &self.leases {
      leases.release(lease);
    }
  }

  /// Whether it decodes on the shared decoder pool.
  #[napi(getter)]
  pub fn pooled(&self) -> bool {
    self.worker.is_pooled()
  }

  #[napi(getter)]
  pub fn closed(&self) -> bool {
    self.worker.is_closed()
  }

  /// The frame buffer pool's counters (buffers come back on `release(lease)` or when JS garbage-collects
  /// the frames).
  #[napi]
  pub fn pool_stats(&self) -> FramePoolStats {
    let (s, c) = (self.pool.stats(), self.pool.shared_stats());
    FramePoolStats {
      allocated: s.allocated as f64,
      reused: s.reused as f64,
      outstanding: s.outstanding as f64,
      free: s.free as f64,
      codec_allocated: c.codec_allocated as f64,
      codec_gets: c.codec_gets as f64,
      shared_outstanding: c.outstanding as f64,
    }
  }
}
