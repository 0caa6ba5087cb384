"""Who may see the evaluation: the city's managers and administrators.

The actuals are counts over every organization's records; seeing them side by side with the
targets is the 推進会議's view of the city, so it is for the roles that run it. For other staff
the pages do not exist (404, as for every page only some staff may open: "not allowed" and
"not found" are the same answer); another city's figures are never reachable (everything is
read for the user's own city, and another city's indicator is the same 404). Records behind a
number are opened only through each app's one door.
"""

from __future__ import annotations

from django.http import Http404

from tsunagu.accounts.access import user_municipality
from tsunagu.accounts.models import Role, User
from tsunagu.organizations.models import Municipality

EVALUATION_ROLES = (Role.MANAGER, Role.ADMIN)


def may_evaluate(user: User) -> bool:
    return user.has_role(*EVALUATION_ROLES)


def evaluation_municipality(user: User) -> Municipality:
    """The user's city, when the user may see its evaluation; 404 otherwise."""
    municipality = user_municipality(user)
    if not may_evaluate(user):
        raise Http404("評価は管理者だけが見られます")
    return municipality
