"""bench/classroom.py speaks Streamlit's protocol; a change of the app (a label, the sign-in) must not silently break it."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_two_simulated_students_sign_in_train_and_watch_to_the_end():
    done = subprocess.run([sys.executable, "bench/classroom.py", "--students", "2", "--tiny", "--timeout", "400"],
                          cwd=ROOT, capture_output=True, text=True, timeout=500)
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert (summary["students"], summary["finished"], summary["lost"], summary["errors"]) == (2, 2, 0, 0)
    assert summary["server_peak_mb"] > 50 and summary["wait_s_median"] is not None
