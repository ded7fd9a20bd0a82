//! A bounded buffer of log entries addressed by absolute sequence numbers,
//! so positions (scroll, search hits) stay valid as old lines drop out.

use std::collections::VecDeque;

use super::LogLine;

/// A line of a pod's log, or a note the view adds (skipped lines, a
/// stream that ended) so nothing is lost silently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Line(LogLine),
    Note(String),
}

impl Entry {
    pub fn text(&self) -> &str {
        match self {
            Entry::Line(l) => &l.text,
            Entry::Note(n) => n,
        }
    }
}

#[derive(Debug)]
pub struct Ring {
    entries: VecDeque<Entry>,
    capacity: usize,
    /// Entries that fell out of the front: the sequence number of the first kept one.
    dropped: u64,
}

impl Ring {
    pub fn new(capacity: usize) -> Ring {
        let capacity = capacity.max(1);
        Ring {
            entries: VecDeque::with_capacity(capacity.min(1 << 16)),
            capacity,
            dropped: 0,
        }
    }

    /// Appends in O(1), dropping the oldest entry when full.
    pub fn push(&mut self, entry: Entry) {
        if self.entries.len() == self.capacity {
            self.entries.pop_front();
            self.dropped += 1;
        }
        self.entries.push_back(entry);
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Sequence number of the first kept entry.
    pub fn first(&self) -> u64 {
        self.dropped
    }

    /// One past the sequence number of the newest entry.
    pub fn end(&self) -> u64 {
        self.dropped + self.entries.len() as u64
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn get(&self, seq: u64) -> Option<&Entry> {
        let index = usize::try_from(seq.checked_sub(self.dropped)?).ok()?;
        self.entries.get(index)
    }

    /// Entries with their sequence numbers, oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (u64, &Entry)> {
        let first = self.dropped;
        self.entries
            .iter()
            .enumerate()
            .map(move |(i, e)| (first + i as u64, e))
    }

    /// Entries from `seq` on, without walking the ones before it.
    pub fn iter_from(&self, seq: u64) -> impl Iterator<Item = (u64, &Entry)> {
        let start = usize::try_from(seq.saturating_sub(self.dropped))
            .unwrap_or(usize::MAX)
            .min(self.entries.len());
        let first = self.dropped + start as u64;
        self.entries
            .range(start..)
            .enumerate()
            .map(move |(i, e)| (first + i as u64, e))
    }

    pub fn clear(&mut self) {
        self.entries.clear();
        self.dropped = 0;
    }
}
