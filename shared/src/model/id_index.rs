//! [`IdIndex`]: where an id sits in a list of distinct ids, found in a few instructions.
//!
//! The engine looks up the participant behind every score vote, thousands per recompute; the
//! standard library's hash map spends most of such a look-up on its DoS-resistant hash. This
//! index hashes with a cheap multiply-fold instead and keeps the worst case bounded in another
//! way: no id may sit more than [`MAX_PROBE`] slots from where its hash puts it, so a look-up
//! reads at most that many slots. Ids that defeat the hash (crafted collisions) cannot slow it
//! down: when one would sit further away, the index gives up hashing and binary-searches the
//! ids in sorted order, the cost of the tree map it replaces.

/// The farthest an id may sit from its home slot.
pub(crate) const MAX_PROBE: usize = 16;

/// Positions in a list of distinct ids, by id. The list itself is the caller's: every call
/// passes it, and it must be the list the index was built or extended with.
#[derive(Debug, Clone, Default)]
pub(crate) struct IdIndex {
    /// Open addressing with linear probing, at most half full: per slot, the position plus one
    /// (0 when empty) and the high half of the id's hash. Empty when `sorted` is in use.
    slots: Vec<(u32, u32)>,
    /// The positions in id order, when hashing gave up.
    sorted: Option<Vec<u32>>,
}

impl IdIndex {
    /// An index of `ids`, which must be distinct.
    pub(crate) fn new<S: AsRef<str>>(ids: &[S]) -> Self {
        let mut index = IdIndex::default();
        index.rebuild(ids);
        index
    }

    /// The position of `id`.
    #[inline]
    pub(crate) fn find<S: AsRef<str>>(&self, ids: &[S], id: &str) -> Option<usize> {
        if self.sorted.is_some() {
            return self.find_sorted(ids, id);
        }
        let mask = self.slots.len().checked_sub(1)?;
        let hash = hash(id);
        let tag = tag_of(hash);
        let mut slot = hash as usize;
        for _ in 0..=MAX_PROBE {
            let (position, slot_tag) = *self.slots.get(slot & mask)?;
            if position == 0 {
                return None;
            }
            if slot_tag == tag {
                let position = (position - 1) as usize;
                if same_bytes(ids.get(position)?.as_ref().as_bytes(), id.as_bytes()) {
                    return Some(position);
                }
            }
            slot = slot.wrapping_add(1);
        }
        None
    }

    /// [`IdIndex::find`] once hashing gave up.
    #[inline(never)]
    fn find_sorted<S: AsRef<str>>(&self, ids: &[S], id: &str) -> Option<usize> {
        let sorted = self.sorted.as_ref()?;
        let at = sorted.binary_search_by(|p| by_id(ids, *p).cmp(id)).ok()?;
        sorted.get(at).map(|p| *p as usize)
    }

    /// Indexes the id just pushed at the end of `ids`, which must not be there already.
    pub(crate) fn push<S: AsRef<str>>(&mut self, ids: &[S]) {
        let Some(last) = ids.len().checked_sub(1) else {
            return;
        };
        if let Some(sorted) = &mut self.sorted {
            let id = by_id(ids, u32::try_from(last).unwrap_or(u32::MAX));
            let at = sorted.partition_point(|p| by_id(ids, *p) < id);
            sorted.insert(at, u32::try_from(last).unwrap_or(u32::MAX));
        } else if ids.len() * 2 > self.slots.len() || !self.place(ids, last) {
            self.rebuild(ids);
        }
    }

    /// Indexes every id afresh: hashed if none sits too far from home, else sorted.
    fn rebuild<S: AsRef<str>>(&mut self, ids: &[S]) {
        let size = (ids.len() * 2).next_power_of_two().max(8);
        self.slots = vec![(0, 0); size];
        self.sorted = None;
        let hashed = u32::try_from(ids.len()).is_ok() && (0..ids.len()).all(|p| self.place(ids, p));
        if !hashed {
            self.slots = Vec::new();
            let mut sorted: Vec<u32> = (0..ids.len())
                .filter_map(|p| u32::try_from(p).ok())
                .collect();
            sorted.sort_unstable_by(|a, b| by_id(ids, *a).cmp(by_id(ids, *b)));
            self.sorted = Some(sorted);
        }
    }

    /// Puts position `position` in the first free slot near its home; false when that is
    /// more than [`MAX_PROBE`] slots away.
    fn place<S: AsRef<str>>(&mut self, ids: &[S], position: usize) -> bool {
        let (Some(id), Some(mask)) = (ids.get(position), self.slots.len().checked_sub(1)) else {
            return false;
        };
        let hash = hash(id.as_ref());
        let Ok(stored) = u32::try_from(position + 1) else {
            return false;
        };
        for probe in 0..=MAX_PROBE {
            match self
                .slots
                .get_mut((hash as usize).wrapping_add(probe) & mask)
            {
                Some(slot) if slot.0 == 0 => {
                    *slot = (stored, tag_of(hash));
                    return true;
                }
                Some(_) => {}
                None => return false,
            }
        }
        false
    }
}

/// The id at a position, for sorting and searching.
fn by_id<S: AsRef<str>>(ids: &[S], position: u32) -> &str {
    ids.get(position as usize).map_or("", AsRef::as_ref)
}

/// The tag kept beside a position: the high half of the hash (the low bits pick the slot).
#[inline]
fn tag_of(hash: u64) -> u32 {
    (hash >> 32) as u32
}

/// A fast, non-cryptographic hash of every byte: each 8-byte word (the last one overlapping
/// the one before when the length is not a multiple of 8, shorter ids read in pieces) is mixed
/// in by a multiply whose high and low halves are folded together.
#[inline]
fn hash(id: &str) -> u64 {
    const SEED: u64 = 0x243f_6a88_85a3_08d3;
    let bytes = id.as_bytes();
    let mut hash = SEED ^ bytes.len() as u64;
    if bytes.len() <= 8 {
        return mix(hash ^ short(bytes));
    }
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        hash = mix(hash ^ le(word));
    }
    if !words.remainder().is_empty() {
        hash = mix(hash ^ bytes.get(bytes.len() - 8..).map_or(0, le));
    }
    hash
}

/// Up to 8 bytes as one word; with the length mixed in, different ids give different words.
#[inline]
fn short(bytes: &[u8]) -> u64 {
    let len = bytes.len();
    let at = |i: usize| bytes.get(i).map_or(0, |b| u64::from(*b));
    let quad = |i: usize| {
        bytes.get(i..i + 4).map_or(0, |q| {
            u64::from(u32::from_le_bytes(
                <[u8; 4]>::try_from(q).unwrap_or_default(),
            ))
        })
    };
    match len {
        8 => le(bytes),
        4..=7 => quad(0) | quad(len - 4) << 32,
        1..=3 => at(0) | at(len / 2) << 8 | at(len - 1) << 16,
        _ => 0,
    }
}

/// Byte-for-byte equality; ids of up to 16 bytes (most are) compared as two words, without a
/// call to `memcmp`.
#[inline]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let len = a.len();
    if len != b.len() {
        return false;
    }
    match len {
        0..=8 => short(a) == short(b),
        // The two words overlap and cover every byte.
        9..=16 => {
            let word = |s: &[u8], at: usize| s.get(at..at + 8).map_or(0, le);
            word(a, 0) == word(b, 0) && word(a, len - 8) == word(b, len - 8)
        }
        _ => a == b,
    }
}

/// Eight bytes as a little-endian word.
#[inline]
fn le(word: &[u8]) -> u64 {
    u64::from_le_bytes(<[u8; 8]>::try_from(word).unwrap_or_default())
}

#[inline]
fn mix(x: u64) -> u64 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let product = u128::from(x) * u128::from(K);
    (product as u64) ^ ((product >> 64) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn check(ids: &[String], index: &IdIndex) {
        for (position, id) in ids.iter().enumerate() {
            assert_eq!(index.find(ids, id), Some(position), "{id:?}");
        }
        assert_eq!(index.find(ids, "absent id"), None);
    }

    #[test]
    fn finds_every_id_and_nothing_else() {
        let ids: Vec<String> = (0..300).map(|p| format!("participant-{p:02}")).collect();
        let index = IdIndex::new(&ids);
        assert!(index.sorted.is_none());
        check(&ids, &index);
        let empty: Vec<String> = Vec::new();
        assert_eq!(IdIndex::new(&empty).find(&empty, ""), None);
    }

    #[test]
    fn short_ids_compare_byte_for_byte() {
        let ids = [
            "",
            "a",
            "ab",
            "abc",
            "abcd",
            "abcdefg",
            "abcdefgh",
            "abcdefghi",
            "0123456789abcdef",
        ];
        for a in ids {
            for b in ids {
                assert_eq!(same_bytes(a.as_bytes(), b.as_bytes()), a == b, "{a} {b}");
                let mut c = b.as_bytes().to_vec();
                for i in 0..c.len() {
                    c[i] ^= 1;
                    assert_eq!(same_bytes(a.as_bytes(), &c), a.as_bytes() == &c[..]);
                    c[i] ^= 1;
                }
            }
        }
    }

    #[test]
    fn grows_one_id_at_a_time() {
        let mut ids: Vec<String> = Vec::new();
        let mut index = IdIndex::default();
        for p in 0..100 {
            ids.push(format!("{p}"));
            index.push(&ids);
            check(&ids, &index);
        }
    }

    #[test]
    fn colliding_ids_fall_back_to_sorted_search() {
        // Ids with the same hash, as an attacker would craft them, all want the same slot.
        let mut ids: Vec<String> = Vec::new();
        let mut index = IdIndex::default();
        let target = hash("seed") & 63;
        let mut n = 0u32;
        while ids.len() < 40 {
            let id = format!("x{n}");
            n += 1;
            if hash(&id) & 63 == target {
                ids.push(id);
                index.push(&ids);
            }
        }
        let index_new = IdIndex::new(&ids);
        assert!(index_new.sorted.is_some());
        assert!(index.sorted.is_some());
        check(&ids, &index_new);
        check(&ids, &index);
        // Pushing more, colliding or not, keeps the sorted search right.
        for n in 0..20 {
            ids.push(format!("more-{n}"));
            index.push(&ids);
            check(&ids, &index);
        }
    }

    proptest! {
        #[test]
        fn agrees_with_a_linear_search(ids in prop::collection::btree_set(".{0,12}", 0..60), probes in prop::collection::vec(".{0,12}", 0..20)) {
            let ids: Vec<String> = ids.into_iter().collect();
            let index = IdIndex::new(&ids);
            for probe in ids.iter().chain(&probes) {
                prop_assert_eq!(index.find(&ids, probe), ids.iter().position(|id| id == probe));
            }
        }
    }
}
