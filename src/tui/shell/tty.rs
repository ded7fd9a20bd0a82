//! Raw bytes from the terminal while a shell runs. The terminal is opened
//! again (`/dev/tty`, non-blocking, its own file description) so reading is
//! async and stops the moment the reader is dropped: no blocked thread is
//! left behind to steal the console's next key.

use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::OpenOptionsExt;

use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

pub struct TtyInput {
    fd: AsyncFd<File>,
}

impl TtyInput {
    pub fn open() -> io::Result<TtyInput> {
        let file = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open("/dev/tty")?;
        // SAFETY: the `File` is owned by the `AsyncFd` and never closed or
        // replaced while it is, so its descriptor stays the one registered.
        let fd = unsafe { AsyncFd::register_with_interest(file, Interest::READABLE) }
            .map_err(io::Error::from)?;
        Ok(TtyInput { fd })
    }

    /// The next bytes typed (at least one; 0 means the terminal closed).
    pub async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let mut guard = self.fd.readable().await?;
            match guard.try_io(|fd| fd.get_ref().read(buf)) {
                Ok(result) => return result,
                Err(_would_block) => continue,
            }
        }
    }
}
