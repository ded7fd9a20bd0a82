//! ServiceAccount tokens: JWTs as upstream issues them (claims under
//! `kubernetes.io`, issuer and audience `https://kubernetes.default.svc.cluster.local`),
//! signed with HMAC-SHA256 under a key kept in the pki directory. Only
//! this API server verifies them (clients never do; TokenReview asks the
//! server), so a shared-key signature serves where upstream uses RS256.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

/// Issuer and default audience of every token.
pub const ISSUER: &str = "https://kubernetes.default.svc.cluster.local";
const KEY_FILE: &str = "service-account.key";
const KEY_BYTES: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("cannot read or write the ServiceAccount signing key {}: {source}", path.display())]
    Key {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Signs and verifies this cluster's tokens.
#[derive(Clone)]
pub struct Tokens {
    key: ring::hmac::Key,
}

/// What a token is bound to besides its ServiceAccount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bound {
    pub name: String,
    pub uid: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KubernetesClaims {
    pub namespace: String,
    pub serviceaccount: Bound,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod: Option<Bound>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<Bound>,
}

/// The claims of a token, as upstream's serviceaccount.privateClaims.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub sub: String,
    pub aud: Vec<String>,
    pub exp: i64,
    pub iat: i64,
    pub nbf: i64,
    #[serde(rename = "kubernetes.io")]
    pub kubernetes: KubernetesClaims,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        f.write_str("Tokens")
    }
}

impl Claims {
    /// The claims of a token for a ServiceAccount, bound to a pod when
    /// given, valid `lifetime` seconds from `now`.
    pub fn service_account(
        namespace: &str,
        account: Bound,
        pod: Option<Bound>,
        audiences: Vec<String>,
        lifetime: i64,
        now: i64,
    ) -> Claims {
        Claims {
            iss: ISSUER.to_string(),
            sub: format!("system:serviceaccount:{namespace}:{}", account.name),
            aud: if audiences.is_empty() {
                vec![ISSUER.to_string()]
            } else {
                audiences
            },
            exp: now + lifetime,
            iat: now,
            nbf: now,
            kubernetes: KubernetesClaims {
                namespace: namespace.to_string(),
                serviceaccount: account,
                pod,
                secret: None,
            },
        }
    }
}

impl Tokens {
    /// The cluster's key from `dir`, made on first use (0600).
    pub fn load_or_create(dir: &Path) -> Result<Tokens, TokenError> {
        let path = dir.join(KEY_FILE);
        let error = |source| TokenError::Key {
            path: path.clone(),
            source,
        };
        let key = match std::fs::read(&path) {
            Ok(bytes) if bytes.len() >= KEY_BYTES => bytes,
            _ => {
                let bytes: [u8; KEY_BYTES] = rand::random();
                std::fs::create_dir_all(dir).map_err(error)?;
                write_private(&path, &bytes).map_err(error)?;
                bytes.to_vec()
            }
        };
        Ok(Tokens::from_key(&key))
    }

    /// Tokens under a key that lives as long as the process (tests).
    pub fn ephemeral() -> Tokens {
        let bytes: [u8; KEY_BYTES] = rand::random();
        Tokens::from_key(&bytes)
    }

    fn from_key(key: &[u8]) -> Tokens {
        Tokens {
            key: ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key),
        }
    }

    pub fn issue(&self, claims: &Claims) -> String {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap_or_default());
        let signing_input = format!("{header}.{payload}");
        let signature = ring::hmac::sign(&self.key, signing_input.as_bytes());
        format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature.as_ref())
        )
    }

    /// The claims of a token this cluster signed that is valid `now`
    /// (seconds since the epoch); `None` for anything else.
    pub fn verify(&self, token: &str, now: i64) -> Option<Claims> {
        let (signing_input, signature) = token.rsplit_once('.')?;
        let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
        ring::hmac::verify(&self.key, signing_input.as_bytes(), &signature).ok()?;
        let (_, payload) = signing_input.split_once('.')?;
        let claims: Claims = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
        let audience_ok = claims.aud.is_empty() || claims.aud.iter().any(|a| a == ISSUER);
        (claims.iss == ISSUER && audience_ok && claims.nbf <= now + 60 && now < claims.exp)
            .then_some(claims)
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: i64) -> Claims {
        Claims {
            iss: ISSUER.into(),
            sub: "system:serviceaccount:default:ci".into(),
            aud: vec![ISSUER.into()],
            exp,
            iat: 100,
            nbf: 100,
            kubernetes: KubernetesClaims {
                namespace: "default".into(),
                serviceaccount: Bound {
                    name: "ci".into(),
                    uid: "u".into(),
                },
                pod: None,
                secret: None,
            },
        }
    }

    #[test]
    fn a_token_verifies_until_it_expires_and_only_under_its_key() {
        let tokens = Tokens::ephemeral();
        let token = tokens.issue(&claims(200));
        assert_eq!(tokens.verify(&token, 150), Some(claims(200)));
        assert_eq!(tokens.verify(&token, 200), None);
        assert_eq!(Tokens::ephemeral().verify(&token, 150), None);
        let mut tampered = token.clone();
        tampered.insert(token.find('.').unwrap_or(0) + 3, 'x');
        assert_eq!(tokens.verify(&tampered, 150), None);
    }

    #[test]
    fn the_key_is_kept_private_and_reused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let first = Tokens::load_or_create(dir.path()).expect("key");
        let token = first.issue(&claims(200));
        let second = Tokens::load_or_create(dir.path()).expect("key again");
        assert!(second.verify(&token, 150).is_some());
        let mode = std::fs::metadata(dir.path().join(KEY_FILE))
            .expect("key file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
