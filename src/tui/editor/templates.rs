//! Starting points for new objects (`:new deployment` …), valid as they are.

use crate::api::Kind;

const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: podium/echo:1.0
        ports:
        - containerPort: 8080
";

const SERVICE: &str = "apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
  - port: 80
    targetPort: 8080
";

const CONFIG_MAP: &str = "apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  greeting: hello
";

const SECRET: &str = "apiVersion: v1
kind: Secret
metadata:
  name: credentials
type: Opaque
stringData:
  password: change-me
";

const INGRESS: &str = "apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
spec:
  rules:
  - host: web.localhost
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: web
            port:
              number: 80
";

const POD: &str = "apiVersion: v1
kind: Pod
metadata:
  name: hello
  labels:
    app: hello
spec:
  containers:
  - name: hello
    image: podium/echo:1.0
";

const NAMESPACE: &str = "apiVersion: v1
kind: Namespace
metadata:
  name: team-a
";

/// The kinds that have a template, as the console offers them.
pub const KINDS: &[Kind] = &[
    Kind::Deployment,
    Kind::Service,
    Kind::ConfigMap,
    Kind::Secret,
    Kind::Ingress,
    Kind::Pod,
    Kind::Namespace,
];

/// The template for `kind`, if it has one.
pub fn template(kind: Kind) -> Option<&'static str> {
    let text = match kind {
        Kind::Deployment => DEPLOYMENT,
        Kind::Service => SERVICE,
        Kind::ConfigMap => CONFIG_MAP,
        Kind::Secret => SECRET,
        Kind::Ingress => INGRESS,
        Kind::Pod => POD,
        Kind::Namespace => NAMESPACE,
        _ => return None,
    };
    Some(text)
}
