//! Each pod's /etc/hosts, managed like upstream's kubelet manages it, plus
//! the Services: `name` for those of the pod's namespace, and `name.ns`,
//! `name.ns.svc`, `name.ns.svc.cluster.local` for all, each at its
//! ClusterIP (which the host owns for pods; see `net::cluster_ips`).
//!
//! Why a hosts file rather than a DNS server: a resolver pods can use sits
//! on port 53, which only root may bind, and Docker's own resolver knows
//! containers, not addresses on the host. The file lives under the pod's
//! directory and is bind-mounted read-only at /etc/hosts (Docker then
//! writes none of its own). When Services change it is rewritten in
//! place: a file bind mount follows the inode, so a rename would leave the
//! container with the old file.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

use k8s_openapi::api::core::v1::{Endpoints, Pod};
use tokio_util::sync::CancellationToken;

use super::runtime::Mount;
use super::volumes::pod_dir;
use crate::api::{Kind, Object};
use crate::store::{ListFilter, Store, WatchItem};

/// The Services part starts after this line; what is above is the pod's.
const SERVICES_MARK: &str = "# Services (kept current by podium)";
/// The cluster's DNS domain, as upstream's default.
const CLUSTER_DOMAIN: &str = "cluster.local";

/// A Service with a ClusterIP.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ServiceName {
    pub namespace: String,
    pub name: String,
    pub cluster_ip: String,
}

/// Where a pod's hosts file is.
pub fn hosts_path(root: &Path, uid: &str) -> PathBuf {
    pod_dir(root, uid).join("etc-hosts")
}

/// The names pods resolve: each Service with a ClusterIP at it, and each
/// headless Service at its ready endpoints, with `<hostname>.<service>`
/// for the endpoints that carry a hostname (a StatefulSet's pods), as
/// cluster DNS answers them.
pub fn services_of(store: &Store) -> Vec<ServiceName> {
    let mut services: Vec<ServiceName> = store
        .list(Kind::Service, None, &ListFilter::default())
        .items
        .iter()
        .filter_map(|object| {
            let Object::Service(service) = &**object else {
                return None;
            };
            let spec = service.spec.as_ref()?;
            if spec.type_.as_deref() == Some("ExternalName") {
                return None;
            }
            let name = |name: String, ip: String| ServiceName {
                namespace: object.namespace().to_string(),
                name,
                cluster_ip: ip,
            };
            if spec.cluster_ip.as_deref() == Some("None") {
                return Some(headless_names(
                    store,
                    object.namespace(),
                    object.name(),
                    name,
                ));
            }
            let cluster_ip = spec
                .cluster_ip
                .clone()
                .filter(|ip| ip.parse::<std::net::Ipv4Addr>().is_ok())?;
            Some(vec![name(object.name().to_string(), cluster_ip)])
        })
        .flatten()
        .collect();
    services.sort();
    services
}

/// A headless Service's names: the Service at each ready address, and
/// `<hostname>.<service>` at the addresses with a hostname.
fn headless_names(
    store: &Store,
    namespace: &str,
    service: &str,
    name: impl Fn(String, String) -> ServiceName,
) -> Vec<ServiceName> {
    let Some(endpoints) = store.get_as::<Endpoints>(namespace, service) else {
        return Vec::new();
    };
    let mut names = Vec::new();
    for address in endpoints
        .subsets
        .iter()
        .flatten()
        .flat_map(|s| s.addresses.iter().flatten())
    {
        if address.ip.parse::<std::net::Ipv4Addr>().is_err() {
            continue;
        }
        names.push(name(service.to_string(), address.ip.clone()));
        if let Some(hostname) = address.hostname.as_deref().filter(|h| !h.is_empty()) {
            names.push(name(format!("{hostname}.{service}"), address.ip.clone()));
        }
    }
    names.dedup();
    names
}

/// The pod's own part: what Docker would write, and the pod's hostname
/// at its IP.
fn pod_part(pod_ip: &str, hostname: &str, domain: Option<&str>) -> String {
    let mut text = String::from(
        "# Kubernetes-managed hosts file (podium).\n\
         127.0.0.1\tlocalhost\n\
         ::1\tlocalhost ip6-localhost ip6-loopback\n\
         fe00::0\tip6-localnet\n\
         fe00::0\tip6-mcastprefix\n\
         fe00::1\tip6-allnodes\n\
         fe00::2\tip6-allrouters\n",
    );
    match (pod_ip.is_empty(), domain) {
        (true, _) => {}
        // A pod under a subdomain, as upstream's kubelet writes it.
        (false, Some(domain)) => {
            let _ = writeln!(text, "{pod_ip}\t{hostname}.{domain}\t{hostname}");
        }
        (false, None) => {
            let _ = writeln!(text, "{pod_ip}\t{hostname}");
        }
    }
    text
}

/// One line per Service: the short name only for the pod's namespace.
fn services_part(namespace: &str, services: &[ServiceName]) -> String {
    let mut text = format!("{SERVICES_MARK}\n");
    for service in services {
        let ServiceName {
            namespace: ns,
            name,
            cluster_ip,
        } = service;
        let short = if ns == namespace {
            format!("{name} ")
        } else {
            String::new()
        };
        let _ = writeln!(
            text,
            "{cluster_ip}\t{short}{name}.{ns} {name}.{ns}.svc {name}.{ns}.svc.{CLUSTER_DOMAIN}"
        );
    }
    text
}

/// Writes the pod's hosts file and returns its mount.
pub fn prepare(
    root: &Path,
    pod: &Pod,
    pod_ip: &str,
    hostname: &str,
    services: &[ServiceName],
) -> io::Result<Mount> {
    let uid = pod.metadata.uid.as_deref().unwrap_or("unknown");
    let namespace = pod.metadata.namespace.as_deref().unwrap_or("default");
    let path = hosts_path(root, uid);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let domain = pod
        .spec
        .as_ref()
        .and_then(|s| s.subdomain.as_deref())
        .filter(|s| !s.is_empty())
        .map(|subdomain| format!("{subdomain}.{namespace}.svc.{CLUSTER_DOMAIN}"));
    let text = pod_part(pod_ip, hostname, domain.as_deref()) + &services_part(namespace, services);
    write_in_place(&path, &text)?;
    Ok(Mount {
        host_path: path,
        container_path: "/etc/hosts".to_string(),
        read_only: true,
    })
}

/// Replaces the Services part of an existing hosts file; the pod's part
/// stays. Unchanged files are not touched.
pub fn refresh(path: &Path, namespace: &str, services: &[ServiceName]) -> io::Result<()> {
    let current = std::fs::read_to_string(path)?;
    let pod = current
        .find(SERVICES_MARK)
        .map_or(current.as_str(), |at| &current[..at]);
    let text = format!("{pod}{}", services_part(namespace, services));
    if text != current {
        write_in_place(path, &text)?;
    }
    Ok(())
}

/// Truncates and writes the same file (same inode), so containers that
/// mount it see the new text.
fn write_in_place(path: &Path, text: &str) -> io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)?;
    file.write_all(text.as_bytes())?;
    file.flush()
}

/// Keeps the hosts files of the pods under `root` current as Services
/// and their endpoints come and go, until `cancel` fires.
pub fn spawn(store: Store, root: PathBuf, cancel: CancellationToken) {
    tokio::spawn(async move {
        loop {
            let since = store.resource_version();
            refresh_all(&store, &root);
            // Services and Endpoints: a headless Service's names follow
            // its endpoints.
            let Ok(mut watch) = store.watch_kinds(&[Kind::Service, Kind::Endpoints], Some(since))
            else {
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            };
            loop {
                tokio::select! {
                    _ = cancel.cancelled() => return,
                    item = watch.next() => match item {
                        Some(WatchItem::Event(_)) => refresh_all(&store, &root),
                        Some(WatchItem::Gone) | None => break,
                    },
                }
            }
        }
    });
}

/// Rewrites the Services part of every pod's hosts file that exists.
fn refresh_all(store: &Store, root: &Path) {
    let services = services_of(store);
    let mut pods: BTreeMap<String, String> = BTreeMap::new();
    for object in store.list(Kind::Pod, None, &ListFilter::default()).items {
        if let Some(uid) = object.meta().uid.clone() {
            pods.insert(uid, object.namespace().to_string());
        }
    }
    for (uid, namespace) in pods {
        let path = hosts_path(root, &uid);
        if !path.exists() {
            continue;
        }
        if let Err(error) = refresh(&path, &namespace, &services) {
            tracing::warn!(path = %path.display(), %error, "cannot update a pod's hosts file");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(namespace: &str, name: &str, ip: &str) -> ServiceName {
        ServiceName {
            namespace: namespace.into(),
            name: name.into(),
            cluster_ip: ip.into(),
        }
    }

    #[test]
    fn short_names_only_in_the_pods_namespace_and_rewrites_keep_the_inode() {
        let dir = tempfile::tempdir().expect("tempdir");
        let pod: Pod =
            serde_yaml::from_str("metadata: {name: client, namespace: default, uid: u1}")
                .expect("pod");
        let services = [
            service("default", "web", "10.96.0.6"),
            service("shop", "db", "10.96.0.10"),
        ];
        let mount = prepare(dir.path(), &pod, "10.244.0.7", "client", &services).expect("write");
        assert_eq!(mount.container_path, "/etc/hosts");
        let text = std::fs::read_to_string(&mount.host_path).expect("read");
        assert!(text.contains("10.244.0.7\tclient\n"), "{text}");
        assert!(text.contains(
            "10.96.0.6\tweb web.default web.default.svc web.default.svc.cluster.local\n"
        ));
        assert!(text.contains("10.96.0.10\tdb.shop db.shop.svc db.shop.svc.cluster.local\n"));

        use std::os::unix::fs::MetadataExt;
        let inode = std::fs::metadata(&mount.host_path).expect("meta").ino();
        refresh(&mount.host_path, "default", &services[..1]).expect("refresh");
        let text = std::fs::read_to_string(&mount.host_path).expect("read");
        assert!(text.contains("10.244.0.7\tclient\n"), "{text}");
        assert!(!text.contains("db.shop"), "{text}");
        assert_eq!(
            std::fs::metadata(&mount.host_path).expect("meta").ino(),
            inode
        );
    }

    #[test]
    fn a_headless_services_pods_resolve_by_hostname_and_the_service_at_each() {
        let store = Store::in_memory_with_default_namespace();
        let service: k8s_openapi::api::core::v1::Service = serde_yaml::from_str(
            "metadata: {name: nginx, namespace: default}\nspec: {clusterIP: None, selector: {app: nginx}}",
        )
        .expect("service");
        store.create(service).expect("service");
        let endpoints: Endpoints = serde_yaml::from_str(
            "metadata: {name: nginx, namespace: default}\nsubsets:\n- addresses:\n  - {ip: 10.244.0.5, hostname: web-0}\n  - {ip: 10.244.0.6, hostname: web-1}\n  notReadyAddresses:\n  - {ip: 10.244.0.7, hostname: web-2}\n",
        )
        .expect("endpoints");
        store.create(endpoints).expect("endpoints");
        let names = services_of(&store);
        let lines = services_part("default", &names);
        assert!(lines.contains("10.244.0.5\tweb-0.nginx web-0.nginx.default web-0.nginx.default.svc web-0.nginx.default.svc.cluster.local\n"), "{lines}");
        assert!(lines.contains("10.244.0.6\tnginx nginx.default"), "{lines}");
        assert!(
            !lines.contains("10.244.0.7"),
            "not ready: not resolved\n{lines}"
        );

        let dir = tempfile::tempdir().expect("tempdir");
        let pod: Pod = serde_yaml::from_str(
            "metadata: {name: web-0, namespace: default, uid: u2}\nspec: {hostname: web-0, subdomain: nginx, containers: []}",
        )
        .expect("pod");
        let mount = prepare(dir.path(), &pod, "10.244.0.5", "web-0", &names).expect("write");
        let text = std::fs::read_to_string(&mount.host_path).expect("read");
        assert!(
            text.contains("10.244.0.5\tweb-0.nginx.default.svc.cluster.local\tweb-0\n"),
            "{text}"
        );
    }
}
