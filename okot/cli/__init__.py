"""The ``okot`` command line, one module per job; :mod:`okot.cli.app` assembles it.
"""
