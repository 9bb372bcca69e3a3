"""The CDK app: one stack per stage, built from the workflow declarations."""
