//! Tells a statically linked executable from a dynamic one. An image with no
//! libc has no dynamic loader, and a dynamic binary in it fails with a bare
//! "no such file or directory" — so podium refuses it up front, by name.

/// What an executable needs to run in an image that holds nothing else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Linkage {
    Static,
    /// Needs this program interpreter (dynamic loader), e.g. `/lib64/ld-linux-x86-64.so.2`.
    Dynamic {
        interpreter: String,
    },
    /// Not an ELF executable this check understands.
    NotElf,
}

const PT_INTERP: u32 = 3;

/// Reads the program headers: an executable that names an interpreter is
/// dynamically linked (static-pie executables name none).
pub fn linkage(bytes: &[u8]) -> Linkage {
    read_linkage(bytes).unwrap_or(Linkage::NotElf)
}

fn read_linkage(bytes: &[u8]) -> Option<Linkage> {
    if bytes.get(..4)? != b"\x7fELF" {
        return None;
    }
    let is_64 = match bytes.get(4)? {
        1 => false,
        2 => true,
        _ => return None,
    };
    let little_endian = match bytes.get(5)? {
        1 => true,
        2 => false,
        _ => return None,
    };
    let read = |offset: usize, width: usize| -> Option<u64> {
        let field = bytes.get(offset..offset.checked_add(width)?)?;
        let mut value = 0u64;
        for index in 0..width {
            let byte = if little_endian {
                field[width - 1 - index]
            } else {
                field[index]
            };
            value = (value << 8) | u64::from(byte);
        }
        Some(value)
    };
    let (phoff, phentsize, phnum) = if is_64 {
        (read(0x20, 8)?, read(0x36, 2)?, read(0x38, 2)?)
    } else {
        (read(0x1C, 4)?, read(0x2A, 2)?, read(0x2C, 2)?)
    };
    for index in 0..phnum {
        let header = usize::try_from(phoff.checked_add(index.checked_mul(phentsize)?)?).ok()?;
        if read(header, 4)? != u64::from(PT_INTERP) {
            continue;
        }
        let (offset, size) = if is_64 {
            (read(header + 0x08, 8)?, read(header + 0x20, 8)?)
        } else {
            (read(header + 0x04, 4)?, read(header + 0x10, 4)?)
        };
        let start = usize::try_from(offset).ok()?;
        let end = start.checked_add(usize::try_from(size).ok()?)?;
        let name = bytes.get(start..end)?;
        let interpreter = String::from_utf8_lossy(name)
            .trim_end_matches('\0')
            .to_string();
        return Some(Linkage::Dynamic { interpreter });
    }
    Some(Linkage::Static)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A little-endian 64-bit ELF header with the given program header types;
    /// a PT_INTERP one points at `interpreter`.
    fn elf64(types: &[u32], interpreter: &str) -> Vec<u8> {
        let phoff = 64u64;
        let phentsize = 56u16;
        let mut bytes = vec![0u8; 64];
        bytes[..4].copy_from_slice(b"\x7fELF");
        bytes[4] = 2;
        bytes[5] = 1;
        bytes[0x20..0x28].copy_from_slice(&phoff.to_le_bytes());
        bytes[0x36..0x38].copy_from_slice(&phentsize.to_le_bytes());
        bytes[0x38..0x3A].copy_from_slice(&(types.len() as u16).to_le_bytes());
        let strings_at = 64 + types.len() * usize::from(phentsize);
        for kind in types {
            let mut header = vec![0u8; usize::from(phentsize)];
            header[..4].copy_from_slice(&kind.to_le_bytes());
            header[0x08..0x10].copy_from_slice(&(strings_at as u64).to_le_bytes());
            header[0x20..0x28].copy_from_slice(&(interpreter.len() as u64 + 1).to_le_bytes());
            bytes.extend(header);
        }
        bytes.extend(interpreter.as_bytes());
        bytes.push(0);
        bytes
    }

    #[test]
    fn an_interpreter_means_dynamic() {
        assert_eq!(
            linkage(&elf64(&[6, PT_INTERP, 1], "/lib/ld-musl-x86_64.so.1")),
            Linkage::Dynamic {
                interpreter: "/lib/ld-musl-x86_64.so.1".to_string()
            }
        );
    }

    #[test]
    fn no_interpreter_means_static() {
        assert_eq!(linkage(&elf64(&[6, 1, 1], "")), Linkage::Static);
    }

    #[test]
    fn this_test_binary_is_dynamic() {
        // Cargo links test binaries dynamically unless told otherwise.
        let bytes = std::fs::read(std::env::current_exe().expect("test binary")).expect("readable");
        assert!(
            matches!(linkage(&bytes), Linkage::Dynamic { .. }),
            "{:?}",
            linkage(&bytes)
        );
    }

    #[test]
    fn other_files_and_truncated_headers_are_not_elf() {
        assert_eq!(linkage(b"#!/bin/sh\necho hi\n"), Linkage::NotElf);
        assert_eq!(
            linkage(&elf64(&[PT_INTERP], "/lib/ld.so")[..70]),
            Linkage::NotElf
        );
    }
}
