//! CustomResourceDefinitions (JSON values inside schemas) and the
//! group-to-package mapping of every served group.

use super::*;

fn raw_json(value: Value) -> Option<pb_apiextensions::Json> {
    Some(pb_apiextensions::Json {
        raw: Some(value.to_string().into_bytes()),
    })
}

fn schema_props(ty: &str) -> pb_apiextensions::JsonSchemaProps {
    pb_apiextensions::JsonSchemaProps {
        r#type: s(ty),
        ..Default::default()
    }
}

#[test]
fn custom_resource_definition_schema_json_values() {
    let size = pb_apiextensions::JsonSchemaProps {
        default: raw_json(json!("small")),
        r#enum: vec![
            raw_json(json!("small")).unwrap_or_default(),
            raw_json(json!("large")).unwrap_or_default(),
        ],
        example: raw_json(json!("large")),
        ..schema_props("string")
    };
    let replicas = pb_apiextensions::JsonSchemaProps {
        default: raw_json(json!(1)),
        minimum: Some(0.0),
        maximum: Some(10.5),
        format: s("int32"),
        ..schema_props("integer")
    };
    let spec_schema = pb_apiextensions::JsonSchemaProps {
        properties: [
            ("size".to_string(), size),
            ("replicas".to_string(), replicas),
            (
                "tags".to_string(),
                pb_apiextensions::JsonSchemaProps {
                    items: Some(Box::new(pb_apiextensions::JsonSchemaPropsOrArray {
                        schema: Some(Box::new(schema_props("string"))),
                        j_son_schemas: vec![],
                    })),
                    x_kubernetes_list_type: s("set"),
                    ..schema_props("array")
                },
            ),
            (
                "labels".to_string(),
                pb_apiextensions::JsonSchemaProps {
                    additional_properties: Some(Box::new(
                        pb_apiextensions::JsonSchemaPropsOrBool {
                            allows: Some(true),
                            schema: Some(Box::new(schema_props("string"))),
                        },
                    )),
                    ..schema_props("object")
                },
            ),
            (
                "extra".to_string(),
                pb_apiextensions::JsonSchemaProps {
                    x_kubernetes_preserve_unknown_fields: Some(true),
                    additional_properties: Some(Box::new(
                        pb_apiextensions::JsonSchemaPropsOrBool {
                            allows: Some(false),
                            schema: None,
                        },
                    )),
                    ..schema_props("object")
                },
            ),
        ]
        .into_iter()
        .collect(),
        required: vec!["size".into()],
        default: raw_json(json!({"size": "small", "replicas": 1})),
        x_kubernetes_validations: vec![pb_apiextensions::ValidationRule {
            rule: s("self.replicas <= 10"),
            message: s("too many"),
            ..Default::default()
        }],
        ..schema_props("object")
    };
    let crd = pb_apiextensions::CustomResourceDefinition {
        metadata: meta("widgets.example.com", ""),
        spec: Some(pb_apiextensions::CustomResourceDefinitionSpec {
            group: s("example.com"),
            names: Some(pb_apiextensions::CustomResourceDefinitionNames {
                plural: s("widgets"),
                singular: s("widget"),
                short_names: vec!["wd".into()],
                kind: s("Widget"),
                list_kind: s("WidgetList"),
                categories: vec![],
            }),
            scope: s("Namespaced"),
            versions: vec![
                pb_apiextensions::CustomResourceDefinitionVersion {
                    name: s("v1"),
                    served: Some(true),
                    storage: Some(true),
                    deprecated: Some(false),
                    schema: Some(pb_apiextensions::CustomResourceValidation {
                        open_apiv3_schema: Some(pb_apiextensions::JsonSchemaProps {
                            properties: [("spec".to_string(), spec_schema)].into_iter().collect(),
                            ..schema_props("object")
                        }),
                    }),
                    subresources: Some(pb_apiextensions::CustomResourceSubresources {
                        status: Some(pb_apiextensions::CustomResourceSubresourceStatus {}),
                        scale: Some(pb_apiextensions::CustomResourceSubresourceScale {
                            spec_replicas_path: s(".spec.replicas"),
                            status_replicas_path: s(".status.replicas"),
                            label_selector_path: None,
                        }),
                    }),
                    additional_printer_columns: vec![
                        pb_apiextensions::CustomResourceColumnDefinition {
                            name: s("Size"),
                            r#type: s("string"),
                            format: s(""),
                            description: s(""),
                            priority: Some(0),
                            json_path: s(".spec.size"),
                        },
                    ],
                    ..Default::default()
                },
                // `served: false` has no omitempty in Go: it must survive.
                pb_apiextensions::CustomResourceDefinitionVersion {
                    name: s("v0"),
                    served: Some(false),
                    storage: Some(false),
                    deprecated: Some(true),
                    schema: Some(pb_apiextensions::CustomResourceValidation {
                        open_apiv3_schema: Some(pb_apiextensions::JsonSchemaProps {
                            x_kubernetes_preserve_unknown_fields: Some(true),
                            ..schema_props("object")
                        }),
                    }),
                    ..Default::default()
                },
            ],
            conversion: Some(pb_apiextensions::CustomResourceConversion {
                strategy: s("None"),
                webhook: None,
            }),
            preserve_unknown_fields: Some(false),
        }),
        status: Some(pb_apiextensions::CustomResourceDefinitionStatus {
            accepted_names: Some(pb_apiextensions::CustomResourceDefinitionNames {
                plural: s(""),
                singular: s(""),
                kind: s(""),
                list_kind: s(""),
                ..Default::default()
            }),
            ..Default::default()
        }),
    };
    let value = decoded::<apiextensions::CustomResourceDefinition>(
        "apiextensions.k8s.io/v1",
        "CustomResourceDefinition",
        &crd,
    );
    assert_eq!(
        value,
        json!({
            "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": "widgets.example.com"},
            "spec": {
                "group": "example.com",
                "names": {"plural": "widgets", "singular": "widget", "shortNames": ["wd"], "kind": "Widget", "listKind": "WidgetList"},
                "scope": "Namespaced",
                "versions": [
                    {
                        "name": "v1", "served": true, "storage": true,
                        "schema": {"openAPIV3Schema": {
                            "type": "object",
                            "properties": {"spec": {
                                "type": "object",
                                "required": ["size"],
                                "default": {"size": "small", "replicas": 1},
                                "x-kubernetes-validations": [{"rule": "self.replicas <= 10", "message": "too many"}],
                                "properties": {
                                    "size": {"type": "string", "default": "small", "enum": ["small", "large"], "example": "large"},
                                    "replicas": {"type": "integer", "format": "int32", "default": 1, "minimum": 0.0, "maximum": 10.5},
                                    "tags": {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "set"},
                                    "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                                    "extra": {"type": "object", "additionalProperties": false, "x-kubernetes-preserve-unknown-fields": true},
                                },
                            }},
                        }},
                        "subresources": {"status": {}, "scale": {"specReplicasPath": ".spec.replicas", "statusReplicasPath": ".status.replicas"}},
                        "additionalPrinterColumns": [{"name": "Size", "type": "string", "jsonPath": ".spec.size"}],
                    },
                    {
                        "name": "v0", "served": false, "storage": false, "deprecated": true,
                        "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}},
                    },
                ],
                "conversion": {"strategy": "None"},
            },
            // plural and kind have no omitempty in Go.
            "status": {"acceptedNames": {"plural": "", "kind": ""}},
        })
    );
}

#[test]
fn json_schema_props_or_array_and_string_array_shapes() {
    // items as a list of schemas, and dependencies as a list of names.
    let props = pb_apiextensions::JsonSchemaProps {
        items: Some(Box::new(pb_apiextensions::JsonSchemaPropsOrArray {
            schema: None,
            j_son_schemas: vec![schema_props("string"), schema_props("integer")],
        })),
        dependencies: [
            (
                "a".to_string(),
                pb_apiextensions::JsonSchemaPropsOrStringArray {
                    schema: None,
                    property: vec!["b".into(), "c".into()],
                },
            ),
            (
                "d".to_string(),
                pb_apiextensions::JsonSchemaPropsOrStringArray {
                    schema: Some(schema_props("object")),
                    property: vec![],
                },
            ),
        ]
        .into_iter()
        .collect(),
        ..schema_props("array")
    };
    let crd = pb_apiextensions::CustomResourceDefinition {
        metadata: meta("things.example.com", ""),
        spec: Some(pb_apiextensions::CustomResourceDefinitionSpec {
            group: s("example.com"),
            names: Some(pb_apiextensions::CustomResourceDefinitionNames {
                plural: s("things"),
                kind: s("Thing"),
                ..Default::default()
            }),
            scope: s("Cluster"),
            versions: vec![pb_apiextensions::CustomResourceDefinitionVersion {
                name: s("v1"),
                served: Some(true),
                storage: Some(true),
                schema: Some(pb_apiextensions::CustomResourceValidation {
                    open_apiv3_schema: Some(props),
                }),
                ..Default::default()
            }],
            ..Default::default()
        }),
        status: None,
    };
    let value = decoded::<apiextensions::CustomResourceDefinition>(
        "apiextensions.k8s.io/v1",
        "CustomResourceDefinition",
        &crd,
    );
    assert_eq!(
        value["spec"]["versions"][0]["schema"]["openAPIV3Schema"],
        json!({
            "type": "array",
            "items": [{"type": "string"}, {"type": "integer"}],
            "dependencies": {"a": ["b", "c"], "d": {"type": "object"}},
        })
    );
}

#[test]
fn every_served_group_resolves_to_its_k8s_pb_package() {
    for (api_version, kind) in [
        ("v1", "ServiceAccount"),
        ("v1", "PersistentVolume"),
        ("v1", "PersistentVolumeClaim"),
        ("v1", "ResourceQuota"),
        ("v1", "LimitRange"),
        ("v1", "ReplicationController"),
        ("v1", "PodTemplate"),
        ("v1", "Binding"),
        ("apps/v1", "StatefulSet"),
        ("apps/v1", "DaemonSet"),
        ("apps/v1", "ControllerRevision"),
        ("batch/v1", "Job"),
        ("batch/v1", "CronJob"),
        ("autoscaling/v1", "HorizontalPodAutoscaler"),
        ("autoscaling/v1", "Scale"),
        ("autoscaling/v2", "HorizontalPodAutoscaler"),
        ("policy/v1", "PodDisruptionBudget"),
        ("policy/v1", "Eviction"),
        ("networking.k8s.io/v1", "NetworkPolicy"),
        ("networking.k8s.io/v1", "IngressClass"),
        ("discovery.k8s.io/v1", "EndpointSlice"),
        ("coordination.k8s.io/v1", "Lease"),
        ("rbac.authorization.k8s.io/v1", "Role"),
        ("rbac.authorization.k8s.io/v1", "ClusterRole"),
        ("rbac.authorization.k8s.io/v1", "RoleBinding"),
        ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
        ("storage.k8s.io/v1", "StorageClass"),
        ("storage.k8s.io/v1", "CSIDriver"),
        ("storage.k8s.io/v1", "VolumeAttachment"),
        ("scheduling.k8s.io/v1", "PriorityClass"),
        ("authorization.k8s.io/v1", "SelfSubjectAccessReview"),
        ("authorization.k8s.io/v1", "SelfSubjectRulesReview"),
        ("authorization.k8s.io/v1", "SubjectAccessReview"),
        ("authorization.k8s.io/v1", "LocalSubjectAccessReview"),
        ("authentication.k8s.io/v1", "TokenRequest"),
        ("authentication.k8s.io/v1", "TokenReview"),
        ("authentication.k8s.io/v1", "SelfSubjectReview"),
        ("events.k8s.io/v1", "Event"),
        ("apiextensions.k8s.io/v1", "CustomResourceDefinition"),
        (
            "admissionregistration.k8s.io/v1",
            "ValidatingWebhookConfiguration",
        ),
        (
            "admissionregistration.k8s.io/v1",
            "MutatingWebhookConfiguration",
        ),
    ] {
        let body = frame(api_version, kind, Vec::new());
        assert_eq!(
            decode(&body).unwrap_or_else(|e| panic!("{api_version} {kind}: {e}")),
            json!({"apiVersion": api_version, "kind": kind}),
        );
    }
}
