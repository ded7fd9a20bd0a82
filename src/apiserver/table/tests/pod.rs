//! Pod rows: READY, STATUS and RESTARTS as `kubectl get pods` shows them.

use serde_json::{Value, json};

use super::{ago, cells, default_cells, render};
use crate::api::{Kind, Object};
use crate::apiserver::table::pod_status_reason;

pub(super) fn running_pod() -> Value {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {
            "name": "hello-world-67999bd854-rgd26", "namespace": "default",
            "labels": {"app": "hello-world", "pod-template-hash": "67999bd854"},
            "creationTimestamp": ago(9 * 60 + 4),
        },
        "spec": {"nodeName": "podium-node", "containers": [{"name": "echoserver", "image": "k8s.gcr.io/echoserver:1.4"}]},
        "status": {
            "phase": "Running", "podIP": "10.244.0.5", "podIPs": [{"ip": "10.244.0.5"}],
            "conditions": [{"type": "Ready", "status": "True"}],
            "containerStatuses": [{
                "name": "echoserver", "image": "k8s.gcr.io/echoserver:1.4", "imageID": "",
                "ready": true, "restartCount": 0, "started": true,
                "state": {"running": {"startedAt": ago(9 * 60)}},
            }],
        },
    })
}

#[test]
fn running_pod_row_matches_kubectl() {
    assert_eq!(
        default_cells(Kind::Pod, running_pod()),
        [
            "hello-world-67999bd854-rgd26",
            "1/1",
            "Running",
            "0",
            "9m4s"
        ]
    );
    assert_eq!(
        cells(Kind::Pod, running_pod())[5..],
        ["10.244.0.5", "podium-node", "<none>", "<none>"]
    );
}

#[test]
fn crash_looping_pod_shows_reason_and_last_restart() {
    let mut pod = running_pod();
    pod["status"]["containerStatuses"][0] = json!({
        "name": "echoserver", "image": "busybox", "imageID": "",
        "ready": false, "restartCount": 3,
        "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 40s"}},
        "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": ago(5 * 60)}},
    });
    assert_eq!(
        default_cells(Kind::Pod, pod),
        [
            "hello-world-67999bd854-rgd26",
            "0/1",
            "CrashLoopBackOff",
            "3 (5m ago)",
            "9m4s"
        ]
    );
}

#[test]
fn pending_pod_without_status_has_no_ip_or_node() {
    let pod = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "web", "namespace": "default", "creationTimestamp": ago(3)},
        "spec": {"containers": [{"name": "web", "image": "nginx"}]},
        "status": {"phase": "Pending"},
    });
    assert_eq!(
        cells(Kind::Pod, pod),
        [
            "web", "0/1", "Pending", "0", "3s", "<none>", "<none>", "<none>", "<none>"
        ]
    );
}

#[test]
fn image_pull_failures_show_the_waiting_reason() {
    for reason in ["ErrImagePull", "ImagePullBackOff", "ContainerCreating"] {
        let mut pod = running_pod();
        pod["status"]["phase"] = json!("Pending");
        pod["status"]["containerStatuses"][0]["ready"] = json!(false);
        pod["status"]["containerStatuses"][0]["state"] = json!({"waiting": {"reason": reason}});
        let parsed = Object::from_json(Kind::Pod, pod).expect("pod");
        let Object::Pod(pod) = parsed else {
            panic!("not a pod")
        };
        assert_eq!(pod_status_reason(&pod), reason);
    }
}

#[test]
fn init_containers_show_progress() {
    let pod = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "init-demo", "creationTimestamp": ago(30)},
        "spec": {
            "initContainers": [{"name": "setup", "image": "busybox"}, {"name": "migrate", "image": "busybox"}],
            "containers": [{"name": "app", "image": "nginx"}],
        },
        "status": {
            "phase": "Pending",
            "initContainerStatuses": [
                {"name": "setup", "image": "busybox", "imageID": "", "ready": false, "restartCount": 0,
                 "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}},
                {"name": "migrate", "image": "busybox", "imageID": "", "ready": false, "restartCount": 0,
                 "state": {"running": {}}},
            ],
            "containerStatuses": [{"name": "app", "image": "nginx", "imageID": "", "ready": false,
                "restartCount": 0, "state": {"waiting": {"reason": "PodInitializing"}}}],
        },
    });
    assert_eq!(default_cells(Kind::Pod, pod)[1..3], ["0/1", "Init:1/2"]);
}

#[test]
fn failing_init_container_shows_its_reason() {
    let pod = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "init-demo", "creationTimestamp": ago(30)},
        "spec": {"initContainers": [{"name": "setup", "image": "busybox"}], "containers": [{"name": "app", "image": "nginx"}]},
        "status": {"phase": "Pending", "initContainerStatuses": [
            {"name": "setup", "image": "busybox", "imageID": "", "ready": false, "restartCount": 2,
             "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]},
    });
    assert_eq!(
        default_cells(Kind::Pod, pod)[1..4],
        ["0/1", "Init:CrashLoopBackOff", "2"]
    );
}

#[test]
fn completed_and_terminating_pods() {
    let completed = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "job-x", "creationTimestamp": ago(120)},
        "spec": {"containers": [{"name": "main", "image": "busybox"}]},
        "status": {"phase": "Succeeded", "containerStatuses": [{"name": "main", "image": "busybox",
            "imageID": "", "ready": false, "restartCount": 0,
            "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]},
    });
    assert_eq!(
        default_cells(Kind::Pod, completed.clone())[1..5],
        ["0/1", "Completed", "0", "2m"]
    );
    assert_eq!(
        render(Kind::Pod, completed)["rows"][0]["conditions"],
        json!([{"type": "Completed", "status": "True", "reason": "Succeeded",
            "message": "The pod has completed successfully."}])
    );
    assert!(
        render(Kind::Pod, running_pod())["rows"][0]
            .get("conditions")
            .is_none()
    );

    let mut terminating = running_pod();
    terminating["metadata"]["deletionTimestamp"] = json!(ago(-30));
    assert_eq!(default_cells(Kind::Pod, terminating)[2], "Terminating");

    let mut lost = running_pod();
    lost["metadata"]["deletionTimestamp"] = json!(ago(-30));
    lost["status"]["reason"] = json!("NodeLost");
    assert_eq!(default_cells(Kind::Pod, lost)[2], "Unknown");

    let mut exited = running_pod();
    exited["status"]["containerStatuses"][0]["state"] =
        json!({"terminated": {"exitCode": 137, "signal": 9}});
    assert_eq!(default_cells(Kind::Pod, exited)[2], "Signal:9");
}
