//! The whole built-in API and CustomResourceDefinitions, as kubectl sees
//! them: discovery with upstream's short names, kubernetes.io's example
//! manifests applied unchanged and printed with upstream's columns,
//! kubectl's typed generators (protobuf bodies), and a CRD's lifecycle.

use super::common::*;

/// kubernetes.io's examples of the kinds podium stores as JSON, one
/// manifest as a user would apply it.
const MANIFESTS: &str = r#"
apiVersion: v1
kind: ServiceAccount
metadata:
  name: build-robot
---
apiVersion: batch/v1
kind: Job
metadata:
  name: pi
spec:
  template:
    spec:
      containers:
      - name: pi
        image: perl:5.34.0
        command: ["perl",  "-Mbignum=bpi", "-wle", "print bpi(2000)"]
      restartPolicy: Never
  backoffLimit: 4
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: hello
spec:
  schedule: "* * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          containers:
          - name: hello
            image: busybox:1.28
            imagePullPolicy: IfNotPresent
            command:
            - /bin/sh
            - -c
            - date; echo Hello from the Kubernetes cluster
          restartPolicy: OnFailure
---
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
  selector:
    matchLabels:
      app: nginx
  serviceName: "nginx"
  replicas: 3
  minReadySeconds: 10
  template:
    metadata:
      labels:
        app: nginx
    spec:
      terminationGracePeriodSeconds: 10
      containers:
      - name: nginx
        image: registry.k8s.io/nginx-slim:0.24
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
      storageClassName: "my-storage-class"
      resources:
        requests:
          storage: 1Gi
---
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
        resources:
          limits:
            memory: 200Mi
          requests:
            cpu: 100m
            memory: 200Mi
---
apiVersion: v1
kind: PersistentVolume
metadata:
  name: task-pv-volume
  labels:
    type: local
spec:
  storageClassName: manual
  capacity:
    storage: 10Gi
  accessModes:
    - ReadWriteOnce
  hostPath:
    path: "/mnt/data"
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: task-pv-claim
spec:
  storageClassName: manual
  accessModes:
    - ReadWriteOnce
  resources:
    requests:
      storage: 3Gi
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: standard
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: WaitForFirstConsumer
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  namespace: default
  name: pod-reader
rules:
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["get", "watch", "list"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: read-pods
  namespace: default
subjects:
- kind: User
  name: jane
  apiGroup: rbac.authorization.k8s.io
roleRef:
  kind: Role
  name: pod-reader
  apiGroup: rbac.authorization.k8s.io
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: secret-reader
rules:
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get", "watch", "list"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: read-secrets-global
subjects:
- kind: Group
  name: manager
  apiGroup: rbac.authorization.k8s.io
roleRef:
  kind: ClusterRole
  name: secret-reader
  apiGroup: rbac.authorization.k8s.io
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: test-network-policy
  namespace: default
spec:
  podSelector:
    matchLabels:
      role: db
  policyTypes:
  - Ingress
  - Egress
  ingress:
  - from:
    - ipBlock:
        cidr: 172.17.0.0/16
        except:
        - 172.17.1.0/24
    ports:
    - protocol: TCP
      port: 6379
  egress:
  - to:
    - ipBlock:
        cidr: 10.0.0.0/24
    ports:
    - protocol: TCP
      port: 5978
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: zk-pdb
spec:
  minAvailable: 2
  selector:
    matchLabels:
      app: zookeeper
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: php-apache
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: php-apache
  minReplicas: 1
  maxReplicas: 10
  metrics:
  - type: Resource
    resource:
      name: cpu
      target:
        type: Utilization
        averageUtilization: 50
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata:
  name: high-priority
value: 1000000
globalDefault: false
description: "This priority class should be used for XYZ service pods only."
---
apiVersion: v1
kind: ResourceQuota
metadata:
  name: compute-resources
spec:
  hard:
    requests.cpu: "1"
    requests.memory: 1Gi
    limits.cpu: "2"
    limits.memory: 2Gi
---
apiVersion: v1
kind: LimitRange
metadata:
  name: cpu-resource-constraint
spec:
  limits:
  - default:
      cpu: 500m
    defaultRequest:
      cpu: 500m
    max:
      cpu: "1"
    min:
      cpu: 100m
    type: Container
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: external-lb
spec:
  controller: example.com/ingress-controller
---
apiVersion: v1
kind: ReplicationController
metadata:
  name: nginx
spec:
  replicas: 3
  selector:
    app: nginx-rc
  template:
    metadata:
      name: nginx
      labels:
        app: nginx-rc
    spec:
      containers:
      - name: nginx
        image: nginx
        ports:
        - containerPort: 80
"#;

/// The header line `kubectl get` prints for each kind, as upstream prints it.
const HEADERS: &[(&str, &str)] = &[
    ("serviceaccounts", "NAME SECRETS AGE"),
    ("jobs", "NAME STATUS COMPLETIONS DURATION AGE"),
    (
        "cronjobs",
        "NAME SCHEDULE TIMEZONE SUSPEND ACTIVE LAST SCHEDULE AGE",
    ),
    ("statefulsets", "NAME READY AGE"),
    (
        "daemonsets -n kube-system",
        "NAME DESIRED CURRENT READY UP-TO-DATE AVAILABLE NODE SELECTOR AGE",
    ),
    (
        "persistentvolumes",
        "NAME CAPACITY ACCESS MODES RECLAIM POLICY STATUS CLAIM STORAGECLASS VOLUMEATTRIBUTESCLASS REASON AGE",
    ),
    (
        "persistentvolumeclaims",
        "NAME STATUS VOLUME CAPACITY ACCESS MODES STORAGECLASS VOLUMEATTRIBUTESCLASS AGE",
    ),
    (
        "storageclasses",
        "NAME PROVISIONER RECLAIMPOLICY VOLUMEBINDINGMODE ALLOWVOLUMEEXPANSION AGE",
    ),
    ("roles", "NAME CREATED AT"),
    ("rolebindings", "NAME ROLE AGE"),
    ("clusterroles", "NAME CREATED AT"),
    ("clusterrolebindings", "NAME ROLE AGE"),
    ("networkpolicies", "NAME POD-SELECTOR AGE"),
    (
        "poddisruptionbudgets",
        "NAME MIN AVAILABLE MAX UNAVAILABLE ALLOWED DISRUPTIONS AGE",
    ),
    (
        "horizontalpodautoscalers",
        "NAME REFERENCE TARGETS MINPODS MAXPODS REPLICAS AGE",
    ),
    (
        "priorityclasses",
        "NAME VALUE GLOBAL-DEFAULT AGE PREEMPTIONPOLICY",
    ),
    ("resourcequotas", "NAME REQUEST LIMIT AGE"),
    ("limitranges", "NAME CREATED AT"),
    ("ingressclasses", "NAME CONTROLLER PARAMETERS AGE"),
    ("replicationcontrollers", "NAME DESIRED CURRENT READY AGE"),
];

fn header(server: &TestServer, resource: &str) -> String {
    let args: Vec<&str> = std::iter::once("get").chain(resource.split(' ')).collect();
    let out = server.ok(&args);
    let first = out.lines().next().unwrap_or("").to_string();
    first.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn api_resources_lists_every_kind_with_upstreams_short_names() {
    let server = TestServer::start();
    let out = server.ok(&["api-resources"]);
    for (name, short, api_version) in [
        ("serviceaccounts", "sa", "v1"),
        ("persistentvolumes", "pv", "v1"),
        ("persistentvolumeclaims", "pvc", "v1"),
        ("resourcequotas", "quota", "v1"),
        ("limitranges", "limits", "v1"),
        ("replicationcontrollers", "rc", "v1"),
        ("statefulsets", "sts", "apps/v1"),
        ("daemonsets", "ds", "apps/v1"),
        ("cronjobs", "cj", "batch/v1"),
        ("horizontalpodautoscalers", "hpa", "autoscaling/v2"),
        ("poddisruptionbudgets", "pdb", "policy/v1"),
        ("networkpolicies", "netpol", "networking.k8s.io/v1"),
        ("storageclasses", "sc", "storage.k8s.io/v1"),
        ("priorityclasses", "pc", "scheduling.k8s.io/v1"),
        (
            "customresourcedefinitions",
            "crd,crds",
            "apiextensions.k8s.io/v1",
        ),
    ] {
        let line = out
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("{name} missing:\n{out}"));
        let fields: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(fields[1], short, "{line}");
        assert_eq!(fields[2], api_version, "{line}");
    }
    for name in [
        "jobs",
        "controllerrevisions",
        "podtemplates",
        "endpointslices",
        "leases",
        "ingressclasses",
        "roles",
        "rolebindings",
        "clusterroles",
        "clusterrolebindings",
        "csidrivers",
        "volumeattachments",
        "selfsubjectaccessreviews",
        "selfsubjectrulesreviews",
        "subjectaccessreviews",
        "tokenreviews",
        "selfsubjectreviews",
        "apiservices",
    ] {
        assert!(
            out.lines()
                .any(|l| l.split_whitespace().next() == Some(name)),
            "{name} missing:\n{out}"
        );
    }
    // A resource kubectl resolves by its short name works end to end.
    let out = server.ok(&["get", "sa", "-A"]);
    assert!(out.is_empty() || out.starts_with("NAMESPACE"), "{out}");
}

#[test]
fn the_docs_manifests_apply_unchanged_and_print_upstreams_columns() {
    let server = TestServer::start();
    let out = server.apply_stdin(&["apply", "-f", "-"], MANIFESTS);
    for created in [
        "serviceaccount/build-robot created",
        "job.batch/pi created",
        "cronjob.batch/hello created",
        "statefulset.apps/web created",
        "daemonset.apps/fluentd-elasticsearch created",
        "persistentvolumeclaim/task-pv-claim created",
        "rolebinding.rbac.authorization.k8s.io/read-pods created",
        "horizontalpodautoscaler.autoscaling/php-apache created",
        "replicationcontroller/nginx created",
    ] {
        assert!(out.contains(created), "{created}:\n{out}");
    }
    for (resource, expected) in HEADERS {
        assert_eq!(
            header(&server, resource),
            *expected,
            "kubectl get {resource}"
        );
    }
    // Cells as upstream prints them.
    let out = server.ok(&["get", "rolebinding", "read-pods", "--no-headers"]);
    assert!(out.contains("Role/pod-reader"), "{out}");
    let out = server.ok(&["get", "pvc", "task-pv-claim", "--no-headers"]);
    assert!(out.contains("Pending"), "{out}");
    let out = server.ok(&["get", "cj", "hello", "--no-headers"]);
    assert!(out.contains("* * * * *"), "{out}");
    let out = server.ok(&["get", "pc", "high-priority", "--no-headers"]);
    assert!(out.contains("1000000"), "{out}");
    // Upstream's defaults are filled in.
    let out = server.ok(&["get", "job", "pi", "-o", "jsonpath={.spec.completions} {.spec.parallelism} {.spec.completionMode} {.spec.template.spec.containers[0].imagePullPolicy}"]);
    assert_eq!(out, "1 1 NonIndexed IfNotPresent");
    let out = server.ok(&[
        "get",
        "sts",
        "web",
        "-o",
        "jsonpath={.spec.podManagementPolicy} {.spec.updateStrategy.type}",
    ]);
    assert_eq!(out, "OrderedReady RollingUpdate");
    // Applying the same manifest again changes nothing.
    let again = server.apply_stdin(&["apply", "-f", "-"], MANIFESTS);
    assert!(again.contains("job.batch/pi unchanged"), "{again}");
    // A field the kind does not have is refused under strict validation.
    let bad = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: bad\nspec:\n  bogus: 1\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: c, image: busybox}]\n";
    let err = server.fails(&["create", "-f", "-"], Some(bad));
    assert!(err.contains("unknown field \"spec.bogus\""), "{err}");
    // A Job whose pods would restart forever is invalid, as upstream says.
    let always = bad.replace("  bogus: 1\n", "").replace("Never", "Always");
    let err = server.fails(&["create", "-f", "-"], Some(&always));
    assert!(
        err.contains("spec.template.spec.restartPolicy: Unsupported value: \"Always\": supported values: \"OnFailure\", \"Never\""),
        "{err}"
    );
}

#[test]
fn kubectls_typed_generators_create_the_new_kinds() {
    let server = TestServer::start();
    for (args, created) in [
        (
            &["create", "serviceaccount", "ci"][..],
            "serviceaccount/ci created",
        ),
        (
            &[
                "create",
                "job",
                "once",
                "--image=busybox",
                "--",
                "echo",
                "hi",
            ][..],
            "job.batch/once created",
        ),
        (
            &[
                "create",
                "cronjob",
                "tick",
                "--image=busybox",
                "--schedule=*/5 * * * *",
            ][..],
            "cronjob.batch/tick created",
        ),
        (
            &[
                "create",
                "role",
                "reader",
                "--verb=get,list",
                "--resource=pods",
            ][..],
            "role.rbac.authorization.k8s.io/reader created",
        ),
        (
            &[
                "create",
                "rolebinding",
                "bob-reads",
                "--role=reader",
                "--user=bob",
            ][..],
            "rolebinding.rbac.authorization.k8s.io/bob-reads created",
        ),
        (
            &[
                "create",
                "clusterrole",
                "node-reader",
                "--verb=get",
                "--resource=nodes",
            ][..],
            "clusterrole.rbac.authorization.k8s.io/node-reader created",
        ),
        (
            &[
                "create",
                "clusterrolebinding",
                "ops",
                "--clusterrole=node-reader",
                "--group=ops",
            ][..],
            "clusterrolebinding.rbac.authorization.k8s.io/ops created",
        ),
        (
            &[
                "create",
                "poddisruptionbudget",
                "budget",
                "--selector=app=web",
                "--min-available=1",
            ][..],
            "poddisruptionbudget.policy/budget created",
        ),
        (
            &["create", "priorityclass", "urgent", "--value=1000"][..],
            "priorityclass.scheduling.k8s.io/urgent created",
        ),
        (
            &["create", "quota", "small", "--hard=pods=10"][..],
            "resourcequota/small created",
        ),
    ] {
        let out = server.ok(args);
        assert!(out.contains(created), "kubectl {args:?}: {out}");
    }
    let out = server.ok(&["get", "role", "reader", "-o", "jsonpath={.rules[0].verbs}"]);
    assert_eq!(out, r#"["get","list"]"#);
    let out = server.ok(&[
        "get",
        "job",
        "once",
        "-o",
        "jsonpath={.spec.template.spec.containers[0].command}",
    ]);
    assert_eq!(out, r#"["echo","hi"]"#);
}

#[test]
fn auth_can_i_and_whoami_answer_for_the_administrator() {
    let server = TestServer::start();
    assert_eq!(
        server.ok(&["auth", "can-i", "create", "pods"]).trim(),
        "yes"
    );
    assert_eq!(
        server
            .ok(&["auth", "can-i", "delete", "nodes", "--all-namespaces"])
            .trim(),
        "yes"
    );
    let out = server.ok(&["auth", "whoami"]);
    assert!(out.contains("podium-admin"), "{out}");
    assert!(out.contains("system:masters"), "{out}");
    let out = server.ok(&["auth", "can-i", "--list"]);
    assert!(out.contains("*.*"), "{out}");
}

pub(crate) const CRONTAB_CRD: &str = r#"
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: crontabs.stable.example.com
spec:
  group: stable.example.com
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                cronSpec:
                  type: string
                image:
                  type: string
                replicas:
                  type: integer
            status:
              type: object
              properties:
                replicas:
                  type: integer
      subresources:
        status: {}
      additionalPrinterColumns:
      - name: Spec
        type: string
        description: The cron spec defining the interval a CronJob is run
        jsonPath: .spec.cronSpec
      - name: Replicas
        type: integer
        description: The number of jobs launched by the CronJob
        jsonPath: .spec.replicas
      - name: Age
        type: date
        jsonPath: .metadata.creationTimestamp
  scope: Namespaced
  names:
    plural: crontabs
    singular: crontab
    kind: CronTab
    shortNames:
    - ct
"#;

/// Waits until the CronTab definition is served (kubectl wait).
pub(crate) fn crontabs_established(server: &TestServer) {
    server.ok(&[
        "wait",
        "--for=condition=established",
        "crd/crontabs.stable.example.com",
    ]);
}

pub(crate) const CRONTAB: &str = r#"
apiVersion: "stable.example.com/v1"
kind: CronTab
metadata:
  name: my-new-cron-object
  labels:
    team: batch
spec:
  cronSpec: "* * * * */5"
  image: my-awesome-cron-image
  replicas: 2
"#;

#[test]
fn a_custom_resource_definition_serves_its_kind_until_it_is_deleted() {
    let server = TestServer::start();
    // Before the definition, kubectl names what is missing.
    let err = server.fails(&["apply", "-f", "-"], Some(CRONTAB));
    assert!(
        err.contains("no matches for kind \"CronTab\" in version \"stable.example.com/v1\""),
        "{err}"
    );
    let out = server.apply_stdin(&["apply", "-f", "-"], CRONTAB_CRD);
    assert!(
        out.contains(
            "customresourcedefinition.apiextensions.k8s.io/crontabs.stable.example.com created"
        ),
        "{out}"
    );
    let out = server.ok(&[
        "wait",
        "--for=condition=established",
        "crd/crontabs.stable.example.com",
        "--timeout=10s",
    ]);
    assert!(out.contains("condition met"), "{out}");
    let out = server.ok(&["api-resources", "--api-group=stable.example.com"]);
    assert!(
        out.contains("crontabs") && out.contains(" ct ") && out.contains("CronTab"),
        "{out}"
    );

    let out = server.apply_stdin(&["apply", "-f", "-"], CRONTAB);
    assert!(
        out.contains("crontab.stable.example.com/my-new-cron-object created"),
        "{out}"
    );
    let out = server.ok(&["get", "ct"]);
    let mut lines = out.lines();
    let head: Vec<&str> = lines.next().unwrap_or("").split_whitespace().collect();
    assert_eq!(head, ["NAME", "SPEC", "REPLICAS", "AGE"], "{out}");
    let row: Vec<&str> = lines.next().unwrap_or("").split_whitespace().collect();
    assert_eq!(
        &row[..7],
        ["my-new-cron-object", "*", "*", "*", "*", "*/5", "2"],
        "{out}"
    );

    // Selectors, patches, the status subresource.
    assert!(
        server
            .ok(&["get", "crontabs", "-l", "team=batch", "-o", "name"])
            .contains("my-new-cron-object")
    );
    assert!(
        server
            .ok(&["get", "crontabs", "-l", "team=web", "-o", "name"])
            .is_empty()
    );
    let out = server.ok(&[
        "get",
        "crontabs",
        "--field-selector",
        "metadata.name=my-new-cron-object",
        "-o",
        "name",
    ]);
    assert!(out.contains("my-new-cron-object"), "{out}");
    server.ok(&[
        "patch",
        "ct",
        "my-new-cron-object",
        "--type=merge",
        "-p",
        r#"{"spec":{"replicas":5}}"#,
    ]);
    let err = server.fails(
        &[
            "patch",
            "ct",
            "my-new-cron-object",
            "--type=strategic",
            "-p",
            r#"{"spec":{"replicas":6}}"#,
        ],
        None,
    );
    assert!(err.contains("application/merge-patch+json"), "{err}");
    // Status is not written through the main resource …
    server.ok(&[
        "patch",
        "ct",
        "my-new-cron-object",
        "--type=merge",
        "-p",
        r#"{"status":{"replicas":9}}"#,
    ]);
    assert_eq!(
        server.ok(&[
            "get",
            "ct",
            "my-new-cron-object",
            "-o",
            "jsonpath={.status.replicas}"
        ]),
        ""
    );
    // … but through the subresource.
    server.ok(&[
        "patch",
        "ct",
        "my-new-cron-object",
        "--subresource=status",
        "--type=merge",
        "-p",
        r#"{"status":{"replicas":3}}"#,
    ]);
    let out = server.ok(&[
        "get",
        "ct",
        "my-new-cron-object",
        "-o",
        "jsonpath={.spec.replicas} {.status.replicas} {.metadata.generation}",
    ]);
    assert_eq!(out, "5 3 2");

    // A watch streams changes of the custom kind.
    let (code, body) = server.raw(
        "GET",
        "/apis/stable.example.com/v1/namespaces/default/crontabs?watch=1&timeoutSeconds=1",
        "application/json",
        Vec::new(),
    );
    assert_eq!(code, 200, "{body}");
    assert!(
        body.contains(r#""type":"ADDED""#) && body.contains("my-new-cron-object"),
        "{body}"
    );

    // The schema is enforced with upstream's paths, unknown fields pruned.
    let bad = "apiVersion: stable.example.com/v1\nkind: CronTab\nmetadata:\n  name: bad\nspec:\n  cronSpec: 5\n  replicas: two\n";
    let err = server.fails(&["apply", "-f", "-"], Some(bad));
    assert!(
        err.contains("spec.cronSpec: Invalid value: \"integer\": spec.cronSpec in body must be of type string: \"integer\"")
            && err.contains("spec.replicas: Invalid value: \"string\": spec.replicas in body must be of type integer: \"string\""),
        "{err}"
    );
    let extra = "apiVersion: stable.example.com/v1\nkind: CronTab\nmetadata:\n  name: extra\nspec:\n  cronSpec: x\n  bogus: 1\n";
    let err = server.fails(&["apply", "-f", "-"], Some(extra));
    assert!(
        err.contains("strict decoding error: unknown field \"spec.bogus\""),
        "{err}"
    );
    server.apply_stdin(&["apply", "--validate=false", "-f", "-"], extra);
    assert_eq!(
        server.ok(&["get", "ct", "extra", "-o", "jsonpath={.spec}"]),
        r#"{"cronSpec":"x"}"#
    );
    // A definition whose schema is not structural is refused with the path.
    let loose = CRONTAB_CRD
        .replace("crontabs.stable.example.com", "loose.stable.example.com")
        .replace("plural: crontabs", "plural: loose")
        .replace("kind: CronTab", "kind: Loose")
        .replace("singular: crontab", "singular: loose")
        .replace("    - ct\n", "    - lo\n")
        .replace(
            "              type: object\n              properties:\n                cronSpec",
            "              properties:\n                cronSpec",
        );
    let err = server.fails(&["apply", "-f", "-"], Some(&loose));
    assert!(
        err.contains("spec.versions[0].schema.openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields"),
        "{err}"
    );

    // Deleting the definition deletes its objects and stops serving the kind.
    server.ok(&["delete", "crd", "crontabs.stable.example.com"]);
    let (code, _) = server.raw(
        "GET",
        "/apis/stable.example.com/v1/namespaces/default/crontabs",
        "application/json",
        Vec::new(),
    );
    assert_eq!(code, 404);
    server.apply_stdin(&["apply", "-f", "-"], CRONTAB_CRD);
    let out = server.ok(&["get", "crontabs", "-A"]);
    assert!(
        out.contains("No resources found") || out.is_empty(),
        "objects came back: {out}"
    );
}

/// `kubectl scale` on every kind with a scale subresource: StatefulSets and
/// ReplicationControllers (stored through the generic path) and a custom
/// resource whose definition names its replicas and selector paths.
#[test]
fn kubectl_scale_reaches_statefulsets_replication_controllers_and_custom_resources() {
    let server = TestServer::start();
    server.apply_stdin(
        &["apply", "-f", "-"],
        r#"
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web}
spec:
  serviceName: nginx
  replicas: 2
  selector: {matchLabels: {app: nginx}}
  template:
    metadata: {labels: {app: nginx}}
    spec:
      containers: [{name: nginx, image: nginx}]
---
apiVersion: v1
kind: ReplicationController
metadata: {name: old}
spec:
  replicas: 1
  selector: {app: old}
  template:
    metadata: {labels: {app: old}}
    spec:
      containers: [{name: nginx, image: nginx}]
"#,
    );
    assert_eq!(
        server
            .ok(&["scale", "statefulset", "web", "--replicas=4"])
            .trim(),
        "statefulset.apps/web scaled"
    );
    assert_eq!(
        server.ok(&["get", "sts", "web", "-o", "jsonpath={.spec.replicas}"]),
        "4"
    );
    assert_eq!(
        server.ok(&["scale", "rc", "old", "--replicas=3"]).trim(),
        "replicationcontroller/old scaled"
    );
    let (code, body) = server.raw(
        "GET",
        "/api/v1/namespaces/default/replicationcontrollers/old/scale",
        "application/json",
        Vec::new(),
    );
    assert_eq!(code, 200);
    let scale: serde_json::Value = serde_json::from_str(&body).expect("a Scale");
    assert_eq!(scale["spec"]["replicas"], 3);
    assert_eq!(scale["status"]["selector"], "app=old");

    // The CronTab with a scale subresource, as the CRD docs define it.
    let scalable = CRONTAB_CRD.replace(
        "      subresources:\n        status: {}\n",
        "      subresources:\n        status: {}\n        scale:\n          specReplicasPath: .spec.replicas\n          statusReplicasPath: .status.replicas\n          labelSelectorPath: .status.labelSelector\n",
    );
    server.apply_stdin(&["apply", "-f", "-"], &scalable);
    crontabs_established(&server);
    server.apply_stdin(&["apply", "-f", "-"], CRONTAB);
    assert_eq!(
        server
            .ok(&["scale", "ct", "my-new-cron-object", "--replicas=5"])
            .trim(),
        "crontab.stable.example.com/my-new-cron-object scaled"
    );
    assert_eq!(
        server.ok(&[
            "get",
            "ct",
            "my-new-cron-object",
            "-o",
            "jsonpath={.spec.replicas}"
        ]),
        "5"
    );
    // The definition without one: upstream's 404, as kubectl reports it.
    server.ok(&["delete", "crd", "crontabs.stable.example.com"]);
    server.apply_stdin(&["apply", "-f", "-"], CRONTAB_CRD);
    crontabs_established(&server);
    server.apply_stdin(&["apply", "-f", "-"], CRONTAB);
    let err = server.fails(&["scale", "ct", "my-new-cron-object", "--replicas=1"], None);
    assert!(
        err.contains("the server could not find the requested resource"),
        "{err}"
    );
}

/// kubectl asks /api and /apis for aggregated discovery first: answered,
/// one request each replaces one per group version, and what kubectl
/// resolves from it is what the legacy documents say.
#[test]
fn kubectl_discovers_every_group_in_two_aggregated_requests() {
    let server = TestServer::start();
    let out = server.kubectl(&["get", "deployments", "-v=6"]);
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{log}");
    let requests: Vec<&str> = log
        .lines()
        .filter_map(|l| l.split("url=\"").nth(1))
        .filter_map(|l| l.split('"').next())
        .collect();
    assert_eq!(requests.len(), 3, "{requests:#?}");
    assert!(
        requests[0].contains("/api?") && requests[1].contains("/apis?"),
        "{requests:#?}"
    );
    assert!(requests[2].contains("/apis/apps/v1/namespaces/default/deployments"));
    // The same resources as the per-group-version documents list.
    let legacy = server.ok(&["get", "--raw", "/apis/batch/v1"]);
    let legacy: serde_json::Value = serde_json::from_str(&legacy).expect("json");
    let table = server.ok(&["api-resources", "--api-group=batch", "-o", "name"]);
    let mut from_kubectl: Vec<&str> = table.lines().collect();
    from_kubectl.sort();
    let mut listed: Vec<String> = legacy["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["name"].as_str())
        .filter(|name| !name.contains('/'))
        .map(|name| format!("{name}.batch"))
        .collect();
    listed.sort();
    assert_eq!(from_kubectl, listed);
}

/// A second scheduler places its pods through `pods/binding`, as upstream's
/// schedulers do: once, onto a Node, with PodScheduled set.
#[test]
fn a_custom_scheduler_binds_its_pod_through_the_binding_subresource() {
    let server = TestServer::start();
    server.apply_stdin(
        &["apply", "-f", "-"],
        "apiVersion: v1\nkind: Pod\nmetadata: {name: placed}\nspec:\n  schedulerName: my-scheduler\n  containers: [{name: c, image: nginx}]\n",
    );
    let binding = |node: &str| {
        format!(
            r#"{{"apiVersion":"v1","kind":"Binding","metadata":{{"name":"placed","annotations":{{"placed-by":"my-scheduler"}}}},"target":{{"apiVersion":"v1","kind":"Node","name":"{node}"}}}}"#
        )
    };
    let path = "/api/v1/namespaces/default/pods/placed/binding";
    server.apply_stdin(&["create", "--raw", path, "-f", "-"], &binding("node-a"));
    let placed = server.ok(&[
        "get",
        "pod",
        "placed",
        "-o",
        "jsonpath={.spec.nodeName} {.metadata.annotations.placed-by} {.status.conditions[?(@.type==\"PodScheduled\")].status}",
    ]);
    assert_eq!(placed, "node-a my-scheduler True");
    // Once bound, a pod stays where it is.
    let again = server.fails(
        &["create", "--raw", path, "-f", "-"],
        Some(&binding("node-b")),
    );
    assert!(
        again.contains(r#"pod placed is already assigned to node "node-a""#),
        "{again}"
    );
    let no_node = server.fails(
        &["create", "--raw", path, "-f", "-"],
        Some(r#"{"apiVersion":"v1","kind":"Binding","metadata":{"name":"placed"},"target":{}}"#),
    );
    assert!(no_node.contains("target.name: Required value"), "{no_node}");
    let wrong_name = server.fails(
        &["create", "--raw", path, "-f", "-"],
        Some(r#"{"apiVersion":"v1","kind":"Binding","metadata":{"name":"other"},"target":{"name":"n"}}"#),
    );
    assert!(
        wrong_name.contains("name in URL does not match name in Binding object"),
        "{wrong_name}"
    );
}
