"""Checks run against a stage from an operator's machine: what the AWS account needs before the first
deploy (``preflight``), and whether a deployed stage serves a client end to end (``smoke``).

Nothing of the functions, the workflows, the CDK app or the local runtime imports this package.
"""
