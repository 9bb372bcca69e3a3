"""Workflows only the tests declare (``LOCAL_WORKFLOW_PACKAGES=workflows,tests.engine.workflows``)."""
