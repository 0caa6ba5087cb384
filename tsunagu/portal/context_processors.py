from typing import Any

from django.http import HttpRequest

from tsunagu.cases.selectors import case_requests_waiting
from tsunagu.referrals.selectors import referral_action_needed


def tsunagu(request: HttpRequest) -> dict[str, Any]:
    """The inbox badges: referrals and 多機関協働 requests waiting for this organization's
    answer (numbers only)."""
    user = getattr(request, "user", None)
    organization = getattr(user, "organization", None) if user and user.is_authenticated else None
    if organization is None:
        return {}
    return {
        "referrals_waiting": referral_action_needed(organization=organization),
        "case_requests_waiting": case_requests_waiting(organization=organization),
    }
