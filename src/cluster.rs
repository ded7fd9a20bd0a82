//! Wiring: starts the store, controllers, scheduler, kubelets and API server
//! under one cancellation token, and hands a handle to the caller.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{Namespace, NamespaceSpec, NamespaceStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use tokio_util::sync::CancellationToken;

use crate::api::Kind;
use crate::config::{self, ConfigError, DataDirLock};
use crate::handle::embedded::EmbeddedHandle;
use crate::handle::{ClusterHandle, ClusterInfo};
use crate::store::{AtRest, SecretsKey, Store, StoreError};
use crate::{apiserver, controllers, kubelet, net, scheduler};

/// Which container runtime runs the pods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RuntimeChoice {
    Docker,
    Sim,
}

/// Knobs of the simulated runtime.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// Scales the default pull/create/start latencies; 0 makes them instant.
    pub latency_factor: f64,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            latency_factor: 1.0,
        }
    }
}

/// Everything needed to start a cluster.
#[derive(Debug, Clone)]
pub struct ClusterConfig {
    /// Where the store, certificates and kubeconfig live.
    pub data_dir: PathBuf,
    /// Keep objects in memory only (benchmarks); certificates still go to `data_dir`.
    pub in_memory: bool,
    /// The API server's address; port 0 picks a free one.
    pub listen: SocketAddr,
    /// `None`: Docker when the engine answers, else the simulated runtime.
    pub runtime: Option<RuntimeChoice>,
    pub sim: SimOptions,
    /// Number of nodes (virtual nodes on one machine).
    pub nodes: usize,
    /// Pods each node takes.
    pub max_pods: u32,
    /// Where Services' NodePorts and the Ingress router listen.
    pub net: net::NetConfig,
    /// Seal Secrets in the store's files with the data directory's key.
    pub encrypt_secrets: bool,
    /// Never pull images (`--offline`, or `offline: true` in the settings
    /// file): the kubelets use what the Docker engine has.
    pub offline: bool,
}

impl ClusterConfig {
    /// A throwaway cluster for tests and benchmarks: objects in memory, the
    /// API and the Ingress router on free loopback ports, the simulated
    /// runtime without its delays, one node of 110 pods.
    pub fn sim_in_memory(data_dir: &std::path::Path) -> ClusterConfig {
        let free_loopback_port = SocketAddr::from(([127, 0, 0, 1], 0));
        ClusterConfig {
            data_dir: data_dir.to_path_buf(),
            in_memory: true,
            listen: free_loopback_port,
            runtime: Some(RuntimeChoice::Sim),
            sim: SimOptions {
                latency_factor: 0.0,
            },
            nodes: 1,
            max_pods: 110,
            net: net::NetConfig {
                ingress_listen: free_loopback_port,
                ..Default::default()
            },
            encrypt_secrets: false,
            offline: false,
        }
    }

    /// The cluster `podium` and `podium serve` start from their flags.
    pub fn from_args(args: &crate::cli::ClusterArgs) -> Result<ClusterConfig, ConfigError> {
        Ok(ClusterConfig {
            data_dir: config::data_dir(args.data_dir.as_deref())?,
            in_memory: false,
            listen: args.listen,
            runtime: args.runtime,
            sim: SimOptions {
                latency_factor: args.sim_latency,
            },
            nodes: usize::from(args.nodes),
            max_pods: args.max_pods,
            net: net::NetConfig {
                node_port_address: args.node_port_address,
                ingress_listen: args.ingress_listen,
            },
            encrypt_secrets: args.encrypt_secrets,
            offline: args.offline,
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    ApiServer(#[from] apiserver::ApiServerError),
    #[error(transparent)]
    Docker(#[from] kubelet::docker::DockerError),
    #[error(transparent)]
    Net(#[from] net::NetError),
    #[error(transparent)]
    KubernetesService(#[from] apiserver::kubernetes_service::KubernetesServiceError),
    #[error(
        "{nodes} nodes of {max_pods} pods do not fit in the pod network 10.244.0.0/16 (at most {fit} nodes of that size); use fewer --nodes or a smaller --max-pods"
    )]
    PodNetworkTooSmall {
        nodes: usize,
        max_pods: u32,
        fit: u32,
    },
}

/// A running cluster.
pub struct Cluster {
    pub store: Store,
    pub api_addr: SocketAddr,
    pub kubeconfig: PathBuf,
    /// Where the Ingress router answers.
    pub ingress_addr: SocketAddr,
    /// What runs the pods, e.g. `docker://20.10.24` or `sim://0.1`.
    pub runtime: String,
    /// Said once at start: e.g. that Docker was not there and the
    /// simulated runtime runs the pods instead.
    pub warnings: Vec<String>,
    /// Nothing is pulled (`--offline`); the console's header says so.
    pub offline: bool,
    api_state: Arc<apiserver::ServerState>,
    cancel: CancellationToken,
    _lock: DataDirLock,
}

/// How the store keeps Secrets: sealed with the data directory's key
/// (made on first use) under `--encrypt-secrets`, else in clear.
fn secrets_at_rest(config: &ClusterConfig) -> Result<AtRest, StoreError> {
    let key_file = config.data_dir.join(crate::store::KEY_FILE);
    let key = if config.encrypt_secrets {
        Some(SecretsKey::load_or_create(&key_file)?)
    } else {
        None
    };
    Ok(AtRest { key_file, key })
}

/// Namespaces every cluster has.
const SYSTEM_NAMESPACES: [&str; 4] = ["default", "kube-system", "kube-public", "kube-node-lease"];

impl Cluster {
    pub async fn start(config: ClusterConfig) -> Result<Cluster, ClusterError> {
        let fit = kubelet::ipam::max_nodes(config.max_pods);
        if config.nodes > fit as usize {
            return Err(ClusterError::PodNetworkTooSmall {
                nodes: config.nodes,
                max_pods: config.max_pods,
                fit,
            });
        }
        let lock = config::lock_data_dir(&config.data_dir)?;
        if let Some(line) = &lock.tightened {
            // Before the console takes the screen, so it stays readable
            // after; the log keeps it too.
            eprintln!("podium: {line}");
            // At info: the log file keeps it, stderr (warn) does not say it twice.
            tracing::info!("{line}");
        }
        let store = if config.in_memory {
            Store::in_memory()
        } else {
            Store::open_with(
                &config.data_dir.join(config::STORE_DIR),
                &secrets_at_rest(&config)?,
            )?
        };
        bootstrap_namespaces(&store)?;
        let cluster_id = config::cluster_id(&config.data_dir)?;
        let (runtime, warnings) = choose_runtime(&config, &cluster_id).await?;
        let runtime_version = format!("{}://{}", runtime.name(), runtime.version());
        // Docker mounts volumes from the host; the sim mounts nothing.
        let volumes_dir =
            (runtime.name() == "docker").then(|| config.data_dir.join(config::PODS_DIR));

        let cancel = CancellationToken::new();
        // The CA the API server's certificate chains to, for each
        // namespace's kube-root-ca.crt (the server loads the same files).
        let pki = config.data_dir.join(config::PKI_DIR);
        let credentials =
            apiserver::tls::load_or_create(&pki).map_err(apiserver::ApiServerError::from)?;
        // Pods reach the API server at its Service, which its certificate names.
        let api_service_ip = apiserver::kubernetes_service::ensure_service(&store)?;
        apiserver::tls::ensure_server_names(
            &pki,
            &apiserver::kubernetes_service::server_names(&api_service_ip),
        )
        .map_err(apiserver::ApiServerError::from)?;
        let settings = controllers::Settings {
            root_ca: Some(credentials.ca_pem),
            persistent_volumes_dir: Some(config.data_dir.join(config::VOLUMES_DIR)),
        };
        controllers::start_with(store.clone(), settings, cancel.child_token());
        // The kubelets sign the tokens of pods' projected volumes with the
        // API server's key.
        let tokens = crate::tokens::Tokens::load_or_create(&config.data_dir.join(config::PKI_DIR))
            .map_err(apiserver::ApiServerError::from)?;
        scheduler::start(store.clone(), cancel.child_token());
        // One runtime serves every node, as one Docker engine does; each
        // kubelet only touches containers labelled with its node.
        let logs = Arc::new(kubelet::NodeLogs::new(store.clone()));
        for index in 0..config.nodes.clamp(1, usize::from(u8::MAX) + 1) {
            let mut node = kubelet::NodeConfig::new(&node_name(index), index as u8);
            node.pods = config.max_pods;
            node.volumes_dir = volumes_dir.clone();
            node.tokens = Some(tokens.clone());
            // The simulated runtime's pulls leave nothing: offline changes
            // only what a real engine would fetch.
            node.offline = config.offline && runtime.name() == "docker";
            logs.add_node(&node.name, runtime.clone());
            kubelet::Kubelet::start(store.clone(), runtime.clone(), node, cancel.child_token());
        }
        if let Some(root) = &volumes_dir {
            kubelet::hosts::spawn(store.clone(), root.clone(), cancel.child_token());
        }
        let traffic = net::start(
            store.clone(),
            logs.clone(),
            config.net.clone(),
            cancel.child_token(),
        )
        .await?;
        controllers::traffic_status::spawn(store.clone(), traffic.reports, cancel.child_token());
        let mut warnings = warnings;
        warnings.extend(traffic.warnings);
        let api = apiserver::start(
            store.clone(),
            logs,
            apiserver::ApiServerConfig {
                listen: config.listen,
                data_dir: config.data_dir.clone(),
            },
            cancel.child_token(),
        )
        .await?;
        apiserver::kubernetes_service::publish(&store, api.addr)?;
        Ok(Cluster {
            store,
            api_addr: api.addr,
            kubeconfig: api.kubeconfig,
            ingress_addr: traffic.ingress_addr,
            runtime: runtime_version,
            warnings,
            offline: config.offline,
            api_state: api.state,
            cancel,
            _lock: lock,
        })
    }

    /// The API server's shared state, for in-process requests
    /// ([`apiserver::serve_local`]) from benchmarks and tools.
    pub fn api_state(&self) -> Arc<apiserver::ServerState> {
        self.api_state.clone()
    }

    /// The console's way in: reads from the store, writes through the API
    /// server's request path.
    pub fn handle(&self) -> Arc<dyn ClusterHandle> {
        Arc::new(EmbeddedHandle::new(
            self.store.clone(),
            self.api_state.clone(),
            ClusterInfo {
                name: "podium".to_string(),
                runtime: self.runtime.clone(),
                server: format!("https://{}", self.api_addr),
                warnings: self.warnings.clone(),
                namespace: "default".to_string(),
                read_only: false,
                offline: self.offline,
            },
        ))
    }

    /// Stops every component.
    pub fn shutdown(&self) {
        self.cancel.cancel();
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// The runtime asked for; without a choice, Docker when its engine
/// answers and otherwise the simulated runtime, with a warning that says
/// why and how to fix it.
async fn choose_runtime(
    config: &ClusterConfig,
    cluster_id: &str,
) -> Result<(Arc<dyn kubelet::Runtime>, Vec<String>), ClusterError> {
    let sim =
        || Arc::new(kubelet::SimRuntime::new(config.sim.clone())) as Arc<dyn kubelet::Runtime>;
    let options = || kubelet::docker::DockerOptions {
        cluster_id: cluster_id.to_string(),
    };
    match config.runtime {
        Some(RuntimeChoice::Sim) => Ok((sim(), Vec::new())),
        Some(RuntimeChoice::Docker) => {
            let docker = kubelet::docker::DockerRuntime::connect(options()).await?;
            Ok((Arc::new(docker), Vec::new()))
        }
        None => match kubelet::docker::DockerRuntime::connect(options()).await {
            Ok(docker) => Ok((Arc::new(docker), Vec::new())),
            Err(error) => Ok((
                sim(),
                vec![format!(
                    "{error}\npodium: running pods on the simulated runtime instead"
                )],
            )),
        },
    }
}

/// Node names as minikube gives them: `podium`, `podium-m02`, `podium-m03` …
pub fn node_name(index: usize) -> String {
    match index {
        0 => "podium".to_string(),
        n => format!("podium-m{:02}", n + 1),
    }
}

fn bootstrap_namespaces(store: &Store) -> Result<(), StoreError> {
    for name in SYSTEM_NAMESPACES {
        if store.get(Kind::Namespace, "", name).is_some() {
            continue;
        }
        let namespace = Namespace {
            metadata: ObjectMeta {
                name: Some(name.to_string()),
                labels: Some(
                    [("kubernetes.io/metadata.name".to_string(), name.to_string())].into(),
                ),
                ..ObjectMeta::default()
            },
            spec: Some(NamespaceSpec {
                finalizers: Some(vec!["kubernetes".to_string()]),
            }),
            status: Some(NamespaceStatus {
                phase: Some("Active".to_string()),
                ..NamespaceStatus::default()
            }),
        };
        match store.create(namespace) {
            Ok(_) | Err(StoreError::AlreadyExists { .. }) => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

/// `podium serve`: runs the control plane headless until Ctrl-C or SIGTERM.
pub async fn serve(args: crate::cli::ClusterArgs) -> anyhow::Result<()> {
    let mut config = ClusterConfig::from_args(&args)?;
    // The settings file's `offline: true` counts here too; its other
    // settings are the console's.
    let (settings, settings_warnings) =
        config::settings::load_settings(config::settings::config_dir().as_deref());
    config.offline |= settings.offline;
    for warning in &settings_warnings {
        eprintln!("podium: {warning}");
    }
    let cluster = Cluster::start(config).await?;
    for warning in &cluster.warnings {
        eprintln!("podium: {warning}");
    }
    let kubeconfig = cluster.kubeconfig.display();
    println!(
        "podium: API serving at https://{}, kubeconfig at {kubeconfig} (export KUBECONFIG={kubeconfig})",
        cluster.api_addr
    );
    wait_for_shutdown_signal().await;
    cluster.shutdown();
    Ok(())
}

async fn wait_for_shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
