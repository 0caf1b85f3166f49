"""The ``okot`` command line, one module per command group.
"""
