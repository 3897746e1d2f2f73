//! Standalone kmsSink check (no Node): opens a display the way kmsSink does, prints the output chosen,
//! flips `N` frames of a moving bar and prints the flip feedback, or prints why it could not open.
//!
//!   kms_probe [--device /dev/dri/card0] [--connector HDMI-A-1] [--mode 1920x1080@60] [--frames 120]
//!
//! Built with `cargo build --release --example kms_probe --no-default-features --features kms`.
use g2g_native::kms::{Display, Options};
use g2g_native::wayland::convert::InFormat;
use std::time::{Duration, Instant};

fn main() {
  let mut o = Options { buffers: 3, ..Options::default() };
  let mut frames = 120usize;
  let mut args = std::env::args().skip(1);
  while let Some(a) = args.next() {
    let mut val = || args.next().unwrap_or_else(|| panic!("{a} needs a value"));
    match a.as_str() {
      "--device" => o.device = Some(val()),
      "--connector" => o.connector = Some(val()),
      "--mode" => o.mode = Some(val()),
      "--frames" => frames = val().parse().expect("--frames N"),
      _ => panic!("unknown argument {a}"),
    }
  }
  let mut d = match Display::open(&o) {
    Ok(d) => d,
    Err(e) => {
      println!("open failed ({}): {e}", e.code());
      std::process::exit(2);
    }
  };
  println!("output: {:?}", d.info());
  let (w, h) = (640usize, 360usize);
  let mut rgba = vec![0u8; w * h * 4];
  let t0 = Instant::now();
  for i in 0..frames {
    // A white bar moving across grey: tearing or a missed flip shows as a broken bar.
    for (k, px) in rgba.chunks_exact_mut(4).enumerate() {
      let x = k % w;
      let v = if (x + w - (i * 8) % w) % w < 32 { 255 } else { 64 };
      px.copy_from_slice(&[v, v, v, 255]);
    }
    if let Err(e) = d.present(InFormat::Rgba, &rgba, w, h, None) {
      println!("present failed at frame {i}: {e}");
      std::process::exit(3);
    }
    std::thread::sleep(Duration::from_millis(8));
  }
  std::thread::sleep(Duration::from_millis(100));
  let fb = d.take_feedback();
  let s = d.stats();
  println!("{frames} frames in {:?}: {s:?}", t0.elapsed());
  if let (Some(a), Some(b)) = (fb.first(), fb.last()) {
    let n = (fb.len() - 1).max(1) as f64;
    println!("flips {}; mean interval {:.3} ms; vblank sequence {}..{}", fb.len(), (b.presented_ns - a.presented_ns) as f64 / n / 1e6, a.sequence, b.sequence);
  }
  d.close();
}
