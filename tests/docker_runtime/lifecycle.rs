//! A container's life: exit codes and events, stop with its grace period,
//! an OOM kill, and the configuration (env, args, working dir, mounts)
//! reaching the process.

use std::time::{Duration, Instant};

use podium::kubelet::runtime::{
    ContainerRunState, LABEL_CONTAINER_NAME, LogRequest, Mount, ResourceLimits, Runtime,
    RuntimeError, RuntimeEventKind,
};

use crate::support::{Cluster, IMAGE, docker_cli, logs_text, next_event, pod, shell, strings};

#[tokio::test]
async fn an_exit_is_reported_as_died_and_inspected_as_exited() {
    let cluster = Cluster::new("exit").await;
    let runtime = &cluster.runtime;
    let mut events = runtime.events();
    let job = pod("job");
    let id = cluster.run(&job, "main", shell("echo hi; exit 3")).await;

    let created = next_event(&mut events, &id).await;
    assert_eq!(created.kind, RuntimeEventKind::Created);
    assert_eq!(created.pod_uid(), Some(job.uid.as_str()));
    assert_eq!(
        created.labels.get(LABEL_CONTAINER_NAME).map(String::as_str),
        Some("main")
    );
    assert_eq!(
        next_event(&mut events, &id).await.kind,
        RuntimeEventKind::Started
    );
    assert_eq!(
        next_event(&mut events, &id).await.kind,
        RuntimeEventKind::Died {
            exit_code: 3,
            oom_killed: false
        }
    );
    let info = runtime.inspect_container(&id).await.expect("inspect");
    assert_eq!(info.state, ContainerRunState::Exited);
    assert_eq!(info.exit_code, Some(3));
    assert!(!info.oom_killed);
    let started = info.started_at.expect("started_at");
    let finished = info.finished_at.expect("finished_at");
    assert!(finished >= started, "{started} .. {finished}");
    assert!(info.image_id.starts_with("sha256:"), "{}", info.image_id);
    assert_eq!(info.image, IMAGE);

    runtime.remove_container(&id).await.expect("remove");
    assert_eq!(
        next_event(&mut events, &id).await.kind,
        RuntimeEventKind::Removed
    );
    assert!(matches!(
        runtime.inspect_container(&id).await,
        Err(RuntimeError::NoSuchContainer(_))
    ));

    // A container never started is Created, with no times.
    let idle = runtime
        .create_container(&cluster.container_spec(&job, "idle", shell("true")))
        .await
        .expect("create");
    let info = runtime.inspect_container(&idle).await.expect("inspect");
    assert_eq!(info.state, ContainerRunState::Created);
    assert_eq!(
        (info.started_at, info.finished_at, info.exit_code),
        (None, None, None)
    );
    cluster.finish().await;
}

#[tokio::test]
async fn stop_waits_for_a_graceful_exit_and_kills_after_the_grace_period() {
    let cluster = Cluster::new("stop").await;
    let runtime = &cluster.runtime;
    let app = pod("app");
    let polite = cluster
        .run(
            &app,
            "polite",
            shell("trap 'echo bye; exit 0' TERM; while true; do sleep 0.1; done"),
        )
        .await;
    let stubborn = cluster
        .run(
            &app,
            "stubborn",
            shell("trap '' TERM; while true; do sleep 0.1; done"),
        )
        .await;
    // Let the shells install their traps.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let began = Instant::now();
    runtime
        .stop_container(&polite, Duration::from_secs(10))
        .await
        .expect("stop");
    assert!(
        began.elapsed() < Duration::from_secs(5),
        "{:?}",
        began.elapsed()
    );
    let info = runtime.inspect_container(&polite).await.expect("inspect");
    assert_eq!(
        (info.state, info.exit_code),
        (ContainerRunState::Exited, Some(0))
    );
    assert!(
        logs_text(runtime, &polite, LogRequest::default())
            .await
            .contains("bye")
    );

    let began = Instant::now();
    runtime
        .stop_container(&stubborn, Duration::from_secs(2))
        .await
        .expect("stop");
    let took = began.elapsed();
    assert!(
        took >= Duration::from_secs(2),
        "killed before the grace ended: {took:?}"
    );
    let info = runtime.inspect_container(&stubborn).await.expect("inspect");
    assert_eq!(
        (info.state, info.exit_code),
        (ContainerRunState::Exited, Some(137))
    );
    runtime
        .stop_container(&stubborn, Duration::from_secs(2))
        .await
        .expect("stopping a stopped container is fine");
    cluster.finish().await;
}

#[tokio::test]
async fn memory_limit_oom_kill_is_reported() {
    let cluster = Cluster::new("oom").await;
    let runtime = &cluster.runtime;
    let mut events = runtime.events();
    let hog = pod("hog");
    let mut spec = cluster.container_spec(
        &hog,
        "main",
        shell("x=$(/bin/busybox head -c 300000000 /dev/zero | /bin/busybox tr '\\0' a); echo survived"),
    );
    spec.limits = ResourceLimits {
        memory_bytes: Some(32 << 20),
        cpu_millis: Some(500),
    };
    let id = runtime.create_container(&spec).await.expect("create");
    let limits = docker_cli(&[
        "inspect",
        "--format",
        "{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}}",
        &id,
    ]);
    assert_eq!(limits, format!("{} 500000000", 32 << 20));
    runtime.start_container(&id).await.expect("start");
    let died = loop {
        let event = next_event(&mut events, &id).await;
        if let RuntimeEventKind::Died { .. } = event.kind {
            break event.kind;
        }
    };
    assert_eq!(
        died,
        RuntimeEventKind::Died {
            exit_code: 137,
            oom_killed: true
        }
    );
    let info = runtime.inspect_container(&id).await.expect("inspect");
    assert!(info.oom_killed);
    assert_eq!(info.exit_code, Some(137));
    cluster.finish().await;
}

#[tokio::test]
async fn env_args_working_dir_and_read_only_mounts_reach_the_process() {
    let cluster = Cluster::new("config").await;
    let runtime = &cluster.runtime;
    let data = tempfile::tempdir().expect("temp dir");
    std::fs::write(data.path().join("hello.txt"), "hi from the host\n").expect("write");
    let job = pod("configured");
    let mut spec = cluster.container_spec(&job, "main", strings(&["/bin/busybox"]));
    spec.args = strings(&[
        "sh",
        "-c",
        "echo \"$GREETING\"; pwd; cat hello.txt; touch written 2>/dev/null || echo read-only",
    ]);
    spec.env = vec![("GREETING".to_string(), "hello $world".to_string())];
    spec.working_dir = Some("/config".to_string());
    spec.mounts = vec![Mount {
        host_path: data.path().to_path_buf(),
        container_path: "/config".to_string(),
        read_only: true,
    }];
    let mut events = runtime.events();
    let id = runtime.create_container(&spec).await.expect("create");
    runtime.start_container(&id).await.expect("start");
    while !matches!(
        next_event(&mut events, &id).await.kind,
        RuntimeEventKind::Died { exit_code: 0, .. }
    ) {}
    assert_eq!(
        logs_text(runtime, &id, LogRequest::default()).await,
        "hello $world\n/config\nhi from the host\nread-only\n"
    );
    assert!(!data.path().join("written").exists());

    // The same name again (a retry with the same restart count) is a new
    // container beside the old one, which stays untouched.
    let again = runtime.create_container(&spec).await.expect("create again");
    assert_ne!(again, id);
    let names = docker_cli(&["inspect", "--format", "{{.Name}}", &id, &again]);
    let (first, second) = names.split_once('\n').expect("two names");
    assert_eq!(first, format!("/k8s_main_configured_default_{}_0", job.uid));
    assert!(second.starts_with(&format!("{first}_")), "{second}");
    cluster.finish().await;
}
