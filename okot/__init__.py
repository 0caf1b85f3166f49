"""okot-flow: OCMW clients' OKOT trajectories as durable Temporal workflows."""

__version__ = "0.4.0"
