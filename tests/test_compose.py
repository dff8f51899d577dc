"""docker-compose.yml and the Dockerfile describe the stack run.py starts (no Docker engine runs here).

What can be checked without an engine is checked: the services and their order, that each
Celery worker's health check pings the node its command names and listens on the queue the
settings route to it, and that the image serves the web command run.py serves.
"""

import json
import re
import shlex
from pathlib import Path

import yaml

from run import web_command

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def test_the_production_stack_has_its_services():
    assert set(SERVICES) == {"postgres", "redis", "migrate", "web", "worker", "timers", "beat"}
    for name in ("web", "worker", "timers", "beat"):
        waits = SERVICES[name]["depends_on"]
        assert waits["migrate"]["condition"] == "service_completed_successfully", name
    for name in ("postgres", "redis", "web", "worker", "timers"):
        assert "healthcheck" in SERVICES[name], name


def _option(command: list[str], flag: str) -> str:
    return command[command.index(flag) + 1]


def test_each_worker_is_health_checked_by_its_own_node_name_on_its_own_queue(settings):
    queues = {"worker": settings.CELERY_TASK_DEFAULT_QUEUE, "timers": settings.CELERY_TIMERS_QUEUE}
    for name, queue in queues.items():
        command = SERVICES[name]["command"]
        node = _option(command, "-n").split("@")[0]
        check = " ".join(SERVICES[name]["healthcheck"]["test"])
        assert re.search(rf"-d {node}@\$\$HOSTNAME", check), (name, node, check)
        # compose runs without CELERY_QUEUE set: the settings' defaults are what production uses
        assert _option(command, "-Q") == queue.replace(settings.CELERY_TASK_DEFAULT_QUEUE, "pledge"), name


def test_the_image_serves_the_web_command_run_py_serves():
    dockerfile = (ROOT / "Dockerfile").read_text()
    cmd = re.search(r"^CMD (\[.*?\])\s*$", dockerfile.replace("\\\n", ""), re.MULTILINE | re.DOTALL)
    assert cmd, "the Dockerfile has a CMD in exec form"
    image = json.loads(cmd.group(1))
    ours = web_command("python", "127.0.0.1", 8000)[2:]  # after `python -m`
    assert image[0] == ours[0] == "uvicorn" and image[1] == ours[1]
    for flag in ("--ws-per-message-deflate",):
        assert _option(image, flag) == _option(ours, flag), shlex.join(image)
