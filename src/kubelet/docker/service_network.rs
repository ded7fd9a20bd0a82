//! Service addresses the pods reach: a tiny bridge network per Service
//! (a /30) whose gateway is the Service's ClusterIP. Docker puts the
//! gateway on a host bridge, so the host owns the ClusterIP and podium can
//! listen on `ClusterIP:port` without privileges; a pod on `podium-pods`
//! reaches it through its default route (the host's own input path, not
//! Docker's forwarding between networks). No container joins these
//! networks. Each carries podium's labels and the cluster id, so a restart
//! adopts them and `podium reset` removes them.

use std::collections::HashMap;
use std::net::Ipv4Addr;

use bollard::Docker;
use bollard::models::{Ipam, IpamConfig, NetworkCreateRequest};
use bollard::query_parameters::ListNetworksOptions;

use super::error::{engine_message, failed, status_code};
use crate::kubelet::runtime::{LABEL_CLUSTER, LABEL_MANAGED, LABEL_ROLE, RuntimeError};

/// `LABEL_ROLE` of a Service address network.
const ROLE_SERVICE_ADDRESS: &str = "service-address";
/// The ClusterIP a network gives the host.
const LABEL_SERVICE_IP: &str = "podium.dev/service-ip";

/// The network's name: per cluster, so two podiums on one engine do not
/// mistake each other's.
fn name(cluster_id: &str, ip: Ipv4Addr) -> String {
    format!("podium-svc-{cluster_id}-{ip}")
}

/// The /30 around `ip`, when `ip` can be its gateway (not the network's
/// first or last address).
pub(super) fn subnet_of(ip: Ipv4Addr) -> Option<String> {
    let n = u32::from(ip);
    let base = n & !3;
    (n != base && n != base + 3).then(|| format!("{}/30", Ipv4Addr::from(base)))
}

/// This cluster's Service address networks: ClusterIP → network id.
pub(super) async fn list(
    docker: &Docker,
    cluster_id: &str,
) -> Result<HashMap<Ipv4Addr, String>, RuntimeError> {
    let options = ListNetworksOptions {
        filters: Some(HashMap::from([(
            "label".to_string(),
            vec![
                format!("{LABEL_CLUSTER}={cluster_id}"),
                format!("{LABEL_ROLE}={ROLE_SERVICE_ADDRESS}"),
            ],
        )])),
    };
    let networks = docker
        .list_networks(Some(options))
        .await
        .map_err(failed("list networks"))?;
    Ok(networks
        .into_iter()
        .filter_map(|network| {
            let labels = network.labels?;
            let ip = labels.get(LABEL_SERVICE_IP)?.parse().ok()?;
            Some((ip, network.id?))
        })
        .collect())
}

/// Makes the host own `ip` (idempotent: an existing network is kept).
pub(super) async fn ensure(
    docker: &Docker,
    cluster_id: &str,
    ip: Ipv4Addr,
) -> Result<(), RuntimeError> {
    let subnet = subnet_of(ip).ok_or_else(|| RuntimeError::Failed {
        operation: "give the host a Service address",
        message: format!(
            "{ip} is the first or last address of its /30, which cannot be a bridge's gateway; let podium pick the clusterIP (leave spec.clusterIP empty)"
        ),
    })?;
    if list(docker, cluster_id).await?.contains_key(&ip) {
        return Ok(());
    }
    let labels = HashMap::from([
        (LABEL_MANAGED.to_string(), "true".to_string()),
        (LABEL_CLUSTER.to_string(), cluster_id.to_string()),
        (LABEL_ROLE.to_string(), ROLE_SERVICE_ADDRESS.to_string()),
        (LABEL_SERVICE_IP.to_string(), ip.to_string()),
    ]);
    let request = NetworkCreateRequest {
        name: name(cluster_id, ip),
        driver: Some("bridge".to_string()),
        ipam: Some(Ipam {
            driver: Some("default".to_string()),
            config: Some(vec![IpamConfig {
                subnet: Some(subnet.clone()),
                gateway: Some(ip.to_string()),
                ..Default::default()
            }]),
            ..Default::default()
        }),
        labels: Some(labels),
        ..Default::default()
    };
    match docker.create_network(request).await {
        Ok(_) => Ok(()),
        // Made a moment ago by an earlier reconcile of ours.
        Err(error) if status_code(&error) == Some(409) => Ok(()),
        Err(error) if engine_message(&error).contains("overlaps") => Err(RuntimeError::Failed {
            operation: "give the host a Service address",
            message: format!(
                "another Docker network uses {subnet} ({}); remove it (`docker network ls`, `docker network rm NAME`) or recreate the Service for another clusterIP",
                engine_message(&error)
            ),
        }),
        Err(error) => Err(failed("create network")(error)),
    }
}

/// Gives `ip` back: removes its network (a missing one is fine).
pub(super) async fn remove(
    docker: &Docker,
    cluster_id: &str,
    ip: Ipv4Addr,
) -> Result<(), RuntimeError> {
    let Some(id) = list(docker, cluster_id).await?.remove(&ip) else {
        return Ok(());
    };
    match docker.remove_network(&id).await {
        Ok(()) => Ok(()),
        Err(error) if status_code(&error) == Some(404) => Ok(()),
        Err(error) => Err(failed("remove network")(error)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_middle_addresses_of_a_slash_30_can_be_gateways() {
        let ip = |s: &str| s.parse::<Ipv4Addr>().expect("ip");
        assert_eq!(subnet_of(ip("10.96.3.6")).as_deref(), Some("10.96.3.4/30"));
        assert_eq!(subnet_of(ip("10.96.3.5")).as_deref(), Some("10.96.3.4/30"));
        assert_eq!(subnet_of(ip("10.96.3.4")), None);
        assert_eq!(subnet_of(ip("10.96.3.7")), None);
    }
}
