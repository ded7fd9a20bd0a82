//! What a person does without kubectl: apply the nginx sample, watch the
//! pods come up, scale, set image, undo, delete — from the keys.

use crossterm::event::KeyCode;
use k8s_openapi::api::apps::v1::Deployment;
use podium::api::Kind;

use crate::harness::{Backend, Console, rows_starting, sample};

fn deployment(console: &Console) -> Option<Deployment> {
    console
        .cluster
        .store
        .get_as::<Deployment>("default", "nginx-dep")
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

async fn apply_scale_set_image_undo_and_delete_from_the_keys(backend: Backend) {
    let mut console = Console::start_with(backend).await;

    // `a` offers the nginx sample; the user types the path and Enter.
    console.key(KeyCode::Char('a'));
    assert!(console.screen().contains("apply file: samples/nginx.yaml"));
    console.answer(&sample("nginx.yaml"));
    let screen = console
        .wait_until("the five nginx pods Running and the apply's answer", |s| {
            rows_starting(s, "nginx-dep-") == 5
                && s.matches("Running").count() >= 5
                && s.contains("deployment.apps/nginx-dep created")
        })
        .await;
    assert!(screen.contains("pods(default)[5]"), "{screen}");

    // `:deploy`, then `s` 10: the Deployment is scaled and ten pods follow.
    console.command("deploy");
    console.key(KeyCode::Char('s'));
    assert!(
        console
            .screen()
            .contains("scale deployment default/nginx-dep to replicas: 5")
    );
    console.answer("10");
    console
        .wait_until("ten ready replicas", |s| s.contains("10/10"))
        .await;
    assert_eq!(
        deployment(&console).and_then(|d| d.spec.and_then(|s| s.replicas)),
        Some(10)
    );

    // `i` sets the image: a second ReplicaSet appears.
    console.key(KeyCode::Char('i'));
    assert!(console.screen().contains("image of container nginx"));
    console.answer("library/nginx:1.16-alpine");
    console
        .wait_until("the image update flash", |s| {
            s.contains("deployment.apps/nginx-dep image updated")
        })
        .await;
    let deployed = deployment(&console).expect("deployment");
    assert_eq!(image(&deployed), "library/nginx:1.16-alpine");
    // The rollouts pane shows it under way (the sample's minReadySeconds
    // keeps it there longer than this test waits).
    console
        .wait_until("the rollouts pane", |s| {
            s.contains("rollouts under way (1)")
                && s.contains("deployment default/nginx-dep")
                && s.contains("Progressing")
        })
        .await;
    let store = console.cluster.store.clone();
    console
        .wait_until("two replicasets", |_| {
            store
                .list(Kind::ReplicaSet, Some("default"), &Default::default())
                .items
                .len()
                == 2
        })
        .await;

    // `u` offers the revisions, the one before the current first; a
    // revision that does not exist is refused with the ones that do.
    console.key(KeyCode::Char('u'));
    let screen = console.screen();
    assert!(
        screen.contains("back to revision (1 library/nginx:1.14-alpine)"),
        "{screen}"
    );
    console.answer("7");
    console
        .wait_until("the refusal", |s| {
            s.contains("no revision \"7\" of deployment default/nginx-dep; its revisions are 1, 2")
        })
        .await;
    console.key(KeyCode::Char('u'));
    console.key(KeyCode::Enter);
    console
        .wait_until("the undo flash", |s| {
            s.contains("rolled back (to revision 1)")
        })
        .await;
    assert_eq!(
        image(&deployment(&console).expect("deployment")),
        "library/nginx:1.14-alpine"
    );

    // ctrl-d asks, naming the object; `n` keeps it, `y` deletes it.
    console.ctrl('d');
    let dialog = console.screen();
    assert!(
        dialog.contains("Delete deployment default/nginx-dep?"),
        "{dialog}"
    );
    console.key(KeyCode::Char('n'));
    assert!(console.screen().contains("nothing deleted"));
    assert!(deployment(&console).is_some());
    console.ctrl('d');
    console.key(KeyCode::Char('y'));
    console
        .wait_until("the delete flash", |s| {
            s.contains("deployment.apps/nginx-dep deleted")
        })
        .await;
    assert!(deployment(&console).is_none());
}

/// `u` after `r`: the revision comes back exactly (upstream replaces the
/// whole template), so the restart's annotation goes; a paused Deployment
/// is refused with what to do.
async fn undo_after_a_restart_restores_the_revision_exactly(backend: Backend) {
    let mut console = Console::start_with(backend).await;
    console.key(KeyCode::Char('a'));
    console.answer(&sample("nginx.yaml"));
    console
        .wait_until("the apply's answer", |s| {
            s.contains("deployment.apps/nginx-dep created")
        })
        .await;
    console.command("deploy");
    console
        .wait_until("the deployment listed", |s| {
            rows_starting(s, "nginx-dep") == 1
        })
        .await;
    console.key(KeyCode::Char('r'));
    console
        .wait_until("the restart flash", |s| {
            s.contains("deployment.apps/nginx-dep restarted")
        })
        .await;
    let restarted_at = |console: &Console| {
        deployment(console)
            .and_then(|d| d.spec?.template.metadata?.annotations)
            .is_some_and(|a| a.contains_key("kubectl.kubernetes.io/restartedAt"))
    };
    assert!(restarted_at(&console));
    let store = console.cluster.store.clone();
    console
        .wait_until("revision 2", |_| {
            store
                .list(Kind::ReplicaSet, Some("default"), &Default::default())
                .items
                .len()
                == 2
        })
        .await;

    console.key(KeyCode::Char('u'));
    console.key(KeyCode::Enter);
    console
        .wait_until("the undo flash", |s| {
            s.contains("deployment.apps/nginx-dep rolled back (to revision 1)")
        })
        .await;
    assert!(!restarted_at(&console), "the restart's annotation is gone");

    // Paused: refused, nothing changes.
    let mut paused = deployment(&console).expect("deployment");
    if let Some(spec) = paused.spec.as_mut() {
        spec.paused = Some(true);
    }
    store
        .update(paused, podium::store::UpdateScope::Main)
        .expect("pause");
    console
        .wait_until("the pause seen", |_| {
            store
                .get_as::<Deployment>("default", "nginx-dep")
                .and_then(|d| d.spec?.paused)
                .unwrap_or(false)
        })
        .await;
    console.key(KeyCode::Char('u'));
    console.key(KeyCode::Enter);
    console
        .wait_until("the refusal", |s| {
            s.contains(
                "deployment.apps/nginx-dep is paused: a paused deployment cannot be rolled back",
            )
        })
        .await;
}

/// k9s's table keys: `ctrl-l` on a ReplicaSet rolls its Deployment back to
/// that revision (asked as `u` asks), `p` opens previous logs, `f` the
/// port-forwards.
async fn ctrl_l_rolls_back_to_a_replica_set_and_p_and_f_open_their_views(backend: Backend) {
    let mut console = Console::start_with(backend).await;
    console.key(KeyCode::Char('a'));
    console.answer(&sample("nginx.yaml"));
    console
        .wait_until("five running pods", |s| s.matches("Running").count() >= 5)
        .await;
    console.command("deploy");
    console.key(KeyCode::Char('i'));
    console.answer("library/nginx:1.16-alpine");
    let store = console.cluster.store.clone();
    let replica_sets = || {
        store
            .list(Kind::ReplicaSet, Some("default"), &Default::default())
            .items
    };
    console
        .wait_until("two replicasets", |_| replica_sets().len() == 2)
        .await;
    let first = replica_sets()
        .into_iter()
        .find(|rs| {
            rs.meta()
                .annotations
                .as_ref()
                .and_then(|a| a.get("deployment.kubernetes.io/revision"))
                .is_some_and(|r| r == "1")
        })
        .expect("revision 1's replicaset");
    let name = first.name().to_string();

    console.command("rs");
    console.key(KeyCode::Char('/'));
    console.typed(&name);
    console.key(KeyCode::Enter);
    console
        .wait_until("the first replicaset alone", |s| {
            s.contains("replicasets(default)[1]")
        })
        .await;
    console.ctrl('l');
    let screen = console.screen();
    assert!(
        screen.contains("roll deployment default/nginx-dep back to revision"),
        "{screen}"
    );
    console.key(KeyCode::Enter);
    console
        .wait_until("the rollback flash", |s| {
            s.contains("deployment.apps/nginx-dep rolled back (to revision 1)")
        })
        .await;
    assert_eq!(
        image(&deployment(&console).expect("deployment")),
        "library/nginx:1.14-alpine"
    );
    // A Deployment's own pods are no ReplicaSet.
    console.key(KeyCode::Esc);
    console.command("po");
    console.ctrl('l');
    assert!(console.screen().contains("select one in :rs"));

    console.key(KeyCode::Char('p'));
    let screen = console
        .wait_until("the previous logs", |s| s.contains("· previous"))
        .await;
    assert!(screen.contains("logs nginx-dep-"), "{screen}");
    console.key(KeyCode::Esc);
    console.key(KeyCode::Char('f'));
    assert!(console.screen().contains("portforwards[0]"));
}

/// The walkthrough's `create deployment` and `expose` from the keys:
/// `:new deploy` opens the editor on a template and ctrl-s creates it;
/// `x` on the deployment opens the Service `kubectl expose` would create.
async fn new_and_expose_create_a_deployment_and_its_service_from_the_keys(backend: Backend) {
    let mut console = Console::start_with(backend).await;
    console.command("new frobs");
    assert!(console.screen().contains("no template for \"frobs\""));
    console.command("new deploy");
    let screen = console.screen();
    assert!(screen.contains("new deployment"), "{screen}");
    assert!(screen.contains("kind: Deployment"), "{screen}");
    console.ctrl('s');
    console
        .wait_until("the create flash", |s| {
            s.contains("deployment.apps/web created")
        })
        .await;
    console.key(KeyCode::Esc);
    console.command("deploy");
    console
        .wait_until("the deployment listed", |s| rows_starting(s, "web") == 1)
        .await;
    console.key(KeyCode::Char('x'));
    let screen = console.screen();
    assert!(screen.contains("expose deployment default/web"), "{screen}");
    console.ctrl('s');
    console
        .wait_until("the service created", |s| s.contains("service/web created"))
        .await;
    let service = console
        .cluster
        .store
        .get_as::<k8s_openapi::api::core::v1::Service>("default", "web")
        .expect("the service");
    let spec = service.spec.expect("spec");
    assert_eq!(spec.type_.as_deref(), Some("NodePort"));
    assert_eq!(spec.selector.expect("selector")["app"], "web");
    let port = &spec.ports.expect("ports")[0];
    assert_eq!(port.port, 8080);
    assert!(port.node_port.is_some(), "a node port is allocated");
}

/// `i` on a workload of several containers names the others and takes
/// kubectl's `NAME=IMAGE` pairs.
async fn set_image_reaches_every_container_by_name(backend: Backend) {
    let mut console = Console::start_with(backend).await;
    let two: Deployment = serde_json::from_value(serde_json::json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "pair", "namespace": "default"},
        "spec": {
            "selector": {"matchLabels": {"app": "pair"}},
            "template": {
                "metadata": {"labels": {"app": "pair"}},
                "spec": {"containers": [
                    {"name": "web", "image": "library/nginx:1.14-alpine"},
                    {"name": "side", "image": "library/busybox:1.35"},
                ]},
            },
        },
    }))
    .expect("a deployment");
    console.cluster.store.create(two).expect("create");
    console.command("deploy");
    console
        .wait_until("the deployment listed", |s| rows_starting(s, "pair") == 1)
        .await;
    console.key(KeyCode::Char('i'));
    let screen = console.screen();
    assert!(
        screen.contains("image of container web in deployment default/pair (NAME=IMAGE for side)"),
        "{screen}"
    );
    console.answer("web=library/nginx:1.16-alpine side=library/busybox:1.36");
    console
        .wait_until("the image flash", |s| {
            s.contains("deployment.apps/pair image updated")
        })
        .await;
    let images: Vec<String> = console
        .cluster
        .store
        .get_as::<Deployment>("default", "pair")
        .and_then(|d| d.spec)
        .and_then(|s| s.template.spec)
        .map(|s| s.containers.into_iter().filter_map(|c| c.image).collect())
        .unwrap_or_default();
    assert_eq!(
        images,
        ["library/nginx:1.16-alpine", "library/busybox:1.36"]
    );
    console.key(KeyCode::Char('i'));
    console.answer("db=postgres:16");
    console
        .wait_until("the refusal", |s| {
            s.contains("has no container db; its containers are web, side")
        })
        .await;
}

async fn views_filters_drill_down_and_errors(backend: Backend) {
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
    console.command("deploy");
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
    console.key(KeyCode::Char('/'));
    console.typed("nginx");
    console.key(KeyCode::Enter);
    assert!(console.screen().contains("services(default)[1] </nginx>"));
    console.key(KeyCode::Esc);
    console.key(KeyCode::Char('/'));
    console.typed("!nginx");
    console.key(KeyCode::Enter);
    let screen = console.screen();
    assert!(
        screen.contains("services(default)[0] </!nginx>"),
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
    console.key(KeyCode::Char('/'));
    console.typed("-l app!=server");
    console.key(KeyCode::Enter);
    assert!(console.screen().contains("pods(default)[0]"));
    console.key(KeyCode::Esc);
    console.key(KeyCode::Char('/'));
    console.typed("-l app in server");
    console.key(KeyCode::Enter);
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
            .contains("set image works on deployments and replicasets (:deploy)")
    );
}

async fn logs_of_a_deployment_interleave_its_pods(backend: Backend) {
    let mut console = Console::start_with(backend).await;
    console.key(KeyCode::Char('a'));
    console.answer(&sample("nginx.yaml"));
    console
        .wait_until("five running pods", |s| s.matches("Running").count() >= 5)
        .await;
    console.command("deploy");
    console.key(KeyCode::Char('l'));
    let screen = console
        .wait_until("log lines from several pods", |s| {
            s.lines()
                .filter(|line| line.contains("│nginx-dep-"))
                .map(|line| line.split_whitespace().next().unwrap_or("").to_string())
                .collect::<std::collections::BTreeSet<_>>()
                .len()
                >= 2
        })
        .await;
    assert!(screen.contains("logs 5 pods (nginx)"), "{screen}");
    assert!(screen.contains("autoscroll on"), "{screen}");
    // Scaled up meanwhile (by someone else): the new pods join the view
    // as their containers start, as k9s shows them.
    let store = console.cluster.store.clone();
    let mut scaled = deployment(&console).expect("deployment");
    if let Some(spec) = scaled.spec.as_mut() {
        spec.replicas = Some(7);
    }
    store
        .update(scaled, podium::store::UpdateScope::Main)
        .expect("scale");
    let screen = console
        .wait_until("the new pods' streams", |s| {
            s.contains("logs 7 pods (nginx)") && s.contains("joined")
        })
        .await;
    assert!(screen.contains("listening on 0.0.0.0:80/tcp"), "{screen}");
    console.key(KeyCode::Char('s'));
    assert!(console.screen().contains("autoscroll off"));
    // `/` searches; the hits are highlighted and counted.
    console.key(KeyCode::Char('/'));
    console.typed("listening");
    console.key(KeyCode::Enter);
    let screen = console.screen();
    assert!(screen.contains("listening on 0.0.0.0:80/tcp"), "{screen}");
    console.key(KeyCode::Esc);
    console.key(KeyCode::Esc);
    assert!(console.screen().contains("deployments(default)[1]"));
}

/// A container that crashed and was restarted is followed again: its next
/// run's lines come into the same view.
async fn the_logs_of_a_pod_follow_its_restarted_container(backend: Backend) {
    let mut console = Console::start_with(backend).await;
    let pod: k8s_openapi::api::core::v1::Pod = serde_json::from_value(serde_json::json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "crashy",
            "namespace": "default",
            "annotations": {"sim.podium.dev/crash-after-seconds": "1"},
        },
        "spec": {"containers": [{"name": "app", "image": "library/nginx:1.14-alpine"}]},
    }))
    .expect("a pod");
    console.cluster.store.create(pod).expect("create");
    console.command("po");
    console
        .wait_until("the pod running", |s| {
            s.contains("crashy") && s.contains("Running")
        })
        .await;
    console.key(KeyCode::Char('l'));
    let screen = console
        .wait_until("the restarted container's lines", |s| {
            s.contains("log stream of crashy ended") && s.matches("started from image").count() >= 2
        })
        .await;
    assert!(screen.contains("logs crashy (app)"), "{screen}");
}

/// `a` in the logs of a pod of several containers shows them all, each
/// line tagged with its container (k9s's `a`); again: the one chosen.
async fn a_in_the_logs_view_shows_every_container(backend: Backend) {
    let mut console = Console::start_with(backend).await;
    let duo: k8s_openapi::api::core::v1::Pod = serde_json::from_value(serde_json::json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "duo", "namespace": "default"},
        "spec": {"containers": [
            {"name": "main", "image": "library/nginx:1.14-alpine"},
            {"name": "side", "image": "library/busybox:1.36"},
        ]},
    }))
    .expect("a pod");
    console.cluster.store.create(duo).expect("create");
    console.command("po");
    console
        .wait_until("the pod running", |s| {
            s.contains("duo") && s.contains("Running")
        })
        .await;
    console.key(KeyCode::Char('l'));
    console
        .wait_until("the first container's lines", |s| {
            s.contains("logs duo (main)") && s.contains("container \"main\" started")
        })
        .await;
    console.key(KeyCode::Char('a'));
    let screen = console
        .wait_until("both containers' lines, tagged", |s| {
            s.contains("logs duo (all containers)")
                && s.contains("main podium-sim: container \"main\" started")
                && s.contains("side podium-sim: container \"side\" started")
        })
        .await;
    assert!(screen.contains("a all"), "{screen}");
    console.key(KeyCode::Char('a'));
    console
        .wait_until("back to the chosen container", |s| {
            s.contains("logs duo (main)")
        })
        .await;
    // `f`: the logs over the whole terminal, no header; again: back.
    assert!(console.screen().contains("podium cluster"));
    console.key(KeyCode::Char('f'));
    let screen = console.screen();
    assert!(!screen.contains("podium cluster"), "{screen}");
    let first = screen.lines().next().unwrap_or_default();
    assert!(first.contains("logs duo (main)"), "{screen}");
    console.key(KeyCode::Char('f'));
    assert!(console.screen().contains("podium cluster"));
}

async fn the_editor_shows_the_servers_error_at_its_line_and_applies_the_fix(backend: Backend) {
    let mut console = Console::start_with(backend).await;
    console.key(KeyCode::Char('a'));
    console.answer(&sample("nginx.yaml"));
    console
        .wait_until("five pods", |s| rows_starting(s, "nginx-dep-") == 5)
        .await;
    console.command("deploy");
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

async fn describe_shows_what_kubectl_describe_prints(backend: Backend) {
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
    console.command("deploy");
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
async fn a_secret_opens_with_its_values(backend: Backend) {
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

async fn the_rollout_view_follows_a_set_image_live(backend: Backend) {
    let mut console = Console::start_with(backend).await;
    console.key(KeyCode::Char('a'));
    console.answer(&sample("nginx.yaml"));
    console
        .wait_until("five pods", |s| rows_starting(s, "nginx-dep-") == 5)
        .await;
    console.command("deploy");
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
async fn keys_from_the_settings_file_replace_the_defaults() {
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

/// The console's flows run on both handles: the embedded one, and kube-rs
/// against the same cluster's API server (a real Kubernetes client).
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod embedded {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::Backend::Embedded).await
                }
            )*
        }
        mod kube {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::Backend::Kube).await
                }
            )*
        }
    };
}

on_both_backends!(
    apply_scale_set_image_undo_and_delete_from_the_keys,
    undo_after_a_restart_restores_the_revision_exactly,
    ctrl_l_rolls_back_to_a_replica_set_and_p_and_f_open_their_views,
    new_and_expose_create_a_deployment_and_its_service_from_the_keys,
    set_image_reaches_every_container_by_name,
    views_filters_drill_down_and_errors,
    logs_of_a_deployment_interleave_its_pods,
    the_logs_of_a_pod_follow_its_restarted_container,
    a_in_the_logs_view_shows_every_container,
    the_editor_shows_the_servers_error_at_its_line_and_applies_the_fix,
    describe_shows_what_kubectl_describe_prints,
    a_secret_opens_with_its_values,
    the_rollout_view_follows_a_set_image_live
);
