"""Reads of referrals: each organization's inbox and outbox."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from tsunagu.organizations.models import Organization
from tsunagu.referrals.models import Referral

OPEN = [Referral.Status.REQUESTED, Referral.Status.ACCEPTED]


def referral_box(*, organization: Organization, box: str, status: str = "") -> QuerySet[Referral]:
    """`in`: referrals to the organization; `out`: referrals it sent."""
    if box == "in":
        qs = Referral.objects.filter(to_organization=organization)
    elif box == "out":
        qs = Referral.objects.filter(from_organization=organization)
    else:
        raise ValueError(box)
    if status:
        qs = qs.filter(status=status)
    return qs.select_related(
        "from_organization", "to_organization", "person", "consultation", "created_by"
    ).order_by("-created_at", "-pk")


def referral_action_needed(*, organization: Organization) -> int:
    """Referrals waiting for the organization's answer (the inbox badge)."""
    return Referral.objects.filter(
        to_organization=organization, status=Referral.Status.REQUESTED
    ).count()


def referral_overdue(*, organization: Organization) -> QuerySet[Referral]:
    """Unanswered referrals past their due date, on either side."""
    return Referral.objects.filter(
        Q(to_organization=organization) | Q(from_organization=organization),
        status=Referral.Status.REQUESTED,
        due_date__lt=timezone.localdate(),
    ).select_related("from_organization", "to_organization")


def referral_for(*, organization: Organization, referral_id: int) -> Referral:
    """A referral the organization sent or received; 404 for anyone else."""
    referral = (
        Referral.objects.filter(Q(to_organization=organization) | Q(from_organization=organization))
        .select_related(
            "from_organization",
            "to_organization",
            "person",
            "consultation",
            "consent",
            "meeting_body",
            "created_by",
        )
        .filter(pk=referral_id)
        .first()
    )
    if referral is None:
        raise Http404
    return referral


def is_overdue(referral: Referral) -> bool:
    return referral.status == Referral.Status.REQUESTED and referral.due_date < timezone.localdate()
