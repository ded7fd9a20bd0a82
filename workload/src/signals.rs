//! SIGTERM and SIGINT, waited for on the main thread. As PID 1 in a container
//! the kernel gives a process no default action for SIGTERM, so without this
//! `docker stop` would wait out its grace period and SIGKILL us.

use std::io;
use std::mem::MaybeUninit;

/// The termination signals, blocked in every thread so that only
/// [`TerminationSignals::wait`] receives them.
pub struct TerminationSignals {
    set: libc::sigset_t,
}

impl TerminationSignals {
    /// Blocks SIGTERM and SIGINT. Call before starting any thread: threads
    /// inherit the mask, so none of them is interrupted by the signal.
    pub fn block() -> io::Result<TerminationSignals> {
        let mut set = MaybeUninit::<libc::sigset_t>::uninit();
        // SAFETY: sigemptyset initialises the set before sigaddset and
        // pthread_sigmask read it; all pointers are to live locals.
        let set = unsafe {
            if libc::sigemptyset(set.as_mut_ptr()) != 0
                || libc::sigaddset(set.as_mut_ptr(), libc::SIGTERM) != 0
                || libc::sigaddset(set.as_mut_ptr(), libc::SIGINT) != 0
            {
                return Err(io::Error::last_os_error());
            }
            let set = set.assume_init();
            let status = libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
            if status != 0 {
                return Err(io::Error::from_raw_os_error(status));
            }
            set
        };
        Ok(TerminationSignals { set })
    }

    /// Waits until SIGTERM or SIGINT arrives and returns its name.
    pub fn wait(&self) -> io::Result<&'static str> {
        let mut signal = 0;
        // SAFETY: `self.set` was initialised in `block`; `signal` is a live local.
        let status = unsafe { libc::sigwait(&self.set, &mut signal) };
        if status != 0 {
            return Err(io::Error::from_raw_os_error(status));
        }
        Ok(match signal {
            libc::SIGTERM => "SIGTERM",
            libc::SIGINT => "SIGINT",
            _ => "a termination signal",
        })
    }
}
