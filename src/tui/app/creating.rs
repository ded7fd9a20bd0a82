//! New objects from the keys: `:new KIND` opens the editor on a template
//! (`kubectl create`), `x` or `:expose` on a Service for the selected
//! workload (`kubectl expose`); ctrl-s creates what the editor holds.

use k8s_openapi::api::core::v1::{ContainerPort, PodSpec};

use super::*;
use crate::tui::editor::template;

impl App {
    /// The editor on `kind`'s template, in the console's namespace.
    pub(super) fn open_new(&mut self, kind: Kind) {
        let Some(text) = template(kind) else {
            return;
        };
        let text = match self.model.namespace.as_deref() {
            // The templates' first `metadata:` is the object's own.
            Some(namespace) if kind.info().namespaced => text.replacen(
                "metadata:\n",
                &format!("metadata:\n  namespace: {namespace}\n"),
                1,
            ),
            _ => text.to_string(),
        };
        let title = format!("new {}", kind.info().singular);
        self.editor = Some((YamlEditor::new(title, &text), EditTarget::New));
    }

    /// The editor on the Service `kubectl expose` would create for the
    /// selected Deployment, ReplicaSet or Pod.
    pub(super) fn open_expose(&mut self) {
        let Some(object) = self.model.selected_object().cloned() else {
            return;
        };
        match expose_yaml(&object) {
            Ok(text) => {
                let title = format!("expose {}", Target::of(&object).describe());
                self.editor = Some((YamlEditor::new(title, &text), EditTarget::New));
            }
            Err(why) => self.model.flash_error(why),
        }
    }
}

/// The Service for `object`: its name, the pods it selects, its containers'
/// TCP ports (kubectl's `expose` without `--port`), type NodePort so that
/// it answers on the host.
fn expose_yaml(object: &Object) -> Result<String, String> {
    let target = Target::of(object);
    let (selector, spec) = match object {
        Object::Deployment(d) => {
            let spec = d.spec.as_ref();
            let selector = spec.and_then(|s| s.selector.match_labels.clone());
            (selector, spec.and_then(|s| s.template.spec.clone()))
        }
        Object::ReplicaSet(r) => {
            let spec = r.spec.as_ref();
            let selector = spec.and_then(|s| s.selector.match_labels.clone());
            let pod = spec.and_then(|s| s.template.as_ref()?.spec.clone());
            (selector, pod)
        }
        Object::Pod(p) => (p.metadata.labels.clone(), p.spec.clone()),
        _ => {
            return Err(format!(
                "expose works on deployments, replicasets and pods, not {}",
                target.describe()
            ));
        }
    };
    let Some(selector) = selector.filter(|s| !s.is_empty()) else {
        return Err(format!(
            "{} has no labels to select its pods by; add some, or write the Service with :new service",
            target.describe()
        ));
    };
    let ports = tcp_ports(spec.as_ref());
    if ports.is_empty() {
        return Err(format!(
            "{} declares no container port to expose; add a containerPort, or write the Service with :new service",
            target.describe()
        ));
    }
    let mut text = format!(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: {}\n  namespace: {}\nspec:\n  # ClusterIP: in the cluster only; NodePort: also on 127.0.0.1:<nodePort>;\n  # LoadBalancer: also at its EXTERNAL-IP\n  type: NodePort\n  selector:\n",
        target.name, target.namespace
    );
    for (key, value) in &selector {
        text.push_str(&format!("    {key}: {}\n", yaml_scalar(value)));
    }
    text.push_str("  ports:\n");
    let named = ports.len() > 1;
    for (index, port) in ports.iter().enumerate() {
        if named {
            text.push_str(&format!("  - name: port-{}\n    port: {port}\n", index + 1));
        } else {
            text.push_str(&format!("  - port: {port}\n"));
        }
        text.push_str(&format!("    targetPort: {port}\n"));
    }
    Ok(text)
}

/// The containers' TCP ports, each once, in order.
fn tcp_ports(spec: Option<&PodSpec>) -> Vec<i32> {
    let mut ports = Vec::new();
    let declared = spec
        .into_iter()
        .flat_map(|spec| spec.containers.iter())
        .flat_map(|container| container.ports.iter().flatten());
    for ContainerPort {
        container_port,
        protocol,
        ..
    } in declared
    {
        let tcp = protocol.as_deref().is_none_or(|p| p == "TCP");
        if tcp && !ports.contains(container_port) {
            ports.push(*container_port);
        }
    }
    ports
}

/// A label value as YAML reads it back as the same string.
fn yaml_scalar(value: &str) -> String {
    serde_yaml::to_string(value)
        .map(|text| text.trim_end().to_string())
        .unwrap_or_else(|_| format!("{value:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deployment(ports: serde_json::Value) -> Object {
        let value = serde_json::json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "hello-world", "namespace": "default"},
            "spec": {
                "selector": {"matchLabels": {"app": "hello-world", "tier": "true"}},
                "template": {
                    "metadata": {"labels": {"app": "hello-world", "tier": "true"}},
                    "spec": {"containers": [{"name": "echo", "image": "e", "ports": ports}]},
                },
            },
        });
        Object::from_json(Kind::Deployment, value).expect("a deployment")
    }

    #[test]
    fn a_deployment_is_exposed_on_its_container_port_selecting_its_pods() {
        let text = expose_yaml(&deployment(serde_json::json!([{"containerPort": 8080}])))
            .expect("exposable");
        let service: k8s_openapi::api::core::v1::Service =
            serde_yaml::from_str(&text).expect("a Service");
        let spec = service.spec.expect("spec");
        assert_eq!(spec.type_.as_deref(), Some("NodePort"));
        let selector = spec.selector.expect("selector");
        assert_eq!(selector["app"], "hello-world");
        // A label value YAML would read as a bool stays a string.
        assert_eq!(selector["tier"], "true");
        let ports = spec.ports.expect("ports");
        assert_eq!((ports[0].port, ports[0].name.as_deref()), (8080, None));
    }

    #[test]
    fn several_ports_are_named_and_none_is_refused_with_the_way_out() {
        let two = serde_json::json!([{"containerPort": 80}, {"containerPort": 53, "protocol": "UDP"}, {"containerPort": 443}]);
        let text = expose_yaml(&deployment(two)).expect("exposable");
        assert!(text.contains("- name: port-1\n    port: 80\n"), "{text}");
        assert!(text.contains("- name: port-2\n    port: 443\n"), "{text}");
        assert!(!text.contains("53"), "{text}");
        let refused = expose_yaml(&deployment(serde_json::json!([]))).expect_err("no port");
        assert!(refused.contains("declares no container port"), "{refused}");
    }
}
