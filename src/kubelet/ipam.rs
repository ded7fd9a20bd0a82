//! Pod IPs for one node: node n hands out addresses from 10.244.(32·n).0/19.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use parking_lot::Mutex;

const BLOCK: u32 = 8192;

#[derive(Debug)]
pub struct IpPool {
    base: u32,
    state: Mutex<PoolState>,
}

#[derive(Debug, Default)]
struct PoolState {
    used: BTreeSet<u32>,
    cursor: u32,
}

impl IpPool {
    pub fn new(node_index: u8) -> IpPool {
        let base = u32::from(Ipv4Addr::new(10, 244, 0, 0)) + u32::from(node_index % 8) * BLOCK;
        IpPool {
            base,
            state: Mutex::new(PoolState {
                used: BTreeSet::new(),
                // .0 is the network; the gateway takes .1.
                cursor: 2,
            }),
        }
    }

    /// Takes `preferred` when it is in this pool (a pod keeps the IP it
    /// had before podium restarted), else the next free address.
    pub fn allocate(&self, preferred: Option<&str>) -> String {
        let mut state = self.state.lock();
        if let Some(offset) = preferred.and_then(|ip| self.offset(ip)) {
            state.used.insert(offset);
            return self.address(offset);
        }
        for _ in 0..BLOCK {
            let offset = state.cursor;
            state.cursor = if state.cursor + 1 >= BLOCK - 1 {
                2
            } else {
                state.cursor + 1
            };
            if state.used.insert(offset) {
                return self.address(offset);
            }
        }
        // Exhausted: share an address rather than fail the pod.
        self.address(2)
    }

    pub fn release(&self, ip: &str) {
        if let Some(offset) = self.offset(ip) {
            self.state.lock().used.remove(&offset);
        }
    }

    fn offset(&self, ip: &str) -> Option<u32> {
        let ip: Ipv4Addr = ip.parse().ok()?;
        let offset = u32::from(ip).checked_sub(self.base)?;
        (offset < BLOCK).then_some(offset)
    }

    fn address(&self, offset: u32) -> String {
        Ipv4Addr::from(self.base + offset).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hands_out_distinct_addresses_and_keeps_preferred() {
        let pool = IpPool::new(1);
        assert_eq!(pool.allocate(None), "10.244.32.2");
        assert_eq!(pool.allocate(None), "10.244.32.3");
        assert_eq!(pool.allocate(Some("10.244.33.7")), "10.244.33.7");
        pool.release("10.244.32.2");
        assert_eq!(pool.allocate(Some("10.244.32.2")), "10.244.32.2");
    }
}
