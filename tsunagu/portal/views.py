from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from tsunagu.accounts.access import user_municipality
from tsunagu.accounts.http import AuthenticatedHttpRequest
from tsunagu.accounts.models import Role
from tsunagu.cityplan.models import ProgramOrganization
from tsunagu.cityplan.selectors import plan_year_targets
from tsunagu.core.fiscal import fiscal_year_of
from tsunagu.meetingrecords.selectors import work_actions_section
from tsunagu.meetings.models import MeetingBody
from tsunagu.portal.models import HomeVisit
from tsunagu.referrals.selectors import referral_news_for_sender


@require_GET
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A home page per role: what this person's work starts from."""
    user = request.user
    municipality = user_municipality(user)
    roles = user.active_roles()
    fiscal_year = fiscal_year_of(
        timezone.localdate(), start_month=municipality.fiscal_year_start_month
    )
    context: dict[str, object] = {
        "municipality": municipality,
        "roles": [r for r in Role if r.value in roles],
        "fiscal_year": fiscal_year,
        "carried": ProgramOrganization.objects.filter(organization=user.organization)
        .select_related("program")
        .order_by("program__clause"),
        "my_meetings": MeetingBody.objects.filter(
            memberships__organization=user.organization
        ).order_by("sort_order"),
        "show_meetings": bool(roles & {Role.COORDINATOR, Role.MANAGER}),
        "show_targets": bool(roles & {Role.MANAGER, Role.COORDINATOR}),
        "show_admin": Role.ADMIN in roles and user.is_staff,
    }
    if context["show_meetings"]:
        context["meeting_bodies"] = MeetingBody.objects.filter(municipality=municipality)
    if context["show_targets"]:
        context["targets"] = plan_year_targets(municipality=municipality, fiscal_year=fiscal_year)
    # the action items (宿題) meetings gave the user's organization, as on the cases work list
    context["meeting_actions"] = work_actions_section(user=user)
    visit = HomeVisit.objects.filter(user=user).first()
    context["news"] = referral_news_for_sender(user=user, since=visit.at if visit else None)
    HomeVisit.objects.update_or_create(user=user, defaults={"at": timezone.now()})
    return render(request, "portal/home.html", context)
