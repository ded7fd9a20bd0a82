//! Workloads from the keys: apply, scale, set image, restart, undo,
//! rollback, new objects and expose, delete.

use crossterm::event::KeyCode;
use k8s_openapi::api::apps::v1::Deployment;
use podium::api::Kind;

use super::{deployment, image};
use crate::harness::{Backend, Console, rows_starting, sample};

pub(super) async fn apply_scale_set_image_undo_and_delete_from_the_keys(backend: Backend) {
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
    console.command_showing("deploy", "nginx-dep").await;
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
pub(super) async fn undo_after_a_restart_restores_the_revision_exactly(backend: Backend) {
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
pub(super) async fn ctrl_l_rolls_back_to_a_replica_set_and_p_and_f_open_their_views(
    backend: Backend,
) {
    let mut console = Console::start_with(backend).await;
    console.key(KeyCode::Char('a'));
    console.answer(&sample("nginx.yaml"));
    console
        .wait_until("five running pods", |s| s.matches("Running").count() >= 5)
        .await;
    console.command_showing("deploy", "nginx-dep").await;
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
    console.search(&name);
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
pub(super) async fn new_and_expose_create_a_deployment_and_its_service_from_the_keys(
    backend: Backend,
) {
    let mut console = Console::start_with(backend).await;
    console.command("new frobs");
    let screen = console.screen();
    assert!(screen.contains("no template for \"frobs\""), "{screen}");
    assert!(
        screen.contains(":new frobs"),
        "the line stays to be corrected: {screen}"
    );
    console.key(KeyCode::Esc);
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
pub(super) async fn set_image_reaches_every_container_by_name(backend: Backend) {
    let mut console = Console::start_with(backend).await;
    console.create(
        Kind::Deployment,
        serde_json::json!({
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
        }),
    );
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
