"""Who may read and who may edit the community's resources.

Reading: the resources are structure data; every staff member of the city reads all of them
(contacts included), and nothing of another city. Residents read only what is public, through
`selectors.public_*`.

地域づくり相談 and マッチング: every staff member of the city reads them and records their own
organization's; city editors edit all, others those their organization recorded. 来所者数: read
by the city's staff, written by whoever may edit the resource it counts.

担い手 (the roster of people) is personal data behind the one door: `CommunityWorker.objects`
opens only through `visible_to(user)` (the city's editors; nobody else, not even a count), and
every page reads it through `worker_get_for` / `workers_shown`, which write the access-log rows
(no person: the row names `resources.communityworker` and the ids shown, `via=role`). To anyone
else it does not exist (404), and it never reaches a public page or the API.

Editing: the 生活支援コーディネーター, managers and the city's administrators edit every resource
of their city; any other staff member edits only the resources of a provider that is their own
organization. Not allowed is the same 404 as not found.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet
from django.http import Http404

from tsunagu.access.models import AccessLog
from tsunagu.access.services import Shown, access_log_shown
from tsunagu.accounts.access import user_municipality
from tsunagu.accounts.models import User
from tsunagu.resources.models import (
    CITY_EDITOR_ROLES,
    Activity,
    AttendanceCount,
    CommunityConsultation,
    CommunityResource,
    CommunityWorker,
    Location,
    Matching,
    Provider,
    PublicInterestInitiative,
)

Action = AccessLog.Action
Channel = AccessLog.Channel
Via = AccessLog.Via


def _organization_id(user: User) -> int:
    if user.organization_id is None:
        raise Http404("所属のない利用者です")
    return user.organization_id


def edits_whole_city(user: User) -> bool:
    return user.has_role(*CITY_EDITOR_ROLES)


def may_edit_any(user: User) -> bool:
    """Whether the user may edit anything here (shows the buttons, opens the forms)."""
    return edits_whole_city(user) or providers_editable_by(user).exists()


def providers_editable_by(user: User) -> QuerySet[Provider]:
    providers = Provider.objects.filter(municipality=user_municipality(user))
    if edits_whole_city(user):
        return providers
    return providers.filter(organization_id=_organization_id(user))


def resources_readable_by(user: User) -> QuerySet[CommunityResource]:
    return CommunityResource.objects.filter(municipality=user_municipality(user))


def resources_editable_by(user: User) -> QuerySet[CommunityResource]:
    resources = resources_readable_by(user)
    if edits_whole_city(user):
        return resources
    return resources.filter(provider__organization_id=_organization_id(user))


def locations_editable_by(user: User) -> QuerySet[Location]:
    """City editors: every place of the city. Others: the places that no resource of another
    provider uses (their own, and new ones)."""
    locations = Location.objects.filter(municipality=user_municipality(user))
    if edits_whole_city(user):
        return locations
    if not providers_editable_by(user).exists():
        return locations.none()
    others = CommunityResource.objects.filter(
        ~Q(provider__organization_id=_organization_id(user))
    ).values("pk")
    return locations.exclude(resource_locations__resource__in=others)


def activities_editable_by(user: User) -> QuerySet[Activity]:
    activities = Activity.objects.filter(municipality=user_municipality(user))
    if edits_whole_city(user):
        return activities
    return activities.filter(organizer_id=_organization_id(user))


def resource_get_for(user: User, resource_id: int) -> CommunityResource:
    """A resource of the user's city, for reading; 404 otherwise."""
    resource = (
        resources_readable_by(user)
        .select_related("provider", "provider__organization")
        .filter(pk=resource_id)
        .first()
    )
    if resource is None:
        raise Http404("見つかりません")
    return resource


def resource_get_editable(user: User, resource_id: int) -> CommunityResource:
    """A resource the user may edit; the same 404 as a missing one otherwise."""
    resource = resources_editable_by(user).select_related("provider").filter(pk=resource_id).first()
    if resource is None:
        raise Http404("見つかりません")
    return resource


def community_consultations_editable_by(user: User) -> QuerySet[CommunityConsultation]:
    rows = CommunityConsultation.objects.filter(municipality=user_municipality(user))
    if edits_whole_city(user):
        return rows
    return rows.filter(organization_id=_organization_id(user))


def public_interest_initiatives_editable_by(user: User) -> QuerySet[PublicInterestInitiative]:
    rows = PublicInterestInitiative.objects.filter(municipality=user_municipality(user))
    if edits_whole_city(user):
        return rows
    return rows.filter(organization_id=_organization_id(user))


def matchings_editable_by(user: User) -> QuerySet[Matching]:
    rows = Matching.objects.filter(municipality=user_municipality(user))
    if edits_whole_city(user):
        return rows
    return rows.filter(organization_id=_organization_id(user))


def attendance_readable_by(user: User) -> QuerySet[AttendanceCount]:
    return AttendanceCount.objects.filter(resource__municipality=user_municipality(user))


def attendance_editable_by(user: User) -> QuerySet[AttendanceCount]:
    return attendance_readable_by(user).filter(resource__in=resources_editable_by(user))


def workers_guard(user: User) -> None:
    """The roster pages exist only for city editors (a 404 for anyone else)."""
    if not edits_whole_city(user):
        raise Http404("見つかりません")


def worker_get_for(
    *, user: User, worker_id: int, channel: Channel, action: Action = Action.VIEW
) -> CommunityWorker:
    """One 担い手 as this user may read it (a city editor, their city), logged; the same 404 as
    a missing one otherwise."""
    worker = (
        CommunityWorker.objects.visible_to(user)
        .select_related("area", "provider")
        .filter(pk=worker_id)
        .first()
    )
    if worker is None:
        raise Http404("見つかりません")
    access_log_shown(
        user=user, action=action, channel=channel, shown=[Shown(worker, None, Via.ROLE)]
    )
    return worker


def workers_shown(
    *,
    user: User,
    workers: Iterable[CommunityWorker],
    channel: Channel,
    action: Action = Action.LIST,
) -> list[CommunityWorker]:
    """The 担い手 a list or export shows, logged in one row naming every id shown (a roster
    row is about no resident, so it names no person)."""
    workers = list(workers)
    if workers:
        access_log_shown(
            user=user,
            action=action,
            channel=channel,
            shown=[Shown(w, None, Via.ROLE) for w in workers],
        )
    return workers
