use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;

use super::*;
use crate::api::Kind;

const NGINX: &str = include_str!("../../../samples/nginx.yaml");

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn ctrl(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .expect("needle")
        + 1
}

#[test]
fn locate_field_finds_nested_fields_in_the_nginx_sample() {
    let image = line_of(NGINX, "image: library/nginx");
    assert_eq!(
        locate_field(NGINX, 0, "spec.template.spec.containers[0].image"),
        Some(image)
    );
    assert_eq!(
        locate_field(NGINX, 0, "spec.replicas"),
        Some(line_of(NGINX, "replicas: 5"))
    );
    assert_eq!(
        locate_field(
            NGINX,
            0,
            "spec.template.spec.containers[0].ports[0].containerPort"
        ),
        Some(line_of(NGINX, "containerPort: 80"))
    );
    assert_eq!(
        locate_field(NGINX, 0, "spec.strategy.rollingUpdate.maxSurge"),
        Some(line_of(NGINX, "maxSurge: 1"))
    );
}

#[test]
fn locate_field_reads_the_right_document() {
    assert_eq!(
        locate_field(NGINX, 1, "spec.ports[0].targetPort"),
        Some(line_of(NGINX, "targetPort: 80"))
    );
    assert_eq!(
        locate_field(NGINX, 2, "spec.backend.serviceName"),
        Some(line_of(NGINX, "serviceName:"))
    );
    assert_eq!(locate_field(NGINX, 3, "spec"), None);
}

#[test]
fn locate_field_falls_back_to_the_nearest_parent() {
    let containers = line_of(NGINX, "- name: nginx");
    assert_eq!(
        locate_field(
            NGINX,
            0,
            "spec.template.spec.containers[0].resources.limits"
        ),
        Some(containers)
    );
    assert_eq!(
        locate_field(NGINX, 0, "spec.template.spec.containers[3].image"),
        Some(line_of(NGINX, "containers:"))
    );
}

#[test]
fn locate_field_handles_keys_with_dots() {
    let text = "metadata:\n  name: a\n  annotations:\n    example.com/team: core\n    other: x\n";
    assert_eq!(
        locate_field(text, 0, "metadata.annotations[example.com/team]"),
        Some(4)
    );
    assert_eq!(
        locate_field(text, 0, "metadata.annotations.example.com/team"),
        Some(4)
    );
    assert_eq!(locate_field(text, 0, "metadata.annotations.other"), Some(5));
}

#[test]
fn parse_error_has_line_and_column_in_a_later_document() {
    let text = "a: 1\n---\nb: [1, 2\nc: 3\n";
    let err = parse_error(text).expect("error");
    assert!(err.line >= 3, "{err:?}");
    assert!(err.column.is_some());
    assert!(parse_error(NGINX).is_none());
    let bad = "spec:\n  replicas: 1\n   image: x\n";
    assert_eq!(parse_error(bad).expect("error").line, 3);
}

#[test]
fn every_template_parses() {
    for &kind in TEMPLATE_KINDS {
        let text = template(kind).expect("a template");
        assert!(parse_error(text).is_none(), "{kind}");
        assert!(text.contains(&format!("kind: {}", kind.info().kind_name)));
    }
    assert_eq!(template(Kind::Node), None);
}

#[test]
fn typing_validates_when_the_buffer_parses_and_keeps_it_when_it_does_not() {
    let mut editor = YamlEditor::new("deployment/nginx", "a: 1\n");
    editor.handle_key(key(KeyCode::End));
    let outcome = editor.handle_key(key(KeyCode::Char('0')));
    assert_eq!(
        outcome,
        Outcome::Intent(EditorIntent::Validate {
            text: "a: 10\n".into()
        })
    );
    assert!(editor.is_modified());
    // "a: 10\nb" does not parse: no Validate, no Apply, buffer kept.
    editor.handle_key(key(KeyCode::Enter));
    assert_eq!(
        editor.handle_key(key(KeyCode::Char('b'))),
        Outcome::Consumed
    );
    assert!(editor.parse_diagnostic().is_some());
    assert_eq!(editor.handle_key(ctrl('s')), Outcome::Consumed);
    assert_eq!(editor.text(), "a: 10\nb\n");
    editor.handle_key(key(KeyCode::Backspace));
    editor.handle_key(key(KeyCode::Backspace));
    assert_eq!(
        editor.handle_key(ctrl('s')),
        Outcome::Intent(EditorIntent::Apply {
            text: "a: 10\n".into()
        })
    );
    editor.applied("configured");
    assert!(!editor.is_modified());
    assert_eq!(
        editor.handle_key(key(KeyCode::Esc)),
        Outcome::Intent(EditorIntent::Close)
    );
}

#[test]
fn esc_with_changes_asks_before_discarding() {
    let mut editor = YamlEditor::new("cm/x", "a: 1\n");
    editor.handle_key(key(KeyCode::Char('b')));
    assert_eq!(editor.handle_key(key(KeyCode::Esc)), Outcome::Consumed);
    assert!(editor.is_confirming_discard());
    assert_eq!(
        editor.handle_key(key(KeyCode::Char('n'))),
        Outcome::Consumed
    );
    assert!(!editor.is_confirming_discard());
    assert_eq!(editor.handle_key(key(KeyCode::Esc)), Outcome::Consumed);
    assert_eq!(
        editor.handle_key(key(KeyCode::Char('y'))),
        Outcome::Intent(EditorIntent::Close)
    );
    assert_eq!(editor.handle_key(key(KeyCode::Esc)), Outcome::Consumed);
    assert_eq!(
        editor.handle_key(key(KeyCode::Esc)),
        Outcome::Intent(EditorIntent::Close)
    );
}

fn draw(editor: &YamlEditor, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
    let theme = Theme::dark();
    terminal
        .draw(|f| editor.draw(f, f.area(), &theme))
        .expect("draw");
    terminal
}

#[test]
fn server_diagnostic_is_drawn_at_its_line() {
    let mut editor = YamlEditor::new("deployment/nginx-dep", NGINX);
    let path = "spec.template.spec.containers[0].image";
    let line = locate_field(NGINX, 0, path).expect("line");
    editor.set_server_diagnostics(vec![Diagnostic {
        line,
        column: None,
        field_path: Some(path.into()),
        message: "Required value".into(),
    }]);
    let terminal = draw(&editor, 80, 30);
    insta::assert_snapshot!(terminal.backend());
    let buffer = terminal.backend().buffer();
    // The gutter marker on the image line is in the error colour.
    let row = u16::try_from(line).expect("row");
    assert_eq!(buffer[(1, row)].symbol(), "●");
    assert_eq!(buffer[(1, row)].fg, Color::Red);
}

#[test]
fn keys_values_and_comments_have_their_colours() {
    let editor = YamlEditor::new("x", "kind: Deployment  # note\n");
    let terminal = draw(&editor, 40, 4);
    let buffer = terminal.backend().buffer();
    // Row 1 inside the border; gutter is marker + 3 digits + space = 5 cols.
    let x0 = 1 + 5;
    assert_eq!(buffer[(x0 + 1, 1)].fg, Color::LightBlue, "key");
    assert_eq!(buffer[(x0 + 4, 1)].fg, Color::White, "colon");
    assert_eq!(buffer[(x0 + 6, 1)].fg, Color::LightYellow, "value");
    assert_eq!(buffer[(x0 + 19, 1)].fg, Color::DarkGray, "comment");
}

#[test]
fn a_long_line_scrolls_sideways_to_keep_the_cursor_visible() {
    let mut editor = YamlEditor::new(
        "x",
        "image: registry.example.com/team/very-long-image-name:1.0\n",
    );
    editor.handle_key(key(KeyCode::End));
    let terminal = draw(&editor, 30, 4);
    let buffer = terminal.backend().buffer();
    let row: String = (0..30).map(|x| buffer[(x, 1)].symbol()).collect();
    assert!(row.contains("name:1.0"), "{row}");
    // The cursor cell after the last character is drawn reversed.
    let x = u16::try_from(row.chars().position(|c| c == '0').expect("end") + 1).expect("x");
    assert!(
        buffer[(x, 1)]
            .modifier
            .contains(ratatui::style::Modifier::REVERSED)
    );
}
