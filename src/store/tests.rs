use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec};
use k8s_openapi::api::core::v1::{Namespace, NamespaceSpec, Pod, PodSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};

use super::*;

fn meta(ns: &str, name: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.into()),
        namespace: (!ns.is_empty()).then(|| ns.to_string()),
        ..Default::default()
    }
}

fn namespace(name: &str) -> Namespace {
    Namespace {
        metadata: meta("", name),
        spec: Some(NamespaceSpec {
            finalizers: Some(vec!["kubernetes".into()]),
        }),
        ..Default::default()
    }
}

fn store_with_default() -> Store {
    Store::in_memory_with_default_namespace()
}

fn deployment(name: &str, replicas: i32) -> Deployment {
    Deployment {
        metadata: meta("default", name),
        spec: Some(DeploymentSpec {
            replicas: Some(replicas),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn pod(name: &str, node: Option<&str>) -> Pod {
    Pod {
        metadata: meta("default", name),
        spec: Some(PodSpec {
            node_name: node.map(str::to_string),
            ..Default::default()
        }),
        ..Default::default()
    }
}

#[test]
fn create_assigns_identity_and_rejects_duplicates() {
    let store = store_with_default();
    let created = store.create(deployment("web", 1)).expect("create");
    let meta = created.meta();
    assert!(meta.uid.is_some());
    assert_eq!(meta.generation, Some(1));
    assert_eq!(created.resource_version(), 2);
    assert!(meta.creation_timestamp.is_some());
    let again = store.create(deployment("web", 1)).expect_err("duplicate");
    assert_eq!(again.to_string(), "deployments.apps \"web\" already exists");
}

#[test]
fn create_needs_an_existing_namespace() {
    let store = Store::in_memory();
    let error = store
        .create(deployment("web", 1))
        .expect_err("no namespace");
    assert_eq!(error.to_string(), "namespaces \"default\" not found");
}

#[test]
fn generate_name_uses_the_kubernetes_alphabet() {
    let store = store_with_default();
    let mut p = pod("", None);
    p.metadata.name = None;
    p.metadata.generate_name = Some("web-7d4b9c-".into());
    let created = store.create(p).expect("create");
    let suffix = created.name().strip_prefix("web-7d4b9c-").expect("prefix");
    assert_eq!(suffix.len(), 5);
    assert!(suffix.bytes().all(|b| NAME_ALPHABET.contains(&b)));
}

#[test]
fn stale_resource_version_conflicts_and_spec_changes_bump_generation() {
    let store = store_with_default();
    let created = store.create(deployment("web", 1)).expect("create");
    let mut changed = created.as_typed::<Deployment>().expect("typed").clone();
    changed.spec.as_mut().expect("spec").replicas = Some(3);
    let updated = store
        .update(changed.clone(), UpdateScope::Main)
        .expect("update");
    assert_eq!(updated.meta().generation, Some(2));

    // `changed` still carries the old resourceVersion.
    let error = store
        .update(changed, UpdateScope::Main)
        .expect_err("stale update");
    assert!(
        error
            .to_string()
            .contains("Operation cannot be fulfilled on deployments.apps \"web\""),
        "{error}"
    );

    // Labels are metadata: no generation change.
    let mut labelled = updated.as_typed::<Deployment>().expect("typed").clone();
    labelled.metadata.labels = Some(BTreeMap::from([("a".into(), "b".into())]));
    let labelled = store.update(labelled, UpdateScope::Main).expect("label");
    assert_eq!(labelled.meta().generation, Some(2));
}

#[test]
fn identical_update_writes_nothing() {
    let store = store_with_default();
    let created = store.create(deployment("web", 1)).expect("create");
    let rv = store.resource_version();
    let same = store
        .update((*created).clone(), UpdateScope::Main)
        .expect("update");
    assert_eq!(store.resource_version(), rv);
    assert_eq!(same.resource_version(), created.resource_version());
}

#[test]
fn status_scope_changes_only_status() {
    let store = store_with_default();
    store.create(deployment("web", 1)).expect("create");
    let mut d: Deployment = store.get_as("default", "web").expect("get");
    d.spec.as_mut().expect("spec").replicas = Some(9);
    d.status = Some(k8s_openapi::api::apps::v1::DeploymentStatus {
        replicas: Some(1),
        ..Default::default()
    });
    store
        .update(d.clone(), UpdateScope::Status)
        .expect("status");
    let stored: Deployment = store.get_as("default", "web").expect("get");
    assert_eq!(stored.spec.as_ref().and_then(|s| s.replicas), Some(1));
    assert_eq!(stored.status.as_ref().and_then(|s| s.replicas), Some(1));

    // And a main update keeps the stored status.
    let mut main = stored.clone();
    main.status = None;
    store.update(main, UpdateScope::Main).expect("main");
    let stored: Deployment = store.get_as("default", "web").expect("get");
    assert_eq!(stored.status.as_ref().and_then(|s| s.replicas), Some(1));
}

#[test]
fn finalizers_hold_deletion_until_removed() {
    let store = store_with_default();
    store.create(deployment("web", 1)).expect("create");
    let options = DeleteOptions {
        propagation: Some(Propagation::Foreground),
        ..Default::default()
    };
    let pending = store
        .delete(Kind::Deployment, "default", "web", &options)
        .expect("delete");
    let Deletion::Pending(object) = pending else {
        panic!("expected a pending deletion");
    };
    assert!(object.meta().deletion_timestamp.is_some());
    assert_eq!(
        object.meta().finalizers.as_deref(),
        Some(&[FOREGROUND_FINALIZER.to_string()][..])
    );
    let mut d = object.as_typed::<Deployment>().expect("typed").clone();
    d.metadata.finalizers = None;
    store.update(d, UpdateScope::Main).expect("finalize");
    assert!(store.get(Kind::Deployment, "default", "web").is_none());
}

#[test]
fn bound_pods_wait_for_the_kubelet() {
    let store = store_with_default();
    store.create(pod("bound", Some("node-1"))).expect("pod");
    store.create(pod("loose", None)).expect("pod");
    let loose = store
        .delete(Kind::Pod, "default", "loose", &DeleteOptions::default())
        .expect("delete");
    assert!(matches!(loose, Deletion::Removed(_)));

    let bound = store
        .delete(Kind::Pod, "default", "bound", &DeleteOptions::default())
        .expect("delete");
    let Deletion::Pending(object) = bound else {
        panic!("a bound pod waits for its kubelet");
    };
    assert_eq!(object.meta().deletion_grace_period_seconds, Some(30));
    let force = DeleteOptions {
        grace_period_seconds: Some(0),
        ..Default::default()
    };
    let gone = store
        .delete(Kind::Pod, "default", "bound", &force)
        .expect("delete");
    assert!(matches!(gone, Deletion::Removed(_)));
}

#[test]
fn namespace_deletion_waits_for_its_finalizer() {
    let store = store_with_default();
    let pending = store
        .delete(Kind::Namespace, "", "default", &DeleteOptions::default())
        .expect("delete");
    let Deletion::Pending(object) = pending else {
        panic!("namespace keeps its finalizer");
    };
    let ns = object.as_typed::<Namespace>().expect("typed");
    assert_eq!(
        ns.status.as_ref().and_then(|s| s.phase.as_deref()),
        Some("Terminating")
    );
    let error = store.create(deployment("web", 1)).expect_err("terminating");
    assert!(error.to_string().contains("because it is being terminated"));
    let mut ns = ns.clone();
    ns.spec = Some(NamespaceSpec { finalizers: None });
    store.update(ns, UpdateScope::Main).expect("finalize");
    assert!(store.get(Kind::Namespace, "", "default").is_none());
}

#[test]
fn dependents_follow_owner_references() {
    let store = store_with_default();
    let mut p = pod("child", None);
    p.metadata.owner_references = Some(vec![OwnerReference {
        api_version: "apps/v1".into(),
        kind: "ReplicaSet".into(),
        name: "web-1".into(),
        uid: "owner-uid".into(),
        controller: Some(true),
        ..Default::default()
    }]);
    store.create(p).expect("pod");
    assert_eq!(store.dependents("owner-uid").len(), 1);
    let mut orphaned: Pod = store.get_as("default", "child").expect("get");
    orphaned.metadata.owner_references = None;
    store.update(orphaned, UpdateScope::Main).expect("orphan");
    assert!(store.dependents("owner-uid").is_empty());
}

#[test]
fn list_filters_by_namespace() {
    let store = store_with_default();
    store.create(namespace("other")).expect("ns");
    store.create(deployment("a", 1)).expect("a");
    let mut b = deployment("b", 1);
    b.metadata.namespace = Some("other".into());
    store.create(b).expect("b");
    let all = store.list(Kind::Deployment, None, &ListFilter::default());
    assert_eq!(all.items.len(), 2);
    let default = store.list(Kind::Deployment, Some("default"), &ListFilter::default());
    assert_eq!(default.items.len(), 1);
    assert_eq!(default.items[0].name(), "a");
}

#[tokio::test]
async fn watch_resumes_from_a_resource_version_without_gaps() {
    let store = store_with_default();
    let first = store.create(deployment("a", 1)).expect("a");
    store.create(deployment("b", 1)).expect("b");
    let mut watch = store
        .watch(Some(Kind::Deployment), Some(first.resource_version()))
        .expect("watch");
    store.create(deployment("c", 1)).expect("c");
    let mut names = Vec::new();
    for _ in 0..2 {
        match watch.next().await {
            Some(WatchItem::Event(e)) => names.push(e.object.name().to_string()),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(names, ["b", "c"]);
}

/// Changes one deployment `times` times (the ring fills without the
/// number of objects, and so its capacity, growing).
fn churn(store: &Store, times: usize) {
    store.create(deployment("churn", 0)).expect("create");
    for i in 0..times {
        store
            .update(deployment("churn", i as i32 + 1), UpdateScope::Main)
            .expect("update");
    }
}

#[test]
fn watch_from_before_the_history_is_gone() {
    let store = store_with_default();
    churn(&store, watch::RESUMABLE + 5);
    let error = store.watch(None, Some(1)).expect_err("too old");
    assert!(matches!(error, StoreError::Gone { .. }));
    assert!(error.to_string().starts_with("too old resource version"));
}

#[tokio::test]
async fn a_watcher_behind_the_resumable_changes_still_gets_every_one() {
    let store = store_with_default();
    let mut watch = store.watch(Some(Kind::Deployment), None).expect("watch");
    churn(&store, watch::RESUMABLE + 5);
    let mut seen = 0;
    while let Some(WatchItem::Event(event)) = watch.next().await {
        seen += 1;
        if event.resource_version == store.resource_version() {
            break;
        }
    }
    assert_eq!(seen, watch::RESUMABLE + 6, "the create and every update");
}

#[test]
fn a_watch_of_a_kind_may_start_where_none_of_its_changes_was_lost() {
    let store = store_with_default();
    let pod = store.create(pod("p", None)).expect("pod");
    churn(&store, watch::RESUMABLE + 5);
    assert!(
        store
            .watch(Some(Kind::Pod), Some(pod.resource_version()))
            .is_ok(),
        "only deployments changed since"
    );
    assert!(matches!(
        store.watch(Some(Kind::Deployment), Some(pod.resource_version())),
        Err(StoreError::Gone { .. })
    ));
}

#[tokio::test]
async fn after_a_list_its_kind_is_kept_for_the_watch_that_follows() {
    let store = store_with_default();
    let listed = store.list(Kind::Deployment, None, &ListFilter::default());
    store.keep_for_watch(Kind::Deployment, listed.resource_version);
    churn(&store, watch::RESUMABLE + 5);
    let mut watch = store
        .watch(Some(Kind::Deployment), Some(listed.resource_version))
        .expect("the list's version is still watchable");
    assert!(matches!(watch.next().await, Some(WatchItem::Event(_))));
}

#[test]
fn after_a_restart_changes_before_it_cannot_be_watched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rv = {
        let store = Store::open(dir.path()).expect("open");
        store.create(namespace("default")).expect("ns");
        store
            .create(deployment("d", 1))
            .expect("d")
            .resource_version()
    };
    let store = Store::open(dir.path()).expect("reopen");
    store.create(deployment("e", 1)).expect("e");
    assert!(matches!(
        store.watch(Some(Kind::Deployment), Some(rv - 1)),
        Err(StoreError::Gone { .. })
    ));
    assert!(store.watch(Some(Kind::Deployment), Some(rv)).is_ok());
}

#[tokio::test]
async fn a_waiting_watcher_wakes_for_a_later_change() {
    let store = store_with_default();
    let mut watch = store.watch(Some(Kind::Deployment), None).expect("watch");
    let waiting = tokio::spawn(async move {
        match watch.next().await {
            Some(WatchItem::Event(e)) => e.object.name().to_string(),
            other => panic!("unexpected {other:?}"),
        }
    });
    tokio::task::yield_now().await;
    store
        .create(pod("p", None))
        .expect("a pod, which this watch skips");
    store.create(deployment("later", 1)).expect("later");
    let name = tokio::time::timeout(std::time::Duration::from_secs(5), waiting)
        .await
        .expect("woken")
        .expect("task");
    assert_eq!(name, "later");
}

#[test]
fn reopening_replays_the_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let store = Store::open(dir.path()).expect("open");
        store.create(namespace("default")).expect("ns");
        store.create(deployment("keep", 2)).expect("keep");
        store.create(deployment("drop", 1)).expect("drop");
        store
            .delete(
                Kind::Deployment,
                "default",
                "drop",
                &DeleteOptions::default(),
            )
            .expect("delete");
    }
    let store = Store::open(dir.path()).expect("reopen");
    assert!(store.get(Kind::Deployment, "default", "drop").is_none());
    let keep: Deployment = store.get_as("default", "keep").expect("kept");
    assert_eq!(keep.spec.and_then(|s| s.replicas), Some(2));
    // resourceVersions keep counting up after a restart.
    assert_eq!(store.resource_version(), 4);
    let next = store.create(deployment("next", 1)).expect("next");
    assert_eq!(next.resource_version(), 5);
}

#[test]
fn a_torn_last_record_is_dropped_and_the_rest_kept() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let store = Store::open(dir.path()).expect("open");
        store.create(namespace("default")).expect("ns");
        store.create(deployment("whole", 1)).expect("whole");
    }
    let segment = segment_files(dir.path()).pop().expect("a segment");
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&segment)
        .expect("open segment");
    std::io::Write::write_all(&mut file, br#"{"rv":3,"op":"put","object":{"apiVers"#)
        .expect("write");
    let store = Store::open(dir.path()).expect("reopen");
    assert!(store.get(Kind::Deployment, "default", "whole").is_some());
    assert_eq!(store.resource_version(), 2);
}

#[test]
fn a_damaged_record_is_reported_with_its_path_and_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let store = Store::open(dir.path()).expect("open");
        store.create(namespace("default")).expect("ns");
        store.create(deployment("a", 1)).expect("a");
        store.create(deployment("b", 1)).expect("b");
    }
    let segment = segment_files(dir.path()).pop().expect("a segment");
    let text = std::fs::read_to_string(&segment).expect("read");
    let mut lines: Vec<&str> = text.lines().collect();
    lines[1] = "this is not json";
    std::fs::write(&segment, lines.join("\n") + "\n").expect("write");
    let error = Store::open(dir.path()).err().expect("damaged");
    let message = error.to_string();
    assert!(
        message.starts_with(&format!("{}:2:", segment.display())),
        "{message}"
    );
    assert!(message.contains("will not overwrite it"), "{message}");
    // Nothing was replaced.
    assert_eq!(
        std::fs::read_to_string(&segment).expect("read"),
        lines.join("\n") + "\n"
    );
}

#[test]
fn compaction_keeps_every_object() {
    let dir = tempfile::tempdir().expect("tempdir");
    let records = persist_threshold() + 100;
    {
        let store = Store::open(dir.path()).expect("open");
        store.create(namespace("default")).expect("ns");
        store.create(deployment("counter", 0)).expect("create");
        for i in 0..records {
            store
                .mutate::<Deployment>("default", "counter", UpdateScope::Main, |d| {
                    if let Some(spec) = d.spec.as_mut() {
                        spec.replicas = Some(i as i32 % 7 + 1);
                    }
                    true
                })
                .expect("mutate");
        }
        store.create(deployment("after", 1)).expect("after");
        // Let the background snapshot finish.
        for _ in 0..200 {
            if snapshot_files(dir.path()) == 1 && segment_files(dir.path()).len() == 1 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert_eq!(snapshot_files(dir.path()), 1, "a snapshot was written");
    }
    let store = Store::open(dir.path()).expect("reopen");
    let counter: Deployment = store.get_as("default", "counter").expect("counter");
    assert_eq!(
        counter.spec.and_then(|s| s.replicas),
        Some((records - 1) as i32 % 7 + 1)
    );
    assert!(store.get(Kind::Deployment, "default", "after").is_some());
}

fn persist_threshold() -> usize {
    super::persist::MIN_RECORDS_BEFORE_COMPACTION
}

fn segment_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("read dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("wal-"))
        })
        .collect();
    files.sort();
    files
}

fn snapshot_files(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .expect("read dir")
        .filter_map(|e| e.ok())
        .filter(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            name.starts_with("snapshot-") && name.ends_with(".jsonl")
        })
        .count()
}

fn secret(name: &str, password: &str) -> k8s_openapi::api::core::v1::Secret {
    use k8s_openapi::ByteString;
    let mut metadata = meta("default", name);
    metadata.annotations = Some(BTreeMap::from([(
        "kubectl.kubernetes.io/last-applied-configuration".to_string(),
        format!(r#"{{"stringData":{{"password":"{password}"}}}}"#),
    )]));
    k8s_openapi::api::core::v1::Secret {
        metadata,
        data: Some(BTreeMap::from([(
            "password".to_string(),
            ByteString(password.as_bytes().to_vec()),
        )])),
        ..Default::default()
    }
}

fn password_of(store: &Store, name: &str) -> Option<Vec<u8>> {
    let secret: k8s_openapi::api::core::v1::Secret = store.get_as("default", name)?;
    secret.data?.get("password").map(|b| b.0.clone())
}

/// Everything the store's files hold, as text.
fn store_files_text(dir: &std::path::Path) -> String {
    std::fs::read_dir(dir)
        .expect("read dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .map(|p| String::from_utf8_lossy(&std::fs::read(&p).expect("read")).into_owned())
        .collect()
}

fn encrypted(dir: &std::path::Path) -> AtRest {
    let key_file = dir.join(KEY_FILE);
    AtRest {
        key: Some(SecretsKey::load_or_create(&key_file).expect("key")),
        key_file,
    }
}

#[test]
fn under_a_key_secrets_are_sealed_on_disk_and_read_back() {
    let data = tempfile::tempdir().expect("tempdir");
    let dir = data.path().join("store");
    let at_rest = encrypted(data.path());
    {
        let store = Store::open_with(&dir, &at_rest).expect("open");
        store.create(namespace("default")).expect("ns");
        store.create(secret("s", "hunter2-unique")).expect("secret");
        store.create(deployment("d", 1)).expect("not a secret");
    }
    let text = store_files_text(&dir);
    assert!(!text.contains("hunter2-unique"), "{text}");
    // Neither the data's base64 nor the last-applied annotation shows.
    assert!(!text.contains("aHVudGVyMi11bmlxdWU"), "{text}");
    assert!(!text.contains("last-applied"), "{text}");
    assert!(
        text.contains(r#""object":"k8s:enc:secretbox:v1:podium:"#),
        "{text}"
    );
    // Other kinds stay readable JSON.
    assert!(text.contains(r#""kind":"Deployment""#), "{text}");

    let store = Store::open_with(&dir, &at_rest).expect("reopen");
    assert_eq!(
        password_of(&store, "s").as_deref(),
        Some(&b"hunter2-unique"[..])
    );
    let secret = store.get(Kind::Secret, "default", "s").expect("secret");
    assert!(
        secret
            .meta()
            .annotations
            .as_ref()
            .is_some_and(|a| a.contains_key("kubectl.kubernetes.io/last-applied-configuration"))
    );
}

#[test]
fn sealed_secrets_without_the_key_stop_the_start_naming_the_key_file() {
    let data = tempfile::tempdir().expect("tempdir");
    let dir = data.path().join("store");
    {
        let store = Store::open_with(&dir, &encrypted(data.path())).expect("open");
        store.create(namespace("default")).expect("ns");
        store.create(secret("s", "hunter2-unique")).expect("secret");
    }
    let error = Store::open(&dir).err().expect("refused").to_string();
    let key_file = data.path().join(KEY_FILE);
    assert!(error.contains(&key_file.display().to_string()), "{error}");
    assert!(error.contains("--encrypt-secrets"), "{error}");
    assert!(error.contains("wal-"), "names the record: {error}");
}

#[test]
fn sealed_secrets_under_another_key_stop_the_start_saying_what_to_do() {
    let data = tempfile::tempdir().expect("tempdir");
    let dir = data.path().join("store");
    {
        let store = Store::open_with(&dir, &encrypted(data.path())).expect("open");
        store.create(namespace("default")).expect("ns");
        store.create(secret("s", "hunter2-unique")).expect("secret");
    }
    std::fs::remove_file(data.path().join(KEY_FILE)).expect("lose the key");
    let error = Store::open_with(&dir, &encrypted(data.path()))
        .err()
        .expect("refused")
        .to_string();
    assert!(error.contains("cannot decrypt"), "{error}");
    assert!(error.contains("from your backup"), "{error}");
}

#[test]
fn a_clear_store_opened_under_a_key_reads_old_secrets_and_rewrites_them_sealed() {
    let data = tempfile::tempdir().expect("tempdir");
    let dir = data.path().join("store");
    {
        let store = Store::open(&dir).expect("open");
        store.create(namespace("default")).expect("ns");
        store
            .create(secret("old", "hunter2-unique"))
            .expect("secret");
    }
    assert!(store_files_text(&dir).contains("aHVudGVyMi11bmlxdWU"));
    let at_rest = encrypted(data.path());
    {
        let store = Store::open_with(&dir, &at_rest).expect("reopen under a key");
        assert_eq!(
            password_of(&store, "old").as_deref(),
            Some(&b"hunter2-unique"[..])
        );
        store
            .create(secret("new", "swordfish-unique"))
            .expect("secret");
        // The snapshot taken at open replaces the clear log.
        for _ in 0..500 {
            if !store_files_text(&dir).contains("aHVudGVyMi11bmlxdWU") {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let text = store_files_text(&dir);
        assert!(!text.contains("aHVudGVyMi11bmlxdWU"), "{text}");
        assert!(!text.contains("c3dvcmRmaXNoLXVuaXF1ZQ"), "{text}");
        assert_eq!(snapshot_files(&dir), 1);
    }
    let store = Store::open_with(&dir, &at_rest).expect("reopen");
    assert_eq!(
        password_of(&store, "old").as_deref(),
        Some(&b"hunter2-unique"[..])
    );
    assert_eq!(
        password_of(&store, "new").as_deref(),
        Some(&b"swordfish-unique"[..])
    );
}

fn config_map_of(name: &str, bytes: usize) -> k8s_openapi::api::core::v1::ConfigMap {
    k8s_openapi::api::core::v1::ConfigMap {
        metadata: meta("default", name),
        data: Some(BTreeMap::from([("blob".to_string(), "x".repeat(bytes))])),
        ..Default::default()
    }
}

#[test]
fn an_object_past_etcds_limit_is_refused_and_nothing_changes() {
    let store = store_with_default();
    let rv = store.resource_version();
    let error = store
        .create(config_map_of("big", MAX_OBJECT_BYTES))
        .expect_err("refused");
    let StoreError::TooLarge { size, limit, .. } = &error else {
        panic!("too large expected: {error}");
    };
    assert!(*size > MAX_OBJECT_BYTES);
    assert_eq!(*limit, 1_572_864);
    assert_eq!(
        error.to_string(),
        format!(
            "etcdserver: request is too large (configmaps \"big\" is {size} bytes serialized; the limit is 1572864)"
        )
    );
    assert_eq!(store.resource_version(), rv, "no resourceVersion spent");
    assert!(store.get(Kind::ConfigMap, "default", "big").is_none());

    // An update that grows an object past it is refused too; it stays as it was.
    store
        .create(config_map_of("grows", 10))
        .expect("small is fine");
    let error = store
        .update(config_map_of("grows", 2 * 1024 * 1024), UpdateScope::Main)
        .expect_err("refused");
    assert!(matches!(error, StoreError::TooLarge { .. }), "{error}");
    let kept: k8s_openapi::api::core::v1::ConfigMap =
        store.get_as("default", "grows").expect("kept");
    assert_eq!(
        kept.data.and_then(|d| d.get("blob").map(String::len)),
        Some(10)
    );
    // Deleting writes no object: always possible.
    store
        .delete(
            Kind::ConfigMap,
            "default",
            "grows",
            &DeleteOptions::default(),
        )
        .expect("deleted");
}

#[test]
fn the_limit_holds_for_a_store_on_disk_and_nothing_is_logged() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let store = Store::open(dir.path()).expect("open");
        store.create(namespace("default")).expect("ns");
        let just_under = MAX_OBJECT_BYTES - 1000;
        store
            .create(config_map_of("fits", just_under))
            .expect("under the limit");
        assert!(matches!(
            store.create(config_map_of("big", MAX_OBJECT_BYTES)),
            Err(StoreError::TooLarge { .. })
        ));
    }
    let store = Store::open(dir.path()).expect("reopen");
    assert!(store.get(Kind::ConfigMap, "default", "fits").is_some());
    assert!(store.get(Kind::ConfigMap, "default", "big").is_none());
    assert_eq!(store.resource_version(), 2);
}
