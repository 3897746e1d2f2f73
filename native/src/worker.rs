//! A decoder fed in order, on a thread of its own or on a strand of the shared decoder pool (`sched.rs`).
//! Callers queue access units without waiting for earlier ones, so the codec never idles while the caller
//! (the JS thread) parses the next unit or handles the last frame: with frame threads, a caller that waited
//! for each unit in turn left all but one of them idle for every round trip. Jobs run strictly in
//! submission order either way (FIFO channels, one thread a stage; or the strand's own order).
//!
//! With `pack_thread`, a second thread packs the decoded frames (the copy out of libavcodec's padded
//! pool) while the decoder thread goes on with the next unit: that copy is ~5-10% of a software decode
//! and would otherwise sit on the codec's critical path. Live decoding packs inline (one hop fewer), and
//! frames handed on unpacked need no packing (the binding then spawns no pack thread). A pooled decoder
//! packs inline too: with many streams the pool's other threads are busy with the other streams.
use crate::decoder::{Decoder, Output};
use crate::error::{NativeError, Result};
use crate::pool::FramePool;
use crate::sched::{Pool, Run, Strand};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;

pub enum Job {
  Decode { data: Vec<u8>, pts: Option<i64>, dts: Option<i64>, key: bool },
  /// End of stream: the frames held for reordering.
  Finish,
  /// Drop references and queued output.
  Reset,
}

/// Called on the worker thread with the job's result.
pub type Done = Box<dyn FnOnce(Result<Output>) + Send>;

pub struct Worker(Kind);

enum Kind {
  Own(OwnThread),
  Pooled(Pooled),
}

/// The decoder on a thread of its own (and, optionally, a pack thread).
struct OwnThread {
  tx: Option<mpsc::Sender<(Job, Instant, Option<Done>)>>,
  closed: Arc<AtomicBool>,
  thread: Option<JoinHandle<()>>,
  packer: Option<JoinHandle<()>>,
}

/// The decoder on a strand of a shared pool: the strand runs its jobs one at a time, in order, so the lock
/// is never contended; it only makes the decoder reachable from whichever pool thread has the turn.
struct Pooled {
  strand: Strand,
  dec: Arc<Mutex<PooledDecoder>>,
}

struct PooledDecoder {
  /// None once closed.
  dec: Option<Decoder>,
  poisoned: bool,
}

/// Runs one job on the decoder, a panic caught as the job's error (the decoder is then poisoned: its state
/// is unknown, so later jobs fail instead of running on it).
fn run_job(dec: &mut Decoder, job: Job, queued: Instant, poisoned: &mut bool) -> Result<Output> {
  if *poisoned {
    return Err(NativeError::Poisoned { what: "decoder" });
  }
  let wait_ns = queued.elapsed().as_nanos() as u64;
  catch_unwind(AssertUnwindSafe(|| match job {
    Job::Decode { data, pts, dts, key } => dec.decode(&data, pts, dts, key),
    Job::Finish => dec.finish(),
    Job::Reset => {
      dec.reset();
      Ok(Output::default())
    }
  }))
  .unwrap_or_else(|p| {
    *poisoned = true;
    Err(NativeError::from_panic("decode", &*p))
  })
  .map(|out| Output { wait_ns, ..out })
}

fn deliver(result: Result<Output>, done: Option<Done>) {
  match done {
    Some(done) => done(result),
    // Nobody waits for this result (a reset): its frames, if any, are freed on drop.
    None => drop(result),
  }
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
    let (tx, rx) = mpsc::channel::<(Job, Instant, Option<Done>)>();
    let closed = Arc::new(AtomicBool::new(false));
    let stop = closed.clone();
    let thread = std::thread::Builder::new()
      .name("g2g-h264dec".into())
      .spawn(move || {
        let mut poisoned = false;
        for (job, queued, done) in rx {
          let result = if stop.load(Ordering::Acquire) { Err(NativeError::Cancelled) } else { run_job(&mut dec, job, queued, &mut poisoned) };
          match &packer_tx {
            Some(p) => {
              if let Err(mpsc::SendError((result, Some(done)))) = p.send((result, done)) {
                done(result.and(Err(NativeError::Internal("frame packing thread gone".into()))));
              }
            }
            None => deliver(result, done),
          }
        }
        // The channel closed: the decoder is freed here, on its own thread, after its last job (frames
        // still queued for packing hold references of their own). The packer ends when its sender drops.
      })
      .map_err(|e| NativeError::Resource(format!("starting the decoder thread: {e}")))?;
    Ok(Self(Kind::Own(OwnThread { tx: Some(tx), closed, thread: Some(thread), packer })))
  }

  /// The decoder on a new strand of `pool` (frames packed inline, on the pool thread that decoded them).
  pub fn pooled(mut dec: Decoder, pool: &Pool) -> Result<Self> {
    dec.set_pack_later(false);
    let strand = pool.strand()?;
    Ok(Self(Kind::Pooled(Pooled { strand, dec: Arc::new(Mutex::new(PooledDecoder { dec: Some(dec), poisoned: false })) })))
  }

  pub fn is_pooled(&self) -> bool {
    matches!(self.0, Kind::Pooled(_))
  }

  /// Queues a job; `done` runs on the worker's (or a pool) thread when it has run, or on the closing
  /// thread when close() cancels it. Err gives `done` back when closed.
  pub fn submit(&self, job: Job, done: Option<Done>) -> Result<(), Option<Done>> {
    match &self.0 {
      Kind::Own(w) => match &w.tx {
        Some(tx) if !w.closed.load(Ordering::Acquire) => tx.send((job, Instant::now(), done)).map_err(|e| e.0 .2),
        _ => Err(done),
      },
      Kind::Pooled(p) => {
        if p.strand.is_closed() {
          return Err(done);
        }
        let (dec, queued) = (p.dec.clone(), Instant::now());
        let task = Box::new(move |run: Run| {
          let result = match run {
            Run::Cancelled => Err(NativeError::Cancelled),
            Run::Go { turn } => {
              let mut g = dec.lock().unwrap_or_else(|e| e.into_inner());
              let PooledDecoder { dec, poisoned } = &mut *g;
              match dec {
                Some(d) => run_job(d, job, queued, poisoned).map(|out| Output { turn: Some(turn), ..out }),
                None => Err(NativeError::Cancelled),
              }
            }
          };
          deliver(result, done);
        });
        // Refused only by a pool shut down: the job is then cancelled here.
        if let Err(task) = p.strand.submit(task) {
          task(Run::Cancelled);
        }
        Ok(())
      }
    }
  }

  pub fn is_closed(&self) -> bool {
    match &self.0 {
      Kind::Own(w) => w.tx.is_none(),
      Kind::Pooled(p) => p.strand.is_closed(),
    }
  }

  /// Stops the worker: queued jobs fail with "closed", the one running finishes, and the decoder is
  /// freed before this returns. Idempotent.
  pub fn close(&mut self) {
    match &mut self.0 {
      Kind::Own(w) => w.close(),
      Kind::Pooled(p) => {
        p.strand.close();
        // No job runs now: the decoder is freed here, on the closing thread.
        let dec = p.dec.lock().unwrap_or_else(|e| e.into_inner()).dec.take();
        drop(dec);
      }
    }
  }
}

impl OwnThread {
  fn close(&mut self) {
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
