//! `podium` with no subcommand: the console over the embedded cluster.
//! The first frame is drawn before the cluster starts; the event loop then
//! waits on keys, watch changes and task results, and redraws only when
//! something changed, at most every frame interval, inside synchronized
//! updates so a redraw never flickers.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{Event, EventStream, KeyEventKind};
use crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
use futures::StreamExt;
use ratatui::layout::Alignment;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;
use tokio::sync::mpsc;

use super::app::{Action, App};
use super::terminal::{self, Console};
use super::theme::Theme;
use crate::api::Kind;
use crate::cli::ClusterArgs;
use crate::cluster::{Cluster, ClusterConfig};
use crate::config;
use crate::handle::ClusterHandle;

/// Redraws at most this often however fast changes come.
const FRAME: Duration = Duration::from_millis(33);
/// The header's clock.
const CLOCK_TICK: Duration = Duration::from_secs(1);

pub async fn run(args: ClusterArgs, theme: Option<String>) -> anyhow::Result<()> {
    let cluster_config = ClusterConfig::from_args(&args)?;
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
        draw_starting(&mut console, &theme)?;
        let cluster = Cluster::start(cluster_config).await?;
        let (sender, receiver) = mpsc::unbounded_channel();
        let mut app = App::new(cluster.handle(), theme, sender);
        app.set_log_capacity(settings.log_buffer_lines);
        if !warnings.is_empty() {
            app.model.flash_error(warnings.join("; "));
        }
        event_loop(&mut console, &mut app, cluster.handle(), receiver).await?;
        cluster.shutdown();
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
    handle: Arc<dyn ClusterHandle>,
    mut actions: mpsc::UnboundedReceiver<Action>,
) -> anyhow::Result<()> {
    let mut keys = EventStream::new();
    let mut changes = handle.changes(&Kind::ALL);
    let mut frame = tokio::time::interval(FRAME);
    frame.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut clock = tokio::time::interval(CLOCK_TICK);
    let mut dirty = true;
    // The kinds changed since the last frame.
    let mut stale: Vec<Kind> = Vec::new();
    loop {
        tokio::select! {
            event = keys.next() => match event {
                Some(Ok(Event::Key(key))) if key.kind != KeyEventKind::Release => {
                    app.on_key(key);
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
                app.on_action(action);
                dirty = true;
            }
            _ = clock.tick() => dirty = true,
            _ = frame.tick(), if dirty || !stale.is_empty() => {
                // Watch changes are coalesced: one refresh per frame.
                if !stale.is_empty() {
                    app.refresh_changed(&stale);
                    stale.clear();
                }
                draw(console, app)?;
                dirty = false;
            }
        }
        if app.model.quit {
            return Ok(());
        }
    }
}

fn draw(console: &mut Console, app: &mut App) -> std::io::Result<()> {
    crossterm::queue!(console.backend_mut(), BeginSynchronizedUpdate)?;
    console.draw(|frame| app.draw(frame))?;
    crossterm::queue!(console.backend_mut(), EndSynchronizedUpdate)?;
    console.backend_mut().flush()
}
