"""Scoping by construction: the one door to personal data.

Every model that holds personal data declares

    objects = ScopedManager(<Its>QuerySet)         # only `.visible_to(user)` opens it
    dangerously_unscoped = UnscopedManager()        # services and selectors only, with a reason

and its queryset says, in `visibility(organization)`, which rows an organization may see. Any
other use of `objects` (`Person.objects.filter(...)`, `.all()`, `.get()`) raises
`UnscopedAccess`, so a page that forgets to scope fails in its first test instead of leaking.
`tests/test_architecture.py` fails CI when a view, API, form or command module names the
unscoped manager at all, and when a service or selector does without a `# unscoped:` reason.

The rule itself (see DOMAIN.md): an organization sees a record because it recorded it, or because
a live `AccessGrant` names it. Nothing else opens a record.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Self

from django.db import models
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from tsunagu.access.models import AccessGrant
from tsunagu.accounts.models import User
from tsunagu.organizations.models import Organization


class UnscopedAccess(RuntimeError):
    """Personal data was asked for without saying for whom."""


def user_organization(user: User) -> Organization:
    """The organization a staff member acts for; 404 for a user outside any organization."""
    organization = user.organization
    if organization is None:
        raise Http404("所属のない利用者です")
    return organization


def live_grants(
    *, organization: Organization, now: dt.datetime | None = None
) -> models.QuerySet[AccessGrant]:
    """Grants to `organization` in force now: started, not ended, not expired, consent not
    withdrawn."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    return AccessGrant.objects.filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=today),
        organization=organization,
        ended_at__isnull=True,
        valid_from__lte=now,
    ).exclude(consent__withdrawn_at__isnull=False)


class ScopedQuerySet[M: models.Model](models.QuerySet[M]):
    """A queryset of personal data that knows who may see which rows."""

    def visibility(self, organization: Organization) -> Q:
        """The rows `organization` may see. Each personal-data model's queryset says it; a
        queryset that does not is refused (default deny)."""
        raise TypeError(f"{type(self).__name__} must say which rows an organization may see")

    def holder_filter(self, organization: Organization) -> Q:
        """The rows `organization` holds itself (what it may change)."""
        return Q(organization=organization)

    def visibility_parts(self, organization: Organization) -> list[Q]:
        """`visibility` as disjoint parts whose union it is, each of which one index can serve
        (own rows; rows under a live grant that are not own). A long list in a fixed order pages
        each part by key and merges the pages (`core.paging.cursor_page`): the one OR across
        the grants makes a database read and sort every visible row for each page. Unless a
        queryset says otherwise, one part."""
        return [self.visibility(organization)]

    def visible_to(self, user: User) -> Self:
        """The rows this staff member's organization may see (own, or under a live grant)."""
        return self.filter(self.visibility(user_organization(user)))

    def visible_parts_to(self, user: User) -> list[Self]:
        """`visible_to(user)` as the disjoint parts of `visibility_parts`."""
        return [self.filter(q) for q in self.visibility_parts(user_organization(user))]

    def held_by(self, user: User) -> Self:
        """Only the rows the user's own organization recorded."""
        return self.filter(self.holder_filter(user_organization(user)))


class UnscopedManager[M: models.Model](models.Manager[M]):
    """`Model.dangerously_unscoped`: every row, for services and selectors that say why."""


class ScopedManager[M: models.Model](models.Manager[M]):
    """`Model.objects` of a personal-data model: opens only through `visible_to(user)` or
    `held_by(user)`; `objects.filter(...)` and every other read raise `UnscopedAccess`."""

    def __init__(self, queryset_class: type[ScopedQuerySet[M]]) -> None:
        super().__init__()
        self.scoped_queryset_class = queryset_class

    def get_queryset(self) -> models.QuerySet[M]:
        name = self.model.__name__
        raise UnscopedAccess(
            f"{name}.objects は {name}.objects.visible_to(user) から使ってください"
            f"（範囲を限らない読み出しは services/selectors の {name}.dangerously_unscoped だけ）"
        )

    def _scoped(self) -> ScopedQuerySet[M]:
        return self.scoped_queryset_class(model=self.model, using=self._db)

    def visible_to(self, user: User) -> ScopedQuerySet[M]:
        return self._scoped().visible_to(user)

    def visible_parts_to(self, user: User) -> list[ScopedQuerySet[M]]:
        return self._scoped().visible_parts_to(user)

    def held_by(self, user: User) -> ScopedQuerySet[M]:
        return self._scoped().held_by(user)

    def none(self) -> ScopedQuerySet[M]:
        """An empty queryset reveals nothing (a form field's initial choices)."""
        return self._scoped().none()

    # Writes reveal nothing: services create through `objects` too.
    def create(self, **kwargs: Any) -> M:
        return self._scoped().create(**kwargs)

    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> list[M]:
        return self._scoped().bulk_create(objs, *args, **kwargs)
