"""Exec with the official Kubernetes Python client, as its users write it.

Usage: python_exec.py KUBECONFIG POD. The client sends stdin as WebSocket
text frames and reads the exit code from the error channel.
"""
import sys
import time

from kubernetes import client, config
from kubernetes.stream import stream

config.load_kube_config(config_file=sys.argv[1])
core = client.CoreV1Api()
pod = sys.argv[2]

# stdin as text frames, echoed back by cat; closing stdin (v5) ends it.
session = stream(
    core.connect_get_namespaced_pod_exec, pod, "default",
    command=["cat"], stdin=True, stdout=True, stderr=True, tty=False,
    _preload_content=False,
)
session.write_stdin("hello from python\n")
echoed = ""
deadline = time.time() + 20
while "hello from python" not in echoed and time.time() < deadline:
    session.update(timeout=1)
    if session.peek_stdout():
        echoed += session.read_stdout()
print("protocol", session.subprotocol)
print("echoed", echoed.strip())
session.close_channel(0)
session.run_forever(timeout=20)
print("cat exit", session.returncode)

# Output on both streams and a non-zero exit code.
session = stream(
    core.connect_get_namespaced_pod_exec, pod, "default",
    command=["sh", "-c", "echo out; echo err >&2; exit 3"],
    stdin=False, stdout=True, stderr=True, tty=False,
    _preload_content=False,
)
session.run_forever(timeout=20)
print("stdout", session.read_stdout().strip())
print("stderr", session.read_stderr().strip())
print("exit", session.returncode)
