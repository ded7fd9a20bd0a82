use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;

use super::*;

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn request(pods: &[&str]) -> LogRequest {
    LogRequest {
        namespace: "default".into(),
        pods: pods.iter().map(|p| p.to_string()).collect(),
        container: None,
        all_containers: false,
        previous: false,
        window: LogWindow::Tail,
        tail_lines: 100,
    }
}

fn line(pod: &str, text: &str) -> LogLine {
    LogLine {
        pod: pod.into(),
        container: "web".into(),
        timestamp: None,
        text: text.into(),
    }
}

fn draw(view: &LogsView, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
    let theme = Theme::dark();
    terminal
        .draw(|f| view.draw(f, f.area(), &theme))
        .expect("draw");
    terminal
}

fn row_text(terminal: &Terminal<TestBackend>, y: u16) -> String {
    let buffer = terminal.backend().buffer();
    (0..buffer.area.width)
        .map(|x| buffer[(x, y)].symbol())
        .collect()
}

#[test]
fn ring_keeps_capacity_and_counts_drops() {
    let mut view = LogsView::new(request(&["a"]), vec![], 10_000);
    for i in 0..100_000 {
        view.push(line("a", &format!("line {i}")));
    }
    assert_eq!(view.len(), 10_000);
    assert_eq!(view.dropped(), 90_000);
    assert_eq!(view.line_text(90_000), Some("line 90000"));
    assert_eq!(view.line_text(89_999), None);
    let terminal = draw(&view, 100, 8);
    assert!(row_text(&terminal, 1).contains("… 90,000 older lines dropped (buffer 10,000 lines)"));
    // The newest line is at the bottom: following.
    assert!(row_text(&terminal, 5).contains("line 99999"));
}

#[test]
fn pushing_many_lines_is_linear() {
    let mut view = LogsView::new(request(&["a"]), vec![], 1_000);
    let started = std::time::Instant::now();
    for i in 0..200_000 {
        view.push(line("a", &format!("{i}")));
    }
    // Quadratic work would take minutes; a ring buffer takes milliseconds.
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    assert_eq!(view.dropped(), 199_000);
}

#[test]
fn search_moves_between_hits_with_n_and_shift_n() {
    let mut view = LogsView::new(request(&["a"]), vec![], 100);
    for i in 0..30 {
        let text = if i % 10 == 3 {
            format!("{i} ERROR boom")
        } else {
            format!("{i} ok")
        };
        view.push(line("a", &text));
    }
    view.handle_key(key(KeyCode::Char('/')));
    for c in "error".chars() {
        view.handle_key(key(KeyCode::Char(c)));
    }
    view.handle_key(key(KeyCode::Enter));
    // Enter goes to the newest hit, and stops following to show it.
    assert_eq!(view.current_hit(), Some(23));
    assert!(!view.is_following());
    view.handle_key(key(KeyCode::Char('N')));
    assert_eq!(view.current_hit(), Some(13));
    view.handle_key(key(KeyCode::Char('N')));
    assert_eq!(view.current_hit(), Some(3));
    view.handle_key(key(KeyCode::Char('N')));
    assert_eq!(view.current_hit(), Some(3));
    view.handle_key(key(KeyCode::Char('n')));
    assert_eq!(view.current_hit(), Some(13));
}

#[test]
fn scrolling_up_stops_autoscroll_and_capital_g_resumes_it() {
    let mut view = LogsView::new(request(&["a"]), vec![], 100);
    for i in 0..50 {
        view.push(line("a", &format!("line {i}")));
    }
    let _ = draw(&view, 60, 10);
    view.handle_key(key(KeyCode::Up));
    assert!(!view.is_following());
    view.push(line("a", "new line"));
    let terminal = draw(&view, 60, 10);
    assert!(!(1..9).any(|y| row_text(&terminal, y).contains("new line")));
    view.handle_key(key(KeyCode::Char('G')));
    assert!(view.is_following());
    let terminal = draw(&view, 60, 10);
    assert!(row_text(&terminal, 7).contains("new line"));
    view.handle_key(key(KeyCode::Char('s')));
    assert!(!view.is_following());
}

#[test]
fn keys_produce_reopen_save_and_close_intents() {
    let mut view = LogsView::new(
        request(&["web-1"]),
        vec!["web".into(), "sidecar".into()],
        100,
    );
    let mut expected = request(&["web-1"]);
    expected.previous = true;
    assert_eq!(
        view.handle_key(key(KeyCode::Char('p'))),
        Outcome::Intent(LogsIntent::Reopen(expected.clone()))
    );
    expected.window = LogWindow::Since(Duration::from_secs(300));
    assert_eq!(
        view.handle_key(key(KeyCode::Char('3'))),
        Outcome::Intent(LogsIntent::Reopen(expected.clone()))
    );
    assert_eq!(view.handle_key(key(KeyCode::Char('c'))), Outcome::Consumed);
    view.handle_key(key(KeyCode::Down));
    expected.container = Some("sidecar".into());
    assert_eq!(
        view.handle_key(key(KeyCode::Enter)),
        Outcome::Intent(LogsIntent::Reopen(expected))
    );
    view.push(line("web-1", "hello"));
    view.handle_key(key(KeyCode::Char('t')));
    let now: Timestamp = "2026-11-25T08:30:00Z".parse().expect("ts");
    let ts: Timestamp = "2026-11-25T08:29:59.5Z".parse().expect("ts");
    view.push(LogLine {
        timestamp: Some(ts),
        ..line("web-1", "stamped")
    });
    assert_eq!(
        view.save_intent(now),
        LogsIntent::Save {
            path: "web-1-20261125-083000.log".into(),
            contents: "------------------------ hello\n2026-11-25T08:29:59.500Z stamped\n".into(),
        }
    );
    assert!(matches!(
        view.handle_key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL)),
        Outcome::Intent(LogsIntent::Save { .. })
    ));
    assert_eq!(
        view.handle_key(key(KeyCode::Esc)),
        Outcome::Intent(LogsIntent::Close)
    );
}

#[test]
fn two_pods_interleaved_with_search_highlights() {
    let mut view = LogsView::new(
        request(&["web-7d4-abc", "web-7d4-xyz"]),
        vec!["web".into()],
        100,
    );
    view.push(line("web-7d4-abc", "GET / 200"));
    view.push(line("web-7d4-xyz", "GET /health 200"));
    view.push(line("web-7d4-abc", "GET /missing 404"));
    view.skipped(1234);
    view.push(line("web-7d4-xyz", "GET / 200"));
    view.stream_ended("web-7d4-abc", "", Some("container exited".into()));
    view.handle_key(key(KeyCode::Char('/')));
    view.handle_key(key(KeyCode::Char('2')));
    view.handle_key(key(KeyCode::Char('0')));
    view.handle_key(key(KeyCode::Char('0')));
    view.handle_key(key(KeyCode::Enter));
    let terminal = draw(&view, 90, 11);
    insta::assert_snapshot!(terminal.backend());
    let buffer = terminal.backend().buffer();
    // Pod prefixes keep their colour per pod.
    assert_eq!(buffer[(1, 2)].fg, Color::Cyan);
    assert_eq!(buffer[(1, 3)].fg, Color::Magenta);
    assert_eq!(buffer[(1, 4)].fg, Color::Cyan);
    // "200" on the first row is highlighted.
    let x = row_text(&terminal, 2).find("200").expect("hit") as u16;
    assert_eq!(buffer[(x, 2)].bg, Color::Yellow);
    assert!(row_text(&terminal, 1).contains("1,234 lines skipped by the source"));
}

#[test]
fn dropped_note_and_wrap_snapshot() {
    let mut view = LogsView::new(request(&["api-0"]), vec![], 5);
    for i in 0..12 {
        view.push(line(
            "api-0",
            &format!(
                "request {i} took {}ms and the answer was long enough to wrap",
                i * 7
            ),
        ));
    }
    view.handle_key(key(KeyCode::Char('w')));
    let terminal = draw(&view, 60, 10);
    insta::assert_snapshot!(terminal.backend());
    assert_eq!(terminal.backend().buffer()[(1, 1)].fg, Color::Yellow);
    assert!(row_text(&terminal, 1).contains("… 7 older lines dropped (buffer 5 lines)"));
}

#[test]
fn the_digits_pick_k9s_time_windows() {
    let mut view = LogsView::new(request(&["web-1"]), vec!["web".into()], 100);
    let minutes = |m: u64| LogWindow::Since(Duration::from_secs(m * 60));
    for (digit, window, label) in [
        ('1', LogWindow::Head, "head"),
        ('2', minutes(1), "1m"),
        ('3', minutes(5), "5m"),
        ('4', minutes(15), "15m"),
        ('5', minutes(30), "30m"),
        ('6', minutes(60), "1h"),
        ('0', LogWindow::Tail, "tail"),
    ] {
        let mut expected = request(&["web-1"]);
        expected.window = window;
        assert_eq!(
            view.handle_key(key(KeyCode::Char(digit))),
            Outcome::Intent(LogsIntent::Reopen(expected)),
            "{digit}"
        );
        assert_eq!(window.label(), label);
    }
}
