"""Programme monitoring: the results framework, reporting rounds and progress reports.

The blueprint is `tracker.monitoring.routes.bp`; the package itself imports nothing, so the
domain layer may use its models without loading the pages.
"""
