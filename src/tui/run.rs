//! `podium` with no subcommand: the console over the embedded cluster, or
//! over another cluster from a kubeconfig (`--context`, `--kubeconfig`).
//! The first frame is drawn before the cluster starts; the event loop then
//! waits on keys, watch changes and task results, and redraws only when
//! something changed, at most every frame interval, inside synchronized
//! updates so a redraw never flickers.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{Event, EventStream, KeyEventKind};
use crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
use futures::StreamExt;
use ratatui::layout::Alignment;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::app::{Action, App};
use super::demo::{self, Player, Story, story};
use super::keymap::Keymap;
use super::shell::{ShellError, session};
use super::terminal::{self, Console};
use super::theme::Theme;
use crate::api::Kind;
use crate::cli::{ClusterArgs, RemoteArgs, StoryArgs};
use crate::cluster::{Cluster, ClusterConfig, RuntimeChoice};
use crate::config;
use crate::handle::kube::{KubeHandle, KubeTarget};
use crate::handle::{ClusterHandle, ReadOnly};

/// Redraws at most this often however fast changes come.
const FRAME: Duration = Duration::from_millis(33);
/// The header's clock.
const CLOCK_TICK: Duration = Duration::from_secs(1);
/// How often a playing story looks whether its wait or caption is over.
const STORY_TICK: Duration = Duration::from_millis(200);

pub async fn run(
    args: ClusterArgs,
    remote: RemoteArgs,
    theme: Option<String>,
) -> anyhow::Result<()> {
    let backend = if remote.is_remote() {
        // Reads the kubeconfig only: a mistake in it is said before the
        // terminal is taken; the network is left to the console.
        let target = KubeTarget {
            kubeconfig: remote.kubeconfig.clone(),
            context: remote.context.clone(),
        };
        Backend::Remote(Arc::new(KubeHandle::open(target).await?))
    } else {
        Backend::Embedded(ClusterConfig::from_args(&args)?)
    };
    console(backend, remote.readonly, theme, None).await
}

/// What the console shows: podium's own cluster, started here, or another
/// one through its kubeconfig.
enum Backend {
    Embedded(ClusterConfig),
    Remote(Arc<dyn ClusterHandle>),
}

/// `podium demo [story]`: the story checked before the terminal is taken,
/// then the console on a fresh cluster with the story playing.
pub async fn demo(args: StoryArgs) -> anyhow::Result<()> {
    if args.list {
        for (name, description) in story::built_in() {
            println!("{name:<12} {description}");
        }
        println!("or give a story file's path; samples/stories/ has examples");
        return Ok(());
    }
    let story = story::load(args.story.as_deref())?;
    let (cluster_config, scratch) = demo_cluster(&args.cluster)?;
    let result = console(
        Backend::Embedded(cluster_config),
        false,
        args.theme,
        Some(story),
    )
    .await;
    if let Some(dir) = scratch {
        // Only certificates and a kubeconfig live there; objects stayed in memory.
        let _ = std::fs::remove_dir_all(dir);
    }
    result
}

/// The demo's cluster: in memory so that every run starts from nothing,
/// on the simulated runtime unless asked otherwise, on a free API port so
/// that it runs next to a `podium` on the default one. Answers the scratch
/// directory to remove afterwards, when it made one.
fn demo_cluster(args: &ClusterArgs) -> anyhow::Result<(ClusterConfig, Option<PathBuf>)> {
    let mut config = ClusterConfig::from_args(args)?;
    config.in_memory = true;
    config.runtime = Some(args.runtime.unwrap_or(RuntimeChoice::Sim));
    if args.listen.port() == crate::cli::DEFAULT_PORT {
        config.listen.set_port(0);
    }
    let scratch = if args.data_dir.is_none() {
        let dir = std::env::temp_dir().join(format!("podium-demo-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        config.data_dir = dir.clone();
        Some(dir)
    } else {
        None
    };
    Ok((config, scratch))
}

async fn console(
    backend: Backend,
    read_only: bool,
    theme: Option<String>,
    story: Option<Story>,
) -> anyhow::Result<()> {
    let (settings, mut warnings) =
        config::settings::load_settings(config::settings::config_dir().as_deref());
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let (theme, theme_warnings) = config::settings::load_theme(
        theme.as_deref().or(settings.theme.as_deref()),
        config::settings::config_dir().as_deref(),
        no_color,
    );
    warnings.extend(theme_warnings);

    let mut console = terminal::enter()?;
    let result = async {
        let (cluster, handle) = match backend {
            Backend::Embedded(mut config) => {
                // `offline: true` in the settings file, as `--offline`.
                config.offline |= settings.offline;
                draw_starting(&mut console, &theme)?;
                let cluster = Cluster::start(config).await?;
                let handle = cluster.handle();
                (Some(cluster), handle)
            }
            Backend::Remote(handle) => (None, handle),
        };
        let handle = if read_only {
            ReadOnly::wrap(handle)
        } else {
            handle
        };
        let (sender, receiver) = mpsc::unbounded_channel();
        let mut app = App::new(handle.clone(), theme, sender);
        app.set_log_capacity(settings.log_buffer_lines);
        let (keymap, key_warnings) = Keymap::from_settings(&settings.keys);
        app.model.keymap = keymap;
        warnings.extend(key_warnings);
        if !warnings.is_empty() {
            app.model.flash_error(warnings.join("; "));
        }
        let player = story.map(|story| Player::new(story, handle));
        event_loop(&mut console, &mut app, player, receiver).await?;
        if let Some(cluster) = cluster {
            cluster.shutdown();
        }
        anyhow::Ok(())
    }
    .await;
    terminal::leave();
    result
}

fn draw_starting(console: &mut Console, theme: &Theme) -> std::io::Result<()> {
    console.draw(|frame| {
        let text = Paragraph::new(vec![
            Line::from(""),
            Line::styled("podium", theme.accent),
            Line::styled("starting the cluster…", theme.muted),
        ])
        .alignment(Alignment::Center);
        frame.render_widget(text, frame.area());
    })?;
    Ok(())
}

async fn event_loop(
    console: &mut Console,
    app: &mut App,
    mut player: Option<Player>,
    mut actions: mpsc::UnboundedReceiver<Action>,
) -> anyhow::Result<()> {
    // Dropped while a shell has the terminal, so it reads no keys then.
    let mut keys = Some(EventStream::new());
    let mut shell: Option<JoinHandle<Result<i32, ShellError>>> = None;
    let mut changes = app.handle().changes(&followed_kinds(app.model.kind));
    // Which handle and table kind `changes` follows; `:ctx` replaces the
    // app's handle, `:` the kind.
    let mut following = (app.handle_generation(), app.model.kind);
    let mut frame = tokio::time::interval(FRAME);
    frame.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut clock = tokio::time::interval(CLOCK_TICK);
    let mut story_tick = tokio::time::interval(STORY_TICK);
    let mut dirty = true;
    // The kinds changed since the last frame.
    let mut stale: Vec<Kind> = Vec::new();
    loop {
        tokio::select! {
            event = next_event(&mut keys) => match event {
                Some(Ok(Event::Key(key))) if key.kind != KeyEventKind::Release => {
                    let taken = player.as_mut().is_some_and(|p| p.on_key(&key, app));
                    if !taken {
                        app.on_key(key);
                    }
                    dirty = true;
                }
                Some(Ok(Event::Mouse(mouse))) => {
                    app.on_mouse(mouse);
                    dirty = true;
                }
                Some(Ok(Event::Resize(..))) => dirty = true,
                Some(Ok(_)) => {}
                Some(Err(error)) => return Err(error.into()),
                None => return Ok(()),
            },
            Some(kind) = changes.next() => {
                if !stale.contains(&kind) {
                    stale.push(kind);
                }
            }
            Some(action) = actions.recv() => {
                if let Some(player) = player.as_mut() {
                    player.on_action(&action);
                }
                app.on_action(action);
                dirty = true;
            }
            ended = finished(&mut shell) => {
                shell = None;
                terminal::resume(console)?;
                keys = Some(EventStream::new());
                let ended = match ended {
                    Ok(result) => result.map_err(|error| error.to_string()),
                    Err(error) => Err(format!("the shell session failed: {error}")),
                };
                app.on_action(Action::ShellEnded(ended));
                dirty = true;
            }
            _ = clock.tick() => dirty = true,
            _ = story_tick.tick(), if player.is_some() => {}
            _ = frame.tick(), if (dirty || !stale.is_empty()) && shell.is_none() => {
                // Watch changes are coalesced: one refresh per frame.
                if !stale.is_empty() {
                    app.refresh_changed(&stale);
                    stale.clear();
                }
                draw(console, app, player.as_ref())?;
                dirty = false;
            }
        }
        if let Some(player) = player.as_mut()
            && player.tick(app)
        {
            dirty = true;
        }
        if following != (app.handle_generation(), app.model.kind) {
            let same_handle = following.0 == app.handle_generation();
            following = (app.handle_generation(), app.model.kind);
            changes = app.handle().changes(&followed_kinds(app.model.kind));
            if !same_handle {
                stale.clear();
            }
            dirty = true;
        }
        if app.model.quit {
            return Ok(());
        }
        if shell.is_none()
            && let Some(request) = app.take_shell()
        {
            keys = None;
            terminal::suspend(console)?;
            let handle = app.handle();
            shell = Some(tokio::spawn(async move {
                session::run(handle.as_ref(), &request).await
            }));
        }
    }
}

/// The kinds whose changes redraw the console: those the panes and the
/// header read, and the table's own.
fn followed_kinds(table: Kind) -> Vec<Kind> {
    let mut kinds = Kind::TYPED.to_vec();
    if !kinds.contains(&table) {
        kinds.push(table);
    }
    kinds
}

/// The next terminal event; never, while the keys are paused.
async fn next_event(keys: &mut Option<EventStream>) -> Option<std::io::Result<Event>> {
    match keys {
        Some(keys) => keys.next().await,
        None => std::future::pending().await,
    }
}

/// The shell's end; never, while none runs.
async fn finished(
    shell: &mut Option<JoinHandle<Result<i32, ShellError>>>,
) -> Result<Result<i32, ShellError>, tokio::task::JoinError> {
    match shell {
        Some(task) => task.await,
        None => std::future::pending().await,
    }
}

fn draw(console: &mut Console, app: &mut App, player: Option<&Player>) -> std::io::Result<()> {
    crossterm::queue!(console.backend_mut(), BeginSynchronizedUpdate)?;
    console.draw(|frame| {
        app.draw(frame);
        if let Some(player) = player {
            demo::draw::draw(player, app, frame, &app.theme);
        }
    })?;
    crossterm::queue!(console.backend_mut(), EndSynchronizedUpdate)?;
    console.backend_mut().flush()
}
