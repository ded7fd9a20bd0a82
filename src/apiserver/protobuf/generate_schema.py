#!/usr/bin/env python3
"""Generates schema.txt: the wire layout (tag, JSON name, type) of every
k8s-pb message reachable from the kinds podium decodes.

k8s-pb's prost structs carry tags and types but not the JSON names, and it
ships no descriptors; the JSON names come from k8s-openapi's serde code for
the same type. Run from the repository root after a dependency bump:

    python3 src/apiserver/protobuf/generate_schema.py > src/apiserver/protobuf/schema.txt
"""

import glob
import os
import re
import sys

ROOTS = [
    "api.core.v1.Pod",
    "api.core.v1.Service",
    "api.core.v1.Namespace",
    "api.core.v1.ConfigMap",
    "api.core.v1.Secret",
    "api.core.v1.Endpoints",
    "api.core.v1.Node",
    "api.core.v1.Event",
    "api.apps.v1.Deployment",
    "api.apps.v1.ReplicaSet",
    "api.networking.v1.Ingress",
]
# Messages rendered specially by the decoder: their fields are not walked.
OPAQUE = {
    "apimachinery.pkg.apis.meta.v1.Time",
    "apimachinery.pkg.apis.meta.v1.MicroTime",
    "apimachinery.pkg.apis.meta.v1.Duration",
    "apimachinery.pkg.apis.meta.v1.FieldsV1",
    "apimachinery.pkg.util.intstr.IntOrString",
    "apimachinery.pkg.api.resource.Quantity",
    "apimachinery.pkg.runtime.RawExtension",
}

# Go structs embedded without a JSON name: their fields appear in the parent.
INLINE = {
    "volume_source",
    "handler",
    "local_object_reference",
    "ingress_rule_value",
    "ephemeral_container_common",
}

registry = os.path.expanduser("~/.cargo/registry/src")
pb_root = sorted(glob.glob(f"{registry}/*/k8s-pb-0.9.*/src"))[-1]
openapi_root = sorted(glob.glob(f"{registry}/*/k8s-openapi-0.29.*/src/v1_33"))[-1]


def module_of(path, root):
    rel = os.path.relpath(os.path.dirname(path), root)
    return rel.replace(os.sep, ".")


def parse_pb():
    messages = {}
    for path in glob.glob(f"{pb_root}/**/mod.rs", recursive=True):
        module = module_of(path, pb_root)
        text = "\n".join(
            line for line in open(path).read().splitlines() if not line.strip().startswith("///")
        )
        for m in re.finditer(r"pub struct (\w+) \{(.*?)\n\}", text, re.S):
            name, body = m.group(1), m.group(2)
            fields = []
            for chunk in body.split("#[prost(")[1:]:
                attr, _, rest = chunk.partition(")]")
                fm = re.match(r"\s*pub (?:r#)?(\w+):\s*(.*)", rest, re.S)
                if not fm:
                    continue
                tag = int(re.search(r'tag = "(\d+)"', attr).group(1))
                rust_type = re.sub(r"\s+", "", fm.group(2)).rstrip(",").replace(",>", ">")
                fields.append((tag, fm.group(1), attr, rust_type))
            messages[f"{module}.{name}"] = (module, fields)
    return messages


def resolve(module, rust_type):
    inner = rust_type
    for wrapper in ("::core::option::Option<", "::prost::alloc::vec::Vec<", "::prost::alloc::boxed::Box<"):
        while inner.startswith(wrapper):
            inner = inner[len(wrapper):-1].strip()
    if inner.startswith("::prost::alloc::collections::BTreeMap<"):
        inner = inner[len("::prost::alloc::collections::BTreeMap<"):-1]
        inner = inner.split(",", 1)[1].strip()
    parts = module.split(".")
    while inner.startswith("super::"):
        inner = inner[len("super::"):]
        parts = parts[:-1]
    path = inner.split("::")
    return ".".join(parts + path)


def openapi_names():
    names = {}
    for path in glob.glob(f"{openapi_root}/**/*.rs", recursive=True):
        module = module_of(path, openapi_root)
        text = open(path).read()
        sm = re.search(r"^pub struct (\w+)", text, re.M)
        if not sm:
            continue
        fields = {}
        for jm in re.finditer(r'"([A-Za-z0-9_$-]+)" => Field::Key_(\w+)', text):
            fields[jm.group(1).lower()] = jm.group(1)
        names[f"{module}.{sm.group(1)}".lower()] = fields
    return names


def global_names(per_type):
    """Lower-cased JSON name -> its most common spelling across all types."""
    counts = {}
    for fields in per_type.values():
        for key, json in fields.items():
            counts.setdefault(key, {}).setdefault(json, 0)
            counts[key][json] += 1
    return {key: max(spellings, key=spellings.get) for key, spellings in counts.items()}


def field_kind(attr):
    """`btree_map = "string, message", tag = "1"` -> ("btree_map", "string, message")."""
    m = re.match(r'\s*(\w+)(?:\s*=\s*"([^"]*)")?', attr)
    return m.group(1), m.group(2) or ""


def camel(snake):
    head, *rest = snake.split("_")
    return head + "".join(p.capitalize() for p in rest)


def main():
    messages = parse_pb()
    json_names = openapi_names()
    any_names = global_names(json_names)
    order, seen, queue = [], set(), list(ROOTS)
    while queue:
        name = queue.pop(0)
        if name in seen:
            continue
        seen.add(name)
        order.append(name)
        if name in OPAQUE:
            continue
        module, fields = messages[name]
        for _, _, attr, rust_type in fields:
            kind, arg = field_kind(attr)
            if kind == "message" or (kind == "btree_map" and arg.endswith("message")):
                queue.append(resolve(module, rust_type))
    out = [
        "# @generated by generate_schema.py from k8s-pb 0.9 and k8s-openapi 0.29:",
        "# the wire layout of every message reachable from the kinds podium",
        "# decodes. Do not edit by hand; schema.rs reads it.",
        "#",
        "# One message a line: `kind NAME FIELD...` for the top-level kinds,",
        "# `message NAME FIELD...` for the rest. A FIELD is TAG:JSON:TYPE; TYPE is",
        "# string, int32, int64, bool, double or bytes, message<NAME>, inline<NAME>",
        "# (a Go struct embedded without a JSON name), or map<string|bytes|NAME>,",
        "# with a leading [] when the field is repeated.",
    ]
    for name in order:
        line = [("kind" if name in ROOTS else "message"), name]
        if name not in OPAQUE:
            module, fields = messages[name]
            openapi = json_names.get(name.lower(), {})
            for tag, rust_name, attr, rust_type in fields:
                key = rust_name.replace("_", "").lower()
                json = openapi.get(key) or any_names.get(key)
                if json is None:
                    json = camel(rust_name)
                    print(f"warning: {name}.{rust_name}: no JSON name in k8s-openapi, using {json}", file=sys.stderr)
                repeated = "repeated" in attr
                kind, arg = field_kind(attr)
                if kind in ("btree_map", "map"):
                    value = arg.split(",")[1].strip()
                    ty = f"map<{value if value in ('string', 'bytes') else resolve(module, rust_type)}>"
                    repeated = False
                elif kind == "message" and rust_name in INLINE:
                    ty = f"inline<{resolve(module, rust_type)}>"
                elif kind == "message":
                    ty = f"message<{resolve(module, rust_type)}>"
                else:
                    assert kind in ("string", "int32", "int64", "bool", "double", "bytes"), kind
                    ty = kind
                line.append(f"{tag}:{json}:{'[]' if repeated else ''}{ty}")
        out.append(" ".join(line))
    print("\n".join(out))

main()
