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
    // While the console owns the terminal, podium's own logs go to a file.
    let _log_guard = match cli.command {
        None => init_file_logging(cli.cluster.data_dir.as_deref()),
        Some(Command::Demo(ref args)) if !args.list => {
            init_file_logging(args.cluster.data_dir.as_deref())
        }
        Some(Command::Serve(ref args)) => init_serve_logging(args.data_dir.as_deref()),
        Some(_) => {
            init_logging();
            None
        }
    };
    let result = match cli.command {
        Some(Command::Serve(args)) => run_async(podium::cluster::serve(args)),
        Some(Command::Reset(args)) => run_async(podium::reset::reset(&args)),
        Some(Command::Images(command)) => run_async(podium::images::run(command)),
        Some(Command::Demo(args)) => run_async(podium::tui::run::demo(args)),
        None => run_async(podium::tui::run::run(cli.cluster, cli.remote, cli.theme)),
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

/// Logs to a daily rolling file under the data directory's logs/, filtered
/// by PODIUM_LOG (default info). The guard flushes the file on exit.
fn init_file_logging(
    data_dir: Option<&std::path::Path>,
) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let (writer, guard) = log_file(data_dir)?;
    tracing_subscriber::fmt()
        .with_env_filter(file_filter())
        .with_writer(writer)
        .with_ansi(false)
        .init();
    Some(guard)
}

/// `podium serve`: stderr as for every command, and the same log file as the
/// console, so the API's access log is on disk.
fn init_serve_logging(
    data_dir: Option<&std::path::Path>,
) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    use tracing_subscriber::Layer;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let stderr = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_filter(
            tracing_subscriber::EnvFilter::try_from_env("PODIUM_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        );
    let Some((writer, guard)) = log_file(data_dir) else {
        tracing_subscriber::registry().with(stderr).init();
        return None;
    };
    let file = tracing_subscriber::fmt::layer()
        .with_writer(writer)
        .with_ansi(false)
        .with_filter(file_filter());
    tracing_subscriber::registry()
        .with(stderr)
        .with(file)
        .init();
    Some(guard)
}

/// Daily log files kept.
const LOG_DAYS_KEPT: usize = 7;

fn log_file(
    data_dir: Option<&std::path::Path>,
) -> Option<(
    tracing_appender::non_blocking::NonBlocking,
    tracing_appender::non_blocking::WorkerGuard,
)> {
    let dir = podium::config::data_dir(data_dir)
        .ok()?
        .join(podium::config::LOG_DIR);
    std::fs::create_dir_all(&dir).ok()?;
    // A file a day (podium.log.YYYY-MM-DD), the last week kept: the access
    // log has a line per request, and a long-lived `podium serve` should
    // not fill the disk.
    let appender = tracing_appender::rolling::RollingFileAppender::builder()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("podium.log")
        .max_log_files(LOG_DAYS_KEPT)
        .build(dir)
        .ok()?;
    Some(tracing_appender::non_blocking(appender))
}

/// PODIUM_LOG (default info), with the API's access log kept on unless
/// PODIUM_LOG names it: what reached the API stays on record.
fn file_filter() -> tracing_subscriber::EnvFilter {
    let spec = std::env::var("PODIUM_LOG").unwrap_or_default();
    let filter = tracing_subscriber::EnvFilter::try_new(&spec)
        .ok()
        .filter(|_| !spec.trim().is_empty())
        .unwrap_or_else(|| tracing_subscriber::EnvFilter::new("info"));
    if spec.contains(podium::apiserver::access::TARGET) {
        return filter;
    }
    match format!("{}=info", podium::apiserver::access::TARGET).parse() {
        Ok(directive) => filter.add_directive(directive),
        Err(_) => filter,
    }
}
