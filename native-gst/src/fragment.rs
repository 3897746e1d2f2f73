//! The core: a gst-launch fragment between an appsrc and an appsink, driven from one (JS) thread.
//!
//! GStreamer's streaming threads never call out of here: they only move samples into a bounded queue, record
//! bus messages and signal one condition variable. The owner thread pushes input while the appsrc holds fewer
//! than `MAX_IN` buffers, takes samples from the queue, and waits (on the libuv pool) when it can do neither.
//! Backpressure both ways: a full output queue blocks GStreamer's streaming thread in the appsink callback;
//! a full appsrc stops the owner from pulling its upstream.
use gst::prelude::*;
use gstreamer as gst;
use gstreamer_app as gst_app;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// Buffers queued in the appsrc before the owner stops feeding it.
pub const MAX_IN: u64 = 16;
/// Samples queued out of the appsink before its streaming thread waits.
pub const MAX_OUT: usize = 16;
const SRC_NAME: &str = "g2g_appsrc";
const SINK_NAME: &str = "g2g_appsink";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Mode {
  /// appsrc ! fragment ! appsink (gstBin)
  Bin,
  /// fragment ! appsink (gstSrc)
  Src,
  /// appsrc ! fragment (gstSink)
  Sink,
}

impl Mode {
  pub fn parse(s: &str) -> Result<Self, String> {
    match s {
      "bin" => Ok(Mode::Bin),
      "src" => Ok(Mode::Src),
      "sink" => Ok(Mode::Sink),
      _ => Err(format!("unknown fragment mode {s:?} (bin, src, sink)")),
    }
  }
}

#[derive(Default)]
struct Flow {
  out: VecDeque<gst::Sample>,
  /// The appsink saw EOS (bin, src), or the pipeline posted EOS (sink).
  eos: bool,
  /// The first bus error, formatted: "<element>: <message> (<debug>)".
  error: Option<String>,
  /// The owner is stopping: streaming threads blocked on a full queue give up.
  flushing: bool,
  warnings: Vec<String>,
}

struct Shared {
  flow: Mutex<Flow>,
  cv: Condvar,
  /// Threads in (or about to enter) `cv.wait`: a notify with none skips the futex syscall, which on every
  /// buffer (the appsrc probe, each sample, each take) was most of a crossing's cost.
  waiters: AtomicUsize,
}

impl Shared {
  fn notify(&self) {
    if self.waiters.load(Ordering::SeqCst) > 0 {
      // A waiter holds the lock from its last check until it sleeps: taking it here orders this notify
      // after that sleep, so the wake-up cannot fall in between and be lost.
      drop(self.flow.lock().unwrap());
      self.cv.notify_all();
    }
  }

  /// Waits on the condition variable, counted in `waiters` (called with the lock held, after the check).
  fn wait<'a>(&self, guard: std::sync::MutexGuard<'a, Flow>, timeout: Option<Duration>) -> std::sync::MutexGuard<'a, Flow> {
    let g = match timeout {
      Some(t) => self.cv.wait_timeout(guard, t).unwrap().0,
      None => self.cv.wait(guard).unwrap(),
    };
    g
  }
}

/// What `wait` saw.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Ready {
  Output,
  Input,
  Eos,
  Error,
  Timeout,
}

pub struct Fragment {

  pipeline: gst::Pipeline,
  appsrc: Option<gst_app::AppSrc>,
  appsink: Option<gst_app::AppSink>,
  shared: Arc<Shared>,
  /// Caps of the last sample handed out (to say when they change).
  last_caps: Mutex<Option<gst::Caps>>,
}

pub fn init() -> Result<(), String> {
  gst::init().map_err(|e| format!("GStreamer failed to initialise: {e}"))
}

/// An element as errors name it: its name, and its factory when the name is GStreamer's own (`x264enc3`
/// says little to someone who wrote `x264enc` once in a fragment).
fn describe(el: &gst::Element) -> String {
  let name = el.name();
  match el.factory().map(|f| f.name().to_string()) {
    Some(f) if f != name.as_str() => format!("{name} ({f})"),
    _ => name.to_string(),
  }
}

fn msg_source(msg: &gst::MessageRef) -> String {
  match msg.src() {
    Some(o) => match o.downcast_ref::<gst::Element>() {
      Some(el) => describe(el),
      None => o.name().to_string(),
    },
    None => "pipeline".into(),
  }
}

/// Whole names of the fragment's elements, upstream first, without our appsrc/appsink.
fn fragment_elements(pipeline: &gst::Pipeline) -> Vec<gst::Element> {
  // iterate_sorted yields sinks first; reverse for upstream first.
  let mut v: Vec<gst::Element> = pipeline.iterate_sorted().into_iter().filter_map(Result::ok).collect();
  v.reverse();
  v.into_iter().filter(|e| e.name() != SRC_NAME && e.name() != SINK_NAME).collect()
}

impl Fragment {
  pub fn new(mode: Mode, description: &str) -> Result<Self, String> {
    init()?;
    let text = match mode {
      Mode::Bin => format!("appsrc name={SRC_NAME} ! {description} ! appsink name={SINK_NAME}"),
      Mode::Src => format!("{description} ! appsink name={SINK_NAME}"),
      Mode::Sink => format!("appsrc name={SRC_NAME} ! {description}"),
    };
    let el = gst::parse::launch(&text).map_err(|e| format!("pipeline {description:?} does not parse: {e}"))?;
    let pipeline = el.downcast::<gst::Pipeline>().map_err(|_| format!("pipeline {description:?} is not a pipeline"))?;
    let shared = Arc::new(Shared { flow: Mutex::new(Flow::default()), cv: Condvar::new(), waiters: AtomicUsize::new(0) });

    let appsrc = pipeline.by_name(SRC_NAME).map(|e| e.downcast::<gst_app::AppSrc>().expect("appsrc"));
    if let Some(src) = &appsrc {
      src.set_format(gst::Format::Time);
      src.set_property("block", false);
      src.set_property("max-buffers", MAX_IN * 4);
      src.set_property("max-bytes", 0u64);
      src.set_property("emit-signals", false);
      let s = shared.clone();
      // A buffer leaving the appsrc frees a slot: wake an owner waiting to feed.
      src.static_pad("src").expect("appsrc src pad").add_probe(gst::PadProbeType::BUFFER | gst::PadProbeType::BUFFER_LIST, move |_, _| {
        s.notify();
        gst::PadProbeReturn::Ok
      });
    }
    let appsink = pipeline.by_name(SINK_NAME).map(|e| e.downcast::<gst_app::AppSink>().expect("appsink"));
    if let Some(sink) = &appsink {
      sink.set_property("sync", false);
      sink.set_property("async", false);
      sink.set_max_buffers(1);
      sink.set_drop(false);
      let s1 = shared.clone();
      let s2 = shared.clone();
      sink.set_callbacks(
        gst_app::AppSinkCallbacks::builder()
          .new_sample(move |sink| {
            let sample = sink.pull_sample().map_err(|_| gst::FlowError::Eos)?;
            s1.waiters.fetch_add(1, Ordering::SeqCst);
            let mut f = s1.flow.lock().unwrap();
            while f.out.len() >= MAX_OUT && !f.flushing {
              f = s1.wait(f, None);
            }
            s1.waiters.fetch_sub(1, Ordering::SeqCst);
            if f.flushing {
              return Err(gst::FlowError::Flushing);
            }
            f.out.push_back(sample);
            drop(f);
            s1.notify();
            Ok(gst::FlowSuccess::Ok)
          })
          .eos(move |_| {
            s2.flow.lock().unwrap().eos = true;
            s2.notify();
          })
          .build(),
      );
    }
    let bus = pipeline.bus().expect("pipeline bus");
    let s = shared.clone();
    let is_sink = mode == Mode::Sink;
    // Every message is handled on the posting thread and dropped: the bus never grows, nothing reaches JS.
    bus.set_sync_handler(move |_, msg| {
      use gst::MessageView;
      match msg.view() {
        MessageView::Error(e) => {
          let mut f = s.flow.lock().unwrap();
          if f.error.is_none() {
            let debug = e.debug().map(|d| format!(" ({d})")).unwrap_or_default();
            f.error = Some(format!("{}: {}{}", msg_source(msg), e.error(), debug));
          }
          drop(f);
          s.notify();
        }
        MessageView::Warning(w) => {
          let mut f = s.flow.lock().unwrap();
          if f.warnings.len() < 16 {
            f.warnings.push(format!("{}: {}", msg_source(msg), w.error()));
          }
        }
        MessageView::Eos(_) if is_sink => {
          s.flow.lock().unwrap().eos = true;
          s.notify();
        }
        _ => {}
      }
      gst::BusSyncReply::Drop
    });
    Ok(Fragment { pipeline, appsrc, appsink, shared, last_caps: Mutex::new(None) })
  }

  /// Caps the fragment takes on its input, given what may leave it (`downstream`, GStreamer caps text).
  pub fn sink_caps(&self, downstream: Option<&str>) -> Result<String, String> {
    let src = self.appsrc.as_ref().ok_or("this fragment has no input")?;
    if let (Some(sink), Some(d)) = (&self.appsink, downstream) {
      sink.set_caps(Some(&parse_caps(d)?));
    }
    let caps = src.static_pad("src").unwrap().peer_query_caps(None);
    if let Some(sink) = &self.appsink {
      sink.set_caps(None);
    }
    Ok(caps.to_string())
  }

  /// Caps the fragment can produce given `input` (the caps we will feed, bin) and within `allowed`.
  pub fn src_caps(&self, input: Option<&str>, allowed: Option<&str>) -> Result<String, String> {
    let sink = self.appsink.as_ref().ok_or("this fragment has no output")?;
    if let (Some(src), Some(i)) = (&self.appsrc, input) {
      src.set_caps(Some(&parse_caps(i)?));
    }
    let filter = allowed.map(parse_caps).transpose()?;
    let caps = sink.static_pad("sink").unwrap().peer_query_caps(filter.as_ref());
    Ok(caps.to_string())
  }

  /// The first element of the fragment (upstream first) that can produce nothing from what it is given:
  /// the one a failed negotiation names. Call after `src_caps` with the input set.
  pub fn culprit(&self, allowed: Option<&str>) -> Option<String> {
    let filter = allowed.and_then(|a| parse_caps(a).ok());
    for el in fragment_elements(&self.pipeline) {
      for pad in el.src_pads() {
        if pad.query_caps(None).is_empty() {
          return Some(describe(&el));
        }
      }
    }
    // Everything produces something, but the last one nothing that is allowed.
    if let (Some(sink), Some(f)) = (&self.appsink, filter) {
      if let Some(peer) = sink.static_pad("sink").unwrap().peer() {
        if peer.query_caps(Some(&f)).is_empty() {
          return peer.parent_element().map(|e| describe(&e));
        }
      }
    }
    None
  }

  pub fn start(&self, input: Option<&str>, output: Option<&str>) -> Result<(), String> {
    {
      let mut f = self.shared.flow.lock().unwrap();
      *f = Flow::default();
    }
    self.shared.notify();
    *self.last_caps.lock().unwrap() = None;
    if let (Some(src), Some(i)) = (&self.appsrc, input) {
      src.set_caps(Some(&parse_caps(i)?));
    }
    if let (Some(sink), Some(o)) = (&self.appsink, output) {
      sink.set_caps(Some(&parse_caps(o)?));
    }
    self.pipeline.set_state(gst::State::Playing).map_err(|_| {
      self.error().unwrap_or_else(|| "the fragment failed to start (state change to PLAYING refused)".into())
    })?;
    Ok(())
  }

  /// Sets the fragment to NULL (joins its streaming threads). Safe to call more than once.
  pub fn stop(&self) {
    {
      let mut f = self.shared.flow.lock().unwrap();
      f.flushing = true;
      f.out.clear();
    }
    self.shared.notify();
    let _ = self.pipeline.set_state(gst::State::Null);
    let mut f = self.shared.flow.lock().unwrap();
    f.out.clear();
  }

  pub fn error(&self) -> Option<String> {
    self.shared.flow.lock().unwrap().error.clone()
  }

  pub fn take_warnings(&self) -> Vec<String> {
    std::mem::take(&mut self.shared.flow.lock().unwrap().warnings)
  }

  pub fn can_push(&self) -> bool {
    self.appsrc.as_ref().is_some_and(|s| s.current_level_buffers() < MAX_IN)
  }

  pub fn set_input_caps(&self, caps: &str) -> Result<(), String> {
    let src = self.appsrc.as_ref().ok_or("this fragment has no input")?;
    src.set_caps(Some(&parse_caps(caps)?));
    Ok(())
  }

  pub fn push(&self, buffer: gst::Buffer) -> Result<(), String> {
    if let Some(e) = self.error() {
      return Err(e);
    }
    let src = self.appsrc.as_ref().ok_or("this fragment has no input")?;
    src.push_buffer(buffer).map(|_| ()).map_err(|e| {
      // The streaming thread stopped on an error: its bus message may come a moment after the flow return.
      self.error_within(Duration::from_millis(500)).unwrap_or_else(|| format!("appsrc refused a buffer: {e:?}"))
    })
  }

  /// The bus error, waiting up to `timeout` for one to be posted.
  fn error_within(&self, timeout: Duration) -> Option<String> {
    let deadline = Instant::now() + timeout;
    self.shared.waiters.fetch_add(1, Ordering::SeqCst);
    let mut f = self.shared.flow.lock().unwrap();
    while f.error.is_none() && !f.flushing {
      let now = Instant::now();
      if now >= deadline {
        break;
      }
      f = self.shared.wait(f, Some(deadline - now));
    }
    let e = f.error.clone();
    drop(f);
    self.shared.waiters.fetch_sub(1, Ordering::SeqCst);
    e
  }

  pub fn end_of_stream(&self) {
    if let Some(src) = &self.appsrc {
      let _ = src.end_of_stream();
    }
  }

  /// A sample if one is queued; Err on a bus error; Ok(None) when none (see `is_eos`).
  pub fn try_pull(&self) -> Result<Option<(gst::Sample, bool)>, String> {
    let mut f = self.shared.flow.lock().unwrap();
    if let Some(e) = &f.error {
      return Err(e.clone());
    }
    let s = f.out.pop_front();
    drop(f);
    let Some(s) = s else { return Ok(None) };
    self.shared.notify();
    let mut last = self.last_caps.lock().unwrap();
    let changed = match (s.caps(), last.as_ref()) {
      (Some(c), Some(l)) => !c.is_strictly_equal(l),
      (Some(_), None) => true,
      _ => false,
    };
    if changed {
      *last = s.caps_owned();
    }
    Ok(Some((s, changed)))
  }

  pub fn current_caps(&self) -> Option<String> {
    self.last_caps.lock().unwrap().as_ref().map(|c| c.to_string())
  }

  pub fn is_eos(&self) -> bool {
    let f = self.shared.flow.lock().unwrap();
    f.eos && f.out.is_empty()
  }

  /// Blocks (call it off the JS thread) until output is queued, the appsrc has room (`want_input`), EOS,
  /// an error, or the timeout.
  pub fn wait(&self, want_input: bool, timeout: Duration) -> Ready {
    let deadline = Instant::now() + timeout;
    self.shared.waiters.fetch_add(1, Ordering::SeqCst);
    let r = self.wait_counted(want_input, deadline);
    self.shared.waiters.fetch_sub(1, Ordering::SeqCst);
    r
  }

  fn wait_counted(&self, want_input: bool, deadline: Instant) -> Ready {
    let mut f = self.shared.flow.lock().unwrap();
    loop {
      if f.error.is_some() {
        return Ready::Error;
      }
      // Stopped (or disposed) under a waiting owner: let go of the fragment at once.
      if f.flushing {
        return Ready::Timeout;
      }
      if !f.out.is_empty() {
        return Ready::Output;
      }
      if f.eos {
        return Ready::Eos;
      }
      if want_input && self.can_push() {
        return Ready::Input;
      }
      let now = Instant::now();
      if now >= deadline {
        return Ready::Timeout;
      }
      f = self.shared.wait(f, Some(deadline - now));
    }
  }
}

impl Drop for Fragment {
  fn drop(&mut self) {
    self.stop();
    if let Some(bus) = self.pipeline.bus() {
      bus.unset_sync_handler();
    }
  }
}

pub fn parse_caps(s: &str) -> Result<gst::Caps, String> {
  s.parse::<gst::Caps>().map_err(|_| format!("GStreamer cannot parse the caps {s:?}"))
}
