//! Shared harness for the API server tests: a server on an in-memory
//! store with a test `PodLogs`, the real kubectl, and a raw HTTPS client.
// Each test binary uses part of the harness.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

use bytes::Bytes;
use futures::stream::BoxStream;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Container, Namespace, NamespaceSpec, Pod, PodSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use podium::apiserver::{self, ApiServerConfig};
use podium::kubelet::{LogError, LogOptions, PodLogs};
use podium::store::Store;
use tokio_util::sync::CancellationToken;

pub const KUBECTL: &str = "/usr/bin/kubectl";

/// Logs for pod `default/p`: two lines, honouring tailLines.
pub struct TestLogs;

#[async_trait::async_trait]
impl PodLogs for TestLogs {
    async fn logs(
        &self,
        namespace: &str,
        pod: &str,
        options: LogOptions,
    ) -> Result<BoxStream<'static, Bytes>, LogError> {
        if namespace != "default" || pod != "p" {
            return Err(LogError::PodNotFound {
                pod: pod.to_string(),
            });
        }
        let lines = ["hello\n", "world\n"];
        let skip = match options.tail_lines {
            Some(n) => lines.len().saturating_sub(n as usize),
            None => 0,
        };
        let chunks: Vec<Bytes> = lines[skip..].iter().map(|l| Bytes::from(*l)).collect();
        Ok(Box::pin(futures::stream::iter(chunks)))
    }
}

pub struct TestServer {
    pub runtime: tokio::runtime::Runtime,
    pub store: Store,
    pub dir: tempfile::TempDir,
    pub kubeconfig: PathBuf,
    pub addr: std::net::SocketAddr,
    pub cancel: CancellationToken,
}

pub fn namespace(name: &str) -> Namespace {
    Namespace {
        metadata: ObjectMeta {
            name: Some(name.into()),
            ..Default::default()
        },
        spec: Some(NamespaceSpec {
            finalizers: Some(vec!["kubernetes".into()]),
        }),
        ..Default::default()
    }
}

impl TestServer {
    pub fn start() -> TestServer {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let store = Store::in_memory();
        store.create(namespace("default")).expect("default");
        store.create(namespace("kube-system")).expect("kube-system");
        let dir = tempfile::tempdir().expect("tempdir");
        let cancel = CancellationToken::new();
        let config = ApiServerConfig {
            listen: "127.0.0.1:0".parse().expect("addr"),
            data_dir: dir.path().to_path_buf(),
        };
        let server = runtime
            .block_on(apiserver::start(
                store.clone(),
                Arc::new(TestLogs),
                config,
                cancel.clone(),
            ))
            .expect("server starts");
        TestServer {
            runtime,
            store,
            kubeconfig: server.kubeconfig,
            addr: server.addr,
            dir,
            cancel,
        }
    }

    pub fn kubectl_with_stdin(&self, args: &[&str], stdin: Option<&str>) -> Output {
        use std::io::Write;
        let mut child = Command::new(KUBECTL)
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .args(args)
            .env("HOME", self.dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("kubectl runs");
        let mut pipe = child.stdin.take().expect("stdin");
        if let Some(text) = stdin {
            pipe.write_all(text.as_bytes()).expect("write stdin");
        }
        drop(pipe);
        child.wait_with_output().expect("kubectl output")
    }

    pub fn kubectl(&self, args: &[&str]) -> Output {
        self.kubectl_with_stdin(args, None)
    }

    /// Runs kubectl expecting success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.kubectl(args);
        assert!(
            out.status.success(),
            "kubectl {args:?} failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs kubectl expecting failure; returns stderr.
    pub fn fails(&self, args: &[&str], stdin: Option<&str>) -> String {
        let out = self.kubectl_with_stdin(args, stdin);
        assert!(
            !out.status.success(),
            "kubectl {args:?} should fail:\n{}",
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    pub fn apply_stdin(&self, args: &[&str], stdin: &str) -> String {
        let out = self.kubectl_with_stdin(args, Some(stdin));
        assert!(
            out.status.success(),
            "kubectl {args:?} failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn deployment(&self, name: &str) -> Deployment {
        self.store
            .get_as::<Deployment>("default", name)
            .expect("deployment stored")
    }

    pub fn token(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("pki").join("token"))
            .expect("token")
            .trim()
            .to_string()
    }

    /// A raw HTTPS request with the bearer token (curl-like, via kubectl's CA).
    pub fn raw(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> (u16, String) {
        self.runtime.block_on(client::request(
            self,
            method,
            path,
            content_type,
            body,
            true,
        ))
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

pub mod client;

pub fn create_pod(store: &Store, name: &str) {
    store
        .create(Pod {
            metadata: ObjectMeta {
                name: Some(name.into()),
                namespace: Some("default".into()),
                ..Default::default()
            },
            spec: Some(PodSpec {
                containers: vec![Container {
                    name: "c".into(),
                    image: Some("nginx".into()),
                    ..Default::default()
                }],
                ..Default::default()
            }),
            ..Default::default()
        })
        .expect("pod");
}

pub fn configmap(name: &str, value: &str) -> k8s_openapi::api::core::v1::ConfigMap {
    k8s_openapi::api::core::v1::ConfigMap {
        metadata: ObjectMeta {
            name: Some(name.into()),
            namespace: Some("default".into()),
            ..Default::default()
        },
        data: Some([("a".to_string(), value.to_string())].into()),
        ..Default::default()
    }
}

/// Runs kubectl for `duration`, then stops it; returns (stdout, stderr).
pub fn kubectl_for(
    server: &TestServer,
    args: &[&str],
    duration: std::time::Duration,
) -> (String, String) {
    let mut child = Command::new(KUBECTL)
        .arg("--kubeconfig")
        .arg(&server.kubeconfig)
        .args(args)
        .env("HOME", server.dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kubectl runs");
    std::thread::sleep(duration);
    let _ = child.kill();
    let out = child.wait_with_output().expect("output");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
