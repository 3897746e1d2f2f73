//! Pixel conversion into a wl_shm XRGB8888 buffer (little-endian bytes B, G, R, X; X written 0xFF, since
//! pixman shows X = 0 as transparent). YUV is BT.601 limited range (studio swing), as the test sources and
//! libavcodec's software decodes are tagged unless the caps say otherwise.

/// An input layout the sink takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InFormat {
  /// Bytes B, G, R, X: the shm buffer's own layout (copied row by row, X forced to 0xFF).
  Bgrx,
  /// Bytes R, G, B, A (A ignored).
  Rgba,
  I420,
  Nv12,
}

impl InFormat {
  pub fn parse(s: &str) -> Option<Self> {
    match s {
      "BGRx" | "BGRA" => Some(Self::Bgrx),
      "RGBA" | "RGBx" => Some(Self::Rgba),
      "I420" => Some(Self::I420),
      "NV12" => Some(Self::Nv12),
      _ => None,
    }
  }

  pub fn planes(self) -> usize {
    match self {
      Self::Bgrx | Self::Rgba => 1,
      Self::Nv12 => 2,
      Self::I420 => 3,
    }
  }

  /// Packed (tight) plane offsets and strides of a frame of this size.
  pub fn packed(self, w: usize, h: usize) -> Vec<(usize, usize)> {
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    match self {
      Self::Bgrx | Self::Rgba => vec![(0, w * 4)],
      Self::Nv12 => vec![(0, w), (w * h, cw * 2)],
      Self::I420 => vec![(0, w), (w * h, cw), (w * h + cw * ch, cw)],
    }
  }

  /// Bytes the frame needs, read at these planes (each plane's last row counted to its width only).
  pub fn needed(self, w: usize, h: usize, planes: &[(usize, usize)]) -> usize {
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    let rows = |k: usize| -> (usize, usize) {
      match (self, k) {
        (Self::Bgrx | Self::Rgba, _) => (h, w * 4),
        (_, 0) => (h, w),
        (Self::Nv12, _) => (ch, cw * 2),
        _ => (ch, cw),
      }
    };
    planes
      .iter()
      .enumerate()
      .map(|(k, &(off, stride))| {
        let (n, row) = rows(k);
        if n == 0 { off } else { off + stride * (n - 1) + row }
      })
      .max()
      .unwrap_or(0)
  }
}

#[inline]
fn clamp(v: i32) -> u8 {
  v.clamp(0, 255) as u8
}

/// BT.601 limited range, 8-bit fixed point (coefficients × 256): R = 1.164(Y−16) + 1.596(V−128) …
#[inline]
fn yuv_px(y: u8, u: u8, v: u8, out: &mut [u8]) {
  let c = (y as i32 - 16) * 298;
  let d = u as i32 - 128;
  let e = v as i32 - 128;
  out[0] = clamp((c + 516 * d + 128) >> 8);
  out[1] = clamp((c - 100 * d - 208 * e + 128) >> 8);
  out[2] = clamp((c + 409 * e + 128) >> 8);
  out[3] = 0xFF;
}

/// Converts one frame into `dst` (XRGB8888, rows `dst_stride` apart). Sizes are checked by the caller.
pub fn to_xrgb(fmt: InFormat, src: &[u8], w: usize, h: usize, planes: &[(usize, usize)], dst: &mut [u8], dst_stride: usize) {
  for y in 0..h {
    let row = &mut dst[y * dst_stride..y * dst_stride + w * 4];
    match fmt {
      InFormat::Bgrx => {
        let (off, stride) = planes[0];
        row.copy_from_slice(&src[off + y * stride..off + y * stride + w * 4]);
        for px in row.chunks_exact_mut(4) {
          px[3] = 0xFF;
        }
      }
      InFormat::Rgba => {
        let (off, stride) = planes[0];
        let s = &src[off + y * stride..off + y * stride + w * 4];
        for (px, sp) in row.chunks_exact_mut(4).zip(s.chunks_exact(4)) {
          px[0] = sp[2];
          px[1] = sp[1];
          px[2] = sp[0];
          px[3] = 0xFF;
        }
      }
      InFormat::I420 => {
        let (yo, ys) = planes[0];
        let (uo, us) = planes[1];
        let (vo, vs) = planes[2];
        let yr = &src[yo + y * ys..];
        let ur = &src[uo + (y / 2) * us..];
        let vr = &src[vo + (y / 2) * vs..];
        for (x, px) in row.chunks_exact_mut(4).enumerate() {
          yuv_px(yr[x], ur[x / 2], vr[x / 2], px);
        }
      }
      InFormat::Nv12 => {
        let (yo, ys) = planes[0];
        let (uvo, uvs) = planes[1];
        let yr = &src[yo + y * ys..];
        let uv = &src[uvo + (y / 2) * uvs..];
        for (x, px) in row.chunks_exact_mut(4).enumerate() {
          yuv_px(yr[x], uv[(x / 2) * 2], uv[(x / 2) * 2 + 1], px);
        }
      }
    }
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn rgba_is_swizzled_and_x_is_opaque() {
    let src = [10u8, 20, 30, 0, 40, 50, 60, 0];
    let mut dst = [0u8; 8];
    to_xrgb(InFormat::Rgba, &src, 2, 1, &InFormat::Rgba.packed(2, 1), &mut dst, 8);
    assert_eq!(dst, [30, 20, 10, 255, 60, 50, 40, 255]);
  }

  #[test]
  fn bt601_limited_white_black_red() {
    let mut px = [0u8; 4];
    yuv_px(235, 128, 128, &mut px);
    assert_eq!(px, [255, 255, 255, 255]);
    yuv_px(16, 128, 128, &mut px);
    assert_eq!(px, [0, 0, 0, 255]);
    // Red in BT.601 limited: Y 81, Cb 90, Cr 240.
    yuv_px(81, 90, 240, &mut px);
    assert!(px[2] >= 253 && px[1] <= 2 && px[0] <= 2, "{px:?}");
  }

  #[test]
  fn needed_bytes_of_packed_frames() {
    assert_eq!(InFormat::I420.needed(4, 2, &InFormat::I420.packed(4, 2)), 8 + 2 + 2);
    assert_eq!(InFormat::Nv12.needed(4, 2, &InFormat::Nv12.packed(4, 2)), 8 + 4);
  }
}
