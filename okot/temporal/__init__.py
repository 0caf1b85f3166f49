"""Temporal from the client side: the connection, the search attributes, opening
and driving trajectories, and the texts the Web UI shows.
"""
