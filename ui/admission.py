"""Why one student cannot take every training slot: the class's limits checked before a run is admitted."""

from __future__ import annotations

from lib import tasks
from lib.access.policy import check_limits
from lib.jobs.folder.protocol import ACTIVE_STATES
from ui.runs import run_store
from ui.session import class_settings, identity


def admit(configs: list[dict]) -> None:
    """Raise :class:`lib.access.policy.LimitError` when the class's limits do not let this user start ``configs``
    (runs of one task, whose declared bounds apply where the class file sets none)."""
    who = identity()
    runs, _ = run_store().list(viewer=who.owner)
    active = sum(1 for r in runs if r.owner == who.owner and r.state in ACTIVE_STATES)
    declared = {}
    if configs:
        declared = {name: spec.cap for name, spec in tasks.get(configs[0]["task"]).fields.items() if spec.cap}
    check_limits(class_settings(), who, configs, active=active, caps=declared)
