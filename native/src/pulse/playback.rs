//! Playback: a thread owns the libpulse stream and moves bytes from a bounded ring into it. `pa_simple_write`
//! blocks until the server has room (its buffer is `buffer_time` long), which is the thread's pacing; the
//! caller never waits on the server: `write` copies what fits into the ring and returns at once, and a full
//! ring is the caller's backpressure (`wait_writable`).
use super::attrs::{playback_attr, StreamSpec};
use super::ring::ByteRing;
use super::{monotonic_ns, pa_error};
use crate::error::NativeError;
use libpulse_binding::stream::Direction;
use libpulse_simple_binding::Simple;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub struct PlaybackOptions {
  /// A server string (unix:/path, tcp:host); None: libpulse's default ($PULSE_SERVER, the user's daemon).
  pub server: Option<String>,
  /// A sink name; None: the server's default sink.
  pub device: Option<String>,
  pub client_name: String,
  pub stream_name: String,
  pub spec: StreamSpec,
  /// GStreamer's latency-time (µs): the server's minreq.
  pub latency_time_us: u64,
  /// GStreamer's buffer-time (µs): the server's tlength and prebuf.
  pub buffer_time_us: u64,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct PlaybackStats {
  /// Bytes handed to the server.
  pub written: u64,
  /// Bytes waiting in the ring.
  pub queued: u64,
  /// The stream's latency (pa_simple_get_latency, µs: how long a byte written now takes to be heard), last read.
  pub latency_us: u64,
  /// When that reading was taken (CLOCK_MONOTONIC ns), 0 before the first.
  pub latency_at: i64,
  /// Largest latency read (µs).
  pub max_latency_us: u64,
}

#[derive(Default)]
struct State {
  ended: bool,
  stop: bool,
  done: bool,
  error: Option<NativeError>,
  stats: PlaybackStats,
}

struct Shared {
  ring: Mutex<(ByteRing, State)>,
  /// Signalled when the ring gains data or is told to end/stop (the thread waits on it).
  data: Condvar,
  /// Signalled when the ring gains room, the thread ends, or fails (writers and drainers wait on it).
  room: Condvar,
}

/// How long the idle thread waits before reading the latency again.
const IDLE_POLL: Duration = Duration::from_millis(20);
/// How long close() waits for the thread before leaving it to finish alone.
const JOIN_WAIT: Duration = Duration::from_secs(2);

pub struct Playback {
  shared: Arc<Shared>,
  thread: Option<JoinHandle<()>>,
  spec: StreamSpec,
  closed: AtomicBool,
}

/// A handle that waits on the playback from another thread (an async task).
#[derive(Clone)]
pub struct PlaybackWaiter {
  shared: Arc<Shared>,
}

impl Playback {
  /// Connects and opens the stream on the new thread; returns once it is open (fails naming the server
  /// error: no server, no such sink, a refused spec).
  pub fn open(o: PlaybackOptions) -> Result<Self, NativeError> {
    let attr = playback_attr(&o.spec, o.latency_time_us, o.buffer_time_us);
    // The ring only hands packets over to the thread (the server's buffer is the buffer): 4 segments, at least
    // 2048 frames, so that it adds little latency when the server is full.
    let cap = (attr.minreq as usize * 4).max(o.spec.frame_bytes() as usize * 2048);
    let shared = Arc::new(Shared { ring: Mutex::new((ByteRing::new(cap), State::default())), data: Condvar::new(), room: Condvar::new() });
    let (tx, rx) = mpsc::channel::<Result<(), NativeError>>();
    let sh = shared.clone();
    let spec = o.spec;
    let thread = std::thread::Builder::new()
      .name("g2g-pulse-out".into())
      .spawn(move || {
        let simple = match Simple::new(o.server.as_deref(), &o.client_name, Direction::Playback, o.device.as_deref(), &o.stream_name, &spec.pa(), None, Some(&attr)) {
          Ok(s) => s,
          Err(e) => {
            let what = match &o.server {
              Some(s) => format!("cannot play to PulseAudio server '{s}'"),
              None => "cannot play to the PulseAudio server".to_string(),
            };
            let _ = tx.send(Err(pa_error(&what, e)));
            return;
          }
        };
        let _ = tx.send(Ok(()));
        run(&sh, &simple, spec);
        // The stream is freed here, on its own thread, whatever ended the run.
        drop(simple);
      })
      .map_err(|e| NativeError::Resource(format!("cannot start the PulseAudio thread: {e}")))?;
    match rx.recv() {
      Ok(Ok(())) => Ok(Self { shared, thread: Some(thread), spec, closed: AtomicBool::new(false) }),
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

  pub fn spec(&self) -> StreamSpec {
    self.spec
  }

  /// Copies as much of `data` as the ring has room for (whole frames); returns how many bytes. Throws once
  /// the stream failed (server gone) or after end/close.
  pub fn write(&self, data: &[u8]) -> Result<usize, NativeError> {
    let mut g = self.shared.ring.lock().unwrap();
    let (ring, st) = &mut *g;
    if let Some(e) = &st.error {
      return Err(e.clone());
    }
    if st.stop || st.ended {
      return Err(NativeError::Closed);
    }
    let fb = self.spec.frame_bytes() as usize;
    let room = ring.free() / fb * fb;
    let n = ring.push(&data[..data.len().min(room)]);
    st.stats.queued = ring.len() as u64;
    if n > 0 {
      self.shared.data.notify_one();
    }
    Ok(n)
  }

  /// No more data: the thread plays what is queued, drains the server's buffer, and finishes.
  pub fn end(&self) {
    let mut g = self.shared.ring.lock().unwrap();
    g.1.ended = true;
    self.shared.data.notify_one();
  }

  pub fn waiter(&self) -> PlaybackWaiter {
    PlaybackWaiter { shared: self.shared.clone() }
  }

  pub fn stats(&self) -> PlaybackStats {
    let g = self.shared.ring.lock().unwrap();
    let mut s = g.1.stats;
    s.queued = g.0.len() as u64;
    s
  }

  pub fn error(&self) -> Option<NativeError> {
    self.shared.ring.lock().unwrap().1.error.clone()
  }

  /// Stops at once (what is queued is dropped, the server's buffer flushed) and joins the thread; the thread
  /// frees the stream. Idempotent.
  pub fn close(&mut self) {
    if self.closed.swap(true, Ordering::SeqCst) {
      return;
    }
    {
      let mut g = self.shared.ring.lock().unwrap();
      g.1.stop = true;
      g.0.clear();
      self.shared.data.notify_all();
      self.shared.room.notify_all();
    }
    if let Some(t) = self.thread.take() {
      // The thread only blocks in a write (the server frees room within buffer-time) or a drain; a server
      // that stopped answering is left to the thread, which frees the stream when libpulse gives up.
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

impl Drop for Playback {
  fn drop(&mut self) {
    self.close();
  }
}

impl PlaybackWaiter {
  /// Waits until the ring has room for a frame, or the stream failed (Err), or `timeout` passed (Ok(false)).
  pub fn wait_writable(&self, timeout: Duration) -> Result<bool, NativeError> {
    let deadline = Instant::now() + timeout;
    let mut g = self.shared.ring.lock().unwrap();
    loop {
      if let Some(e) = &g.1.error {
        return Err(e.clone());
      }
      if g.1.stop {
        return Err(NativeError::Closed);
      }
      if g.0.free() > 0 && g.0.free() >= g.0.capacity() / 4 {
        return Ok(true);
      }
      let now = Instant::now();
      if now >= deadline {
        return Ok(false);
      }
      g = self.shared.room.wait_timeout(g, deadline - now).unwrap().0;
    }
  }

  /// Waits until the thread played everything and drained the server (Ok(true)), failed (Err), or `timeout`
  /// passed (Ok(false)).
  pub fn wait_done(&self, timeout: Duration) -> Result<bool, NativeError> {
    let deadline = Instant::now() + timeout;
    let mut g = self.shared.ring.lock().unwrap();
    loop {
      if let Some(e) = &g.1.error {
        return Err(e.clone());
      }
      if g.1.done {
        return Ok(true);
      }
      let now = Instant::now();
      if now >= deadline {
        return Ok(false);
      }
      g = self.shared.room.wait_timeout(g, deadline - now).unwrap().0;
    }
  }
}

/// The thread's loop: take what the ring holds (up to one segment of the server's buffer at a time), write it
/// (blocks while the server's buffer is full), read the latency; at end drain; on error record it and stop.
fn run(sh: &Shared, simple: &Simple, spec: StreamSpec) {
  let fb = spec.frame_bytes() as usize;
  // Chunks of 10 ms at most, so that the ring frees room, and the latency is read, often.
  let chunk = spec.bytes_for_us(10_000) as usize;
  let mut buf = Vec::with_capacity(chunk);
  let fail = |e: NativeError| {
    let mut g = sh.ring.lock().unwrap();
    g.1.error = Some(e);
    sh.room.notify_all();
  };
  loop {
    let ended;
    {
      let mut g = sh.ring.lock().unwrap();
      loop {
        if g.1.stop {
          drop(g);
          // Stopped: what the server holds is dropped, not played.
          let _ = simple.flush();
          return;
        }
        let (ring, st) = &mut *g;
        if ring.take(chunk, fb, &mut buf) > 0 {
          sh.room.notify_all();
          ended = false;
          break;
        }
        if st.ended {
          ended = true;
          break;
        }
        let (g2, to) = sh.data.wait_timeout(g, IDLE_POLL).unwrap();
        g = g2;
        if to.timed_out() {
          drop(g);
          if let Err(e) = read_latency(sh, simple) {
            return fail(e);
          }
          g = sh.ring.lock().unwrap();
        }
      }
    }
    if ended {
      let r = simple.drain().map_err(|e| pa_error("PulseAudio playback failed while draining", e));
      let mut g = sh.ring.lock().unwrap();
      match r {
        Ok(()) => g.1.done = true,
        Err(e) => g.1.error = Some(e),
      }
      sh.room.notify_all();
      return;
    }
    if let Err(e) = simple.write(&buf) {
      return fail(pa_error("PulseAudio playback failed (server gone?)", e));
    }
    {
      let mut g = sh.ring.lock().unwrap();
      g.1.stats.written += buf.len() as u64;
    }
    if let Err(e) = read_latency(sh, simple) {
      return fail(e);
    }
  }
}

fn read_latency(sh: &Shared, simple: &Simple) -> Result<(), NativeError> {
  let l = simple.get_latency().map_err(|e| pa_error("PulseAudio playback failed (server gone?)", e))?;
  let at = monotonic_ns();
  let mut g = sh.ring.lock().unwrap();
  let s = &mut g.1.stats;
  s.latency_us = l.0;
  s.latency_at = at;
  s.max_latency_us = s.max_latency_us.max(l.0);
  Ok(())
}
