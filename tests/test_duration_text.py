"""The server and the pages' scripts write a duration the same way (kit.pages and static duration.js)."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpdesk.kit.pages import duration_text

SCRIPT = Path(__file__).resolve().parent.parent / "helpdesk" / "static" / "pledge" / "duration.js"
SAMPLES = [0, 0.4, 1, 42, 59.9, 60, 61, 29 * 60 + 12, 3599, 3600, 3660, 5 * 3600 + 59 * 60, 86_399, 86_400]


def test_the_steps():
    assert [duration_text(s) for s in (42, 29 * 60 + 12, 5 * 3600 + 59 * 60, 2 * 86_400 + 3 * 3600)] == [
        "42s",
        "29m 12s",
        "5h 59m",
        "2d 3h",
    ]
    assert duration_text(300, whole_minutes=True) == "5m"
    assert duration_text(-5) == "0s"


@given(st.floats(min_value=-10, max_value=10 * 86_400, allow_nan=False))
@settings(max_examples=200)
def test_whole_minutes_only_drops_zero_seconds(seconds):
    full, short = duration_text(seconds), duration_text(seconds, whole_minutes=True)
    assert short == full or full == short + " 0s"


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js runs the pages' script here")
def test_the_script_agrees_with_the_server():
    program = (
        f"const {{ duration }} = require({json.dumps(str(SCRIPT))});"
        f"console.log(JSON.stringify({json.dumps(SAMPLES)}.map(duration)));"
    )
    result = subprocess.run(["node", "-e", program], capture_output=True, text=True, timeout=30, check=True)
    assert json.loads(result.stdout) == [duration_text(s) for s in SAMPLES]
