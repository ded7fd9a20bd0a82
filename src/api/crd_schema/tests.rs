use serde_json::{Value, json};

use super::*;

fn strings(errs: &[FieldError]) -> Vec<String> {
    errs.iter().map(ToString::to_string).collect()
}

/// The CronTab schema of the kubernetes.io CRD walkthrough (with bounds on
/// replicas).
fn crontab() -> Value {
    json!({
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {
                    "cronSpec": {
                        "type": "string",
                        "pattern": "^(\\d+|\\*)(/\\d+)?(\\s+(\\d+|\\*)(/\\d+)?){4}$"
                    },
                    "image": {"type": "string"},
                    "replicas": {"type": "integer", "minimum": 1, "maximum": 10}
                },
                "required": ["cronSpec"]
            }
        }
    })
}

fn crontab_object(spec: Value) -> Value {
    json!({
        "apiVersion": "stable.example.com/v1",
        "kind": "CronTab",
        "metadata": {"name": "my-new-cron-object"},
        "spec": spec
    })
}

#[test]
fn crontab_good_object_validates() {
    let obj = crontab_object(
        json!({"cronSpec": "* * * * */5", "image": "my-awesome-cron-image", "replicas": 3}),
    );
    assert!(validate(&crontab(), &obj).is_empty());
    assert!(structural_errors(&crontab(), "spec.versions[0].schema.openAPIV3Schema").is_empty());
}

#[test]
fn crontab_bad_objects() {
    let obj = crontab_object(json!({"cronSpec": "* * * *", "image": "x", "replicas": 15}));
    assert_eq!(
        strings(&validate(&crontab(), &obj)),
        vec![
            r#"spec.cronSpec: Invalid value: "* * * *": spec.cronSpec in body should match '^(\d+|\*)(/\d+)?(\s+(\d+|\*)(/\d+)?){4}$'"#,
            "spec.replicas: Invalid value: 15: spec.replicas in body should be less than or equal to 10",
        ]
    );
    let obj = crontab_object(json!({"cronSpec": 5, "replicas": 0}));
    assert_eq!(
        strings(&validate(&crontab(), &obj)),
        vec![
            r#"spec.cronSpec: Invalid value: "integer": spec.cronSpec in body must be of type string: "integer""#,
            "spec.replicas: Invalid value: 0: spec.replicas in body should be greater than or equal to 1",
        ]
    );
    let obj = crontab_object(json!({"image": "x", "replicas": "three"}));
    assert_eq!(
        strings(&validate(&crontab(), &obj)),
        vec![
            r#"spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string""#,
            "spec.cronSpec: Required value",
        ]
    );
    // 1.5 is no integer: the type and the range check both fail
    let obj = crontab_object(json!({"cronSpec": "* * * * *", "replicas": 1.5}));
    assert_eq!(
        strings(&validate(&crontab(), &obj)),
        vec![
            r#"spec.replicas: Invalid value: "number": spec.replicas in body must be of type integer: "number""#,
            r#"<nil>: Invalid value: "": Checked value must be of type integer (default format) in spec.replicas"#,
        ]
    );
    // 2.0 counts as an integer
    let obj = crontab_object(json!({"cronSpec": "* * * * *", "replicas": 2.0}));
    assert!(validate(&crontab(), &obj).is_empty());
}

#[test]
fn metadata_is_not_validated_by_the_schema() {
    let schema = json!({
        "type": "object",
        "properties": {"metadata": {"type": "object", "properties": {"name": {"type": "string", "maxLength": 3}}}}
    });
    let obj = json!({"metadata": {"name": "toolong"}});
    assert!(validate(&schema, &obj).is_empty());
}

#[test]
fn enum_int_or_string_nullable() {
    let schema = json!({
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {
                    "image": {"type": "string", "enum": ["a", "b"]},
                    "level": {"type": "integer", "enum": [1, 2]},
                    "port": {"x-kubernetes-int-or-string": true},
                    "note": {"type": "string", "nullable": true},
                    "other": {"type": "string"}
                }
            }
        }
    });
    let obj = json!({"spec": {"image": "x", "level": 3, "port": 8080, "note": null}});
    assert_eq!(
        strings(&validate(&schema, &obj)),
        vec![
            r#"spec.image: Unsupported value: "x": supported values: "a", "b""#,
            r#"spec.level: Unsupported value: 3: supported values: "1", "2""#,
        ]
    );
    let obj = json!({"spec": {"port": "http", "level": 2.0}});
    assert!(validate(&schema, &obj).is_empty());
    let obj = json!({"spec": {"port": true, "other": null}});
    assert_eq!(
        strings(&validate(&schema, &obj)),
        vec![
            r#"spec.port: Invalid value: "boolean": spec.port in body must be of type integer,string: "boolean""#,
            r#"spec.other: Invalid value: "null": spec.other in body must be of type string: "null""#,
        ]
    );
}

#[test]
fn strings_arrays_objects_formats() {
    let schema = json!({
        "type": "object",
        "properties": {
            "name": {"type": "string", "minLength": 2, "maxLength": 4},
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 2},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}, "maxProperties": 1, "minProperties": 1},
            "when": {"type": "string", "format": "date-time"},
            "day": {"type": "string", "format": "date"},
            "id": {"type": "string", "format": "uuid"},
            "data": {"type": "string", "format": "byte"},
            "small": {"type": "integer", "format": "int32"},
            "odd": {"type": "string", "format": "no-such-format"},
            "step": {"type": "number", "multipleOf": 0.5, "exclusiveMaximum": true, "maximum": 2}
        }
    });
    let obj = json!({
        "name": "abcdef",
        "tags": ["a", "b", 3],
        "labels": {"a": "x", "b": 1},
        "when": "yesterday",
        "day": "2024-02-30",
        "id": "not-a-uuid",
        "data": "!!",
        "small": 3_000_000_000i64,
        "odd": "whatever",
        "step": 2.25
    });
    assert_eq!(
        strings(&validate(&schema, &obj)),
        vec![
            "name: Too long: may not be more than 4 bytes",
            r#"tags[2]: Invalid value: "integer": tags[2] in body must be of type string: "integer""#,
            "tags: Too many: 3: must have at most 2 items",
            "labels: Too many: 2: must have at most 1 item",
            r#"labels.b: Invalid value: "integer": labels.b in body must be of type string: "integer""#,
            r#"when: Invalid value: "yesterday": when in body must be of type date-time: "yesterday""#,
            r#"day: Invalid value: "2024-02-30": day in body must be of type date: "2024-02-30""#,
            r#"id: Invalid value: "not-a-uuid": id in body must be of type uuid: "not-a-uuid""#,
            r#"data: Invalid value: "!!": data in body must be of type byte: "!!""#,
            r#"<nil>: Invalid value: "": Checked value must be of type integer with format int32 in small"#,
            "step: Invalid value: 2.25: step in body should be a multiple of 0.5",
            "step: Invalid value: 2.25: step in body should be less than 2",
        ]
    );
    let obj = json!({"name": "a", "tags": [], "labels": {}});
    assert_eq!(
        strings(&validate(&schema, &obj)),
        vec![
            r#"name: Invalid value: "a": name in body should be at least 2 chars long"#,
            "tags: Invalid value: 0: tags in body should have at least 1 items",
            "labels: Invalid value: 0: labels in body should have at least 1 properties",
        ]
    );
    let obj = json!({"when": "2024-01-02T03:04:05Z", "day": "2024-02-29", "id": "123e4567-e89b-12d3-a456-426614174000", "data": "aGVsbG8=", "small": 5, "step": 1.5});
    assert!(validate(&schema, &obj).is_empty());
}

#[test]
fn junctors() {
    let schema = json!({
        "type": "object",
        "properties": {
            "a": {"type": "string", "anyOf": [{"pattern": "^x"}, {"pattern": "^y"}]},
            "b": {"type": "string", "oneOf": [{"pattern": "^x"}, {"pattern": "x$"}]},
            "c": {"type": "integer", "not": {"minimum": 5}},
            "d": {"type": "integer", "allOf": [{"minimum": 5}, {"maximum": 6}]}
        }
    });
    let obj = json!({"a": "z", "b": "xx", "c": 7, "d": 2});
    assert_eq!(
        strings(&validate(&schema, &obj)),
        vec![
            r#"<nil>: Invalid value: "": "a" must validate at least one schema (anyOf)"#,
            r#"a: Invalid value: "z": a in body should match '^x'"#,
            r#"<nil>: Invalid value: "": "b" must validate one and only one schema (oneOf). Found 2 valid alternatives"#,
            r#"<nil>: Invalid value: "": "c" must not validate the schema (not)"#,
            "d: Invalid value: 2: d in body should be greater than or equal to 5",
            r#"<nil>: Invalid value: "": "d" must validate all the schemas (allOf)"#,
        ]
    );
}

#[test]
fn list_types() {
    let schema = json!({
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {
                    "set": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}},
                    "ports": {
                        "type": "array",
                        "x-kubernetes-list-type": "map",
                        "x-kubernetes-list-map-keys": ["name"],
                        "items": {"type": "object", "properties": {"name": {"type": "string"}, "port": {"type": "integer"}}, "required": ["name"]}
                    },
                    "pairs": {
                        "type": "array",
                        "x-kubernetes-list-type": "map",
                        "x-kubernetes-list-map-keys": ["b", "a"],
                        "items": {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "integer"}}}
                    }
                }
            }
        }
    });
    let obj = json!({"spec": {
        "set": ["a", "b", "a", "a"],
        "ports": [{"name": "http", "port": 80}, {"name": "http", "port": 81}],
        "pairs": [{"a": "x", "b": 1}, {"b": 1, "a": "x"}, {"a": "y"}]
    }});
    assert_eq!(
        strings(&validate(&schema, &obj)),
        vec![
            r#"spec.set[2]: Duplicate value: "a""#,
            r#"spec.ports[1]: Duplicate value: {"name":"http"}"#,
            r#"spec.pairs[1]: Duplicate value: {"a":"x","b":1}"#,
        ]
    );
}

#[test]
fn pruning_with_preserve_and_embedded() {
    let schema = json!({
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {
                    "known": {"type": "string"},
                    "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true,
                             "properties": {"typed": {"type": "object", "properties": {"x": {"type": "string"}}}}},
                    "template": {"type": "object", "x-kubernetes-embedded-resource": true,
                                 "properties": {"spec": {"type": "object", "properties": {"a": {"type": "string"}}}}},
                    "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                    "items": {"type": "array", "items": {"type": "object", "properties": {"n": {"type": "string"}}}}
                }
            }
        }
    });
    let mut obj = json!({
        "apiVersion": "v1", "kind": "K", "metadata": {"name": "n", "bogus": 1},
        "extra": 1,
        "spec": {
            "known": "k", "foo": {"bar": 1},
            "free": {"anything": {"goes": true}, "typed": {"x": "1", "y": "2"}},
            "template": {"apiVersion": "v1", "kind": "Pod", "metadata": {"labels": {"a": "b"}}, "spec": {"a": "1", "b": "2"}, "status": {}},
            "labels": {"a": "b"},
            "items": [{"n": "1", "m": 2}],
        }
    });
    let pruned = prune(&schema, &mut obj);
    assert_eq!(
        pruned,
        vec![
            "extra",
            "spec.foo",
            "spec.free.typed.y",
            "spec.items[0].m",
            "spec.template.spec.b",
            "spec.template.status",
        ]
    );
    assert_eq!(
        obj,
        json!({
            "apiVersion": "v1", "kind": "K", "metadata": {"name": "n", "bogus": 1},
            "spec": {
                "known": "k",
                "free": {"anything": {"goes": true}, "typed": {"x": "1"}},
                "template": {"apiVersion": "v1", "kind": "Pod", "metadata": {"labels": {"a": "b"}}, "spec": {"a": "1"}},
                "labels": {"a": "b"},
                "items": [{"n": "1"}],
            }
        })
    );
}

#[test]
fn defaults_nested_arrays_maps_and_nulls() {
    let schema = json!({
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {
                    "replicas": {"type": "integer", "default": 1},
                    "strategy": {"type": "object", "default": {}, "properties": {"type": {"type": "string", "default": "Rolling"}}},
                    "ports": {"type": "array", "items": {"type": "object", "properties": {"protocol": {"type": "string", "default": "TCP"}}}},
                    "limits": {"type": "object", "additionalProperties": {"type": "object", "properties": {"unit": {"type": "string", "default": "Mi"}}}},
                    "keep": {"type": "string", "nullable": true, "default": "x"},
                    "drop": {"type": "string"},
                    "fill": {"type": "string", "default": "filled"}
                }
            },
            "status": {"type": "object", "properties": {"phase": {"type": "string", "default": "Pending"}}}
        }
    });
    let mut obj = json!({"spec": {
        "ports": [{"port": 80}, {"protocol": "UDP"}],
        "limits": {"cpu": {}},
        "keep": null,
        "drop": null,
        "fill": null
    }});
    apply_defaults(&schema, &mut obj);
    assert_eq!(
        obj,
        json!({"spec": {
            "ports": [{"port": 80, "protocol": "TCP"}, {"protocol": "UDP"}],
            "limits": {"cpu": {"unit": "Mi"}},
            "keep": null,
            "fill": "filled",
            "replicas": 1,
            "strategy": {"type": "Rolling"}
        }})
    );
}

const BASE: &str = "spec.versions[0].schema.openAPIV3Schema";

#[test]
fn structural_missing_type_and_mutual_exclusion() {
    let schema = json!({
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {"cronSpec": {"description": "no type"}, "list": {"type": "array"}},
                "additionalProperties": {"type": "string"}
            }
        }
    });
    assert_eq!(
        strings(&structural_errors(&schema, BASE)),
        vec![
            "spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[cronSpec].type: Required value: must not be empty for specified object fields",
            "spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[list].items: Required value: must be specified",
            "spec.versions[0].schema.openAPIV3Schema.properties[spec].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive",
        ]
    );
}

#[test]
fn structural_root_nested_and_invalid_schema() {
    let schema = json!({
        "type": "object",
        "nullable": true,
        "properties": {
            "metadata": {"type": "object", "properties": {"labels": {"type": "object"}}},
            "spec": {
                "type": "objekt",
                "x-kubernetes-preserve-unknown-fields": true,
                "anyOf": [{"type": "string", "description": "d", "properties": {"metadata": {}}}],
                "properties": {"p": {"type": "string", "pattern": "(abc"}}
            }
        }
    });
    assert_eq!(
        strings(&structural_errors(&schema, BASE)),
        vec![
            "spec.versions[0].schema.openAPIV3Schema.nullable: Forbidden: nullable cannot be true at the root",
            "spec.versions[0].schema.openAPIV3Schema.properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified",
            "spec.versions[0].schema.openAPIV3Schema.properties[spec].anyOf[0].description: Forbidden: must be empty to be structural",
            "spec.versions[0].schema.openAPIV3Schema.properties[spec].anyOf[0].properties[metadata]: Forbidden: must not be specified in a nested context",
            "spec.versions[0].schema.openAPIV3Schema.properties[spec].anyOf[0].type: Forbidden: must be empty to be structural",
            "spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[p].pattern: Invalid value: \"(abc\": must be a valid regular expression, but isn't: error parsing regexp: unclosed group",
            "spec.versions[0].schema.openAPIV3Schema.properties[spec].type: Unsupported value: \"objekt\": supported values: \"array\", \"boolean\", \"integer\", \"number\", \"object\", \"string\"",
        ]
    );
    // x-kubernetes-preserve-unknown-fields: false fails the structural
    // conversion: only the OpenAPI check reports
    let schema = json!({"type": "object", "properties": {"a": {"x-kubernetes-preserve-unknown-fields": false}}});
    assert_eq!(
        strings(&structural_errors(&schema, BASE)),
        vec![
            "spec.versions[0].schema.openAPIV3Schema.properties[a].x-kubernetes-preserve-unknown-fields: Invalid value: false: must be true or undefined"
        ]
    );
}

#[test]
fn structural_int_or_string_patterns_and_defaults() {
    let schema = json!({
        "type": "object",
        "properties": {
            "port": {"x-kubernetes-int-or-string": true, "anyOf": [{"type": "integer"}, {"type": "string"}]},
            "replicas": {"type": "integer", "maximum": 3, "default": 5},
            "spec": {"type": "object", "properties": {"a": {"type": "string"}}, "default": {"a": "x", "b": "y"}},
            "metadata": {"type": "object", "properties": {"name": {"type": "string"}}}
        }
    });
    assert_eq!(
        strings(&structural_errors(&schema, BASE)),
        vec![
            "spec.versions[0].schema.openAPIV3Schema.properties[replicas].default: Invalid value: 5:  in body should be less than or equal to 3",
            r#"spec.versions[0].schema.openAPIV3Schema.properties[spec].default: Invalid value: {"a":"x","b":"y"}: must not have unknown fields"#,
        ]
    );
}

#[test]
fn cel_rules_are_listed() {
    let schema = json!({
        "type": "object",
        "x-kubernetes-validations": [{"rule": "self.spec.a == self.spec.b"}],
        "properties": {
            "spec": {
                "type": "object",
                "properties": {
                    "list": {"type": "array", "items": {"type": "string", "x-kubernetes-validations": [{"rule": "self.size() < 5", "message": "short"}]}},
                    "a": {"type": "integer", "x-kubernetes-validations": [{"rule": "self > 0"}, {"rule": "self < 10"}]}
                }
            }
        }
    });
    assert_eq!(
        cel_rules(&schema),
        vec![
            (String::new(), "self.spec.a == self.spec.b".to_string()),
            ("spec.list[*]".to_string(), "self.size() < 5".to_string()),
            ("spec.a".to_string(), "self > 0".to_string()),
            ("spec.a".to_string(), "self < 10".to_string()),
        ]
    );
}

#[test]
fn go_formatting() {
    assert_eq!(go_fmt_v(1_000_000.0), "1e+06");
    assert_eq!(go_fmt_v(123_456.0), "123456");
    assert_eq!(go_fmt_v(0.5), "0.5");
    assert_eq!(go_fmt_v(0.00001), "1e-05");
    assert_eq!(
        go_json(&json!({"b": 1.0, "a": "<"})),
        r#"{"a":"\u003c","b":1}"#
    );
}
