from lib import tasks
from lib.jobs.folder.describe import config_label, describe_failure, duration, metric_text, progress_line, run_label, run_line
from lib.jobs.folder.store import RunSummary


def test_duration():
    assert [duration(None), duration(45.4), duration(185), duration(3725)] == ["—", "45 s", "3 min 05 s", "1 h 02 min"]


def test_config_label_names_what_tells_runs_apart():
    config = {"task": "lung3d", "label_fraction": 0.05, "filters": 8, "learning_rate": 0.003, "epochs": 25, "seed": 1}
    assert config_label(config, tasks.get("lung3d")) == "5% labelled · filters 8 · lr 0.003 · 25 epochs"


def test_run_line_shows_the_headline_metric():
    summary = RunSummary("r", None, "dr", "done", "shared", 0.0, "small cnn", metrics={"auc": 0.8567})
    assert run_line(summary, tasks.get("dr")) == "small cnn · done · AUC 0.857 · "  # the metric as people name it


def test_a_stopped_runs_label_gives_the_epochs_it_trained():
    """Issue 30: a run stopped after 5 of its 20 epochs was listed as "... · 20 epochs"."""
    config = {"backbone": "small_cnn", "learning_rate": 0.001, "epochs": 20}
    label = config_label(config, tasks.get("dr"))
    assert label.endswith("lr 0.001 · 20 epochs")
    stopped = RunSummary("r", None, "dr", "stopped", "shared", 0.0, label, config=config, status={"epochs_trained": 5})
    assert run_label(stopped, tasks.get("dr")).endswith("lr 0.001 · 5 of 20 epochs")
    assert run_line(stopped, tasks.get("dr")).startswith(run_label(stopped, tasks.get("dr")) + " · stopped")
    done = RunSummary("r", None, "dr", "done", "shared", 0.0, label, config=config, status={"epochs_trained": 20})
    assert run_label(done, tasks.get("dr")) == label
    own = RunSummary("r", None, "dr", "stopped", "shared", 0.0, "my run", config=config, status={"epochs_trained": 5})
    assert run_label(own, tasks.get("dr")) == "my run"  # a label the student wrote is theirs


def test_integer_results_are_shown_as_integers():
    """Issue 30: "n_train 240.000 · n_val 80.000" in a caption, "240.0000" in the report."""
    assert [metric_text(240), metric_text(80, decimals=4), metric_text(0.85123), metric_text(0.85123, decimals=4)] == \
        ["240", "80", "0.851", "0.8512"]
    assert metric_text(2400) == "2,400" and metric_text(1.0) == "1.000" and metric_text(True) == "True"


def test_progress_line_for_each_stage():
    assert progress_line({"state": "queued"}, {})[1] == "Starting a worker process ..."
    assert "2 jobs ahead" in progress_line({"state": "queued", "pid": 1, "queue_position": 2}, {})[1]
    assert progress_line({"state": "queued", "pid": 1, "queue_position": 0}, {})[1].startswith(
        "First in the queue: waiting for a training slot to free up")
    assert progress_line({"state": "queued", "pid": 1}, {})[1] == "Taking its place in the queue ..."
    assert progress_line({"state": "queued", "pid": 1, "queue_position": 0, "slot": 1}, {})[1] == \
        "Got a training slot: starting ..."
    assert progress_line({"state": "queued", "pid": 1, "queue_position": 3, "queue_wait_s": 150}, {})[1] == \
        "Waiting in the queue: 3 jobs ahead of yours (about 2 min 30 s)"
    # on Ray a waiting run has no worker yet: Ray holds it back, and the executor writes its place
    assert "1 job ahead" in progress_line({"state": "queued", "executor": "ray", "queue_position": 1}, {})[1]
    assert progress_line({"state": "running"}, {"phase": "preprocessing photos", "fraction_in_phase": 0.5,
                                                "message": "20/40"}) == (0.5, "Preprocessing photos 20/40 ...")
    training = {"phase": "training", "epoch": 2, "epochs": 10, "step": 3, "steps": 9, "fraction": 0.25,
                "metrics": {"loss": 0.51234}, "images_per_s": 120.4, "learning_rate": 0.001, "eta_s": 75}
    fraction, text = progress_line({"state": "running"}, training)
    assert fraction == 0.25
    assert text == "Epoch 3/10 · batch 3/9 · loss 0.5123 · 120 images/s · lr 0.001 · ETA 1 min 15 s"
    assert progress_line({"state": "running", "stop_requested": True}, training)[1] == "Stopping after this batch ..."
    planned = progress_line({"state": "running"}, {**training, "epochs_set": 30})[1]
    assert planned.startswith("Epoch 3/10 (the time budget's plan; 30 set) · batch 3/9")
    assert progress_line({"state": "running"}, {**training, "epochs_set": 10})[1] == text
    why = "10 of the 30 set fit the 60 s budget at about 5.1 s an epoch"
    assert progress_line({"state": "running"}, {**training, "epochs_set": 30, "plan_why": why})[1].startswith(
        f"Epoch 3/10 ({why}) · batch 3/9")


def test_describe_failure_says_why_and_what_was_kept():
    lost = RunSummary("r", None, "dr", "failed", "a", 0.0, "x", error="the worker process ended",
                      status={"checkpoint_epoch": 4})
    assert describe_failure(lost) == ("the worker process ended. The best model it had (epoch 4) is kept as "
                                      "checkpoint.keras in its folder.")
    early = RunSummary("r", None, "dr", "stopped", "a", 0.0, "x", status={"stop_reason": "stopped on request"})
    assert describe_failure(early) == "stopped before it finished an epoch (stopped on request)"
