//! The caption: a box over the bottom of the body with the step's text,
//! `step 3/8`, and what the story does now (waiting, paused, failed).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::player::{Phase, Player};
use crate::tui::app::App;
use crate::tui::theme::Theme;
use crate::tui::views;

pub fn draw(player: &Player, app: &App, frame: &mut Frame, theme: &Theme) {
    let body = views::body_area(frame.area());
    // The whole body's width: the box replaces the bottom of whatever pane
    // is under it, so no text of that pane shows beside it.
    let width = body.width;
    // The text inside the borders, one column of padding each side.
    let text_width = usize::from(width.saturating_sub(4)).max(10);
    let (index, step) = player.current();
    let mut lines: Vec<Line> = wrap(&step.caption, text_width)
        .into_iter()
        .map(|line| Line::styled(line, theme.body))
        .collect();
    lines.push(status_line(player, app, theme));
    let height = (lines.len() as u16 + 2).min(body.height);
    let area = Rect {
        x: body.x,
        y: body.bottom().saturating_sub(height),
        width,
        height,
    };
    let paused = if player.is_paused() { " · paused" } else { "" };
    let title = format!(
        " demo {} · step {}/{}{paused} ",
        player.story().name,
        index + 1,
        player.story().steps.len()
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_focus)
        .title(Span::styled(title, theme.accent));
    frame.render_widget(Clear, area);
    let padded: Vec<Line> = lines
        .into_iter()
        .map(|line| {
            let mut spans = vec![Span::raw(" ")];
            spans.extend(line.spans);
            Line::from(spans).style(line.style)
        })
        .collect();
    frame.render_widget(Paragraph::new(padded).block(block), area);
}

/// What the story does now, and the keys that change it.
fn status_line<'a>(player: &Player, app: &App, theme: &Theme) -> Line<'a> {
    if player.is_paused() {
        return Line::styled(
            "paused — space resumes, → runs the next step, q quits",
            theme.warning,
        );
    }
    match player.phase() {
        Phase::Failed(error) => Line::styled(format!("{error} — → goes on, q quits"), theme.error),
        Phase::Finished => Line::styled("the story is over — keep exploring, q quits", theme.info),
        Phase::Waiting { .. } => {
            let (_, step) = player.current();
            let waiting = step
                .until
                .as_ref()
                .map(|condition| condition.describe())
                .unwrap_or_default();
            let progress = player
                .progress(app)
                .map(|p| format!(" ({p})"))
                .unwrap_or_default();
            Line::styled(
                format!("waiting for {waiting}{progress} — space pauses, → skips"),
                theme.muted,
            )
        }
        _ => Line::styled("space pauses, → next step, q quits", theme.muted),
    }
}

/// Greedy word wrap to `width` columns (counted in chars).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.lines() {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            let needed =
                line.chars().count() + usize::from(!line.is_empty()) + word.chars().count();
            if needed > width && !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn wraps_at_word_boundaries() {
        assert_eq!(
            wrap("scale the deployment from five to ten", 16),
            vec!["scale the", "deployment from", "five to ten"]
        );
    }

    #[test]
    fn a_word_longer_than_the_line_stays_whole() {
        assert_eq!(
            wrap("a samples/nginx.yaml b", 8),
            vec!["a", "samples/nginx.yaml", "b"]
        );
    }
}
