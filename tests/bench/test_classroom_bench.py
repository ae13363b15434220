"""bench/classroom.py speaks Streamlit's protocol; a change of the app (a label, the sign-in, the ROC component's
value) must not silently break it."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_two_simulated_students_sign_in_move_controls_drag_the_roc_train_and_watch_to_the_end():
    done = subprocess.run([sys.executable, "bench/classroom.py", "--small", "--timeout", "400"],
                          cwd=ROOT, capture_output=True, text=True, timeout=500)
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert (summary["students"], summary["finished"], summary["lost"], summary["errors"]) == (2, 2, 0, 0)
    assert summary["server_peak_mb"] > 50 and summary["wait_s_median"] is not None
    # each student: sign in, open Lung 2D, three controls, Start, open DR, three drags, back to Lung 2D
    assert summary["clicks"] >= 2 * 11 and summary["clicks_answered"] == summary["clicks"]
    assert 0 < summary["click_p50_s"] <= summary["click_p95_s"] <= summary["click_max_s"]
    assert summary["session_mb"] is not None
