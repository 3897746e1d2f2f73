//! Process-wide queries: which decoder backends work here, FFmpeg's version, which encoders it has.
use crate::backend;
use napi_derive::napi;

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
      let reason = backend::unavailable(*b);
      BackendStatus { name: b.name().into(), available: reason.is_none(), reason: reason.map(Into::into) }
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
  backend::has_encoder(&name)
}
