//! The ClusterIPs the host owns, so that pods reach a Service at
//! `ClusterIP:port` (and by name, through the hosts file the kubelet
//! writes): the runtime gives the host each address (Docker: a tiny
//! bridge network whose gateway it is), net listens there. Addresses of
//! Services that are gone are given back, those left by an earlier run
//! too.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::net::Ipv4Addr;
use std::sync::Arc;

use crate::kubelet::Runtime;

pub(crate) struct ClusterIps {
    runtime: Option<Arc<dyn Runtime>>,
    /// Held now; `None` until the runtime said what earlier runs left.
    held: Option<HashSet<Ipv4Addr>>,
    /// The runtime's pods cannot reach the host (the simulated one).
    unsupported: bool,
}

/// Whether pods reach a ClusterIP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reach {
    Held,
    /// Why not, and what to do.
    Failed(String),
}

impl ClusterIps {
    pub fn new(runtime: Option<Arc<dyn Runtime>>) -> ClusterIps {
        let unsupported = runtime.is_none();
        ClusterIps {
            runtime,
            held: None,
            unsupported,
        }
    }

    /// Whether pods can reach host addresses at all.
    pub fn supported(&self) -> bool {
        !self.unsupported
    }

    /// Forgets that `ip` is held (the host lost it); the next sync takes
    /// it again.
    pub fn forget(&mut self, ip: Ipv4Addr) {
        if let Some(held) = &mut self.held {
            held.remove(&ip);
        }
    }

    /// Holds exactly `wanted`: takes the missing addresses, gives back the
    /// others. Says per wanted address whether pods reach it.
    pub async fn sync(&mut self, wanted: &BTreeSet<Ipv4Addr>) -> HashMap<Ipv4Addr, Reach> {
        let mut reach = HashMap::new();
        let Some(runtime) = self.runtime.clone().filter(|_| !self.unsupported) else {
            return reach;
        };
        let held = match &mut self.held {
            Some(held) => held,
            None => match runtime.service_addresses().await {
                Ok(earlier) => self.held.insert(earlier.into_iter().collect()),
                Err(error) => {
                    let message = format!("cannot list the Service addresses: {error}");
                    return wanted
                        .iter()
                        .map(|ip| (*ip, Reach::Failed(message.clone())))
                        .collect();
                }
            },
        };
        let gone: Vec<Ipv4Addr> = held
            .difference(&wanted.iter().copied().collect())
            .copied()
            .collect();
        for ip in gone {
            match runtime.remove_service_address(ip).await {
                Ok(()) => {
                    held.remove(&ip);
                }
                Err(error) => tracing::warn!(%ip, %error, "cannot give a Service address back"),
            }
        }
        for ip in wanted {
            if held.contains(ip) {
                reach.insert(*ip, Reach::Held);
                continue;
            }
            match runtime.ensure_service_address(*ip).await {
                Ok(true) => {
                    held.insert(*ip);
                    reach.insert(*ip, Reach::Held);
                }
                Ok(false) => {
                    self.unsupported = true;
                    return HashMap::new();
                }
                Err(error) => {
                    reach.insert(*ip, Reach::Failed(error.to_string()));
                }
            }
        }
        reach
    }
}
