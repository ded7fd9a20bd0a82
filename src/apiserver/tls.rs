//! The server's identity and the client's credentials, kept in the data
//! dir: a CA and a serving certificate (made on first start, reused after),
//! a bearer token, and the kubeconfig that ties them together for kubectl.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

const CA_CERT: &str = "ca.crt";
const CA_KEY: &str = "ca.key";
const SERVER_CERT: &str = "apiserver.crt";
const SERVER_KEY: &str = "apiserver.key";
/// The names the serving certificate was issued for, one a line.
const SERVER_NAMES: &str = "apiserver.names";
const TOKEN: &str = "token";
pub const KUBECONFIG: &str = "kubeconfig";

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot access {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is damaged ({reason}); move it aside (with its neighbours ca.crt, apiserver.crt, apiserver.key) to make new certificates", path.display())]
    Damaged { path: PathBuf, reason: String },
    #[error("cannot generate certificates: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("cannot configure TLS: {0}")]
    Rustls(#[from] rustls::Error),
}

/// What `start` needs from the data dir.
pub struct Credentials {
    pub ca_pem: String,
    pub server_config: Arc<rustls::ServerConfig>,
    pub token: String,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> TlsError + '_ {
    move |source| TlsError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes a file readable by its owner only.
fn write_private(path: &Path, contents: &[u8]) -> Result<(), TlsError> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options.open(path).map_err(io_err(path))?;
    file.write_all(contents).map_err(io_err(path))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(io_err(path))?;
    }
    Ok(())
}

/// Loads the certificates and token from `dir`, creating them on first start.
pub fn load_or_create(dir: &Path) -> Result<Credentials, TlsError> {
    std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    if !dir.join(SERVER_CERT).exists() {
        generate(dir)?;
    }
    let token_path = dir.join(TOKEN);
    if !token_path.exists() {
        let bytes: [u8; 24] = rand::random();
        let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        write_private(&token_path, token.as_bytes())?;
    }
    let token = std::fs::read_to_string(&token_path).map_err(io_err(&token_path))?;
    let token = token.trim().to_string();
    if token.is_empty() || !token.chars().all(|c| c.is_ascii_graphic()) {
        return Err(TlsError::Damaged {
            path: token_path,
            reason: "not a bearer token".into(),
        });
    }

    let ca_path = dir.join(CA_CERT);
    let ca_pem = std::fs::read_to_string(&ca_path).map_err(io_err(&ca_path))?;
    if CertificateDer::from_pem_slice(ca_pem.as_bytes()).is_err() {
        return Err(TlsError::Damaged {
            path: ca_path,
            reason: "no PEM certificate".into(),
        });
    }
    let cert_path = dir.join(SERVER_CERT);
    let cert_pem = std::fs::read(&cert_path).map_err(io_err(&cert_path))?;
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<_, _>>()
        .map_err(|e| TlsError::Damaged {
            path: cert_path.clone(),
            reason: e.to_string(),
        })?;
    if chain.is_empty() {
        return Err(TlsError::Damaged {
            path: cert_path,
            reason: "no PEM certificate".into(),
        });
    }
    let key_path = dir.join(SERVER_KEY);
    let key_pem = std::fs::read(&key_path).map_err(io_err(&key_path))?;
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| TlsError::Damaged {
        path: key_path.clone(),
        reason: e.to_string(),
    })?;

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    // A client may log in with a certificate the cluster's CA signed (as
    // kind's and minikube's kubeconfigs do) instead of the token.
    let mut roots = rustls::RootCertStore::empty();
    for ca in CertificateDer::pem_slice_iter(ca_pem.as_bytes()).flatten() {
        roots.add(ca).map_err(|e| TlsError::Damaged {
            path: ca_path.clone(),
            reason: e.to_string(),
        })?;
    }
    let clients = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .allow_unauthenticated()
    .build()
    .map_err(|e| TlsError::Damaged {
        path: ca_path.clone(),
        reason: e.to_string(),
    })?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(clients)
        .with_single_cert(chain, key)
        .map_err(|e| TlsError::Damaged {
            path: key_path,
            reason: e.to_string(),
        })?;
    // kubectl negotiates HTTP/2 by ALPN.
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Credentials {
        ca_pem,
        server_config: Arc::new(config),
        token,
    })
}

/// The cluster CA's name and constraints.
fn ca_params() -> Result<CertificateParams, TlsError> {
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params
        .distinguished_name
        .push(DnType::CommonName, "podium-ca");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    Ok(params)
}

/// The names every serving certificate carries: where kubectl on the
/// host reaches the server.
const LOOPBACK_NAMES: [&str; 3] = ["127.0.0.1", "::1", "localhost"];

fn generate(dir: &Path) -> Result<(), TlsError> {
    let ca_key = KeyPair::generate()?;
    let ca_cert = ca_params()?.self_signed(&ca_key)?;
    write_private(&dir.join(CA_KEY), ca_key.serialize_pem().as_bytes())?;
    write_private(&dir.join(CA_CERT), ca_cert.pem().as_bytes())?;
    let names: Vec<String> = LOOPBACK_NAMES.iter().map(|n| n.to_string()).collect();
    issue_server(dir, &ca_key, &names)
}

/// A serving certificate for `names`, signed by the CA; the certificate
/// is written last, so its presence means the set is complete.
fn issue_server(dir: &Path, ca_key: &KeyPair, names: &[String]) -> Result<(), TlsError> {
    let server_key = KeyPair::generate()?;
    let mut server_params = CertificateParams::new(names.to_vec())?;
    server_params
        .distinguished_name
        .push(DnType::CommonName, "podium-apiserver");
    let issuer = Issuer::new(ca_params()?, ca_key);
    let server_cert = server_params.signed_by(&server_key, &issuer)?;
    write_private(&dir.join(SERVER_KEY), server_key.serialize_pem().as_bytes())?;
    write_private(&dir.join(SERVER_CERT), server_cert.pem().as_bytes())?;
    write_private(&dir.join(SERVER_NAMES), names.join("\n").as_bytes())?;
    Ok(())
}

/// Makes the serving certificate also name `extra` (the `kubernetes`
/// Service's ClusterIP and DNS names, for clients inside pods), issuing a
/// new one from the same CA when it does not yet: kubeconfigs stay valid.
pub fn ensure_server_names(dir: &Path, extra: &[String]) -> Result<(), TlsError> {
    let mut names: Vec<String> = LOOPBACK_NAMES.iter().map(|n| n.to_string()).collect();
    names.extend(extra.iter().cloned());
    let recorded = std::fs::read_to_string(dir.join(SERVER_NAMES)).unwrap_or_default();
    if recorded == names.join("\n") {
        return Ok(());
    }
    issue_server(dir, &load_ca_key(dir)?, &names)
}

fn load_ca_key(dir: &Path) -> Result<KeyPair, TlsError> {
    let ca_key_path = dir.join(CA_KEY);
    let ca_key_pem = std::fs::read_to_string(&ca_key_path).map_err(io_err(&ca_key_path))?;
    KeyPair::from_pem(&ca_key_pem).map_err(|e| TlsError::Damaged {
        path: ca_key_path,
        reason: e.to_string(),
    })
}

/// A client certificate and its key (PEM) for `user`, signed by the
/// cluster's CA in `dir`: the API server takes it in place of the token,
/// as a kubeconfig's `client-certificate-data` / `client-key-data`.
pub fn client_certificate(dir: &Path, user: &str) -> Result<(String, String), TlsError> {
    let ca_key = load_ca_key(dir)?;
    // The CA's own parameters name it as the issuer, as when it was made.
    let issuer = Issuer::new(ca_params()?, &ca_key);
    let key = KeyPair::generate()?;
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params.distinguished_name.push(DnType::CommonName, user);
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    let cert = params.signed_by(&key, &issuer)?;
    Ok((cert.pem(), key.serialize_pem()))
}

/// Writes `dir/kubeconfig` (mode 0600) pointing kubectl at `server`.
pub fn write_kubeconfig(
    dir: &Path,
    server: &str,
    credentials: &Credentials,
) -> Result<PathBuf, TlsError> {
    let ca = base64::engine::general_purpose::STANDARD.encode(credentials.ca_pem.as_bytes());
    let text = format!(
        "apiVersion: v1\n\
         kind: Config\n\
         clusters:\n\
         - name: podium\n  cluster:\n    server: {server}\n    certificate-authority-data: {ca}\n\
         contexts:\n\
         - name: podium\n  context:\n    cluster: podium\n    user: podium\n    namespace: default\n\
         current-context: podium\n\
         users:\n\
         - name: podium\n  user:\n    token: {token}\n\
         preferences: {{}}\n",
        token = credentials.token,
    );
    let path = dir.join(KUBECONFIG);
    write_private(&path, text.as_bytes())?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_then_reuses_credentials() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = load_or_create(dir.path()).expect("first start");
        let second = load_or_create(dir.path()).expect("restart");
        assert_eq!(first.ca_pem, second.ca_pem);
        assert_eq!(first.token, second.token);
    }

    #[test]
    fn damaged_key_names_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        load_or_create(dir.path()).expect("first start");
        std::fs::write(dir.path().join(SERVER_KEY), "garbage").expect("write");
        let Err(err) = load_or_create(dir.path()) else {
            panic!("a damaged key must be refused");
        };
        assert!(err.to_string().contains("apiserver.key"), "{err}");
    }
}
