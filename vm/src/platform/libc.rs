//! The few C library symbols that the precompiled `core`/`alloc`, ring's C and assembly code,
//! and the `getrandom` crate refer to on the host target. There is no libc in the kernel.
//!
//! The memory routines use `rep movsb`/`rep stosb` so the compiler cannot turn them into calls
//! to themselves; the comparison routines read through `read_volatile` for the same reason.

use core::arch::asm;
use core::ffi::{c_char, c_int, c_long, c_void};

/// Copy `n` bytes forwards.
///
/// # Safety
/// C semantics: valid, non-overlapping ranges.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memcpy(dest: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    // SAFETY: the caller gives valid ranges; the direction flag is clear (ABI).
    unsafe {
        asm!("rep movsb", inout("rcx") n => _, inout("rdi") dest => _, inout("rsi") src => _,
             options(nostack, preserves_flags));
    }
    dest
}

/// Copy `n` bytes between possibly overlapping ranges.
///
/// # Safety
/// C semantics: valid ranges.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memmove(dest: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    if (dest as usize) <= (src as usize) || (dest as usize) >= (src as usize).wrapping_add(n) {
        // SAFETY: forward copy is safe when dest is below src or the ranges do not overlap.
        return unsafe { memcpy(dest, src, n) };
    }
    if n == 0 {
        return dest;
    }
    // SAFETY: copy backwards from the last byte; the direction flag is restored.
    unsafe {
        asm!("std", "rep movsb", "cld", inout("rcx") n => _,
             inout("rdi") dest.add(n - 1) => _, inout("rsi") src.add(n - 1) => _, options(nostack));
    }
    dest
}

/// Fill `n` bytes with `c`.
///
/// # Safety
/// C semantics: a valid range.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memset(dest: *mut u8, c: c_int, n: usize) -> *mut u8 {
    // SAFETY: the caller gives a valid range.
    unsafe {
        asm!("rep stosb", inout("rcx") n => _, inout("rdi") dest => _, in("al") c as u8,
             options(nostack, preserves_flags));
    }
    dest
}

/// Compare `n` bytes.
///
/// # Safety
/// C semantics: valid ranges.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> c_int {
    for i in 0..n {
        // SAFETY: `i < n` and the caller gives valid ranges.
        let (x, y) = unsafe { (a.add(i).read_volatile(), b.add(i).read_volatile()) };
        if x != y {
            return c_int::from(x) - c_int::from(y);
        }
    }
    0
}

/// Equality-only compare.
///
/// # Safety
/// C semantics: valid ranges.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> c_int {
    // SAFETY: same contract.
    unsafe { memcmp(a, b, n) }
}

/// Length of a NUL-terminated string.
///
/// # Safety
/// C semantics: a valid NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn strlen(s: *const c_char) -> usize {
    let mut n = 0;
    // SAFETY: the caller promises a terminator.
    while unsafe { s.add(n).read_volatile() } != 0 {
        n += 1;
    }
    n
}

static mut ERRNO: c_int = 0;

/// The per-thread `errno` (one thread here).
#[unsafe(no_mangle)]
pub extern "C" fn __errno_location() -> *mut c_int {
    &raw mut ERRNO
}

const SYS_GETRANDOM: c_long = 318;
const ENOSYS: c_int = 38;
const EFAULT: c_int = 14;

/// `syscall(2)`: only `getrandom` exists (served by RDRAND); anything else fails with ENOSYS.
///
/// # Safety
/// For getrandom, `buf` must be valid for `len` bytes (C contract).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn syscall(number: c_long, buf: *mut u8, len: usize, _flags: u32) -> c_long {
    if number != SYS_GETRANDOM {
        // SAFETY: single-threaded.
        unsafe { ERRNO = ENOSYS };
        return -1;
    }
    if len == 0 {
        return 0;
    }
    if buf.is_null() {
        // SAFETY: single-threaded.
        unsafe { ERRNO = EFAULT };
        return -1;
    }
    // SAFETY: the caller gives a writable buffer of `len` bytes.
    let out = unsafe { core::slice::from_raw_parts_mut(buf, len) };
    super::rand::fill(out);
    len as c_long
}

/// `getrandom(2)` as a libc function, for crates that call it directly.
///
/// # Safety
/// `buf` must be valid for `len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn getrandom(buf: *mut c_void, len: usize, flags: u32) -> isize {
    // SAFETY: same contract.
    unsafe { syscall(SYS_GETRANDOM, buf.cast(), len, flags) as isize }
}

// getrandom's fallback for kernels without the getrandom system call opens /dev/urandom
// behind a mutex. Our `syscall` always serves getrandom, so that path never runs; these
// definitions keep the C library out of the link and fail cleanly if it ever did run.

const ENOENT: c_int = 2;

fn fail(errno: c_int) -> c_int {
    // SAFETY: single-threaded.
    unsafe { ERRNO = errno };
    -1
}

/// No files in the kernel.
#[unsafe(no_mangle)]
pub extern "C" fn open(_path: *const c_char, _flags: c_int, _mode: u32) -> c_int {
    fail(ENOENT)
}

/// No file descriptors in the kernel.
#[unsafe(no_mangle)]
pub extern "C" fn read(_fd: c_int, _buf: *mut c_void, _len: usize) -> isize {
    fail(ENOSYS) as isize
}

/// No file descriptors in the kernel.
#[unsafe(no_mangle)]
pub extern "C" fn poll(_fds: *mut c_void, _count: u64, _timeout: c_int) -> c_int {
    fail(ENOSYS)
}

/// No file descriptors in the kernel.
#[unsafe(no_mangle)]
pub extern "C" fn close(_fd: c_int) -> c_int {
    0
}

/// One thread, interrupts never run Rust code that takes locks: nothing to exclude.
#[unsafe(no_mangle)]
pub extern "C" fn pthread_mutex_lock(_mutex: *mut c_void) -> c_int {
    0
}

/// See `pthread_mutex_lock`.
#[unsafe(no_mangle)]
pub extern "C" fn pthread_mutex_unlock(_mutex: *mut c_void) -> c_int {
    0
}
