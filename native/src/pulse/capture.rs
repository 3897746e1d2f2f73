//! Capture: a thread owns the libpulse record stream and reads blocks of a fixed size into a bounded queue,
//! each stamped with the CLOCK_MONOTONIC time its first frame was captured (read time − the source's latency
//! − the block's duration). A full queue drops its oldest block (counted): a live source keeps the newest.
use super::attrs::{capture_attr, StreamSpec};
use super::{monotonic_ns, pa_error};
use crate::error::NativeError;
use libpulse_binding::stream::Direction;
use libpulse_simple_binding::Simple;
use std::collections::VecDeque;
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub struct CaptureOptions {
  pub server: Option<String>,
  /// A source name (a monitor: `<sink>.monitor`); None: the server's default source.
  pub device: Option<String>,
  pub client_name: String,
  pub stream_name: String,
  pub spec: StreamSpec,
  /// Frames in each block.
  pub block_frames: u32,
  /// The server's fragment size (µs), as pulsesrc's latency-time.
  pub latency_time_us: u64,
  /// Blocks kept before the oldest is dropped.
  pub queue: usize,
}

pub struct Chunk {
  pub data: Vec<u8>,
  /// CLOCK_MONOTONIC ns when the block's first frame was captured.
  pub captured: i64,
}

#[derive(Default)]
struct State {
  queue: VecDeque<Chunk>,
  stop: bool,
  error: Option<NativeError>,
  dropped: u64,
  read: u64,
  latency_us: u64,
}

struct Shared {
  state: Mutex<State>,
  cv: Condvar,
}

const JOIN_WAIT: Duration = Duration::from_millis(500);

pub struct Capture {
  shared: Arc<Shared>,
  thread: Option<JoinHandle<()>>,
}

#[derive(Clone)]
pub struct CaptureWaiter {
  shared: Arc<Shared>,
}

impl Capture {
  pub fn open(o: CaptureOptions) -> Result<Self, NativeError> {
    if o.block_frames == 0 {
      return Err(NativeError::invalid("blocksize must be at least one frame"));
    }
    let shared = Arc::new(Shared { state: Mutex::new(State::default()), cv: Condvar::new() });
    let (tx, rx) = mpsc::channel::<Result<(), NativeError>>();
    let sh = shared.clone();
    let thread = std::thread::Builder::new()
      .name("g2g-pulse-in".into())
      .spawn(move || {
        let attr = capture_attr(&o.spec, o.latency_time_us);
        let simple = match Simple::new(o.server.as_deref(), &o.client_name, Direction::Record, o.device.as_deref(), &o.stream_name, &o.spec.pa(), None, Some(&attr)) {
          Ok(s) => s,
          Err(e) => {
            let what = match &o.server {
              Some(s) => format!("cannot record from PulseAudio server '{s}'"),
              None => "cannot record from the PulseAudio server".to_string(),
            };
            let _ = tx.send(Err(pa_error(&what, e)));
            return;
          }
        };
        let _ = tx.send(Ok(()));
        run(&sh, &simple, &o);
        drop(simple);
      })
      .map_err(|e| NativeError::Resource(format!("cannot start the PulseAudio thread: {e}")))?;
    match rx.recv() {
      Ok(Ok(())) => Ok(Self { shared, thread: Some(thread) }),
      Ok(Err(e)) => {
        let _ = thread.join();
        Err(e)
      }
      Err(_) => {
        let _ = thread.join();
        Err(NativeError::Internal("the PulseAudio thread ended before opening the stream".into()))
      }
    }
  }

  pub fn waiter(&self) -> CaptureWaiter {
    CaptureWaiter { shared: self.shared.clone() }
  }

  /// (blocks read, blocks dropped because the queue was full, source latency µs last read).
  pub fn stats(&self) -> (u64, u64, u64) {
    let g = self.shared.state.lock().unwrap();
    (g.read, g.dropped, g.latency_us)
  }

  /// Stops the thread and frees the stream. A read blocks until the source gives data (a monitor gives none
  /// while nothing plays): the thread is waited for a while, then left to free the stream itself when its read
  /// returns or the server goes. Idempotent.
  pub fn close(&mut self) {
    {
      let mut g = self.shared.state.lock().unwrap();
      g.stop = true;
      g.queue.clear();
      self.shared.cv.notify_all();
    }
    if let Some(t) = self.thread.take() {
      let deadline = Instant::now() + JOIN_WAIT;
      while !t.is_finished() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(2));
      }
      if t.is_finished() {
        let _ = t.join();
      }
    }
  }
}

impl Drop for Capture {
  fn drop(&mut self) {
    self.close();
  }
}

impl CaptureWaiter {
  /// The next block; None after close or at timeout; Err once the stream failed (after the queued blocks).
  pub fn next(&self, timeout: Duration) -> Result<Option<Chunk>, NativeError> {
    let deadline = Instant::now() + timeout;
    let mut g = self.shared.state.lock().unwrap();
    loop {
      if g.stop {
        return Ok(None);
      }
      if let Some(c) = g.queue.pop_front() {
        return Ok(Some(c));
      }
      if let Some(e) = &g.error {
        return Err(e.clone());
      }
      let now = Instant::now();
      if now >= deadline {
        return Ok(None);
      }
      g = self.shared.cv.wait_timeout(g, deadline - now).unwrap().0;
    }
  }
}

fn run(sh: &Shared, simple: &Simple, o: &CaptureOptions) {
  let bytes = o.block_frames as usize * o.spec.frame_bytes() as usize;
  let block_ns = o.block_frames as i64 * 1_000_000_000 / o.spec.rate as i64;
  loop {
    if sh.state.lock().unwrap().stop {
      return;
    }
    let mut data = vec![0u8; bytes];
    let r = simple.read(&mut data).and_then(|_| simple.get_latency().map(|l| l.0));
    let now = monotonic_ns();
    let mut g = sh.state.lock().unwrap();
    match r {
      Ok(latency_us) => {
        g.latency_us = latency_us;
        g.read += 1;
        if g.queue.len() >= o.queue {
          g.queue.pop_front();
          g.dropped += 1;
        }
        g.queue.push_back(Chunk { data, captured: now - latency_us as i64 * 1000 - block_ns });
      }
      Err(e) => {
        g.error = Some(pa_error("PulseAudio capture failed (server gone?)", e));
        sh.cv.notify_all();
        return;
      }
    }
    sh.cv.notify_all();
  }
}
