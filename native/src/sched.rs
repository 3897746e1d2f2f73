//! A fixed set of threads shared by many *strands*: each strand is a first-in-first-out queue of jobs that
//! run strictly in order, never two at once (a decoder's units), while different strands run in parallel
//! on the pool's threads. Ready strands are served round-robin, one job a turn: a strand whose job has run
//! goes to the back of the ready queue, so a stream with a deep backlog cannot starve the others.
//!
//! A thread per decoder costs a stack and a scheduler entry per stream and lets N streams fight over the
//! cores with the kernel picking the winner; here the pool is sized to the machine (`available_parallelism`,
//! or `G2G_DECODE_THREADS`), threads start as strands open (never more threads than strands) and all of them
//! end, joined, when the last strand closes, so an idle process holds none.
//!
//! Jobs are `FnOnce(Run)`: `Run::Go` on a pool thread, or `Run::Cancelled` (on the closing thread) when their
//! strand closes or the pool shuts down before they ran, so a job's completion callback is always called.
//! A panicking job is caught: the pool thread lives on (the job's owner handles its own state).
use std::collections::{HashMap, VecDeque};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::thread::JoinHandle;

use crate::error::{NativeError, Result};

/// Why a job is called.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Run {
  /// Its turn on a pool thread: `turn` jobs of any strand started before it (the order the pool took them).
  Go { turn: u64 },
  /// Its strand closed (or the pool shut down) before it ran.
  Cancelled,
}

pub type Task = Box<dyn FnOnce(Run) + Send>;

/// Most threads a pool may have (a typo'd G2G_DECODE_THREADS must not start thousands).
pub const MAX_THREADS: usize = 256;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolStats {
  /// Threads the pool may run.
  pub size: usize,
  /// Threads alive now: min(size, open strands), 0 when none is open.
  pub threads: usize,
  /// Strands open (decoders on the pool).
  pub strands: usize,
  /// Jobs waiting for their turn.
  pub queued: usize,
  /// Jobs running now.
  pub running: usize,
  /// Jobs run since the pool was made.
  pub jobs_run: u64,
  /// Jobs cancelled by a strand's close or the pool's shutdown.
  pub jobs_cancelled: u64,
}

struct StrandQ {
  tasks: VecDeque<Task>,
  /// A job of this strand is on a pool thread.
  running: bool,
  /// In the ready queue (then not running).
  ready: bool,
  /// close() has begun: no more submits.
  closing: bool,
}

struct State {
  size: usize,
  strands: HashMap<u64, StrandQ>,
  next_id: u64,
  ready: VecDeque<u64>,
  /// Threads in their loop, of any generation.
  alive: usize,
  /// Threads of the current generation; older ones are on their way out.
  current: usize,
  generation: u64,
  handles: Vec<JoinHandle<()>>,
  next_thread: usize,
  shutdown: bool,
  running: usize,
  jobs_started: u64,
  jobs_run: u64,
  jobs_cancelled: u64,
}

struct Inner {
  name: String,
  state: Mutex<State>,
  /// Pool threads wait here for a ready strand.
  work: Condvar,
  /// close() and shutdown wait here for a running job to end.
  idle: Condvar,
}

thread_local! {
  /// (pool, strand) of the job this thread is running: a job that closes its own strand or pool must not
  /// wait for itself.
  static CURRENT: std::cell::Cell<Option<(usize, u64)>> = const { std::cell::Cell::new(None) };
}

impl Inner {
  fn lock(&self) -> MutexGuard<'_, State> {
    // Jobs run outside the lock and panics in them are caught: a poisoned lock still holds consistent state.
    self.state.lock().unwrap_or_else(|e| e.into_inner())
  }

  fn key(self: &Arc<Self>) -> usize {
    Arc::as_ptr(self) as usize
  }

  fn on_pool_thread(self: &Arc<Self>) -> bool {
    CURRENT.with(|c| c.get().is_some_and(|(p, _)| p == self.key()))
  }

  /// Starts threads until there are min(size, strands) of the current generation. Err only when none runs.
  fn grow(self: &Arc<Self>, st: &mut State) -> Result<()> {
    while !st.shutdown && st.current < st.size.min(st.strands.len()) {
      let (inner, generation) = (self.clone(), st.generation);
      let name = format!("{}-{}", self.name, st.next_thread);
      match std::thread::Builder::new().name(name).spawn(move || inner.thread_main(generation)) {
        Ok(h) => {
          st.handles.push(h);
          st.next_thread += 1;
          st.alive += 1;
          st.current += 1;
        }
        Err(e) if st.current == 0 => return Err(NativeError::Resource(format!("starting a decoder pool thread: {e}"))),
        // Fewer threads than asked: the strands still run, with less parallelism.
        Err(_) => break,
      }
    }
    Ok(())
  }

  fn thread_main(self: Arc<Self>, generation: u64) {
    let mut st = self.lock();
    loop {
      let stale = st.shutdown || st.generation != generation;
      if stale || st.current > st.size {
        if !stale {
          st.current -= 1;
        }
        // The wake-up that got us here may have been meant for a job (a strand opened since): pass it on.
        self.work.notify_one();
        break;
      }
      let Some(id) = st.ready.pop_front() else {
        st = self.work.wait(st).unwrap_or_else(|e| e.into_inner());
        continue;
      };
      let q = st.strands.get_mut(&id).expect("a ready strand is open");
      q.ready = false;
      let Some(task) = q.tasks.pop_front() else { continue };
      q.running = true;
      st.running += 1;
      let turn = st.jobs_started;
      st.jobs_started += 1;
      drop(st);
      CURRENT.with(|c| c.set(Some((self.key(), id))));
      // The job reports its own errors; a panic that escapes it must not take the pool thread down.
      let _ = catch_unwind(AssertUnwindSafe(|| task(Run::Go { turn })));
      CURRENT.with(|c| c.set(None));
      st = self.lock();
      st.running -= 1;
      st.jobs_run += 1;
      if let Some(q) = st.strands.get_mut(&id) {
        q.running = false;
        // Fairness: one job a turn, then to the back of the queue.
        if !q.tasks.is_empty() && !q.closing {
          q.ready = true;
          st.ready.push_back(id);
        }
      }
      self.idle.notify_all();
    }
    st.alive -= 1;
  }

  fn wait_while<'a>(&'a self, mut st: MutexGuard<'a, State>, cond: impl Fn(&State) -> bool) -> MutexGuard<'a, State> {
    while cond(&st) {
      st = self.idle.wait(st).unwrap_or_else(|e| e.into_inner());
    }
    st
  }
}

fn cancel_all(tasks: Vec<Task>) {
  for t in tasks {
    let _ = catch_unwind(AssertUnwindSafe(|| t(Run::Cancelled)));
  }
}

fn join_all(handles: Vec<JoinHandle<()>>) {
  for h in handles {
    let _ = h.join();
  }
}

/// The pool. Dropping it shuts it down (see `shutdown`).
pub struct Pool {
  inner: Arc<Inner>,
}

impl Pool {
  /// A pool of at most `size` threads (at least 1), named `name-N`. No thread starts before a strand opens.
  pub fn new(name: &str, size: usize) -> Self {
    let state = State {
      size: size.clamp(1, MAX_THREADS),
      strands: HashMap::new(),
      next_id: 0,
      ready: VecDeque::new(),
      alive: 0,
      current: 0,
      generation: 0,
      handles: Vec::new(),
      next_thread: 0,
      shutdown: false,
      running: 0,
      jobs_started: 0,
      jobs_run: 0,
      jobs_cancelled: 0,
    };
    let inner = Arc::new(Inner { name: name.into(), state: Mutex::new(state), work: Condvar::new(), idle: Condvar::new() });
    Self { inner }
  }

  /// A new strand (starting a thread if the pool has fewer than min(size, strands)).
  pub fn strand(&self) -> Result<Strand> {
    let mut st = self.inner.lock();
    if st.shutdown {
      return Err(NativeError::Closed);
    }
    let id = st.next_id;
    st.next_id += 1;
    st.strands.insert(id, StrandQ { tasks: VecDeque::new(), running: false, ready: false, closing: false });
    if let Err(e) = self.inner.grow(&mut st) {
      st.strands.remove(&id);
      return Err(e);
    }
    Ok(Strand { inner: self.inner.clone(), id })
  }

  /// Changes the number of threads (0: the machine's default). Extra threads end after their current job;
  /// new ones start at once where strands are open.
  pub fn set_size(&self, size: usize) -> Result<()> {
    let size = if size == 0 { default_size() } else { size.min(MAX_THREADS) };
    let mut st = self.inner.lock();
    st.size = size;
    self.inner.work.notify_all();
    self.inner.grow(&mut st)
  }

  pub fn stats(&self) -> PoolStats {
    let st = self.inner.lock();
    PoolStats {
      size: st.size,
      threads: st.alive,
      strands: st.strands.len(),
      queued: st.strands.values().map(|q| q.tasks.len()).sum(),
      running: st.running,
      jobs_run: st.jobs_run,
      jobs_cancelled: st.jobs_cancelled,
    }
  }

  /// Cancels every queued job (each called with `Run::Cancelled`, on this thread), waits for the running
  /// ones, and joins the threads. Strands left open then refuse submits. Idempotent.
  pub fn shutdown(&self) {
    let inner = &self.inner;
    let mut st = inner.lock();
    st.shutdown = true;
    st.ready.clear();
    let mut cancelled = Vec::new();
    for q in st.strands.values_mut() {
      q.ready = false;
      cancelled.extend(q.tasks.drain(..));
    }
    st.jobs_cancelled += cancelled.len() as u64;
    inner.work.notify_all();
    // A job that shuts its own pool down cannot wait for itself or join its own thread: the threads then
    // end on their own.
    let handles = if inner.on_pool_thread() {
      Vec::new()
    } else {
      st = inner.wait_while(st, |s| s.running > 0);
      std::mem::take(&mut st.handles)
    };
    drop(st);
    cancel_all(cancelled);
    join_all(handles);
  }
}

impl Drop for Pool {
  fn drop(&mut self) {
    self.shutdown();
  }
}

/// One ordered queue of jobs on a pool. Dropping it closes it.
pub struct Strand {
  inner: Arc<Inner>,
  id: u64,
}

impl Strand {
  /// Queues a job after this strand's earlier ones. Err gives it back, not run, when the strand is closed
  /// or the pool shut down.
  pub fn submit(&self, task: Task) -> Result<(), Task> {
    let inner = &self.inner;
    let mut st = inner.lock();
    if st.shutdown {
      return Err(task);
    }
    let Some(q) = st.strands.get_mut(&self.id) else { return Err(task) };
    if q.closing {
      return Err(task);
    }
    q.tasks.push_back(task);
    if !q.running && !q.ready {
      q.ready = true;
      st.ready.push_back(self.id);
      drop(st);
      inner.work.notify_one();
    }
    Ok(())
  }

  pub fn is_closed(&self) -> bool {
    let st = self.inner.lock();
    st.shutdown || !matches!(st.strands.get(&self.id), Some(q) if !q.closing)
  }

  /// Closes the strand: its queued jobs are called with `Run::Cancelled` (on this thread), the running one
  /// finishes first (this waits for it, unless called from that job). When it was the pool's last strand,
  /// the pool's threads end and are joined before this returns. Idempotent.
  pub fn close(&self) {
    let inner = &self.inner;
    let mut st = inner.lock();
    let Some(q) = st.strands.get_mut(&self.id) else { return };
    q.closing = true;
    let cancelled: Vec<Task> = q.tasks.drain(..).collect();
    if std::mem::take(&mut q.ready) {
      st.ready.retain(|&i| i != self.id);
    }
    st.jobs_cancelled += cancelled.len() as u64;
    let own_job = CURRENT.with(|c| c.get()) == Some((inner.key(), self.id));
    let id = self.id;
    if !own_job {
      st = inner.wait_while(st, |s| s.strands.get(&id).is_some_and(|q| q.running));
    }
    st.strands.remove(&self.id);
    // The last strand gone: every thread ends (a new strand starts new ones). Not from a pool thread,
    // which cannot join itself: the threads then stay for the next strand.
    let handles = if st.strands.is_empty() && !inner.on_pool_thread() {
      st.generation += 1;
      st.current = 0;
      inner.work.notify_all();
      std::mem::take(&mut st.handles)
    } else {
      Vec::new()
    };
    drop(st);
    cancel_all(cancelled);
    join_all(handles);
  }
}

impl Drop for Strand {
  fn drop(&mut self) {
    self.close();
  }
}

/// Threads of the decoder pool unless told otherwise: G2G_DECODE_THREADS, else one per core.
pub fn default_size() -> usize {
  std::env::var("G2G_DECODE_THREADS")
    .ok()
    .and_then(|v| v.trim().parse::<usize>().ok())
    .filter(|&n| n >= 1)
    .map(|n| n.min(MAX_THREADS))
    .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// The process's decoder pool (made on first use, sized by `default_size`).
pub fn decode_pool() -> &'static Pool {
  static POOL: OnceLock<Pool> = OnceLock::new();
  POOL.get_or_init(|| Pool::new("g2g-decpool", default_size()))
}

#[cfg(test)]
mod tests {
  use super::*;
  use std::sync::atomic::{AtomicUsize, Ordering};
  use std::sync::mpsc;
  use std::time::Duration;

  fn job(f: impl FnOnce(Run) + Send + 'static) -> Task {
    Box::new(f)
  }

  #[test]
  fn a_strands_jobs_run_in_order_and_never_two_at_once() {
    let pool = Pool::new("t-order", 4);
    let strands: Vec<Strand> = (0..3).map(|_| pool.strand().unwrap()).collect();
    let (tx, rx) = mpsc::channel();
    let busy: Vec<Arc<AtomicUsize>> = (0..3).map(|_| Arc::new(AtomicUsize::new(0))).collect();
    for i in 0..200 {
      for (s, strand) in strands.iter().enumerate() {
        let (tx, busy) = (tx.clone(), busy[s].clone());
        strand
          .submit(job(move |r| {
            assert!(matches!(r, Run::Go { .. }));
            let overlapping = busy.fetch_add(1, Ordering::SeqCst) != 0;
            std::thread::yield_now();
            busy.fetch_sub(1, Ordering::SeqCst);
            tx.send((s, i, overlapping)).unwrap();
          }))
          .map_err(|_| ())
          .unwrap();
      }
    }
    drop(tx);
    let mut next = [0; 3];
    for (s, i, overlapping) in rx.iter().take(600) {
      assert!(!overlapping, "two jobs of strand {s} ran at once");
      assert_eq!(i, next[s], "strand {s} ran job {i} out of order");
      next[s] += 1;
    }
    assert_eq!(next, [200; 3]);
    assert_eq!((pool.stats().threads, pool.stats().strands), (3, 3));
    // A job counts as run once it has returned: closing waits for the last ones.
    drop(strands);
    assert_eq!(pool.stats().jobs_run, 600);
  }

  #[test]
  fn ready_strands_take_turns_one_job_each() {
    // One thread, two strands with 100 jobs queued each while the thread is held: they must alternate.
    let pool = Pool::new("t-fair", 1);
    let (a, b) = (pool.strand().unwrap(), pool.strand().unwrap());
    let (gate_tx, gate_rx) = mpsc::channel::<()>();
    let (tx, rx) = mpsc::channel();
    let (started_tx, started_rx) = mpsc::channel();
    a.submit(job(move |_| {
      started_tx.send(()).unwrap();
      gate_rx.recv().unwrap();
    }))
    .map_err(|_| ())
    .unwrap();
    started_rx.recv().unwrap();
    for i in 0..100 {
      for (name, s) in [('a', &a), ('b', &b)] {
        let tx = tx.clone();
        s.submit(job(move |_| tx.send((name, i)).unwrap())).map_err(|_| ()).unwrap();
      }
    }
    gate_tx.send(()).unwrap();
    let order: Vec<(char, i32)> = rx.iter().take(200).collect();
    // b was queued behind a's running job: b first, then strictly alternating.
    for (k, pair) in order.chunks(2).enumerate() {
      assert_eq!(pair, [('b', k as i32), ('a', k as i32)], "turn {k}");
    }
  }

  #[test]
  fn closing_a_strand_cancels_its_queue_and_waits_for_its_running_job() {
    let pool = Pool::new("t-close", 2);
    let s = pool.strand().unwrap();
    let (started_tx, started_rx) = mpsc::channel();
    let (gate_tx, gate_rx) = mpsc::channel::<()>();
    let finished = Arc::new(AtomicUsize::new(0));
    let f = finished.clone();
    s.submit(job(move |r| {
      started_tx.send(()).unwrap();
      gate_rx.recv().unwrap();
      assert!(matches!(r, Run::Go { .. }));
      f.fetch_add(1, Ordering::SeqCst);
    }))
    .map_err(|_| ())
    .unwrap();
    let outcomes = Arc::new(Mutex::new(Vec::new()));
    for _ in 0..50 {
      let o = outcomes.clone();
      s.submit(job(move |r| o.lock().unwrap().push(r))).map_err(|_| ()).unwrap();
    }
    started_rx.recv().unwrap();
    let opener = std::thread::spawn(move || {
      std::thread::sleep(Duration::from_millis(20));
      gate_tx.send(()).unwrap();
    });
    s.close();
    // close() returned only after the running job finished, with every queued job called as cancelled.
    assert_eq!(finished.load(Ordering::SeqCst), 1);
    assert_eq!(*outcomes.lock().unwrap(), vec![Run::Cancelled; 50]);
    assert!(s.is_closed());
    assert!(s.submit(job(|_| panic!("ran on a closed strand"))).is_err());
    opener.join().unwrap();
    let st = pool.stats();
    assert_eq!((st.threads, st.strands, st.jobs_cancelled), (0, 0, 50), "the last strand's close joins the threads");
  }

  #[test]
  fn dropping_the_pool_with_queued_jobs_calls_each_once_and_leaks_nothing() {
    let pool = Pool::new("t-drop", 2);
    let strands: Vec<Strand> = (0..4).map(|_| pool.strand().unwrap()).collect();
    let calls = Arc::new(AtomicUsize::new(0));
    // Each job owns a payload; the Arc's count tells that every payload was dropped.
    let payload = Arc::new(());
    for s in &strands {
      for _ in 0..100 {
        let (c, p) = (calls.clone(), payload.clone());
        s.submit(job(move |_| {
          let _p = p;
          std::thread::sleep(Duration::from_micros(100));
          c.fetch_add(1, Ordering::SeqCst);
        }))
        .map_err(|_| ())
        .unwrap();
      }
    }
    drop(pool);
    assert_eq!(calls.load(Ordering::SeqCst), 400, "every job run or cancelled exactly once");
    assert_eq!(Arc::strong_count(&payload), 1, "no job left behind");
    assert!(strands.iter().all(|s| s.is_closed() && s.submit(job(|_| ())).is_err()));
    drop(strands); // closing after shutdown does not hang
  }

  #[test]
  fn a_panicking_job_leaves_the_thread_and_the_strand_working() {
    let pool = Pool::new("t-panic", 1);
    let s = pool.strand().unwrap();
    let (tx, rx) = mpsc::channel();
    s.submit(job(|_| panic!("boom"))).map_err(|_| ()).unwrap();
    s.submit(job(move |_| tx.send(7).unwrap())).map_err(|_| ()).unwrap();
    assert_eq!(rx.recv_timeout(Duration::from_secs(10)).unwrap(), 7);
    drop(s);
    assert_eq!(pool.stats().jobs_run, 2);
  }

  #[test]
  fn threads_follow_strands_and_size() {
    let pool = Pool::new("t-size", 2);
    assert_eq!(pool.stats().threads, 0);
    let a = pool.strand().unwrap();
    assert_eq!(pool.stats().threads, 1);
    let b = pool.strand().unwrap();
    let c = pool.strand().unwrap();
    assert_eq!(pool.stats().threads, 2, "never more than size");
    pool.set_size(3).unwrap();
    assert_eq!(pool.stats().threads, 3);
    drop((a, b));
    assert_eq!(pool.stats().threads, 3, "threads stay while a strand is open");
    drop(c);
    assert_eq!(pool.stats(), PoolStats { size: 3, ..Default::default() });
    // Reopening starts threads again, and jobs still run.
    let d = pool.strand().unwrap();
    let (tx, rx) = mpsc::channel();
    d.submit(job(move |_| tx.send(()).unwrap())).map_err(|_| ()).unwrap();
    rx.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(pool.stats().threads, 1);
  }

  #[test]
  fn strands_opened_and_closed_from_several_threads_never_lose_a_job() {
    // The last strand's close retires the threads while another thread may be opening the next one.
    let pool = Arc::new(Pool::new("t-churn", 2));
    let workers: Vec<_> = (0..4)
      .map(|_| {
        let pool = pool.clone();
        std::thread::spawn(move || {
          for _ in 0..200 {
            let s = pool.strand().unwrap();
            let (tx, rx) = mpsc::channel();
            s.submit(job(move |r| tx.send(r).unwrap())).map_err(|_| ()).unwrap();
            assert!(matches!(rx.recv_timeout(Duration::from_secs(10)), Ok(Run::Go { .. })), "a job never ran");
          }
        })
      })
      .collect();
    for w in workers {
      w.join().unwrap();
    }
    assert_eq!(pool.stats().jobs_run, 800);
    assert_eq!(pool.stats().threads, 0);
  }

  #[test]
  fn a_job_may_close_its_own_strand() {
    let pool = Pool::new("t-self", 1);
    let s = Arc::new(pool.strand().unwrap());
    let (tx, rx) = mpsc::channel();
    let s2 = s.clone();
    s.submit(job(move |_| {
      s2.close();
      tx.send(s2.is_closed()).unwrap();
    }))
    .map_err(|_| ())
    .unwrap();
    assert!(rx.recv_timeout(Duration::from_secs(10)).unwrap());
  }
}
