//! A decoder on its own thread, fed in order. Callers queue access units without waiting for earlier ones,
//! so the codec never idles while the caller (the JS thread) parses the next unit or handles the last
//! frame: with frame threads, a caller that waited for each unit in turn left all but one of them idle
//! for every round trip. Jobs run strictly in submission order (FIFO channels, one thread a stage).
//!
//! With `pack_thread`, a second thread packs the decoded frames (the copy out of libavcodec's padded
//! pool) while the decoder thread goes on with the next unit: that copy is ~5-10% of a software decode
//! and would otherwise sit on the codec's critical path. Live decoding packs inline (one hop fewer), and
//! frames handed on unpacked need no packing (the binding then spawns no pack thread).
use crate::decoder::{Decoder, Output};
use crate::error::{NativeError, Result};
use crate::pool::FramePool;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;

pub enum Job {
  Decode { data: Vec<u8>, pts: Option<i64>, dts: Option<i64>, key: bool },
  /// End of stream: the frames held for reordering.
  Finish,
  /// Drop references and queued output.
  Reset,
}

/// Called on the worker thread with the job's result.
pub type Done = Box<dyn FnOnce(Result<Output>) + Send>;

pub struct Worker {
  tx: Option<mpsc::Sender<(Job, Option<Done>)>>,
  closed: Arc<AtomicBool>,
  thread: Option<JoinHandle<()>>,
  packer: Option<JoinHandle<()>>,
}

type Packed = (Result<Output>, Option<Done>);

/// Packs each result's raw frames, in order, then hands it on.
fn spawn_packer(format: crate::decoder::OutFormat, pool: Arc<FramePool>) -> Result<(mpsc::Sender<Packed>, JoinHandle<()>)> {
  let (tx, rx) = mpsc::channel::<Packed>();
  let t = std::thread::Builder::new()
    .name("g2g-h264pack".into())
    .spawn(move || {
      for (result, done) in rx {
        let result = result.and_then(|mut out| {
          catch_unwind(AssertUnwindSafe(|| out.pack_raw(format, &pool)))
            .unwrap_or_else(|p| Err(NativeError::from_panic("pack", &*p)))
            .map(|_| out)
        });
        match done {
          Some(done) => done(result),
          None => drop(result),
        }
      }
    })
    .map_err(|e| NativeError::Resource(format!("starting the frame packing thread: {e}")))?;
  Ok((tx, t))
}

impl Worker {
  pub fn spawn(mut dec: Decoder, pack_thread: bool) -> Result<Self> {
    let (packer_tx, packer) = if pack_thread {
      dec.set_pack_later(true);
      let (tx, t) = spawn_packer(dec.format(), dec.pool())?;
      (Some(tx), Some(t))
    } else {
      (None, None)
    };
    let (tx, rx) = mpsc::channel::<(Job, Option<Done>)>();
    let closed = Arc::new(AtomicBool::new(false));
    let stop = closed.clone();
    let thread = std::thread::Builder::new()
      .name("g2g-h264dec".into())
      .spawn(move || {
        let mut poisoned = false;
        for (job, done) in rx {
          let result = if stop.load(Ordering::Acquire) {
            Err(NativeError::Cancelled)
          } else if poisoned {
            Err(NativeError::Poisoned { what: "decoder" })
          } else {
            catch_unwind(AssertUnwindSafe(|| match job {
              Job::Decode { data, pts, dts, key } => dec.decode(&data, pts, dts, key),
              Job::Finish => dec.finish(),
              Job::Reset => {
                dec.reset();
                Ok(Output::default())
              }
            }))
            .unwrap_or_else(|p| {
              poisoned = true;
              Err(NativeError::from_panic("decode", &*p))
            })
          };
          match (&packer_tx, done) {
            (Some(p), done) => {
              if let Err(mpsc::SendError((result, Some(done)))) = p.send((result, done)) {
                done(result.and(Err(NativeError::Internal("frame packing thread gone".into()))));
              }
            }
            (None, Some(done)) => done(result),
            // Nobody waits for this result (a reset): its frames, if any, are freed on drop.
            (None, None) => drop(result),
          }
        }
        // The channel closed: the decoder is freed here, on its own thread, after its last job (frames
        // still queued for packing hold references of their own). The packer ends when its sender drops.
      })
      .map_err(|e| NativeError::Resource(format!("starting the decoder thread: {e}")))?;
    Ok(Self { tx: Some(tx), closed, thread: Some(thread), packer })
  }

  /// Queues a job; `done` runs on the worker thread when it has run. Err gives `done` back when closed.
  pub fn submit(&self, job: Job, done: Option<Done>) -> Result<(), Option<Done>> {
    match &self.tx {
      Some(tx) if !self.closed.load(Ordering::Acquire) => tx.send((job, done)).map_err(|e| e.0 .1),
      _ => Err(done),
    }
  }

  pub fn is_closed(&self) -> bool {
    self.tx.is_none()
  }

  /// Stops the worker: queued jobs fail with "closed", the one running finishes, and the decoder is
  /// freed before this returns. Idempotent.
  pub fn close(&mut self) {
    self.closed.store(true, Ordering::Release);
    self.tx.take();
    if let Some(t) = self.thread.take() {
      let _ = t.join();
    }
    if let Some(t) = self.packer.take() {
      let _ = t.join();
    }
  }
}

impl Drop for Worker {
  fn drop(&mut self) {
    self.close();
  }
}
