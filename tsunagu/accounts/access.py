"""Who may see which city's structure.

The structure (organizations, programs, meeting bodies, targets) holds no personal data; any
signed-in staff member of a city may read all of it, and nothing of another city.
"""

from __future__ import annotations

from django.db import models
from django.http import Http404

from tsunagu.accounts.models import User
from tsunagu.organizations.models import Municipality, Organization


def user_municipality(user: User) -> Municipality:
    """The city a staff member works for; 404 for a user outside any organization."""
    organization = user.organization
    if organization is None:
        raise Http404("所属のない利用者です")
    return organization.municipality


def organizations_visible_to(user: User) -> models.QuerySet[Organization]:
    return Organization.objects.filter(municipality=user_municipality(user), is_active=True)
