//! Demo mode: the built-in story played on the console over the simulated
//! runtime with paused time, from its first caption to its last; the keys
//! that pause and step it; the caption on screen.

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Pod;
use podium::api::Kind;
use podium::tui::demo::{Phase, Player, story};
use tokio::time::Instant;

use crate::harness::{Console, buffer_text};
use crate::screens::redact;

/// Paused time moves this far per turn of the loop.
const TURN: Duration = Duration::from_millis(100);

/// The screen with the caption over it.
fn screen(console: &mut Console, player: &Player) -> String {
    let app = &mut console.app;
    console
        .terminal
        .draw(|frame| {
            app.draw(frame);
            podium::tui::demo::draw::draw(player, app, frame, &app.theme);
        })
        .expect("draw");
    buffer_text(console.terminal.backend().buffer())
}

/// One turn of the event loop: task answers to the player and the app,
/// a refresh, the player's tick.
fn turn(console: &mut Console, player: &mut Player) {
    for action in console.take_actions() {
        player.on_action(&action);
        console.app.on_action(action);
    }
    console.app.refresh();
    player.tick(&mut console.app);
}

fn phase_name(phase: &Phase) -> &'static str {
    match phase {
        Phase::Ready => "ready",
        Phase::Writing => "writing",
        Phase::Waiting { .. } => "waiting",
        Phase::Holding { .. } => "holding",
        Phase::Finished => "finished",
        Phase::Failed(_) => "failed",
    }
}

fn nginx(console: &Console) -> Deployment {
    console
        .cluster
        .store
        .get_as::<Deployment>("default", "nginx-dep")
        .expect("nginx-dep exists")
}

fn image(deployment: &Deployment) -> String {
    deployment
        .spec
        .as_ref()
        .and_then(|s| s.template.spec.as_ref())
        .and_then(|s| s.containers.first())
        .and_then(|c| c.image.clone())
        .unwrap_or_default()
}

#[tokio::test(start_paused = true)]
async fn the_rollout_story_plays_to_its_end_the_same_way() {
    let mut console = Console::start().await;
    let story = story::load(None).expect("the built-in story");
    let steps = story.steps.len();
    let first_words: Vec<String> = story
        .steps
        .iter()
        .map(|s| {
            s.caption
                .split_whitespace()
                .take(4)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    let mut player = Player::new(story, console.cluster.handle());
    let started = Instant::now();
    // (step, phase) each time either changes, and the flash lines shown.
    let mut trail: Vec<(usize, &'static str)> = Vec::new();
    let mut flashes: Vec<String> = Vec::new();
    loop {
        turn(&mut console, &mut player);
        let (index, _) = player.current();
        let now = (index + 1, phase_name(player.phase()));
        if trail.last() != Some(&now) {
            trail.push(now);
            let shown = screen(&mut console, &player);
            assert!(
                shown.contains(&format!("step {}/{steps}", index + 1)),
                "{shown}"
            );
            assert!(shown.contains(&first_words[index]), "{shown}");
            if now.1 == "waiting" {
                assert!(shown.contains("waiting for "), "{shown}");
            }
        }
        if let Some(flash) = console.app.model.flash.as_ref()
            && flashes.last() != Some(&flash.text)
        {
            assert!(!flash.error, "an error flash: {}", flash.text);
            flashes.push(flash.text.clone());
        }
        if let Phase::Failed(error) = player.phase() {
            panic!(
                "step {} failed: {error}\n{}",
                index + 1,
                screen(&mut console, &player)
            );
        }
        if player.is_finished() {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(1800),
            "the story takes too long; it stands at {now:?}:\n{}",
            screen(&mut console, &player)
        );
        tokio::time::sleep(TURN).await;
    }

    // Every step ran its action, waited where it says, showed its caption.
    let expected: Vec<(usize, &str)> = vec![
        (1, "holding"),
        (2, "writing"),
        (2, "waiting"),
        (2, "holding"),
        (3, "waiting"),
        (3, "holding"),
        (4, "holding"),
        (5, "writing"),
        (5, "waiting"),
        (5, "holding"),
        (6, "writing"),
        (6, "waiting"),
        (6, "holding"),
        (7, "writing"),
        (7, "waiting"),
        (7, "holding"),
        (8, "holding"),
        (8, "finished"),
    ];
    assert_eq!(trail, expected);
    assert_eq!(
        flashes,
        vec![
            "deployment.apps/nginx-dep created, service/nginx-service created, ingress.networking.k8s.io/nginx-ingress created",
            "deployment.apps/nginx-dep scaled to 10",
            "deployment.apps/nginx-dep image updated",
            "deployment.apps/nginx-dep rolled back (to revision 1)",
        ]
    );

    // The cluster ends where the walkthrough does: 10 pods of the first
    // image, rolled out.
    let deployment = nginx(&console);
    assert_eq!(image(&deployment), "library/nginx:1.14-alpine");
    assert_eq!(deployment.spec.as_ref().and_then(|s| s.replicas), Some(10));
    let status = deployment.status.clone().unwrap_or_default();
    assert_eq!(status.updated_replicas, Some(10));
    assert_eq!(status.available_replicas, Some(10));
    let pods: Vec<Pod> = console
        .cluster
        .store
        .list(Kind::Pod, Some("default"), &Default::default())
        .items
        .iter()
        .filter_map(|o| o.as_typed::<Pod>().cloned())
        .filter(|p| p.metadata.deletion_timestamp.is_none())
        .collect();
    assert_eq!(pods.len(), 10);
    assert!(pods.iter().all(|p| {
        p.spec
            .as_ref()
            .is_some_and(|s| s.containers[0].image.as_deref() == Some("library/nginx:1.14-alpine"))
    }));

    // The last caption stays, over the rollout view the story opened.
    let shown = screen(&mut console, &player);
    assert!(shown.contains("step 8/8"), "{shown}");
    assert!(
        shown.contains("the story is over — keep exploring, q quits"),
        "{shown}"
    );
    assert!(shown.contains("nginx-dep"), "{shown}");
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

#[tokio::test(start_paused = true)]
async fn space_pauses_right_steps_and_q_quits() {
    let mut console = Console::start().await;
    let story = story::load(None).expect("the built-in story");
    let mut player = Player::new(story, console.cluster.handle());
    turn(&mut console, &mut player);
    assert!(screen(&mut console, &player).contains("step 1/8"));

    // Paused: the first caption stays however long it takes.
    assert!(player.on_key(&key(KeyCode::Char(' ')), &mut console.app));
    let shown = screen(&mut console, &player);
    assert!(shown.contains("step 1/8 · paused"), "{shown}");
    assert!(
        shown.contains("paused — space resumes, → runs the next step, q quits"),
        "{shown}"
    );
    for _ in 0..100 {
        tokio::time::sleep(TURN).await;
        turn(&mut console, &mut player);
    }
    assert_eq!(player.current().0, 0);

    // → runs the next step now, and the story stays paused: the sample is
    // applied, the wait for its pods does not start.
    assert!(player.on_key(&key(KeyCode::Right), &mut console.app));
    assert_eq!(player.current().0, 1);
    for _ in 0..20 {
        tokio::time::sleep(TURN).await;
        turn(&mut console, &mut player);
    }
    let shown = screen(&mut console, &player);
    assert!(shown.contains("step 2/8 · paused"), "{shown}");
    assert!(
        shown.contains("deployment.apps/nginx-dep created"),
        "{shown}"
    );

    // Other console keys still work while paused: `:deploy` lists it.
    for c in ":deploy".chars() {
        assert!(!player.on_key(&key(KeyCode::Char(c)), &mut console.app));
        console.app.on_key(key(KeyCode::Char(c)));
    }
    // A space typed into the command line is the line's, not the player's.
    assert!(!player.on_key(&key(KeyCode::Char(' ')), &mut console.app));
    console.app.on_key(key(KeyCode::Enter));
    assert!(screen(&mut console, &player).contains("deployments(default)[1]"));

    // Resumed, the story waits for the five pods and goes on by itself.
    assert!(player.on_key(&key(KeyCode::Char(' ')), &mut console.app));
    let mut turns = 0;
    while player.current().0 == 1 {
        tokio::time::sleep(TURN).await;
        turn(&mut console, &mut player);
        turns += 1;
        assert!(turns < 3000, "{}", screen(&mut console, &player));
    }
    assert_eq!(player.current().0, 2);

    assert!(player.on_key(&key(KeyCode::Char('q')), &mut console.app));
    assert!(console.app.model.quit);
}

#[tokio::test(start_paused = true)]
async fn the_caption_over_the_deployments() {
    let mut console = Console::start().await;
    let story = story::load(None).expect("the built-in story");
    let mut player = Player::new(story, console.cluster.handle());
    // Up to step 3, `:deploy`, once nginx-dep rolled out.
    let mut turns = 0;
    while player.current().0 < 2 || !matches!(player.phase(), Phase::Holding { .. }) {
        turn(&mut console, &mut player);
        tokio::time::sleep(TURN).await;
        turns += 1;
        assert!(turns < 3000, "{}", screen(&mut console, &player));
    }
    turn(&mut console, &mut player);
    let shown = screen(&mut console, &player);
    let lines: Vec<&str> = shown.lines().collect();
    // The events pane's order follows timing; the table, the caption, the
    // flash and the footer are what the snapshot holds.
    let mut kept: Vec<&str> = lines[..6].to_vec();
    kept.push("…");
    kept.extend_from_slice(&lines[lines.len() - 6..]);
    insta::assert_snapshot!("demo_caption", redact(&kept.join("\n")));
}

#[tokio::test(start_paused = true)]
async fn a_failing_step_says_why_and_right_goes_on() {
    let mut console = Console::start().await;
    let story = story::parse(
        "name: broken\nsteps:\n  - caption: scale a ghost\n    scale: {deployment: ghost, replicas: 2}\n  - caption: wait for nobody\n    until: {pods_ready: 3, selector: app=nobody}\n    timeout: 5\n  - caption: the end\n",
        std::path::Path::new("broken.yaml"),
    )
    .expect("parses");
    let mut player = Player::new(story, console.cluster.handle());
    turn(&mut console, &mut player);
    let shown = screen(&mut console, &player);
    assert!(
        shown.contains(
            "deployment ghost is not in the :deploy table of namespace default; the story's steps before must create it — → goes on, q quits"
        ),
        "{shown}"
    );

    // → goes on; a wait that is never met fails at its timeout, saying
    // what the cluster shows.
    assert!(player.on_key(&key(KeyCode::Right), &mut console.app));
    let started = Instant::now();
    while !matches!(player.phase(), Phase::Failed(_)) {
        tokio::time::sleep(TURN).await;
        turn(&mut console, &mut player);
        assert!(started.elapsed() < Duration::from_secs(10));
    }
    assert!(started.elapsed() >= Duration::from_secs(5));
    let shown = screen(&mut console, &player);
    assert!(shown.contains("step 2/3"), "{shown}");
    assert!(
        shown.contains("waited 5 s for 3 pods ready (app=nobody), still 0 ready"),
        "{shown}"
    );
    // The failure is drawn in the theme's error colour.
    let buffer = console.terminal.backend().buffer().clone();
    let text = buffer_text(&buffer);
    let row = text
        .lines()
        .position(|line| line.contains("waited 5 s"))
        .expect("the failure's line");
    let column = text
        .lines()
        .nth(row)
        .and_then(|l| l.find("waited"))
        .expect("column");
    let column = text.lines().nth(row).expect("row")[..column]
        .chars()
        .count();
    assert_eq!(
        buffer[(column as u16, row as u16)].fg,
        console.app.theme.error.fg.expect("an error colour")
    );
    assert!(player.on_key(&key(KeyCode::Right), &mut console.app));
    turn(&mut console, &mut player);
    assert!(screen(&mut console, &player).contains("step 3/3"));
}
