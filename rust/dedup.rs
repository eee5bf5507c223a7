//! The duplicate filter of a room: the last `capacity` message ids seen.
//!
//! A server re-sends messages after a reconnect (from the last cursor) and in the first
//! fetch's history, so each room remembers a window of recent ids and drops repeats. The
//! ids sit in a ring in arrival order (8 bytes an id); an open-addressing hash table of ring
//! positions (4 bytes a slot, at most half full: linear probing, backward-shift deletion, no
//! tombstones, so a long-running room never rehashes) finds them. The default window of 2048
//! ids takes 32 KiB at most; the table starts small and grows with the ids held.
//! Plain Rust; `py::recent` wraps it for the protocol.

/// Fibonacci hashing: ids vary in their high bits (time) and low bits (counters); the
/// multiplication spreads both into the top bits, which pick the slot.
const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;
const FIRST_TABLE_BITS: u32 = 6;

/// The largest window: ring positions are stored in 32 bits, 0 meaning an empty slot.
pub const MAX_CAPACITY: usize = (u32::MAX >> 1) as usize;

/// The last `capacity` distinct non-zero ids, oldest forgotten first.
pub struct RecentIds {
    capacity: usize,
    /// Ids in arrival order; once full, `next` is the oldest (the next to be replaced).
    ring: Vec<u64>,
    next: usize,
    /// Slots of ring positions plus one (0: empty), a power of two long.
    table: Vec<u32>,
    bits: u32,
}

/// A ring position as stored in the table (plus one: 0 is an empty slot).
fn entry(position: usize) -> u32 {
    u32::try_from(position + 1).expect("positions are below MAX_CAPACITY")
}

impl RecentIds {
    /// A window of `capacity` ids.
    ///
    /// # Panics
    ///
    /// If `capacity` is 0 or above [`MAX_CAPACITY`] (the Python wrapper refuses both with a
    /// `ValueError` first).
    pub fn new(capacity: usize) -> Self {
        assert!(
            (1..=MAX_CAPACITY).contains(&capacity),
            "the window holds 1 to {MAX_CAPACITY} ids"
        );
        Self {
            capacity,
            ring: Vec::new(),
            next: 0,
            table: vec![0; 1 << FIRST_TABLE_BITS],
            bits: FIRST_TABLE_BITS,
        }
    }

    fn home(&self, id: u64) -> usize {
        // The top `bits` bits of the product: always less than the table's length.
        (id.wrapping_mul(GOLDEN) >> (64 - self.bits)) as usize
    }

    /// The id a non-empty slot points at.
    fn id_at(&self, slot: usize) -> u64 {
        self.ring[self.table[slot] as usize - 1]
    }

    /// The slot pointing at `id`, or the empty slot where it would go.
    fn slot(&self, id: u64) -> usize {
        let mask = self.table.len() - 1;
        let mut slot = self.home(id);
        while self.table[slot] != 0 && self.id_at(slot) != id {
            slot = (slot + 1) & mask;
        }
        slot
    }

    /// Removes `id` (held) and moves back every later entry of its cluster whose home is not
    /// past the hole, so that lookups never meet a gap inside a cluster.
    fn remove(&mut self, id: u64) {
        let mask = self.table.len() - 1;
        let mut hole = self.slot(id);
        let mut probe = (hole + 1) & mask;
        while self.table[probe] != 0 {
            let wanted = self.home(self.id_at(probe));
            if (probe.wrapping_sub(wanted) & mask) >= (probe.wrapping_sub(hole) & mask) {
                self.table[hole] = self.table[probe];
                hole = probe;
            }
            probe = (probe + 1) & mask;
        }
        self.table[hole] = 0;
    }

    fn grow(&mut self) {
        self.bits += 1;
        self.table = vec![0; 1 << self.bits];
        for position in 0..self.ring.len() {
            let slot = self.slot(self.ring[position]);
            self.table[slot] = entry(position);
        }
    }

    /// Remembers `id`; false if it was already remembered. 0 means "no id": never remembered,
    /// always new.
    pub fn add(&mut self, id: u64) -> bool {
        if id == 0 {
            return true;
        }
        let slot = self.slot(id);
        if self.table[slot] != 0 {
            return false; // the slot points at `id`
        }
        if self.ring.len() < self.capacity {
            self.ring.push(id);
            self.table[slot] = entry(self.ring.len() - 1);
            if 2 * self.ring.len() > self.table.len() {
                self.grow();
            }
        } else {
            let position = self.next;
            self.remove(self.ring[position]);
            self.ring[position] = id;
            let slot = self.slot(id); // the removal may have moved the free slot
            self.table[slot] = entry(position);
            self.next = (position + 1) % self.capacity;
        }
        true
    }

    pub fn contains(&self, id: u64) -> bool {
        id != 0 && self.table[self.slot(id)] != 0
    }

    pub fn len(&self) -> usize {
        self.ring.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ring.is_empty()
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Bytes of heap this filter holds (ring and table), for the memory budget.
    pub fn heap_bytes(&self) -> usize {
        self.ring.capacity() * std::mem::size_of::<u64>() + self.table.len() * std::mem::size_of::<u32>()
    }
}

#[cfg(test)]
mod tests {
    use super::RecentIds;
    use std::collections::{HashSet, VecDeque};

    #[test]
    fn remembers_exactly_the_last_window() {
        // Against a plain model, with re-deliveries, clustered ids and random ones.
        let mut state = 0x2545_F491_4F6C_DD1D_u64;
        let mut random = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for capacity in [1, 3, 64, 2048] {
            let mut ids = RecentIds::new(capacity);
            let mut order = VecDeque::new();
            let mut seen = HashSet::new();
            let mut sent: Vec<u64> = Vec::new();
            for _ in 0..20_000 {
                let choice = random() % 10;
                let id = if choice < 3 && !sent.is_empty() {
                    let back = (random() as usize % sent.len().min(3 * capacity)) + 1;
                    sent[sent.len() - back]
                } else if choice < 4 {
                    (random() % 64 + 1) << [0, 20, 40, 56][random() as usize % 4]
                } else {
                    random() | 1
                };
                let expected = seen.insert(id);
                if expected {
                    order.push_back(id);
                    if order.len() > capacity {
                        seen.remove(&order.pop_front().unwrap());
                    }
                }
                assert_eq!(ids.add(id), expected);
                assert!(ids.contains(id));
                assert_eq!(ids.len(), order.len());
                sent.push(id);
            }
        }
    }

    #[test]
    fn zero_is_never_remembered() {
        let mut ids = RecentIds::new(4);
        assert!(ids.add(0) && ids.add(0));
        assert!(!ids.contains(0));
        assert!(ids.is_empty());
    }

    #[test]
    fn memory_stays_within_the_window() {
        let mut ids = RecentIds::new(2048);
        for id in 1..200_000_u64 {
            ids.add(id.wrapping_mul(7919) | 1 << 62);
        }
        assert_eq!(ids.len(), 2048);
        assert!(ids.heap_bytes() <= 32 * 1024, "{} bytes", ids.heap_bytes());
    }
}
