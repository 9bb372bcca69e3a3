"""What a person's answer tells the onboarding's waits (``signals.resume``): what the workflow
reads once its wait ends. Shared by the API, which answers, and the tasks, which wait."""

from __future__ import annotations

from pydantic import BaseModel

from lambdas.shared.domain import ReviewDecision


class DuplicateReviewed(BaseModel):
    """What a duplicate review answers the onboarding's wait with."""

    decision: ReviewDecision


class DocumentsReceived(BaseModel):
    """What documents answer the onboarding's wait with: the evidence to check."""

    evidence_id: str
