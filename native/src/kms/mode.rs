//! The `mode` property (`1920x1080`, `1920x1080@60`, `1280x720@59.94`) and the choice of one of a
//! connector's modes. Pure: the modes come in as plain data, so choice is tested without a display.

/// What the user asked for; None fields: any.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ModeSpec {
  pub width: u16,
  pub height: u16,
  pub refresh: Option<f64>,
}

/// A connector's mode, as much of drm_mode_modeinfo as the choice needs.
#[derive(Clone, Debug, PartialEq)]
pub struct ModeSummary {
  pub width: u16,
  pub height: u16,
  /// In Hz, from the pixel clock and totals (vrefresh is rounded to whole Hz: 59.94 would read 60).
  pub refresh: f64,
  pub preferred: bool,
}

/// Refresh rates closer than this count as asked for (59.94 for @60; the user wrote a rounded number).
const REFRESH_TOLERANCE_HZ: f64 = 0.6;

pub fn parse(s: &str) -> Result<ModeSpec, String> {
  let bad = || format!("mode '{s}' is not WIDTHxHEIGHT or WIDTHxHEIGHT@HZ (e.g. 1920x1080@60)");
  let (size, rate) = match s.trim().split_once('@') {
    Some((a, b)) => (a, Some(b)),
    None => (s.trim(), None),
  };
  let (w, h) = size.split_once(['x', 'X']).ok_or_else(bad)?;
  let width: u16 = w.parse().map_err(|_| bad())?;
  let height: u16 = h.parse().map_err(|_| bad())?;
  if width == 0 || height == 0 {
    return Err(bad());
  }
  let refresh = match rate {
    Some(r) => match r.parse::<f64>() {
      Ok(v) if v.is_finite() && v > 0.0 => Some(v),
      _ => return Err(bad()),
    },
    None => None,
  };
  Ok(ModeSpec { width, height, refresh })
}

/// Refresh in Hz from the timing: pixel clock (kHz) over the frame's total pixels, interlace and doublescan
/// counted as the kernel's drm_mode_vrefresh does.
pub fn refresh_hz(clock_khz: u32, htotal: u16, vtotal: u16, interlace: bool, dblscan: bool, vscan: u16) -> f64 {
  if htotal == 0 || vtotal == 0 {
    return 0.0;
  }
  let mut r = clock_khz as f64 * 1000.0 / (htotal as f64 * vtotal as f64);
  if interlace {
    r *= 2.0;
  }
  if dblscan {
    r /= 2.0;
  }
  if vscan > 1 {
    r /= vscan as f64;
  }
  r
}

/// The index of the mode to set: the spec's size at the refresh nearest to the one asked (the highest when
/// none was); without a spec, the connector's preferred mode, else its first (the kernel lists the largest
/// first). An error lists what the connector offers.
pub fn choose(modes: &[ModeSummary], spec: Option<&ModeSpec>) -> Result<usize, String> {
  if modes.is_empty() {
    return Err("the connector reports no modes".into());
  }
  let Some(spec) = spec else {
    return Ok(modes.iter().position(|m| m.preferred).unwrap_or(0));
  };
  let sized = modes.iter().enumerate().filter(|(_, m)| m.width == spec.width && m.height == spec.height);
  let best = match spec.refresh {
    Some(want) => sized.filter(|(_, m)| (m.refresh - want).abs() <= REFRESH_TOLERANCE_HZ).min_by(|a, b| (a.1.refresh - want).abs().total_cmp(&(b.1.refresh - want).abs())),
    None => sized.max_by(|a, b| a.1.refresh.total_cmp(&b.1.refresh)),
  };
  best.map(|(i, _)| i).ok_or_else(|| {
    let asked = match spec.refresh {
      Some(r) => format!("{}x{}@{r}", spec.width, spec.height),
      None => format!("{}x{}", spec.width, spec.height),
    };
    format!("the connector has no mode {asked}; it offers {}", list(modes))
  })
}

/// `1920x1080@60.00*, 1280x720@60.00` (* preferred), for errors.
pub fn list(modes: &[ModeSummary]) -> String {
  let mut v: Vec<String> = modes.iter().map(|m| format!("{}x{}@{:.2}{}", m.width, m.height, m.refresh, if m.preferred { "*" } else { "" })).collect();
  v.dedup();
  v.join(", ")
}

#[cfg(test)]
mod tests {
  use super::*;

  fn m(width: u16, height: u16, refresh: f64, preferred: bool) -> ModeSummary {
    ModeSummary { width, height, refresh, preferred }
  }

  #[test]
  fn parses_sizes_and_rates() {
    assert_eq!(parse("1920x1080@60").unwrap(), ModeSpec { width: 1920, height: 1080, refresh: Some(60.0) });
    assert_eq!(parse(" 1280X720 ").unwrap(), ModeSpec { width: 1280, height: 720, refresh: None });
    assert_eq!(parse("1280x720@59.94").unwrap().refresh, Some(59.94));
    for bad in ["", "1920", "1920x", "x1080", "0x1080", "1920x1080@", "1920x1080@0", "1920x1080@-5", "1920x1080@nan", "70000x10", "axb"] {
      assert!(parse(bad).is_err(), "{bad}");
    }
    assert!(parse("19x1080@").unwrap_err().contains("e.g. 1920x1080@60"));
  }

  #[test]
  fn refresh_from_timings() {
    // CEA 1080p60: 148.5 MHz, 2200 x 1125.
    assert!((refresh_hz(148_500, 2200, 1125, false, false, 0) - 60.0).abs() < 1e-9);
    // 1080p59.94: 148.352 MHz.
    assert!((refresh_hz(148_352, 2200, 1125, false, false, 0) - 59.94).abs() < 0.001);
    // 1080i: fields at twice the frame rate.
    assert!((refresh_hz(74_250, 2200, 1125, true, false, 0) - 60.0).abs() < 1e-9);
    assert_eq!(refresh_hz(1, 0, 0, false, false, 0), 0.0);
  }

  #[test]
  fn chooses_preferred_then_first() {
    let modes = [m(3840, 2160, 30.0, false), m(1920, 1080, 60.0, true), m(1280, 720, 60.0, false)];
    assert_eq!(choose(&modes, None), Ok(1));
    assert_eq!(choose(&modes[..1], None), Ok(0));
    assert!(choose(&[], None).is_err());
  }

  #[test]
  fn chooses_size_and_nearest_rate() {
    let modes = [m(1920, 1080, 60.0, true), m(1920, 1080, 59.94, false), m(1920, 1080, 50.0, false), m(1280, 720, 60.0, false)];
    let spec = |s: &str| parse(s).unwrap();
    assert_eq!(choose(&modes, Some(&spec("1920x1080@60"))), Ok(0));
    assert_eq!(choose(&modes, Some(&spec("1920x1080@59.94"))), Ok(1));
    assert_eq!(choose(&modes, Some(&spec("1920x1080@50"))), Ok(2));
    // No rate: the highest of that size.
    assert_eq!(choose(&modes, Some(&spec("1920x1080"))), Ok(0));
    assert_eq!(choose(&modes, Some(&spec("1280x720"))), Ok(3));
    let e = choose(&modes, Some(&spec("1920x1080@30"))).unwrap_err();
    assert_eq!(e, "the connector has no mode 1920x1080@30; it offers 1920x1080@60.00*, 1920x1080@59.94, 1920x1080@50.00, 1280x720@60.00");
    assert!(choose(&modes, Some(&spec("800x600"))).unwrap_err().contains("no mode 800x600;"));
  }
}
