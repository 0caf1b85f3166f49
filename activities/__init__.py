"""Temporal activities: thin adapters from the workflow to the outside world."""
