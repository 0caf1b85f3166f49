"""Temporal workflows of okot-flow."""

from workflows.trajectory import OkotTrajectory

__all__ = ["OkotTrajectory"]
