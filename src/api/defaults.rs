//! Upstream defaulting (SetDefaults_* in kubernetes/pkg/apis/*/v1/defaults.go).

use super::object::Object;

/// Fills in the defaults Kubernetes applies on create and update.
pub fn apply_defaults(_object: &mut Object) {
    // Implemented in the api module's work: upstream defaults per kind.
}
