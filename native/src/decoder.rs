//! H.264 decoding through libavcodec: the pure-Rust core the napi binding (js/) and the NVDEC probe
//! example share. Runs on whatever thread calls it; one decoder is used by one thread at a time.
use crate::backend::{self, Backend};
use crate::cuda;
use crate::error::{NativeError, Result};
use crate::ffi;
use crate::hwdevice::{self, AvDevice, DeviceRef};
use crate::pool::FramePool;
use std::ffi::CString;
use std::sync::Arc;
use std::time::Instant;

/// Output layouts of the caps contract (tightly packed, no padding).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutFormat {
  I420,
  Nv12,
}

impl OutFormat {
  pub fn parse(s: &str) -> Result<Self> {
    match s {
      "I420" => Ok(Self::I420),
      "NV12" => Ok(Self::Nv12),
      _ => Err(NativeError::invalid(format!("format must be 'I420' or 'NV12', got '{s}'"))),
    }
  }
  pub fn name(self) -> &'static str {
    match self {
      Self::I420 => "I420",
      Self::Nv12 => "NV12",
    }
  }
  /// Bytes of one tightly packed frame (4:2:0 chroma rounds odd sizes up).
  pub fn frame_size(self, width: usize, height: usize) -> usize {
    let (cw, ch) = (width.div_ceil(2), height.div_ceil(2));
    width * height + 2 * cw * ch
  }
}

#[derive(Clone, Debug)]
pub struct DecoderConfig {
  /// None: the best available backend (nvdec, then vaapi, then software).
  pub backend: Option<Backend>,
  pub format: OutFormat,
  /// 0: libavcodec picks (one per core).
  pub threads: i32,
  /// Low delay: slice threads and AV_CODEC_FLAG_LOW_DELAY, a frame out as soon as it is decodable.
  pub live: bool,
  /// avcC record of stream-format=avc input (packets are then length-prefixed).
  pub extradata: Option<Vec<u8>>,
  /// A DRM/VA device path or CUDA device index; None: the default one.
  pub device: Option<String>,
  /// Hand frames on in libavcodec's own buffer (planes at offsets and strides, `FrameData::Shared`)
  /// whenever the decoded layout is already the output format, instead of packing them.
  pub strided: bool,
}

/// A whole decoded frame in libavcodec's memory, held by a buffer reference of its own: the decoder
/// never writes a frame after output, so the bytes stay as they are until the last reference goes.
pub struct SharedBuffer {
  raw: *mut ffi::G2gBuffer,
  ptr: *const u8,
  len: usize,
  /// Counts the release (`FramePool::shared_back`).
  pool: Arc<FramePool>,
  /// The memory itself, when the buffer is one of the decoder's blocks: see `Block`.
  block: Option<Block>,
}

/// A reference to the memory behind one of the decoder's frame buffers. It keeps the bytes allocated,
/// but not the buffer out of the codec's reuse: holding one after the `SharedBuffer` is dropped (a frame
/// released early) is memory-safe, and reads whatever picture the codec put there since.
pub struct Block(*mut ffi::G2gBlock);

// An atomically reference-counted allocation: any thread may drop it.
unsafe impl Send for Block {}
unsafe impl Sync for Block {}

impl Drop for Block {
  fn drop(&mut self) {
    unsafe { ffi::g2g_block_unref(self.0) };
  }
}

impl Block {
  /// Whether this is the block's last reference: the codec's pool has let it go (closed, or a new size).
  pub fn is_last(&self) -> bool {
    unsafe { ffi::g2g_block_refs(self.0) == 1 }
  }
}

// A reference-counted AVBufferRef: its owner may release it on any thread.
unsafe impl Send for SharedBuffer {}

impl Drop for SharedBuffer {
  fn drop(&mut self) {
    unsafe { ffi::g2g_buffer_unref(self.raw) };
    self.pool.shared_back();
  }
}

impl SharedBuffer {
  pub fn as_slice(&self) -> &[u8] {
    unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
  }

  /// The block holding these bytes, when they are in one (software decoding): who holds it may keep
  /// reading `as_slice`'s memory after dropping this buffer.
  pub fn take_block(&mut self) -> Option<Block> {
    self.block.take()
  }
}

/// Where a frame's bytes are.
pub enum FrameData {
  /// Tightly packed planes, in a buffer taken from the decoder's pool (`Decoder::pool`): give it back
  /// there when done with it.
  Packed(Vec<u8>),
  /// libavcodec's own buffer, not copied: planes at `Frame::planes`.
  Shared(SharedBuffer),
}

impl FrameData {
  pub fn bytes(&self) -> &[u8] {
    match self {
      Self::Packed(v) => v,
      Self::Shared(b) => b.as_slice(),
    }
  }
}

pub struct Frame {
  pub data: FrameData,
  /// (offset, stride) of each plane in a Shared frame's buffer; empty for a Packed one.
  pub planes: Vec<(usize, usize)>,
  pub width: u32,
  pub height: u32,
  pub pts: Option<i64>,
  pub key: bool,
  pub corrupt: bool,
}

impl Frame {
  /// The frame tightly packed in `format` (the output format it was decoded to): a copy either way.
  pub fn to_packed(&self, format: OutFormat) -> Result<Vec<u8>> {
    match &self.data {
      FrameData::Packed(v) => Ok(v.clone()),
      FrameData::Shared(b) => {
        let mut info = ffi::G2gFrameInfo { width: self.width as i32, height: self.height as i32, ..Default::default() };
        info.format = match format {
          OutFormat::I420 => ffi::FMT_YUV420P,
          OutFormat::Nv12 => ffi::FMT_NV12,
        };
        for (k, &(offset, stride)) in self.planes.iter().enumerate() {
          info.data[k] = b.as_slice()[offset..].as_ptr();
          info.linesize[k] = stride as i32;
        }
        pack(&info, format)
      }
    }
  }
}

/// A decoded frame still in libavcodec's memory, held by a reference of its own (no copy), for packing
/// on another thread while the decoder goes on (see `Decoder::set_pack_later`).
pub struct RawFrame {
  raw: *mut ffi::G2gFrame,
  info: ffi::G2gFrameInfo,
  pts: Option<i64>,
}

// The frame is a reference-counted AVFrame the decoder only reads from; its owner may free it anywhere.
unsafe impl Send for RawFrame {}

impl Drop for RawFrame {
  fn drop(&mut self) {
    unsafe { ffi::g2g_frame_free(self.raw) };
  }
}

impl RawFrame {
  /// Packs into a buffer from `pool` (the frame reference is then released).
  pub fn pack(self, format: OutFormat, pool: &FramePool) -> Result<Frame> {
    pack_frame(&self.info, self.pts, format, pool)
  }
}

/// What one input access unit produced: frames, and why the unit was refused if it was (corrupt data is
/// not fatal: the decoder goes on with the next unit).
#[derive(Default)]
pub struct Output {
  pub frames: Vec<Frame>,
  /// Frames not packed yet (pack-later mode); `pack_raw` turns them into `frames`, in order.
  pub raw: Vec<RawFrame>,
  pub rejected: Option<String>,
  /// Time inside libavcodec (send and receive, waiting on its frame threads included): what the same
  /// unit costs ffmpeg itself, so the caller can tell the framework's overhead from the codec's.
  pub codec_ns: u64,
  /// Time packing frames out of libavcodec's padded pool into tightly packed buffers.
  pub pack_ns: u64,
  /// Time the unit waited between being queued and its decoding starting (behind its own decoder's
  /// earlier units, and on the shared pool behind other decoders' turns).
  pub wait_ns: u64,
  /// On the shared pool: how many jobs of any decoder the pool started before this one.
  pub turn: Option<u64>,
}

impl Output {
  /// Packs the frames left raw by a pack-later decoder (after any already packed, which come first).
  pub fn pack_raw(&mut self, format: OutFormat, pool: &FramePool) -> Result<()> {
    let t0 = Instant::now();
    for r in std::mem::take(&mut self.raw) {
      self.frames.push(r.pack(format, pool)?);
    }
    self.pack_ns += t0.elapsed().as_nanos() as u64;
    Ok(())
  }
}

/// A hardware decoder's device: its hold on a shared context (dropped after the codec is closed), and
/// a description for status reports.
struct HwDevice {
  _shared: DeviceRef<AvDevice>,
  about: String,
}

impl HwDevice {
  /// A shared context of this device for one decoder; the device context to open the codec on (the
  /// caller unrefs it after opening: the codec keeps its own reference), with a CUDA stream of the
  /// decoder's own unless `G2G_CUDA_SHARED_STREAM=1` (a stream that cannot be made is a note, not an
  /// error: the decoder then runs on the shared context's stream).
  fn open(hw: i32, device: Option<&str>) -> std::result::Result<(Self, *mut ffi::G2gHwDevice), String> {
    let shared = hwdevice::cache_for(hw).acquire(hw, device)?;
    let mut about = shared.about();
    let own = match (hw, cuda::stream_flags()) {
      (ffi::HW_CUDA, None) => {
        about.push_str(", the context's stream (G2G_CUDA_SHARED_STREAM=1)");
        None
      }
      (ffi::HW_CUDA, Some(flags)) => match cuda::device_with_stream(shared.handle(), flags) {
        Ok(d) => {
          about.push_str(&format!(", a CUDA stream of its own (flags {flags})"));
          Some(d.0)
        }
        Err(e) => {
          about.push_str(&format!(", the context's stream ({e})"));
          None
        }
      },
      _ => None,
    };
    let dev = own.unwrap_or_else(|| unsafe { ffi::g2g_hwdevice_ref(shared.handle().0) });
    if dev.is_null() {
      return Err("out of memory referencing the device context".into());
    }
    Ok((Self { _shared: shared, about }, dev))
  }
}

pub struct Decoder {
  raw: *mut ffi::G2gDec,
  format: OutFormat,
  backend: Backend,
  /// Why better backends were passed over, for the element's log.
  pub skipped: Vec<String>,
  /// A hardware decoder's device context; dropped after `raw` is closed (Drop runs before fields drop).
  hw: Option<HwDevice>,
  pool: Arc<FramePool>,
  pack_later: bool,
  strided: bool,
  eagain: i32,
  eof: i32,
  nopts: i64,
}

// The shim's decoder holds no thread-affine state; one thread uses it at a time (the worker's, `worker.rs`).
unsafe impl Send for Decoder {}

impl Drop for Decoder {
  fn drop(&mut self) {
    unsafe { ffi::g2g_dec_close(self.raw) };
  }
}

impl Decoder {
  pub fn open(cfg: &DecoderConfig) -> Result<Self> {
    ffi::init_logging();
    let mut skipped = Vec::new();
    let candidates: Vec<Backend> = match cfg.backend {
      Some(b) => vec![b],
      None => Backend::PREFERENCE.to_vec(),
    };
    let mut last_err = String::new();
    for b in candidates {
      if cfg.backend.is_none() {
        if let Some(reason) = backend::unavailable(b) {
          skipped.push(format!("{}: {reason}", b.name()));
          continue;
        }
      }
      match Self::open_backend(cfg, b) {
        Ok(mut d) => {
          d.skipped = skipped;
          return Ok(d);
        }
        Err(e) if cfg.backend.is_none() => {
          last_err = e.to_string();
          skipped.push(format!("{}: {last_err}", b.name()));
        }
        Err(e) => return Err(e),
      }
    }
    Err(NativeError::codec("no H.264 decoder backend could be opened", last_err))
  }

  fn open_backend(cfg: &DecoderConfig, b: Backend) -> Result<Self> {
    if cfg.backend.is_some() {
      backend::check(b)?;
    }
    let codec = CString::new(b.codec()).unwrap();
    if cfg.device.as_deref().is_some_and(|d| d.contains('\0')) {
      return Err(NativeError::invalid("device contains NUL"));
    }
    let what = || format!("{} decoder ({})", b.name(), b.codec());
    let (hw, dev) = match b.hw() {
      ffi::HW_NONE => (None, std::ptr::null_mut()),
      kind => {
        let (h, d) = HwDevice::open(kind, cfg.device.as_deref()).map_err(|e| NativeError::codec(what(), e))?;
        (Some(h), d)
      }
    };
    let (extra, extra_len) = match &cfg.extradata {
      Some(e) => (e.as_ptr(), e.len() as i32),
      None => (std::ptr::null(), 0),
    };
    let mut raw = std::ptr::null_mut();
    let mut err = ffi::ErrBuf::new();
    let r = unsafe {
      ffi::g2g_dec_open(
        &mut raw,
        codec.as_ptr(),
        if cfg.live && cfg.threads == 0 { 0 } else { cfg.threads },
        if cfg.live { ffi::THREAD_SLICE } else { ffi::THREAD_FRAME },
        cfg.live as i32,
        1,
        extra,
        extra_len,
        b.hw(),
        dev,
        err.ptr(),
        err.capacity(),
      )
    };
    if !dev.is_null() {
      // The codec holds its own reference (the shared context stays held by `hw` until close).
      unsafe { ffi::g2g_hwdevice_unref(dev) };
    }
    if r < 0 {
      return Err(NativeError::codec(what(), err.text()));
    }
    Ok(Self {
      raw,
      format: cfg.format,
      backend: b,
      skipped: Vec::new(),
      hw,
      pool: Arc::new(FramePool::new()),
      pack_later: false,
      strided: cfg.strided,
      eagain: unsafe { ffi::g2g_averror_eagain() },
      eof: unsafe { ffi::g2g_averror_eof() },
      nopts: unsafe { ffi::g2g_nopts() },
    })
  }

  pub fn backend(&self) -> Backend {
    self.backend
  }

  pub fn format(&self) -> OutFormat {
    self.format
  }

  /// A hardware decoder's device context: which shared one, and which CUDA stream (for status reports).
  pub fn hw_device(&self) -> Option<&str> {
    self.hw.as_ref().map(|h| h.about.as_str())
  }

  /// Leave frames unpacked (`Output::raw`), for another thread to pack while this one decodes on.
  pub fn set_pack_later(&mut self, on: bool) {
    self.pack_later = on;
  }

  /// Where frame buffers come from; a consumer gives them back here to have them reused.
  pub fn pool(&self) -> Arc<FramePool> {
    self.pool.clone()
  }

  /// Decodes one access unit; returns the frames that became ready (in presentation order).
  pub fn decode(&mut self, data: &[u8], pts: Option<i64>, dts: Option<i64>, key: bool) -> Result<Output> {
    if data.is_empty() {
      return Ok(Output::default());
    }
    if data.len() > i32::MAX as usize {
      return Err(NativeError::invalid("access unit larger than 2 GiB"));
    }
    let mut out = Output::default();
    let (p, d) = (pts.unwrap_or(self.nopts), dts.unwrap_or(self.nopts));
    loop {
      let t0 = Instant::now();
      let r = unsafe { ffi::g2g_dec_send(self.raw, data.as_ptr(), data.len() as i32, p, d, key as i32) };
      out.codec_ns += t0.elapsed().as_nanos() as u64;
      if r == self.eagain {
        // The decoder's output is full: take frames out, then send again (the API's contract).
        if self.drain_into(&mut out)? == 0 {
          return Err(NativeError::Internal("decoder refused input without producing output".into()));
        }
        continue;
      }
      if r < 0 {
        // Damaged or unsupported data: this unit is lost, the stream goes on.
        out.rejected = Some(ffi::strerror(r));
      }
      break;
    }
    self.drain_into(&mut out)?;
    Ok(out)
  }

  /// End of stream: every frame still held back for reordering.
  pub fn finish(&mut self) -> Result<Output> {
    let mut out = Output::default();
    // An error here belongs to damaged input already counted (frame threads report late): drain anyway.
    unsafe { ffi::g2g_dec_send(self.raw, std::ptr::null(), 0, self.nopts, self.nopts, 0) };
    self.drain_into(&mut out)?;
    // Ready for a new stream after draining (libavcodec needs a flush to leave the draining state).
    unsafe { ffi::g2g_dec_flush(self.raw) };
    Ok(out)
  }

  /// Forgets buffered frames and references (a discontinuity the caller wants to restart at).
  pub fn reset(&mut self) {
    unsafe { ffi::g2g_dec_flush(self.raw) };
  }

  /// Takes out every ready frame. A decode error reported here (frame threads report a damaged
  /// picture when its frame is due) loses that picture only: noted in `rejected`, draining goes on.
  fn drain_into(&mut self, out: &mut Output) -> Result<usize> {
    let mut n = 0;
    let mut errors = 0;
    loop {
      let mut info = ffi::G2gFrameInfo::default();
      let t0 = Instant::now();
      let r = unsafe { ffi::g2g_dec_receive(self.raw, &mut info) };
      out.codec_ns += t0.elapsed().as_nanos() as u64;
      if r == self.eagain || r == self.eof {
        self.note_codec_pool();
        return Ok(n);
      }
      if r < 0 {
        errors += 1;
        if errors > 64 {
          return Err(NativeError::codec("receiving a frame", ffi::strerror(r)));
        }
        out.rejected = Some(ffi::strerror(r));
        continue;
      }
      let pts = if info.pts == self.nopts { None } else { Some(info.pts) };
      // Frames already left raw for the pack thread come after those in `frames`: once one is raw, the
      // rest of this output goes raw too, so the order holds.
      if let Some(frame) = if self.strided && out.raw.is_empty() { self.share(&info, pts) } else { None } {
        out.frames.push(frame);
      } else if self.pack_later {
        let raw = unsafe { ffi::g2g_dec_take(self.raw) };
        if raw.is_null() {
          return Err(NativeError::Resource("out of memory referencing a decoded frame".into()));
        }
        out.raw.push(RawFrame { raw, info, pts });
      } else {
        let t0 = Instant::now();
        let frame = pack_frame(&info, pts, self.format, &self.pool);
        out.pack_ns += t0.elapsed().as_nanos() as u64;
        out.frames.push(frame?);
      }
      n += 1;
    }
  }

  /// The frame received last as a reference to libavcodec's buffer, when its layout is already the
  /// output format's (planes in one buffer, rows at positive strides): None means pack it instead.
  fn share(&mut self, info: &ffi::G2gFrameInfo, pts: Option<i64>) -> Option<Frame> {
    let planes = match (info.format, self.format) {
      (ffi::FMT_YUV420P, OutFormat::I420) => 3,
      (ffi::FMT_NV12, OutFormat::Nv12) => 2,
      _ => return None,
    };
    if info.width <= 0 || info.height <= 0 {
      return None;
    }
    let (mut base, mut len, mut block) = (std::ptr::null(), 0usize, std::ptr::null_mut());
    let raw = unsafe { ffi::g2g_dec_share(self.raw, &mut base, &mut len, &mut block) };
    if raw.is_null() {
      return None;
    }
    self.pool.shared_out();
    let block = (!block.is_null()).then(|| Block(block));
    let buf = SharedBuffer { raw, ptr: base, len, pool: self.pool.clone(), block };
    let (w, h) = (info.width as usize, info.height as usize);
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    let mut placed = Vec::with_capacity(planes);
    for k in 0..planes {
      let (row, rows) = match (k, planes) {
        (0, _) => (w, h),
        (_, 2) => (2 * cw, ch),
        _ => (cw, ch),
      };
      let stride = usize::try_from(info.linesize[k]).ok().filter(|&s| s >= row)?;
      let offset = (info.data[k] as usize).checked_sub(base as usize)?;
      // Every row inside the buffer: JS reads the planes by these numbers.
      if offset + stride * (rows - 1) + row > len {
        return None;
      }
      placed.push((offset, stride));
    }
    Some(Frame { data: FrameData::Shared(buf), planes: placed, width: w as u32, height: h as u32, pts, key: info.key != 0, corrupt: info.corrupt != 0 })
  }

  /// Copies the codec's frame-pool counters into the pool's stats (read from other threads).
  fn note_codec_pool(&self) {
    let (mut allocs, mut gets) = (0u64, 0u64);
    unsafe { ffi::g2g_dec_pool_counts(self.raw, &mut allocs, &mut gets) };
    self.pool.set_codec_counts(allocs, gets);
  }
}

/// A frame packed into a buffer from `pool` (given back there if packing fails).
fn pack_frame(info: &ffi::G2gFrameInfo, pts: Option<i64>, format: OutFormat, pool: &FramePool) -> Result<Frame> {
  let mut data = pool.take(format.frame_size(info.width.max(0) as usize, info.height.max(0) as usize));
  if let Err(e) = pack_into(info, format, &mut data) {
    pool.give(data);
    return Err(e);
  }
  Ok(Frame { data: FrameData::Packed(data), planes: Vec::new(), width: info.width as u32, height: info.height as u32, pts, key: info.key != 0, corrupt: info.corrupt != 0 })
}

/// Rows of one plane: `rows` rows of `width` bytes, `stride` apart.
struct Plane<'a> {
  data: &'a [u8],
  stride: usize,
}

impl<'a> Plane<'a> {
  /// # Safety
  /// `ptr` must point to `rows` rows of at least `width` readable bytes, `stride` apart.
  unsafe fn new(ptr: *const u8, stride: i32, width: usize, rows: usize) -> Result<Self> {
    if ptr.is_null() || stride < width as i32 || rows == 0 {
      return Err(NativeError::Internal("decoder returned a frame without the expected planes".into()));
    }
    let stride = stride as usize;
    Ok(Self { data: std::slice::from_raw_parts(ptr, stride * (rows - 1) + width), stride })
  }
  fn row(&self, y: usize, width: usize) -> &'a [u8] {
    &self.data[y * self.stride..y * self.stride + width]
  }
  /// Appends `rows` rows of `width` bytes: one copy when the rows are contiguous (libavcodec's usual
  /// layout when the width is a multiple of its alignment), which lets memcpy use its large-copy path.
  fn copy_rows(&self, width: usize, rows: usize, out: &mut Vec<u8>) {
    if self.stride == width {
      out.extend_from_slice(&self.data[..width * rows]);
    } else {
      for r in 0..rows {
        out.extend_from_slice(self.row(r, width));
      }
    }
  }
}

/// Packs a decoded frame (padded rows, planes apart) into one tightly packed buffer in `format`.
pub fn pack(info: &ffi::G2gFrameInfo, format: OutFormat) -> Result<Vec<u8>> {
  let mut out = Vec::new();
  pack_into(info, format, &mut out)?;
  Ok(out)
}

/// `pack` into `out` (cleared first; a recycled buffer of the right capacity is not reallocated).
/// This is the one copy between the decoder's pool and JS memory; it also converts I420 ↔ NV12.
pub fn pack_into(info: &ffi::G2gFrameInfo, format: OutFormat, out: &mut Vec<u8>) -> Result<()> {
  if info.width <= 0 || info.height <= 0 {
    return Err(NativeError::Internal(format!("decoder returned a frame of size {}x{}", info.width, info.height)));
  }
  let (w, h) = (info.width as usize, info.height as usize);
  let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
  out.clear();
  out.reserve_exact(format.frame_size(w, h));
  unsafe {
    Plane::new(info.data[0], info.linesize[0], w, h)?.copy_rows(w, h, out);
    match (info.format, format) {
      (ffi::FMT_YUV420P, OutFormat::I420) => {
        for k in 1..3 {
          Plane::new(info.data[k], info.linesize[k], cw, ch)?.copy_rows(cw, ch, out);
        }
      }
      (ffi::FMT_YUV420P, OutFormat::Nv12) => {
        let u = Plane::new(info.data[1], info.linesize[1], cw, ch)?;
        let v = Plane::new(info.data[2], info.linesize[2], cw, ch)?;
        for r in 0..ch {
          let at = out.len();
          out.resize(at + 2 * cw, 0);
          for (d, (a, b)) in out[at..].chunks_exact_mut(2).zip(u.row(r, cw).iter().zip(v.row(r, cw))) {
            d[0] = *a;
            d[1] = *b;
          }
        }
      }
      (ffi::FMT_NV12, OutFormat::Nv12) => {
        Plane::new(info.data[1], info.linesize[1], 2 * cw, ch)?.copy_rows(2 * cw, ch, out);
      }
      (ffi::FMT_NV12, OutFormat::I420) => {
        let uv = Plane::new(info.data[1], info.linesize[1], 2 * cw, ch)?;
        for r in 0..ch {
          out.extend(uv.row(r, 2 * cw).iter().step_by(2));
        }
        for r in 0..ch {
          out.extend(uv.row(r, 2 * cw).iter().skip(1).step_by(2));
        }
      }
      _ => return Err(NativeError::Unsupported { format: ffi::cstr(info.format_name) }),
    }
  }
  Ok(())
}

#[cfg(test)]
mod tests {
  use super::*;

  fn info(format: i32, w: i32, h: i32, planes: &[&[u8]], strides: &[i32]) -> ffi::G2gFrameInfo {
    let mut i = ffi::G2gFrameInfo { format, width: w, height: h, ..Default::default() };
    for (k, p) in planes.iter().enumerate() {
      i.data[k] = p.as_ptr();
      i.linesize[k] = strides[k];
    }
    i
  }

  #[test]
  fn packs_padded_yuv420p_odd_size_to_i420_and_nv12() {
    // 3x3 frame, 2x2 chroma, rows padded to 8 bytes with 0xEE.
    let y: Vec<u8> = (0..3).flat_map(|r| (0..8).map(move |c| if c < 3 { (r * 3 + c) as u8 } else { 0xEE })).collect();
    let u: Vec<u8> = (0..2).flat_map(|r| (0..8).map(move |c| if c < 2 { 100 + (r * 2 + c) as u8 } else { 0xEE })).collect();
    let v: Vec<u8> = (0..2).flat_map(|r| (0..8).map(move |c| if c < 2 { 200 + (r * 2 + c) as u8 } else { 0xEE })).collect();
    let i = info(ffi::FMT_YUV420P, 3, 3, &[&y, &u, &v], &[8, 8, 8]);
    assert_eq!(pack(&i, OutFormat::I420).unwrap(), vec![0, 1, 2, 3, 4, 5, 6, 7, 8, 100, 101, 102, 103, 200, 201, 202, 203]);
    assert_eq!(pack(&i, OutFormat::Nv12).unwrap(), vec![0, 1, 2, 3, 4, 5, 6, 7, 8, 100, 200, 101, 201, 102, 202, 103, 203]);
  }

  #[test]
  fn packs_nv12_to_i420() {
    let y = [1u8, 2, 3, 4];
    let uv = [10u8, 20, 0xEE, 0xEE];
    let i = info(ffi::FMT_NV12, 2, 2, &[&y, &uv], &[2, 4]);
    assert_eq!(pack(&i, OutFormat::I420).unwrap(), vec![1, 2, 3, 4, 10, 20]);
    assert_eq!(pack(&i, OutFormat::Nv12).unwrap(), vec![1, 2, 3, 4, 10, 20]);
  }

  #[test]
  fn refuses_other_formats_by_name() {
    let y = [0u8; 4];
    let mut i = info(ffi::FMT_OTHER, 2, 2, &[&y, &y, &y], &[2, 2, 2]);
    i.format_name = c"yuv422p".as_ptr();
    let e = pack(&i, OutFormat::I420).unwrap_err();
    assert_eq!(e, NativeError::Unsupported { format: "yuv422p".into() });
    assert!(e.to_string().contains("yuv422p"));
  }
}
