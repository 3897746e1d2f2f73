//! Compiles the C shim against the system FFmpeg headers (found with pkg-config) and links the shared
//! libraries. No bindgen: the shim is the only code that sees FFmpeg's structs (see src/shim.c).
use std::process::Command;

const LIBS: &[&str] = &["libavcodec", "libavutil"];

fn pkg_config(args: &[&str]) -> String {
  let out = Command::new("pkg-config")
    .args(args)
    .args(LIBS)
    .output()
    .unwrap_or_else(|e| panic!("pkg-config not found ({e}); install it: apt-get install -y pkg-config libavcodec-dev libavutil-dev"));
  if !out.status.success() {
    panic!(
      "pkg-config {:?} failed: {}\ninstall the FFmpeg development files: apt-get install -y libavcodec-dev libavutil-dev",
      LIBS,
      String::from_utf8_lossy(&out.stderr)
    );
  }
  String::from_utf8(out.stdout).expect("pkg-config output is UTF-8")
}

fn main() {
  if std::env::var_os("CARGO_FEATURE_NODE").is_some() {
    napi_build::setup();
  }
  let mut build = cc::Build::new();
  build.file("src/shim.c").file("src/shim_audio.c").warnings(true).flag_if_supported("-Wno-deprecated-declarations");
  for flag in pkg_config(&["--cflags"]).split_whitespace() {
    if let Some(dir) = flag.strip_prefix("-I") {
      build.include(dir);
    }
  }
  build.compile("g2gshim");
  for flag in pkg_config(&["--libs"]).split_whitespace() {
    if let Some(dir) = flag.strip_prefix("-L") {
      println!("cargo:rustc-link-search=native={dir}");
    } else if let Some(lib) = flag.strip_prefix("-l") {
      println!("cargo:rustc-link-lib=dylib={lib}");
    }
  }
  println!("cargo:rustc-link-lib=dylib=dl");
  println!("cargo:rerun-if-changed=src/shim.c");
  println!("cargo:rerun-if-changed=src/shim_audio.c");
  println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");
}
