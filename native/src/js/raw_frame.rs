//! The raw-frame arguments the display sinks' `present` takes from JS (format name, per-plane offsets and
//! strides), checked once for both.
use crate::error::NativeError;
use crate::wayland::convert::InFormat;

/// Planes as (offset, stride) each; None: tightly packed.
pub type Planes = Option<Vec<(usize, usize)>>;

/// The format and plane layout of a frame given to `sink` (named in errors).
pub fn frame_args(sink: &str, format: &str, offsets: Option<Vec<u32>>, strides: Option<Vec<u32>>) -> Result<(InFormat, Planes), NativeError> {
  let fmt = InFormat::parse(format).ok_or_else(|| NativeError::invalid(format!("{sink} cannot show format '{format}' (BGRx, RGBA, I420, NV12)")))?;
  let planes = match (offsets, strides) {
    (None, None) => None,
    (Some(o), Some(s)) if o.len() == s.len() => Some(o.into_iter().zip(s).map(|(o, s)| (o as usize, s as usize)).collect()),
    _ => return Err(NativeError::invalid("offsets and strides go together, one of each per plane")),
  };
  Ok((fmt, planes))
}
