//! Status colours: what a STATUS (or READY) cell says, in the theme's roles.

use ratatui::style::Style;

use crate::tui::theme::Theme;

/// The style of a status cell: healthy, on its way, broken, going away, done.
pub fn status_style(status: &str, theme: &Theme) -> Style {
    match status {
        "Running" | "Active" | "Ready" | "Bound" | "Available" => theme.status_ok,
        "Terminating" => theme.status_terminating,
        "Completed" | "Succeeded" => theme.status_done,
        "Pending" | "ContainerCreating" | "PodInitializing" => theme.status_pending,
        s if s.starts_with("Init:") && !s.contains("Err") && !s.contains("BackOff") => {
            theme.status_pending
        }
        "CrashLoopBackOff"
        | "Error"
        | "ImagePullBackOff"
        | "ErrImagePull"
        | "ErrImageNeverPull"
        | "OOMKilled"
        | "NotReady"
        | "Failed"
        | "Evicted"
        | "CreateContainerConfigError"
        | "InvalidImageName"
        | "Unknown" => theme.status_error,
        s if s.contains("Err") || s.contains("BackOff") => theme.status_error,
        _ => theme.body,
    }
}
