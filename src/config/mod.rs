//! Where podium keeps things: the data directory (store, certificates,
//! kubeconfig, logs), resolved from the flag, PODIUM_DATA_DIR, or the
//! platform's data directory.

use std::fs::File;
use std::path::{Path, PathBuf};

pub mod settings;
pub mod theme_file;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "no home directory to keep podium's data in; pass --data-dir DIR or set PODIUM_DATA_DIR"
    )]
    NoDataDir,
    #[error("cannot create the data directory {}: {source}; pass --data-dir DIR to use another", path.display())]
    CreateDataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("another podium is already running on {}; stop it first, or pass --data-dir DIR to run a second one", path.display())]
    InUse { path: PathBuf },
    #[error("cannot lock {}: {source}", path.display())]
    Lock {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read or write {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The data directory to use: the explicit one, else the platform's.
pub fn data_dir(explicit: Option<&Path>) -> Result<PathBuf, ConfigError> {
    if let Some(dir) = explicit {
        return Ok(dir.to_path_buf());
    }
    directories::ProjectDirs::from("dev", "podium", "podium")
        .map(|dirs| dirs.data_dir().to_path_buf())
        .ok_or(ConfigError::NoDataDir)
}

/// Holds the data directory for this process; released on drop.
#[derive(Debug)]
pub struct DataDirLock {
    _file: File,
    /// Set when the directory was open to other users and was made
    /// private, saying so.
    pub tightened: Option<String>,
}

/// Creates `dir` (and missing parents) readable by its owner only.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Makes `dir` owner-only if other users may read or enter it: it holds
/// the store (every Secret), the cluster's CA key and the tokens' key, as
/// etcd's and k3s's data directories are 0700. Answers the line that says
/// so, or `None` when it already was.
#[cfg(unix)]
fn make_private(dir: &Path) -> std::io::Result<Option<String>> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(dir)?.permissions().mode() & 0o777;
    if mode & 0o077 == 0 {
        return Ok(None);
    }
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    Ok(Some(format!(
        "the data directory {} was open to other users (mode {mode:04o}); it holds the cluster's Secrets and keys, so podium made it 0700",
        dir.display()
    )))
}

#[cfg(not(unix))]
fn make_private(_dir: &Path) -> std::io::Result<Option<String>> {
    Ok(None)
}

/// Creates the data directory if needed and takes its lock, so that two
/// podium processes never write one store.
pub fn lock_data_dir(dir: &Path) -> Result<DataDirLock, ConfigError> {
    let create_error = |source| ConfigError::CreateDataDir {
        path: dir.to_path_buf(),
        source,
    };
    create_private_dir(dir).map_err(create_error)?;
    let tightened = make_private(dir).map_err(create_error)?;
    let path = dir.join("podium.lock");
    let file = File::create(&path).map_err(|source| ConfigError::Lock {
        path: path.clone(),
        source,
    })?;
    match file.try_lock() {
        Ok(()) => Ok(DataDirLock {
            _file: file,
            tightened,
        }),
        Err(std::fs::TryLockError::WouldBlock) => Err(ConfigError::InUse {
            path: dir.to_path_buf(),
        }),
        Err(std::fs::TryLockError::Error(source)) => Err(ConfigError::Lock { path, source }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_data_directory_open_to_others_is_made_private_and_said_so() {
        use std::os::unix::fs::PermissionsExt;
        let parent = tempfile::tempdir().expect("tempdir");
        let fresh = parent.path().join("new/podium");
        let lock = lock_data_dir(&fresh).expect("lock");
        assert_eq!(lock.tightened, None);
        let mode = |dir: &Path| std::fs::metadata(dir).expect("dir").permissions().mode() & 0o777;
        assert_eq!(mode(&fresh), 0o700);
        drop(lock);

        let open = parent.path().join("open");
        std::fs::create_dir(&open).expect("dir");
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let lock = lock_data_dir(&open).expect("lock");
        let said = lock.tightened.clone().expect("a line about it");
        assert!(
            said.contains("mode 0755") && said.contains("0700"),
            "{said}"
        );
        assert_eq!(mode(&open), 0o700);
    }

    #[test]
    fn a_second_lock_on_one_dir_is_refused_with_advice() {
        let dir = tempfile::tempdir().expect("tempdir");
        let _held = lock_data_dir(dir.path()).expect("first lock");
        let error = lock_data_dir(dir.path()).expect_err("second lock");
        assert!(
            error
                .to_string()
                .contains("another podium is already running")
        );
        assert!(error.to_string().contains("--data-dir"));
    }

    #[test]
    fn explicit_dir_wins() {
        let dir = data_dir(Some(Path::new("/tmp/x"))).expect("dir");
        assert_eq!(dir, PathBuf::from("/tmp/x"));
    }
}

/// What podium keeps in its data directory, relative to it. `reset`
/// removes exactly these and nothing else the directory may hold.
pub const STORE_DIR: &str = "store";
pub const PKI_DIR: &str = "pki";
pub const KUBECONFIG_FILE: &str = "kubeconfig";
pub const LOG_DIR: &str = "logs";
/// Pod volumes (emptyDir, configMap and secret files) on the host.
pub const PODS_DIR: &str = "pods";
/// PersistentVolumes podium's provisioner made, one directory each.
pub const VOLUMES_DIR: &str = "volumes";
/// This cluster's id, the label on every container it creates.
pub const CLUSTER_ID_FILE: &str = "cluster-id";

/// The cluster's id, made on first start and kept in the data directory:
/// the Docker runtime labels what it creates with it, so podiums with
/// different data directories never touch each other's containers.
pub fn cluster_id(dir: &Path) -> Result<String, ConfigError> {
    let path = dir.join(CLUSTER_ID_FILE);
    match std::fs::read_to_string(&path) {
        Ok(id) if !id.trim().is_empty() => return Ok(id.trim().to_string()),
        Ok(_) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(source) => return Err(ConfigError::Io { path, source }),
    }
    let id = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
    std::fs::write(&path, format!("{id}\n")).map_err(|source| ConfigError::Io {
        path: path.clone(),
        source,
    })?;
    Ok(id)
}

/// The cluster's id if it ever started.
pub fn existing_cluster_id(dir: &Path) -> Option<String> {
    let id = std::fs::read_to_string(dir.join(CLUSTER_ID_FILE)).ok()?;
    Some(id.trim().to_string()).filter(|id| !id.is_empty())
}

#[derive(Debug, thiserror::Error)]
pub enum ResetError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("not confirmed, nothing removed; run `podium reset --yes` to wipe without asking")]
    NotConfirmed,
    #[error("cannot remove {}: {source}", path.display())]
    Remove {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Removes podium's state from `dir` (the caller holds its lock):
/// exactly the entries podium keeps there, nothing else the directory holds.
pub fn remove_state(dir: &Path) -> Result<(), ResetError> {
    for name in [
        STORE_DIR,
        PKI_DIR,
        KUBECONFIG_FILE,
        LOG_DIR,
        PODS_DIR,
        VOLUMES_DIR,
        CLUSTER_ID_FILE,
    ] {
        let path = dir.join(name);
        let removed = if path.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        match removed {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(ResetError::Remove { path, source }),
        }
    }
    Ok(())
}

/// Asks on the terminal before wiping `dir`; false unless answered yes.
pub fn confirm(dir: &Path) -> anyhow::Result<bool> {
    use std::io::Write;
    eprint!(
        "This removes every object podium stores in {} (and its certificates and kubeconfig). Continue? [y/N] ",
        dir.display()
    );
    std::io::stderr().flush()?;
    let mut answer = String::new();
    let read = std::io::stdin().read_line(&mut answer)?;
    eprintln!();
    Ok(read > 0 && matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
}
