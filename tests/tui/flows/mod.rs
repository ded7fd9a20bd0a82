//! What a person does without kubectl: apply the nginx sample, watch the
//! pods come up, scale, set image, undo, delete — from the keys.

mod batch_and_stateful;
mod logs;
mod panes;
mod resources;
mod workloads;

use k8s_openapi::api::apps::v1::Deployment;

use self::batch_and_stateful::*;
use self::logs::*;
use self::panes::*;
use self::resources::*;
use self::workloads::*;
use crate::harness::{Backend, Console};

pub(super) fn deployment(console: &Console) -> Option<Deployment> {
    console
        .cluster
        .store
        .get_as::<Deployment>("default", "nginx-dep")
}

pub(super) fn image(deployment: &Deployment) -> String {
    deployment
        .spec
        .as_ref()
        .and_then(|s| s.template.spec.as_ref())
        .and_then(|s| s.containers.first())
        .and_then(|c| c.image.clone())
        .unwrap_or_default()
}

/// The console's flows run on both handles: the embedded one, and kube-rs
/// against the same cluster's API server (a real Kubernetes client).
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod embedded {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::Backend::Embedded).await
                }
            )*
        }
        mod kube {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::Backend::Kube).await
                }
            )*
        }
    };
}

on_both_backends!(
    apply_scale_set_image_undo_and_delete_from_the_keys,
    undo_after_a_restart_restores_the_revision_exactly,
    ctrl_l_rolls_back_to_a_replica_set_and_p_and_f_open_their_views,
    new_and_expose_create_a_deployment_and_its_service_from_the_keys,
    set_image_reaches_every_container_by_name,
    views_filters_drill_down_and_errors,
    logs_of_a_deployment_interleave_its_pods,
    the_logs_of_a_pod_follow_its_restarted_container,
    a_in_the_logs_view_shows_every_container,
    the_editor_shows_the_servers_error_at_its_line_and_applies_the_fix,
    describe_shows_what_kubectl_describe_prints,
    a_secret_opens_with_its_values,
    the_rollout_view_follows_a_set_image_live,
    every_served_resource_opens_from_the_command_line,
    statefulsets_and_cronjobs_take_the_workload_keys
);
