//! Storage kept from one function to the next (see `func::Workspace`): emptying it and
//! sizing it for the next function, so every pass does it the same way.

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
