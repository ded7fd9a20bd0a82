use std::path::{Path, PathBuf};
use std::time::Duration;

use super::*;

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples")
}

/// The error text for `text` as a story file in samples/stories/.
fn error_of(text: &str) -> String {
    let path = samples().join("stories/broken.yaml");
    parse(text, &path).expect_err("rejected").to_string()
}

#[test]
fn the_built_in_story_is_the_walkthrough_rollout() {
    let story = load(None).expect("the default story parses");
    assert_eq!(story.name, "rollout");
    assert_eq!(story.steps.len(), 8);
    let actions: Vec<Option<&StepAction>> = story.steps.iter().map(|s| s.action.as_ref()).collect();
    assert!(matches!(
        actions[1],
        Some(StepAction::Apply { shown, yaml }) if shown == "samples/nginx.yaml" && yaml.contains("nginx-dep")
    ));
    assert_eq!(actions[2], Some(&StepAction::View("deploy".into())));
    assert_eq!(actions[3], Some(&StepAction::Rollout("nginx-dep".into())));
    assert_eq!(
        actions[4],
        Some(&StepAction::Scale {
            deployment: "nginx-dep".into(),
            replicas: 10
        })
    );
    assert_eq!(
        actions[5],
        Some(&StepAction::Image {
            deployment: "nginx-dep".into(),
            image: "library/nginx:1.16-alpine".into()
        })
    );
    assert_eq!(actions[6], Some(&StepAction::Undo("nginx-dep".into())));
    assert_eq!(
        story.steps[1].until,
        Some(Condition::PodsReady {
            count: 5,
            labels: vec![("app".into(), "server".into())]
        })
    );
    assert_eq!(story.steps[0].pause, Duration::from_secs(4));
    assert_eq!(story.steps[5].timeout, Duration::from_secs(600));
    assert_eq!(story.steps[4].timeout, DEFAULT_TIMEOUT);
}

#[test]
fn the_shipped_file_plays_like_the_built_in_story() {
    let path = samples().join("stories/rollout.yaml");
    let from_file = load(Some(path.to_str().expect("utf-8 path"))).expect("parses");
    let built_in = load(Some("rollout")).expect("parses");
    assert_eq!(from_file.steps.len(), built_in.steps.len());
    for (file_step, built_in_step) in from_file.steps.iter().zip(&built_in.steps) {
        assert_eq!(file_step.caption, built_in_step.caption);
        assert_eq!(file_step.until, built_in_step.until);
        match (&file_step.action, &built_in_step.action) {
            (
                Some(StepAction::Apply { yaml: a, shown }),
                Some(StepAction::Apply { yaml: b, .. }),
            ) => {
                assert_eq!(a, b);
                assert!(shown.ends_with("nginx.yaml"), "{shown}");
            }
            (a, b) => assert_eq!(a, b),
        }
    }
}

#[test]
fn list_names_the_built_in_stories() {
    let list = built_in();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].0, "rollout");
    assert!(list[0].1.contains("scale it 5 → 10"), "{}", list[0].1);
}

#[test]
fn an_unknown_name_lists_what_exists() {
    let error = load(Some("rolout")).expect_err("unknown").to_string();
    assert_eq!(
        error,
        "no story \"rolout\": give a path to a story file, or one of the built-in stories: rollout"
    );
}

#[test]
fn a_missing_file_is_named() {
    let error = load(Some("stories/nothing-here.yaml"))
        .expect_err("missing")
        .to_string();
    assert!(
        error.starts_with("cannot read stories/nothing-here.yaml:"),
        "{error}"
    );
}

#[test]
fn a_misspelt_field_names_line_and_path() {
    let error = error_of(
        "name: x\nsteps:\n  - caption: one\n    pause: 1\n  - caption: two\n    scael: {deployment: a, replicas: 2}\n",
    );
    assert!(
        error.contains("stories/broken.yaml:6: steps[1]: unknown field `scael`, expected one of"),
        "{error}"
    );
    assert!(error.contains("a story is `name:`"), "{error}");
}

#[test]
fn a_wrong_type_names_line_and_path() {
    let error = error_of(
        "name: x\nsteps:\n  - caption: scale\n    scale:\n      deployment: a\n      replicas: ten\n",
    );
    assert!(
        error.contains("broken.yaml:6: steps[0].scale.replicas: invalid type: string \"ten\""),
        "{error}"
    );
}

#[test]
fn two_actions_in_one_step_are_refused_at_the_second() {
    let error =
        error_of("name: x\nsteps:\n  - caption: both\n    view: deploy\n    undo: nginx-dep\n");
    assert!(
        error.ends_with(
            "broken.yaml:5: steps[0].undo: one action per step, this one has view and undo; split it into steps"
        ),
        "{error}"
    );
}

#[test]
fn an_apply_names_a_file_relative_to_the_story() {
    let error = error_of("name: x\nsteps:\n  - caption: apply\n    apply: nope.yaml\n");
    assert!(
        error.contains("broken.yaml:4: steps[0].apply: cannot read ")
            && error.contains("stories/nope.yaml")
            && error.ends_with("paths are relative to the story file"),
        "{error}"
    );
    let story = parse(
        "name: x\nsteps:\n  - caption: apply\n    apply: ../nginx.yaml\n",
        &samples().join("stories/mine.yaml"),
    )
    .expect("parses");
    assert!(matches!(
        &story.steps[0].action,
        Some(StepAction::Apply { yaml, .. }) if yaml.contains("kind: Deployment")
    ));
}

#[test]
fn waits_need_one_condition() {
    let error = error_of("name: x\nsteps:\n  - caption: wait\n    until: {}\n");
    assert!(
        error.ends_with(
            "broken.yaml:4: steps[0].until: say what to wait for: `rolled_out: DEPLOYMENT` or `pods_ready: N`"
        ),
        "{error}"
    );
    let error = error_of(
        "name: x\nsteps:\n  - caption: wait\n    until:\n      rolled_out: a\n      pods_ready: 3\n",
    );
    assert!(
        error.contains("broken.yaml:6: steps[0].until.pods_ready: wait for one thing per step"),
        "{error}"
    );
    let error = error_of(
        "name: x\nsteps:\n  - caption: wait\n    until:\n      pods_ready: 3\n      selector: app\n",
    );
    assert!(
        error.contains("broken.yaml:6: steps[0].until.selector: bad label selector \"app\""),
        "{error}"
    );
}

#[test]
fn a_timeout_needs_a_wait() {
    let error = error_of("name: x\nsteps:\n  - caption: t\n    pause: 1\n    timeout: 30\n");
    assert!(
        error.ends_with(
            "broken.yaml:5: steps[0].timeout: a timeout bounds a wait: add `until:` or remove `timeout:`"
        ),
        "{error}"
    );
}

#[test]
fn a_view_must_be_a_console_command() {
    let error = error_of("name: x\nsteps:\n  - caption: v\n    view: frobs\n");
    assert!(
        error.contains("broken.yaml:4: steps[0].view: unknown command \"frobs\": try :po"),
        "{error}"
    );
    let story = parse(
        "name: x\nsteps:\n  - caption: v\n    view: \":po app=server\"\n",
        Path::new("x.yaml"),
    )
    .expect("parses");
    assert_eq!(
        story.steps[0].action,
        Some(StepAction::View("po app=server".into()))
    );
}

#[test]
fn a_story_needs_steps_and_a_name() {
    let error = error_of("name: x\nsteps: []\n");
    assert!(
        error.ends_with("broken.yaml:2: steps: a story needs at least one step: `- caption: ...`"),
        "{error}"
    );
    let error = error_of("steps:\n  - caption: a\n");
    assert!(error.contains("missing field `name`"), "{error}");
}

#[test]
fn broken_yaml_says_where() {
    let error = error_of("name: x\nsteps:\n  - caption: [unclosed\n");
    assert!(error.contains("broken.yaml:"), "{error}");
    assert!(error.contains("a story is `name:`"), "{error}");
}

#[test]
fn a_bad_pause_is_refused() {
    let error = error_of("name: x\nsteps:\n  - caption: p\n    pause: -2\n");
    assert!(
        error.ends_with(
            "broken.yaml:4: steps[0].pause: -2 is not a pause; give seconds from 0 to 3600"
        ),
        "{error}"
    );
}
