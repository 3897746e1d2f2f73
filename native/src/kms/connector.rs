//! Connector names as the kernel writes them (`/sys/class/drm/card0-HDMI-A-1`, modetest, weston.ini): the
//! type's name and the per-type index, so a user can say `connector=HDMI-A-1` or give the numeric object id.

/// DRM_MODE_CONNECTOR_* (include/uapi/drm/drm_mode.h) by value, named as drm_connector_enum_list does.
const TYPE_NAMES: &[&str] = &[
  "Unknown", "VGA", "DVI-I", "DVI-D", "DVI-A", "Composite", "SVIDEO", "LVDS", "Component", "DIN", "DP", "HDMI-A", "HDMI-B", "TV", "eDP",
  "Virtual", "DSI", "DPI", "Writeback", "SPI", "USB",
];

/// `HDMI-A-1` for type 11, index 1; an unknown type keeps its number (`type42-1`) rather than failing.
pub fn name(connector_type: u32, type_id: u32) -> String {
  match TYPE_NAMES.get(connector_type as usize) {
    Some(t) => format!("{t}-{type_id}"),
    None => format!("type{connector_type}-{type_id}"),
  }
}

/// How the `connector` property picks one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selector {
  /// The first connected connector (the default).
  FirstConnected,
  /// By its object id (all digits).
  Id(u32),
  /// By name, compared without case (`hdmi-a-1` finds `HDMI-A-1`).
  Name(String),
}

impl Selector {
  pub fn parse(s: Option<&str>) -> Selector {
    match s.map(str::trim) {
      None | Some("") => Selector::FirstConnected,
      Some(t) => match t.parse::<u32>() {
        Ok(id) => Selector::Id(id),
        Err(_) => Selector::Name(t.to_owned()),
      },
    }
  }

  /// Whether a connector (id, its name, connected or not) is the one asked for.
  pub fn matches(&self, id: u32, name: &str, connected: bool) -> bool {
    match self {
      Selector::FirstConnected => connected,
      Selector::Id(want) => *want == id,
      Selector::Name(want) => want.eq_ignore_ascii_case(name),
    }
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn kernel_names() {
    assert_eq!(name(11, 1), "HDMI-A-1");
    assert_eq!(name(10, 2), "DP-2");
    assert_eq!(name(14, 1), "eDP-1");
    assert_eq!(name(15, 1), "Virtual-1");
    assert_eq!(name(99, 3), "type99-3");
  }

  #[test]
  fn selectors() {
    assert_eq!(Selector::parse(None), Selector::FirstConnected);
    assert_eq!(Selector::parse(Some(" ")), Selector::FirstConnected);
    assert_eq!(Selector::parse(Some("42")), Selector::Id(42));
    let s = Selector::parse(Some("hdmi-a-1"));
    assert!(s.matches(7, "HDMI-A-1", false), "a named connector is taken connected or not: the error says which");
    assert!(!s.matches(7, "HDMI-A-2", true));
    assert!(Selector::FirstConnected.matches(1, "DP-1", true));
    assert!(!Selector::FirstConnected.matches(1, "DP-1", false));
  }
}
