from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Case, QuerySet, Value, When
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from tsunagu.access.models import AccessLog, Basis
from tsunagu.access.scoping import user_organization
from tsunagu.access.statutes import statutes_for
from tsunagu.accounts.http import AuthenticatedHttpRequest, id_param
from tsunagu.accounts.models import User
from tsunagu.accounts.selectors import organization_staff
from tsunagu.consent.models import Consent
from tsunagu.consent.selectors import consents_in_force
from tsunagu.consultations.access import consultation_get_for
from tsunagu.consultations.models import Consultation
from tsunagu.core.forms import add_service_errors
from tsunagu.core.once import AlreadySubmitted, submit_once
from tsunagu.core.sections import sections_for
from tsunagu.meetings.models import MeetingBody, MeetingBodyKind
from tsunagu.organizations.models import Organization
from tsunagu.organizations.selectors import referral_suggestions
from tsunagu.referrals.forms import CancelForm, CompleteForm, DeclineForm, ReferralForm
from tsunagu.referrals.models import Referral
from tsunagu.referrals.selectors import (
    OVERDUE,
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
    if status not in (*Referral.Status.values, OVERDUE):
        status = ""
    referrals = referral_box(user=request.user, box=which, status=status)
    page, views = referral_page_for(
        user=request.user,
        referrals=referrals,
        after=request.GET.get("after"),
        before=request.GET.get("before"),
    )
    context = {
        "which": which,
        "status": status,
        "statuses": [*Referral.Status.choices, (OVERDUE, "期限超過")],
        "rows": views,
        "page": page,
        "overdue": referral_overdue(user=request.user),
    }
    return render(request, "referrals/box.html", context)


@require_http_methods(["GET", "POST"])
def create(request: AuthenticatedHttpRequest) -> HttpResponse:
    consultation_id = id_param(request.GET.get("consultation") or request.POST.get("consultation"))
    # only the window that took the consultation refers it on
    access = consultation_get_for(
        user=request.user, consultation_id=consultation_id, channel=WEB, own=True
    )
    consultation = access.consultation
    organization = user_organization(request.user)
    consents: QuerySet[Consent] = Consent.objects.none()
    if consultation.person is not None:
        consents = consents_in_force(
            user=request.user, person=consultation.person, on=timezone.localdate()
        )
    chosen = request.GET.get("consent", "")  # back from recording a consent for this referral
    initial: dict[str, object] = {}
    if chosen and consents.filter(pk=id_param(chosen)).exists():
        initial = {"basis": Basis.CONSENT, "consent": int(chosen)}
    form = ReferralForm(
        request.POST or None,
        initial=initial,
        organizations=_targets(consultation, organization),
        consents=consents,
        statutes=statutes_for(municipality=organization.municipality),
        meeting_bodies=MeetingBody.objects.filter(
            municipality=organization.municipality,
            kind=MeetingBodyKind.CONFIDENTIAL_SUPPORT_MEETING,
            is_active=True,
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
    person = consultation.person
    context = {
        "form": form,
        "consultation": consultation,
        "can_record_consent": person is not None and person.organization_id == organization.pk,
    }
    return render(request, "referrals/form.html", context)


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
        "staff": organization_staff(organization=referral.to_organization)
        if receiving and referral.status == Referral.Status.REQUESTED
        else [],
        "complete_form": CompleteForm(),
        "cancel_form": CancelForm(),
        "sections": sections_for("referrals:detail", user=request.user, referral=referral),
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
            referral_accept(
                user=request.user, referral=referral, assignee=_assignee(request, referral)
            )
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


def _assignee(request: AuthenticatedHttpRequest, referral: Referral) -> User | None:
    """The staff member chosen to handle an accepted referral: one of the receiving window's
    own staff (anyone else is the same 404), or the one accepting when none is chosen."""
    chosen = request.POST.get("assignee", "")
    if not chosen:
        return None
    staff = organization_staff(organization=referral.to_organization)
    assignee = staff.filter(pk=id_param(chosen)).first()
    if assignee is None or referral.to_organization_id != request.user.organization_id:
        raise Http404
    return assignee


def _targets(consultation: Consultation, organization: Organization) -> QuerySet[Organization]:
    """Where this window may refer to: the centre whose 担当地区 covers the person's address
    first, then the agencies whose fields fit the topics, then everyone else."""
    person = consultation.person
    address = "" if person is None or person.address_protection_applies else person.address
    by_area, by_topic = referral_suggestions(
        municipality=organization.municipality,
        topics=[t.topic for t in consultation.topics.all()],
        address=address,
        exclude=organization.pk,
    )
    rank = Case(
        When(pk__in=[o.pk for o in by_area], then=Value(0)),
        When(pk__in=[o.pk for o in by_topic], then=Value(1)),
        default=Value(2),
    )
    return (
        Organization.objects.filter(municipality=organization.municipality, is_active=True)
        .exclude(pk=organization.pk)
        .order_by(rank, "kind", "sort_order", "code")
    )
