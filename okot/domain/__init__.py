"""The domain at the centre: wire values, messages, state, the reminder policy, the
Belgian working-day calendar and the pure rules of the journey. No I/O, no clock, no
Temporal and nothing else of the project.
"""
