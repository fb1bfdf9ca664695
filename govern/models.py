"""Every table Govern owns, imported in one place for migrations and tests."""

from govern.access.models import BreakGlassGrant, PolicyLine, PolicyVersion
from govern.accounts.models import Account, AccountTransition
from govern.contact.models import Call, ComplaintCase, ContactBlock, ContactPermit, Line
from govern.creditors.models import Creditor, DeletionCertificate
from govern.db import Base
from govern.debtors.models import Debtor, DebtorLookup
from govern.deprovision.models import Departure
from govern.directory.models import Identity, IdentityChange
from govern.investigations.models import Investigation
from govern.notes.models import Note, Script
from govern.reviews.models import ReviewCampaign, ReviewItem, ReviewReminder
from govern.runs import Run
from govern.sessions.models import LoginCounter, LoginSession
from govern.training.models import (
    AgreementSignature,
    Attendance,
    ExamResult,
    FeedbackForm,
    HrCase,
    LeaveRequest,
    TrainingPlan,
)

__all__ = [
    "Account",
    "AccountTransition",
    "AgreementSignature",
    "Attendance",
    "Base",
    "BreakGlassGrant",
    "Call",
    "ComplaintCase",
    "ContactBlock",
    "ContactPermit",
    "Creditor",
    "Debtor",
    "DebtorLookup",
    "DeletionCertificate",
    "Departure",
    "ExamResult",
    "FeedbackForm",
    "HrCase",
    "Identity",
    "IdentityChange",
    "Investigation",
    "LeaveRequest",
    "Line",
    "LoginCounter",
    "LoginSession",
    "Note",
    "PolicyLine",
    "PolicyVersion",
    "ReviewCampaign",
    "ReviewItem",
    "ReviewReminder",
    "Run",
    "Script",
    "TrainingPlan",
]
