//! `podium images demo`: local images for tests and offline demos, with no
//! registry. The echo workload from this repository (built statically) plus
//! a static busybox become a tiny root filesystem, imported into the local
//! Docker engine as `podium/echo:1.0` and `podium/echo:2.0` — two versions
//! to roll between.

mod elf;
mod programs;
mod rootfs;

use bytes::Bytes;

use crate::cli::{DemoArgs, ImagesCommand};
use crate::kubelet::docker::{self, DockerError};
use programs::{Busybox, ProgramsError};
use rootfs::RootfsContents;

/// The demo images: reference and the VERSION the workload reports.
pub const DEMO_IMAGES: [(&str, &str); 2] = [("podium/echo:1.0", "1.0"), ("podium/echo:2.0", "2.0")];

/// Image label holding a hash of the root filesystem and changes the image
/// was made from: equal means the image is up to date and is left alone, so
/// repeated runs are quick and image ids stay stable. Containers inherit it,
/// which is harmless: podium recognises its containers by other labels.
pub const CONTENT_LABEL: &str = "podium.dev/image-content-sha256";

#[derive(Debug, thiserror::Error)]
pub enum ImagesError {
    #[error(transparent)]
    Programs(#[from] ProgramsError),
    #[error("cannot assemble the images' root filesystem: {0}")]
    Rootfs(std::io::Error),
    #[error(transparent)]
    Docker(#[from] DockerError),
}

pub async fn run(command: ImagesCommand) -> anyhow::Result<()> {
    match command {
        ImagesCommand::Demo(args) => Ok(demo(&args).await?),
    }
}

/// Builds the root filesystem and imports each demo image that is missing
/// or out of date; prints one line per image.
pub async fn demo(args: &DemoArgs) -> Result<(), ImagesError> {
    // Blocking work (cargo, file reads) before any engine call; a CLI
    // command has the runtime to itself.
    let echo = programs::echo_workload(args.binary.as_deref())?;
    let busybox = programs::find_busybox();
    let busybox_contents = match &busybox {
        Busybox::Found {
            path,
            bytes,
            applets,
        } => {
            eprintln!(
                "podium: the images get a shell: busybox from {}",
                path.display()
            );
            Some((bytes.as_slice(), applets.clone()))
        }
        Busybox::Missing(why) => {
            eprintln!("podium: {why}");
            None
        }
    };
    let tar = rootfs::build(&RootfsContents {
        echo: &echo,
        busybox: busybox_contents,
    })
    .map_err(ImagesError::Rootfs)?;
    let tar = Bytes::from(tar);

    for (reference, version) in DEMO_IMAGES {
        let mut changes = image_changes(version);
        let content = content_hash(&tar, &changes);
        let present = docker::local_image(reference).await?;
        let outcome = match present {
            Some(image) if image.labels.get(CONTENT_LABEL) == Some(&content) => {
                ImportOutcome::UpToDate(image.id)
            }
            _ => {
                changes.push(format!("LABEL {CONTENT_LABEL}={content}"));
                let changes: Vec<&str> = changes.iter().map(String::as_str).collect();
                ImportOutcome::Imported(
                    docker::import_image(reference, tar.clone(), &changes).await?,
                )
            }
        };
        println!("{}", summary_line(reference, &outcome, tar.len()));
    }
    Ok(())
}

enum ImportOutcome {
    Imported(String),
    UpToDate(String),
}

/// Dockerfile instructions applied on import.
fn image_changes(version: &str) -> Vec<String> {
    vec![
        format!("ENV VERSION={version}"),
        r#"ENTRYPOINT ["/echo"]"#.to_string(),
        "EXPOSE 8080".to_string(),
    ]
}

/// SHA-256 over the root filesystem and the changes, hex.
fn content_hash(tar: &[u8], changes: &[String]) -> String {
    let mut context = ring::digest::Context::new(&ring::digest::SHA256);
    context.update(tar);
    for change in changes {
        context.update(b"\n");
        context.update(change.as_bytes());
    }
    context
        .finish()
        .as_ref()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// `podium/echo:1.0  sha256:…  7.9 MB  imported`
fn summary_line(reference: &str, outcome: &ImportOutcome, size: usize) -> String {
    let (id, state) = match outcome {
        ImportOutcome::Imported(id) => (id, "imported"),
        ImportOutcome::UpToDate(id) => (id, "up to date"),
    };
    format!(
        "{reference}  {id}  {:.1} MB  {state}",
        size as f64 / 1_000_000.0
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_image_reports_its_version_and_runs_echo() {
        assert_eq!(
            image_changes("2.0"),
            ["ENV VERSION=2.0", r#"ENTRYPOINT ["/echo"]"#, "EXPOSE 8080"]
        );
    }

    #[test]
    fn content_hash_changes_with_the_rootfs_and_the_changes() {
        let changes = image_changes("1.0");
        let hash = content_hash(b"rootfs", &changes);
        assert_eq!(hash.len(), 64);
        assert_eq!(hash, content_hash(b"rootfs", &changes));
        assert_ne!(hash, content_hash(b"rootfs2", &changes));
        assert_ne!(hash, content_hash(b"rootfs", &image_changes("2.0")));
    }

    #[test]
    fn summary_names_reference_id_size_and_what_happened() {
        let line = summary_line(
            "podium/echo:1.0",
            &ImportOutcome::Imported("sha256:abc".to_string()),
            7_940_000,
        );
        assert_eq!(line, "podium/echo:1.0  sha256:abc  7.9 MB  imported");
        let line = summary_line(
            "podium/echo:2.0",
            &ImportOutcome::UpToDate("sha256:def".to_string()),
            7_940_000,
        );
        assert_eq!(line, "podium/echo:2.0  sha256:def  7.9 MB  up to date");
    }
}
