"""The vocabulary of the programme, shared by the API, the tasks and the data layer."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

CONSENT_TEXT_VERSION = "2026-01"  # the consent wording the front desk reads out; bump it when it changes


class ClientStatus(StrEnum):
    PENDING = "pending"
    AWAITING_REVIEW = "awaiting_review"
    AWAITING_DOCUMENTS = "awaiting_documents"
    ACTIVE = "active"
    INELIGIBLE = "ineligible"
    INCOMPLETE = "incomplete"
    EXPIRED = "expired"
    MERGED = "merged"
    ERASED = "erased"


class DuplicateMatch(StrEnum):
    """Why an application looks like a client already known."""

    PHONE = "phone"
    EMAIL = "email"
    NAME_AND_BIRTH_DATE = "name_and_birth_date"
    SIMILAR_NAME_AND_BIRTH_DATE = "similar_name_and_birth_date"
    # one of the two birth dates is approximate: the same year is all that can be compared
    NAME_AND_BIRTH_YEAR = "name_and_birth_year"
    SIMILAR_NAME_AND_BIRTH_YEAR = "similar_name_and_birth_year"


class BirthDateQuality(StrEnum):
    """How much of the birth date is known: recorded as a value, never guessed."""

    EXACT = "exact"
    APPROXIMATE = "approximate"  # "about": the person is not sure
    YEAR_ONLY = "year_only"  # only the year means anything
    UNKNOWN = "unknown"  # the person does not know it
    PREFERS_NOT_TO_ANSWER = "prefers_not_to_answer"


KNOWN_BIRTH_DATE = (BirthDateQuality.EXACT, BirthDateQuality.APPROXIMATE, BirthDateQuality.YEAR_ONLY)


class HousingSituation(StrEnum):
    """Where the person can be written to, if anywhere."""

    FIXED_ADDRESS = "fixed_address"
    CARE_OF = "care_of"  # a postal address at a charity or social service ("domiciliation")
    NO_FIXED_ADDRESS = "no_fixed_address"
    PREFERS_NOT_TO_ANSWER = "prefers_not_to_answer"


WITH_ADDRESS = (HousingSituation.FIXED_ADDRESS, HousingSituation.CARE_OF)
# A client's address and the housing situation it belongs to: copied and changed together
ADDRESS_COLUMNS = ("housing_situation", "address_care_of", "address_line1", "address_line2", "postal_code", "city")


class ReviewDecision(StrEnum):
    SAME_PERSON = "same-person"
    DIFFERENT_PERSON = "different-person"


class WaitingFor(StrEnum):
    DUPLICATE_REVIEW = "duplicate_review"
    DOCUMENTS = "documents"


# The client's status while its onboarding waits for each answer.
WAITING_STATUS = {
    WaitingFor.DUPLICATE_REVIEW: ClientStatus.AWAITING_REVIEW,
    WaitingFor.DOCUMENTS: ClientStatus.AWAITING_DOCUMENTS,
}

# How long the onboarding waits for each answer before it ends the application (the TimeoutSeconds
# of its Await states: a test holds the two equal), for the work lists' days left.
WAIT_LIMIT = {
    WaitingFor.DUPLICATE_REVIEW: timedelta(days=7),
    WaitingFor.DOCUMENTS: timedelta(days=30),
}


class ConsentPurpose(StrEnum):
    DATA_PROCESSING = "data_processing"
    SMS = "sms"


class EvidenceType(StrEnum):
    SOCIAL_BENEFIT_CERTIFICATE = "social_benefit_certificate"
    INCOME_STATEMENT = "income_statement"
    REFERRAL_LETTER = "referral_letter"
    NONE_YET = "none_yet"


class EvidenceStatus(StrEnum):
    RECEIVED = "received"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    EXPIRED = "expired"


class TicketStatus(StrEnum):
    WAITING = "waiting"  # for its station's call
    CALLED = "called"  # to a counter, the grace period running
    SERVING = "serving"
    COMPLETED = "completed"
    NO_SHOW = "no_show"
    EXPIRED = "expired"  # still there when the site closed
    CANCELLED = "cancelled"  # the person left


class TicketPriority(StrEnum):
    """Why a ticket goes first (recorded with who set it and when)."""

    NONE = "none"
    DISABILITY = "disability"
    PREGNANCY = "pregnancy"
    ELDERLY = "elderly"
    CHILD = "child"
    MEDICAL = "medical"


class FrameKind(StrEnum):
    DONATED = "donated"
    NEW = "new"


class OrderStatus(StrEnum):
    """Where an order is; each waiting status is one wait of its workflow."""

    RECEIVED = "received"
    AWAITING_FRAME = "awaiting_frame"  # none of its SKU in stock: waits for a restock or another frame
    FRAME_RESERVED = "frame_reserved"
    AT_LAB = "at_lab"  # waits for the lab's result
    REMAKE = "remake"  # failed its quality check: goes back to the lab
    QUALITY_CHECK = "quality_check"  # the lab shipped it: waits for the check
    READY = "ready"  # waits for its pickup
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    LAB_REJECTED = "lab_rejected"
    QC_FAILED = "qc_failed"  # a third failed check: a manager decides
    UNCOLLECTED = "uncollected"


ORDER_ENDED = frozenset(
    {
        OrderStatus.DELIVERED,
        OrderStatus.CANCELLED,
        OrderStatus.LAB_REJECTED,
        OrderStatus.QC_FAILED,
        OrderStatus.UNCOLLECTED,
    }
)


class NotificationChannel(StrEnum):
    SMS = "sms"
    EMAIL = "email"


class NotificationStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


class SignalKind(StrEnum):
    START = "start"
    RESUME = "resume"
    HEARTBEAT = "heartbeat"
    FAIL = "fail"


class SignalStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    CLOSED = "closed"  # the wait was over when it came: the workflow's own step read the row
    FAILED = "failed"


class Language(StrEnum):
    FR = "fr"
    EN = "en"
    AR = "ar"
    ES = "es"
    PT = "pt"
    TR = "tr"
