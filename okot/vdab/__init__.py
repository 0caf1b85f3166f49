"""VDAB's jobseeker registration: the gateway the ``register_jobseeker`` activity calls.
"""
