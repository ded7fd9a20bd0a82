//! Whole screens as snapshots (volatile parts — ages, the clock, the API
//! port, generated names — redacted), and the colours snapshots miss.

use crossterm::event::KeyCode;
use podium::tui::theme::Theme;
use ratatui::style::Color;
use regex::Regex;

use crate::harness::{Console, rows_starting, rows_with, sample};

/// Replaces what changes from run to run.
pub fn redact(screen: &str) -> String {
    let rules = [
        (r"\d{2}:\d{2}:\d{2}", "HH:MM:SS"),
        (r"127\.0\.0\.1:\d+", "127.0.0.1:PORT"),
        (
            r"nginx-dep-[a-z0-9]{6,10}-[a-z0-9]{5}",
            "nginx-dep-HASH-XXXXX",
        ),
        (r"nginx-dep-[a-z0-9]{6,10}\b", "nginx-dep-HASH"),
        (r"\b\d+(ms|s|m|h|d)\b", "AGE"),
    ];
    let mut text = screen.to_string();
    for (pattern, replacement) in rules {
        let regex = Regex::new(pattern).expect("pattern");
        text = regex.replace_all(&text, replacement).into_owned();
    }
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pods_and_deployments_views() {
    let mut console = Console::start().await;
    console.key(KeyCode::Char('a'));
    console.answer(&sample("nginx.yaml"));
    let screen = console
        .wait_until("five ready pods", |s| {
            rows_starting(s, "nginx-dep-") == 5
                && s.contains("pods ready 5/5")
                && rows_with(s, "nginx-dep-", " 1/1 ") == 5
        })
        .await;
    // The events pane is live and its order follows timing; the table and
    // header are what the snapshot holds.
    let table: String = screen.lines().take(12).collect::<Vec<_>>().join("\n");
    insta::assert_snapshot!("pods_view", redact(&table));
    console.command("deploy");
    // The Deployment's status follows its pods' by a moment.
    let screen = console
        .wait_until("the deployment counts five ready", |s| {
            rows_with(s, "nginx-dep", " 5/5 ") == 1
        })
        .await;
    let table: String = screen.lines().take(6).collect::<Vec<_>>().join("\n");
    insta::assert_snapshot!("deployments_view", redact(&table));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_help_screen() {
    let mut console = Console::start().await;
    console
        .wait_until("the node registered", |s| s.contains("nodes 1/1"))
        .await;
    console.key(KeyCode::Char('?'));
    insta::assert_snapshot!("help", redact(&console.screen()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_header_says_when_nothing_is_pulled() {
    let mut console = Console::start_offline().await;
    let screen = console
        .wait_until("the node registered", |s| s.contains("nodes 1/1"))
        .await;
    let header: String = screen.lines().take(2).collect::<Vec<_>>().join("\n");
    insta::assert_snapshot!("offline_header", redact(&header));
    // Without --offline the header has no such marker.
    let mut console = Console::start().await;
    let screen = console
        .wait_until("the node registered", |s| s.contains("nodes 1/1"))
        .await;
    assert!(!screen.contains("offline"), "{screen}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_cells_take_the_theme_colours() {
    let mut console = Console::start().await;
    console.key(KeyCode::Char('a'));
    console.answer(&sample("failing-image.yaml"));
    // A second workload, so the failing pod's row is not the selected one.
    console.key(KeyCode::Char('a'));
    console.answer(&sample("nginx.yaml"));
    console
        .wait_until("a pod that cannot pull its image", |s| {
            (s.contains("ErrImagePull") || s.contains("ImagePullBackOff"))
                && rows_starting(s, "nginx-dep-") == 5
        })
        .await;
    // The selection follows the failing pod; move it to the first row.
    console.key(KeyCode::Char('g'));
    let theme = Theme::dark();
    let buffer = console.buffer();
    let screen = crate::harness::buffer_text(&buffer);
    let (row, line) = screen
        .lines()
        .enumerate()
        .find(|(_, line)| line.contains("│unpullable-"))
        .expect("the pod's row");
    let word = if line.contains("ImagePullBackOff") {
        "ImagePullBackOff"
    } else {
        "ErrImagePull"
    };
    let column = line.find(word).expect("word");
    let column = line[..column].chars().count();
    let cell = &buffer[(column as u16, row as u16)];
    assert_eq!(
        cell.fg,
        theme.status_error.fg.unwrap_or(Color::Reset),
        "{word} at {row}:{column}"
    );

    // A row the user selected is drawn in the selection colours.
    let first_row = podium::tui::views::TABLE_FIRST_ROW as u16;
    assert_eq!(
        buffer[(2, first_row)].bg,
        theme.selected.bg.unwrap_or(Color::Reset)
    );
}

/// A table view's text with what varies run to run taken out, and runs of
/// spaces folded (column widths follow the cells' lengths, which the
/// redaction changes).
fn table_text(screen: &str, lines: usize) -> String {
    let rules = [
        // With the padding after it, which follows the address's length.
        (r"\b10\.\d+\.\d+\.\d+ +", "10.X.X.X  "),
        (r"\b10\.\d+\.\d+\.\d+\b", "10.X.X.X"),
        // The API server's port, behind the `kubernetes` Service.
        (r"\b127\.0\.0\.1:\d+ *", "127.0.0.1:PORT  "),
        (r":3\d{4}/", ":NODEPORT/"),
        (r"events\((\w+)\)\[\d+\]", "events($1)[N]"),
    ];
    let mut text = redact(screen);
    for (pattern, replacement) in rules {
        let regex = Regex::new(pattern).expect("pattern");
        text = regex.replace_all(&text, replacement).into_owned();
    }
    let spaces = Regex::new(r" {2,}").expect("pattern");
    text.lines()
        .skip(2)
        .take(lines)
        .map(|line| spaces.replace_all(line, "  ").trim_end().to_string())
        .filter(|line| !line.trim_matches(|c| c == '│' || c == ' ').is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_table_view_over_the_walkthrough_sample() {
    let mut console = Console::start().await;
    console.key(KeyCode::Char('a'));
    console.answer(&sample("nginx.yaml"));
    console
        .wait_until("five ready pods", |s| {
            rows_with(s, "nginx-dep-", " 1/1 ") == 5
        })
        .await;
    for (command, settled) in [
        ("rs", " 5       5       5 "),
        ("svc", "nginx-service"),
        ("ing", "127.0.0.1"),
        ("ep", "nginx-service"),
        ("no", "Ready"),
        ("ns", "default"),
        ("cm", "configmaps"),
        ("sec", "secrets"),
    ] {
        console.command(command);
        let screen = console
            .wait_until(&format!(":{command} settled"), |s| s.contains(settled))
            .await;
        insta::assert_snapshot!(format!("view_{command}"), table_text(&screen, 10));
    }
    // Events: their order and counts follow timing; the columns and the
    // title are what holds.
    console.command("ev");
    let screen = console.screen();
    insta::assert_snapshot!("view_ev", table_text(&screen, 2));
}
