//! The real terminal: raw mode, the alternate screen and mouse capture on
//! the way in; all of it undone on the way out, and by a panic before the
//! panic's message is printed.

use std::io::{self, Stdout};

use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

pub type Console = Terminal<CrosstermBackend<Stdout>>;

pub fn enter() -> io::Result<Console> {
    install_panic_hook();
    enable_raw_mode()?;
    let mut stdout = io::stdout();
    execute!(stdout, EnterAlternateScreen, EnableMouseCapture)?;
    Terminal::new(CrosstermBackend::new(stdout))
}

/// Gives the terminal back as it was; safe to call twice.
pub fn leave() {
    let _ = disable_raw_mode();
    let _ = execute!(io::stdout(), LeaveAlternateScreen, DisableMouseCapture);
    let _ = execute!(io::stdout(), crossterm::cursor::Show);
}

/// Hands the terminal to a sub-program (the shell): the main screen,
/// cleared, with the cursor shown and no mouse capture. Raw mode stays, so
/// every key reaches the program as typed.
pub fn suspend(console: &mut Console) -> io::Result<()> {
    execute!(
        console.backend_mut(),
        LeaveAlternateScreen,
        DisableMouseCapture,
        crossterm::terminal::Clear(crossterm::terminal::ClearType::All),
        crossterm::cursor::MoveTo(0, 0),
        crossterm::cursor::Show
    )
}

/// Takes the terminal back after [`suspend`]; the next draw repaints all.
pub fn resume(console: &mut Console) -> io::Result<()> {
    // The program may have left raw mode; the console needs it.
    enable_raw_mode()?;
    execute!(
        console.backend_mut(),
        EnterAlternateScreen,
        EnableMouseCapture,
        crossterm::cursor::Hide
    )?;
    console.clear()
}

fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        leave();
        previous(info);
    }));
}
