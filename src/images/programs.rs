//! Finds the programs that go into the demo images: the statically linked
//! echo workload (given, or built from podium's source tree with cargo) and,
//! when the host has a static one, busybox.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::elf::{Linkage, linkage};
use super::rootfs::APPLETS;

/// The source tree podium was built from; the workload crate is in it.
const SOURCE_DIR: &str = env!("CARGO_MANIFEST_DIR");
/// Where static busybox builds are installed (Debian's busybox-static: /bin,
/// merged-/usr systems also /usr/bin).
const BUSYBOX_PATHS: &[&str] = &["/bin/busybox", "/usr/bin/busybox"];
const INSTALL_BUSYBOX: &str = "apt-get install busybox-static";

#[derive(Debug, thiserror::Error)]
pub enum ProgramsError {
    #[error("--binary {}: no such file; pass the path of a statically linked echo workload, built with: {}", path.display(), build_hint())]
    BinaryMissing { path: PathBuf },
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is dynamically linked (it needs {interpreter}), so it cannot run in an image without a libc; build the workload statically: {}", path.display(), build_hint())]
    NotStatic { path: PathBuf, interpreter: String },
    #[error("{} is not a Linux executable; pass the echo workload built with: {}", path.display(), build_hint())]
    NotElf { path: PathBuf },
    #[error("no echo workload for the images: podium was built from {}, which is not here any more; pass --binary PATH with a static build of the workload, made in a podium checkout with: {}", dir.display(), build_hint())]
    NoSourceTree { dir: PathBuf },
    #[error(
        "cannot run `{program}` to build the echo workload: {source}; install Rust (https://rustup.rs) or pass --binary PATH"
    )]
    Toolchain {
        program: String,
        source: std::io::Error,
    },
    #[error(
        "`rustc -vV` named no host target; pass --binary PATH with a static build of the workload"
    )]
    NoHostTriple,
    #[error("building the echo workload failed ({status}); cargo's output above says why")]
    BuildFailed { status: std::process::ExitStatus },
}

/// The command that makes a static workload, for error messages.
fn build_hint() -> String {
    "RUSTFLAGS=\"-C target-feature=+crt-static\" cargo build --release -p podium-workload \
     --target $(rustc -vV | sed -n 's/^host: //p') --target-dir target/workload"
        .to_string()
}

/// The echo workload's bytes: from `explicit`, else built from the source tree.
pub fn echo_workload(explicit: Option<&Path>) -> Result<Vec<u8>, ProgramsError> {
    let path = match explicit {
        Some(path) if !path.is_file() => {
            return Err(ProgramsError::BinaryMissing {
                path: path.to_path_buf(),
            });
        }
        Some(path) => path.to_path_buf(),
        None => build_from_source(Path::new(SOURCE_DIR))?,
    };
    let bytes = std::fs::read(&path).map_err(|source| ProgramsError::Read {
        path: path.clone(),
        source,
    })?;
    match linkage(&bytes) {
        Linkage::Static => Ok(bytes),
        Linkage::Dynamic { interpreter } => Err(ProgramsError::NotStatic { path, interpreter }),
        Linkage::NotElf => Err(ProgramsError::NotElf { path }),
    }
}

/// Runs the static build (cargo skips it when nothing changed) in its own
/// target directory, so the main build's fingerprints stay untouched.
fn build_from_source(source: &Path) -> Result<PathBuf, ProgramsError> {
    if !source.join("workload").join("Cargo.toml").is_file() {
        return Err(ProgramsError::NoSourceTree {
            dir: source.to_path_buf(),
        });
    }
    let triple = host_triple(source)?;
    let target_dir = source.join("target").join("workload");
    // Inside `cargo test` CARGO names the cargo that built us.
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    eprintln!("podium: building the echo workload (static, {triple}) with cargo");
    let status = Command::new(&cargo)
        .current_dir(source)
        .args([
            "build",
            "--release",
            "-p",
            "podium-workload",
            "--target",
            &triple,
        ])
        .arg("--target-dir")
        .arg(&target_dir)
        // RUSTFLAGS is ignored when the encoded form is set.
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env("RUSTFLAGS", "-C target-feature=+crt-static")
        .status()
        .map_err(|source| ProgramsError::Toolchain {
            program: cargo.clone(),
            source,
        })?;
    if !status.success() {
        return Err(ProgramsError::BuildFailed { status });
    }
    Ok(target_dir.join(triple).join("release").join("echo"))
}

/// The host's target triple, as rustc names it (`x86_64-unknown-linux-gnu`).
fn host_triple(source: &Path) -> Result<String, ProgramsError> {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    let output = Command::new(&rustc)
        .current_dir(source)
        .arg("-vV")
        .output()
        .map_err(|source| ProgramsError::Toolchain {
            program: rustc,
            source,
        })?;
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|line| line.strip_prefix("host: "))
        .map(|triple| triple.trim().to_string())
        .ok_or(ProgramsError::NoHostTriple)
}

/// A static busybox for the images, or why there is none.
pub enum Busybox {
    Found {
        path: PathBuf,
        bytes: Vec<u8>,
        applets: Vec<&'static str>,
    },
    /// Why the images get no shell, and what to install.
    Missing(String),
}

pub fn find_busybox() -> Busybox {
    find_busybox_in(BUSYBOX_PATHS)
}

fn find_busybox_in(candidates: &[&str]) -> Busybox {
    let Some(path) = candidates
        .iter()
        .map(PathBuf::from)
        .find(|path| path.is_file())
    else {
        return Busybox::Missing(format!(
            "no busybox at {}: the images get no shell (`kubectl exec … -- sh` will not work); for one, install a static busybox: {INSTALL_BUSYBOX}",
            candidates.join(" or ")
        ));
    };
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(error) => {
            return Busybox::Missing(format!(
                "cannot read {}: {error}; the images get no shell",
                path.display()
            ));
        }
    };
    if linkage(&bytes) != Linkage::Static {
        return Busybox::Missing(format!(
            "{} is not statically linked, so it cannot run in the images, which get no shell; install the static build: {INSTALL_BUSYBOX}",
            path.display()
        ));
    }
    let applets = supported_applets(&path);
    Busybox::Found {
        path,
        bytes,
        applets,
    }
}

/// The wanted applets this busybox has (`busybox --list`); all of them when
/// it cannot say.
fn supported_applets(busybox: &Path) -> Vec<&'static str> {
    let listed = Command::new(busybox)
        .arg("--list")
        .output()
        .ok()
        .filter(|output| output.status.success())
        .map(|output| String::from_utf8_lossy(&output.stdout).into_owned());
    match listed {
        Some(list) => {
            let available: Vec<&str> = list.lines().map(str::trim).collect();
            APPLETS
                .iter()
                .copied()
                .filter(|applet| available.contains(applet))
                .collect()
        }
        None => APPLETS.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_binary_is_named_with_the_build_command() {
        let error = echo_workload(Some(Path::new("/nonexistent/echo"))).expect_err("missing");
        let message = error.to_string();
        assert!(
            message.starts_with("--binary /nonexistent/echo: no such file"),
            "{message}"
        );
        assert!(
            message.contains("cargo build --release -p podium-workload"),
            "{message}"
        );
    }

    #[test]
    fn a_dynamic_binary_is_refused_by_name() {
        // The test binary itself is dynamically linked.
        let path = std::env::current_exe().expect("test binary");
        let error = echo_workload(Some(&path)).expect_err("dynamic");
        let message = error.to_string();
        assert!(
            message.contains("is dynamically linked (it needs /"),
            "{message}"
        );
        assert!(message.contains("+crt-static"), "{message}");
    }

    #[test]
    fn a_script_is_not_an_executable_for_the_image() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("echo");
        std::fs::write(&path, "#!/bin/sh\necho hi\n").expect("write");
        let error = echo_workload(Some(&path)).expect_err("not elf");
        assert!(
            error.to_string().contains("is not a Linux executable"),
            "{error}"
        );
    }

    fn missing_reason(busybox: Busybox) -> String {
        match busybox {
            Busybox::Missing(why) => why,
            Busybox::Found { path, .. } => panic!("found {}", path.display()),
        }
    }

    #[test]
    fn no_busybox_means_no_shell_and_names_the_package() {
        let why = missing_reason(find_busybox_in(&["/nonexistent/busybox"]));
        assert_eq!(
            why,
            "no busybox at /nonexistent/busybox: the images get no shell (`kubectl exec … -- sh` will not work); for one, install a static busybox: apt-get install busybox-static"
        );
    }

    #[test]
    fn a_dynamic_busybox_is_not_used() {
        let exe = std::env::current_exe().expect("test binary");
        let exe = exe.to_str().expect("utf-8 path");
        let why = missing_reason(find_busybox_in(&[exe]));
        assert!(why.ends_with("is not statically linked, so it cannot run in the images, which get no shell; install the static build: apt-get install busybox-static"), "{why}");
    }

    #[test]
    fn without_the_source_tree_the_error_says_to_pass_binary() {
        let dir = tempfile::tempdir().expect("tempdir");
        let error = build_from_source(dir.path()).expect_err("no source");
        assert!(error.to_string().contains("pass --binary PATH"), "{error}");
    }
}
