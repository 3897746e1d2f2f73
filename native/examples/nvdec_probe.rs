//! Standalone NVDEC check (no Node, no ffmpeg CLI needed on the GPU machine): probes the decoder
//! backends through the system libavcodec, decodes an Annex B file and prints frames, fps and one MD5
//! per frame (I420, tightly packed: the same as `ffmpeg -i FILE -f framemd5 -pix_fmt yuv420p`).
//!
//!   nvdec_probe [--backend nvdec|cuvid|software|auto] [--format I420|NV12] [--live] [--strided] [--quiet] FILE.h264
//!
//! --strided hands frames on in the decoder's own buffer where it can (as h264Dec does before a consumer
//! that honours VIDEO_META); the MD5s are then of the frame packed afterwards, so both modes must agree.
use g2g_native::backend::{self, Backend};
use g2g_native::decoder::{Decoder, DecoderConfig, OutFormat};
use std::time::Instant;

/// Splits Annex B bytes into access units: a unit starts at an AUD, SPS, PPS or SEI following a picture,
/// or at a slice whose first_mb_in_slice is 0 (the first bit of its header is 1).
fn access_units(b: &[u8]) -> Vec<&[u8]> {
  let mut starts = Vec::new(); // (offset of the start code, offset of the NAL header)
  let mut i = 0;
  while i + 3 <= b.len() {
    if b[i] == 0 && b[i + 1] == 0 && b[i + 2] == 1 {
      let sc = if i > 0 && b[i - 1] == 0 { i - 1 } else { i };
      starts.push((sc, i + 3));
      i += 3;
    } else {
      i += 1;
    }
  }
  let mut aus = Vec::new();
  let mut au_start = None;
  let mut seen_vcl = false;
  for &(sc, h) in &starts {
    if h >= b.len() {
      break;
    }
    let t = b[h] & 0x1f;
    let vcl = (1..=5).contains(&t);
    let first_slice = vcl && h + 1 < b.len() && b[h + 1] & 0x80 != 0;
    let begins = seen_vcl && ((6..=9).contains(&t) || first_slice);
    if begins {
      if let Some(s) = au_start {
        aus.push(&b[s..sc]);
      }
      au_start = Some(sc);
      seen_vcl = false;
    }
    if au_start.is_none() {
      au_start = Some(sc);
    }
    seen_vcl |= vcl;
  }
  if let Some(s) = au_start {
    aus.push(&b[s..]);
  }
  aus
}

fn main() {
  let mut args = std::env::args().skip(1);
  let (mut backend, mut format, mut live, mut quiet, mut strided, mut file) = (None, OutFormat::I420, false, false, false, None);
  while let Some(a) = args.next() {
    match a.as_str() {
      "--backend" => backend = args.next().filter(|b| b != "auto").map(|b| Backend::parse(&b).unwrap_or_else(|e| die(e))),
      "--format" => format = OutFormat::parse(&args.next().unwrap_or_default()).unwrap_or_else(|e| die(e)),
      "--live" => live = true,
      "--quiet" => quiet = true,
      "--strided" => strided = true,
      _ => file = Some(a),
    }
  }
  println!("ffmpeg {}", backend::ffmpeg_version());
  for b in Backend::ALL {
    match backend::unavailable(b) {
      None => println!("backend {:<8} available", b.name()),
      Some(r) => println!("backend {:<8} not available: {r}", b.name()),
    }
  }
  let Some(file) = file else { return };
  let bytes = std::fs::read(&file).unwrap_or_else(|e| die(format!("{file}: {e}")));
  let aus = access_units(&bytes);
  let cfg = DecoderConfig { backend, format, threads: 0, live, extradata: None, device: None, strided };
  let mut dec = Decoder::open(&cfg).unwrap_or_else(|e| die(e));
  println!("decoding {} access units of {file} with {} ({}){}", aus.len(), dec.backend().name(), format.name(), if dec.skipped.is_empty() { String::new() } else { format!(", passed over: {}", dec.skipped.join("; ")) });
  let t0 = Instant::now();
  let mut frames = Vec::new();
  let mut rejected = 0;
  for (i, au) in aus.iter().enumerate() {
    let out = dec.decode(au, Some(i as i64), None, false).unwrap_or_else(|e| die(e));
    rejected += out.rejected.is_some() as usize;
    frames.extend(out.frames);
  }
  let out = dec.finish().unwrap_or_else(|e| die(e));
  frames.extend(out.frames);
  let secs = t0.elapsed().as_secs_f64();
  let shared = frames.iter().filter(|f| !f.planes.is_empty()).count();
  if !quiet {
    for (i, f) in frames.iter().enumerate() {
      let packed = f.to_packed(format).unwrap_or_else(|e| die(e));
      println!("frame {i} {}x{} pts {:?}{} md5 {}", f.width, f.height, f.pts, if f.corrupt { " CORRUPT" } else { "" }, md5::hex(&packed));
    }
  }
  println!("frames {} rejected {} time {:.3}s fps {:.1} ({} handed on in the decoder's buffer, the rest copied to packed system memory)", frames.len(), rejected, secs, frames.len() as f64 / secs, shared);
}

fn die(msg: impl std::fmt::Display) -> ! {
  eprintln!("nvdec_probe: {msg}");
  std::process::exit(1)
}

/// MD5 (RFC 1321), here so that the probe needs no crates beyond this one.
mod md5 {
  const S: [u32; 64] = [7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21];

  pub fn hex(data: &[u8]) -> String {
    let k: Vec<u32> = (0..64).map(|i| ((i as f64 + 1.0).sin().abs() * 4294967296.0) as u32).collect();
    let (mut a0, mut b0, mut c0, mut d0) = (0x67452301u32, 0xefcdab89u32, 0x98badcfeu32, 0x10325476u32);
    let mut msg = data.to_vec();
    let bits = (data.len() as u64).wrapping_mul(8);
    msg.push(0x80);
    while msg.len() % 64 != 56 {
      msg.push(0);
    }
    msg.extend_from_slice(&bits.to_le_bytes());
    for chunk in msg.chunks(64) {
      let m: Vec<u32> = chunk.chunks(4).map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]])).collect();
      let (mut a, mut b, mut c, mut d) = (a0, b0, c0, d0);
      for i in 0..64 {
        let (f, g) = match i / 16 {
          0 => ((b & c) | (!b & d), i),
          1 => ((d & b) | (!d & c), (5 * i + 1) % 16),
          2 => (b ^ c ^ d, (3 * i + 5) % 16),
          _ => (c ^ (b | !d), (7 * i) % 16),
        };
        let f = f.wrapping_add(a).wrapping_add(k[i]).wrapping_add(m[g]);
        a = d;
        d = c;
        c = b;
        b = b.wrapping_add(f.rotate_left(S[i]));
      }
      a0 = a0.wrapping_add(a);
      b0 = b0.wrapping_add(b);
      c0 = c0.wrapping_add(c);
      d0 = d0.wrapping_add(d);
    }
    [a0, b0, c0, d0].iter().flat_map(|v| v.to_le_bytes()).map(|x| format!("{x:02x}")).collect()
  }
}
