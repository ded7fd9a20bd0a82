//! Command-line parsing. `podium` alone starts the console; `podium serve`
//! runs the control plane headless; `podium reset` wipes podium's state.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::cluster::RuntimeChoice;

/// The API server's port when `--listen` is not given.
pub const DEFAULT_PORT: u16 = 7443;

#[derive(Debug, Parser)]
#[command(
    name = "podium",
    version,
    about = "A terminal console with a Kubernetes-compatible control plane inside; pods run as Docker containers",
    after_help = "Run `podium serve` for the control plane alone; kubectl works against it with the kubeconfig it prints."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub cluster: ClusterArgs,

    #[command(flatten)]
    pub remote: RemoteArgs,

    /// The console's theme: dark, light, high-contrast, dracula, or a file
    /// `themes/NAME.yaml` in the config directory [default: the settings file's, else dark].
    #[arg(long)]
    pub theme: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the control plane without the console and print where kubectl finds it.
    Serve(ClusterArgs),
    /// Wipe podium's state (objects, certificates, kubeconfig) in the data directory.
    Reset(ResetArgs),
    /// Local images for tests and offline demos, without a registry.
    #[command(subcommand)]
    Images(ImagesCommand),
    /// Play a scripted story in the console with captions, on a fresh cluster (space pauses, → next step, q quits).
    Demo(StoryArgs),
}

#[derive(Debug, Clone, Args)]
pub struct StoryArgs {
    /// A built-in story's name (see --list) or a story file's path [default: rollout].
    pub story: Option<String>,

    /// List the built-in stories and exit.
    #[arg(long)]
    pub list: bool,

    /// The console's theme, as for `podium --theme`.
    #[arg(long)]
    pub theme: Option<String>,

    /// The demo's cluster: the simulated runtime unless `--runtime docker`;
    /// objects stay in memory, so every run starts from nothing.
    #[command(flatten)]
    pub cluster: ClusterArgs,
}

#[derive(Debug, Subcommand)]
pub enum ImagesCommand {
    /// Build podium/echo:1.0 and podium/echo:2.0 (the echo workload, plus busybox when the host has a static one) and import them into the local Docker engine.
    Demo(DemoArgs),
}

#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// A statically linked echo workload to put into the images [default: build it with cargo from podium's source tree].
    #[arg(long)]
    pub binary: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct ClusterArgs {
    /// Container runtime for pods: `docker` (the local engine) or `sim` (simulated, offline).
    #[arg(long, value_enum)]
    pub runtime: Option<RuntimeChoice>,

    /// Where podium keeps its state [default: the platform data directory; env PODIUM_DATA_DIR].
    #[arg(long, env = "PODIUM_DATA_DIR")]
    pub data_dir: Option<PathBuf>,

    /// Address of the API server; 127.0.0.1:0 picks a free port.
    #[arg(long, default_value_t = SocketAddr::from(([127, 0, 0, 1], DEFAULT_PORT)))]
    pub listen: SocketAddr,

    /// Scales the simulated runtime's pull/create/start latencies (1 = like Docker on a laptop, 0 = instant).
    #[arg(long, default_value_t = 1.0, value_parser = parse_latency)]
    pub sim_latency: f64,

    /// Number of nodes (virtual nodes on this machine).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub nodes: u16,

    /// Pods each node takes, as the kubelet's --max-pods.
    #[arg(long, default_value_t = 110, value_parser = clap::value_parser!(u32).range(1..=65_000))]
    pub max_pods: u32,

    /// Address Services' NodePorts bind to; 0.0.0.0 opens them to the network.
    #[arg(long, default_value_t = crate::net::NetConfig::default().node_port_address)]
    pub node_port_address: std::net::IpAddr,

    /// Address of the Ingress router; 127.0.0.1:0 picks a free port (taken: a free one is used).
    #[arg(long, default_value_t = crate::net::DEFAULT_INGRESS_LISTEN)]
    pub ingress_listen: SocketAddr,

    /// Encrypt Secrets in the store's files (XSalsa20-Poly1305, as the
    /// `secretbox` provider) with the key in `<data dir>/encryption-key`,
    /// made on first use; keep that file safe and backed up.
    #[arg(long)]
    pub encrypt_secrets: bool,

    /// Never pull (no registry needed): pods use the images on the machine
    /// whatever their imagePullPolicy, and a missing one fails with
    /// ErrImagePull (`docker load` or `podium images demo` puts it there);
    /// also `offline: true` in the settings file.
    #[arg(long)]
    pub offline: bool,
}

/// The console on another cluster, from a kubeconfig, instead of podium's own.
#[derive(Debug, Clone, Default, Args)]
pub struct RemoteArgs {
    /// Open the console on a cluster from this kubeconfig instead of starting
    /// podium's own [default with --context: KUBECONFIG, else ~/.kube/config].
    #[arg(long)]
    pub kubeconfig: Option<PathBuf>,

    /// The kubeconfig context to open (another cluster; `:ctx` switches later).
    #[arg(long)]
    pub context: Option<String>,

    /// Refuse every change (apply, edit, scale, delete, shell, port-forward)
    /// with a message; nothing that writes reaches the cluster.
    #[arg(long)]
    pub readonly: bool,
}

impl RemoteArgs {
    /// Whether the console opens another cluster rather than podium's own.
    pub fn is_remote(&self) -> bool {
        self.kubeconfig.is_some() || self.context.is_some()
    }
}

#[derive(Debug, Clone, Args)]
pub struct ResetArgs {
    /// The data directory to wipe [default: the platform data directory; env PODIUM_DATA_DIR].
    #[arg(long, env = "PODIUM_DATA_DIR")]
    pub data_dir: Option<PathBuf>,

    /// Do not ask for confirmation.
    #[arg(long, short)]
    pub yes: bool,
}

fn parse_latency(text: &str) -> Result<f64, String> {
    let factor: f64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number; use e.g. 0, 0.5 or 1"))?;
    if !(0.0..=100.0).contains(&factor) {
        return Err(format!(
            "{factor} is out of range; use a factor from 0 to 100"
        ));
    }
    Ok(factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serve_flags_parse() {
        let cli = Cli::try_parse_from([
            "podium",
            "serve",
            "--runtime",
            "sim",
            "--listen",
            "127.0.0.1:0",
            "--sim-latency",
            "0",
            "--nodes",
            "3",
        ])
        .expect("parses");
        let Some(Command::Serve(args)) = cli.command else {
            panic!("serve expected");
        };
        assert_eq!(args.runtime, Some(RuntimeChoice::Sim));
        assert_eq!(args.listen.port(), 0);
        assert_eq!(args.sim_latency, 0.0);
        assert_eq!(args.nodes, 3);
        assert!(!args.encrypt_secrets);
    }

    #[test]
    fn encrypt_secrets_is_taken_by_serve_and_the_console() {
        let cli = Cli::try_parse_from(["podium", "serve", "--encrypt-secrets"]).expect("parses");
        let Some(Command::Serve(args)) = cli.command else {
            panic!("serve expected");
        };
        assert!(args.encrypt_secrets);
        let cli = Cli::try_parse_from(["podium", "--encrypt-secrets"]).expect("parses");
        assert!(cli.cluster.encrypt_secrets);
    }

    #[test]
    fn offline_is_taken_by_serve_the_console_and_demo() {
        let cli = Cli::try_parse_from(["podium", "serve"]).expect("parses");
        let Some(Command::Serve(args)) = cli.command else {
            panic!("serve expected");
        };
        assert!(!args.offline, "pulls are on by default");
        let cli = Cli::try_parse_from(["podium", "serve", "--offline"]).expect("parses");
        let Some(Command::Serve(args)) = cli.command else {
            panic!("serve expected");
        };
        assert!(args.offline);
        let cli = Cli::try_parse_from(["podium", "--offline"]).expect("parses");
        assert!(cli.cluster.offline);
        let cli = Cli::try_parse_from(["podium", "demo", "--runtime", "docker", "--offline"])
            .expect("parses");
        let Some(Command::Demo(args)) = cli.command else {
            panic!("demo expected");
        };
        assert!(args.cluster.offline);
    }

    #[test]
    fn bad_latency_says_what_to_use() {
        let error = Cli::try_parse_from(["podium", "serve", "--sim-latency", "fast"])
            .expect_err("rejected");
        assert!(error.to_string().contains("use e.g. 0, 0.5 or 1"));
    }

    #[test]
    fn images_demo_takes_a_binary() {
        let cli = Cli::try_parse_from(["podium", "images", "demo", "--binary", "/tmp/echo"])
            .expect("parses");
        let Some(Command::Images(ImagesCommand::Demo(args))) = cli.command else {
            panic!("images demo expected");
        };
        assert_eq!(args.binary, Some(PathBuf::from("/tmp/echo")));
    }

    #[test]
    fn demo_takes_a_story_and_cluster_flags() {
        let cli =
            Cli::try_parse_from(["podium", "demo", "stories/mine.yaml", "--runtime", "docker"])
                .expect("parses");
        let Some(Command::Demo(args)) = cli.command else {
            panic!("demo expected");
        };
        assert_eq!(args.story.as_deref(), Some("stories/mine.yaml"));
        assert_eq!(args.cluster.runtime, Some(RuntimeChoice::Docker));
        assert!(!args.list);
        let cli = Cli::try_parse_from(["podium", "demo", "--list"]).expect("parses");
        assert!(matches!(
            cli.command,
            Some(Command::Demo(StoryArgs { list: true, .. }))
        ));
    }

    #[test]
    fn default_port_is_documented_one() {
        let cli = Cli::try_parse_from(["podium"]).expect("parses");
        assert_eq!(cli.cluster.listen.port(), DEFAULT_PORT);
    }
}
