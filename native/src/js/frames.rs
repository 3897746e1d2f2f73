//! How decoded frames reach JS without a copy. A frame is either an external Buffer over its bytes, whose
//! finalizer gives packed bytes back to the decoder's pool or releases libavcodec's buffer when JS lets go,
//! or, leased, a view of its block's one ArrayBuffer, given back to the codec by `release(lease)`.
use crate::decoder::{self, Block, FrameData, SharedBuffer};
use crate::pool::FramePool;

use napi::bindgen_prelude::*;
use napi::{check_status, sys};
use napi_derive::napi;
use std::collections::HashMap;
use std::ffi::c_void;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

/// A frame's bytes on their way to JS (see the module's doc).
pub struct PooledBuffer {
  data: Bytes,
  pool: Arc<FramePool>,
}

enum Bytes {
  Frame(FrameData),
  /// A frame in one of the decoder's blocks under a lease (`NativeDecoder::release`).
  Leased(Leased),
}

/// A leased frame on its way to JS: a Uint8Array over its block's ArrayBuffer. The lease itself waits
/// in `Leases` for `release(id)`.
struct Leased {
  ptr: *const u8,
  len: usize,
  block: Block,
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
      Bytes::Frame(FrameData::Packed(v)) => self.pool.give(v),
      // Dropping the reference returns the buffer to the codec's pool once the codec is done with it.
      Bytes::Frame(FrameData::Shared(b)) => drop(b),
      // Not reached (a leased frame becomes a view, never an external Buffer); its lease stays in
      // `Leases` until release(id) or close() either way.
      Bytes::Leased(l) => drop(l),
    }
  }
}

/// Frames out under a lease, by id: their buffer references, dropped on release.
#[derive(Default)]
pub struct Leases {
  held: Mutex<HashMap<u32, SharedBuffer>>,
  next: AtomicU32,
}

impl Leases {
  fn lease(&self, b: SharedBuffer) -> u32 {
    let id = self.next.fetch_add(1, Ordering::Relaxed);
    if let Ok(mut h) = self.held.lock() {
      h.insert(id, b);
    }
    id
  }
  pub fn release(&self, id: u32) {
    // Dropped outside the lock: the buffer goes back to the codec's pool.
    let b = self.held.lock().ok().and_then(|mut h| h.remove(&id));
    drop(b);
  }
  pub fn clear(&self) {
    let all = self.held.lock().map(|mut h| std::mem::take(&mut *h)).unwrap_or_default();
    drop(all);
  }
}

/// One ArrayBuffer per block, made when a leased frame first lands in it and kept (a strong reference)
/// while the codec's pool holds the block. V8 counts an external ArrayBuffer's bytes as new memory and
/// collects garbage by that count: a Buffer per 3 MB frame meant a full collection every ≈20 frames, and
/// an ArrayBuffer per block made again each time the collector took it (a weak reference) still started
/// a collection every few tens of MB of blocks seen again — several a second with a hundred streams.
/// Kept, a block's memory is counted once, and a frame is a plain view (no external memory, no
/// finalizer). The ArrayBuffer holds a block reference, so the memory outlives the lease, the pool and
/// the decoder for as long as any view of it lives; a block address seen again while its ArrayBuffer
/// lives is that same block (a block is freed only after its ArrayBuffer's finalizer). Blocks the pool
/// let go (a new frame size) are forgotten when the next new block comes, and live on as their views do.
#[derive(Default)]
pub struct BlockViews {
  views: std::cell::RefCell<HashMap<usize, View>>,
  /// Set by `clear` (close, the decoder's finalizer): a frame resolved after it keeps no reference here,
  /// or nothing would ever let its block go.
  closed: std::cell::Cell<bool>,
}

/// A block's ArrayBuffer, held by a strong reference, and the block reference its finalizer frees (valid
/// while the ArrayBuffer lives, so while the entry is in `BlockViews`).
struct View {
  array_buffer: sys::napi_ref,
  block: *const Block,
}

// Touched only on the JS thread (conversions, close, the decoder's finalizer); the Arc crosses threads
// inside resolvers that run there.
unsafe impl Send for BlockViews {}
unsafe impl Sync for BlockViews {}

unsafe extern "C" fn block_gone(_env: sys::napi_env, _data: *mut c_void, hint: *mut c_void) {
  drop(unsafe { Box::from_raw(hint.cast::<Block>()) });
}

impl BlockViews {
  /// The block's ArrayBuffer, made (taking over `block`, the reference it holds) unless alive already.
  unsafe fn array_buffer(&self, env: sys::napi_env, ptr: *const u8, len: usize, block: Block) -> Result<sys::napi_value> {
    let mut views = self.views.borrow_mut();
    if let Some(v) = views.get(&(ptr as usize)) {
      let mut ab = std::ptr::null_mut();
      check_status!(unsafe { sys::napi_get_reference_value(env, v.array_buffer, &mut ab) })?;
      if !ab.is_null() {
        return Ok(ab);
      }
      unsafe { sys::napi_delete_reference(env, v.array_buffer) };
      views.remove(&(ptr as usize));
    }
    // A new block: the ones the pool let go need not be kept any longer.
    views.retain(|_, v| {
      let last = unsafe { (*v.block).is_last() };
      if last {
        unsafe { sys::napi_delete_reference(env, v.array_buffer) };
      }
      !last
    });
    let hint = Box::into_raw(Box::new(block));
    let mut ab = std::ptr::null_mut();
    let status = unsafe { sys::napi_create_external_arraybuffer(env, ptr as *mut c_void, len, Some(block_gone), hint.cast(), &mut ab) };
    if status == sys::Status::napi_pending_exception || status == sys::Status::napi_invalid_arg {
      // Refused before Node took the finalizer: the block reference is still ours.
      drop(unsafe { Box::from_raw(hint) });
    }
    check_status!(status, "creating an ArrayBuffer over a frame block")?;
    if self.closed.get() {
      return Ok(ab);
    }
    let mut r = std::ptr::null_mut();
    check_status!(unsafe { sys::napi_create_reference(env, ab, 1, &mut r) })?;
    views.insert(ptr as usize, View { array_buffer: r, block: hint });
    Ok(ab)
  }

  /// Forgets every block, now and from now on (close): their ArrayBuffers live on as long as views do.
  pub fn clear(&self, env: sys::napi_env) {
    self.closed.set(true);
    for (_, v) in self.views.borrow_mut().drain() {
      unsafe { sys::napi_delete_reference(env, v.array_buffer) };
    }
  }
}

/// A decoder's lease table and its blocks' ArrayBuffers (decoders made with `leases`).
pub type LeaseState = (Arc<Leases>, Arc<BlockViews>);

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
  /// Milliseconds the unit waited for its turn after decode() queued it (behind the decoder's earlier
  /// units and, on the shared pool, other decoders' turns).
  pub wait_ms: f64,
  /// On the shared decoder pool: how many units of any pooled decoder the pool started before this one.
  pub turn: Option<f64>,
}

/// The core's output as JS values: frames in blocks go out under a lease when the decoder has leases,
/// every other frame as an external Buffer.
pub fn to_js(out: decoder::Output, pool: &Arc<FramePool>, leases: Option<&LeaseState>) -> DecodeResult {
  let frames = out
    .frames
    .into_iter()
    .map(|f| {
      let (data, lease) = match (f.data, leases) {
        (FrameData::Shared(mut b), Some((leases, views))) => match b.take_block() {
          Some(block) => {
            let (ptr, len) = (b.as_slice().as_ptr(), b.as_slice().len());
            let id = leases.lease(b);
            (Bytes::Leased(Leased { ptr, len, block, views: views.clone() }), Some(id))
          }
          None => (Bytes::Frame(FrameData::Shared(b)), None),
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
  DecodeResult {
    frames,
    rejected: out.rejected,
    codec_ms: out.codec_ns as f64 / 1e6,
    pack_ms: out.pack_ns as f64 / 1e6,
    wait_ms: out.wait_ns as f64 / 1e6,
    turn: out.turn.map(|t| t as f64),
  }
}
