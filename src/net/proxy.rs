//! The TCP balancer of one Service port: accepts on a listener, picks a
//! ready pod and shuttles bytes both ways. Connections outlive their
//! listener and their pod's readiness: a pod that starts terminating gets
//! no new connections, and the ones it has finish (drain). Until a pod has
//! answered, the client's bytes are kept so another pod can take over.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{Service, ServicePort};
use parking_lot::RwLock;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

use super::Context;
use super::balance::{Backend, Balancer, ready_backends};

/// How long to wait for a pod's published port before trying the next pod.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// The Service port a listener serves, swapped when the Service changes.
pub struct PortTarget {
    current: RwLock<(Arc<Service>, ServicePort, Arc<Balancer>)>,
}

impl PortTarget {
    pub fn new(service: Arc<Service>, port: ServicePort) -> PortTarget {
        let balancer = Arc::new(Balancer::new(&service));
        PortTarget {
            current: RwLock::new((service, port, balancer)),
        }
    }

    /// Follows a changed Service; the balancer (and its stickiness) is
    /// kept unless the affinity settings changed.
    pub fn update(&self, service: Arc<Service>, port: ServicePort) {
        let mut current = self.current.write();
        let fresh = Balancer::new(&service);
        let balancer = if fresh.affinity() == current.2.affinity() {
            current.2.clone()
        } else {
            Arc::new(fresh)
        };
        *current = (service, port, balancer);
    }

    fn snapshot(&self) -> (Arc<Service>, ServicePort, Arc<Balancer>) {
        self.current.read().clone()
    }
}

/// Connects to a backend pod's published port.
pub(crate) async fn connect(context: &Context, backend: &Backend) -> Option<TcpStream> {
    let address = context.address(backend).await?;
    let Ok(Ok(stream)) = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(address)).await
    else {
        context.forget(backend);
        return None;
    };
    let _ = stream.set_nodelay(true);
    Some(stream)
}

/// Accepts until `stop` fires; each connection then lives on its own.
pub(crate) fn serve(
    listener: TcpListener,
    target: Arc<PortTarget>,
    context: Arc<Context>,
    stop: CancellationToken,
) {
    tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                _ = stop.cancelled() => return,
                accepted = listener.accept() => accepted,
            };
            match accepted {
                Ok((client, peer)) => {
                    let target = target.clone();
                    let context = context.clone();
                    tokio::spawn(async move { forward(client, peer, &target, &context).await });
                }
                Err(error) => {
                    // EMFILE and friends pass; do not spin on them.
                    tracing::warn!(%error, "service listener could not accept");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    });
}

async fn forward(mut client: TcpStream, peer: SocketAddr, target: &PortTarget, context: &Context) {
    let (service, port, balancer) = target.snapshot();
    let backends = ready_backends(&context.store, &service, &port);
    let now = Instant::now();
    let _ = client.set_nodelay(true);
    let mut sent = Sent::default();
    for backend in balancer.order(&backends, peer.ip(), now) {
        let Some(mut upstream) = connect(context, &backend).await else {
            continue;
        };
        match first_answer(&mut client, &mut upstream, &mut sent).await {
            First::Answered(bytes) => {
                balancer.served(peer.ip(), &backend, now);
                if client.write_all(&bytes).await.is_err() {
                    return;
                }
                // Either side closing ends the connection; errors are the peers'.
                if sent.client_done {
                    let _ = tokio::io::copy(&mut upstream, &mut client).await;
                } else {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                }
                return;
            }
            First::Committed => {
                balancer.served(peer.ip(), &backend, now);
                let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                return;
            }
            First::Silent => {
                context.forget(&backend);
                continue;
            }
            First::ClientGone => return,
        }
    }
    tracing::debug!(
        service = service.metadata.name.as_deref().unwrap_or_default(),
        port = port.port,
        "no ready endpoint answered; closing the connection"
    );
}

/// Client bytes kept for replay until a pod has answered, so that a pod
/// that closes without a word (it was exiting, or Docker's port proxy
/// accepted for a container that is gone) costs the client nothing: the
/// same bytes go to the next pod. Past this much the pod is committed to.
const REPLAY_LIMIT: usize = 64 * 1024;

#[derive(Default)]
struct Sent {
    bytes: Vec<u8>,
    /// The client half-closed its side.
    client_done: bool,
}

enum First {
    /// The pod's first bytes.
    Answered(Vec<u8>),
    /// The pod closed before answering: try the next one.
    Silent,
    /// More than [`REPLAY_LIMIT`] sent without an answer: no retry.
    Committed,
    ClientGone,
}

/// Replays what the client sent so far to `upstream`, then relays client
/// bytes until the pod's first answer.
async fn first_answer(client: &mut TcpStream, upstream: &mut TcpStream, sent: &mut Sent) -> First {
    if (!sent.bytes.is_empty() && upstream.write_all(&sent.bytes).await.is_err())
        || (sent.client_done && upstream.shutdown().await.is_err())
    {
        return First::Silent;
    }
    let mut from_client = vec![0u8; 16 * 1024];
    let mut from_upstream = vec![0u8; 16 * 1024];
    loop {
        tokio::select! {
            read = upstream.read(&mut from_upstream) => return match read {
                Ok(0) | Err(_) => First::Silent,
                Ok(n) => First::Answered(from_upstream[..n].to_vec()),
            },
            read = client.read(&mut from_client), if !sent.client_done => match read {
                Ok(0) => {
                    sent.client_done = true;
                    if upstream.shutdown().await.is_err() {
                        return First::Silent;
                    }
                }
                Ok(n) => {
                    sent.bytes.extend_from_slice(&from_client[..n]);
                    if upstream.write_all(&from_client[..n]).await.is_err() {
                        return First::Silent;
                    }
                    if sent.bytes.len() > REPLAY_LIMIT {
                        return First::Committed;
                    }
                }
                Err(_) => return First::ClientGone,
            },
        }
    }
}
