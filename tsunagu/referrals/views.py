from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from tsunagu.access.models import AccessLog
from tsunagu.access.selectors import consultation_access, person_accesses, user_organization
from tsunagu.access.services import access_log, access_log_persons
from tsunagu.consent.models import Consent
from tsunagu.core.forms import add_service_errors
from tsunagu.core.http import AuthenticatedHttpRequest, id_param
from tsunagu.core.once import AlreadySubmitted, submit_once
from tsunagu.meetings.models import MeetingBody, MeetingBodyKind
from tsunagu.organizations.models import Organization
from tsunagu.referrals.forms import CancelForm, CompleteForm, DeclineForm, ReferralForm
from tsunagu.referrals.models import Referral
from tsunagu.referrals.selectors import (
    is_overdue,
    referral_box,
    referral_for,
    referral_overdue,
)
from tsunagu.referrals.services import (
    referral_accept,
    referral_cancel,
    referral_complete,
    referral_create,
    referral_decline,
)


def box(request: AuthenticatedHttpRequest) -> HttpResponse:
    """受信箱・送信箱 of referrals, with what waits for an answer and what is overdue."""
    organization = user_organization(request.user)
    which = request.GET.get("box", "in")
    if which not in ("in", "out"):
        which = "in"
    status = request.GET.get("status", "")
    if status not in Referral.Status.values:
        status = ""
    referrals = referral_box(organization=organization, box=which, status=status)
    page = Paginator(referrals, 50).get_page(request.GET.get("page"))
    persons = [r.person for r in page.object_list if r.person is not None]
    access_log_persons(
        user=request.user,
        action=AccessLog.Action.LIST,
        accesses=person_accesses(user=request.user, persons=persons).values(),
    )
    context = {
        "which": which,
        "status": status,
        "statuses": Referral.Status.choices,
        "rows": [(r, is_overdue(r)) for r in page.object_list],
        "page": page,
        "overdue": referral_overdue(organization=organization),
    }
    return render(request, "referrals/box.html", context)


@require_http_methods(["GET", "POST"])
def create(request: AuthenticatedHttpRequest) -> HttpResponse:
    consultation_id = id_param(request.GET.get("consultation") or request.POST.get("consultation"))
    access = consultation_access(user=request.user, consultation_id=consultation_id)
    if access.grant is not None:
        raise Http404  # only the window that took the consultation refers it on
    consultation = access.consultation
    organization = user_organization(request.user)
    today = timezone.localdate()
    consents = Consent.objects.none()
    if consultation.person is not None:
        consents = Consent.objects.filter(
            person=consultation.person,
            organization=organization,
            withdrawn_at__isnull=True,
            valid_from__lte=today,
        ).exclude(valid_until__lt=today)
    form = ReferralForm(
        request.POST or None,
        organizations=Organization.objects.filter(
            municipality=organization.municipality, is_active=True
        )
        .exclude(pk=organization.pk)
        .order_by("kind", "sort_order", "code"),
        consents=consents,
        meeting_bodies=MeetingBody.objects.filter(
            municipality=organization.municipality,
            kind=MeetingBodyKind.CONFIDENTIAL_SUPPORT_MEETING,
        ),
    )
    if request.method == "POST" and form.is_valid():
        try:
            referral = submit_once(
                form=form,
                write=lambda: referral_create(
                    user=request.user, consultation=consultation, data=form.to_data()
                ),
                url=lambda r: reverse("referrals:detail", kwargs={"referral_id": r.pk}),
            )
        except AlreadySubmitted as done:
            messages.info(request, done.message)
            return redirect(done.url or "referrals:box")
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{referral.to_organization.name}へつなぎました")
            return redirect("referrals:detail", referral_id=referral.pk)
    return render(request, "referrals/form.html", {"form": form, "consultation": consultation})


def detail(request: AuthenticatedHttpRequest, referral_id: int) -> HttpResponse:
    organization = user_organization(request.user)
    referral = referral_for(organization=organization, referral_id=referral_id)
    receiving = referral.to_organization_id == organization.pk
    shared = None
    if receiving:
        try:
            shared = consultation_access(
                user=request.user, consultation_id=referral.consultation_id
            ).consultation
        except Http404:
            shared = None  # content was not shared, or the grant has ended
    person_view = None
    if referral.person is not None:
        person_view = person_accesses(user=request.user, persons=[referral.person]).get(
            referral.person.pk
        )
        if person_view is not None:
            access_log(
                user=request.user,
                action=AccessLog.Action.VIEW,
                obj=referral,
                person=referral.person,
                via=person_view.via,
                grant=person_view.grant,
            )
    context = {
        "referral": referral,
        "receiving": receiving,
        "shared": shared,
        "person_view": person_view,
        "overdue": is_overdue(referral),
        "can_cancel": not receiving
        and referral.status in (Referral.Status.REQUESTED, Referral.Status.ACCEPTED),
        "events": referral.events.select_related("by"),
        "decline_form": DeclineForm(),
        "complete_form": CompleteForm(),
        "cancel_form": CancelForm(),
    }
    return render(request, "referrals/detail.html", context)


@require_POST
def act(request: AuthenticatedHttpRequest, referral_id: int, action: str) -> HttpResponse:
    """受理 / 辞退 / 対応完了 / 取消. The service decides who may do what."""
    organization = user_organization(request.user)
    referral = referral_for(organization=organization, referral_id=referral_id)
    try:
        if action == "accept":
            referral_accept(user=request.user, referral=referral)
        elif action == "decline":
            referral_decline(
                user=request.user, referral=referral, reason=request.POST.get("reason", "")
            )
        elif action == "complete":
            referral_complete(
                user=request.user, referral=referral, outcome=request.POST.get("outcome", "")
            )
        elif action == "cancel":
            referral_cancel(user=request.user, referral=referral, note=request.POST.get("note", ""))
        else:
            raise Http404
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"「{referral.get_status_display()}」にしました")
    return redirect("referrals:detail", referral_id=referral_id)
