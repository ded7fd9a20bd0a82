//! What a component answers when it is given a key.

/// The result of handing a key to a component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome<I> {
    /// Not for this component; the caller may use the key itself.
    Ignored,
    /// Handled inside the component; redraw.
    Consumed,
    /// Handled, and the component asks its owner to do something (I/O,
    /// closing it, switching views).
    Intent(I),
}

impl<I> Outcome<I> {
    pub fn is_ignored(&self) -> bool {
        matches!(self, Outcome::Ignored)
    }
}
