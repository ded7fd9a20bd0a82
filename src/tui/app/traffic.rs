//! The keys that reach into pods: `s` on a pod (a shell, handed the
//! terminal by the event loop) and `shift-f` (a port-forward), and the
//! `:pf` list of forwards.

use super::*;
use crate::tui::portforward::target::{self, check_service_port, first_port, free_local_port};
use crate::tui::portforward::{ForwardSpec, ForwardTarget};

impl App {
    pub(super) fn selected_is(&self, kind: Kind) -> bool {
        self.model
            .selected_object()
            .is_some_and(|object| object.kind() == kind)
    }

    /// `s` on a pod: a shell in its container (asks which when several).
    pub(super) fn ask_shell(&mut self) {
        let Some(object) = self.model.selected_object().cloned() else {
            return;
        };
        let Object::Pod(pod) = object.as_ref() else {
            return;
        };
        let target = Target::of(&object);
        let containers: Vec<String> = pod
            .spec
            .iter()
            .flat_map(|spec| spec.containers.iter().map(|c| c.name.clone()))
            .collect();
        match containers.as_slice() {
            [] => self
                .model
                .flash_error(format!("pod {} has no containers", target.name)),
            [only] => {
                let only = only.clone();
                self.start_shell(&target, only);
            }
            [first, ..] => {
                self.model.mode = Mode::Prompt(Prompt {
                    question: format!(
                        "shell into which container of pod {} ({})",
                        target.name,
                        containers.join(", ")
                    ),
                    answer: LineEdit::new(first.clone()),
                    purpose: PromptPurpose::ShellContainer { target, containers },
                });
            }
        }
    }

    /// Finds the container's shell in a task; the event loop then hands it
    /// the terminal (see [`App::take_shell`]).
    pub(super) fn start_shell(&mut self, target: &Target, container: String) {
        if let Some(state) = self.container_not_running(target, &container) {
            return self.model.flash_error(format!(
                "container {container} of pod {} is {state}: a shell needs it running (d describes why)",
                target.name
            ));
        }
        self.model.flash(format!(
            "opening a shell in {}/{} (container {container})…",
            target.namespace, target.name
        ));
        let handle = self.handle.clone();
        let actions = self.actions.clone();
        let (namespace, pod) = (target.namespace.clone(), target.name.clone());
        tokio::spawn(async move {
            let found = crate::tui::shell::locate(handle.as_ref(), &namespace, &pod, &container)
                .await
                .map_err(|error| error.to_string());
            let _ = actions.send(Action::ShellReady(found));
        });
    }

    /// How a container that does not run is, as the pods table says it
    /// (`waiting: ContainerCreating`, `terminated: Completed`, `not started`).
    fn container_not_running(&self, target: &Target, container: &str) -> Option<String> {
        let object = self
            .handle
            .get(Kind::Pod, &target.namespace, &target.name)?;
        let Object::Pod(pod) = object.as_ref() else {
            return None;
        };
        let status = pod
            .status
            .as_ref()
            .and_then(|s| s.container_statuses.as_ref())
            .and_then(|all| all.iter().find(|s| s.name == container));
        let Some(state) = status.and_then(|s| s.state.as_ref()) else {
            return Some("not started".to_string());
        };
        if state.running.is_some() {
            return None;
        }
        let reason = state
            .waiting
            .as_ref()
            .and_then(|w| w.reason.clone())
            .map(|r| format!("waiting: {r}"))
            .or_else(|| {
                state
                    .terminated
                    .as_ref()
                    .map(|t| format!("terminated: {}", t.reason.clone().unwrap_or_default()))
            });
        Some(reason.unwrap_or_else(|| "not running".to_string()))
    }

    /// The shell the event loop should run now, if one is ready.
    pub fn take_shell(&mut self) -> Option<ShellRequest> {
        self.shell.take()
    }

    /// `shift-f` on a pod or service: asks `local:remote`, prefilled.
    pub(super) fn ask_port_forward(&mut self) {
        let Some(object) = self.model.selected_object().cloned() else {
            return;
        };
        let Some(target) = ForwardTarget::of(&object) else {
            self.model
                .flash_error("port-forward works on pods and services (:po, :svc)");
            return;
        };
        let remote = first_port(&object);
        let answer = match remote {
            Some(remote) => format!("{}:{remote}", free_local_port(remote)),
            None => String::new(),
        };
        self.model.mode = Mode::Prompt(Prompt {
            question: format!("port-forward {} (local:remote)", target.describe()),
            answer: LineEdit::new(answer),
            purpose: PromptPurpose::PortForward(target),
        });
    }

    pub(super) fn start_port_forward(&mut self, target: ForwardTarget, answer: &str) {
        let (local, remote) = match target::parse_ports(answer) {
            Ok(ports) => ports,
            Err(error) => return self.model.flash_error(error.to_string()),
        };
        if target.kind == Kind::Service
            && let Some(service) = self
                .handle
                .get(Kind::Service, &target.namespace, &target.name)
            && let Err(error) = check_service_port(&service, remote)
        {
            return self.model.flash_error(error.to_string());
        }
        let spec = ForwardSpec {
            target,
            local,
            remote,
        };
        let actions = self.actions.clone();
        let report = Arc::new(move |id, event| {
            let _ = actions.send(Action::Forward { id, event });
        });
        self.forwards.start(self.handle.clone(), spec, report);
    }

    /// `:pf`.
    pub(super) fn open_forwards(&mut self) {
        self.rollout = None;
        self.forwards_view = Some(ForwardsView::default());
        if self.forwards.is_empty() {
            self.model
                .flash("no port-forwards yet: shift-f on a pod or service starts one");
        }
    }

    pub(super) fn forwards_key(&mut self, key: KeyEvent) {
        let Some(view) = self.forwards_view.as_mut() else {
            return;
        };
        let rows = self.forwards.list().len();
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char('d') if ctrl => {
                if let Some(stopped) = self.forwards.stop(view.selected) {
                    let local = stopped
                        .local
                        .map_or_else(|| format!(":{}", stopped.spec.local), |a| a.to_string());
                    self.model.flash(format!(
                        "stopped port-forward {local} -> {}",
                        stopped.spec.describe()
                    ));
                    view.move_by(0, rows.saturating_sub(1));
                }
            }
            KeyCode::Down | KeyCode::Char('j') => view.move_by(1, rows),
            KeyCode::Up | KeyCode::Char('k') => view.move_by(-1, rows),
            KeyCode::Esc => self.forwards_view = None,
            KeyCode::Char(':') => self.model.mode = Mode::Command(LineEdit::default()),
            KeyCode::Char('?') => self.model.detail = Some(views::help(&self.model.keymap)),
            KeyCode::Char('q') => self.model.quit = true,
            _ => {}
        }
    }
}
