//! The kernel heap: the largest free RAM region in the Multiboot memory map, above the kernel
//! and the loader's data (Multiboot info, command line, memory map), given to a linked-list
//! allocator.

use linked_list_allocator::LockedHeap;

#[global_allocator]
static HEAP: LockedHeap = LockedHeap::empty();

/// One usable range `[start, end)` of physical memory.
#[derive(Clone, Copy)]
pub struct Region {
    /// First byte.
    pub start: u64,
    /// One past the last byte.
    pub end: u64,
}

/// Hand `[start, end)` to the allocator. Returns its size.
pub fn init(region: Region) -> u64 {
    let size = region.end.saturating_sub(region.start);
    // SAFETY: the region is free RAM, identity mapped, used by nothing else from now on.
    unsafe { HEAP.lock().init(region.start as *mut u8, size as usize) };
    size
}
