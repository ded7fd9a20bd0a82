//! `podium reset`: asks first (unless `--yes`), removes the containers this
//! cluster made on Docker, then podium's state in the data directory.

use crate::cli::ResetArgs;
use crate::config::{self, ResetError};
use crate::kubelet::docker::{DockerOptions, DockerRuntime};

pub async fn reset(args: &ResetArgs) -> anyhow::Result<()> {
    let dir = config::data_dir(args.data_dir.as_deref())?;
    if !dir.exists() {
        println!("nothing to reset: {} does not exist", dir.display());
        return Ok(());
    }
    // Holding the lock makes sure no podium is using the directory.
    let _lock = config::lock_data_dir(&dir)?;
    if !args.yes && !config::confirm(&dir)? {
        return Err(ResetError::NotConfirmed.into());
    }
    if let Some(cluster_id) = config::existing_cluster_id(&dir) {
        remove_containers(&cluster_id).await;
    }
    config::remove_state(&dir)?;
    println!("podium state in {} removed", dir.display());
    Ok(())
}

/// Removes the cluster's containers; an engine that is not there is said,
/// with the command that removes them later, but does not stop the reset.
async fn remove_containers(cluster_id: &str) {
    let options = DockerOptions {
        cluster_id: cluster_id.to_string(),
    };
    let removed = match DockerRuntime::connect(options).await {
        Ok(docker) => docker.remove_cluster_containers().await,
        Err(error) => Err(error),
    };
    match removed {
        Ok(0) => {}
        Ok(n) => println!("removed {n} containers of this cluster from Docker"),
        Err(error) => eprintln!(
            "podium: {error}\npodium: if this cluster ran pods on Docker, remove them once the engine answers: docker rm -f $(docker ps -aq --filter label=podium.dev/cluster={cluster_id})"
        ),
    }
}
