//! Container logs: tail, follow, timestamps.

use std::time::Duration;

use futures::StreamExt;
use podium::kubelet::runtime::{LogRequest, Runtime, RuntimeError};

use crate::support::{Cluster, WAIT, logs_text, pod, read_until, shell, strings};

#[tokio::test]
async fn logs_tail_follow_and_timestamps() {
    let cluster = Cluster::new("logs").await;
    let runtime = &cluster.runtime;
    let id = cluster
        .run(
            &pod("talker"),
            "main",
            shell(
                "echo one; echo two; sleep 0.3; echo three >&2; \
                 while [ ! -f /tmp/go ]; do sleep 0.1; done; \
                 while true; do echo tick; sleep 0.2; done",
            ),
        )
        .await;
    let mut all = runtime
        .logs(
            &id,
            &LogRequest {
                follow: true,
                ..Default::default()
            },
        )
        .await
        .expect("logs");
    read_until(&mut all, "three").await;

    let tail = logs_text(
        runtime,
        &id,
        LogRequest {
            tail_lines: Some(2),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(tail, "two\nthree\n");

    let stamped = logs_text(
        runtime,
        &id,
        LogRequest {
            tail_lines: Some(1),
            timestamps: true,
            ..Default::default()
        },
    )
    .await;
    let (stamp, line) = stamped.split_once(' ').expect("timestamp, then the line");
    assert_eq!(line, "three\n");
    let stamp: jiff::Timestamp = stamp.parse().expect("an RFC 3339 timestamp");
    let age = jiff::Timestamp::now().duration_since(stamp);
    assert!(age < jiff::SignedDuration::from_secs(60), "{stamp}");

    // Following from now on: only what comes next (the ticks start once
    // /tmp/go exists).
    let mut next = runtime
        .logs(
            &id,
            &LogRequest {
                follow: true,
                tail_lines: Some(0),
                ..Default::default()
            },
        )
        .await
        .expect("logs");
    runtime
        .exec(&id, &strings(&["/bin/busybox", "touch", "/tmp/go"]))
        .await
        .expect("exec");
    // (The request goes out when the stream is first read: the first tick
    // may come before it, later ones after.)
    let ticks = read_until(&mut next, "tick\ntick\n").await;
    assert!(ticks.lines().all(|line| line == "tick"), "{ticks:?}");
    read_until(&mut all, "tick").await;

    // A stream being followed ends when the container does.
    runtime
        .stop_container(&id, Duration::from_secs(1))
        .await
        .expect("stop");
    let ended = tokio::time::timeout(WAIT, async { while next.next().await.is_some() {} }).await;
    assert!(
        ended.is_ok(),
        "the followed log did not end with the container"
    );

    assert!(matches!(
        runtime
            .logs("no-such-container", &LogRequest::default())
            .await,
        Err(RuntimeError::NoSuchContainer(_))
    ));
    cluster.finish().await;
}
