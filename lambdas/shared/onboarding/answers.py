"""What a person's answer tells the onboarding's waits (``signals.resume``): what the workflow
reads once its wait ends. Shared by the API, which answers, and the tasks, which wait."""

from __future__ import annotations

from lambdas.shared.domain import ReviewDecision
from lambdas.shared.model import Model


class DuplicateReviewed(Model):
    """What a duplicate review answers the onboarding's wait with."""

    decision: ReviewDecision


class DocumentsReceived(Model):
    """What documents answer the onboarding's wait with: the evidence to check."""

    evidence_id: str
