"""Grad-CAM from the page: a real (tiny) DR run, the heat map computed by `python -m lib gradcam` in a child process."""

import json
import subprocess
import sys

import numpy as np

from lib.jobs.folder.store import RunStore
from lib.jobs.job import run_job
from tests.lib.training.conftest import tiny_config
from tests.pages.conftest import ROOT, open_page


def test_the_page_shows_where_a_trained_model_looks(app_env, demo_root, tmp_path):
    store = RunStore(app_env / "runs")
    run_dir = store.create(tiny_config("dr", demo_root, epochs=1, image_size=32), owner="shared", label="tiny dr")
    assert run_job(run_dir, echo=lambda line: None, poll_s=0.05)["state"] == "done"
    photo = str(np.load(run_dir / "predictions.npz")["paths"][0])

    out = tmp_path / "cam.npz"
    done = subprocess.run([sys.executable, "-m", "lib", "gradcam", str(run_dir), photo, "--out", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1])["out"] == str(out)
    with np.load(out) as data:
        assert data["cam"].shape == (32, 32) and data["photo"].shape == (32, 32, 3) and 0 <= float(data["score"]) <= 1
    refused = subprocess.run([sys.executable, "-m", "lib", "gradcam", str(tmp_path), photo, "--out", str(out)], cwd=ROOT,
                             capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2 and "not a readable run folder" in refused.stderr

    at = open_page("pages/dr.py", timeout=300)
    assert any(s.value == "Where does the model look?" for s in at.subheader)
    at.button(key="dr_gradcam").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    captions = [shown.caption for img in at.get("image") for shown in img.proto.imgs]
    assert any(c.startswith("Grad-CAM (score") for c in captions) and "the photo as the model saw it" in captions, captions
