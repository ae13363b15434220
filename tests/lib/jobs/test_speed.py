"""The expected duration before Start: earlier runs with the same settings, else a measured speed, else a scaled one.
Every figure here is computed by hand from the numbers the test writes."""

import json
import threading

import pytest

from lib import tasks
from lib.jobs.speed import MEASURED, estimate, measurement, read_measured, record

LUNG2D = tasks.get("lung2d")
DR = tasks.get("dr")


def _config(task="lung2d", **settings):
    return {**tasks.get(task).presets["quick"], "task": task, "data": "/data/lungs", "versions": {"backend": "jax"},
            **settings}


def _status(*, started=1000.0, ended=1100.0, training=60.0, first=12.0, steps=101, timed=40.0, epochs=4, items=None):
    status = {"state": "done", "host": "here", "started": started, "ended": ended, "epochs_trained": epochs,
              "timing": {"training": training, "training, of which": {"first step": first, "training steps": timed,
                                                                     "steps": steps}}}
    if items is not None:
        status["train_items"] = items
    return status


def test_a_finished_run_measures_its_step_its_epoch_and_its_fixed_time():
    m = measurement(_config(), _status(), LUNG2D)
    # 100 timed steps in 40 s: 0.4 s a step; 60 s of training = 12 s first step + 40 s steps + 4 epochs x 2 s;
    # 100 s in all = 40 s outside training + the first step's 11.6 s beyond an ordinary step
    assert m["step_s"] == pytest.approx(0.4) and m["per_epoch_s"] == pytest.approx(2.0)
    assert m["fixed_s"] == pytest.approx(51.6)
    assert measurement(_config(), _status(steps=1), LUNG2D) is None  # one step: nothing to time
    assert measurement(_config(), {"state": "done"}, LUNG2D) is None


def test_the_same_settings_go_by_earlier_runs_else_by_the_measured_speed():
    config = _config(epochs=30, steps_per_epoch=10, time_budget_s=0.0, seed=7)
    past = [(_config(epochs=30, steps_per_epoch=10, time_budget_s=0.0, seed=s), _status(ended=1000.0 + d))
            for s, d in ((1, 40.0), (2, 50.0), (3, 90.0))]
    said = estimate(config, LUNG2D, [], past, host="here")
    assert said.seconds == 50.0 and "the median of 3 earlier runs" in said.sentence()
    # a run that trained beside another took longer: it is not this run's time alone (the sharing is priced apart)
    beside = [(config, {**_status(ended=1200.0), "jobs_at_start": 2, "jobs_at_end": 2})] * 5
    assert estimate(config, LUNG2D, [], past + beside, host="here").seconds == 50.0

    measured = [measurement(_config(epochs=4, learning_rate=0.01), _status(), LUNG2D)]
    said = estimate(config, LUNG2D, measured, [], host="here")
    # 30 epochs x 10 batches x 0.4 s + 30 x 2 s + 51.6 s
    assert said.seconds == pytest.approx(300 * 0.4 + 60 + 51.6) and not said.rough
    assert "300 batches at 0.4 s" in said.sentence()


def test_other_model_settings_are_scaled_by_the_tasks_step_cost_and_called_rough():
    measured = [measurement(_config(filters=16), _status(), LUNG2D)]
    config = _config(filters=32, epochs=10, steps_per_epoch=10, time_budget_s=0.0)
    said = estimate(config, LUNG2D, measured, [], host="here")
    # four times the filters squared: 1.6 s a step
    assert said.seconds == pytest.approx(100 * 1.6 + 10 * 2.0 + 51.6) and said.rough
    assert said.sentence().startswith("Expected duration: roughly")
    capped = estimate({**config, "time_budget_s": 60.0}, LUNG2D, measured, [], host="here")
    assert capped.capped_s == 60.0 and "caps it at 1 min" in capped.sentence()


def test_one_pass_over_the_data_is_priced_from_a_run_on_the_same_data():
    quick = _config("dr", data="/data/eyepacs")  # 15 batches of 16 per epoch, 240 of the 300 training photos
    measured = [measurement(quick, _status(items=300), DR)]
    course = {**quick, "steps_per_epoch": 0, "epochs": 2, "batch_size": 16, "time_budget_s": 0.0}
    said = estimate(course, DR, measured, [], host="here")
    assert said.seconds == pytest.approx(2 * 19 * 0.4 + 2 * 2.0 + 51.6)  # ceil(300 / 16) = 19 batches an epoch
    bigger = estimate({**course, "n_per_class": 400}, DR, measured, [], host="here")
    assert "76 batches" in bigger.sentence() and bigger.rough  # twice the sample: ceil(600 / 16) = 38 an epoch
    elsewhere = estimate({**course, "data": "/other"}, DR, measured, [], host="here")
    assert elsewhere.seconds is None and "unknown" in elsewhere.sentence()


def test_measurements_are_kept_in_the_runs_folder_and_bad_lines_skipped(tmp_path):
    threads = [threading.Thread(target=record, args=(tmp_path, _config(seed=i), _status(), LUNG2D)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with open(tmp_path / MEASURED, "a") as f:
        f.write('{"step_s": -1, "per_epoch_s": 0, "fixed_s": 0, "cost": 1}\nnot json\n{"step_s": NaN}\n')
    found = read_measured(tmp_path)
    assert len(found) == 20 and all(m["step_s"] == pytest.approx(0.4) for m in found)
    assert (tmp_path / MEASURED).stat().st_mode & 0o777 == 0o600
    assert read_measured(tmp_path / "missing") == []
    assert json.loads((tmp_path / MEASURED).read_text().splitlines()[0])["task"] == "lung2d"


def test_how_many_trained_at_once_is_sampled_while_the_run_trains(tmp_path):
    """Two runs started together: the first saw itself alone at its start, the last alone at its end, so the counts at
    start and end made the overlap look half as long and the slow-down per extra job twice as large (bench/estimates.py:
    2.7x measured, 1.8x real). The sampler counts the slots held all along."""
    import time

    from lib.jobs import queue

    mine = queue.try_acquire(tmp_path, 2)
    sampler = queue.SharingSampler(tmp_path, 2, every_s=0.01)
    assert sampler.first == 1  # alone at the start
    beside = queue.try_acquire(tmp_path, 2)
    deadline = time.time() + 30
    while sampler.taken < 20 and time.time() < deadline:  # samples while the other job holds its slot
        time.sleep(0.01)
    beside.release()
    during = sampler.stop()
    assert sampler.last == 1  # the sample taken at the stop: alone again (the end count comes from it)
    mine.release()
    assert queue.busy_slots(tmp_path, 2) == 0
    assert 1.5 < during < 2.0  # at least 19 of the 21+ samples saw two jobs
    # the measurement goes by the samples, not by the counts at the start and the end
    status = {**_status(), "jobs_at_start": 1, "jobs_at_end": 1, "jobs_during": during}
    assert measurement(_config(), status, LUNG2D)["at_once"] == during
    assert measurement(_config(), {**_status(), "jobs_at_start": 1, "jobs_at_end": 2}, LUNG2D)["at_once"] == 1.5
