"""Why a student leaves the course with their work: the student's report, one self-contained HTML file with their
runs in the course's order and their answers.

``python -m lib report --user NAME --out FILE.html`` writes it, and the pages offer the same as a download. The file
needs nothing else: plotly's script is inlined once, every image is a data URI, every text the student or the
server wrote is escaped. Per task (in the registry's order, the course's): each finished run of the student's with
its settings, test results, diagnosis and curves, then the task's own figures (:attr:`lib.contract.Task.report_figures`:
DR's ROC with the chosen operating point, the IoU histogram and an error overlay for the lung tasks), then every
experiment the student's runs make (Lung 3D's test IoU against the label fraction); then their answers to the
course's questions and to the class's polls.
"""

from __future__ import annotations

import base64
import html
import io
import time
from collections.abc import Mapping

import numpy as np
import plotly.io as pio
from plotly.offline import get_plotlyjs
from PIL import Image

from lib import tasks
from lib.classroom.answers import AnswerBook
from lib.classroom.polls import PollStore
from lib.diagnosis import diagnose_run
from lib.figures.segmentation import sweep_figure
from lib.figures.training import history_figure
from lib.notice import QUESTIONS, question
from lib.jobs.folder.describe import metric_text, run_line
from lib.jobs.folder.store import Run, RunStore

_STYLE = """body{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;color:#262730}
h1{margin-bottom:0}h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 10px;text-align:left}
.muted{color:#666}.finding{background:#fff4e5;padding:.4em .8em;margin:.3em 0;border-radius:4px}
figure{margin:1em 0}figcaption{color:#444;font-size:.95em}img{max-width:100%}
.answer{background:#eef5ff;padding:.5em .8em;border-radius:4px;white-space:pre-wrap}"""


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def _image(array: np.ndarray) -> str:
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(array, dtype=np.uint8)).save(buffer, "PNG")
    return f'<img alt="" src="data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()}">'


def _figure(item) -> str:
    if isinstance(item, np.ndarray):
        return _image(item)
    return pio.to_html(item, full_html=False, include_plotlyjs=False, config={"displayModeBar": False})


def _run_section(run: Run, task, chosen: float | None) -> list[str]:
    out = [f"<h3>{_e(run_line(run.summary, task))}</h3>",
           f'<p class="muted">Run {_e(run.summary.run_id)} · {_e(run.summary.state)} · '
           f'{_e(time.strftime("%Y-%m-%d %H:%M", time.localtime(run.summary.created)))}</p>']
    rows = "".join(f"<tr><th>{_e(f.label)}</th><td>{_e(run.config.get(name))}</td></tr>"
                   for name, f in task.fields.items() if name in run.config)
    out.append(f"<details><summary>Settings</summary><table>{rows}</table></details>")
    metrics = "".join(f"<tr><th>{_e(k)}</th><td>{_e(metric_text(v, decimals=4))}</td></tr>" for k, v in run.metrics.items()
                      if isinstance(v, (int, float)))
    out.append(f"<table><tr><th colspan=2>Test results</th></tr>{metrics}</table>")
    for finding in diagnose_run(run, task):
        out.append(f'<div class="finding"><b>{_e(finding.title)}</b>: {_e(finding.text)}</div>')
    if not run.history.empty:
        out.append(f"<figure>{_figure(history_figure(run.history, metrics=task.metrics_shown))}"
                   "<figcaption>Training and validation, epoch by epoch</figcaption></figure>")
    if task.report_figures is not None:
        try:
            figures = task.report_figures(run.predictions(), run.config, chosen)
        except (ValueError, KeyError, OSError) as exc:
            figures = []
            out.append(f'<p class="muted">No test figures: {_e(exc)}</p>')
        for caption, figure in figures:
            out.append(f"<figure>{_figure(figure)}<figcaption>{_e(caption)}</figcaption></figure>")
    return out


def _experiments(runs: list[Run], task) -> list[str]:
    out = []
    for experiment in task.experiments:
        rows = [{"experiment": "your runs", "value": run.config[experiment.setting],
                 "metric": task.metric(run.metrics, experiment.metric)}
                for run in runs if experiment.setting in run.config
                and isinstance(task.metric(run.metrics, experiment.metric), (int, float))]
        if len({row["value"] for row in rows}) >= 2:
            out.append(f"<figure>{_figure(sweep_figure(rows, experiment))}"
                       f"<figcaption>{_e(experiment.title)}: your runs</figcaption></figure>")
    return out


def build_report(store: RunStore, *, owner: str, name: str, chosen: Mapping[str, float] | None = None) -> str:
    """The HTML of ``name``'s report (``owner``: what their run folders record); ``chosen``: run id -> the threshold
    they chose in the page (else their answer to a poll on the run, else the task's default)."""
    chosen = dict(chosen or {})
    polls = PollStore(store)
    poll_answers = []
    for poll in polls.polls()[0]:
        mine = polls.mine(poll.poll_id, owner)
        if mine is not None:
            poll_answers.append((poll, mine))
            chosen.setdefault(poll.run_id, mine.threshold)
    body = [f"<h1>{_e(name)}: deep learning in medical imaging</h1>",
            f'<p class="muted">Report written {_e(time.strftime("%Y-%m-%d %H:%M"))}</p>']
    summaries, _ = store.list(viewer=owner)
    mine = [s for s in summaries if s.owner == owner and s.state in ("done", "stopped") and s.metrics]
    if not mine:
        body.append("<p>No finished run of yours yet.</p>")
    for task_name in tasks.names():
        task = tasks.get(task_name)
        runs = []
        for summary in sorted((s for s in mine if s.task == task_name), key=lambda s: s.created):
            try:
                runs.append(store.load(summary.run_id, viewer=owner))
            except ValueError:
                continue
        if not runs:
            continue
        body.append(f"<h2>{_e(task.title)}</h2>")
        for run in runs:
            body += _run_section(run, task, chosen.get(run.summary.run_id))
        body += _experiments(runs, task)
    answers = AnswerBook(store.root).mine(owner)
    body.append("<h2>Your answers</h2>")
    if not answers and not poll_answers:
        body.append("<p>No answer yet.</p>")
    for key in QUESTIONS:
        if key in answers:
            body.append(f"<h3>{_e(question(key)[0])}</h3><div class=\"answer\">{_e(answers[key])}</div>")
    for poll, answer in poll_answers:
        body.append(f"<h3>Class poll: {_e(poll.question)}</h3><div class=\"answer\">threshold {answer.threshold:.4f}: "
                    f"sensitivity {answer.sensitivity:.1%}, specificity {answer.specificity:.1%}, PPV "
                    f"{answer.ppv:.1%} at {poll.prevalence:.0%} prevalence. {_e(answer.reason)}</div>")
    script = f"<script>{get_plotlyjs()}</script>"
    return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{_e(name)}: report</title>"
            f"<style>{_STYLE}</style>{script}</head><body>{''.join(body)}</body></html>")
