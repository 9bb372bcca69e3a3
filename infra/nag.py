"""Acknowledging an AWS Solutions (cdk-nag) finding: always with the reason, next to the decision."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct

PLUGIN = "AwsSolutions"


def acknowledge(scope: IConstruct, rule: str, reason: str) -> None:
    """Accept ``rule``'s finding (``AwsSolutions-IAM5[...]``) on ``scope`` and the constructs under it."""
    Validations.of(scope).acknowledge(Acknowledgment(id=f"{PLUGIN}::{rule}", reason=reason))
