"""A student's report: their runs in the course's order, their figures and answers, escaped, in one file."""

import re
import subprocess
import sys

import pytest

from lib.classroom.answers import AnswerBook
from lib.classroom.polls import PollStore
from lib.report import build_report
from lib.jobs.folder.store import RunStore
from tests.helpers.runs import make_dr_run, make_lung2d_run, make_lung3d_run

ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]


@pytest.fixture
def student(tmp_path, demo_root):
    store = RunStore(tmp_path / "runs")
    lungs = demo_root / "lungs"
    for fraction in (0.3, 1.0):
        make_lung3d_run(store, lungs, fraction=fraction, owner="user:bob")
    make_lung2d_run(store, lungs, owner="user:bob")
    dr = make_dr_run(store, demo_root / "eyepacs", owner="user:bob")
    make_dr_run(store, demo_root / "eyepacs", seed=5, owner="user:eve")  # another student's: not in bob's report
    published = make_dr_run(store, demo_root / "eyepacs", seed=6, owner="user:ada")
    store.publish(published.name, by="ada")
    poll = PollStore(store).open(published.name, by="ada")
    PollStore(store).submit(poll.poll_id, owner="user:bob", name="bob", threshold=0.5, reason="few <misses>")
    AnswerBook(store.root).save("user:bob", "bob", "auc", "A ranking <script>alert(1)</script> measure")
    return store, dr


def test_the_report_has_the_students_runs_in_the_courses_order_and_their_answers(student):
    store, dr = student
    html = build_report(store, owner="user:bob", name="bob", chosen={dr.name: 0.61})
    sections = re.findall(r"<h2>(.*?)</h2>", html)
    assert sections == ["DR referral", "Lung 2D", "Lung 3D", "Your answers"], sections
    assert html.count("<h3>") == 1 + 1 + 2 + 2  # a run per h3, then the two answers
    assert "the threshold you chose: threshold 0.6100" in html  # the page's threshold, not Youden's
    assert "IoU of each of the" in html and "IoU of each axial slice" in html
    assert "your runs</figcaption>" in html  # the label-fraction experiment of bob's two 3D runs
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    assert "few &lt;misses&gt;" in html
    assert html.count('<img alt="" src="data:image/png;base64,') == 3  # the error overlays (one 2D, two 3D runs)
    others = [s.run_id for s in store.list()[0] if s.owner != "user:bob"]
    assert len(others) == 2 and not [run_id for run_id in others if run_id in html]  # eve's, and the published one


def test_the_command_line_writes_the_same_report(student, tmp_path):
    store, _ = student
    out = tmp_path / "bob.html"
    done = subprocess.run([sys.executable, "-m", "lib", "report", "--user", "bob", "--out", str(out), "--runs-dir",
                           str(store.root)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert out.read_text().startswith("<!DOCTYPE html>") and "wrote" in done.stdout
    folder = subprocess.run([sys.executable, "-m", "lib", "report", "--user", "bob", "--out", str(tmp_path),
                             "--runs-dir", str(store.root)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert folder.returncode == 2 and "is a folder" in folder.stderr


def test_counts_in_the_results_are_whole_numbers(student):
    """Issue 30: the report showed "n_train 240.0000"."""
    import json

    store, dr = student
    metrics = json.loads((dr / "metrics.json").read_text())
    (dr / "metrics.json").write_text(json.dumps({**metrics, "auc": 0.85123, "n_train": 240, "n_val": 80}))
    html = build_report(store, owner="user:bob", name="bob")
    assert "<th>n_train</th><td>240</td>" in html and "<th>n_val</th><td>80</td>" in html
    assert "<th>auc</th><td>0.8512</td>" in html and "240.0" not in html
