//! The DRM uapi kmsSink uses, as raw ioctls through libc: no libdrm at build or run time. Struct layouts and
//! numbers are include/uapi/drm/drm.h and drm_mode.h (stable kernel ABI); sizes are checked by tests, since
//! a wrong size gives a different ioctl number and the kernel answers ENOTTY rather than misreading memory.
#![allow(dead_code)] // the full structs, as the kernel defines them; not every field is read

use std::io;
use std::os::fd::RawFd;

const fn iowr(nr: u32, size: usize) -> libc::c_ulong {
  ((3u32 << 30) | ((size as u32) << 16) | ((b'd' as u32) << 8) | nr) as libc::c_ulong
}
const fn iow(nr: u32, size: usize) -> libc::c_ulong {
  ((1u32 << 30) | ((size as u32) << 16) | ((b'd' as u32) << 8) | nr) as libc::c_ulong
}

#[repr(C)]
#[derive(Default)]
pub struct GetCap {
  pub capability: u64,
  pub value: u64,
}

#[repr(C)]
#[derive(Default)]
pub struct CardRes {
  pub fb_id_ptr: u64,
  pub crtc_id_ptr: u64,
  pub connector_id_ptr: u64,
  pub encoder_id_ptr: u64,
  pub count_fbs: u32,
  pub count_crtcs: u32,
  pub count_connectors: u32,
  pub count_encoders: u32,
  pub min_width: u32,
  pub max_width: u32,
  pub min_height: u32,
  pub max_height: u32,
}

#[repr(C)]
#[derive(Default)]
pub struct GetEncoder {
  pub encoder_id: u32,
  pub encoder_type: u32,
  pub crtc_id: u32,
  pub possible_crtcs: u32,
  pub possible_clones: u32,
}

#[repr(C)]
#[derive(Default)]
pub struct GetConnector {
  pub encoders_ptr: u64,
  pub modes_ptr: u64,
  pub props_ptr: u64,
  pub prop_values_ptr: u64,
  pub count_modes: u32,
  pub count_props: u32,
  pub count_encoders: u32,
  pub encoder_id: u32,
  pub connector_id: u32,
  pub connector_type: u32,
  pub connector_type_id: u32,
  pub connection: u32,
  pub mm_width: u32,
  pub mm_height: u32,
  pub subpixel: u32,
  pub pad: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct ModeInfo {
  pub clock: u32,
  pub hdisplay: u16,
  pub hsync_start: u16,
  pub hsync_end: u16,
  pub htotal: u16,
  pub hskew: u16,
  pub vdisplay: u16,
  pub vsync_start: u16,
  pub vsync_end: u16,
  pub vtotal: u16,
  pub vscan: u16,
  pub vrefresh: u32,
  pub flags: u32,
  pub type_: u32,
  pub name: [u8; 32],
}

pub const MODE_FLAG_INTERLACE: u32 = 1 << 4;
pub const MODE_FLAG_DBLSCAN: u32 = 1 << 5;
pub const MODE_TYPE_PREFERRED: u32 = 1 << 3;
pub const CONNECTED: u32 = 1;

#[repr(C)]
pub struct GetProperty {
  pub values_ptr: u64,
  pub enum_blob_ptr: u64,
  pub prop_id: u32,
  pub flags: u32,
  pub name: [u8; 32],
  pub count_values: u32,
  pub count_enum_blobs: u32,
}

#[repr(C)]
#[derive(Default)]
pub struct CreateDumb {
  pub height: u32,
  pub width: u32,
  pub bpp: u32,
  pub flags: u32,
  pub handle: u32,
  pub pitch: u32,
  pub size: u64,
}

#[repr(C)]
#[derive(Default)]
pub struct MapDumb {
  pub handle: u32,
  pub pad: u32,
  pub offset: u64,
}

#[repr(C)]
#[derive(Default)]
pub struct PlaneRes {
  pub plane_id_ptr: u64,
  pub count_planes: u32,
}

#[repr(C)]
#[derive(Default)]
pub struct GetPlane {
  pub plane_id: u32,
  pub crtc_id: u32,
  pub fb_id: u32,
  pub possible_crtcs: u32,
  pub gamma_size: u32,
  pub count_format_types: u32,
  pub format_type_ptr: u64,
}

#[repr(C)]
#[derive(Default)]
pub struct FbCmd2 {
  pub fb_id: u32,
  pub width: u32,
  pub height: u32,
  pub pixel_format: u32,
  pub flags: u32,
  pub handles: [u32; 4],
  pub pitches: [u32; 4],
  pub offsets: [u32; 4],
  pub modifier: [u64; 4],
}

#[repr(C)]
#[derive(Default)]
pub struct ObjGetProperties {
  pub props_ptr: u64,
  pub prop_values_ptr: u64,
  pub count_props: u32,
  pub obj_id: u32,
  pub obj_type: u32,
}

#[repr(C)]
#[derive(Default)]
pub struct Atomic {
  pub flags: u32,
  pub count_objs: u32,
  pub objs_ptr: u64,
  pub count_props_ptr: u64,
  pub props_ptr: u64,
  pub prop_values_ptr: u64,
  pub reserved: u64,
  pub user_data: u64,
}

#[repr(C)]
#[derive(Default)]
pub struct CreateBlob {
  pub data: u64,
  pub length: u32,
  pub blob_id: u32,
}

/// struct drm_event_vblank: what a page-flip completion reads as (after a struct drm_event header).
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct EventVblank {
  pub type_: u32,
  pub length: u32,
  pub user_data: u64,
  pub tv_sec: u32,
  pub tv_usec: u32,
  pub sequence: u32,
  pub crtc_id: u32,
}

pub const EVENT_FLIP_COMPLETE: u32 = 0x02;

pub const CAP_DUMB_BUFFER: u64 = 0x1;
pub const CLIENT_CAP_UNIVERSAL_PLANES: u64 = 2;
pub const CLIENT_CAP_ATOMIC: u64 = 3;

pub const OBJECT_CRTC: u32 = 0xcccc_cccc;
pub const OBJECT_CONNECTOR: u32 = 0xc0c0_c0c0;
pub const OBJECT_PLANE: u32 = 0xeeee_eeee;
/// The plane "type" property's value for a primary plane.
pub const PLANE_TYPE_PRIMARY: u64 = 1;

pub const PAGE_FLIP_EVENT: u32 = 0x01;
pub const ATOMIC_TEST_ONLY: u32 = 0x0100;
pub const ATOMIC_NONBLOCK: u32 = 0x0200;
pub const ATOMIC_ALLOW_MODESET: u32 = 0x0400;

pub const GET_CAP: libc::c_ulong = iowr(0x0c, size_of::<GetCap>());
pub const SET_CLIENT_CAP: libc::c_ulong = iow(0x0d, size_of::<GetCap>());
pub const MODE_GETRESOURCES: libc::c_ulong = iowr(0xA0, size_of::<CardRes>());
pub const MODE_GETENCODER: libc::c_ulong = iowr(0xA6, size_of::<GetEncoder>());
pub const MODE_GETCONNECTOR: libc::c_ulong = iowr(0xA7, size_of::<GetConnector>());
pub const MODE_GETPROPERTY: libc::c_ulong = iowr(0xAA, size_of::<GetProperty>());
pub const MODE_RMFB: libc::c_ulong = iowr(0xAF, size_of::<u32>());
pub const MODE_CREATE_DUMB: libc::c_ulong = iowr(0xB2, size_of::<CreateDumb>());
pub const MODE_MAP_DUMB: libc::c_ulong = iowr(0xB3, size_of::<MapDumb>());
pub const MODE_DESTROY_DUMB: libc::c_ulong = iowr(0xB4, size_of::<u32>());
pub const MODE_GETPLANERESOURCES: libc::c_ulong = iowr(0xB5, size_of::<PlaneRes>());
pub const MODE_GETPLANE: libc::c_ulong = iowr(0xB6, size_of::<GetPlane>());
pub const MODE_ADDFB2: libc::c_ulong = iowr(0xB8, size_of::<FbCmd2>());
pub const MODE_OBJ_GETPROPERTIES: libc::c_ulong = iowr(0xB9, size_of::<ObjGetProperties>());
pub const MODE_ATOMIC: libc::c_ulong = iowr(0xBC, size_of::<Atomic>());
pub const MODE_CREATEPROPBLOB: libc::c_ulong = iowr(0xBD, size_of::<CreateBlob>());
pub const MODE_DESTROYPROPBLOB: libc::c_ulong = iowr(0xBE, size_of::<u32>());

/// One ioctl, retried on EINTR/EAGAIN as libdrm's drmIoctl does (a signal must not fail a commit).
pub fn ioctl<T>(fd: RawFd, req: libc::c_ulong, arg: &mut T) -> io::Result<()> {
  loop {
    // The request's size matches T: the constants above are built from these structs.
    let r = unsafe { libc::ioctl(fd, req as _, arg as *mut T) };
    if r == 0 {
      return Ok(());
    }
    let e = io::Error::last_os_error();
    match e.raw_os_error() {
      Some(libc::EINTR) | Some(libc::EAGAIN) => continue,
      _ => return Err(e),
    }
  }
}

/// A user pointer field (u64) pointing at a Vec's storage.
pub fn ptr<T>(v: &mut [T]) -> u64 {
  v.as_mut_ptr() as u64
}

/// A C string field (NUL padded) as text.
pub fn cstr(b: &[u8]) -> String {
  let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
  String::from_utf8_lossy(&b[..end]).into_owned()
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn struct_sizes_match_the_kernel_abi() {
    assert_eq!(size_of::<CardRes>(), 64);
    assert_eq!(size_of::<GetConnector>(), 80);
    assert_eq!(size_of::<ModeInfo>(), 68);
    assert_eq!(size_of::<GetProperty>(), 64);
    assert_eq!(size_of::<CreateDumb>(), 32);
    assert_eq!(size_of::<FbCmd2>(), 104);
    assert_eq!(size_of::<ObjGetProperties>(), 32);
    assert_eq!(size_of::<Atomic>(), 56);
    assert_eq!(size_of::<EventVblank>(), 32);
    assert_eq!(size_of::<GetPlane>(), 32);
    assert_eq!(size_of::<PlaneRes>(), 16);
  }

  #[test]
  fn ioctl_numbers_match_libdrm() {
    // The kernel's DRM_IOCTL_* values (as strace and libdrm headers list them).
    assert_eq!(MODE_GETRESOURCES, 0xC040_64A0);
    assert_eq!(MODE_GETPROPERTY, 0xC040_64AA);
    assert_eq!(MODE_OBJ_GETPROPERTIES, 0xC020_64B9);
    assert_eq!(MODE_GETPLANE, 0xC020_64B6);
    assert_eq!(MODE_GETPLANERESOURCES, 0xC010_64B5);
    assert_eq!(MODE_CREATEPROPBLOB, 0xC010_64BD);
    assert_eq!(MODE_DESTROYPROPBLOB, 0xC004_64BE);
    assert_eq!(MODE_GETCONNECTOR, 0xC050_64A7);
    assert_eq!(MODE_ATOMIC, 0xC038_64BC);
    assert_eq!(MODE_ADDFB2, 0xC068_64B8);
    assert_eq!(MODE_CREATE_DUMB, 0xC020_64B2);
    assert_eq!(SET_CLIENT_CAP, 0x4010_640D);
  }
}
