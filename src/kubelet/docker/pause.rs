//! The pause image: the process that holds a pod's network namespace.
//!
//! No registry is reachable here, so podium makes the image itself: a
//! static ELF executable of a few dozen bytes whose whole program is a
//! loop around a blocking system call (`pause` on x86_64, `ppoll` with no
//! descriptors on aarch64, which has no `pause`), packed into a root
//! filesystem tar in memory and imported as [`PAUSE_IMAGE`] when the engine
//! does not have it yet. As PID 1 in its container it ignores SIGTERM, so
//! sandboxes are stopped with SIGKILL (their stop signal) and removed with
//! a kill (`remove_sandbox`).

use bollard::Docker;
use bytes::Bytes;

use super::error::DockerError;
use super::import::import_with;

/// podium's own reference: `.local` is never a registry podium pulls from.
pub const PAUSE_IMAGE: &str = "podium.local/pause:1";

/// Where the program lies in the memory of the process.
const LOAD_ADDRESS: u64 = 0x40_0000;
/// ELF header (64 bytes) and one program header (56 bytes).
const HEADERS_LEN: u64 = 64 + 56;

/// `mov eax, 34 (pause); syscall; jmp back to the mov`.
const X86_64_LOOP: &[u8] = &[0xb8, 0x22, 0x00, 0x00, 0x00, 0x0f, 0x05, 0xeb, 0xf7];

/// `mov x8, #73 (ppoll); mov x0..x3, #0; svc #0; b back to the first mov`.
const AARCH64_LOOP: [u32; 7] = [
    0xd280_0928,
    0xd280_0000,
    0xd280_0001,
    0xd280_0002,
    0xd280_0003,
    0xd400_0001,
    0x17ff_fffa,
];

/// The ELF machine number and code of the pause program for `arch`
/// (as `std::env::consts::ARCH` names it).
fn program_for(arch: &str) -> Result<(u16, Vec<u8>), DockerError> {
    match arch {
        "x86_64" => Ok((0x3e, X86_64_LOOP.to_vec())),
        "aarch64" => Ok((
            0xb7,
            AARCH64_LOOP
                .iter()
                .flat_map(|op| op.to_le_bytes())
                .collect(),
        )),
        other => Err(DockerError::UnsupportedArchitecture {
            arch: other.to_string(),
        }),
    }
}

/// A static ELF executable: one loadable segment holding headers and code.
fn elf_executable(machine: u16, code: &[u8]) -> Vec<u8> {
    let file_len = HEADERS_LEN + code.len() as u64;
    let mut elf = Vec::with_capacity(usize::try_from(file_len).unwrap_or(0));
    // e_ident: magic, 64-bit, little endian, version 1, System V ABI.
    elf.extend_from_slice(&[0x7f, b'E', b'L', b'F', 2, 1, 1, 0]);
    elf.extend_from_slice(&[0; 8]);
    elf.extend_from_slice(&2u16.to_le_bytes()); // e_type: executable
    elf.extend_from_slice(&machine.to_le_bytes());
    elf.extend_from_slice(&1u32.to_le_bytes()); // e_version
    elf.extend_from_slice(&(LOAD_ADDRESS + HEADERS_LEN).to_le_bytes()); // e_entry
    elf.extend_from_slice(&64u64.to_le_bytes()); // e_phoff
    elf.extend_from_slice(&0u64.to_le_bytes()); // e_shoff
    elf.extend_from_slice(&0u32.to_le_bytes()); // e_flags
    elf.extend_from_slice(&64u16.to_le_bytes()); // e_ehsize
    elf.extend_from_slice(&56u16.to_le_bytes()); // e_phentsize
    elf.extend_from_slice(&1u16.to_le_bytes()); // e_phnum
    elf.extend_from_slice(&[0; 6]); // no section headers
    // The program header: PT_LOAD, readable and executable.
    elf.extend_from_slice(&1u32.to_le_bytes());
    elf.extend_from_slice(&5u32.to_le_bytes());
    elf.extend_from_slice(&0u64.to_le_bytes()); // p_offset
    elf.extend_from_slice(&LOAD_ADDRESS.to_le_bytes()); // p_vaddr
    elf.extend_from_slice(&LOAD_ADDRESS.to_le_bytes()); // p_paddr
    elf.extend_from_slice(&file_len.to_le_bytes()); // p_filesz
    elf.extend_from_slice(&file_len.to_le_bytes()); // p_memsz
    elf.extend_from_slice(&0x1000u64.to_le_bytes()); // p_align
    elf.extend_from_slice(code);
    elf
}

/// A root filesystem holding only `/pause`.
fn rootfs_tar(program: &[u8]) -> Result<Bytes, std::io::Error> {
    let mut tar = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(program.len() as u64);
    header.set_mode(0o755);
    header.set_cksum();
    tar.append_data(&mut header, "pause", program)?;
    Ok(Bytes::from(tar.into_inner()?))
}

/// Imports the pause image unless the engine has it.
pub(super) async fn ensure_pause_image(docker: &Docker) -> Result<(), DockerError> {
    if docker.inspect_image(PAUSE_IMAGE).await.is_ok() {
        return Ok(());
    }
    let (machine, code) = program_for(std::env::consts::ARCH)?;
    let tar = rootfs_tar(&elf_executable(machine, &code)).map_err(|error| DockerError::Import {
        reference: PAUSE_IMAGE.to_string(),
        message: format!("packing the pause program: {error}"),
    })?;
    import_with(docker, PAUSE_IMAGE, tar, &[r#"ENTRYPOINT ["/pause"]"#]).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pause_program_is_a_complete_elf_file() {
        let (machine, code) = program_for("x86_64").expect("x86_64 is supported");
        let elf = elf_executable(machine, &code);
        assert_eq!(&elf[..4], b"\x7fELF");
        assert_eq!(elf.len(), 120 + X86_64_LOOP.len());
        // The program header covers the whole file.
        let filesz = u64::from_le_bytes(elf[96..104].try_into().expect("8 bytes"));
        assert_eq!(filesz, elf.len() as u64);
        let (_, arm) = program_for("aarch64").expect("aarch64 is supported");
        assert_eq!(arm.len(), 28);
    }

    #[test]
    fn other_architectures_get_a_clear_error() {
        let error = program_for("riscv64").expect_err("no riscv64 build");
        assert!(error.to_string().contains("riscv64"), "{error}");
        assert!(error.to_string().contains("--runtime sim"), "{error}");
    }
}
