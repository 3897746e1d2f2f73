//! Where a frame goes in a scan-out buffer. Buffers are the mode's size (dumb buffers, XRGB8888); a frame
//! is not scaled (primary planes of many drivers cannot scale, and a CPU scaler would cost more than the
//! conversion): it is centred, with black around a smaller one and a larger one cropped to its centre.
use crate::wayland::convert::InFormat;

/// XRGB8888 as a DRM fourcc ('X','R','2','4'): the one format every KMS driver scans out.
pub const DRM_FORMAT_XRGB8888: u32 = u32::from_le_bytes(*b"XR24");
pub const BYTES_PER_PIXEL: usize = 4;

/// The frame's visible rectangle: `width` x `height` pixels from (`src_x`, `src_y`) of the frame, drawn at
/// (`dst_x`, `dst_y`) of the buffer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Placement {
  pub src_x: usize,
  pub src_y: usize,
  pub dst_x: usize,
  pub dst_y: usize,
  pub width: usize,
  pub height: usize,
}

/// Centres a `fw` x `fh` frame on a `bw` x `bh` buffer. Crop origins are even, so 4:2:0 chroma stays
/// aligned with luma (an odd origin would shift colour by a pixel).
pub fn place(fw: usize, fh: usize, bw: usize, bh: usize) -> Placement {
  let axis = |f: usize, b: usize| -> (usize, usize, usize) {
    if f <= b {
      (0, (b - f) / 2, f)
    } else {
      (((f - b) / 2) & !1, 0, b)
    }
  };
  let (src_x, dst_x, width) = axis(fw, bw);
  let (src_y, dst_y, height) = axis(fh, bh);
  Placement { src_x, src_y, dst_x, dst_y, width, height }
}

/// The planes (offset, stride) of the frame with its origin moved to (x, y), both even.
pub fn crop_planes(fmt: InFormat, planes: &[(usize, usize)], x: usize, y: usize) -> Vec<(usize, usize)> {
  debug_assert!((x | y) & 1 == 0);
  planes
    .iter()
    .enumerate()
    .map(|(k, &(off, stride))| {
      let (col, row) = match (fmt, k) {
        (InFormat::Bgrx | InFormat::Rgba, _) => (x * 4, y),
        (_, 0) => (x, y),
        (InFormat::Nv12, _) => (x, y / 2), // interleaved U,V: x/2 pairs of 2 bytes
        _ => (x / 2, y / 2),
      };
      (off + row * stride + col, stride)
    })
    .collect()
}

/// Byte offset of (x, y) in a buffer of rows `pitch` apart.
pub fn offset(pitch: usize, x: usize, y: usize) -> usize {
  y * pitch + x * BYTES_PER_PIXEL
}

#[cfg(test)]
mod tests {
  use super::*;
  use crate::wayland::convert::to_xrgb;

  #[test]
  fn fourcc() {
    assert_eq!(DRM_FORMAT_XRGB8888, 0x3432_5258);
  }

  #[test]
  fn smaller_frames_are_centred() {
    assert_eq!(place(1280, 720, 1920, 1080), Placement { src_x: 0, src_y: 0, dst_x: 320, dst_y: 180, width: 1280, height: 720 });
    assert_eq!(place(1920, 1080, 1920, 1080), Placement { width: 1920, height: 1080, ..Placement::default() });
  }

  #[test]
  fn larger_frames_are_cropped_at_even_origins() {
    assert_eq!(place(3840, 2160, 1920, 1080), Placement { src_x: 960, src_y: 540, dst_x: 0, dst_y: 0, width: 1920, height: 1080 });
    // (1926 - 1920) / 2 = 3, made even.
    let p = place(1926, 1080, 1920, 1080);
    assert_eq!((p.src_x, p.width), (2, 1920));
    // Wider but shorter: cropped across, centred down.
    assert_eq!(place(2000, 500, 1920, 1080), Placement { src_x: 40, src_y: 0, dst_x: 0, dst_y: 290, width: 1920, height: 500 });
  }

  #[test]
  fn cropped_i420_and_nv12_read_the_right_pixels() {
    // A 4x4 frame with distinct luma per pixel and chroma per 2x2 block; crop from (2, 2) to 2x2.
    let (w, h) = (4, 4);
    let y: Vec<u8> = (0..16).map(|i| 16 + i * 10).collect();
    let mut i420 = y.clone();
    i420.extend([128, 128, 128, 100]); // U: block (1,1) is 100
    i420.extend([128, 128, 128, 160]); // V
    let mut nv12 = y.clone();
    nv12.extend([128, 128, 128, 128, 128, 128, 100, 160]);
    for (fmt, data) in [(InFormat::I420, &i420), (InFormat::Nv12, &nv12)] {
      let planes = crop_planes(fmt, &fmt.packed(w, h), 2, 2);
      let mut whole = vec![0u8; 2 * 4 * 2];
      to_xrgb(fmt, data, 2, 2, &planes, &mut whole, 8);
      // The same as converting a 2x2 frame made of those samples.
      let mut small = vec![16 + 10 * 10, 16 + 11 * 10, 16 + 14 * 10, 16 + 15 * 10];
      small.extend([100, 160]); // one chroma sample: U then V, in I420's planes and NV12's pairs alike
      let mut expect = vec![0u8; 16];
      to_xrgb(fmt, &small, 2, 2, &fmt.packed(2, 2), &mut expect, 8);
      assert_eq!(whole, expect, "{fmt:?}");
    }
  }

  #[test]
  fn cropped_rgba() {
    let planes = crop_planes(InFormat::Rgba, &[(0, 16)], 2, 2);
    assert_eq!(planes, vec![(2 * 16 + 8, 16)]);
    assert_eq!(offset(7680, 320, 180), 180 * 7680 + 1280);
  }
}
