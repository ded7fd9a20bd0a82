//! Exec in a running container: one-shot with output and exit code, and
//! interactive sessions with stdin and a resizable terminal.

use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use podium::kubelet::runtime::{ExecChunk, ExecRequest, Runtime};

use crate::support::{Cluster, WAIT, pod, shell, strings};

#[tokio::test]
async fn exec_reports_output_and_exit_code() {
    let cluster = Cluster::new("exec").await;
    let runtime = &cluster.runtime;
    let id = cluster
        .run(
            &pod("box"),
            "main",
            strings(&["/bin/busybox", "sleep", "3600"]),
        )
        .await;
    let output = runtime
        .exec(&id, &shell("echo out; echo err >&2; exit 7"))
        .await
        .expect("exec");
    assert_eq!(output.exit_code, 7);
    assert_eq!(String::from_utf8_lossy(&output.stdout), "out\n");
    assert_eq!(String::from_utf8_lossy(&output.stderr), "err\n");

    let missing = runtime
        .exec(&id, &strings(&["/no/such/binary"]))
        .await
        .expect("exec runs, the command does not");
    assert_eq!(
        missing.exit_code, 126,
        "Docker's code for a command it cannot run"
    );
    assert!(
        String::from_utf8_lossy(&missing.stdout).contains("no such file or directory"),
        "{missing:?}"
    );

    runtime
        .stop_container(&id, Duration::from_secs(1))
        .await
        .expect("stop");
    let error = runtime
        .exec(&id, &strings(&["/bin/busybox", "true"]))
        .await
        .expect_err("not running");
    assert!(error.to_string().contains("is not running"), "{error}");
    cluster.finish().await;
}

#[tokio::test]
async fn exec_session_streams_stdin_output_resize_and_exit_code() {
    let cluster = Cluster::new("session").await;
    let runtime = &cluster.runtime;
    let id = cluster
        .run(
            &pod("box"),
            "main",
            strings(&["/bin/busybox", "sleep", "3600"]),
        )
        .await;

    let mut session = runtime
        .exec_session(
            &id,
            &ExecRequest {
                command: shell(
                    "while read line; do echo \"got $line\"; echo warn >&2; done; exit 4",
                ),
                stdin: true,
                tty: false,
            },
        )
        .await
        .expect("exec session");
    let stdin = session.stdin.take().expect("stdin was asked for");
    stdin.send(Bytes::from("a\n")).await.expect("send");
    let mut seen = Vec::new();
    while seen.len() < 2 {
        let chunk = tokio::time::timeout(WAIT, session.output.next())
            .await
            .expect("output in time")
            .expect("output");
        seen.push(chunk);
    }
    seen.sort_by_key(|chunk| matches!(chunk, ExecChunk::Stderr(_)));
    assert_eq!(
        seen,
        vec![
            ExecChunk::Stdout(Bytes::from("got a\n")),
            ExecChunk::Stderr(Bytes::from("warn\n"))
        ]
    );
    drop(stdin);
    while session.output.next().await.is_some() {}
    let code = tokio::time::timeout(WAIT, session.exit_code)
        .await
        .expect("exit in time")
        .expect("exit code");
    assert_eq!(code, 4);

    // A terminal: resized, then asked for its size.
    let mut session = runtime
        .exec_session(
            &id,
            &ExecRequest {
                command: strings(&["/bin/busybox", "sh"]),
                stdin: true,
                tty: true,
            },
        )
        .await
        .expect("tty session");
    let resize = session.resize.take().expect("a tty can be resized");
    resize.send((100, 30)).await.expect("resize");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stdin = session.stdin.take().expect("stdin");
    stdin
        .send(Bytes::from("/bin/busybox stty size; exit 5\n"))
        .await
        .expect("send");
    let mut screen = String::new();
    let finished = tokio::time::timeout(WAIT, async {
        while let Some(chunk) = session.output.next().await {
            if let ExecChunk::Stdout(bytes) = chunk {
                screen.push_str(&String::from_utf8_lossy(&bytes));
            }
        }
    })
    .await;
    assert!(finished.is_ok(), "the shell did not end: {screen:?}");
    assert!(screen.contains("30 100"), "{screen:?}");
    assert_eq!(session.exit_code.await.expect("exit code"), 5);
    cluster.finish().await;
}
