//! The `podium` binary: parses arguments, sets up logging, and hands over
//! to the library. No logic lives here.

use std::process::ExitCode;

use clap::Parser;
use podium::cli::{Cli, Command};

/// mimalloc rather than glibc's malloc: a 10k-pod rollout takes about a
/// sixth less CPU (glibc's arenas spend it growing and consolidating).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let result = match cli.command {
        Some(Command::Serve(args)) => run_async(podium::cluster::serve(args, false)),
        Some(Command::Reset(args)) => run_async(podium::reset::reset(&args)),
        Some(Command::Images(command)) => run_async(podium::images::run(command)),
        // The console arrives with its own issue; until then `podium` serves
        // the control plane headless and says so.
        None => run_async(podium::cluster::serve(cli.cluster, true)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("podium: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run_async(future: impl Future<Output = anyhow::Result<()>>) -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(future)
}

/// Logs go to stderr, filtered by PODIUM_LOG (e.g. `info`, `podium=debug`).
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("PODIUM_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
