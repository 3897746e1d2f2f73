//! The core's one error type. It knows nothing of Node: the binding (`js`) maps it to a napi error, and the
//! Display text is the JS error's message, which the element and the tests match, so it is kept as it was
//! when these were plain strings.
use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NativeError {
  /// A bad option or argument (the caller's to fix): the text says which and why.
  InvalidArgument(String),
  /// The backend asked for cannot decode on this machine.
  Unavailable { backend: &'static str, reason: String },
  /// libavcodec refused: what was being done, and its own text for why.
  Codec { context: String, detail: String },
  /// A decoded pixel format the core does not convert (by libavcodec's name for it).
  Unsupported { format: String },
  /// The object was used after close().
  Closed,
  /// Queued work dropped by close() before it ran.
  Cancelled,
  /// A Rust panic caught at a thread or JS boundary.
  Panic { during: &'static str, message: String },
  /// An earlier panic left the object unusable (`what`: decoder, object).
  Poisoned { what: &'static str },
  /// The system ran out of something: memory, threads.
  Resource(String),
  /// The display (Wayland compositor) is missing, refused us or went away: the text says which.
  Display(String),
  /// The sound server (PulseAudio) is missing, refused us or went away: the text says which.
  Audio(String),
  /// libavcodec or a native thread broke a rule the core relies on (a bug, here or there).
  Internal(String),
}

impl NativeError {
  /// A stable name for the kind of error, for matching on without parsing the message.
  pub fn code(&self) -> &'static str {
    match self {
      Self::InvalidArgument(_) => "INVALID_ARGUMENT",
      Self::Unavailable { .. } => "UNAVAILABLE",
      Self::Codec { .. } => "CODEC",
      Self::Unsupported { .. } => "UNSUPPORTED",
      Self::Closed => "CLOSED",
      Self::Cancelled => "CANCELLED",
      Self::Panic { .. } => "PANIC",
      Self::Poisoned { .. } => "POISONED",
      Self::Resource(_) => "RESOURCE",
      Self::Internal(_) => "INTERNAL",
      Self::Display(_) => "DISPLAY",
      Self::Audio(_) => "AUDIO",
    }
  }

  /// A caught panic's payload as an error (panics carry a &str or a String; anything else is "unknown").
  pub fn from_panic(during: &'static str, payload: &(dyn std::any::Any + Send)) -> Self {
    let message = payload
      .downcast_ref::<&str>()
      .map(|s| s.to_string())
      .or_else(|| payload.downcast_ref::<String>().cloned())
      .unwrap_or_else(|| "unknown".into());
    Self::Panic { during, message }
  }

  pub(crate) fn invalid(msg: impl Into<String>) -> Self {
    Self::InvalidArgument(msg.into())
  }

  pub(crate) fn codec(context: impl Into<String>, detail: impl Into<String>) -> Self {
    Self::Codec { context: context.into(), detail: detail.into() }
  }
}

impl fmt::Display for NativeError {
  fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    match self {
      Self::InvalidArgument(m) | Self::Resource(m) | Self::Internal(m) | Self::Display(m) | Self::Audio(m) => f.write_str(m),
      // "backend 'x' not available: …" is matched by test/native/robustness.test.ts.
      Self::Unavailable { backend, reason } => write!(f, "backend '{backend}' not available: {reason}"),
      Self::Codec { context, detail } => write!(f, "{context}: {detail}"),
      Self::Unsupported { format } => write!(f, "unsupported decoded pixel format '{format}': only 8-bit 4:2:0 H.264 (yuv420p, nv12) is supported"),
      // "after close" is matched by test/native/robustness.test.ts.
      Self::Closed => f.write_str("used after close()"),
      Self::Cancelled => f.write_str("decoder closed before this unit was decoded"),
      Self::Panic { during, message } => write!(f, "native panic in {during}: {message}"),
      Self::Poisoned { what } => write!(f, "native {what} poisoned by an earlier panic"),
    }
  }
}

impl std::error::Error for NativeError {}

pub type Result<T, E = NativeError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn messages_the_js_side_matches_are_kept() {
    assert_eq!(NativeError::Closed.to_string(), "used after close()");
    let e = NativeError::Unavailable { backend: "nvdec", reason: "no NVIDIA driver".into() };
    assert_eq!(e.to_string(), "backend 'nvdec' not available: no NVIDIA driver");
    assert_eq!(NativeError::codec("receiving a frame", "Invalid data").to_string(), "receiving a frame: Invalid data");
    let p = NativeError::from_panic("encode", &"boom");
    assert_eq!((p.to_string().as_str(), p.code()), ("native panic in encode: boom", "PANIC"));
  }
}
