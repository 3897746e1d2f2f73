//! Finding what to drive: the card, its connector, a CRTC and that CRTC's primary plane, and the property
//! ids an atomic commit names. Thin safe wrappers over `sys`; every error says which device and object.
use super::connector::{self, Selector};
use super::sys::{self, ioctl, ptr};
use crate::error::{NativeError, Result};
use std::collections::HashMap;
use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// Where cards are found when no device is named.
pub const DRI_DIR: &str = "/dev/dri";

pub(super) fn display_error(msg: impl Into<String>) -> NativeError {
  NativeError::Display(msg.into())
}

/// `/dev/dri/card*` in number order; an error naming the directory when there is none (no GPU, a container
/// without the device passed in).
pub fn card_paths(dir: &Path) -> Result<Vec<PathBuf>> {
  let entries = std::fs::read_dir(dir).map_err(|e| display_error(format!("no DRM device found: {} cannot be read ({e})", dir.display())))?;
  let mut cards: Vec<(u32, PathBuf)> = entries
    .filter_map(|e| e.ok())
    .filter_map(|e| {
      let n = e.file_name().to_str()?.strip_prefix("card")?.parse::<u32>().ok()?;
      Some((n, e.path()))
    })
    .collect();
  cards.sort();
  if cards.is_empty() {
    return Err(display_error(format!("no DRM device found: no card* in {}", dir.display())));
  }
  Ok(cards.into_iter().map(|(_, p)| p).collect())
}

pub fn open(path: &Path) -> Result<OwnedFd> {
  let c = CString::new(path.as_os_str().as_bytes()).map_err(|_| NativeError::invalid("device path contains a NUL byte"))?;
  let fd = unsafe { libc::open(c.as_ptr(), libc::O_RDWR | libc::O_CLOEXEC) };
  if fd < 0 {
    return Err(display_error(format!("no DRM device at {}: {}", path.display(), std::io::Error::last_os_error())));
  }
  Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Atomic modesetting (and with it universal planes) must be granted, or nothing below works.
pub fn enable_atomic(fd: RawFd, path: &Path) -> Result<()> {
  for cap in [sys::CLIENT_CAP_UNIVERSAL_PLANES, sys::CLIENT_CAP_ATOMIC] {
    let mut c = sys::GetCap { capability: cap, value: 1 };
    ioctl(fd, sys::SET_CLIENT_CAP, &mut c).map_err(|e| display_error(format!("{} does not support atomic modesetting: {e}", path.display())))?;
  }
  let mut c = sys::GetCap { capability: sys::CAP_DUMB_BUFFER, value: 0 };
  if ioctl(fd, sys::GET_CAP, &mut c).is_err() || c.value == 0 {
    return Err(display_error(format!("{} has no dumb buffers (a render-only device?)", path.display())));
  }
  Ok(())
}

pub struct Resources {
  pub crtcs: Vec<u32>,
  pub connectors: Vec<u32>,
}

pub fn resources(fd: RawFd, path: &Path) -> Result<Resources> {
  let err = |e: std::io::Error| display_error(format!("{} is not a KMS device: {e}", path.display()));
  let mut r = sys::CardRes::default();
  ioctl(fd, sys::MODE_GETRESOURCES, &mut r).map_err(err)?;
  let mut crtcs = vec![0u32; r.count_crtcs as usize];
  let mut connectors = vec![0u32; r.count_connectors as usize];
  let mut r2 = sys::CardRes { crtc_id_ptr: ptr(&mut crtcs), connector_id_ptr: ptr(&mut connectors), count_crtcs: r.count_crtcs, count_connectors: r.count_connectors, ..Default::default() };
  ioctl(fd, sys::MODE_GETRESOURCES, &mut r2).map_err(err)?;
  crtcs.truncate(r2.count_crtcs as usize);
  connectors.truncate(r2.count_connectors as usize);
  Ok(Resources { crtcs, connectors })
}

pub struct Connector {
  pub id: u32,
  pub name: String,
  pub connected: bool,
  pub modes: Vec<sys::ModeInfo>,
  pub encoders: Vec<u32>,
  /// The encoder driving it now (0: none): its CRTC is the one to keep, so nothing else moves.
  pub encoder_id: u32,
}

/// The kernel's two-call pattern: counts first, then arrays of that size; retried if a hotplug grew them.
pub fn connector(fd: RawFd, id: u32) -> std::io::Result<Connector> {
  loop {
    let mut c = sys::GetConnector { connector_id: id, ..Default::default() };
    ioctl(fd, sys::MODE_GETCONNECTOR, &mut c)?;
    let (nm, ne) = (c.count_modes, c.count_encoders);
    let mut modes = vec![sys::ModeInfo::default(); nm as usize];
    let mut encoders = vec![0u32; ne as usize];
    let mut c2 = sys::GetConnector { connector_id: id, modes_ptr: ptr(&mut modes), count_modes: nm, encoders_ptr: ptr(&mut encoders), count_encoders: ne, ..Default::default() };
    ioctl(fd, sys::MODE_GETCONNECTOR, &mut c2)?;
    if c2.count_modes > nm || c2.count_encoders > ne {
      continue;
    }
    modes.truncate(c2.count_modes as usize);
    encoders.truncate(c2.count_encoders as usize);
    return Ok(Connector {
      id,
      name: connector::name(c2.connector_type, c2.connector_type_id),
      connected: c2.connection == sys::CONNECTED,
      modes,
      encoders,
      encoder_id: c2.encoder_id,
    });
  }
}

/// The connector the selector names on this card; an error listing the card's connectors otherwise.
pub fn pick_connector(fd: RawFd, path: &Path, res: &Resources, sel: &Selector) -> Result<Connector> {
  let mut seen = Vec::new();
  for &id in &res.connectors {
    let c = connector(fd, id).map_err(|e| display_error(format!("{}: connector {id}: {e}", path.display())))?;
    if sel.matches(c.id, &c.name, c.connected) {
      if !c.connected {
        return Err(display_error(format!("connector {} ({}) of {} is not connected", c.name, c.id, path.display())));
      }
      return Ok(c);
    }
    seen.push(format!("{} ({}, {})", c.name, c.id, if c.connected { "connected" } else { "disconnected" }));
  }
  let what = match sel {
    Selector::FirstConnected => "no connected connector".to_string(),
    Selector::Id(id) => format!("no connector with id {id}"),
    Selector::Name(n) => format!("no connector named {n}"),
  };
  Err(display_error(format!("{} has {what}; it has: {}", path.display(), if seen.is_empty() { "none".into() } else { seen.join(", ") })))
}

pub fn encoder(fd: RawFd, id: u32) -> std::io::Result<sys::GetEncoder> {
  let mut e = sys::GetEncoder { encoder_id: id, ..Default::default() };
  ioctl(fd, sys::MODE_GETENCODER, &mut e)?;
  Ok(e)
}

/// A CRTC that can drive the connector, as (id, index in the card's list: planes name CRTCs by index):
/// the one it is on now if any (no other output is disturbed), else the first its encoders allow.
pub fn pick_crtc(fd: RawFd, res: &Resources, c: &Connector) -> Option<(u32, usize)> {
  let index = |crtc: u32| res.crtcs.iter().position(|&x| x == crtc);
  if c.encoder_id != 0 {
    if let Ok(e) = encoder(fd, c.encoder_id) {
      if let Some(i) = (e.crtc_id != 0).then(|| index(e.crtc_id)).flatten() {
        return Some((e.crtc_id, i));
      }
    }
  }
  for &eid in &c.encoders {
    let Ok(e) = encoder(fd, eid) else { continue };
    if let Some(i) = (0..res.crtcs.len()).find(|i| e.possible_crtcs & (1 << i) != 0) {
      return Some((res.crtcs[i], i));
    }
  }
  None
}

/// An object's properties by name: (property id, current value).
pub fn properties(fd: RawFd, obj: u32, obj_type: u32) -> std::io::Result<HashMap<String, (u32, u64)>> {
  let mut q = sys::ObjGetProperties { obj_id: obj, obj_type, ..Default::default() };
  ioctl(fd, sys::MODE_OBJ_GETPROPERTIES, &mut q)?;
  let n = q.count_props as usize;
  let (mut ids, mut values) = (vec![0u32; n], vec![0u64; n]);
  let mut q2 = sys::ObjGetProperties { obj_id: obj, obj_type, count_props: n as u32, props_ptr: ptr(&mut ids), prop_values_ptr: ptr(&mut values) };
  ioctl(fd, sys::MODE_OBJ_GETPROPERTIES, &mut q2)?;
  let mut out = HashMap::new();
  for (&id, &v) in ids.iter().zip(&values).take(q2.count_props.min(n as u32) as usize) {
    let mut p = sys::GetProperty { values_ptr: 0, enum_blob_ptr: 0, prop_id: id, flags: 0, name: [0; 32], count_values: 0, count_enum_blobs: 0 };
    ioctl(fd, sys::MODE_GETPROPERTY, &mut p)?;
    out.insert(sys::cstr(&p.name), (id, v));
  }
  Ok(out)
}

/// The primary plane that can show on CRTC `crtc_index`.
pub fn primary_plane(fd: RawFd, crtc_index: usize) -> std::io::Result<Option<u32>> {
  let mut r = sys::PlaneRes::default();
  ioctl(fd, sys::MODE_GETPLANERESOURCES, &mut r)?;
  let mut ids = vec![0u32; r.count_planes as usize];
  let mut r2 = sys::PlaneRes { plane_id_ptr: ptr(&mut ids), count_planes: r.count_planes };
  ioctl(fd, sys::MODE_GETPLANERESOURCES, &mut r2)?;
  for &id in ids.iter().take(r2.count_planes as usize) {
    let mut p = sys::GetPlane { plane_id: id, ..Default::default() };
    ioctl(fd, sys::MODE_GETPLANE, &mut p)?;
    if p.possible_crtcs & (1 << crtc_index) == 0 {
      continue;
    }
    if properties(fd, id, sys::OBJECT_PLANE)?.get("type").map(|&(_, v)| v) == Some(sys::PLANE_TYPE_PRIMARY) {
      return Ok(Some(id));
    }
  }
  Ok(None)
}

/// The id of the named property, or an error naming the object that lacks it.
pub fn prop(props: &HashMap<String, (u32, u64)>, name: &str, what: &str) -> Result<u32> {
  props.get(name).map(|&(id, _)| id).ok_or_else(|| display_error(format!("the {what} has no '{name}' property (not an atomic driver?)")))
}

/// An atomic commit of (object, property, value) triples, grouped by object as the ioctl wants them.
pub fn commit(fd: RawFd, triples: &[(u32, u32, u64)], flags: u32, user_data: u64) -> std::io::Result<()> {
  let (mut objs, mut counts) = (Vec::<u32>::new(), Vec::<u32>::new());
  let (mut props, mut values) = (Vec::<u32>::new(), Vec::<u64>::new());
  for &(obj, p, v) in triples {
    if objs.last() != Some(&obj) {
      objs.push(obj);
      counts.push(0);
    }
    *counts.last_mut().unwrap() += 1;
    props.push(p);
    values.push(v);
  }
  let mut a = sys::Atomic {
    flags,
    count_objs: objs.len() as u32,
    objs_ptr: ptr(&mut objs),
    count_props_ptr: ptr(&mut counts),
    props_ptr: ptr(&mut props),
    prop_values_ptr: ptr(&mut values),
    reserved: 0,
    user_data,
  };
  ioctl(fd, sys::MODE_ATOMIC, &mut a)
}

pub fn create_mode_blob(fd: RawFd, mode: &sys::ModeInfo) -> std::io::Result<u32> {
  let mut b = sys::CreateBlob { data: mode as *const _ as u64, length: size_of::<sys::ModeInfo>() as u32, blob_id: 0 };
  ioctl(fd, sys::MODE_CREATEPROPBLOB, &mut b)?;
  Ok(b.blob_id)
}

pub fn destroy_blob(fd: &OwnedFd, id: u32) {
  let mut id = id;
  let _ = ioctl(fd.as_raw_fd(), sys::MODE_DESTROYPROPBLOB, &mut id);
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn no_dri_directory_is_a_clear_error() {
    let e = card_paths(Path::new("/nonexistent/dri")).unwrap_err();
    assert!(e.to_string().starts_with("no DRM device found: /nonexistent/dri cannot be read"), "{e}");
    assert_eq!(e.code(), "DISPLAY");
  }

  #[test]
  fn a_directory_without_cards_is_a_clear_error() {
    let dir = std::env::temp_dir().join(format!("g2g-kms-test-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("by-path")).unwrap();
    std::fs::write(dir.join("renderD128"), b"").unwrap();
    let e = card_paths(&dir).unwrap_err();
    std::fs::write(dir.join("card1"), b"").unwrap();
    std::fs::write(dir.join("card10"), b"").unwrap();
    std::fs::write(dir.join("card2"), b"").unwrap();
    let found = card_paths(&dir).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(e.to_string().starts_with("no DRM device found: no card* in"), "{e}");
    // In number order, render nodes left out.
    assert_eq!(found.iter().map(|p| p.file_name().unwrap().to_str().unwrap()).collect::<Vec<_>>(), ["card1", "card2", "card10"]);
  }

  #[test]
  fn opening_a_missing_device_names_it() {
    let e = open(Path::new("/dev/dri/card99-missing")).unwrap_err();
    assert!(e.to_string().starts_with("no DRM device at /dev/dri/card99-missing:"), "{e}");
  }
}
