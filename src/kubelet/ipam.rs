//! Pod IPs for one node, from the node's pod CIDR inside 10.244.0.0/16.
//! Like upstream's node IPAM each node gets a /24, or a larger block when
//! it takes more pods than a /24 holds (`--max-pods`).

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use parking_lot::Mutex;

/// The cluster's pod network.
const CLUSTER_CIDR_BASE: Ipv4Addr = Ipv4Addr::new(10, 244, 0, 0);
const CLUSTER_CIDR_SIZE: u32 = 1 << 16;

/// Addresses per node: a /24, or the power of two that holds `max_pods`
/// plus the network and gateway addresses.
pub fn block_size(max_pods: u32) -> u32 {
    (max_pods + 2).next_power_of_two().max(256)
}

/// How many nodes fit in the cluster's pod network at that size.
pub fn max_nodes(max_pods: u32) -> u32 {
    CLUSTER_CIDR_SIZE / block_size(max_pods)
}

/// The pod CIDR of node `index`, e.g. `10.244.1.0/24`.
pub fn node_cidr(index: u8, max_pods: u32) -> String {
    let block = block_size(max_pods);
    let base = Ipv4Addr::from(u32::from(CLUSTER_CIDR_BASE) + u32::from(index) * block);
    format!("{base}/{}", 32 - block.trailing_zeros())
}

#[derive(Debug)]
pub struct IpPool {
    base: u32,
    block: u32,
    state: Mutex<PoolState>,
}

#[derive(Debug, Default)]
struct PoolState {
    used: BTreeSet<u32>,
    cursor: u32,
}

impl IpPool {
    pub fn new(node_index: u8, max_pods: u32) -> IpPool {
        let block = block_size(max_pods);
        let base = u32::from(CLUSTER_CIDR_BASE) + u32::from(node_index) * block;
        IpPool {
            base,
            block,
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
        for _ in 0..self.block {
            let offset = state.cursor;
            state.cursor = if state.cursor + 1 >= self.block - 1 {
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
        (offset < self.block).then_some(offset)
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
        let pool = IpPool::new(1, 110);
        assert_eq!(pool.allocate(None), "10.244.1.2");
        assert_eq!(pool.allocate(None), "10.244.1.3");
        assert_eq!(pool.allocate(Some("10.244.1.7")), "10.244.1.7");
        assert_eq!(
            pool.allocate(Some("10.244.2.7")),
            "10.244.1.4",
            "not this node's"
        );
        pool.release("10.244.1.2");
        assert_eq!(pool.allocate(Some("10.244.1.2")), "10.244.1.2");
    }

    #[test]
    fn nodes_get_a_24_or_a_block_that_holds_their_pods() {
        assert_eq!(node_cidr(0, 110), "10.244.0.0/24");
        assert_eq!(node_cidr(3, 110), "10.244.3.0/24");
        assert_eq!(max_nodes(110), 256);
        assert_eq!(node_cidr(1, 1000), "10.244.4.0/22");
        assert_eq!(max_nodes(10_000), 4);
    }
}
