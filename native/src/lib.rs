//! The napi binding: argument conversion, worker-thread tasks and error mapping only. The logic lives in
//! the pure-Rust modules (decoder, encoder, backend) so examples and unit tests use it without Node.
#![deny(clippy::all)]

pub mod backend;
pub mod decoder;
pub mod encoder;
pub mod ffi;
pub mod pool;
pub mod worker;

/// The JS-facing items; off for Rust-only users of the core (examples, tests) so that they link without Node.
#[cfg(feature = "node")]
mod js {
  use crate::pool::FramePool;
  use crate::{backend, decoder, encoder, ffi, worker};

  use napi::bindgen_prelude::*;
  use napi::{check_status, sys};
  use napi_derive::napi;
  use std::ffi::c_void;
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
    /// Hand frames on in libavcodec's own buffer (planes at `offsets`/`strides`, no copy) whenever the
    /// decoded layout is the output format; otherwise, and by default, frames are tightly packed.
    pub strided: Option<bool>,
    /// With `strided`: software-decoded frames come as views of the decoder's blocks, each with a `lease`
    /// that the consumer gives back with `release(lease)` as soon as it is done with the frame: the codec
    /// reuses the buffer then, not when the garbage collector finds a Buffer. A view stays valid memory
    /// after release but may then hold a newer picture: release only what nothing will read again. Leases
    /// never released go back at close().
    pub leases: Option<bool>,
  }

  /// A frame's bytes on their way to JS: handed over as an external Buffer (no copy) whose finalizer
  /// gives packed bytes back to the decoder's pool, or releases libavcodec's buffer, when JS lets go; or,
  /// leased, as a view of its block's ArrayBuffer.
  pub struct PooledBuffer {
    data: Bytes,
    pool: Arc<FramePool>,
  }

  enum Bytes {
    Frame(decoder::FrameData),
    /// A frame in one of the decoder's blocks under a lease (`NativeDecoder::release`).
    Leased(Leased),
  }

  /// A leased frame on its way to JS: a Uint8Array over its block's ArrayBuffer. The lease itself waits
  /// in `Leases` for `release(id)`.
  struct Leased {
    ptr: *const u8,
    len: usize,
    block: decoder::Block,
    views: Arc<BlockViews>,
  }

  impl Bytes {
    fn bytes(&self) -> &[u8] {
      match self {
        Self::Frame(f) => f.bytes(),
        Self::Leased(l) => unsafe { std::slice::from_raw_parts(l.ptr, l.len) },
      }
    }
  }

  impl PooledBuffer {
    fn release(self) {
      match self.data {
        Bytes::Frame(decoder::FrameData::Packed(v)) => self.pool.give(v),
        // Dropping the reference returns the buffer to the codec's pool once the codec is done with it.
        Bytes::Frame(decoder::FrameData::Shared(b)) => drop(b),
        // Not reached (a leased frame becomes a view, never an external Buffer); its lease stays in
        // `Leases` until release(id) or close() either way.
        Bytes::Leased(l) => drop(l),
      }
    }
  }

  /// Frames out under a lease, by id: their buffer references, dropped on release.
  #[derive(Default)]
  pub struct Leases {
    held: Mutex<std::collections::HashMap<u32, decoder::SharedBuffer>>,
    next: std::sync::atomic::AtomicU32,
  }

  impl Leases {
    fn lease(&self, b: decoder::SharedBuffer) -> u32 {
      let id = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
      if let Ok(mut h) = self.held.lock() {
        h.insert(id, b);
      }
      id
    }
    fn release(&self, id: u32) {
      // Dropped outside the lock: the buffer goes back to the codec's pool.
      let b = self.held.lock().ok().and_then(|mut h| h.remove(&id));
      drop(b);
    }
    fn clear(&self) {
      let all = self.held.lock().map(|mut h| std::mem::take(&mut *h)).unwrap_or_default();
      drop(all);
    }
  }

  /// One ArrayBuffer per block, made when a leased frame first lands in it and looked up by the block's
  /// address through a weak reference. V8 counts an external ArrayBuffer's bytes as new memory and
  /// collects garbage by that count; a Buffer per 3 MB frame meant a full collection every ≈20 frames.
  /// Per block, V8 counts the codec's memory once, and a frame is a plain view (no external memory, no
  /// finalizer). The ArrayBuffer holds a block reference, so the memory outlives the lease, the pool and
  /// the decoder for as long as any view of it lives; a block address seen again while its ArrayBuffer
  /// lives is that same block (a block is freed only after its ArrayBuffer's finalizer).
  #[derive(Default)]
  struct BlockViews {
    refs: std::cell::RefCell<std::collections::HashMap<usize, sys::napi_ref>>,
  }

  // Touched only on the JS thread (conversions, close, the decoder's finalizer); the Arc crosses threads
  // inside resolvers that run there.
  unsafe impl Send for BlockViews {}
  unsafe impl Sync for BlockViews {}

  unsafe extern "C" fn block_gone(_env: sys::napi_env, _data: *mut c_void, hint: *mut c_void) {
    drop(unsafe { Box::from_raw(hint.cast::<decoder::Block>()) });
  }

  impl BlockViews {
    /// The block's ArrayBuffer, made (taking over `block`, the reference it holds) unless alive already.
    unsafe fn array_buffer(&self, env: sys::napi_env, ptr: *const u8, len: usize, block: decoder::Block) -> Result<sys::napi_value> {
      let mut refs = self.refs.borrow_mut();
      if let Some(&r) = refs.get(&(ptr as usize)) {
        let mut ab = std::ptr::null_mut();
        check_status!(unsafe { sys::napi_get_reference_value(env, r, &mut ab) })?;
        if !ab.is_null() {
          return Ok(ab);
        }
        unsafe { sys::napi_delete_reference(env, r) };
        refs.remove(&(ptr as usize));
      }
      let hint = Box::into_raw(Box::new(block));
      let mut ab = std::ptr::null_mut();
      let status = unsafe { sys::napi_create_external_arraybuffer(env, ptr as *mut c_void, len, Some(block_gone), hint.cast(), &mut ab) };
      if status == sys::Status::napi_pending_exception || status == sys::Status::napi_invalid_arg {
        // Refused before Node took the finalizer: the block reference is still ours.
        drop(unsafe { Box::from_raw(hint) });
      }
      check_status!(status, "creating an ArrayBuffer over a frame block")?;
      let mut r = std::ptr::null_mut();
      check_status!(unsafe { sys::napi_create_reference(env, ab, 0, &mut r) })?;
      refs.insert(ptr as usize, r);
      Ok(ab)
    }

    /// Forgets every block (close): their ArrayBuffers live on as long as views of them do.
    fn clear(&self, env: sys::napi_env) {
      for (_, r) in self.refs.borrow_mut().drain() {
        unsafe { sys::napi_delete_reference(env, r) };
      }
    }
  }

  impl TypeName for PooledBuffer {
    fn type_name() -> &'static str {
      "Uint8Array"
    }
    fn value_type() -> ValueType {
      ValueType::Object
    }
  }

  unsafe extern "C" fn give_back(_env: sys::napi_env, _data: *mut c_void, hint: *mut c_void) {
    let b = unsafe { Box::from_raw(hint.cast::<PooledBuffer>()) };
    b.release();
  }

  impl ToNapiValue for PooledBuffer {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
      let mut out = std::ptr::null_mut();
      let len = val.data.bytes().len();
      if len == 0 {
        let mut p = std::ptr::null_mut();
        check_status!(unsafe { sys::napi_create_buffer(env, 0, &mut p, &mut out) }, "creating a Buffer")?;
        return Ok(out);
      }
      if let Bytes::Leased(l) = val.data {
        let ab = unsafe { l.views.array_buffer(env, l.ptr, l.len, l.block) }?;
        check_status!(unsafe { sys::napi_create_typedarray(env, sys::TypedarrayType::uint8_array, len, ab, 0, &mut out) }, "creating a frame view")?;
        return Ok(out);
      }
      let hint = Box::into_raw(Box::new(val));
      // JS may write into a Buffer; frames are immutable by the packet contract, so a shared one is not.
      let ptr = unsafe { (*hint).data.bytes().as_ptr() as *mut u8 };
      let status = unsafe { sys::napi_create_external_buffer(env, len, ptr.cast(), Some(give_back), hint.cast(), &mut out) };
      if status == sys::Status::napi_no_external_buffers_allowed {
        // Runtimes without external buffers (Electron): one copy, and the bytes go straight back.
        let b = unsafe { Box::from_raw(hint) };
        let mut p = std::ptr::null_mut();
        let st = unsafe { sys::napi_create_buffer_copy(env, len, b.data.bytes().as_ptr().cast(), &mut p, &mut out) };
        b.release();
        check_status!(st, "copying a frame into a Buffer")?;
        return Ok(out);
      }
      if status == sys::Status::napi_pending_exception || status == sys::Status::napi_invalid_arg {
        // Refused before Node took the finalizer: the hint is still ours.
        drop(unsafe { Box::from_raw(hint) });
      }
      // Other failures may come after Node took it (and may already have run it): never free it twice.
      check_status!(status, "creating an external Buffer for a frame")?;
      Ok(out)
    }
  }

  #[napi(object, object_from_js = false)]
  pub struct DecodedFrame {
    /// The frame in the decoder's output format: tightly packed planes, or, when `offsets` is not empty,
    /// libavcodec's own padded buffer with plane k at offsets[k], rows strides[k] bytes apart. The bytes
    /// are the decoder's (no copy) and go back to its pools on `release(lease)` or, failing that, when
    /// this Buffer is garbage collected.
    #[napi(ts_type = "Uint8Array")]
    pub data: PooledBuffer,
    /// Set when the decoder was made with `leases` and the frame is in one of its blocks (`data` is then a
    /// view of the block): `release(lease)` gives the buffer back to the codec, else `close()` does.
    pub lease: Option<u32>,
    /// Byte offset of each plane in `data`; empty: tightly packed.
    pub offsets: Vec<u32>,
    /// Bytes from one row of each plane to the next; empty: tightly packed.
    pub strides: Vec<u32>,
    pub width: u32,
    pub height: u32,
    /// The pts (ns) of the access unit this frame came from, after reordering.
    pub pts: Option<i64>,
    pub key: bool,
    /// Concealed errors: the frame is damaged.
    pub corrupt: bool,
  }

  #[napi(object, object_from_js = false)]
  pub struct DecodeResult {
    pub frames: Vec<DecodedFrame>,
    /// Set when libavcodec refused the access unit (damaged data); decoding goes on.
    pub rejected: Option<String>,
    /// Milliseconds inside libavcodec for this call (what ffmpeg itself spends on the unit).
    pub codec_ms: f64,
    /// Milliseconds packing the frames into their buffers.
    pub pack_ms: f64,
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

  fn to_js(out: decoder::Output, pool: &Arc<FramePool>, leases: Option<&LeaseState>) -> DecodeResult {
    let frames = out
      .frames
      .into_iter()
      .map(|f| {
        let (data, lease) = match (f.data, leases) {
          (decoder::FrameData::Shared(mut b), Some((leases, views))) => match b.take_block() {
            Some(block) => {
              let (ptr, len) = (b.as_slice().as_ptr(), b.as_slice().len());
              let id = leases.lease(b);
              (Bytes::Leased(Leased { ptr, len, block, views: views.clone() }), Some(id))
            }
            None => (Bytes::Frame(decoder::FrameData::Shared(b)), None),
          },
          (data, _) => (Bytes::Frame(data), None),
        };
        DecodedFrame {
          offsets: f.planes.iter().map(|p| p.0 as u32).collect(),
          strides: f.planes.iter().map(|p| p.1 as u32).collect(),
          data: PooledBuffer { data, pool: pool.clone() },
          lease,
          width: f.width,
          height: f.height,
          pts: f.pts,
          key: f.key,
          corrupt: f.corrupt,
        }
      })
      .collect();
    DecodeResult { frames, rejected: out.rejected, codec_ms: out.codec_ns as f64 / 1e6, pack_ms: out.pack_ns as f64 / 1e6 }
  }

  type LeaseState = (Arc<Leases>, Arc<BlockViews>);

  type Resolver = Box<dyn FnOnce(Env) -> Result<DecodeResult> + Send>;

  /// A decoder collected without close(): what close() would have let go of.
  impl ObjectFinalize for NativeDecoder {
    fn finalize(mut self, env: Env) -> Result<()> {
      self.worker.close();
      self.let_go(&env);
      Ok(())
    }
  }

  /// An H.264 decoder on its own thread. decode() queues an access unit and returns at once; units are
  /// decoded strictly in call order, so a caller keeps several in flight to keep the codec busy.
  #[napi(custom_finalize)]
  pub struct NativeDecoder {
    worker: worker::Worker,
    pool: Arc<FramePool>,
    backend: String,
    format: String,
    skipped: Vec<String>,
    /// With `leases`: the frames out under one, and their blocks' ArrayBuffers.
    leases: Option<LeaseState>,
  }

  impl NativeDecoder {
    fn queue<'env>(&self, env: &'env Env, job: worker::Job) -> Result<Object<'env>> {
      let (deferred, promise) = env.create_deferred::<DecodeResult, Resolver>()?;
      let pool = self.pool.clone();
      let leases = self.leases.clone();
      let done: worker::Done = Box::new(move |r| match r {
        Ok(out) => deferred.resolve(Box::new(move |_env| Ok(to_js(out, &pool, leases.as_ref())))),
        Err(e) => deferred.reject(Error::new(Status::GenericFailure, e)),
      });
      if let Err(Some(done)) = self.worker.submit(job, Some(done)) {
        done(Err("used after close()".into()));
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
        strided: options.strided.unwrap_or(false),
      };
      let d = guarded("open", || decoder::Decoder::open(&cfg))?;
      let (backend, skipped, pool) = (d.backend().name().to_string(), d.skipped.clone(), d.pool());
      let leases = (cfg.strided && options.leases.unwrap_or(false))
        .then(|| (Arc::new(Leases::default()), Arc::new(BlockViews::default())));
      // Throughput decoding packs frames on a thread of their own, off the codec's critical path; none
      // is needed when software I420 frames leave unpacked (libavcodec decodes H.264 to yuv420p).
      let unpacked = cfg.strided && format == decoder::OutFormat::I420 && d.backend() == backend::Backend::Software;
      let worker = worker::Worker::spawn(d, !cfg.live && !unpacked).map_err(|e| Error::new(Status::GenericFailure, e))?;
      Ok(Self { worker, pool, backend, format: format.name().into(), skipped, leases })
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

    /// Queues one access unit (Annex B, or length-prefixed with avcC extradata; copied, so the caller
    /// may reuse its bytes) for the decoder thread. Resolves to the frames it made ready, after every
    /// earlier call's. `pts`/`dts` in ns come back on the frames they belong to, in presentation order.
    #[napi(ts_return_type = "Promise<DecodeResult>")]
    pub fn decode<'env>(&self, env: &'env Env, data: Uint8Array, pts: Option<i64>, dts: Option<i64>, key: bool) -> Result<Object<'env>> {
      self.queue(env, worker::Job::Decode { data: data.to_vec(), pts, dts, key })
    }

    /// End of stream: the frames still held for reordering; the decoder can then take a new stream.
    #[napi(ts_return_type = "Promise<DecodeResult>")]
    pub fn finish<'env>(&self, env: &'env Env) -> Result<Object<'env>> {
      self.queue(env, worker::Job::Finish)
    }

    /// Drops reference frames and queued output (after a discontinuity), after the units queued so far.
    #[napi]
    pub fn reset(&self) -> Result<()> {
      self.worker.submit(worker::Job::Reset, None).map_err(|_| Error::new(Status::GenericFailure, "used after close()"))
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

  // ------------------------------------------------------------------ encoder

  type Shared<T> = Arc<Mutex<Option<T>>>;

  fn with<T, R>(shared: &Shared<T>, f: impl FnOnce(&mut T) -> std::result::Result<R, String>) -> std::result::Result<R, String> {
    let mut g = shared.lock().map_err(|_| "native object poisoned by an earlier panic".to_string())?;
    match g.as_mut() {
      Some(v) => f(v),
      None => Err("used after close()".into()),
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

  pub struct EncodeTask {
    encoder: Shared<encoder::Encoder>,
    input: Option<(Uint8Array, Option<i64>, bool, Option<Vec<(usize, usize)>>)>,
  }

  impl Task for EncodeTask {
    type Output = Vec<encoder::Packet>;
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
        _ => return Err(invalid("offsets and strides go together, one of each per plane".into())),
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
}
