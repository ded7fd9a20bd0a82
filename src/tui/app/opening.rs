//! Describe, YAML and the editor of the selected object. They open at once
//! from what the console holds, then show the object as the server has it
//! now: a remote cluster's cache may lag, keeps Secrets and ConfigMaps
//! without their values, and keeps only the newest events.

use super::*;
use crate::handle::HandleError;

/// The pane an object is opened in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Describe,
    Yaml,
    Edit,
}

/// An object fetched for a pane, with the events describe shows.
#[derive(Debug)]
pub struct Fetched {
    pub object: Arc<Object>,
    pub events: Vec<Arc<Object>>,
}

impl Pane {
    fn title(self, target: &Target) -> String {
        let verb = match self {
            Pane::Describe => "describe",
            Pane::Yaml => "yaml",
            Pane::Edit => "edit",
        };
        format!("{verb} {}", target.describe())
    }
}

impl App {
    pub(super) fn open_describe(&mut self) {
        self.open(Pane::Describe);
    }

    pub(super) fn open_yaml(&mut self) {
        self.open(Pane::Yaml);
    }

    /// The selected object in the YAML editor; ctrl-s replaces it.
    pub(super) fn open_editor(&mut self) {
        self.open(Pane::Edit);
    }

    fn open(&mut self, pane: Pane) {
        let Some(object) = self.model.selected_object().cloned() else {
            return;
        };
        let target = Target::of(&object);
        let whole = self.handle.lists_whole(target.kind);
        match pane {
            Pane::Describe | Pane::Yaml => {
                let lines = if whole {
                    self.pane_text(pane, &object, None)
                } else {
                    vec![format!("fetching {} from the cluster …", target.describe())]
                };
                self.model.detail = Some(Detail {
                    title: pane.title(&target),
                    lines,
                    scroll: 0,
                    kind: if pane == Pane::Describe {
                        DetailKind::Describe
                    } else {
                        DetailKind::Yaml
                    },
                });
            }
            // Never edit values the console does not hold: wait for them.
            Pane::Edit if whole => self.open_editor_on(&object),
            Pane::Edit => self
                .model
                .flash(format!("fetching {} to edit …", target.describe())),
        }
        self.fetch_generation += 1;
        let (handle, actions, generation) = (
            self.handle.clone(),
            self.actions.clone(),
            self.fetch_generation,
        );
        tokio::spawn(async move {
            let result = fetch(handle.as_ref(), &target, pane).await;
            let _ = actions.send(Action::Fetched {
                generation,
                pane,
                target,
                result: result.map_err(|error| {
                    workloads::with_advice(&error, format!("cannot fetch it: {error}"))
                }),
            });
        });
    }

    /// The server's copy arrived: it replaces what the pane shows unless the
    /// user has moved on (or typed in the editor: nothing typed is lost).
    pub(super) fn fetched(
        &mut self,
        generation: u64,
        pane: Pane,
        target: Target,
        result: Result<Fetched, String>,
    ) {
        if generation != self.fetch_generation {
            return;
        }
        let title = pane.title(&target);
        let fetched = match result {
            Ok(fetched) => fetched,
            Err(error) => {
                let message = format!("{}: {error}", target.describe());
                if let Some(detail) = self.model.detail.as_mut().filter(|d| d.title == title)
                    && !self.handle.lists_whole(target.kind)
                {
                    detail.lines = vec![message.clone()];
                }
                self.model.flash_error(message);
                return;
            }
        };
        match pane {
            Pane::Describe | Pane::Yaml => {
                let lines = self.pane_text(pane, &fetched.object, Some(&fetched.events));
                if let Some(detail) = self.model.detail.as_mut().filter(|d| d.title == title) {
                    detail.scroll = detail.scroll.min(lines.len().saturating_sub(1));
                    detail.lines = lines;
                }
            }
            Pane::Edit => match &self.editor {
                Some((editor, _)) if editor.title() == title && !editor.is_modified() => {
                    self.open_editor_on(&fetched.object);
                }
                // Opened once the values came, if nothing else opened since.
                None if self.model.detail.is_none()
                    && self.logs.is_none()
                    && self.model.selected_object().map(|o| Target::of(o)) == Some(target) =>
                {
                    self.open_editor_on(&fetched.object);
                }
                _ => {}
            },
        }
    }

    fn pane_text(
        &self,
        pane: Pane,
        object: &Arc<Object>,
        events: Option<&[Arc<Object>]>,
    ) -> Vec<String> {
        let text = match pane {
            Pane::Describe => match events {
                Some(events) => refresh::describe_with(self.handle.as_ref(), object, events),
                None => refresh::describe(self.handle.as_ref(), object),
            },
            Pane::Yaml | Pane::Edit => serde_yaml::to_string(&object.to_json())
                .unwrap_or_else(|error| format!("cannot show this object as YAML: {error}")),
        };
        text.lines().map(str::to_string).collect()
    }

    fn open_editor_on(&mut self, object: &Arc<Object>) {
        let original = object.to_json();
        let text = match serde_yaml::to_string(&original) {
            Ok(text) => text,
            Err(error) => {
                self.model
                    .flash_error(format!("cannot edit this object as YAML: {error}"));
                return;
            }
        };
        let title = Pane::Edit.title(&Target::of(object));
        // The same text again (the cache was current): the cursor stays.
        if let Some((editor, _)) = &self.editor
            && editor.title() == title
            && editor.text().trim_end() == text.trim_end()
        {
            return;
        }
        self.editor = Some((
            YamlEditor::new(title, &text),
            EditTarget::Existing(original),
        ));
    }
}

async fn fetch(
    handle: &dyn ClusterHandle,
    target: &Target,
    pane: Pane,
) -> Result<Fetched, HandleError> {
    let object = handle
        .fetch(target.kind, &target.namespace, &target.name)
        .await?;
    let events = if pane == Pane::Describe {
        handle.events_about(&object).await?
    } else {
        Vec::new()
    };
    Ok(Fetched { object, events })
}
