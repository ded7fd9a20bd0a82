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
}

/// Creates the data directory if needed and takes its lock, so that two
/// podium processes never write one store.
pub fn lock_data_dir(dir: &Path) -> Result<DataDirLock, ConfigError> {
    std::fs::create_dir_all(dir).map_err(|source| ConfigError::CreateDataDir {
        path: dir.to_path_buf(),
        source,
    })?;
    let path = dir.join("podium.lock");
    let file = File::create(&path).map_err(|source| ConfigError::Lock {
        path: path.clone(),
        source,
    })?;
    match file.try_lock() {
        Ok(()) => Ok(DataDirLock { _file: file }),
        Err(std::fs::TryLockError::WouldBlock) => Err(ConfigError::InUse {
            path: dir.to_path_buf(),
        }),
        Err(std::fs::TryLockError::Error(source)) => Err(ConfigError::Lock { path, source }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
