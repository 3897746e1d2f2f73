//! Decoder backends and their run-time probes. Nothing GPU-specific is linked: libavcodec loads the
//! NVIDIA (libcuda, libnvcuvid) and VA-API driver libraries itself when a device is created, so one build
//! runs everywhere and a missing GPU is an answer ("not available: …"), not a load failure.
use crate::error::{NativeError, Result};
use crate::ffi;
use std::ffi::CString;
use std::sync::OnceLock;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Backend {
  /// libavcodec's `h264` decoder on the CPU.
  Software,
  /// libavcodec's `h264` decoder with the CUDA hwaccel (NVDEC); frames come back to system memory.
  Nvdec,
  /// `h264_cuvid`: NVDEC through NVIDIA's own parser (an alternative to the hwaccel, never picked by default).
  Cuvid,
  /// libavcodec's `h264` decoder with the VA-API hwaccel (only with the `vaapi` cargo feature).
  Vaapi,
}

impl Backend {
  /// Tried in this order when no backend is asked for.
  pub const PREFERENCE: [Backend; 3] = [Backend::Nvdec, Backend::Vaapi, Backend::Software];
  pub const ALL: [Backend; 4] = [Backend::Software, Backend::Nvdec, Backend::Cuvid, Backend::Vaapi];

  pub fn parse(s: &str) -> Result<Self> {
    match s {
      "software" => Ok(Self::Software),
      "nvdec" => Ok(Self::Nvdec),
      "cuvid" => Ok(Self::Cuvid),
      "vaapi" => Ok(Self::Vaapi),
      _ => Err(NativeError::invalid(format!("backend must be one of software, nvdec, cuvid, vaapi (or auto), got '{s}'"))),
    }
  }
  pub fn name(self) -> &'static str {
    match self {
      Self::Software => "software",
      Self::Nvdec => "nvdec",
      Self::Cuvid => "cuvid",
      Self::Vaapi => "vaapi",
    }
  }
  pub fn codec(self) -> &'static str {
    match self {
      Self::Cuvid => "h264_cuvid",
      _ => "h264",
    }
  }
  pub fn hw(self) -> i32 {
    match self {
      Self::Nvdec => ffi::HW_CUDA,
      Self::Vaapi => ffi::HW_VAAPI,
      _ => ffi::HW_NONE,
    }
  }
}

fn has_decoder(name: &str) -> bool {
  let c = CString::new(name).unwrap();
  unsafe { ffi::g2g_has_decoder(c.as_ptr()) != 0 }
}

fn dlopen(lib: &str) -> Result<(), String> {
  let c = CString::new(lib).unwrap();
  let mut err = ffi::ErrBuf::new();
  if unsafe { ffi::g2g_can_dlopen(c.as_ptr(), err.ptr(), err.capacity()) } != 0 {
    Ok(())
  } else {
    Err(err.text())
  }
}

fn hw_device(kind: i32) -> Result<(), String> {
  let mut err = ffi::ErrBuf::new();
  if unsafe { ffi::g2g_probe_hw_device(kind, std::ptr::null(), err.ptr(), err.capacity()) } != 0 {
    Ok(())
  } else {
    Err(err.text())
  }
}

/// Err: why not, as text for a status report (`unavailable`).
fn probe(b: Backend) -> Result<(), String> {
  ffi::init_logging();
  if !has_decoder(b.codec()) {
    return Err(format!("this libavcodec ({}) has no '{}' decoder", unsafe { ffi::cstr(ffi::g2g_version()) }, b.codec()));
  }
  match b {
    Backend::Software => Ok(()),
    Backend::Nvdec | Backend::Cuvid => {
      dlopen("libcuda.so.1").map_err(|e| format!("no NVIDIA driver (libcuda.so.1): {e}"))?;
      dlopen("libnvcuvid.so.1").map_err(|e| format!("no NVDEC library (libnvcuvid.so.1): {e}"))?;
      hw_device(ffi::HW_CUDA).map_err(|e| format!("no usable CUDA device: {e}"))
    }
    Backend::Vaapi => {
      if !cfg!(feature = "vaapi") {
        return Err("built without the 'vaapi' cargo feature".into());
      }
      dlopen("libva.so.2").map_err(|e| format!("no libva: {e}"))?;
      hw_device(ffi::HW_VAAPI).map_err(|e| format!("no usable VA-API device (/dev/dri/renderD128): {e}"))
    }
  }
}

/// Why `b` cannot decode here; None when it can. Probed once per process (a CUDA probe costs ~100 ms).
/// A reason is data for a status report, not an error: `check` makes it one.
pub fn unavailable(b: Backend) -> Option<&'static str> {
  static CACHE: [OnceLock<Result<(), String>>; 4] = [OnceLock::new(), OnceLock::new(), OnceLock::new(), OnceLock::new()];
  let i = Backend::ALL.iter().position(|x| *x == b).unwrap();
  CACHE[i].get_or_init(|| probe(b)).as_ref().err().map(String::as_str)
}

/// `unavailable` as an error, for a backend that was asked for by name.
pub fn check(b: Backend) -> Result<()> {
  match unavailable(b) {
    None => Ok(()),
    Some(reason) => Err(NativeError::Unavailable { backend: b.name(), reason: reason.into() }),
  }
}

/// Whether this libavcodec has an encoder of this name (libx264, libopenh264, h264_nvenc).
pub fn has_encoder(name: &str) -> bool {
  let Ok(c) = CString::new(name) else { return false };
  unsafe { ffi::g2g_has_encoder(c.as_ptr()) != 0 }
}

/// FFmpeg's version string (e.g. "5.1.9-0+deb12u1").
pub fn ffmpeg_version() -> String {
  unsafe { ffi::cstr(ffi::g2g_version()) }
}
