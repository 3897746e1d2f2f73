//! The shared decoder pool (`sched.rs`) seen from JS: its counters, and its size; and the hardware device
//! contexts decoders share (`hwdevice.rs`).
use crate::error::NativeError;
use crate::hwdevice;
use crate::sched;
use napi_derive::napi;

#[napi(object)]
pub struct DecodePoolStats {
  /// Threads the pool may run (one per core, G2G_DECODE_THREADS, or `setDecodePoolThreads`).
  pub size: u32,
  /// Threads alive now: min(size, pooled decoders open); none when no pooled decoder is open.
  pub threads: u32,
  /// Pooled decoders open.
  pub strands: u32,
  /// Units waiting for their decoder's turn.
  pub queued: u32,
  /// Units being decoded now.
  pub running: u32,
  /// Units (and finish/reset calls) run since the process started.
  pub jobs_run: f64,
  /// Units dropped by a close before they ran.
  pub jobs_cancelled: f64,
}

/// The shared decoder pool's counters.
#[napi]
pub fn decode_pool_stats() -> DecodePoolStats {
  let s = sched::decode_pool().stats();
  DecodePoolStats {
    size: s.size as u32,
    threads: s.threads as u32,
    strands: s.strands as u32,
    queued: s.queued as u32,
    running: s.running as u32,
    jobs_run: s.jobs_run as f64,
    jobs_cancelled: s.jobs_cancelled as f64,
  }
}

/// Sets how many threads the shared decoder pool runs (0: the default, G2G_DECODE_THREADS or one per
/// core). Takes effect at once: extra threads end after their current unit, new ones start where pooled
/// decoders are open.
#[napi]
pub fn set_decode_pool_threads(threads: u32) -> napi::Result<()> {
  if threads as usize > sched::MAX_THREADS {
    return Err(NativeError::invalid(format!("decode pool threads must be in [0, {}], got {threads}", sched::MAX_THREADS)).into());
  }
  sched::decode_pool().set_size(threads as usize).map_err(Into::into)
}

#[napi(object)]
pub struct HwDeviceStats {
  /// Shared device contexts per device (`G2G_HW_CONTEXTS`, default 8; 0: a context per decoder).
  pub contexts_per_device: u32,
  /// Device contexts open now.
  pub open: u32,
  /// Hardware decoders on them.
  pub decoders: u32,
  /// Device contexts created and freed since the process started.
  pub created: f64,
  pub freed: f64,
}

/// The CUDA device contexts hardware decoders share (one per shard, made by its first decoder and
/// freed with its last).
#[napi]
pub fn hw_device_stats() -> HwDeviceStats {
  let s = hwdevice::devices().stats();
  HwDeviceStats {
    contexts_per_device: s.contexts_per_device as u32,
    open: s.open as u32,
    decoders: s.users as u32,
    created: s.created as f64,
    freed: s.freed as f64,
  }
}
