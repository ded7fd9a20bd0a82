//! StatefulSets with their claims, and DaemonSets, driven by the real
//! kubectl over the simulated runtime with kubernetes.io's manifests:
//! ordinal pods, a Bound claim per pod from the default class, one daemon
//! pod per node, `rollout status|history|undo`, scale, and the claims kept
//! after the set goes; and `kubectl top` over the simulated runtime's load
//! model.

mod common;

use std::time::Duration;

use common::Podium;

const WEB: &str = r#"
apiVersion: v1
kind: Service
metadata:
  name: nginx
  labels:
    app: nginx
spec:
  ports:
  - port: 80
    name: web
  clusterIP: None
  selector:
    app: nginx
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
spec:
  serviceName: "nginx"
  replicas: 3
  selector:
    matchLabels:
      app: nginx
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
      - name: nginx
        image: registry.k8s.io/nginx-slim:0.21
        ports:
        - containerPort: 80
          name: web
        volumeMounts:
        - name: www
          mountPath: /usr/share/nginx/html
  volumeClaimTemplates:
  - metadata:
      name: www
    spec:
      accessModes: [ "ReadWriteOnce" ]
      resources:
        requests:
          storage: 1Gi
"#;

const MINUTE: Duration = Duration::from_secs(60);
/// `-o` for the pods' names and their first containers' images.
const NAMES: &str = "jsonpath={.items[*].metadata.name}";
const IMAGES: &str = "jsonpath={.items[*].spec.containers[0].image}";

/// `kubectl get pods -l <selector> -o <output>`.
fn pods_query<'a>(selector: &'a str, output: &'a str) -> [&'a str; 6] {
    ["get", "pods", "-l", selector, "-o", output]
}

#[test]
fn the_tutorials_stateful_set_runs_rolls_back_and_keeps_its_claims() {
    let podium = Podium::start();
    let out = podium.apply(WEB);
    assert!(out.contains("statefulset.apps/web created"), "{out}");
    let status = podium.ok(&["rollout", "status", "sts/web", "--timeout=60s"]);
    assert!(
        status.contains("partitioned roll out complete: 3 new pods have been updated"),
        "{status}"
    );
    assert_eq!(
        podium.ok(&pods_query("app=nginx", NAMES)),
        "web-0 web-1 web-2"
    );
    assert_eq!(
        podium.ok(&[
            "get",
            "sts",
            "web",
            "-o",
            "jsonpath={.status.readyReplicas}"
        ]),
        "3"
    );
    let table = podium.ok(&["get", "sts", "web", "--no-headers"]);
    assert!(table.contains("3/3"), "{table}");
    let claims = podium.wait_for(&["get", "pvc", "--no-headers"], MINUTE, |out| {
        out.lines().filter(|l| l.contains("Bound")).count() == 3
    });
    for ordinal in 0..3 {
        let line = claims
            .lines()
            .find(|l| l.starts_with(&format!("www-web-{ordinal} ")))
            .unwrap_or_else(|| panic!("www-web-{ordinal}:\n{claims}"));
        assert!(
            line.contains("1Gi") && line.contains("RWO") && line.contains("standard"),
            "{line}"
        );
    }
    let volumes = podium.ok(&["get", "pv", "--no-headers"]);
    assert_eq!(volumes.lines().count(), 3, "{volumes}");
    assert!(
        volumes
            .lines()
            .all(|l| l.contains("Bound") && l.contains("default/www-web-")),
        "{volumes}"
    );
    assert_eq!(
        podium.ok(&[
            "get",
            "pod",
            "web-1",
            "-o",
            "jsonpath={.spec.hostname}.{.spec.subdomain}"
        ]),
        "web-1.nginx"
    );

    // A new image rolls from the top; history lists both revisions.
    podium.ok(&[
        "set",
        "image",
        "sts/web",
        "nginx=registry.k8s.io/nginx-slim:0.24",
    ]);
    let status = podium.ok(&["rollout", "status", "sts/web", "--timeout=60s"]);
    // kubectl reads the defaulted partition (0) as a partitioned roll out,
    // on a real cluster too.
    assert!(
        status.contains("partitioned roll out complete: 3 new pods have been updated"),
        "{status}"
    );
    assert_eq!(
        podium.ok(&pods_query("app=nginx", IMAGES)),
        ["registry.k8s.io/nginx-slim:0.24"; 3].join(" ")
    );
    let history = podium.ok(&["rollout", "history", "sts/web"]);
    let revisions: Vec<&str> = history
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| w.parse::<u32>().is_ok())
        .collect();
    assert_eq!(revisions, ["1", "2"], "{history}");
    let undo = podium.ok(&["rollout", "undo", "sts/web"]);
    assert!(undo.contains("statefulset.apps/web rolled back"), "{undo}");
    podium.ok(&["rollout", "status", "sts/web", "--timeout=60s"]);
    podium.wait_for(&pods_query("app=nginx", IMAGES), MINUTE, |out| {
        out.split_whitespace()
            .filter(|i| *i == "registry.k8s.io/nginx-slim:0.21")
            .count()
            == 3
    });
    let history = podium.ok(&["rollout", "history", "sts/web"]);
    assert!(
        history.lines().any(|l| l.starts_with('3')),
        "undo renumbers revision 1 as 3:\n{history}"
    );

    // Scaled down from the top; the claims stay, as upstream keeps them.
    podium.ok(&["scale", "sts", "web", "--replicas=1"]);
    podium.wait_for(&pods_query("app=nginx", NAMES), MINUTE, |out| {
        out == "web-0"
    });
    let describe = podium.ok(&["describe", "sts", "web"]);
    assert!(
        describe.contains("delete Pod web-2 in StatefulSet web successful"),
        "{describe}"
    );
    assert!(
        describe.contains("create Claim www-web-0 Pod web-0 in StatefulSet web success"),
        "{describe}"
    );
    podium.ok(&["delete", "sts", "web"]);
    podium.wait_for(&pods_query("app=nginx", "name"), MINUTE, str::is_empty);
    assert_eq!(podium.ok(&["get", "pvc", "-o", "name"]).lines().count(), 3);

    // A claim deleted by hand takes its provisioned volume with it.
    podium.ok(&["delete", "pvc", "www-web-2"]);
    podium.wait_for(&["get", "pv", "--no-headers"], MINUTE, |out| {
        out.lines().count() == 2
    });
}

const FLUENTD: &str = r#"
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: fluentd-elasticsearch
  namespace: kube-system
  labels:
    k8s-app: fluentd-logging
spec:
  selector:
    matchLabels:
      name: fluentd-elasticsearch
  template:
    metadata:
      labels:
        name: fluentd-elasticsearch
    spec:
      tolerations:
      - key: node-role.kubernetes.io/control-plane
        operator: Exists
        effect: NoSchedule
      containers:
      - name: fluentd-elasticsearch
        image: quay.io/fluentd_elasticsearch/fluentd:v2.5.2
"#;

/// The DaemonSet of kubernetes.io's docs on three simulated nodes: a pod
/// on each, still there when a node is cordoned, rolled and undone.
#[test]
fn the_docs_daemon_set_runs_one_pod_per_node_and_rolls_back() {
    let podium = Podium::start_with(&["--sim-latency", "0", "--nodes", "3"]);
    let out = podium.apply(FLUENTD);
    assert!(
        out.contains("daemonset.apps/fluentd-elasticsearch created"),
        "{out}"
    );
    let ds = ["-n", "kube-system"];
    let status = podium.ok(&[
        ds[0],
        ds[1],
        "rollout",
        "status",
        "ds/fluentd-elasticsearch",
        "--timeout=60s",
    ]);
    assert!(
        status.contains("daemon set \"fluentd-elasticsearch\" successfully rolled out"),
        "{status}"
    );
    let nodes = podium.ok(&[
        ds[0],
        ds[1],
        "get",
        "pods",
        "-l",
        "name=fluentd-elasticsearch",
        "-o",
        "jsonpath={.items[*].spec.nodeName}",
    ]);
    let mut nodes: Vec<&str> = nodes.split_whitespace().collect();
    nodes.sort();
    nodes.dedup();
    assert_eq!(nodes.len(), 3, "one pod per node: {nodes:?}");
    let table = podium.ok(&[ds[0], ds[1], "get", "ds", "--no-headers"]);
    let cells: Vec<&str> = table.split_whitespace().collect();
    assert_eq!(&cells[1..6], ["3", "3", "3", "3", "3"], "{table}");

    let node = nodes[0].to_string();
    podium.ok(&["cordon", &node]);
    podium.ok(&[
        ds[0],
        ds[1],
        "set",
        "image",
        "ds/fluentd-elasticsearch",
        "fluentd-elasticsearch=quay.io/fluentd_elasticsearch/fluentd:v2.6.0",
    ]);
    podium.ok(&[
        ds[0],
        ds[1],
        "rollout",
        "status",
        "ds/fluentd-elasticsearch",
        "--timeout=60s",
    ]);
    let images = |podium: &Podium| {
        podium.ok(&[
            ds[0],
            ds[1],
            "get",
            "pods",
            "-l",
            "name=fluentd-elasticsearch",
            "-o",
            "jsonpath={.items[*].spec.containers[0].image}",
        ])
    };
    podium.wait_for(
        &[
            ds[0],
            ds[1],
            "get",
            "ds",
            "fluentd-elasticsearch",
            "-o",
            "jsonpath={.status.updatedNumberScheduled}/{.status.numberAvailable}",
        ],
        MINUTE,
        |out| out == "3/3",
    );
    assert!(
        images(&podium)
            .split_whitespace()
            .all(|i| i.ends_with("v2.6.0")),
        "the cordoned node's pod is updated too"
    );
    let history = podium.ok(&[
        ds[0],
        ds[1],
        "rollout",
        "history",
        "ds/fluentd-elasticsearch",
    ]);
    assert!(history.lines().any(|l| l.starts_with('2')), "{history}");
    podium.ok(&[ds[0], ds[1], "rollout", "undo", "ds/fluentd-elasticsearch"]);
    podium.wait_for(
        &[
            ds[0],
            ds[1],
            "get",
            "pods",
            "-l",
            "name=fluentd-elasticsearch",
            "-o",
            "jsonpath={.items[*].spec.containers[0].image}",
        ],
        MINUTE,
        |out| {
            out.split_whitespace()
                .filter(|i| i.ends_with("v2.5.2"))
                .count()
                == 3
                && !out.contains("v2.6.0")
        },
    );
}

/// A pod whose claim does not exist waits unscheduled with upstream's
/// reason, and runs once the claim is made and bound.
#[test]
fn a_pod_waits_for_its_claim_to_exist_and_bind() {
    let podium = Podium::start();
    podium.apply(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: reader}\nspec:\n  containers: [{name: c, image: busybox}]\n  volumes: [{name: data, persistentVolumeClaim: {claimName: data}}]\n",
    );
    let describe = podium.wait_for(&["describe", "pod", "reader"], MINUTE, |out| {
        out.contains("FailedScheduling")
    });
    assert!(
        describe.contains("0/1 nodes are available: persistentvolumeclaim \"data\" not found."),
        "{describe}"
    );
    podium.apply(
        "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: data}\nspec:\n  accessModes: [ReadWriteOnce]\n  resources: {requests: {storage: 1Gi}}\n",
    );
    podium.wait_for(
        &["get", "pod", "reader", "-o", "jsonpath={.status.phase}"],
        MINUTE,
        |out| out == "Running",
    );
    assert_eq!(
        podium.ok(&[
            "get",
            "pvc",
            "data",
            "-o",
            "jsonpath={.status.phase} {.spec.storageClassName}"
        ]),
        "Bound standard"
    );
}

/// The docs' ReplicationController: three pods kept, a deleted one
/// replaced, scaled by kubectl, its pods gone with it.
#[test]
fn a_replication_controller_keeps_its_replicas() {
    let podium = Podium::start();
    let out = podium.apply(
        "apiVersion: v1\nkind: ReplicationController\nmetadata: {name: nginx}\nspec:\n  replicas: 3\n  selector: {app: nginx}\n  template:\n    metadata: {name: nginx, labels: {app: nginx}}\n    spec:\n      containers: [{name: nginx, image: nginx, ports: [{containerPort: 80}]}]\n",
    );
    assert!(out.contains("replicationcontroller/nginx created"), "{out}");
    podium.wait_for(
        &[
            "get",
            "rc",
            "nginx",
            "-o",
            "jsonpath={.status.readyReplicas}",
        ],
        MINUTE,
        |out| out == "3",
    );
    let table = podium.ok(&["get", "rc", "nginx", "--no-headers"]);
    let cells: Vec<&str> = table.split_whitespace().collect();
    assert_eq!(&cells[..4], ["nginx", "3", "3", "3"], "{table}");
    let pods = podium.ok(&pods_query("app=nginx", "name"));
    let first = pods.lines().next().expect("a pod").to_string();
    podium.ok(&["delete", &first, "--wait=false"]);
    podium.wait_for(&pods_query("app=nginx", NAMES), MINUTE, |out| {
        out.split_whitespace().count() == 3 && !out.contains(first.trim_start_matches("pod/"))
    });
    podium.ok(&["scale", "rc", "nginx", "--replicas=1"]);
    podium.wait_for(&pods_query("app=nginx", "name"), MINUTE, |out| {
        out.lines().count() == 1
    });
    let describe = podium.ok(&["describe", "rc", "nginx"]);
    assert!(describe.contains("Deleted pod: nginx-"), "{describe}");
    podium.ok(&["delete", "rc", "nginx"]);
    podium.wait_for(&pods_query("app=nginx", "name"), MINUTE, str::is_empty);
}

#[test]
fn a_services_endpoint_slices_and_the_node_leases_show_in_kubectl() {
    let podium = Podium::start();
    podium.apply(WEB);
    // One slice for the Service, labelled with it, listing the ready pods.
    let slices = [
        "get",
        "endpointslices",
        "-l",
        "kubernetes.io/service-name=nginx",
        "-o",
        "jsonpath={range .items[*]}{.metadata.name} {.addressType} {.endpoints[*].conditions.ready}{\"\\n\"}{end}",
    ];
    let out = podium.wait_for(&slices, MINUTE, |out| out.matches("true").count() == 3);
    let line = out.lines().next().unwrap_or_default();
    assert!(
        line.starts_with("nginx-") && line.contains(" IPv4 "),
        "{out}"
    );
    let table = podium.ok(&["get", "endpointslices", "--no-headers"]);
    assert!(table.contains("IPv4") && table.contains("80"), "{table}");
    // Each node holds its Lease in kube-node-lease, owned by its Node.
    let node = podium.ok(&["get", "nodes", "-o", "jsonpath={.items[0].metadata.name}"]);
    let lease = podium.wait_for(
        &["get", "lease", "-n", "kube-node-lease", node.trim(), "-o",
          "jsonpath={.spec.holderIdentity} {.spec.leaseDurationSeconds} {.metadata.ownerReferences[0].kind}"],
        MINUTE,
        |out| !out.is_empty(),
    );
    assert_eq!(lease.trim(), format!("{} 40 Node", node.trim()));
    // Scaling down empties the slice of the gone pods.
    podium.ok(&["scale", "sts", "web", "--replicas=1"]);
    podium.wait_for(&slices, MINUTE, |out| out.matches("true").count() == 1);
}

#[test]
fn kubectl_top_reads_the_simulated_load_that_annotations_set() {
    let podium = Podium::start();
    podium.ok(&[
        "create",
        "deployment",
        "web",
        "--image=nginx",
        "--replicas=2",
    ]);
    podium.ok(&["rollout", "status", "deployment/web", "--timeout=60s"]);
    // Idle until told otherwise.
    let idle = podium.wait_for(&["top", "pods", "--no-headers"], MINUTE, |out| {
        out.lines().count() == 2
    });
    assert!(
        idle.lines()
            .all(|l| l.contains(" 1m ") && l.trim_end().ends_with("4Mi")),
        "{idle}"
    );
    podium.ok(&[
        "annotate",
        "pods",
        "-l",
        "app=web",
        "sim.podium.dev/cpu=300m",
        "sim.podium.dev/memory=100Mi",
    ]);
    let busy = podium.ok(&["top", "pods", "--no-headers", "--containers"]);
    for line in busy.lines() {
        let cells: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(&cells[1..], ["nginx", "300m", "100Mi"], "{busy}");
    }
    let node = podium.ok(&["top", "nodes", "--no-headers"]);
    let cells: Vec<&str> = node.split_whitespace().collect();
    assert_eq!((cells[1], cells[3]), ("600m", "200Mi"), "{node}");
    // A pod that is not running has no metrics yet, as metrics-server says.
    podium.apply("apiVersion: v1\nkind: Pod\nmetadata: {name: waiting}\nspec:\n  nodeSelector: {nowhere: \"true\"}\n  containers: [{name: c, image: nginx}]\n");
    let out = podium.kubectl(&["top", "pod", "waiting"]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && said.contains("not found"),
        "{said}"
    );
}
