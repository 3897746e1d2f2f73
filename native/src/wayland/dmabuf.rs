//! linux-dmabuf buffers for YUV frames: where the compositor offers `zwp_linux_dmabuf_v1` with the frame's
//! format (weston's GL renderer does, NV12 and YUV420 with the LINEAR modifier), an I420/NV12 frame is copied
//! as it is into a slot of the memfd pool and handed over as a dma-buf with one plane per YUV plane: no
//! conversion on our side, the compositor samples YUV on its GPU. A memfd stands in for a dma-buf fd (weston
//! imports it through EGL; a real dma-buf from a decoder or a GPU would go the same way).
use super::convert::InFormat;

/// DRM fourcc codes (drm_fourcc.h).
pub const DRM_FORMAT_NV12: u32 = u32::from_le_bytes(*b"NV12");
pub const DRM_FORMAT_YUV420: u32 = u32::from_le_bytes(*b"YU12");
/// DRM_FORMAT_MOD_LINEAR.
pub const MOD_LINEAR: u64 = 0;
/// DRM_FORMAT_MOD_INVALID: the format event of protocol v1/v2 (implicit modifier).
pub const MOD_INVALID: u64 = 0x00ff_ffff_ffff_ffff;

/// Whether to use linux-dmabuf buffers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DmabufUse {
  /// Where the compositor offers the frame's format (else wl_shm, converted to XRGB).
  #[default]
  Auto,
  Never,
}

/// The DRM format a YUV frame is shown as, and its planes in a slot: (offset, stride) each.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YuvLayout {
  pub fourcc: u32,
  pub planes: Vec<(usize, usize)>,
  pub size: usize,
}

/// The slot layout of a frame of this format and size; None where it goes by wl_shm (RGB, odd sizes).
pub fn layout(fmt: InFormat, w: usize, h: usize) -> Option<YuvLayout> {
  if !w.is_multiple_of(2) || !h.is_multiple_of(2) {
    return None;
  }
  let (y, c) = (w * h, (w / 2) * (h / 2));
  match fmt {
    InFormat::Nv12 => Some(YuvLayout { fourcc: DRM_FORMAT_NV12, planes: vec![(0, w), (y, w)], size: y + 2 * c }),
    InFormat::I420 => Some(YuvLayout { fourcc: DRM_FORMAT_YUV420, planes: vec![(0, w), (y, w / 2), (y + c, w / 2)], size: y + 2 * c }),
    _ => None,
  }
}

/// Whether the compositor listed the format with a modifier we can give (LINEAR, or implicit).
pub fn offered(formats: &[(u32, u64)], fourcc: u32) -> bool {
  formats.iter().any(|&(f, m)| f == fourcc && (m == MOD_LINEAR || m == MOD_INVALID))
}

/// Copies the frame's planes (source offsets/strides) into the slot's tight layout.
pub fn copy_planes(fmt: InFormat, src: &[u8], w: usize, h: usize, planes: &[(usize, usize)], l: &YuvLayout, dst: &mut [u8]) {
  for (k, (&(so, ss), &(doff, ds))) in planes.iter().zip(&l.planes).enumerate() {
    let (rows, row) = match (fmt, k) {
      (_, 0) => (h, w),
      (InFormat::Nv12, _) => (h / 2, w),
      _ => (h / 2, w / 2),
    };
    for r in 0..rows {
      dst[doff + r * ds..doff + r * ds + row].copy_from_slice(&src[so + r * ss..so + r * ss + row]);
    }
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn fourcc_codes_are_drm_fourcc_h() {
    assert_eq!(DRM_FORMAT_NV12, 0x3231_564e);
    assert_eq!(DRM_FORMAT_YUV420, 0x3231_5559);
  }

  #[test]
  fn layouts_and_offers() {
    let l = layout(InFormat::I420, 4, 2).unwrap();
    assert_eq!(l.planes, vec![(0, 4), (8, 2), (10, 2)]);
    assert_eq!(l.size, 12);
    assert!(layout(InFormat::Nv12, 5, 2).is_none());
    assert!(layout(InFormat::Rgba, 4, 2).is_none());
    assert!(offered(&[(DRM_FORMAT_NV12, MOD_LINEAR)], DRM_FORMAT_NV12));
    assert!(!offered(&[(DRM_FORMAT_NV12, 0x0100_0000_0000_0001)], DRM_FORMAT_NV12));
  }

  #[test]
  fn copies_strided_planes_tight() {
    // NV12 4x2 with source strides 6 (padding bytes 9).
    let src = [1, 2, 3, 4, 9, 9, 5, 6, 7, 8, 9, 9, 10, 11, 12, 13, 9, 9];
    let l = layout(InFormat::Nv12, 4, 2).unwrap();
    let mut dst = vec![0; l.size];
    copy_planes(InFormat::Nv12, &src, 4, 2, &[(0, 6), (12, 6)], &l, &mut dst);
    assert_eq!(dst, vec![1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13]);
  }
}
