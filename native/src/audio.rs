//! Audio decode and encode (AAC, Opus) over the shim's libavcodec audio codecs (shim_audio.c). The decoder
//! hands out interleaved S16LE or F32LE (libavcodec's aac and opus decoders give planar float: converted
//! here, exactly as libswresample converts, so the bytes equal ffmpeg's `-f s16le`/`-f f32le`). The encoder
//! keeps a FIFO of interleaved float samples and sends whole frames of the codec's frame size, stamped in
//! samples, so packet timestamps are exact sample counts.
use crate::error::{NativeError, Result};
use crate::ffi;
use std::ffi::CString;

/// Interleaved sample formats the JS side reads and writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SampleFormat {
  S16,
  F32,
}

impl SampleFormat {
  pub fn parse(s: &str) -> Result<Self> {
    match s {
      "S16LE" => Ok(Self::S16),
      "F32LE" => Ok(Self::F32),
      _ => Err(NativeError::invalid(format!("sample format must be S16LE or F32LE, got '{s}'"))),
    }
  }
  pub fn bytes(self) -> usize {
    match self {
      Self::S16 => 2,
      Self::F32 => 4,
    }
  }
}

/// A float sample as libswresample writes it to S16: ×32768, rounded to nearest (ties to even, as
/// lrintf and cvtps2dq), saturated.
#[inline]
pub fn f32_to_s16(x: f32) -> i16 {
  let v = (x * 32768.0).round_ties_even();
  if v.is_nan() {
    0
  } else {
    v.clamp(-32768.0, 32767.0) as i16
  }
}

/// One block of decoded samples, interleaved.
pub struct DecodedAudio {
  pub data: Vec<u8>,
  pub samples: u32,
  pub rate: u32,
  pub channels: u32,
}

#[derive(Default)]
pub struct AudioOutput {
  pub frames: Vec<DecodedAudio>,
  /// libavcodec's text for a packet it refused (damaged data): that packet is lost, the stream goes on.
  pub rejected: Option<String>,
}

pub struct AudioDecoder {
  raw: *mut ffi::G2gAudio,
  out: SampleFormat,
  eagain: i32,
  eof: i32,
}

// The shim's codec holds no thread-affine state; one thread uses it at a time (behind the binding's mutex).
unsafe impl Send for AudioDecoder {}

impl Drop for AudioDecoder {
  fn drop(&mut self) {
    unsafe { ffi::g2g_audio_close(self.raw) };
  }
}

fn cname(codec: &str) -> Result<CString> {
  CString::new(codec).map_err(|_| NativeError::invalid("codec name contains NUL"))
}

impl AudioDecoder {
  /// `codec`: libavcodec's decoder name (aac, opus, libopus); `extradata`: AudioSpecificConfig or OpusHead;
  /// rate/channels 0: from the extradata or the stream.
  pub fn open(codec: &str, extradata: Option<&[u8]>, rate: u32, channels: u32, out: SampleFormat) -> Result<Self> {
    ffi::init_logging();
    let name = cname(codec)?;
    let (e, n) = extradata.map_or((std::ptr::null(), 0), |e| (e.as_ptr(), e.len() as i32));
    let mut raw = std::ptr::null_mut();
    let mut err = ffi::ErrBuf::new();
    let r = unsafe { ffi::g2g_adec_open(&mut raw, name.as_ptr(), e, n, rate as i32, channels as i32, err.ptr(), err.capacity()) };
    if r < 0 {
      return Err(NativeError::codec(format!("opening the {codec} decoder"), err.text()));
    }
    Ok(Self { raw, out, eagain: unsafe { ffi::g2g_averror_eagain() }, eof: unsafe { ffi::g2g_averror_eof() } })
  }

  pub fn decode(&mut self, data: &[u8]) -> Result<AudioOutput> {
    let mut out = AudioOutput::default();
    if data.is_empty() {
      return Ok(out);
    }
    if data.len() > i32::MAX as usize / 2 {
      return Err(NativeError::invalid("audio packet larger than 1 GiB"));
    }
    loop {
      let r = unsafe { ffi::g2g_adec_send(self.raw, data.as_ptr(), data.len() as i32) };
      if r == self.eagain {
        if self.drain_into(&mut out)? == 0 {
          return Err(NativeError::Internal("audio decoder refused input without producing output".into()));
        }
        continue;
      }
      if r < 0 {
        out.rejected = Some(ffi::strerror(r));
      }
      break;
    }
    self.drain_into(&mut out)?;
    Ok(out)
  }

  /// End of stream: what the decoder still holds; then ready for a new stream.
  pub fn finish(&mut self) -> Result<AudioOutput> {
    let mut out = AudioOutput::default();
    unsafe { ffi::g2g_adec_send(self.raw, std::ptr::null(), 0) };
    self.drain_into(&mut out)?;
    unsafe { ffi::g2g_audio_flush(self.raw) };
    Ok(out)
  }

  pub fn reset(&mut self) {
    unsafe { ffi::g2g_audio_flush(self.raw) };
  }

  fn drain_into(&mut self, out: &mut AudioOutput) -> Result<usize> {
    let mut n = 0;
    let mut errors = 0;
    loop {
      let mut info = ffi::G2gAudioInfo::default();
      let r = unsafe { ffi::g2g_adec_receive(self.raw, &mut info) };
      if r == self.eagain || r == self.eof {
        return Ok(n);
      }
      if r < 0 {
        errors += 1;
        if errors > 64 {
          return Err(NativeError::codec("receiving audio", ffi::strerror(r)));
        }
        out.rejected = Some(ffi::strerror(r));
        continue;
      }
      if info.samples <= 0 {
        continue;
      }
      out.frames.push(interleave(&info, self.out)?);
      n += 1;
    }
  }
}

/// The decoded frame `info` describes, interleaved in `to`.
fn interleave(info: &ffi::G2gAudioInfo, to: SampleFormat) -> Result<DecodedAudio> {
  let (n, ch) = (info.samples as usize, info.channels.max(0) as usize);
  if ch == 0 || info.planes.is_null() {
    return Err(NativeError::Internal("decoder returned audio without channels".into()));
  }
  let from = match info.format {
    ffi::SF_S16 => SampleFormat::S16,
    ffi::SF_F32 => SampleFormat::F32,
    _ => return Err(NativeError::codec("converting decoded audio", format!("unsupported sample format '{}'", unsafe { ffi::cstr(info.format_name) }))),
  };
  let planes: Vec<&[u8]> = unsafe {
    let count = if info.planar != 0 { ch } else { 1 };
    let per = if info.planar != 0 { n } else { n * ch } * from.bytes();
    (0..count).map(|k| std::slice::from_raw_parts(*info.planes.add(k), per)).collect()
  };
  let data = convert(&planes, info.planar != 0, from, to, n, ch);
  Ok(DecodedAudio { data, samples: n as u32, rate: info.rate as u32, channels: ch as u32 })
}

/// Planar or interleaved S16/F32 (native-endian, as libavcodec's) to interleaved little-endian `to`.
/// One pass per channel: its plane read in order, written every `ch` samples.
pub fn convert(planes: &[&[u8]], planar: bool, from: SampleFormat, to: SampleFormat, n: usize, ch: usize) -> Vec<u8> {
  let ob = to.bytes();
  let mut out = vec![0u8; n * ch * ob];
  for c in 0..ch {
    let (src, first, step) = if planar { (planes[c], 0, 1) } else { (planes[0], c, ch) };
    let dst = out.chunks_exact_mut(ob).skip(c).step_by(ch);
    let at = |i: usize, b: usize| (first + i * step) * b;
    match (from, to) {
      (SampleFormat::F32, SampleFormat::F32) => {
        for (i, o) in dst.enumerate() {
          let k = at(i, 4);
          o.copy_from_slice(&f32::from_ne_bytes([src[k], src[k + 1], src[k + 2], src[k + 3]]).to_le_bytes());
        }
      }
      (SampleFormat::F32, SampleFormat::S16) => {
        for (i, o) in dst.enumerate() {
          let k = at(i, 4);
          o.copy_from_slice(&f32_to_s16(f32::from_ne_bytes([src[k], src[k + 1], src[k + 2], src[k + 3]])).to_le_bytes());
        }
      }
      (SampleFormat::S16, SampleFormat::S16) => {
        for (i, o) in dst.enumerate() {
          let k = at(i, 2);
          o.copy_from_slice(&i16::from_ne_bytes([src[k], src[k + 1]]).to_le_bytes());
        }
      }
      (SampleFormat::S16, SampleFormat::F32) => {
        for (i, o) in dst.enumerate() {
          let k = at(i, 2);
          o.copy_from_slice(&(i16::from_ne_bytes([src[k], src[k + 1]]) as f32 / 32768.0).to_le_bytes());
        }
      }
    }
  }
  out
}

/// One encoded packet; pts and duration in samples (pts < 0 for the encoder's priming).
pub struct AudioPacket {
  pub data: Vec<u8>,
  pub pts: i64,
  pub duration: i64,
}

pub struct AudioEncoder {
  raw: *mut ffi::G2gAudio,
  input: SampleFormat,
  channels: usize,
  pub frame_size: usize,
  /// Samples of priming before the first input sample (a muxer writes it: an edit list, OpusHead pre-skip).
  pub delay: u32,
  pub extradata: Vec<u8>,
  codec_format: SampleFormat,
  codec_planar: bool,
  small_last: bool,
  /// Interleaved input not yet sent (fewer than frame_size samples).
  fifo: Vec<f32>,
  /// Samples sent so far: the next frame's pts.
  sent: i64,
  eagain: i32,
  eof: i32,
}

unsafe impl Send for AudioEncoder {}

impl Drop for AudioEncoder {
  fn drop(&mut self) {
    unsafe { ffi::g2g_audio_close(self.raw) };
  }
}

impl AudioEncoder {
  pub fn open(codec: &str, rate: u32, channels: u32, bitrate: Option<i64>, input: SampleFormat) -> Result<Self> {
    ffi::init_logging();
    if channels == 0 || rate == 0 {
      return Err(NativeError::invalid("audio encoder needs a rate and channels"));
    }
    let name = cname(codec)?;
    let mut info = ffi::G2gAudioEncInfo::default();
    let mut raw = std::ptr::null_mut();
    let mut err = ffi::ErrBuf::new();
    let r = unsafe { ffi::g2g_aenc_open(&mut raw, name.as_ptr(), rate as i32, channels as i32, bitrate.unwrap_or(0), &mut info, err.ptr(), err.capacity()) };
    if r < 0 {
      return Err(NativeError::codec(format!("opening the {codec} encoder ({rate} Hz, {channels} channels)"), err.text()));
    }
    let extradata = if info.extradata.is_null() || info.extradata_size <= 0 {
      Vec::new()
    } else {
      unsafe { std::slice::from_raw_parts(info.extradata, info.extradata_size as usize) }.to_vec()
    };
    let codec_format = if info.format == ffi::SF_S16 { SampleFormat::S16 } else { SampleFormat::F32 };
    Ok(Self {
      raw,
      input,
      channels: channels as usize,
      frame_size: if info.frame_size > 0 { info.frame_size as usize } else { 1024 },
      delay: info.initial_padding.max(0) as u32,
      extradata,
      codec_format,
      codec_planar: info.planar != 0,
      small_last: info.small_last != 0,
      fifo: Vec::new(),
      sent: 0,
      eagain: unsafe { ffi::g2g_averror_eagain() },
      eof: unsafe { ffi::g2g_averror_eof() },
    })
  }

  /// Takes interleaved samples (any count); returns the packets now ready.
  pub fn encode(&mut self, data: &[u8]) -> Result<Vec<AudioPacket>> {
    let bpf = self.input.bytes() * self.channels;
    if !data.len().is_multiple_of(bpf) {
      return Err(NativeError::invalid(format!("{} bytes is not a whole number of {bpf}-byte frames", data.len())));
    }
    match self.input {
      SampleFormat::F32 => self.fifo.extend(data.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))),
      SampleFormat::S16 => self.fifo.extend(data.chunks_exact(2).map(|b| i16::from_le_bytes([b[0], b[1]]) as f32 / 32768.0)),
    }
    let mut out = Vec::new();
    let whole = self.frame_size * self.channels;
    let mut at = 0;
    while self.fifo.len() - at >= whole {
      self.send(at, self.frame_size, &mut out)?;
      at += whole;
    }
    self.fifo.drain(..at);
    Ok(out)
  }

  /// End of stream: the last partial frame (padded with silence where the codec needs whole frames) and
  /// every packet the encoder still holds.
  pub fn finish(&mut self) -> Result<Vec<AudioPacket>> {
    let mut out = Vec::new();
    let left = self.fifo.len() / self.channels;
    if left > 0 {
      let n = if self.small_last { left } else { self.frame_size };
      self.fifo.resize(n * self.channels, 0.0);
      self.send(0, n, &mut out)?;
      self.fifo.clear();
    }
    unsafe { ffi::g2g_aenc_send(self.raw, std::ptr::null(), 0, 0) };
    self.drain_into(&mut out)?;
    Ok(out)
  }

  fn send(&mut self, at: usize, n: usize, out: &mut Vec<AudioPacket>) -> Result<()> {
    let ch = self.channels;
    let src = &self.fifo[at..at + n * ch];
    // The codec's layout: plane c holds sample i of channel c at i (planar), or sample i·ch + c.
    let b = self.codec_format.bytes();
    let mut bytes = vec![0u8; n * ch * b];
    for (j, o) in bytes.chunks_exact_mut(b).enumerate() {
      let x = if self.codec_planar { src[(j % n) * ch + j / n] } else { src[j] };
      match self.codec_format {
        SampleFormat::F32 => o.copy_from_slice(&x.to_ne_bytes()),
        SampleFormat::S16 => o.copy_from_slice(&f32_to_s16(x).to_ne_bytes()),
      }
    }
    loop {
      let r = unsafe { ffi::g2g_aenc_send(self.raw, bytes.as_ptr(), n as i32, self.sent) };
      if r == self.eagain {
        if self.drain_into(out)? == 0 {
          return Err(NativeError::Internal("audio encoder refused input without producing output".into()));
        }
        continue;
      }
      if r < 0 {
        return Err(NativeError::codec("encoding audio", ffi::strerror(r)));
      }
      break;
    }
    self.sent += n as i64;
    self.drain_into(out)?;
    Ok(())
  }

  fn drain_into(&mut self, out: &mut Vec<AudioPacket>) -> Result<usize> {
    let mut n = 0;
    loop {
      let mut p = ffi::G2gAudioPacket::default();
      let r = unsafe { ffi::g2g_aenc_receive(self.raw, &mut p) };
      if r == self.eagain || r == self.eof {
        return Ok(n);
      }
      if r < 0 {
        return Err(NativeError::codec("receiving an audio packet", ffi::strerror(r)));
      }
      let data = if p.data.is_null() || p.size <= 0 { Vec::new() } else { unsafe { std::slice::from_raw_parts(p.data, p.size as usize) }.to_vec() };
      out.push(AudioPacket { data, pts: p.pts, duration: p.duration });
      n += 1;
    }
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn float_to_s16_rounds_and_saturates_as_libswresample() {
    assert_eq!(f32_to_s16(0.0), 0);
    assert_eq!(f32_to_s16(1.0), 32767);
    assert_eq!(f32_to_s16(-1.0), -32768);
    assert_eq!(f32_to_s16(-2.0), -32768);
    // 0.5/32768 and 1.5/32768: ties to even.
    assert_eq!(f32_to_s16(0.5 / 32768.0), 0);
    assert_eq!(f32_to_s16(1.5 / 32768.0), 2);
  }

  #[test]
  fn interleaves_planar_float() {
    let l: Vec<u8> = [0.5f32, -0.25].iter().flat_map(|x| x.to_ne_bytes()).collect();
    let r: Vec<u8> = [1.0f32, 0.0].iter().flat_map(|x| x.to_ne_bytes()).collect();
    let s16 = convert(&[&l, &r], true, SampleFormat::F32, SampleFormat::S16, 2, 2);
    let v: Vec<i16> = s16.chunks_exact(2).map(|b| i16::from_le_bytes([b[0], b[1]])).collect();
    assert_eq!(v, vec![16384, 32767, -8192, 0]);
    let f = convert(&[&l, &r], true, SampleFormat::F32, SampleFormat::F32, 2, 2);
    let v: Vec<f32> = f.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
    assert_eq!(v, vec![0.5, 1.0, -0.25, 0.0]);
  }

  #[test]
  fn aac_round_trip_keeps_frame_sizes_and_sample_clock() {
    let mut e = AudioEncoder::open("aac", 48000, 2, Some(128_000), SampleFormat::F32).unwrap();
    assert_eq!((e.frame_size, e.delay), (1024, 1024));
    assert!(e.extradata.len() >= 2, "AudioSpecificConfig");
    let tone: Vec<u8> = (0..48000).flat_map(|i| {
      let x = (2.0 * std::f32::consts::PI * 440.0 * i as f32 / 48000.0).sin() * 0.5;
      [x, x]
    }).flat_map(|x| x.to_le_bytes()).collect();
    let mut pkts = e.encode(&tone).unwrap();
    pkts.extend(e.finish().unwrap());
    assert_eq!(pkts[0].pts, -1024);
    for w in pkts.windows(2) {
      assert_eq!(w[1].pts - w[0].pts, 1024);
    }
    let mut d = AudioDecoder::open("aac", Some(&e.extradata), 0, 0, SampleFormat::S16).unwrap();
    let mut samples = 0;
    for p in &pkts {
      let o = d.decode(&p.data).unwrap();
      assert!(o.rejected.is_none());
      samples += o.frames.iter().map(|f| f.samples as usize).sum::<usize>();
    }
    assert!(samples >= 48000 + 1024, "{samples}");
  }
}
