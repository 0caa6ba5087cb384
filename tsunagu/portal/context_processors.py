from typing import Any

from django.http import HttpRequest

from tsunagu.referrals.selectors import referral_action_needed


def tsunagu(request: HttpRequest) -> dict[str, Any]:
    """The inbox badge: referrals waiting for this organization's answer."""
    user = getattr(request, "user", None)
    organization = getattr(user, "organization", None) if user and user.is_authenticated else None
    if organization is None:
        return {}
    return {"referrals_waiting": referral_action_needed(organization=organization)}
