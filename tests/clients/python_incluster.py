"""The official Python client's in-cluster configuration, fed what a pod
holds: KUBERNETES_SERVICE_HOST/_PORT from the pod's environment and the
token and ca.crt of its ServiceAccount volume (copied out of the pod; the
host reaches the ClusterIP as pods do). Prints the pods it may list, then
the status of a refused list of Secrets.

usage: python_incluster.py KUBECONFIG HOST PORT TOKEN_FILE CA_FILE
"""

import sys

from kubernetes import client
from kubernetes.client.rest import ApiException
from kubernetes.config.incluster_config import InClusterConfigLoader

_, _kubeconfig, host, port, token_file, ca_file = sys.argv
configuration = client.Configuration()
InClusterConfigLoader(
    token_filename=token_file,
    cert_filename=ca_file,
    environ={"KUBERNETES_SERVICE_HOST": host, "KUBERNETES_SERVICE_PORT": port},
).load_and_set(configuration)
api = client.CoreV1Api(client.ApiClient(configuration))
for pod in api.list_namespaced_pod("default").items:
    print("pod", pod.metadata.name)
try:
    api.list_namespaced_secret("default")
    print("secrets listed")
except ApiException as refused:
    print("secrets", refused.status)
