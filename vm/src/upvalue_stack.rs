//! Upvalues of frames that run without a closure of their own.
//!
//! Calling a curried lambda `a: b: body` with both arguments at once (`f x y` in code,
//! `foldl'` and the like in builtins) would make the inner closure `b: body` only for its
//! frame to read the upvalues from, and drop it at once. A fused call instead copies the inner
//! lambda's upvalues here and runs its frame on them: no heap object, no allocation for two or
//! more upvalues, nothing for the collector to sweep.
//!
//! The values live in fixed-size blocks that are never moved or freed while the VM exists, so a
//! frame can read them by address ([`crate::vm`]'s `UpvalueView`). Space is taken and given back
//! in stack order: each fused frame records the mark from before its push and releases it when
//! it returns or is unwound.

use crate::value::Value;

/// Values per block; a lambda capturing more is called the ordinary way.
pub(crate) const BLOCK: usize = 4096;

/// A stack of upvalue arrays with stable addresses.
#[derive(Default)]
pub(crate) struct UpvalueStack {
    blocks: Vec<Box<[Value]>>,
    /// For each block before `block`: how many of its values are in use.
    used: Vec<usize>,
    /// The block being filled.
    block: usize,
    /// Values in use in it.
    top: usize,
}

impl UpvalueStack {
    /// Where the stack is now, for [`UpvalueStack::release`].
    #[inline]
    pub(crate) fn mark(&self) -> u32 {
        // (A block's `top` runs from 0 to BLOCK inclusive.)
        (self.block * (BLOCK + 1) + self.top) as u32
    }

    /// Gives back everything pushed since `mark` was taken.
    #[inline]
    pub(crate) fn release(&mut self, mark: u32) {
        self.block = mark as usize / (BLOCK + 1);
        self.top = mark as usize % (BLOCK + 1);
    }

    /// Room for `n` values (at most [`BLOCK`]), to be filled by the caller. Its address stays
    /// valid until it is released.
    #[inline]
    pub(crate) fn push(&mut self, n: usize) -> &mut [Value] {
        if self.top + n > BLOCK || self.block == self.blocks.len() {
            self.grow(n);
        }
        let start = self.top;
        self.top += n;
        &mut self.blocks[self.block][start..start + n]
    }

    #[cold]
    #[inline(never)]
    fn grow(&mut self, n: usize) {
        debug_assert!(n <= BLOCK, "{n} upvalues do not fit a block");
        if self.block < self.blocks.len() {
            // Move on to the next block, remembering how much of this one is in use.
            self.used.truncate(self.block);
            self.used.push(self.top);
            self.block += 1;
            self.top = 0;
        }
        while self.blocks.len() <= self.block {
            self.blocks.push(vec![Value::Null; BLOCK].into_boxed_slice());
        }
    }

    /// The values in use (roots for the collector).
    pub(crate) fn live(&self) -> impl Iterator<Item = Value> + '_ {
        let full = self.blocks.iter().zip(&self.used).take(self.block).flat_map(|(b, &n)| b[..n].iter());
        let current = self.blocks.get(self.block).map(|b| &b[..self.top]).unwrap_or(&[]);
        full.chain(current.iter()).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ints(s: &UpvalueStack) -> Vec<i64> {
        s.live()
            .map(|v| match v {
                Value::Int(i) => i,
                _ => -1,
            })
            .collect()
    }

    #[test]
    fn pushes_and_releases_in_stack_order_across_blocks() {
        let mut s = UpvalueStack::default();
        assert!(ints(&s).is_empty());
        let m0 = s.mark();
        s.push(2).copy_from_slice(&[Value::Int(1), Value::Int(2)]);
        let m1 = s.mark();
        // Fills the first block to within one value, so the next push starts a second one.
        for v in s.push(BLOCK - 3) {
            *v = Value::Int(0);
        }
        let first = s.push(1).as_ptr();
        let m2 = s.mark();
        s.push(3).copy_from_slice(&[Value::Int(7), Value::Int(8), Value::Int(9)]);
        assert_eq!(ints(&s).len(), BLOCK + 3);
        assert_eq!(ints(&s)[BLOCK..], [7, 8, 9]);
        s.release(m2);
        assert_eq!(ints(&s).len(), BLOCK);
        // The first block's values did not move.
        assert_eq!(s.blocks[0][BLOCK - 1..].as_ptr(), first);
        s.release(m1);
        assert_eq!(ints(&s), [1, 2]);
        s.push(1)[0] = Value::Int(3);
        assert_eq!(ints(&s), [1, 2, 3]);
        s.release(m0);
        assert!(ints(&s).is_empty());
    }

    #[test]
    fn a_full_block_is_still_in_use_after_a_release_to_its_end() {
        let mut s = UpvalueStack::default();
        for v in s.push(BLOCK) {
            *v = Value::Int(5);
        }
        let full = s.mark();
        s.push(1)[0] = Value::Int(6);
        s.release(full);
        assert_eq!(ints(&s).len(), BLOCK);
        s.push(2);
        assert_eq!(ints(&s).len(), BLOCK + 2);
    }
}
