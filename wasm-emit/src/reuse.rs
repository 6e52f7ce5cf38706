//! Storage kept from one function to the next (see `func::Workspace`): emptying it and
//! sizing it for the next function, so every pass does it the same way.
//!
//! A function of a million instructions needs arrays of tens of megabytes, fresh for each
//! lowering, and touching them page by page for the first time costs as much as a third
//! of its lowering (a fault per 4 KiB page). Large fresh arrays therefore ask for
//! transparent huge pages (on Linux; a fault per 2 MiB).

use cranelift_entity::{EntityRef, SecondaryMap};

/// `v` emptied and filled with `n` copies of `x`, keeping its allocation.
pub fn refill<T: Copy>(v: &mut Vec<T>, n: usize, x: T) {
    empty_with_room(v, n);
    v.resize(n, x);
}

/// `v` emptied, with room for `n` elements. Where its allocation is too small it gets a
/// new one: growing it would copy the old contents, which are of no use.
#[inline]
pub fn empty_with_room<T>(v: &mut Vec<T>, n: usize) {
    v.clear();
    if v.capacity() < n {
        *v = Vec::with_capacity(n);
        advise_huge_pages(v);
    }
}

/// Make room in `v` for `additional` more elements, as `Vec::reserve` does, asking for
/// huge pages where that takes a new large allocation (see the module doc).
#[inline]
pub fn reserve<T>(v: &mut Vec<T>, additional: usize) {
    if v.capacity() - v.len() < additional {
        v.reserve(additional);
        advise_huge_pages(v);
    }
}

/// Push `x` onto `v`, as `Vec::push` does, asking for huge pages where that takes a new
/// large allocation (for the arrays whose final size is not known in advance).
#[inline]
pub fn push<T>(v: &mut Vec<T>, x: T) {
    if v.len() == v.capacity() {
        reserve(v, v.capacity().max(16));
    }
    v.push(x);
}

/// The size of a transparent huge page on x86-64 (and of the 2 MiB-aligned ranges
/// advised elsewhere).
const HUGE_PAGE: usize = 2 << 20;

/// Allocations at least this large ask for huge pages (the whole 2 MiB-aligned ranges
/// inside them get them).
const LARGE: usize = HUGE_PAGE;

/// Ask the kernel to back the allocation of `v` with transparent huge pages if it is
/// large, before its pages are touched. Advice only: where the kernel does not take it
/// (huge pages off, another OS), nothing changes.
fn advise_huge_pages<T>(v: &Vec<T>) {
    let bytes = v.capacity().saturating_mul(std::mem::size_of::<T>());
    if bytes < LARGE {
        return;
    }
    // The advice stays with the memory after `v` frees it (the allocator may hand it out
    // again): harmless, it only says how pages are backed.
    #[cfg(target_os = "linux")]
    {
        let start = v.as_ptr() as usize;
        let begin = start.next_multiple_of(HUGE_PAGE);
        let end = (start + bytes) / HUGE_PAGE * HUGE_PAGE;
        if begin < end {
            let at = v.as_ptr().cast::<u8>().wrapping_add(begin - start);
            // SAFETY: `begin..end` lies within the allocation of `v`, which is ours;
            // `MADV_HUGEPAGE` changes how the kernel backs those pages, never what they
            // hold. A failure leaves the pages as they were, so its result is ignored.
            unsafe {
                libc::madvise(at as *mut libc::c_void, end - begin, libc::MADV_HUGEPAGE);
            }
        }
    }
}

/// A map emptied and sized for the next function, keeping its allocation and default.
pub trait ClearTo {
    /// Reset every entry to the default and make room for `len` keys.
    fn clear_to(&mut self, len: usize);
}

impl<K: EntityRef, V: Clone> ClearTo for SecondaryMap<K, V> {
    fn clear_to(&mut self, len: usize) {
        if self.capacity() < len {
            // A new allocation: growing this one would copy the old entries.
            *self = SecondaryMap::with_default(self.default_value().clone());
        }
        self.clear();
        self.resize(len);
    }
}
