//! Services → listeners. Every Service port with a cluster IP gets a
//! loopback host port (the host's way to the ClusterIP); NodePort and
//! LoadBalancer Services also get `<node address>:<nodePort>`, and
//! LoadBalancer ones `127.0.0.1:<port>` (like `minikube tunnel`). On
//! runtimes whose pods reach the host (Docker), every Service port also
//! listens on `ClusterIP:port`, an address the host owns (`cluster_ips`),
//! for traffic from inside containers.
//! Listeners follow the Services: changed ports rebind, deleted Services
//! stop accepting (their open connections finish). Binds that fail are
//! retried every few seconds and reported with the fix.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::ErrorKind;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Service, ServicePort};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::Context;
use super::cluster_ips::{ClusterIps, Reach};
use super::proxy::{self, PortTarget};
use super::report::{Listener, ListenerKind, ListenerReport, ServiceListeners};
use crate::api::{Kind, Object};
use crate::store::{ListFilter, WatchItem};

/// How often binds that failed are tried again.
const RETRY: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct ListenerKey {
    namespace: String,
    name: String,
    uid: String,
    kind: ListenerKind,
    port: i32,
    protocol: String,
}

struct Running {
    address: SocketAddr,
    target: Arc<PortTarget>,
    stop: CancellationToken,
}

/// A listener one Service port wants.
struct Wanted {
    key: ListenerKey,
    address: SocketAddr,
    service: Arc<Service>,
    port: ServicePort,
    /// Which field to change when the port is taken.
    field: String,
}

pub(crate) fn start(
    context: Arc<Context>,
    node_address: IpAddr,
    report: Arc<watch::Sender<ListenerReport>>,
    cancel: CancellationToken,
) {
    tokio::spawn(async move {
        let cluster_ips = ClusterIps::new(context.logs.service_address_runtime());
        let mut listeners = Listeners {
            cluster_ips,
            context,
            node_address,
            running: HashMap::new(),
            failed: BTreeMap::new(),
            cancel: cancel.clone(),
        };
        loop {
            let since = listeners.context.store.resource_version();
            listeners.reconcile().await;
            report.send_modify(|r| r.services = listeners.report());
            let Ok(mut watch) = listeners
                .context
                .store
                .watch(Some(Kind::Service), Some(since))
            else {
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            };
            // Reconcile on every change, and now and then for failed binds.
            loop {
                let retry = tokio::time::sleep(RETRY);
                tokio::select! {
                    _ = cancel.cancelled() => {
                        listeners.stop_all();
                        return;
                    }
                    item = watch.next() => match item {
                        Some(WatchItem::Event(_)) => {}
                        Some(WatchItem::Gone) | None => break,
                    },
                    _ = retry, if !listeners.failed.is_empty() => {}
                }
                listeners.reconcile().await;
                report.send_modify(|r| r.services = listeners.report());
            }
        }
    });
}

struct Listeners {
    context: Arc<Context>,
    cluster_ips: ClusterIps,
    node_address: IpAddr,
    running: HashMap<ListenerKey, Running>,
    /// Listeners that could not bind: where, and why.
    failed: BTreeMap<ListenerKey, (SocketAddr, String)>,
    cancel: CancellationToken,
}

impl Listeners {
    async fn reconcile(&mut self) {
        let services = self
            .context
            .store
            .list(Kind::Service, None, &ListFilter::default())
            .items;
        let mut wanted = Vec::new();
        let in_cluster = self.cluster_ips.supported();
        for object in &services {
            if let Object::Service(service) = &**object {
                wanted.extend(wanted_listeners(
                    Arc::new((**service).clone()),
                    self.node_address,
                    in_cluster,
                ));
            }
        }
        let reach = self.hold_cluster_ips(&wanted).await;
        // The runtime may only now have said it gives pods no way to the host.
        if !self.cluster_ips.supported() {
            wanted.retain(|w| w.key.kind != ListenerKind::ClusterIp);
        }
        let wanted_keys: HashMap<&ListenerKey, SocketAddr> =
            wanted.iter().map(|w| (&w.key, w.address)).collect();
        // Gone or moved: stop accepting; open connections drain on their own.
        self.running.retain(|key, running| {
            let keep = match wanted_keys.get(key) {
                None => false,
                // A host port is ephemeral: whichever it got stays.
                Some(_) if key.kind == ListenerKind::Host => true,
                Some(address) => *address == running.address,
            };
            if !keep {
                running.stop.cancel();
            }
            keep
        });
        self.failed.retain(|key, _| wanted_keys.contains_key(key));
        for want in wanted {
            if let Some(running) = self.running.get(&want.key) {
                running
                    .target
                    .update(want.service.clone(), want.port.clone());
                continue;
            }
            if want.key.kind == ListenerKind::ClusterIp {
                match want.address.ip() {
                    IpAddr::V4(ip) if reach.get(&ip) == Some(&Reach::Held) => {}
                    IpAddr::V4(ip) => {
                        let why = match reach.get(&ip) {
                            Some(Reach::Failed(why)) => why.clone(),
                            _ => "the container runtime gives pods no way to the host".into(),
                        };
                        let message = format!(
                            "cannot listen on {} for the ClusterIP of port {}/{} (pods reach the Service there): {why}",
                            want.address, want.key.port, want.key.protocol
                        );
                        if self.failed.get(&want.key).map(|(_, m)| m) != Some(&message) {
                            tracing::warn!("{message}");
                        }
                        self.failed.insert(want.key, (want.address, message));
                        continue;
                    }
                    IpAddr::V6(_) => continue,
                }
            }
            match TcpListener::bind(want.address).await {
                Ok(listener) => {
                    let address = listener.local_addr().unwrap_or(want.address);
                    let target = Arc::new(PortTarget::new(want.service.clone(), want.port.clone()));
                    let stop = self.cancel.child_token();
                    proxy::serve(listener, target.clone(), self.context.clone(), stop.clone());
                    self.failed.remove(&want.key);
                    self.running.insert(
                        want.key,
                        Running {
                            address,
                            target,
                            stop,
                        },
                    );
                }
                Err(error) => {
                    // Its network went behind podium's back: made again on the retry.
                    if let (ListenerKind::ClusterIp, IpAddr::V4(ip)) =
                        (want.key.kind, want.address.ip())
                        && error.kind() == ErrorKind::AddrNotAvailable
                    {
                        self.cluster_ips.forget(ip);
                    }
                    let message = bind_failure(&want, &error);
                    // Said once; the retries every few seconds stay quiet.
                    if self.failed.get(&want.key).map(|(_, m)| m) != Some(&message) {
                        tracing::warn!("{message}");
                    }
                    self.failed.insert(want.key, (want.address, message));
                }
            }
        }
    }

    /// Gives the host the ClusterIPs wanted (and back those of Services
    /// that went), before their listeners bind.
    async fn hold_cluster_ips(&mut self, wanted: &[Wanted]) -> HashMap<Ipv4Addr, Reach> {
        let ips: BTreeSet<Ipv4Addr> = wanted
            .iter()
            .filter(|w| w.key.kind == ListenerKind::ClusterIp)
            .filter_map(|w| match w.address.ip() {
                IpAddr::V4(ip) => Some(ip),
                IpAddr::V6(_) => None,
            })
            .collect();
        if !self.cluster_ips.supported() {
            return HashMap::new();
        }
        self.cluster_ips.sync(&ips).await
    }

    fn report(&self) -> BTreeMap<(String, String), ServiceListeners> {
        let mut services: BTreeMap<(String, String), ServiceListeners> = BTreeMap::new();
        let running = self.running.iter().map(|(key, r)| (key, r.address, None));
        let failed = self
            .failed
            .iter()
            .map(|(key, (address, why))| (key, *address, Some(why.clone())));
        for (key, address, failure) in running.chain(failed) {
            let entry = services
                .entry((key.namespace.clone(), key.name.clone()))
                .or_default();
            entry.uid = key.uid.clone();
            entry.listeners.push(Listener {
                kind: key.kind,
                service_port: key.port,
                protocol: key.protocol.clone(),
                address,
                failure,
            });
        }
        for entry in services.values_mut() {
            entry
                .listeners
                .sort_by_key(|l| (l.kind, l.service_port, l.protocol.clone()));
        }
        services
    }

    fn stop_all(&mut self) {
        for running in self.running.values() {
            running.stop.cancel();
        }
        self.running.clear();
    }
}

/// The listeners a Service wants: TCP ports only, none for ExternalName
/// or headless Services. `in_cluster`: also `ClusterIP:port`, for pods.
fn wanted_listeners(service: Arc<Service>, node_address: IpAddr, in_cluster: bool) -> Vec<Wanted> {
    let Some(spec) = &service.spec else {
        return Vec::new();
    };
    let service_type = spec.type_.as_deref().unwrap_or("ClusterIP");
    let headless = matches!(spec.cluster_ip.as_deref(), None | Some("None") | Some(""));
    if service_type == "ExternalName" || headless {
        return Vec::new();
    }
    let loopback = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let cluster_ip = spec
        .cluster_ip
        .as_deref()
        .and_then(|ip| ip.parse::<Ipv4Addr>().ok())
        .filter(|_| in_cluster);
    let mut wanted = Vec::new();
    for (index, port) in spec.ports.iter().flatten().enumerate() {
        let protocol = port.protocol.clone().unwrap_or_else(|| "TCP".into());
        if protocol != "TCP" {
            continue;
        }
        let key = |kind| ListenerKey {
            namespace: service.metadata.namespace.clone().unwrap_or_default(),
            name: service.metadata.name.clone().unwrap_or_default(),
            uid: service.metadata.uid.clone().unwrap_or_default(),
            kind,
            port: port.port,
            protocol: protocol.clone(),
        };
        let mut want = |kind, address, field: String| {
            wanted.push(Wanted {
                key: key(kind),
                address,
                service: service.clone(),
                port: port.clone(),
                field,
            })
        };
        want(
            ListenerKind::Host,
            SocketAddr::new(loopback, 0),
            String::new(),
        );
        if let Some(ip) = cluster_ip
            && let Ok(number) = u16::try_from(port.port)
        {
            want(
                ListenerKind::ClusterIp,
                SocketAddr::new(IpAddr::V4(ip), number),
                format!("spec.ports[{index}].port"),
            );
        }
        if matches!(service_type, "NodePort" | "LoadBalancer")
            && let Some(node_port) = port.node_port.and_then(|p| u16::try_from(p).ok())
        {
            want(
                ListenerKind::NodePort,
                SocketAddr::new(node_address, node_port),
                format!("spec.ports[{index}].nodePort"),
            );
        }
        if service_type == "LoadBalancer"
            && let Ok(number) = u16::try_from(port.port)
        {
            want(
                ListenerKind::LoadBalancer,
                SocketAddr::new(loopback, number),
                format!("spec.ports[{index}].port"),
            );
        }
    }
    wanted
}

/// Why a listener could not bind and what to do about it.
fn bind_failure(want: &Wanted, error: &std::io::Error) -> String {
    let address = want.address;
    let port = address.port();
    let what = format!(
        "cannot listen on {address} for the {} of port {}/{}",
        want.key.kind.as_str(),
        want.key.port,
        want.key.protocol
    );
    match error.kind() {
        ErrorKind::AddrInUse => format!(
            "{what}: port {port} is already in use by another program; stop it (`ss -ltnp 'sport = :{port}'` shows which) or change {}",
            want.field
        ),
        ErrorKind::PermissionDenied => format!(
            "{what}: ports below 1024 need privileges; change {} to 1024 or above, or allow it with `sudo sysctl net.ipv4.ip_unprivileged_port_start={port}`",
            want.field
        ),
        _ => format!("{what}: {error}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(yaml: &str) -> Arc<Service> {
        Arc::new(serde_yaml::from_str(yaml).expect("service yaml"))
    }

    #[test]
    fn each_type_gets_its_listeners() {
        let loopback: IpAddr = [127, 0, 0, 1].into();
        let lb = service(
            "metadata: {name: web, namespace: default, uid: u1}\nspec: {type: LoadBalancer, clusterIP: 10.96.3.4, ports: [{port: 8080, nodePort: 30080}, {port: 53, protocol: UDP, nodePort: 30053}]}",
        );
        let wanted = wanted_listeners(lb, loopback, true);
        let seen: Vec<(ListenerKind, String)> = wanted
            .iter()
            .map(|w| (w.key.kind, w.address.to_string()))
            .collect();
        assert_eq!(
            seen,
            [
                (ListenerKind::Host, "127.0.0.1:0".to_string()),
                (ListenerKind::ClusterIp, "10.96.3.4:8080".to_string()),
                (ListenerKind::NodePort, "127.0.0.1:30080".to_string()),
                (ListenerKind::LoadBalancer, "127.0.0.1:8080".to_string()),
            ]
        );
        let headless =
            service("metadata: {name: db}\nspec: {clusterIP: None, ports: [{port: 5432}]}");
        assert!(wanted_listeners(headless, loopback, true).is_empty());
        let external =
            service("metadata: {name: x}\nspec: {type: ExternalName, externalName: example.com}");
        assert!(wanted_listeners(external, loopback, true).is_empty());
    }

    #[test]
    fn a_taken_port_names_the_port_and_the_field_to_change() {
        let svc = service(
            "metadata: {name: web, namespace: default, uid: u1}\nspec: {type: NodePort, clusterIP: 10.96.3.4, ports: [{port: 8080, nodePort: 30080}]}",
        );
        let wanted = wanted_listeners(svc, [127, 0, 0, 1].into(), false);
        let node_port = &wanted[1];
        let message = bind_failure(node_port, &std::io::Error::from(ErrorKind::AddrInUse));
        assert_eq!(
            message,
            "cannot listen on 127.0.0.1:30080 for the NodePort of port 8080/TCP: port 30080 is already in use by another program; stop it (`ss -ltnp 'sport = :30080'` shows which) or change spec.ports[0].nodePort"
        );
    }
}
