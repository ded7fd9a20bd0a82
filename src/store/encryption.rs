//! Secrets encrypted at rest (`--encrypt-secrets`), as upstream's
//! EncryptionConfiguration provider `secretbox`: XSalsa20-Poly1305 under a
//! 32-byte key, a random 24-byte nonce before the sealed box (tag, then
//! ciphertext), the whole behind `k8s:enc:secretbox:v1:<keyname>:`. The
//! log is JSON lines, so the sealed bytes are written in base64 after
//! that prefix.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use crypto_secretbox::aead::{Aead, KeyInit};
use crypto_secretbox::{Key, Nonce, XSalsa20Poly1305};

use super::StoreError;

/// The key's file in the data directory.
pub const KEY_FILE: &str = "encryption-key";

const KEY_BYTES: usize = 32;
const NONCE_BYTES: usize = 24;
const TAG_BYTES: usize = 16;

/// What every encrypted value starts with, whichever provider wrote it.
const ENCRYPTED_PREFIX: &str = "k8s:enc:";
/// What this provider writes: the provider, its version and the key's name.
const PREFIX: &str = "k8s:enc:secretbox:v1:podium:";

/// How the store keeps Secrets on disk.
#[derive(Clone)]
pub struct AtRest {
    /// Where the key is, or would be: named when a store holding
    /// encrypted Secrets is opened without it.
    pub key_file: PathBuf,
    /// The key Secrets are sealed with; `None` writes them in clear.
    pub key: Option<SecretsKey>,
}

impl AtRest {
    /// Secrets in clear; `key_file` is where `--encrypt-secrets` keeps its key.
    pub fn clear(key_file: PathBuf) -> AtRest {
        AtRest {
            key_file,
            key: None,
        }
    }
}

/// The key Secrets are sealed with.
#[derive(Clone)]
pub struct SecretsKey {
    cipher: XSalsa20Poly1305,
}

impl SecretsKey {
    /// The key in `path`, made there (random, owner-only) when absent.
    pub fn load_or_create(path: &Path) -> Result<SecretsKey, StoreError> {
        let failed = |reason: String| StoreError::Key {
            path: path.to_path_buf(),
            reason,
        };
        let bytes = match fs::read(path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let bytes: [u8; KEY_BYTES] = rand::random();
                write_new_private(path, &bytes)
                    .map_err(|e| failed(format!("cannot create it: {e}")))?;
                tracing::info!(path = %path.display(), "created the key Secrets are encrypted with");
                bytes.to_vec()
            }
            Err(error) => return Err(failed(format!("cannot read it: {error}"))),
        };
        let key: [u8; KEY_BYTES] = bytes.as_slice().try_into().map_err(|_| {
            failed(format!(
                "it holds {} bytes where a key is {KEY_BYTES}; put back the key file from your backup",
                bytes.len()
            ))
        })?;
        Ok(SecretsKey::from_bytes(&key))
    }

    pub(super) fn from_bytes(key: &[u8; KEY_BYTES]) -> SecretsKey {
        SecretsKey {
            cipher: XSalsa20Poly1305::new(Key::from_slice(key)),
        }
    }

    /// `plain` sealed under a fresh nonce, as the log keeps it.
    pub(super) fn seal(&self, plain: &[u8]) -> Result<String, std::io::Error> {
        let nonce: [u8; NONCE_BYTES] = rand::random();
        let sealed = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plain)
            .map_err(|_| std::io::Error::other("cannot encrypt a Secret"))?;
        let mut stored = Vec::with_capacity(NONCE_BYTES + sealed.len());
        stored.extend_from_slice(&nonce);
        stored.extend_from_slice(&sealed);
        Ok(format!("{PREFIX}{}", STANDARD.encode(stored)))
    }

    /// The plain bytes of a value [`SecretsKey::seal`] wrote; why not otherwise.
    pub(super) fn open(&self, stored: &str) -> Result<Vec<u8>, String> {
        let Some(encoded) = stored.strip_prefix(PREFIX) else {
            return Err(format!(
                "it was written as {}, and podium reads {PREFIX}",
                provider_of(stored)
            ));
        };
        let bytes = STANDARD
            .decode(encoded)
            .map_err(|e| format!("its base64 is damaged: {e}"))?;
        if bytes.len() < NONCE_BYTES + TAG_BYTES {
            return Err("the stored data was shorter than the required size".to_string());
        }
        let (nonce, sealed) = bytes.split_at(NONCE_BYTES);
        self.cipher
            .decrypt(Nonce::from_slice(nonce), sealed)
            .map_err(|_| "it does not authenticate under this key".to_string())
    }
}

/// Whether a stored value is encrypted (by any provider).
pub(super) fn is_encrypted(stored: &str) -> bool {
    stored.starts_with(ENCRYPTED_PREFIX)
}

/// `k8s:enc:<provider>:<version>:<key>:` of an encrypted value, for messages.
fn provider_of(stored: &str) -> String {
    let fields: Vec<&str> = stored.splitn(6, ':').take(5).collect();
    format!("{}:", fields.join(":"))
}

/// Writes a file that must not exist yet, readable by its owner only.
fn write_new_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_with_its_key_only() {
        let key = SecretsKey::from_bytes(&[7; KEY_BYTES]);
        let sealed = key.seal(b"hunter2").expect("sealed");
        assert!(
            sealed.starts_with("k8s:enc:secretbox:v1:podium:"),
            "{sealed}"
        );
        assert!(!sealed.contains("hunter2"));
        assert_eq!(key.open(&sealed).expect("opens"), b"hunter2");
        // A fresh nonce each time: the same Secret never seals alike.
        assert_ne!(key.seal(b"hunter2").expect("sealed"), sealed);
        let other = SecretsKey::from_bytes(&[8; KEY_BYTES]);
        assert_eq!(
            other.open(&sealed).expect_err("another key"),
            "it does not authenticate under this key"
        );
    }

    #[test]
    fn the_layout_is_upstreams_nonce_then_tag_then_ciphertext() {
        let key = SecretsKey::from_bytes(&[1; KEY_BYTES]);
        let sealed = key.seal(b"abc").expect("sealed");
        let bytes = STANDARD
            .decode(sealed.strip_prefix(PREFIX).expect("prefix"))
            .expect("base64");
        assert_eq!(bytes.len(), NONCE_BYTES + TAG_BYTES + 3);
    }

    #[test]
    fn another_providers_value_is_named() {
        let key = SecretsKey::from_bytes(&[1; KEY_BYTES]);
        let error = key
            .open("k8s:enc:aescbc:v1:key1:AAAA")
            .expect_err("not ours");
        assert!(error.contains("k8s:enc:aescbc:v1:key1:"), "{error}");
    }

    #[test]
    fn the_key_file_is_made_once_owner_only_and_reused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(KEY_FILE);
        let first = SecretsKey::load_or_create(&path).expect("created");
        let bytes = fs::read(&path).expect("read");
        assert_eq!(bytes.len(), KEY_BYTES);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).expect("stat").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let again = SecretsKey::load_or_create(&path).expect("reused");
        assert_eq!(fs::read(&path).expect("read"), bytes);
        let sealed = first.seal(b"x").expect("sealed");
        assert_eq!(again.open(&sealed).expect("same key"), b"x");
    }

    #[test]
    fn a_short_key_file_is_refused_with_what_to_do() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(KEY_FILE);
        fs::write(&path, b"short").expect("write");
        let error = SecretsKey::load_or_create(&path)
            .err()
            .expect("refused")
            .to_string();
        assert!(error.contains(&path.display().to_string()), "{error}");
        assert!(error.contains("holds 5 bytes"), "{error}");
    }
}
