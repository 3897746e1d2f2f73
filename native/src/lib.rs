//! glass2glass's native layer. The pure-Rust core (decoder, encoder, worker, sched, pool, backend, hwdevice,
//! cuda, over the C shim's ffi) knows nothing of Node, so examples and unit tests use it without the addon;
//! `js` is the thin napi binding over it: argument conversion, frame hand-over to JS and error mapping only.
#![deny(clippy::all)]

pub mod audio;
pub mod backend;
/// A CUDA stream per NVDEC decoder (libcuda loaded at run time).
pub mod cuda;
pub mod decoder;
pub mod encoder;
pub mod error;
pub mod ffi;
/// Hardware device contexts shared by decoders (a refcounted, sharded cache).
pub mod hwdevice;
/// kmsSink's DRM/KMS core. Also built for unit tests without the feature: its pure parts (mode choice,
/// connector names, layouts) are tested by `cargo test --no-default-features --lib` like the rest of the core.
#[cfg(any(feature = "kms", test))]
pub mod kms;
pub mod pool;
/// pulseSink/pulseSrc's core (libpulse's simple API on threads), with the `pulse` feature.
#[cfg(feature = "pulse")]
pub mod pulse;
/// The shared decoder thread pool: many decoders (strands), a thread per core.
pub mod sched;
pub mod wayland;
pub mod worker;

pub use error::NativeError;

/// The JS-facing items; off for Rust-only users of the core (examples, tests) so that they link without Node.
/// (Unit tests build it without registering exports, so its free functions look unused there.)
#[cfg(feature = "node")]
#[cfg_attr(test, allow(dead_code))]
mod js;
