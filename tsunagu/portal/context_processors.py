from typing import Any

from django.http import HttpRequest

from tsunagu.evaluation.access import may_evaluate
from tsunagu.referrals.selectors import referral_action_needed


def tsunagu(request: HttpRequest) -> dict[str, Any]:
    """The inbox badge (referrals waiting for this organization's answer), and whether the
    menu offers 評価."""
    user = getattr(request, "user", None)
    organization = getattr(user, "organization", None) if user and user.is_authenticated else None
    if user is None or organization is None:
        return {}
    return {
        "referrals_waiting": referral_action_needed(organization=organization),
        "may_evaluate": may_evaluate(user),
    }
