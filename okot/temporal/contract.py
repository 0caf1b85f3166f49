"""The names a client and the ``OkotTrajectory`` workflow share.

The workflow is defined under these names in :mod:`workflows.trajectory`; the
library starts, queries and updates it by name, so nothing in ``okot/``
imports the workflow code.
"""

from __future__ import annotations

from okot.domain.values import Model, Stage

WORKFLOW_TYPE = "OkotTrajectory"
"""The workflow type, as registered by the worker and shown in the Web UI."""

STATUS_QUERY = "status"
TIMELINE_QUERY = "timeline"


class MessageAck(Model):
    """What an accepted Update answers (runs since the ``lean-effects`` patch): the stage
    after it and the number of accepted events so far; the whole picture is the
    ``status`` query (:func:`okot.temporal.trajectories.send` asks it). Older runs
    answer with the whole status."""

    stage: Stage
    seq: int
