"""The fault benchmark: bench_load.py's load while the timers worker, the worker and beat are SIGKILLed.

Twenty kills in all, spread over the run; run.py's supervisor must restart each, and every
deadline that passed (a ticket a second on a plan of 3-second targets) must get exactly one
miss, at most (outage + 2 s) late. See bench_load.py; the same arguments (``--minutes``,
``--users``, ``--kills``).

Run as ``python tests/benchmarks/bench_faults.py [--minutes 10]`` (``python3 run.py bench``
runs it with the others; ``--skip faults`` leaves it out).
"""

import subprocess
import sys
from pathlib import Path

if __name__ == "__main__":
    load = Path(__file__).with_name("bench_load.py")
    sys.exit(subprocess.run([sys.executable, str(load), "--faults", *sys.argv[1:]]).returncode)
