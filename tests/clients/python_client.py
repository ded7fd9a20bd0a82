"""Drives podium with the official Kubernetes Python client.

Usage: python_client.py KUBECONFIG. Prints one line per check; exits non-zero
on the first failure.
"""
import json
import sys
import threading
import time

from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

config.load_kube_config(config_file=sys.argv[1])
core = client.CoreV1Api()
apps = client.AppsV1Api()

labels = {"app": "py-web"}
deployment = client.V1Deployment(
    metadata=client.V1ObjectMeta(name="py-web"),
    spec=client.V1DeploymentSpec(
        replicas=2,
        selector=client.V1LabelSelector(match_labels=labels),
        template=client.V1PodTemplateSpec(
            metadata=client.V1ObjectMeta(labels=labels),
            spec=client.V1PodSpec(
                containers=[client.V1Container(name="web", image="library/nginx:1.18-alpine")]
            ),
        ),
    ),
)
created = apps.create_namespaced_deployment("default", deployment)
print("created", created.metadata.name, created.spec.strategy.type)

available = 0
stream = watch.Watch()
for event in stream.stream(
    apps.list_namespaced_deployment,
    "default",
    field_selector="metadata.name=py-web",
    timeout_seconds=60,
):
    status = event["object"].status
    available = (status and status.available_replicas) or 0
    if available == 2:
        stream.stop()
        break
print("available", available)

pods = core.list_namespaced_pod("default", label_selector="app=py-web")
phases = sorted({p.status.phase for p in pods.items})
print("pods", len(pods.items), ",".join(phases))

scale = apps.patch_namespaced_deployment_scale("py-web", "default", {"spec": {"replicas": 3}})
print("scaled", scale.spec.replicas)

core.create_namespaced_config_map(
    "default", client.V1ConfigMap(metadata=client.V1ObjectMeta(name="py-cm"), data={"k": "v"})
)
try:
    core.create_namespaced_config_map(
        "default", client.V1ConfigMap(metadata=client.V1ObjectMeta(name="py-cm"), data={"k": "v"})
    )
    print("duplicate accepted")
except ApiException as error:
    print("duplicate", error.status, json.loads(error.body)["reason"])
    # Byte for byte what kube-apiserver answers, trailing newline included.
    upstream = (
        '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",'
        '"message":"configmaps \\"py-cm\\" already exists","reason":"AlreadyExists",'
        '"details":{"name":"py-cm","kind":"configmaps"},"code":409}\n'
    )
    print("status bytes", "upstream" if error.body == upstream else repr(error.body))

# The client sends `watch=True`: a stream, not a list. Objects created
# while it runs arrive as ADDED.
def create_later(names):
    time.sleep(0.5)
    for name in names:
        core.create_namespaced_config_map(
            "default",
            client.V1ConfigMap(
                metadata=client.V1ObjectMeta(name=name, labels={"tier": "py"}), data={"k": name}
            ),
        )

def two_events_from(version):
    """The first two events of a `tier=py` watch from `version`."""
    seen = []
    stream = watch.Watch()
    for event in stream.stream(
        core.list_namespaced_config_map,
        "default",
        label_selector="tier=py",
        resource_version=version,
        timeout_seconds=10,
    ):
        seen.append(event["type"] + " " + event["object"].metadata.name)
        if len(seen) == 2:
            stream.stop()
    return seen

listed = core.list_namespaced_config_map("default", label_selector="tier=py")
threading.Thread(target=create_later, args=(["py-a", "py-b"],)).start()
seen = two_events_from(listed.metadata.resource_version)
print("watched", ", ".join(seen))

# An informer reconnecting: a watch with a selector resumed from a list's
# version gets the DELETED of what left in between, and the relabelled one.
listed = core.list_namespaced_config_map("default", label_selector="tier=py")
core.delete_namespaced_config_map("py-a", "default")
core.patch_namespaced_config_map("py-b", "default", {"metadata": {"labels": {"tier": "other"}}})
seen = two_events_from(listed.metadata.resource_version)
print("resumed", ", ".join(seen))

try:
    core.read_namespaced_pod("no-such-pod", "default")
except ApiException as error:
    print("missing", error.status, json.loads(error.body)["message"])

apps.delete_namespaced_deployment("py-web", "default")
print("deleted")
