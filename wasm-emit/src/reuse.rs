//! Storage kept from one function to the next (see `func::Workspace`): emptying it and
//! sizing it for the next function, so every pass does it the same way.

use cranelift_entity::{EntityRef, SecondaryMap};

/// `v` emptied and filled with `n` copies of `x`, keeping its allocation.
pub fn refill<T: Copy>(v: &mut Vec<T>, n: usize, x: T) {
    v.clear();
    v.resize(n, x);
}

/// A map emptied and sized for the next function, keeping its allocation and default.
pub trait ClearTo {
    /// Reset every entry to the default and make room for `len` keys.
    fn clear_to(&mut self, len: usize);
}

impl<K: EntityRef, V: Clone> ClearTo for SecondaryMap<K, V> {
    fn clear_to(&mut self, len: usize) {
        self.clear();
        self.resize(len);
    }
}
