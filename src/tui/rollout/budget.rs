//! The rolling update's fenceposts: how many pods may exist at once and how
//! many must stay available, as the deployment controller resolves them
//! (util/deployment_util.go ResolveFenceposts).

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

/// Upstream's default for both maxSurge and maxUnavailable.
const DEFAULT_PERCENT: &str = "25%";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BudgetError {
    #[error("{field} {value:?} is neither an integer nor a percentage like \"25%\"")]
    NotAPercentage { field: &'static str, value: String },
}

/// The resolved budget of a RollingUpdate Deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub replicas: i32,
    pub max_surge: i32,
    pub max_unavailable: i32,
}

impl Budget {
    /// Most pods (of all revisions) that may exist at once.
    pub fn max_pods(&self) -> i32 {
        self.replicas + self.max_surge
    }

    /// Fewest pods that must stay available.
    pub fn min_available(&self) -> i32 {
        (self.replicas - self.max_unavailable).max(0)
    }

    /// The budget from the Deployment's spec, with upstream's defaults.
    pub fn of(deployment: &Deployment) -> Result<Budget, BudgetError> {
        let spec = deployment.spec.as_ref();
        let replicas = spec.and_then(|s| s.replicas).unwrap_or(1);
        let rolling = spec
            .and_then(|s| s.strategy.as_ref())
            .and_then(|s| s.rolling_update.as_ref());
        let default = IntOrString::String(DEFAULT_PERCENT.to_string());
        let surge = rolling
            .and_then(|r| r.max_surge.as_ref())
            .unwrap_or(&default);
        let unavailable = rolling
            .and_then(|r| r.max_unavailable.as_ref())
            .unwrap_or(&default);
        resolve(replicas, surge, unavailable)
    }
}

/// maxSurge rounds up, maxUnavailable rounds down; both 0 would deadlock the
/// rollout, so upstream lets one pod be unavailable.
pub fn resolve(
    replicas: i32,
    surge: &IntOrString,
    unavailable: &IntOrString,
) -> Result<Budget, BudgetError> {
    let max_surge = scaled(surge, replicas, true, "maxSurge")?;
    let mut max_unavailable = scaled(unavailable, replicas, false, "maxUnavailable")?;
    if max_surge == 0 && max_unavailable == 0 {
        max_unavailable = 1;
    }
    Ok(Budget {
        replicas,
        max_surge,
        max_unavailable,
    })
}

/// intstr.GetScaledValueFromIntOrPercent.
fn scaled(
    value: &IntOrString,
    total: i32,
    round_up: bool,
    field: &'static str,
) -> Result<i32, BudgetError> {
    match value {
        IntOrString::Int(n) => Ok(*n),
        IntOrString::String(text) => {
            let not_a_percentage = || BudgetError::NotAPercentage {
                field,
                value: text.clone(),
            };
            let percent: i64 = text
                .strip_suffix('%')
                .ok_or_else(not_a_percentage)?
                .parse()
                .map_err(|_| not_a_percentage())?;
            let product = percent * i64::from(total);
            let value = if round_up {
                (product + 99).div_euclid(100)
            } else {
                product.div_euclid(100)
            };
            i32::try_from(value).map_err(|_| not_a_percentage())
        }
    }
}
