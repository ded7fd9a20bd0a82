//! Where podium keeps things: the data directory (store, certificates,
//! kubeconfig, logs), resolved from the flag, PODIUM_DATA_DIR, or the
//! platform's data directory.

use std::fs::File;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("no home directory to keep podium's data in; pass --data-dir DIR or set PODIUM_DATA_DIR")]
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
        assert!(error.to_string().contains("another podium is already running"));
        assert!(error.to_string().contains("--data-dir"));
    }

    #[test]
    fn explicit_dir_wins() {
        let dir = data_dir(Some(Path::new("/tmp/x"))).expect("dir");
        assert_eq!(dir, PathBuf::from("/tmp/x"));
    }
}
