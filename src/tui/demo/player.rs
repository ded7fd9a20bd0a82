//! Playing a story: each step's action is typed into the [`App`] as keys
//! (the same code paths a user's keys take), its write is awaited through
//! the answer the app gets back, its condition is read through the
//! [`ClusterHandle`], and its caption stays for its pause. Nothing waits on
//! a guess of how long the cluster takes, so a story plays the same way
//! every time.

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Pod;
use tokio::time::Instant;

use super::story::{Condition, Step, StepAction, Story};
use crate::api::Kind;
use crate::handle::ClusterHandle;
use crate::tui::app::{Action, App};
use crate::tui::model::{Mode, Prompt};
use crate::tui::rollout::RolloutState;

/// Where the current step is.
#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    /// Its action has not run yet.
    Ready,
    /// Its write is on the way; the app's answer moves it on.
    Writing,
    /// Waiting for its condition, at most until `deadline`.
    Waiting { deadline: Instant },
    /// The caption stays until `until`.
    Holding { until: Instant },
    /// The last step is done.
    Finished,
    /// The step could not go on: why. → goes on with the next step.
    Failed(String),
}

pub struct Player {
    story: Story,
    handle: Arc<dyn ClusterHandle>,
    /// Index of the current step.
    step: usize,
    phase: Phase,
    /// When the pause began, while paused.
    paused_at: Option<Instant>,
    /// Answers to writes of steps skipped before their answer came; they
    /// are not the current step's.
    stray_answers: usize,
}

impl Player {
    pub fn new(story: Story, handle: Arc<dyn ClusterHandle>) -> Player {
        Player {
            story,
            handle,
            step: 0,
            phase: Phase::Ready,
            paused_at: None,
            stray_answers: 0,
        }
    }

    pub fn story(&self) -> &Story {
        &self.story
    }

    /// The current step's index (0-based) and the step.
    pub fn current(&self) -> (usize, &Step) {
        (self.step, &self.story.steps[self.step])
    }

    pub fn phase(&self) -> &Phase {
        &self.phase
    }

    pub fn is_paused(&self) -> bool {
        self.paused_at.is_some()
    }

    pub fn is_finished(&self) -> bool {
        self.phase == Phase::Finished
    }

    /// What the current wait has reached so far, e.g. `7 ready`.
    pub fn progress(&self, app: &App) -> Option<String> {
        let step = &self.story.steps[self.step];
        match (&self.phase, &step.until) {
            (Phase::Waiting { .. }, Some(condition)) => {
                Some(self.check(condition, app.model.namespace_or_default()).1)
            }
            _ => None,
        }
    }

    /// Moves the story on as far as it can now. Answers whether anything
    /// changed (the screen needs a redraw).
    pub fn tick(&mut self, app: &mut App) -> bool {
        let mut changed = false;
        loop {
            if self.is_paused() {
                return changed;
            }
            let now = Instant::now();
            match self.phase.clone() {
                Phase::Ready => self.run_step(app, now),
                Phase::Writing | Phase::Finished | Phase::Failed(_) => return changed,
                Phase::Waiting { deadline } => {
                    let step = &self.story.steps[self.step];
                    let Some(condition) = step.until.clone() else {
                        self.phase = Phase::Holding {
                            until: now + step.pause,
                        };
                        continue;
                    };
                    let (met, progress) = self.check(&condition, app.model.namespace_or_default());
                    if met {
                        self.phase = Phase::Holding {
                            until: now + step.pause,
                        };
                    } else if now >= deadline {
                        self.phase = Phase::Failed(format!(
                            "waited {} s for {}, still {progress}; the cluster's events say why",
                            step.timeout.as_secs(),
                            condition.describe()
                        ));
                    } else {
                        return changed;
                    }
                }
                Phase::Holding { until } if now >= until => self.next_step(),
                Phase::Holding { .. } => return changed,
            }
            changed = true;
        }
    }

    /// Sees what the app is told: the answer to the current step's write.
    pub fn on_action(&mut self, action: &Action) {
        let Action::Done(result) = action else {
            return;
        };
        if self.stray_answers > 0 {
            self.stray_answers -= 1;
            return;
        }
        if self.phase != Phase::Writing {
            return;
        }
        match result {
            Ok(_) => self.after_action(Instant::now()),
            Err(error) => self.phase = Phase::Failed(error.clone()),
        }
    }

    /// The player's keys: space pauses and resumes, → runs the next step
    /// now, q quits. Answers false for keys the console should have.
    pub fn on_key(&mut self, key: &KeyEvent, app: &mut App) -> bool {
        if app.takes_text() || key.modifiers.contains(KeyModifiers::CONTROL) {
            return false;
        }
        match key.code {
            KeyCode::Char(' ') => {
                self.toggle_pause();
                true
            }
            KeyCode::Right => {
                self.skip(app);
                true
            }
            KeyCode::Char('q') => {
                app.model.quit = true;
                true
            }
            _ => false,
        }
    }

    fn toggle_pause(&mut self) {
        let now = Instant::now();
        match self.paused_at.take() {
            // Time paused does not count against waits and captions.
            Some(since) => {
                let paused = now.saturating_duration_since(since);
                match &mut self.phase {
                    Phase::Waiting { deadline } => *deadline += paused,
                    Phase::Holding { until } => *until += paused,
                    _ => {}
                }
            }
            None => self.paused_at = Some(now),
        }
    }

    /// → : leaves the current step where it is and runs the next one now,
    /// paused or not.
    fn skip(&mut self, app: &mut App) {
        match self.phase {
            Phase::Finished => return,
            Phase::Writing => self.stray_answers += 1,
            _ => {}
        }
        self.next_step();
        if self.phase == Phase::Ready {
            self.run_step(app, Instant::now());
        }
    }

    fn next_step(&mut self) {
        if self.step + 1 < self.story.steps.len() {
            self.step += 1;
            self.phase = Phase::Ready;
        } else {
            self.phase = Phase::Finished;
        }
    }

    fn run_step(&mut self, app: &mut App, now: Instant) {
        let Some(action) = self.story.steps[self.step].action.clone() else {
            return self.after_action(now);
        };
        match perform(&action, app) {
            Ok(()) if action.writes() => self.phase = Phase::Writing,
            Ok(()) => self.after_action(now),
            Err(error) => self.phase = Phase::Failed(error),
        }
    }

    fn after_action(&mut self, now: Instant) {
        let step = &self.story.steps[self.step];
        self.phase = match step.until {
            Some(_) => Phase::Waiting {
                deadline: now + step.timeout,
            },
            None => Phase::Holding {
                until: now + step.pause,
            },
        };
    }

    /// Whether `condition` holds, and what the cluster shows meanwhile.
    fn check(&self, condition: &Condition, namespace: &str) -> (bool, String) {
        match condition {
            Condition::RolledOut(name) => {
                let deployment = self
                    .handle
                    .get(Kind::Deployment, namespace, name)
                    .and_then(|object| object.as_typed::<Deployment>().cloned());
                let Some(deployment) = deployment else {
                    return (false, format!("no deployment {namespace}/{name}"));
                };
                let state = RolloutState::of(&deployment);
                let status = deployment.status.unwrap_or_default();
                let desired = deployment.spec.and_then(|s| s.replicas).unwrap_or(1);
                let progress = format!(
                    "{}: {}/{desired} updated, {}/{desired} available",
                    state.label(),
                    status.updated_replicas.unwrap_or(0),
                    status.available_replicas.unwrap_or(0)
                );
                (state == RolloutState::Complete, progress)
            }
            Condition::PodsReady { count, labels } => {
                let ready = self
                    .handle
                    .list(Kind::Pod, Some(namespace))
                    .iter()
                    .filter_map(|object| object.as_typed::<Pod>())
                    .filter(|pod| pod.metadata.deletion_timestamp.is_none())
                    .filter(|pod| carries(pod, labels))
                    .filter(|pod| is_ready(pod))
                    .count();
                (ready >= *count as usize, format!("{ready} ready"))
            }
        }
    }
}

fn carries(pod: &Pod, labels: &[(String, String)]) -> bool {
    let own = pod.metadata.labels.as_ref();
    labels
        .iter()
        .all(|(key, value)| own.and_then(|l| l.get(key)) == Some(value))
}

fn is_ready(pod: &Pod) -> bool {
    pod.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .into_iter()
        .flatten()
        .any(|c| c.type_ == "Ready" && c.status == "True")
}

/// Does `action` with the console's keys, as a user would type them.
fn perform(action: &StepAction, app: &mut App) -> Result<(), String> {
    ready_for_keys(app)?;
    match action {
        StepAction::Apply { shown, yaml } => {
            app.apply_yaml(shown.clone(), yaml.clone());
            Ok(())
        }
        StepAction::View(command) => {
            press(app, KeyCode::Char(':'));
            type_text(app, command);
            press(app, KeyCode::Enter);
            Ok(())
        }
        StepAction::Rollout(name) => {
            select_deployment(app, name)?;
            press(app, KeyCode::Char('o'));
            Ok(())
        }
        StepAction::Scale {
            deployment,
            replicas,
        } => {
            select_deployment(app, deployment)?;
            answer_prompt(app, 's', &replicas.to_string())
        }
        StepAction::Image { deployment, image } => {
            select_deployment(app, deployment)?;
            answer_prompt(app, 'i', image)
        }
        StepAction::Undo(deployment) => {
            select_deployment(app, deployment)?;
            // `u` offers the revision before the current one; Enter takes it.
            press(app, KeyCode::Char('u'));
            if app.takes_text() {
                press(app, KeyCode::Enter);
            }
            Ok(())
        }
    }
}

/// A step types into the table: a describe or YAML pane closes first; a
/// line the user is typing is theirs.
fn ready_for_keys(app: &mut App) -> Result<(), String> {
    if app.takes_text() {
        return Err(
            "the console is taking typed text: finish it or press esc, then → runs the step"
                .to_string(),
        );
    }
    if app.model.detail.is_some() {
        press(app, KeyCode::Esc);
    }
    Ok(())
}

/// `:deploy` unless the table shows Deployments, then the cursor onto
/// `name`'s row.
fn select_deployment(app: &mut App, name: &str) -> Result<(), String> {
    if app.model.kind != Kind::Deployment {
        press(app, KeyCode::Char(':'));
        type_text(app, "deploy");
        press(app, KeyCode::Enter);
    }
    let Some(row) = app
        .model
        .rows
        .iter()
        .position(|row| row.object.name() == name)
    else {
        return Err(format!(
            "deployment {name} is not in the :deploy table of namespace {}; \
             the story's steps before must create it",
            app.model.namespace_or_default()
        ));
    };
    while app.model.selected < row {
        press(app, KeyCode::Down);
    }
    while app.model.selected > row {
        press(app, KeyCode::Up);
    }
    Ok(())
}

/// `key` opens a prompt; its prefilled answer is replaced by `answer`.
fn answer_prompt(app: &mut App, key: char, answer: &str) -> Result<(), String> {
    press(app, KeyCode::Char(key));
    let Mode::Prompt(Prompt {
        answer: prefilled, ..
    }) = app.model.mode.clone()
    else {
        return Err(app
            .model
            .flash
            .as_ref()
            .map(|flash| flash.text.clone())
            .unwrap_or_else(|| format!("`{key}` did not ask for an answer here")));
    };
    for _ in prefilled.as_str().chars() {
        press(app, KeyCode::Backspace);
    }
    type_text(app, answer);
    press(app, KeyCode::Enter);
    Ok(())
}

fn press(app: &mut App, code: KeyCode) {
    app.on_key(KeyEvent::new(code, KeyModifiers::NONE));
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        press(app, KeyCode::Char(c));
    }
}
