//! The keys of Jobs and CronJobs: `t` runs a CronJob now, ctrl-s suspends
//! or resumes a Job or CronJob (k9s's keys).

use super::*;
use crate::tui::batch;

impl App {
    pub(super) fn trigger(&mut self) {
        let Some(cronjob) = self
            .model
            .selected_object()
            .filter(|object| object.kind() == Kind::CronJob)
            .cloned()
        else {
            self.model
                .flash_error("t runs a cronjob now: select one in :cj");
            return;
        };
        self.spawn_write(batch::trigger(self.handle.clone(), cronjob));
    }

    pub(super) fn toggle_suspend(&mut self) {
        let Some(object) = self.model.selected_object().cloned() else {
            return;
        };
        let Some(target) = self.workload_target("suspend", &[Kind::CronJob, Kind::Job]) else {
            return;
        };
        let suspend = !batch::suspended(&object);
        self.spawn_write(batch::toggle_suspend(self.handle.clone(), target, suspend));
    }
}
