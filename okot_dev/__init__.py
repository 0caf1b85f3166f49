"""Development-only tools: the local stack behind ``make demo`` (dev server, worker,
mail catcher, VDAB simulator, demo caseload). Not installed in the production image.
"""
