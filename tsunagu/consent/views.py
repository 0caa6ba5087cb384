from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_POST

from tsunagu.access.models import AccessLog
from tsunagu.access.scoping import user_organization
from tsunagu.accounts.http import AuthenticatedHttpRequest, id_param
from tsunagu.cityplan.selectors import programs_carried
from tsunagu.consent.forms import ConsentForm, ScanForm, WithdrawForm
from tsunagu.consent.models import Consent, ConsentAttachment
from tsunagu.consent.selectors import consent_scan_get_for, consent_scan_response
from tsunagu.consent.services import (
    consent_attach,
    consent_record,
    consent_update,
    consent_withdraw,
)
from tsunagu.core.forms import add_service_errors
from tsunagu.core.history import form_version
from tsunagu.core.once import AlreadySubmitted, submit_once
from tsunagu.organizations.models import Organization
from tsunagu.people.access import person_get_for


@require_http_methods(["GET", "POST"])
def create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Record a person's consent (scope, purpose, period), as on the 同意書."""
    person_id = id_param(request.GET.get("person") or request.POST.get("person"))
    # recorded from the referral form: go back to it with this consent chosen
    back_to = request.GET.get("consultation") or request.POST.get("consultation") or ""
    consultation_id = id_param(back_to) if back_to else None
    # consent is recorded by the organization holding the record
    access = person_get_for(
        user=request.user, person_id=person_id, channel=AccessLog.Channel.WEB, own=True
    )
    form = _form(request)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        back = reverse("people:detail", kwargs={"person_id": access.person.pk})

        def then(consent: Consent) -> str:
            if consultation_id is None:
                return back
            query = urlencode({"consultation": consultation_id, "consent": consent.pk})
            return f"{reverse('referrals:create')}?{query}"

        try:
            consent = submit_once(
                form=form,
                write=lambda: consent_record(
                    user=request.user,
                    person=access.person,
                    method=d["method"],
                    purpose=d["purpose"],
                    scope_organizations=list(d["scope_organizations"]),
                    valid_from=d["valid_from"],
                    valid_until=d["valid_until"],
                ),
                url=then,
            )
        except AlreadySubmitted as done:
            messages.info(request, done.message)
            return redirect(done.url or back)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "本人同意を記録しました")
            return redirect(then(consent))
    return render(
        request,
        "consent/form.html",
        {"form": form, "person": access.person, "consultation_id": consultation_id},
    )


def _form(request: AuthenticatedHttpRequest) -> ConsentForm:
    organization = user_organization(request.user)
    return ConsentForm(
        request.POST or None,
        organizations=Organization.objects.filter(
            municipality=organization.municipality, is_active=True
        )
        .exclude(pk=organization.pk)
        .order_by("kind", "sort_order", "code"),
        programs=programs_carried(municipality=organization.municipality),
    )


def _held(request: AuthenticatedHttpRequest, consent_id: int) -> Consent:
    consent = (
        Consent.objects.held_by(request.user).filter(pk=consent_id).select_related("person").first()
    )
    if consent is None:
        raise Http404
    return consent


@require_http_methods(["GET", "POST"])
def edit(request: AuthenticatedHttpRequest, consent_id: int) -> HttpResponse:
    """Correct a consent as on the 同意書 (the organization that obtained it); a form opened
    before someone else's save or a withdrawal is refused, naming what changed."""
    consent = _held(request, consent_id)
    person_get_for(
        user=request.user, person_id=consent.person_id, channel=AccessLog.Channel.WEB, own=True
    )
    form = _form(request)
    if not form.is_bound:
        form.initial.update(
            method=consent.method,
            purpose=consent.purpose,
            scope_organizations=list(consent.scope_organizations.all()),
            valid_from=consent.valid_from,
            valid_until=consent.valid_until,
        )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            consent_update(
                user=request.user,
                consent=consent,
                method=d["method"],
                purpose=d["purpose"],
                scope_organizations=list(d["scope_organizations"]),
                valid_from=d["valid_from"],
                valid_until=d["valid_until"],
                expected_version=form_version(request.POST),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "本人同意を変更しました")
            return redirect("people:detail", person_id=consent.person.pk)
    return render(
        request, "consent/form.html", {"form": form, "person": consent.person, "consent": consent}
    )


@require_POST
def withdraw(request: AuthenticatedHttpRequest, consent_id: int) -> HttpResponse:
    consent = _held(request, consent_id)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        messages.error(request, "撤回の記録を入力してください")
    else:
        try:
            consent_withdraw(user=request.user, consent=consent, note=form.cleaned_data["note"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request, "同意の撤回を記録しました。この同意による共有はすべて止まりました"
            )
    return redirect("people:detail", person_id=consent.person.pk)


@require_http_methods(["GET", "POST"])
def scan_add(request: AuthenticatedHttpRequest, consent_id: int) -> HttpResponse:
    """Keep the scanned, signed consent form (PDF or image) with a consent the user's
    organization obtained."""
    consent = (
        Consent.objects.held_by(request.user).filter(pk=consent_id).select_related("person").first()
    )
    if consent is None:
        raise Http404
    back = reverse("people:detail", kwargs={"person_id": consent.person.pk})
    form = ScanForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            submit_once(
                form=form,
                write=lambda: consent_attach(
                    user=request.user, consent=consent, upload=form.cleaned_data["file"]
                ),
                url=lambda _: back,
            )
        except AlreadySubmitted as done:
            messages.info(request, done.message)
            return redirect(done.url or back)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "同意書の写しを登録しました")
            return redirect(back)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "consent/scan_form.html", {"form": form, "consent": consent}, status=status
    )


def scan(request: AuthenticatedHttpRequest, attachment_id: int) -> HttpResponse:
    """The scanned consent form itself: access-checked and logged, never cached."""
    attachment: ConsentAttachment = consent_scan_get_for(
        user=request.user, attachment_id=attachment_id
    )
    return consent_scan_response(attachment)
