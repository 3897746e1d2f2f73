//! H.264 encoding with libx264 through libavcodec: the pure-Rust core of the encoder binding.
use crate::decoder::OutFormat;
use crate::error::{NativeError, Result};
use crate::ffi;
use std::ffi::CString;

#[derive(Clone, Debug)]
pub struct EncoderConfig {
  pub codec: String,
  pub width: u32,
  pub height: u32,
  pub format: OutFormat,
  pub fps_num: i32,
  pub fps_den: i32,
  /// bits/s; when set, ABR with a VBV of one second; else `crf`.
  pub bitrate: Option<i64>,
  pub crf: Option<f64>,
  pub gop: Option<i32>,
  pub bframes: Option<i32>,
  pub threads: i32,
  pub preset: Option<String>,
  pub tune: Option<String>,
  pub profile: Option<String>,
  /// Extra `x264-params` (key=value:key=value).
  pub params: Option<String>,
}

pub struct Packet {
  pub data: Vec<u8>,
  pub pts: Option<i64>,
  pub dts: Option<i64>,
  pub key: bool,
}

pub struct Encoder {
  raw: *mut ffi::G2gEnc,
  frame_size: usize,
  format: OutFormat,
  width: u32,
  height: u32,
  eagain: i32,
  eof: i32,
  nopts: i64,
}

// As the decoder: no thread-affine state, access serialised by the binding.
unsafe impl Send for Encoder {}

impl Drop for Encoder {
  fn drop(&mut self) {
    unsafe { ffi::g2g_enc_close(self.raw) };
  }
}

fn opt_cstring(what: &str, v: &Option<String>) -> Result<Option<CString>> {
  v.as_deref().map(|s| CString::new(s).map_err(|_| NativeError::invalid(format!("{what} contains NUL")))).transpose()
}

impl Encoder {
  pub fn open(cfg: &EncoderConfig) -> Result<Self> {
    ffi::init_logging();
    if cfg.width == 0 || cfg.height == 0 || cfg.width > 16384 || cfg.height > 16384 {
      return Err(NativeError::invalid(format!("frame size {}x{} out of range", cfg.width, cfg.height)));
    }
    if cfg.fps_num <= 0 || cfg.fps_den <= 0 {
      return Err(NativeError::invalid(format!("framerate must be positive, got {}/{}", cfg.fps_num, cfg.fps_den)));
    }
    let codec = CString::new(cfg.codec.as_str()).map_err(|_| NativeError::invalid("codec contains NUL"))?;
    let preset = opt_cstring("preset", &cfg.preset)?;
    let tune = opt_cstring("tune", &cfg.tune)?;
    let profile = opt_cstring("profile", &cfg.profile)?;
    let params = opt_cstring("params", &cfg.params)?;
    let p = |c: &Option<CString>| c.as_ref().map_or(std::ptr::null(), |s| s.as_ptr());
    let c = ffi::G2gEncConfig {
      codec: codec.as_ptr(),
      width: cfg.width as i32,
      height: cfg.height as i32,
      nv12: (cfg.format == OutFormat::Nv12) as i32,
      fps_num: cfg.fps_num,
      fps_den: cfg.fps_den,
      bitrate: cfg.bitrate.unwrap_or(0),
      crf: cfg.crf.unwrap_or(-1.0),
      gop: cfg.gop.unwrap_or(0),
      bframes: cfg.bframes.unwrap_or(-1),
      threads: cfg.threads,
      preset: p(&preset),
      tune: p(&tune),
      profile: p(&profile),
      params: p(&params),
    };
    let mut raw = std::ptr::null_mut();
    let mut err = ffi::ErrBuf::new();
    let r = unsafe { ffi::g2g_enc_open(&mut raw, &c, err.ptr(), err.capacity()) };
    if r < 0 {
      return Err(NativeError::codec(format!("{} encoder", cfg.codec), err.text()));
    }
    Ok(Self {
      raw,
      frame_size: cfg.format.frame_size(cfg.width as usize, cfg.height as usize),
      format: cfg.format,
      width: cfg.width,
      height: cfg.height,
      eagain: unsafe { ffi::g2g_averror_eagain() },
      eof: unsafe { ffi::g2g_averror_eof() },
      nopts: unsafe { ffi::g2g_nopts() },
    })
  }

  /// Encodes one frame (not copied: libx264 reads it before this returns): tightly packed when `planes`
  /// is None, else plane k at planes[k] = (offset, stride) — a decoder's padded frame as it is.
  pub fn encode(&mut self, frame: &[u8], pts: Option<i64>, force_key: bool, planes: Option<&[(usize, usize)]>) -> Result<Vec<Packet>> {
    let (mut offsets, mut strides) = ([0i32; 4], [0i32; 4]);
    match planes {
      None if frame.len() != self.frame_size => {
        return Err(NativeError::invalid(format!("frame of {} bytes, expected {} for the configured size and format", frame.len(), self.frame_size)));
      }
      None => {}
      Some(p) => {
        for (k, (row, rows)) in self.plane_rows().into_iter().enumerate() {
          let &(offset, stride) =
            p.get(k).ok_or_else(|| NativeError::invalid(format!("a {} frame has {} planes, got {}", self.format.name(), self.plane_rows().len(), p.len())))?;
          // libx264 reads every row of every plane: each must lie inside the caller's bytes.
          let too_large = || NativeError::invalid("plane too large");
          let end = offset.checked_add(stride.checked_mul(rows - 1).and_then(|x| x.checked_add(row)).ok_or_else(too_large)?).ok_or_else(too_large)?;
          if stride < row || end > frame.len() || offset > i32::MAX as usize || stride > i32::MAX as usize {
            // "plane {k}" is matched by test/native/encode.test.ts.
            return Err(NativeError::invalid(format!(
              "plane {k}: {rows} rows of {row} bytes at stride {stride} from offset {offset} do not fit the {}-byte frame",
              frame.len()
            )));
          }
          offsets[k] = offset as i32;
          strides[k] = stride as i32;
        }
      }
    }
    if frame.len() > i32::MAX as usize {
      return Err(NativeError::invalid("frame larger than 2 GiB"));
    }
    let (op, sp) = if planes.is_some() { (offsets.as_ptr(), strides.as_ptr()) } else { (std::ptr::null(), std::ptr::null()) };
    let r = unsafe { ffi::g2g_enc_send(self.raw, frame.as_ptr(), frame.len() as i32, op, sp, pts.unwrap_or(self.nopts), force_key as i32) };
    if r < 0 {
      return Err(NativeError::codec("sending a frame", ffi::strerror(r)));
    }
    // Draining here is what makes borrowing the frame sound: the encoder is done with it on return.
    self.drain()
  }

  /// End of stream: the frames held in the lookahead / B-frame queue.
  pub fn finish(&mut self) -> Result<Vec<Packet>> {
    let r = unsafe { ffi::g2g_enc_send(self.raw, std::ptr::null(), 0, std::ptr::null(), std::ptr::null(), self.nopts, 0) };
    if r < 0 && r != self.eof {
      return Err(NativeError::codec("draining the encoder", ffi::strerror(r)));
    }
    self.drain()
  }

  /// (bytes per row, rows) of each plane of the configured format and size.
  fn plane_rows(&self) -> Vec<(usize, usize)> {
    let (w, h) = (self.width as usize, self.height as usize);
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    match self.format {
      OutFormat::I420 => vec![(w, h), (cw, ch), (cw, ch)],
      OutFormat::Nv12 => vec![(w, h), (2 * cw, ch)],
    }
  }

  fn drain(&mut self) -> Result<Vec<Packet>> {
    let mut out = Vec::new();
    loop {
      let mut info = ffi::G2gPacketInfo::default();
      let r = unsafe { ffi::g2g_enc_receive(self.raw, &mut info) };
      if r == self.eagain || r == self.eof {
        return Ok(out);
      }
      if r < 0 {
        return Err(NativeError::codec("receiving a packet", ffi::strerror(r)));
      }
      let data = if info.size > 0 { unsafe { std::slice::from_raw_parts(info.data, info.size as usize) }.to_vec() } else { Vec::new() };
      out.push(Packet {
        data,
        pts: (info.pts != self.nopts).then_some(info.pts),
        dts: (info.dts != self.nopts).then_some(info.dts),
        key: info.key != 0,
      });
    }
  }
}
