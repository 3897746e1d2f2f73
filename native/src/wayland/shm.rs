//! The shared-memory pool behind waylandSink's buffers: one memfd, mapped once per (larger) frame size.
use super::State;
use crate::error::{NativeError, Result};
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use wayland_client::protocol::wl_shm::WlShm;
use wayland_client::protocol::wl_shm_pool::WlShmPool;
use wayland_client::QueueHandle;

/// The memfd behind the pool, mapped.
pub struct Pool {
  fd: OwnedFd,
  ptr: *mut u8,
  pub size: usize,
  pub pool: WlShmPool,
}

impl Pool {
  pub fn new(shm: &WlShm, qh: &QueueHandle<State>, size: usize) -> Result<Self> {
    let raw = unsafe { libc::memfd_create(c"g2g-wayland-sink".as_ptr(), libc::MFD_CLOEXEC) };
    if raw < 0 {
      return Err(NativeError::Resource(format!("memfd_create: {}", std::io::Error::last_os_error())));
    }
    let fd = unsafe { OwnedFd::from_raw_fd(raw) };
    let ptr = map(&fd, size)?;
    let pool = shm.create_pool(fd.as_fd(), size as i32, qh, ());
    Ok(Self { fd, ptr, size, pool })
  }

  pub fn grow(&mut self, size: usize) -> Result<()> {
    if size <= self.size {
      return Ok(());
    }
    unsafe { libc::munmap(self.ptr as *mut _, self.size) };
    self.ptr = std::ptr::null_mut();
    self.ptr = map(&self.fd, size)?;
    self.size = size;
    self.pool.resize(size as i32);
    Ok(())
  }

  /// The memfd, for linux-dmabuf planes that live in the pool.
  pub fn fd(&self) -> std::os::fd::BorrowedFd<'_> {
    self.fd.as_fd()
  }

  pub fn slice(&mut self, off: usize, len: usize) -> &mut [u8] {
    assert!(off + len <= self.size);
    unsafe { std::slice::from_raw_parts_mut(self.ptr.add(off), len) }
  }
}

fn map(fd: &OwnedFd, size: usize) -> Result<*mut u8> {
  if unsafe { libc::ftruncate(fd.as_raw_fd(), size as libc::off_t) } < 0 {
    return Err(NativeError::Resource(format!("ftruncate of the shm pool: {}", std::io::Error::last_os_error())));
  }
  let p = unsafe { libc::mmap(std::ptr::null_mut(), size, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_SHARED, fd.as_raw_fd(), 0) };
  if p == libc::MAP_FAILED {
    return Err(NativeError::Resource(format!("mmap of the shm pool: {}", std::io::Error::last_os_error())));
  }
  Ok(p as *mut u8)
}

impl Drop for Pool {
  fn drop(&mut self) {
    self.pool.destroy();
    if !self.ptr.is_null() {
      unsafe { libc::munmap(self.ptr as *mut _, self.size) };
    }
  }
}

// The mapping is only touched through &mut Window.
unsafe impl Send for Pool {}

