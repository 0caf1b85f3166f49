"""The names a client and the ``OkotTrajectory`` workflow share.

The workflow is defined under these names in :mod:`workflows.trajectory`; the
library starts, queries and updates it by name, so nothing in ``okot/``
imports the workflow code.
"""

from __future__ import annotations

WORKFLOW_TYPE = "OkotTrajectory"
"""The workflow type, as registered by the worker and shown in the Web UI."""

STATUS_QUERY = "status"
TIMELINE_QUERY = "timeline"
