from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from tsunagu.access.models import AccessLog
from tsunagu.access.scoping import user_organization
from tsunagu.access.statutes import statutes_for
from tsunagu.accounts.http import AuthenticatedHttpRequest
from tsunagu.consent.models import Consent
from tsunagu.consent.selectors import consents_in_force
from tsunagu.consultations.access import consultation_get_for
from tsunagu.core.forms import add_service_errors
from tsunagu.meetings.models import MeetingBody, MeetingBodyKind
from tsunagu.organizations.models import Organization
from tsunagu.referrals.forms import CancelForm, CompleteForm, DeclineForm, ReferralForm
from tsunagu.referrals.models import Referral
from tsunagu.referrals.selectors import (
    referral_box,
    referral_get_for,
    referral_overdue,
    referral_page_for,
)
from tsunagu.referrals.services import (
    referral_accept,
    referral_cancel,
    referral_complete,
    referral_create,
    referral_decline,
)

WEB = AccessLog.Channel.WEB


def box(request: AuthenticatedHttpRequest) -> HttpResponse:
    """受信箱・送信箱 of referrals, with what waits for an answer and what is overdue."""
    which = request.GET.get("box", "in")
    if which not in ("in", "out"):
        which = "in"
    status = request.GET.get("status", "")
    if status not in Referral.Status.values:
        status = ""
    referrals = referral_box(user=request.user, box=which, status=status)
    page, views = referral_page_for(
        user=request.user, referrals=referrals, page=request.GET.get("page")
    )
    context = {
        "which": which,
        "status": status,
        "statuses": Referral.Status.choices,
        "rows": [(v.referral, v.overdue) for v in views],
        "page": page,
        "overdue": referral_overdue(user=request.user),
    }
    return render(request, "referrals/box.html", context)


@require_http_methods(["GET", "POST"])
def create(request: AuthenticatedHttpRequest) -> HttpResponse:
    consultation_id = request.GET.get("consultation") or request.POST.get("consultation") or ""
    if not consultation_id.isdigit():
        raise Http404
    # only the window that took the consultation refers it on
    access = consultation_get_for(
        user=request.user, consultation_id=int(consultation_id), channel=WEB, own=True
    )
    consultation = access.consultation
    organization = user_organization(request.user)
    consents: QuerySet[Consent] = Consent.objects.none()
    if consultation.person is not None:
        consents = consents_in_force(
            user=request.user, person=consultation.person, on=timezone.localdate()
        )
    form = ReferralForm(
        request.POST or None,
        organizations=Organization.objects.filter(
            municipality=organization.municipality, is_active=True
        )
        .exclude(pk=organization.pk)
        .order_by("kind", "sort_order", "code"),
        consents=consents,
        statutes=statutes_for(municipality=organization.municipality),
        meeting_bodies=MeetingBody.objects.filter(
            municipality=organization.municipality,
            kind=MeetingBodyKind.CONFIDENTIAL_SUPPORT_MEETING,
        ),
    )
    if request.method == "POST" and form.is_valid():
        try:
            referral = referral_create(
                user=request.user, consultation=consultation, data=form.to_data()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{referral.to_organization.name}へつなぎました")
            return redirect("referrals:detail", referral_id=referral.pk)
    return render(request, "referrals/form.html", {"form": form, "consultation": consultation})


def detail(request: AuthenticatedHttpRequest, referral_id: int) -> HttpResponse:
    organization = user_organization(request.user)
    view = referral_get_for(user=request.user, referral_id=referral_id, channel=WEB)
    referral = view.referral
    receiving = referral.to_organization_id == organization.pk
    # the receiver sees the consultation's content only when the referral shared it, live
    shared = referral.consultation if receiving and view.content else None
    person_view = view.person
    context = {
        "referral": referral,
        "receiving": receiving,
        "shared": shared,
        "person_view": person_view,
        "overdue": view.overdue,
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
    referral = referral_get_for(
        user=request.user, referral_id=referral_id, channel=WEB, log=False
    ).referral
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
