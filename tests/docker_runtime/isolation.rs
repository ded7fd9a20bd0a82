//! Several podiums on one engine: each sees and removes only its own
//! containers, and never one it did not create.

use futures::StreamExt;
use podium::kubelet::runtime::{LABEL_CLUSTER, Runtime};

use crate::support::{Cluster, PlainContainer, WAIT, docker_cli, pod, strings};

#[tokio::test]
async fn a_cluster_sees_and_removes_only_its_own_containers() {
    let mine = Cluster::new("mine").await;
    let theirs = Cluster::new("theirs").await;
    let plain = PlainContainer::run();
    let plain = plain.0.as_str();

    let mut my_events = mine.runtime.events();
    let their_pod = pod("theirs");
    let their_sandbox = theirs
        .runtime
        .run_sandbox(&theirs.sandbox_spec(&their_pod, &[]))
        .await
        .expect("sandbox")
        .expect("docker has sandboxes");
    let their_container = theirs
        .run(
            &their_pod,
            "main",
            strings(&["/bin/busybox", "sleep", "3600"]),
        )
        .await;
    let my_pod = pod("mine");
    let my_container = mine
        .run(&my_pod, "main", strings(&["/bin/busybox", "sleep", "3600"]))
        .await;

    // The first event this cluster hears of is its own container's.
    let first = tokio::time::timeout(WAIT, my_events.next())
        .await
        .expect("an event in time")
        .expect("an event");
    assert_eq!(first.container_id, my_container);
    assert_eq!(first.labels.get(LABEL_CLUSTER), Some(&mine.id));

    let listed: Vec<String> = mine
        .runtime
        .list_containers()
        .await
        .expect("list")
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(listed, vec![my_container.clone()]);

    assert_eq!(
        mine.runtime
            .remove_cluster_containers()
            .await
            .expect("reset"),
        1
    );
    let mut still_theirs: Vec<String> = theirs
        .runtime
        .list_containers()
        .await
        .expect("list")
        .into_iter()
        .map(|c| c.id)
        .collect();
    still_theirs.sort();
    let mut expected = vec![their_sandbox.id.clone(), their_container.clone()];
    expected.sort();
    assert_eq!(still_theirs, expected);
    assert_eq!(
        docker_cli(&["inspect", "--format", "{{.State.Running}}", plain]),
        "true",
        "a container podium did not create is untouched"
    );
    theirs.finish().await;
}
