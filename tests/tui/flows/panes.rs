//! Views, filters and the panes over them: describe, YAML, the editor,
//! the rollout view, and the user's keys.

use crossterm::event::KeyCode;
use podium::api::Kind;

use super::deployment;
use crate::harness::{Backend, Console, rows_starting, sample};

pub(super) async fn views_filters_drill_down_and_errors(backend: Backend) {
    let mut console = Console::start_with(backend).await;
    console.key(KeyCode::Char('a'));
    console.answer(&sample("nginx.yaml"));
    console
        .wait_until("five pods", |s| rows_starting(s, "nginx-dep-") == 5)
        .await;

    // k9s aliases switch views.
    for (command, title) in [
        ("svc", "services(default)"),
        ("ing", "ingresses(default)"),
        ("ep", "endpoints(default)"),
        ("no", "nodes(all)"),
        ("ns", "namespaces(all)"),
        ("rs", "replicasets(default)"),
        ("ev", "events(default)"),
        ("cm", "configmaps(default)"),
        ("sec", "secrets(default)"),
    ] {
        console.command(command);
        let screen = console.screen();
        assert!(screen.contains(title), ":{command} shows\n{screen}");
    }

    // Enter on a Deployment drills into its ReplicaSets, Enter on one into
    // its pods; esc comes back one step at a time.
    console.command_showing("deploy", "nginx-dep").await;
    console.key(KeyCode::Enter);
    let screen = console.screen();
    assert!(
        screen.contains("replicasets(default)[1] <deployment default/nginx-dep>"),
        "{screen}"
    );
    console.key(KeyCode::Enter);
    let screen = console.screen();
    assert!(
        screen.contains("pods(default)[5] <replicaset default/nginx-dep-"),
        "{screen}"
    );
    console.key(KeyCode::Esc);
    assert!(console.screen().contains("replicasets(default)[1]"));
    console.key(KeyCode::Esc);
    assert!(console.screen().contains("deployments(default)[1]"));

    // `/` filters rows by regex; `/-l` by labels; `!` inverts.
    console.command("svc");
    console.search("nginx");
    assert!(console.screen().contains("services(default)[1] </nginx>"));
    console.key(KeyCode::Esc);
    console.search("!nginx");
    let screen = console.screen();
    // What is left is the API server's own Service.
    assert!(
        screen.contains("services(default)[1] </!nginx>") && screen.contains("kubernetes"),
        "{screen}"
    );
    console.key(KeyCode::Esc);
    console.command("pod app=server");
    assert!(console.screen().contains("pods(default)[5] <app=server>"));
    console.command("pod app=nobody");
    assert!(console.screen().contains("pods(default)[0] <app=nobody>"));
    // kubectl's whole selector syntax, in `:` and in `/-l`; a bad one
    // shows no rows and says why.
    console.command("pod app in (server,web),tier!=db");
    let screen = console.screen();
    assert!(
        screen.contains("pods(default)[5] <app in (server,web),tier!=db>"),
        "{screen}"
    );
    console.command("po");
    console.search("-l app!=server");
    assert!(console.screen().contains("pods(default)[0]"));
    console.key(KeyCode::Esc);
    console.search("-l app in server");
    let screen = console.screen();
    assert!(screen.contains("pods(default)[0]"), "{screen}");
    assert!(
        screen.contains("bad label selector \"app in server\""),
        "{screen}"
    );
    console.key(KeyCode::Esc);

    // Shift-n sorts by name, again reverses; the title says so.
    console.command("po");
    console.key(KeyCode::Char('N'));
    console.key(KeyCode::Char('N'));
    let screen = console.screen();
    assert!(screen.contains("pods(default)[5] [↓name]"), "{screen}");
    let names: Vec<&str> = screen
        .lines()
        .filter_map(|line| line.trim_start_matches('│').split_whitespace().next())
        .filter(|name| name.starts_with("nginx-dep-"))
        .collect();
    let mut descending = names.clone();
    descending.sort_by(|a, b| b.cmp(a));
    assert_eq!(names, descending);

    // A typo says what went wrong and what works.
    console.command("frobs");
    assert!(
        console
            .screen()
            .contains("unknown command \"frobs\": try :po")
    );
    console.key(KeyCode::Esc);
    // A near miss names the resource meant, and the line stays to fix it.
    console.command("stss");
    let screen = console.screen();
    assert!(
        screen.contains("did you mean sts (statefulsets.apps)?"),
        "{screen}"
    );
    assert!(screen.contains(":stss"), "{screen}");
    console.key(KeyCode::Backspace);
    console.key(KeyCode::Enter);
    assert!(
        console.screen().contains("statefulsets(default)"),
        "{}",
        console.screen()
    );

    // YAML of a pod, with its keys.
    console.command("po");
    console.key(KeyCode::Char('y'));
    let screen = console.screen();
    assert!(screen.contains("yaml pod default/nginx-dep-"), "{screen}");
    assert!(screen.contains("apiVersion: v1"), "{screen}");
    console.key(KeyCode::Esc);

    // Scaling a pod is refused with what to do instead.
    console.key(KeyCode::Char('i'));
    assert!(
        console
            .screen()
            .contains("set image works on deployments, replicasets, statefulsets, daemonsets and replicationcontrollers, not pods")
    );
}

pub(super) async fn the_editor_shows_the_servers_error_at_its_line_and_applies_the_fix(
    backend: Backend,
) {
    let mut console = Console::start_with(backend).await;
    console.key(KeyCode::Char('a'));
    console.answer(&sample("nginx.yaml"));
    console
        .wait_until("five pods", |s| rows_starting(s, "nginx-dep-") == 5)
        .await;
    console.command_showing("deploy", "nginx-dep").await;
    let object = console
        .cluster
        .store
        .get(Kind::Deployment, "default", "nginx-dep")
        .expect("deployment");
    let text = serde_yaml::to_string(&object.to_json()).expect("yaml");
    let replicas_line = text
        .lines()
        .position(|line| line == "  replicas: 5")
        .expect("spec.replicas in the YAML");

    console.key(KeyCode::Char('e'));
    assert!(
        console
            .screen()
            .contains("edit deployment default/nginx-dep")
    );
    for _ in 0..replicas_line {
        console.key(KeyCode::Down);
    }
    console.key(KeyCode::End);
    console.key(KeyCode::Backspace);
    console.typed("-1");
    // The server's dry run refuses it; the message shows at the line.
    let screen = console
        .wait_until("the server's error in the editor", |s| {
            s.contains("greater than or equal to 0")
        })
        .await;
    assert!(screen.contains("spec.replicas"), "{screen}");
    let error_row = screen
        .lines()
        .position(|line| line.contains("greater than or equal to 0"))
        .expect("error line");
    let value_row = screen
        .lines()
        .position(|line| line.contains("replicas: -1"))
        .expect("edited line");
    assert!(
        error_row == value_row + 1 || error_row == value_row,
        "the error sits at the edited line:\n{screen}"
    );
    // ctrl-s while refused: not applied, the buffer kept.
    console.ctrl('s');
    let screen = console
        .wait_until("the refusal", |s| s.contains("not applied"))
        .await;
    assert!(screen.contains("replicas: -1"), "{screen}");

    // Fixed and applied.
    console.key(KeyCode::Backspace);
    console.key(KeyCode::Backspace);
    console.typed("7");
    console.ctrl('s');
    console
        .wait_until("the edit applied", |s| {
            s.contains("deployment.apps/nginx-dep edited")
        })
        .await;
    assert_eq!(
        deployment(&console).and_then(|d| d.spec.and_then(|s| s.replicas)),
        Some(7)
    );
    console.key(KeyCode::Esc);
    console
        .wait_until("the table again", |s| s.contains("deployments(default)[1]"))
        .await;
}

pub(super) async fn describe_shows_what_kubectl_describe_prints(backend: Backend) {
    let mut console = Console::start_with(backend).await;
    console.key(KeyCode::Char('a'));
    console.answer(&sample("nginx.yaml"));
    console
        .wait_until("five ready pods", |s| s.contains("pods ready 5/5"))
        .await;
    console.key(KeyCode::Char('d'));
    let screen = console.screen();
    for expected in [
        "describe pod default/nginx-dep-",
        "Controlled By:  ReplicaSet/nginx-dep-",
        "Image:          library/nginx:1.14-alpine",
        "State:          Running",
        "Ready:          True",
        "Readiness:      http-get http://:80/",
    ] {
        assert!(screen.contains(expected), "{expected:?} missing:\n{screen}");
    }
    // The events table is at the end: G scrolls there.
    console.key(KeyCode::Char('G'));
    let screen = console.screen();
    for expected in [
        "Events:",
        "Type    Reason",
        "Scheduled",
        "default-scheduler",
    ] {
        assert!(screen.contains(expected), "{expected:?} missing:\n{screen}");
    }
    console.key(KeyCode::Esc);
    console.command_showing("deploy", "nginx-dep").await;
    console.key(KeyCode::Char('d'));
    let screen = console.screen();
    for expected in [
        "Replicas:       5 desired | 5 updated | 5 total |",
        "StrategyType:   RollingUpdate",
        "NewReplicaSet:  nginx-dep-",
        "(5/5 replicas created)",
        "ScalingReplicaSet",
    ] {
        assert!(screen.contains(expected), "{expected:?} missing:\n{screen}");
    }
    // The Ingress: its address and the route table the router serves.
    console.key(KeyCode::Esc);
    console.command("ing");
    console
        .wait_until("the ingress has its address", |s| {
            s.contains("nginx-ingress") && s.contains("127.0.0.1")
        })
        .await;
    console.key(KeyCode::Char('d'));
    let screen = console.screen();
    for expected in [
        "describe ingress default/nginx-ingress",
        "Address:        127.0.0.1:",
        "Default backend: nginx-service:8080",
        "Host                  Path                    Backends",
        "*                     *                       (the default backend)",
    ] {
        assert!(screen.contains(expected), "{expected:?} missing:\n{screen}");
    }
}

/// A Secret's values show in YAML and in the editor: the remote console
/// keeps Secrets without their values and fetches the object on open.
pub(super) async fn a_secret_opens_with_its_values(backend: Backend) {
    let mut console = Console::start_with(backend).await;
    console
        .cluster
        .handle()
        .apply(
            "apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: default}\nstringData: {password: s3cret-value}\n",
            false,
        )
        .await
        .expect("the secret is created");
    console.command("secrets");
    console
        .wait_until("the secret's row", |s| {
            s.contains("secrets(default)[1]") && s.contains("Opaque")
        })
        .await;
    // base64 of s3cret-value
    let value = "czNjcmV0LXZhbHVl";
    console.key(KeyCode::Char('y'));
    let screen = console
        .wait_until("the secret's value in its YAML", |s| s.contains(value))
        .await;
    assert!(screen.contains("yaml secret default/db"), "{screen}");
    console.key(KeyCode::Esc);
    console.key(KeyCode::Char('e'));
    let screen = console
        .wait_until("the editor with the value", |s| {
            s.contains("edit secret default/db") && s.contains(value)
        })
        .await;
    assert!(screen.contains("password:"), "{screen}");
}

pub(super) async fn the_rollout_view_follows_a_set_image_live(backend: Backend) {
    let mut console = Console::start_with(backend).await;
    console.key(KeyCode::Char('a'));
    console.answer(&sample("nginx.yaml"));
    console
        .wait_until("five pods", |s| rows_starting(s, "nginx-dep-") == 5)
        .await;
    console.command_showing("deploy", "nginx-dep").await;
    console.key(KeyCode::Char('o'));
    let screen = console
        .wait_until("the rollout view", |s| {
            s.contains("rollout default/nginx-dep") && s.contains("rev 1")
        })
        .await;
    assert!(screen.contains("max pods 6 (5+1 surge)"), "{screen}");
    assert!(
        screen.contains("min available 4 (5-1 unavailable)"),
        "{screen}"
    );

    // `i` still sets the image of the Deployment shown; a second lane appears.
    console.key(KeyCode::Char('i'));
    console.answer("library/nginx:1.16-alpine");
    let screen = console
        .wait_until("the new revision's lane", |s| {
            s.contains("rev 2") && s.contains("library/nginx:1.16-alpine")
        })
        .await;
    assert!(screen.contains("library/nginx:1.14-alpine"), "{screen}");
    assert!(screen.contains("Progressing"), "{screen}");
    console.key(KeyCode::Esc);
    assert!(console.screen().contains("deployments(default)[1]"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
pub(super) async fn keys_from_the_settings_file_replace_the_defaults() {
    let (settings, warnings) = podium::config::settings::parse_settings(
        "podium.yaml",
        "keys:\n  delete: ctrl-k\n  describe: v\n",
    );
    assert!(warnings.is_empty(), "{warnings:?}");
    let (keymap, warnings) = podium::tui::keymap::Keymap::from_settings(&settings.keys);
    assert!(warnings.is_empty(), "{warnings:?}");
    let mut console = Console::start().await;
    console.app.model.keymap = keymap;
    console.command("ns");
    console
        .wait_until("the default namespace", |s| {
            rows_starting(s, "default") == 1
        })
        .await;
    assert!(console.screen().contains("<ctrl-k> delete"));
    // d no longer describes; v does.
    console.key(KeyCode::Char('d'));
    assert!(!console.screen().contains("describe namespace"));
    console.key(KeyCode::Char('v'));
    let screen = console.screen();
    assert!(screen.contains("describe namespace default"), "{screen}");
    console.key(KeyCode::Esc);
    // ctrl-k asks to delete, naming the object; ctrl-d does nothing.
    console.ctrl('d');
    assert!(!console.screen().contains("Delete namespace"));
    console.ctrl('k');
    assert!(console.screen().contains("Delete namespace default?"));
    console.key(KeyCode::Char('n'));
    // The help says which keys the user moved.
    console.key(KeyCode::Char('?'));
    let screen = console.screen();
    assert!(screen.contains("YOUR KEYS"), "{screen}");
    assert!(
        screen.contains("delete          ctrl-k   (default ctrl-d)"),
        "{screen}"
    );
    assert!(
        screen.contains("describe        v   (default d)"),
        "{screen}"
    );
}
