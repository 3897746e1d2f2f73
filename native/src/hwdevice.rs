//! Hardware device contexts shared by decoders. Each NVDEC decoder used to create its own CUDA context
//! (`av_hwdevice_ctx_create`): ≈581 MiB of GPU memory and 0.3–0.5 s each, serial, and the 76th on an H100
//! failed. Decoders now take a context from a process-wide cache keyed by (device type, device, shard):
//! `contexts` shards per device (default 8, `G2G_HW_CONTEXTS`), decoders assigned to them round-robin.
//! Not one context for all: 64 streams on one measured 15% of their frames (its work serialised). A
//! shard is created by its first decoder and freed when its last decoder closes. `G2G_HW_CONTEXTS=0`: a
//! context per decoder, as before. Only CUDA contexts are shared; VA-API decoders keep one each.
//!
//! The cache is generic over the context handle and takes its create/free functions as values, so its
//! rules are tested without a GPU; `devices()` is the process's cache of libavutil device contexts.
use crate::ffi;
use std::collections::HashMap;
use std::ffi::CString;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};

/// Contexts per device when `G2G_HW_CONTEXTS` is unset.
pub const DEFAULT_CONTEXTS: usize = 8;
/// The most contexts per device `G2G_HW_CONTEXTS` may ask for.
pub const MAX_CONTEXTS: usize = 256;

/// Which context: a device type (`ffi::HW_*`), the device string (None: the default device) and the shard.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DeviceKey {
  pub hw: i32,
  pub device: Option<String>,
  pub shard: usize,
}

type CreateFn<H> = Box<dyn Fn(&DeviceKey) -> std::result::Result<H, String> + Send + Sync>;
type FreeFn<H> = Box<dyn Fn(H) + Send + Sync>;

/// A refcounted cache of device contexts (see the module's doc). `H` is the context's handle.
pub struct DeviceCache<H: Copy + Send> {
  /// Shards per device; 0: a context per user, never shared.
  contexts: usize,
  create: CreateFn<H>,
  free: FreeFn<H>,
  state: Mutex<State<H>>,
  /// Signalled when a context being created is ready (or its creation failed).
  opened: Condvar,
}

struct State<H> {
  slots: HashMap<DeviceKey, Slot<H>>,
  /// The next shard of each (type, device).
  next: HashMap<(i32, Option<String>), usize>,
  /// Unshared contexts (`contexts` 0) get shard numbers never used again.
  unshared: usize,
  created: u64,
  freed: u64,
}

enum Slot<H> {
  /// Its first user is creating it (outside the lock: a CUDA context takes 0.3–0.5 s); others wait.
  Opening,
  Open { handle: H, users: usize },
}

/// What the cache holds now, and has done.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeviceStats {
  /// Shards per device (0: a context per decoder).
  pub contexts_per_device: usize,
  /// Contexts open now.
  pub open: usize,
  /// Users (decoders) of the open contexts.
  pub users: usize,
  /// Contexts created and freed since the cache was made.
  pub created: u64,
  pub freed: u64,
}

/// One user's hold on a cached context: the context stays open while any is held; dropping the last
/// one frees it.
pub struct DeviceRef<H: Copy + Send> {
  cache: Arc<DeviceCache<H>>,
  key: DeviceKey,
  handle: H,
}

impl<H: Copy + Send> DeviceRef<H> {
  pub fn handle(&self) -> H {
    self.handle
  }
  pub fn key(&self) -> &DeviceKey {
    &self.key
  }
  /// Which context this is, for status reports.
  pub fn about(&self) -> String {
    match self.cache.contexts {
      0 => "a device context of its own".into(),
      n => format!("shared device context {} of {n}", self.key.shard + 1),
    }
  }
}

impl<H: Copy + Send> Drop for DeviceRef<H> {
  fn drop(&mut self) {
    self.cache.put_back(&self.key);
  }
}

impl<H: Copy + Send> DeviceCache<H> {
  pub fn new(
    contexts: usize,
    create: impl Fn(&DeviceKey) -> std::result::Result<H, String> + Send + Sync + 'static,
    free: impl Fn(H) + Send + Sync + 'static,
  ) -> Arc<Self> {
    Arc::new(Self {
      contexts,
      create: Box::new(create),
      free: Box::new(free),
      state: Mutex::new(State { slots: HashMap::new(), next: HashMap::new(), unshared: 0, created: 0, freed: 0 }),
      opened: Condvar::new(),
    })
  }

  fn lock(&self) -> MutexGuard<'_, State<H>> {
    // A panic in create/free runs outside the lock; a poisoned lock still holds consistent counts.
    self.state.lock().unwrap_or_else(|p| p.into_inner())
  }

  /// A context of this device for one more user: the next shard's, created if it is not open.
  pub fn acquire(self: &Arc<Self>, hw: i32, device: Option<&str>) -> std::result::Result<DeviceRef<H>, String> {
    let mut st = self.lock();
    let shard = if self.contexts == 0 {
      st.unshared += 1;
      st.unshared
    } else {
      let next = st.next.entry((hw, device.map(str::to_owned))).or_insert(0);
      let shard = *next;
      *next = (shard + 1) % self.contexts;
      shard
    };
    let key = DeviceKey { hw, device: device.map(str::to_owned), shard };
    loop {
      match st.slots.get_mut(&key) {
        Some(Slot::Open { handle, users }) => {
          *users += 1;
          let handle = *handle;
          return Ok(DeviceRef { cache: self.clone(), key, handle });
        }
        Some(Slot::Opening) => st = self.opened.wait(st).unwrap_or_else(|p| p.into_inner()),
        None => {
          st.slots.insert(key.clone(), Slot::Opening);
          drop(st);
          let made = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (self.create)(&key)))
            .unwrap_or_else(|_| Err("creating the device context panicked".into()));
          let mut st = self.lock();
          let r = match made {
            Ok(handle) => {
              st.slots.insert(key.clone(), Slot::Open { handle, users: 1 });
              st.created += 1;
              Ok(DeviceRef { cache: self.clone(), key, handle })
            }
            // Users waiting for this shard try to create it themselves (the failure may be transient).
            Err(e) => {
              st.slots.remove(&key);
              Err(e)
            }
          };
          drop(st);
          self.opened.notify_all();
          return r;
        }
      }
    }
  }

  fn put_back(&self, key: &DeviceKey) {
    let mut st = self.lock();
    let last = match st.slots.get_mut(key) {
      Some(Slot::Open { users, .. }) => {
        *users -= 1;
        *users == 0
      }
      _ => false,
    };
    if !last {
      return;
    }
    let Some(Slot::Open { handle, .. }) = st.slots.remove(key) else { return };
    st.freed += 1;
    drop(st);
    (self.free)(handle);
  }

  pub fn stats(&self) -> DeviceStats {
    let st = self.lock();
    let (mut open, mut users) = (0, 0);
    for s in st.slots.values() {
      if let Slot::Open { users: u, .. } = s {
        open += 1;
        users += u;
      }
    }
    DeviceStats { contexts_per_device: self.contexts, open, users, created: st.created, freed: st.freed }
  }
}

/// `G2G_HW_CONTEXTS` as a shard count: unset or unreadable, the default; capped at MAX_CONTEXTS.
pub fn contexts_setting(value: Option<&str>) -> usize {
  value.and_then(|v| v.trim().parse::<usize>().ok()).map_or(DEFAULT_CONTEXTS, |n| n.min(MAX_CONTEXTS))
}

/// A libavutil device context (an AVBufferRef the cache holds one reference to).
#[derive(Clone, Copy, Debug)]
pub struct AvDevice(pub *mut ffi::G2gHwDevice);

// A reference-counted AVBufferRef: created, referenced and unreferenced from any thread.
unsafe impl Send for AvDevice {}
unsafe impl Sync for AvDevice {}

/// The process's cache of libavutil device contexts (shards from `G2G_HW_CONTEXTS`, read once).
pub fn devices() -> &'static Arc<DeviceCache<AvDevice>> {
  static CACHE: OnceLock<Arc<DeviceCache<AvDevice>>> = OnceLock::new();
  CACHE.get_or_init(|| {
    DeviceCache::new(contexts_setting(std::env::var("G2G_HW_CONTEXTS").ok().as_deref()), create_av_device, |d: AvDevice| unsafe {
      ffi::g2g_hwdevice_unref(d.0)
    })
  })
}

fn create_av_device(key: &DeviceKey) -> std::result::Result<AvDevice, String> {
  let device = key.device.as_deref().map(CString::new).transpose().map_err(|_| "device contains NUL".to_string())?;
  let mut err = ffi::ErrBuf::new();
  let raw = unsafe { ffi::g2g_hwdevice_create(key.hw, device.as_ref().map_or(std::ptr::null(), |d| d.as_ptr()), err.ptr(), err.capacity()) };
  if raw.is_null() {
    Err(err.text())
  } else {
    Ok(AvDevice(raw))
  }
}

/// Device contexts that are not shared: one per decoder.
fn unshared_devices() -> &'static Arc<DeviceCache<AvDevice>> {
  static CACHE: OnceLock<Arc<DeviceCache<AvDevice>>> = OnceLock::new();
  CACHE.get_or_init(|| DeviceCache::new(0, create_av_device, |d: AvDevice| unsafe { ffi::g2g_hwdevice_unref(d.0) }))
}

/// Where a decoder of this device type takes its context: CUDA's are shared (`devices`); others, VA-API's,
/// one each (whether decoders on several threads may share one VADisplay is the driver's business, and it
/// was not measured).
pub fn cache_for(hw: i32) -> &'static Arc<DeviceCache<AvDevice>> {
  if hw == ffi::HW_CUDA {
    devices()
  } else {
    unshared_devices()
  }
}

#[cfg(test)]
mod tests {
  use super::*;
  use std::sync::atomic::{AtomicUsize, Ordering};
  use std::time::Duration;

  /// Contexts created so far, and those freed (in order).
  type Made = Arc<AtomicUsize>;
  type Freed = Arc<Mutex<Vec<usize>>>;

  /// A cache whose contexts are numbers, with counters of creates and frees.
  fn counting(contexts: usize) -> (Arc<DeviceCache<usize>>, Made, Freed) {
    let made = Arc::new(AtomicUsize::new(0));
    let freed = Arc::new(Mutex::new(Vec::new()));
    let (m, f) = (made.clone(), freed.clone());
    let cache = DeviceCache::new(contexts, move |_k: &DeviceKey| Ok(m.fetch_add(1, Ordering::SeqCst) + 100), move |h| f.lock().unwrap().push(h));
    (cache, made, freed)
  }

  #[test]
  fn decoders_go_round_robin_over_the_shards() {
    let (cache, made, _) = counting(3);
    let refs: Vec<_> = (0..7).map(|_| cache.acquire(1, None).unwrap()).collect();
    let shards: Vec<_> = refs.iter().map(|r| r.key().shard).collect();
    assert_eq!(shards, vec![0, 1, 2, 0, 1, 2, 0]);
    assert_eq!(made.load(Ordering::SeqCst), 3, "one context per shard");
    assert_eq!(refs[0].handle(), refs[3].handle());
    assert_ne!(refs[0].handle(), refs[1].handle());
    assert_eq!(cache.stats(), DeviceStats { contexts_per_device: 3, open: 3, users: 7, created: 3, freed: 0 });
  }

  #[test]
  fn the_last_user_of_a_shard_frees_it() {
    let (cache, _, freed) = counting(2);
    let a = cache.acquire(1, None).unwrap(); // shard 0
    let b = cache.acquire(1, None).unwrap(); // shard 1
    let c = cache.acquire(1, None).unwrap(); // shard 0
    let h0 = a.handle();
    drop(a);
    assert!(freed.lock().unwrap().is_empty(), "shard 0 still has a user");
    drop(c);
    assert_eq!(*freed.lock().unwrap(), vec![h0]);
    assert_eq!(cache.stats().open, 1);
    drop(b);
    assert_eq!(freed.lock().unwrap().len(), 2);
    assert_eq!(cache.stats(), DeviceStats { contexts_per_device: 2, open: 0, users: 0, created: 2, freed: 2 });
  }

  #[test]
  fn a_freed_shard_is_created_again_for_its_next_user() {
    let (cache, made, _) = counting(1);
    let a = cache.acquire(1, None).unwrap();
    let h = a.handle();
    drop(a);
    let b = cache.acquire(1, None).unwrap();
    assert_ne!(b.handle(), h);
    assert_eq!(made.load(Ordering::SeqCst), 2);
  }

  #[test]
  fn devices_and_types_have_shards_of_their_own() {
    let (cache, made, _) = counting(2);
    let a = cache.acquire(1, None).unwrap();
    let b = cache.acquire(1, Some("1")).unwrap();
    let c = cache.acquire(2, None).unwrap();
    assert_eq!((a.key().shard, b.key().shard, c.key().shard), (0, 0, 0));
    assert_eq!(made.load(Ordering::SeqCst), 3);
    let d = cache.acquire(1, Some("1")).unwrap();
    assert_eq!(d.key().shard, 1);
  }

  #[test]
  fn only_cuda_contexts_are_shared() {
    assert!(Arc::ptr_eq(cache_for(ffi::HW_CUDA), devices()));
    assert_eq!(cache_for(ffi::HW_VAAPI).stats().contexts_per_device, 0);
  }

  #[test]
  fn zero_contexts_means_one_per_decoder() {
    let (cache, made, freed) = counting(0);
    let refs: Vec<_> = (0..4).map(|_| cache.acquire(1, None).unwrap()).collect();
    assert_eq!(made.load(Ordering::SeqCst), 4);
    let mut handles: Vec<_> = refs.iter().map(|r| r.handle()).collect();
    handles.dedup();
    assert_eq!(handles.len(), 4);
    drop(refs);
    assert_eq!(freed.lock().unwrap().len(), 4);
    assert_eq!(cache.stats().open, 0);
  }

  #[test]
  fn a_failed_create_is_an_error_and_leaves_nothing_open() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c2 = calls.clone();
    let cache = DeviceCache::new(
      2,
      move |_k: &DeviceKey| if c2.fetch_add(1, Ordering::SeqCst) == 0 { Err("no device".to_string()) } else { Ok(7usize) },
      |_h| {},
    );
    assert_eq!(cache.acquire(1, None).err().as_deref(), Some("no device"));
    assert_eq!(cache.stats().open, 0);
    // The shard counter moved on; the failed shard is tried again when its turn comes.
    let a = cache.acquire(1, None).unwrap();
    let b = cache.acquire(1, None).unwrap();
    assert_eq!((a.key().shard, b.key().shard), (1, 0));
    assert_eq!(cache.stats().open, 2);
  }

  #[test]
  fn concurrent_users_of_one_shard_wait_for_a_single_create() {
    let made = Arc::new(AtomicUsize::new(0));
    let m = made.clone();
    let cache = DeviceCache::new(
      1,
      move |_k: &DeviceKey| {
        std::thread::sleep(Duration::from_millis(50));
        Ok(m.fetch_add(1, Ordering::SeqCst))
      },
      |_h| {},
    );
    let threads: Vec<_> = (0..8)
      .map(|_| {
        let c = cache.clone();
        std::thread::spawn(move || {
          let r = c.acquire(1, None).unwrap();
          let h = r.handle();
          (h, r)
        })
      })
      .collect();
    let held: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(made.load(Ordering::SeqCst), 1);
    assert!(held.iter().all(|(h, _)| *h == 0));
    assert_eq!(cache.stats().users, 8);
  }

  #[test]
  fn a_panicking_create_is_an_error_not_a_stuck_shard() {
    let cache = DeviceCache::new(1, |_k: &DeviceKey| -> std::result::Result<usize, String> { panic!("driver") }, |_h| {});
    assert!(cache.acquire(1, None).is_err());
    assert!(cache.acquire(1, None).is_err(), "a second user does not wait forever");
  }

  #[test]
  fn the_setting_reads_g2g_hw_contexts() {
    assert_eq!(contexts_setting(None), DEFAULT_CONTEXTS);
    assert_eq!(contexts_setting(Some("0")), 0);
    assert_eq!(contexts_setting(Some(" 4 ")), 4);
    assert_eq!(contexts_setting(Some("many")), DEFAULT_CONTEXTS);
    assert_eq!(contexts_setting(Some("100000")), MAX_CONTEXTS);
  }
}
