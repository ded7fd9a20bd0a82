//! The keys that write: the prompts for scale and set image, the delete
//! confirmation, restart and undo. Each write runs as a task.

use super::*;

/// What `s` scales: the kinds with a `scale` subresource.
const SCALABLE: &[Kind] = &[
    Kind::Deployment,
    Kind::ReplicaSet,
    Kind::StatefulSet,
    Kind::ReplicationController,
];
/// What `i` sets the image of: the kinds with a pod template that rolls.
const TEMPLATED: &[Kind] = &[
    Kind::Deployment,
    Kind::ReplicaSet,
    Kind::StatefulSet,
    Kind::DaemonSet,
    Kind::ReplicationController,
];
/// What `r` restarts and `u` rolls back: `kubectl rollout`'s kinds.
const ROLLED_OUT: &[Kind] = &[Kind::Deployment, Kind::StatefulSet, Kind::DaemonSet];

impl App {
    pub(super) fn prompt_key(&mut self, key: KeyEvent, mut prompt: Prompt) {
        let history = prompt.purpose.history();
        match key.code {
            KeyCode::Esc => self.model.mode = Mode::Normal,
            KeyCode::Enter => {
                self.model.mode = Mode::Normal;
                self.model.typed.record(history, prompt.answer.as_str());
                self.answer(prompt);
            }
            KeyCode::Up => {
                self.model.typed.older(history, &mut prompt.answer);
                self.model.mode = Mode::Prompt(prompt);
            }
            KeyCode::Down => {
                self.model.typed.newer(history, &mut prompt.answer);
                self.model.mode = Mode::Prompt(prompt);
            }
            _ => {
                if prompt.answer.edit(key, &mut self.model.typed.kill) != Edit::Ignored {
                    self.model.mode = Mode::Prompt(prompt);
                }
            }
        }
    }

    pub(super) fn confirm_key(&mut self, key: KeyEvent, confirm: Confirm) {
        match key.code {
            KeyCode::Char('y') | KeyCode::Char('Y') => {
                self.model.mode = Mode::Normal;
                self.model.marked.clear();
                for target in confirm.targets {
                    self.spawn_write(workloads::delete(self.handle.clone(), target));
                }
            }
            KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc => {
                self.model.mode = Mode::Normal;
                self.model.flash("nothing deleted");
            }
            _ => {}
        }
    }

    pub(super) fn ask_delete(&mut self) {
        let targets: Vec<Target> = if self.model.marked.is_empty() {
            self.selected_target().into_iter().collect()
        } else {
            self.model.marked.iter().cloned().collect()
        };
        let question = match targets.as_slice() {
            [] => return,
            [one] => format!("Delete {}?", one.describe()),
            many => format!(
                "Delete {} marked objects ({} …)?",
                many.len(),
                many[0].describe()
            ),
        };
        self.model.mode = Mode::Confirm(Confirm { question, targets });
    }

    /// The selected object when `verb` applies to its kind; otherwise says
    /// which kinds it works on.
    pub(super) fn workload_target(&mut self, verb: &str, kinds: &[Kind]) -> Option<Target> {
        let target = self.selected_target()?;
        if kinds.contains(&target.kind) {
            return Some(target);
        }
        let plurals: Vec<&str> = kinds.iter().map(|kind| kind.info().plural).collect();
        let (last, others) = plurals.split_last()?;
        let named = match others {
            [] => last.to_string(),
            others => format!("{} and {last}", others.join(", ")),
        };
        self.model.flash_error(format!(
            "{verb} works on {named}, not {}",
            target.kind.info().plural
        ));
        None
    }

    pub(super) fn ask_scale(&mut self) {
        let Some(target) = self.workload_target("scale", SCALABLE) else {
            return;
        };
        let current = self
            .model
            .selected_object()
            .and_then(|object| workloads::replicas(object))
            .unwrap_or(1);
        self.model.mode = Mode::Prompt(Prompt {
            question: format!("scale {} to replicas", target.describe()),
            answer: LineEdit::new(current.to_string()),
            purpose: PromptPurpose::Scale(target),
        });
    }

    pub(super) fn ask_image(&mut self) {
        let Some(target) = self.workload_target("set image", TEMPLATED) else {
            return;
        };
        let containers = self
            .model
            .selected_object()
            .map(|object| workloads::container_images(object))
            .unwrap_or_default();
        let Some((container, image)) = containers.first().cloned() else {
            return;
        };
        let others: Vec<&str> = containers[1..]
            .iter()
            .map(|(name, _)| name.as_str())
            .collect();
        let question = if others.is_empty() {
            format!("image of container {container} in {}", target.describe())
        } else {
            format!(
                "image of container {container} in {} (NAME=IMAGE for {})",
                target.describe(),
                others.join(", ")
            )
        };
        self.model.mode = Mode::Prompt(Prompt {
            question,
            answer: LineEdit::new(image),
            purpose: PromptPurpose::SetImage { target, container },
        });
    }

    pub(super) fn answer(&mut self, prompt: Prompt) {
        let handle = self.handle.clone();
        match prompt.purpose {
            PromptPurpose::Scale(target) => match prompt.answer.as_str().trim().parse::<i32>() {
                Ok(replicas) if replicas >= 0 => {
                    self.spawn_write(workloads::scale(handle, target, replicas))
                }
                _ => self.model.flash_error(format!(
                    "replicas must be a whole number ≥ 0, not {:?}",
                    prompt.answer
                )),
            },
            PromptPurpose::SetImage { target, container } => {
                match workloads::image_changes(prompt.answer.as_str(), &container) {
                    Ok(changes) => self.spawn_write(workloads::set_image(handle, target, changes)),
                    Err(why) => self.model.flash_error(why),
                }
            }
            PromptPurpose::Undo { target, revisions } => {
                let chosen = prompt
                    .answer
                    .as_str()
                    .trim()
                    .parse::<i64>()
                    .ok()
                    .and_then(|number| revisions.iter().find(|revision| revision.number == number));
                match chosen {
                    Some(revision) => {
                        self.spawn_write(workloads::undo(handle, target, revision.clone()))
                    }
                    None => {
                        let numbers: Vec<String> =
                            revisions.iter().map(|r| r.number.to_string()).collect();
                        self.model.flash_error(format!(
                            "no revision {:?} of {}; its revisions are {}",
                            prompt.answer.as_str().trim(),
                            target.describe(),
                            numbers.join(", ")
                        ))
                    }
                }
            }
            PromptPurpose::ApplyFile => self.spawn_write(workloads::apply_file(
                handle,
                prompt.answer.as_str().trim().into(),
            )),
            PromptPurpose::PortForward(target) => {
                self.start_port_forward(target, prompt.answer.as_str())
            }
            PromptPurpose::ShellContainer { target, containers } => {
                let chosen = prompt.answer.as_str().trim();
                if containers.iter().any(|c| c == chosen) {
                    self.start_shell(&target, chosen.to_string());
                } else {
                    self.model.flash_error(format!(
                        "pod {} has no container {chosen:?}; choose one of: {}",
                        target.name,
                        containers.join(", ")
                    ));
                }
            }
        }
    }

    pub(super) fn restart(&mut self) {
        if let Some(target) = self.workload_target("restart", ROLLED_OUT) {
            self.spawn_write(workloads::restart(self.handle.clone(), target));
        }
    }

    /// Asks which revision to roll back to, offering the one before the
    /// current (what `kubectl rollout undo` picks) and listing the others.
    pub(super) fn undo(&mut self) {
        let Some(target) = self.workload_target("undo", ROLLED_OUT) else {
            return;
        };
        if let Some(workload) = self.model.selected_object().cloned() {
            self.ask_rollback(target, &workload, None);
        }
    }

    /// `ctrl-l` on a ReplicaSet (k9s's rollback): its Deployment back to
    /// the ReplicaSet's revision, asked as `u` asks, that revision offered.
    pub(super) fn rollback_to_replica_set(&mut self) {
        let Some(replica_set) = self
            .model
            .selected_object()
            .filter(|object| object.kind() == Kind::ReplicaSet)
            .cloned()
        else {
            self.model
                .flash_error("ctrl-l rolls back to a ReplicaSet's revision: select one in :rs");
            return;
        };
        let owner = replica_set
            .meta()
            .owner_references
            .iter()
            .flatten()
            .find(|owner| owner.kind == "Deployment")
            .and_then(|owner| {
                self.handle
                    .get(Kind::Deployment, replica_set.namespace(), &owner.name)
            });
        let Some(deployment) = owner else {
            self.model.flash_error(format!(
                "{} belongs to no Deployment: there is nothing to roll back",
                Target::of(&replica_set).describe()
            ));
            return;
        };
        let revision = workloads::revision_of(&replica_set);
        self.ask_rollback(Target::of(&deployment), &deployment, revision);
    }

    /// Asks which revision of `workload` to roll back to, offering
    /// `offered` (else the one before the current, as `kubectl rollout
    /// undo` picks) and listing the others.
    fn ask_rollback(&mut self, target: Target, workload: &Object, offered: Option<i64>) {
        if workload.to_json()["spec"]["paused"] == serde_json::json!(true) {
            self.model.flash_error(workloads::paused_refusal(&target));
            return;
        }
        let (current, revisions) = workloads::history(self.handle.as_ref(), workload);
        if offered == Some(current) {
            self.model.flash_error(format!(
                "{} is already at revision {current}",
                target.describe()
            ));
            return;
        }
        let previous = revisions.iter().rev().find(|r| r.number < current);
        let Some(offered) = offered.or(previous.map(|r| r.number)) else {
            self.model.flash_error(format!(
                "{} has no previous revision to roll back to",
                target.describe()
            ));
            return;
        };
        let listed: Vec<String> = revisions
            .iter()
            .filter(|r| r.number != current)
            .map(|r| format!("{} {}", r.number, r.images.join(",")))
            .collect();
        self.model.mode = Mode::Prompt(Prompt {
            question: format!(
                "roll {} back to revision ({})",
                target.describe(),
                listed.join("; ")
            ),
            answer: LineEdit::new(offered.to_string()),
            purpose: PromptPurpose::Undo { target, revisions },
        });
    }
}
