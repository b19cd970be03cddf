//! One `Mutex` for both builds: the host's (a lock that sleeps, poisoning
//! ignored, as every holder leaves the data consistent) with `std`, a spin
//! lock without it (a VM image runs one thread, so it never spins).

#[cfg(not(feature = "std"))]
pub(crate) use spin::Mutex;

/// `std::sync::Mutex` whose `lock` never fails.
#[cfg(feature = "std")]
#[derive(Debug, Default)]
pub(crate) struct Mutex<T>(std::sync::Mutex<T>);

#[cfg(feature = "std")]
impl<T> Mutex<T> {
    pub(crate) const fn new(value: T) -> Self {
        Mutex(std::sync::Mutex::new(value))
    }

    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, T> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
