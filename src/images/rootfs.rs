//! The demo images' root filesystem as an in-memory tar: the echo workload,
//! optionally busybox with its common applets (so `kubectl exec -- sh` has a
//! shell), /tmp, and a minimal /etc. Byte-for-byte the same for the same
//! inputs, so that a hash of it tells whether an image is up to date.

use std::io;

/// Applets linked to busybox when it supports them: a shell and what people
/// type in one while exploring a pod.
pub const APPLETS: &[&str] = &[
    "[", "ash", "awk", "basename", "cat", "chmod", "cp", "cut", "date", "dd", "df", "dirname",
    "du", "echo", "env", "expr", "false", "find", "free", "grep", "gunzip", "gzip", "head",
    "hostname", "id", "ifconfig", "ip", "kill", "less", "ln", "ls", "mkdir", "more", "mv", "nc",
    "netstat", "nslookup", "ping", "printenv", "ps", "pwd", "rm", "rmdir", "sed", "seq", "sh",
    "sleep", "sort", "stat", "tail", "tar", "tee", "test", "top", "touch", "tr", "true", "uname",
    "uniq", "uptime", "vi", "watch", "wc", "wget", "which", "whoami", "xargs",
];

const PASSWD: &str =
    "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
const GROUP: &str = "root:x:0:\nnogroup:x:65534:\n";

/// What goes into the root filesystem.
pub struct RootfsContents<'a> {
    /// The static echo workload, at /echo.
    pub echo: &'a [u8],
    /// A static busybox for /bin/busybox, with the applets to link to it.
    pub busybox: Option<(&'a [u8], Vec<&'a str>)>,
}

/// The tar of the root filesystem. Fixed owners and timestamps keep it
/// reproducible.
pub fn build(contents: &RootfsContents<'_>) -> io::Result<Vec<u8>> {
    let mut tar = tar::Builder::new(Vec::new());
    directory(&mut tar, "etc/", 0o755)?;
    file(&mut tar, "etc/group", GROUP.as_bytes(), 0o644)?;
    file(&mut tar, "etc/passwd", PASSWD.as_bytes(), 0o644)?;
    file(&mut tar, "echo", contents.echo, 0o755)?;
    directory(&mut tar, "root/", 0o700)?;
    // Sticky and world-writable, as every /tmp.
    directory(&mut tar, "tmp/", 0o1777)?;
    if let Some((busybox, applets)) = &contents.busybox {
        directory(&mut tar, "bin/", 0o755)?;
        file(&mut tar, "bin/busybox", busybox, 0o755)?;
        let mut applets = applets.clone();
        applets.sort_unstable();
        applets.dedup();
        for applet in applets.iter().filter(|applet| **applet != "busybox") {
            symlink(&mut tar, &format!("bin/{applet}"), "busybox")?;
        }
    }
    tar.into_inner()
}

fn header(kind: tar::EntryType, mode: u32, size: u64) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(kind);
    header.set_mode(mode);
    header.set_size(size);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(0);
    header
}

fn directory(tar: &mut tar::Builder<Vec<u8>>, path: &str, mode: u32) -> io::Result<()> {
    let mut header = header(tar::EntryType::Directory, mode, 0);
    tar.append_data(&mut header, path, io::empty())
}

fn file(tar: &mut tar::Builder<Vec<u8>>, path: &str, bytes: &[u8], mode: u32) -> io::Result<()> {
    let mut header = header(tar::EntryType::Regular, mode, bytes.len() as u64);
    tar.append_data(&mut header, path, bytes)
}

fn symlink(tar: &mut tar::Builder<Vec<u8>>, path: &str, target: &str) -> io::Result<()> {
    let mut header = header(tar::EntryType::Symlink, 0o777, 0);
    tar.append_link(&mut header, path, target)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// (path, kind, mode, link target or contents) of every entry.
    fn entries(tar_bytes: &[u8]) -> Vec<(String, tar::EntryType, u32, String)> {
        let mut archive = tar::Archive::new(tar_bytes);
        let mut found = Vec::new();
        for entry in archive.entries().expect("entries") {
            let mut entry = entry.expect("entry");
            let path = entry.path().expect("path").display().to_string();
            let kind = entry.header().entry_type();
            let mode = entry.header().mode().expect("mode");
            let detail = match entry.link_name().expect("link") {
                Some(target) => target.display().to_string(),
                None => {
                    let mut text = String::new();
                    entry.read_to_string(&mut text).expect("contents");
                    text
                }
            };
            found.push((path, kind, mode, detail));
        }
        found
    }

    #[test]
    fn echo_only_rootfs_has_echo_tmp_and_etc() {
        let tar = build(&RootfsContents {
            echo: b"echo-binary",
            busybox: None,
        })
        .expect("builds");
        let found = entries(&tar);
        let names: Vec<&str> = found.iter().map(|(path, ..)| path.as_str()).collect();
        assert_eq!(
            names,
            ["etc/", "etc/group", "etc/passwd", "echo", "root/", "tmp/"]
        );
        let echo = found.iter().find(|entry| entry.0 == "echo").expect("echo");
        assert_eq!((echo.2, echo.3.as_str()), (0o755, "echo-binary"));
        let tmp = found.iter().find(|entry| entry.0 == "tmp/").expect("tmp");
        assert_eq!((tmp.1, tmp.2), (tar::EntryType::Directory, 0o1777));
        let passwd = found
            .iter()
            .find(|entry| entry.0 == "etc/passwd")
            .expect("passwd");
        assert!(passwd.3.starts_with("root:x:0:0:root:/root:/bin/sh\n"));
    }

    #[test]
    fn busybox_applets_are_symlinks_to_it() {
        let tar = build(&RootfsContents {
            echo: b"echo-binary",
            busybox: Some((b"busybox-binary", vec!["sh", "ls", "sh", "busybox"])),
        })
        .expect("builds");
        let found = entries(&tar);
        let bin: Vec<_> = found
            .iter()
            .filter(|(path, ..)| path.starts_with("bin/"))
            .map(|(path, kind, _, detail)| (path.as_str(), *kind, detail.as_str()))
            .collect();
        assert_eq!(
            bin,
            [
                ("bin/", tar::EntryType::Directory, ""),
                ("bin/busybox", tar::EntryType::Regular, "busybox-binary"),
                ("bin/ls", tar::EntryType::Symlink, "busybox"),
                ("bin/sh", tar::EntryType::Symlink, "busybox"),
            ]
        );
    }

    #[test]
    fn same_inputs_give_the_same_bytes() {
        let contents = RootfsContents {
            echo: b"echo-binary",
            busybox: Some((b"busybox-binary", APPLETS.to_vec())),
        };
        assert_eq!(
            build(&contents).expect("builds"),
            build(&contents).expect("builds")
        );
    }
}
