//! Declarations of the C shim (src/shim.c). Only plain C types cross this boundary; the shim alone
//! touches FFmpeg structs, compiled against the system headers, so FFmpeg's struct layout never has to be
//! restated (or guessed) in Rust.
#![allow(non_camel_case_types)]
use std::ffi::{c_char, c_int, c_uint, c_void, CStr};

pub const FMT_OTHER: c_int = -1;
pub const FMT_YUV420P: c_int = 0;
pub const FMT_NV12: c_int = 1;

pub const HW_NONE: c_int = 0;
pub const HW_CUDA: c_int = 1;
pub const HW_VAAPI: c_int = 2;

pub const THREAD_FRAME: c_int = 1;
pub const THREAD_SLICE: c_int = 2;

#[repr(C)]
pub struct G2gDec {
  _private: [u8; 0],
}
/// A decoded frame referenced out of the decoder (an AVFrame).
#[repr(C)]
pub struct G2gFrame {
  _private: [u8; 0],
}
/// A reference-counted libavcodec buffer (an AVBufferRef) holding a whole decoded frame.
#[repr(C)]
pub struct G2gBuffer {
  _private: [u8; 0],
}
/// The memory behind one of the decoder's frame buffers, reference-counted apart from the AVBufferRef.
#[repr(C)]
pub struct G2gBlock {
  _private: [u8; 0],
}
/// A libavutil hardware device context (an AVBufferRef over an AVHWDeviceContext).
#[repr(C)]
pub struct G2gHwDevice {
  _private: [u8; 0],
}
#[repr(C)]
pub struct G2gEnc {
  _private: [u8; 0],
}

#[repr(C)]
pub struct G2gFrameInfo {
  pub width: c_int,
  pub height: c_int,
  pub format: c_int,
  pub format_name: *const c_char,
  pub data: [*const u8; 4],
  pub linesize: [c_int; 4],
  pub pts: i64,
  pub key: c_int,
  pub corrupt: c_int,
}

impl Default for G2gFrameInfo {
  fn default() -> Self {
    Self {
      width: 0,
      height: 0,
      format: FMT_OTHER,
      format_name: std::ptr::null(),
      data: [std::ptr::null(); 4],
      linesize: [0; 4],
      pts: 0,
      key: 0,
      corrupt: 0,
    }
  }
}

#[repr(C)]
pub struct G2gEncConfig {
  pub codec: *const c_char,
  pub width: c_int,
  pub height: c_int,
  pub nv12: c_int,
  pub fps_num: c_int,
  pub fps_den: c_int,
  pub bitrate: i64,
  pub crf: f64,
  pub gop: c_int,
  pub bframes: c_int,
  pub threads: c_int,
  pub preset: *const c_char,
  pub tune: *const c_char,
  pub profile: *const c_char,
  pub params: *const c_char,
}

#[repr(C)]
pub struct G2gPacketInfo {
  pub data: *const u8,
  pub size: c_int,
  pub pts: i64,
  pub dts: i64,
  pub key: c_int,
}

impl Default for G2gPacketInfo {
  fn default() -> Self {
    Self { data: std::ptr::null(), size: 0, pts: 0, dts: 0, key: 0 }
  }
}

pub const SF_OTHER: c_int = -1;
pub const SF_S16: c_int = 0;
pub const SF_F32: c_int = 1;

/// An audio decoder or encoder (shim_audio.c).
#[repr(C)]
pub struct G2gAudio {
  _private: [u8; 0],
}

#[repr(C)]
pub struct G2gAudioInfo {
  pub rate: c_int,
  pub channels: c_int,
  pub samples: c_int,
  pub format: c_int,
  pub planar: c_int,
  pub format_name: *const c_char,
  pub planes: *const *const u8,
}

impl Default for G2gAudioInfo {
  fn default() -> Self {
    Self { rate: 0, channels: 0, samples: 0, format: SF_OTHER, planar: 0, format_name: std::ptr::null(), planes: std::ptr::null() }
  }
}

#[repr(C)]
pub struct G2gAudioEncInfo {
  pub frame_size: c_int,
  pub initial_padding: c_int,
  pub format: c_int,
  pub planar: c_int,
  pub small_last: c_int,
  pub extradata: *const u8,
  pub extradata_size: c_int,
}

impl Default for G2gAudioEncInfo {
  fn default() -> Self {
    Self { frame_size: 0, initial_padding: 0, format: SF_OTHER, planar: 0, small_last: 0, extradata: std::ptr::null(), extradata_size: 0 }
  }
}

#[repr(C)]
pub struct G2gAudioPacket {
  pub data: *const u8,
  pub size: c_int,
  pub pts: i64,
  pub duration: i64,
}

impl Default for G2gAudioPacket {
  fn default() -> Self {
    Self { data: std::ptr::null(), size: 0, pts: 0, duration: 0 }
  }
}

extern "C" {
  pub fn g2g_adec_open(
    out: *mut *mut G2gAudio,
    codec: *const c_char,
    extradata: *const u8,
    extradata_size: c_int,
    rate: c_int,
    channels: c_int,
    err: *mut c_char,
    errlen: c_int,
  ) -> c_int;
  pub fn g2g_adec_send(a: *mut G2gAudio, data: *const u8, size: c_int) -> c_int;
  pub fn g2g_adec_receive(a: *mut G2gAudio, info: *mut G2gAudioInfo) -> c_int;
  pub fn g2g_audio_flush(a: *mut G2gAudio);
  pub fn g2g_audio_close(a: *mut G2gAudio);
  pub fn g2g_aenc_open(
    out: *mut *mut G2gAudio,
    codec: *const c_char,
    rate: c_int,
    channels: c_int,
    bitrate: i64,
    info: *mut G2gAudioEncInfo,
    err: *mut c_char,
    errlen: c_int,
  ) -> c_int;
  pub fn g2g_aenc_send(a: *mut G2gAudio, data: *const u8, samples: c_int, pts: i64) -> c_int;
  pub fn g2g_aenc_receive(a: *mut G2gAudio, info: *mut G2gAudioPacket) -> c_int;
}

extern "C" {
  pub fn g2g_set_log_level(level: c_int);
  pub fn g2g_version() -> *const c_char;
  pub fn g2g_avcodec_version() -> c_uint;
  pub fn g2g_has_decoder(name: *const c_char) -> c_int;
  pub fn g2g_has_encoder(name: *const c_char) -> c_int;
  pub fn g2g_can_dlopen(lib: *const c_char, err: *mut c_char, errlen: c_int) -> c_int;
  pub fn g2g_probe_hw_device(kind: c_int, device: *const c_char, err: *mut c_char, errlen: c_int) -> c_int;

  pub fn g2g_hwdevice_create(kind: c_int, device: *const c_char, err: *mut c_char, errlen: c_int) -> *mut G2gHwDevice;
  pub fn g2g_hwdevice_ref(dev: *mut G2gHwDevice) -> *mut G2gHwDevice;
  pub fn g2g_hwdevice_unref(dev: *mut G2gHwDevice);
  pub fn g2g_hwdevice_cuda_ctx(dev: *mut G2gHwDevice) -> *mut c_void;
  pub fn g2g_hwdevice_cuda_wrap(
    shared: *mut G2gHwDevice,
    stream: *mut c_void,
    release: Option<unsafe extern "C" fn(stream: *mut c_void, cuda_ctx: *mut c_void)>,
    err: *mut c_char,
    errlen: c_int,
  ) -> *mut G2gHwDevice;

  pub fn g2g_dec_open(
    out: *mut *mut G2gDec,
    codec: *const c_char,
    threads: c_int,
    thread_type: c_int,
    low_delay: c_int,
    output_corrupt: c_int,
    extradata: *const u8,
    extradata_size: c_int,
    hw: c_int,
    hw_device: *mut G2gHwDevice,
    err: *mut c_char,
    errlen: c_int,
  ) -> c_int;
  pub fn g2g_dec_send(d: *mut G2gDec, data: *const u8, size: c_int, pts: i64, dts: i64, key: c_int) -> c_int;
  pub fn g2g_dec_receive(d: *mut G2gDec, info: *mut G2gFrameInfo) -> c_int;
  pub fn g2g_dec_take(d: *mut G2gDec) -> *mut G2gFrame;
  pub fn g2g_frame_free(f: *mut G2gFrame);
  pub fn g2g_dec_flush(d: *mut G2gDec);
  pub fn g2g_dec_share(d: *mut G2gDec, base: *mut *const u8, size: *mut usize, block: *mut *mut G2gBlock) -> *mut G2gBuffer;
  pub fn g2g_block_unref(b: *mut G2gBlock);
  pub fn g2g_block_refs(b: *const G2gBlock) -> c_int;
  pub fn g2g_buffer_unref(b: *mut G2gBuffer);
  pub fn g2g_dec_pool_counts(d: *mut G2gDec, allocs: *mut u64, gets: *mut u64);
  pub fn g2g_dec_close(d: *mut G2gDec);

  pub fn g2g_enc_open(out: *mut *mut G2gEnc, cfg: *const G2gEncConfig, err: *mut c_char, errlen: c_int) -> c_int;
  pub fn g2g_enc_send(e: *mut G2gEnc, data: *const u8, size: c_int, offsets: *const c_int, linesizes: *const c_int, pts: i64, force_key: c_int) -> c_int;
  pub fn g2g_enc_receive(e: *mut G2gEnc, info: *mut G2gPacketInfo) -> c_int;
  pub fn g2g_enc_close(e: *mut G2gEnc);

  pub fn g2g_averror_eagain() -> c_int;
  pub fn g2g_averror_eof() -> c_int;
  pub fn g2g_nopts() -> i64;
  pub fn g2g_strerror(code: c_int, buf: *mut c_char, len: c_int);
}


/// FFmpeg's text for an AVERROR code.
pub fn strerror(code: c_int) -> String {
  let mut buf = [0 as c_char; 128];
  unsafe {
    g2g_strerror(code, buf.as_mut_ptr(), buf.len() as c_int);
    cstr(buf.as_ptr())
  }
}

/// A C string (or "" for NULL) as an owned String.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string (the shim's and FFmpeg's strings are).
pub unsafe fn cstr(p: *const c_char) -> String {
  if p.is_null() {
    return String::new();
  }
  unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

/// An error buffer for the shim to describe a failure in.
pub struct ErrBuf(pub [c_char; 256]);

impl Default for ErrBuf {
  fn default() -> Self {
    Self::new()
  }
}

impl ErrBuf {
  pub fn new() -> Self {
    Self([0; 256])
  }
  pub fn ptr(&mut self) -> *mut c_char {
    self.0.as_mut_ptr()
  }
  /// Its size, for the shim's `errlen`.
  pub fn capacity(&self) -> c_int {
    self.0.len() as c_int
  }
  pub fn text(&self) -> String {
    // Zeroed at creation and written by snprintf: always NUL-terminated.
    unsafe { cstr(self.0.as_ptr()) }
  }
}

/// Silences FFmpeg's own logging (corrupt input makes the h264 decoder log per macroblock) unless
/// G2G_FFMPEG_LOG=<av log level> asks for it; errors reach JS as values, not stderr lines.
pub fn init_logging() {
  static ONCE: std::sync::Once = std::sync::Once::new();
  ONCE.call_once(|| {
    let level = std::env::var("G2G_FFMPEG_LOG").ok().and_then(|v| v.parse::<c_int>().ok()).unwrap_or(-8);
    unsafe { g2g_set_log_level(level) };
  });
}
