"""Keeping records for their period, and producing them on request.

- Retention: a person's records are kept for a period after the last activity on them
  (default 5 years, `TSUNAGU_RETENTION_YEARS`); then the identifying fields and the free text are
  erased (匿名化) while dates, topics and counts stay for the statistics the plans report. The
  change history of an erased record goes with it; the access log is kept, and records the
  erasure.
- Disclosure (開示請求): everything the holding organization has on one person record, in one
  export.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from tsunagu.access.chain import history_erase
from tsunagu.access.models import AccessLog
from tsunagu.access.selectors import person_access_log
from tsunagu.access.services import access_log_command
from tsunagu.accounts.models import User
from tsunagu.cases.models import (
    Assessment,
    Case,
    CaseClosure,
    CaseEvent,
    CaseMember,
    CaseRequest,
    CaseTeamMember,
    Monitoring,
    MonitoringResult,
    PlanAction,
    SupportPlan,
)
from tsunagu.cases.selectors import assessment_rows
from tsunagu.consent.models import Consent, ConsentAttachment
from tsunagu.consultations.models import Consultation
from tsunagu.core.history import changes
from tsunagu.people.access import PersonAccess
from tsunagu.people.models import HouseholdMember, Person, PersonKey
from tsunagu.referrals.models import Referral

ERASED = "（保存期間の経過により消去）"
ERASED_NAME = "匿名化済"
OPEN_REFERRAL = [Referral.Status.REQUESTED, Referral.Status.ACCEPTED]


def retention_cutoff(*, now: dt.datetime | None = None) -> dt.datetime:
    years: int = settings.RETENTION_YEARS
    now = now or timezone.now()
    return now - dt.timedelta(days=round(365.25 * years))


@dataclass(frozen=True)
class RetentionPlan:
    cutoff: dt.datetime
    persons: list[Person]
    anonymous_consultations: list[Consultation]
    # closed before the cutoff, not changed since, every member erased (now or before)
    cases: list[Case]


def retention_plan(*, city: str | None = None, now: dt.datetime | None = None) -> RetentionPlan:
    """What a retention run would erase: person records with no activity since the cutoff and
    no open referral, and anonymous consultations older than the cutoff."""
    cutoff = retention_cutoff(now=now)
    # unscoped: a server-side records-management run over every record; each erasure is logged
    persons = Person.dangerously_unscoped.filter(anonymised_at__isnull=True)
    if city:
        persons = persons.filter(organization__municipality__slug=city)
    persons = (
        persons.filter(updated_at__lt=cutoff)
        .annotate(
            last_consultation=Max("consultations__received_at"),
            last_consent=Max("consents__obtained_at"),
        )
        .filter(Q(last_consultation__isnull=True) | Q(last_consultation__lt=cutoff))
        .filter(Q(last_consent__isnull=True) | Q(last_consent__lt=cutoff))
    )
    # unscoped: as above; a referral still open keeps its person
    busy = Referral.dangerously_unscoped.filter(
        Q(status__in=OPEN_REFERRAL) | Q(updated_at__gte=cutoff)
    ).values("person_id")
    # unscoped: as above; a member of a case not yet closed (or changed since) keeps its person
    in_case = CaseMember.dangerously_unscoped.filter(
        Q(case__closed_on__isnull=True) | Q(case__updated_at__gte=cutoff)
    ).values("person_id")
    consultations = Consultation.dangerously_unscoped.filter(  # unscoped: as above
        person__isnull=True, received_at__lt=cutoff
    ).exclude(content=ERASED)
    if city:
        consultations = consultations.filter(organization__municipality__slug=city)
    erased: list[Person] = list(
        persons.exclude(pk__in=busy).exclude(pk__in=in_case).select_related("organization")
    )
    return RetentionPlan(
        cutoff=cutoff,
        persons=erased,
        anonymous_consultations=list(consultations.select_related("organization")),
        cases=_cases_to_erase(cutoff, [p.pk for p in erased], city),
    )


def _cases_to_erase(cutoff: dt.datetime, erased: list[int], city: str | None) -> list[Case]:
    # unscoped: as above; a case keeps its text while any member's record is kept
    kept = (
        CaseMember.dangerously_unscoped.filter(person__anonymised_at__isnull=True)
        .exclude(person_id__in=erased)
        .values("case_id")
    )
    cases = Case.dangerously_unscoped.filter(  # unscoped: as above
        closed_on__isnull=False, updated_at__lt=cutoff
    ).exclude(title=ERASED_NAME)
    if city:
        cases = cases.filter(organization__municipality__slug=city)
    return list(cases.exclude(pk__in=kept).select_related("organization"))


@dataclass(frozen=True)
class RetentionResult:
    persons: int
    consultations: int
    referrals: int
    consents: int
    cases: int
    scans: int


@transaction.atomic
def retention_run(*, plan: RetentionPlan, operator: str, user: User | None) -> RetentionResult:
    """Erase what the plan lists, log one row per person, and drop the erased records' change
    history. Idempotent: an erased record is not listed again."""
    now = timezone.now()
    ids = [p.pk for p in plan.persons]
    # unscoped (every read and write below): the records the plan listed, erased in place
    consultations = Consultation.dangerously_unscoped.filter(
        Q(person_id__in=ids) | Q(pk__in=[c.pk for c in plan.anonymous_consultations])
    )
    consultation_ids = list(consultations.values_list("pk", flat=True))
    erased_consultations = consultations.update(
        content=ERASED, requester_detail="", anonymous_label=ERASED_NAME, external_id=""
    )
    referrals = Referral.dangerously_unscoped.filter(person_id__in=ids)  # unscoped: as above
    erased_referrals = referrals.update(reason=ERASED)
    referrals.exclude(decline_reason="").update(decline_reason=ERASED)
    referrals.exclude(outcome="").update(outcome=ERASED)
    consents = Consent.dangerously_unscoped.filter(person_id__in=ids)  # unscoped: as above
    erased_consents = consents.update(purpose=ERASED, withdrawal_note="")
    erased_scans = ConsentAttachment.dangerously_unscoped.filter(  # unscoped: as above
        consent__person_id__in=ids, erased_at__isnull=True
    ).update(content=b"", original_name="", sha256="", erased_at=now)
    case_ids = [c.pk for c in plan.cases]
    _cases_erase(case_ids, person_ids=ids)
    PersonKey.dangerously_unscoped.filter(person_id__in=ids).delete()  # unscoped: as above
    HouseholdMember.dangerously_unscoped.filter(person_id__in=ids).delete()  # unscoped: as above
    Person.dangerously_unscoped.filter(pk__in=ids).update(  # unscoped: as above
        family_name=ERASED_NAME,
        given_name="",
        family_name_kana="",
        given_name_kana="",
        former_family_names=[],
        birth_date=None,
        postal_code="",
        address="",
        phone="",
        contact_note="",
        external_id="",
        address_protected=False,
        address_protection_until=None,
        anonymised_at=now,
    )
    # the old values must not survive in the change history
    # (each erased row is accounted for in the change history's hash chain first)
    # unscoped: erasing the erased records' history
    history_erase(Person.history.filter(id__in=ids))
    history_erase(Consultation.history.filter(id__in=consultation_ids))  # unscoped: as above
    history_erase(Consent.history.filter(person_id__in=ids))  # unscoped: as above
    history_erase(Case.history.filter(id__in=case_ids))  # unscoped: as above
    history_erase(SupportPlan.history.filter(case_id__in=case_ids))  # unscoped: as above
    history_erase(CaseTeamMember.history.filter(case_id__in=case_ids))  # unscoped: as above
    access_log_command(
        operator=operator, user=user, action=AccessLog.Action.ANONYMISE, persons=plan.persons
    )
    return RetentionResult(
        persons=len(ids),
        consultations=erased_consultations,
        referrals=erased_referrals,
        consents=erased_consents,
        cases=len(case_ids),
        scans=erased_scans,
    )


def _cases_erase(case_ids: list[int], *, person_ids: list[int]) -> None:
    """The text of the cases (the title, the timeline, the sheets, the plans, the monitoring and
    the evaluation) erased in place; the dates, kinds, statuses, checks and results stay for the
    counts, and so does the resource-gap register (the city's, not the person's)."""
    # unscoped (every write below): the cases the plan listed, erased in place
    Case.dangerously_unscoped.filter(pk__in=case_ids).update(title=ERASED_NAME)
    requests = CaseRequest.dangerously_unscoped.filter(
        Q(case_id__in=case_ids) | Q(referral__person_id__in=person_ids)
    )
    requests.update(note=ERASED)
    requests.exclude(answer="").update(answer=ERASED)
    # unscoped: as above
    CaseEvent.dangerously_unscoped.filter(case_id__in=case_ids).update(summary=ERASED)
    # unscoped: as above
    CaseTeamMember.dangerously_unscoped.filter(case_id__in=case_ids).exclude(role_note="").update(
        role_note=""
    )
    # unscoped: as above
    for a in Assessment.dangerously_unscoped.filter(case_id__in=case_ids):
        a.answers = {
            code: {**answer, "note": ""} if isinstance(answer, dict) else answer
            for code, answer in a.answers.items()
        }
        a.save(update_fields=["answers"])
    # unscoped: as above
    SupportPlan.dangerously_unscoped.filter(case_id__in=case_ids).update(
        wishes=ERASED, goals=ERASED, issues=ERASED
    )
    # unscoped: as above
    PlanAction.dangerously_unscoped.filter(plan__case_id__in=case_ids).update(description=ERASED)
    # unscoped: as above
    monitorings = Monitoring.dangerously_unscoped.filter(plan__case_id__in=case_ids)
    monitorings.exclude(summary="").update(summary=ERASED)
    # unscoped: as above
    MonitoringResult.dangerously_unscoped.filter(monitoring__plan__case_id__in=case_ids).update(
        note=""
    )
    # unscoped: as above
    closures = CaseClosure.dangerously_unscoped.filter(case_id__in=case_ids)
    closures.update(person_changes=ERASED)
    closures.exclude(why_not="").update(why_not=ERASED)
    closures.exclude(support_flow_lessons="").update(support_flow_lessons=ERASED)


def _fields(obj: Any, names: Sequence[str]) -> dict[str, object]:
    out: dict[str, object] = {}
    for name in names:
        value = getattr(obj, name)
        out[name] = value.isoformat() if isinstance(value, dt.date | dt.datetime) else value
    return out


PERSON_FIELDS = [
    "id",
    "family_name",
    "given_name",
    "family_name_kana",
    "given_name_kana",
    "former_family_names",
    "birth_date",
    "sex",
    "postal_code",
    "address",
    "phone",
    "contact_method",
    "contact_note",
    "address_protected",
    "address_protection_until",
    "created_at",
    "updated_at",
]


def disclosure_export(*, user: User, access: PersonAccess) -> dict[str, object]:
    """Everything the holding organization has on one person record (開示請求), as one document:
    the record, its household, consultations, consents, referrals, its change history and who
    read or changed it. Only for the holder; the caller logged the export."""
    person = access.person
    if not access.own:
        raise PermissionError("only the holding organization discloses a record")

    def history(entries: Any) -> list[dict[str, object]]:
        return [
            {
                "at": timezone.localtime(e.at).isoformat(),
                "user": (e.user.get_full_name() or e.user.username) if e.user else "",
                "channel": e.channel,
                "kind": e.kind,
                "changes": [
                    {"field": c.field, "old": str(c.old), "new": str(c.new)} for c in e.changes
                ],
            }
            for e in entries
        ]

    consultations = Consultation.objects.held_by(user).filter(person=person).order_by("pk")
    return {
        "person": {
            **_fields(person, PERSON_FIELDS),
            "organization": person.organization.name,
        },
        "household": [
            {"relationship": m.get_relationship_display(), "person_id": m.person_id}
            for m in HouseholdMember.objects.held_by(user).filter(household__members__person=person)
        ],
        "consultations": [
            {
                **_fields(
                    c,
                    ["id", "received_at", "channel", "requester", "main_topic", "content"],
                ),
                "response": c.get_response_display(),
                "topics": [t.get_topic_display() for t in c.topics.all()],
            }
            for c in consultations.prefetch_related("topics")
        ],
        "consents": [
            {
                **_fields(c, ["id", "method", "purpose", "valid_from", "valid_until"]),
                "withdrawn_at": c.withdrawn_at.isoformat() if c.withdrawn_at else None,
                "scope": [o.name for o in c.scope_organizations.all()],
                "scans": [
                    {
                        "id": a.pk,
                        "content_type": a.content_type,
                        "size": a.size,
                        "sha256": a.sha256,
                        "uploaded_at": a.uploaded_at.isoformat(),
                        "content_base64": base64.b64encode(bytes(a.content)).decode("ascii"),
                    }
                    for a in c.attachments.all()
                    if a.erased_at is None
                ],
            }
            for c in Consent.objects.held_by(user)
            .filter(person=person)
            .prefetch_related("scope_organizations", "attachments")
        ],
        "referrals": [
            {
                "id": r.pk,
                "to": r.to_organization.name,
                "from": r.from_organization.name,
                "basis": r.get_basis_display(),
                "status": r.get_status_display(),
                "reason": r.reason,
                "created_at": r.created_at.isoformat(),
            }
            for r in Referral.objects.visible_to(user)
            .filter(person=person)
            .select_related("to_organization", "from_organization")
        ],
        "cases": _cases_disclosed(user, person),
        # unscoped: the holder's own record's history (checked above)
        "change_history": history(changes(person.history)),
        "access_log": [
            {
                "at": timezone.localtime(e.at).isoformat(),
                "who": e.actor,
                "organization": e.organization.name if e.organization else "",
                "action": e.get_action_display(),
                "object": f"{e.object_type}#{e.object_id}",
                "basis": e.get_via_display(),
                "channel": e.get_channel_display(),
            }
            for e in person_access_log(person_id=person.pk)
        ],
    }


def _cases_disclosed(user: User, person: Person) -> list[dict[str, object]]:
    """The 多機関協働 cases the person is a member of, as far as the holder sees them: the case,
    its timeline, sheets, plans with their monitoring, and the evaluation."""
    out: list[dict[str, object]] = []
    cases = Case.objects.visible_to(user).filter(members__person=person).distinct().order_by("pk")
    for case in cases.select_related("organization"):
        plans = (
            SupportPlan.objects.visible_to(user)
            .filter(case=case)
            .prefetch_related("actions", "monitorings__results")
            .order_by("kind", "version")
        )
        closure = CaseClosure.objects.visible_to(user).filter(case=case).first()
        out.append(
            {
                **_fields(case, ["id", "title", "status", "opened_on", "closed_on", "issues"]),
                "organization": case.organization.name,
                "timeline": [
                    _fields(e, ["occurred_at", "kind", "summary"])
                    for e in CaseEvent.objects.visible_to(user).filter(case=case)
                ],
                "assessments": [
                    {
                        **_fields(a, ["version", "assessed_on", "urgency"]),
                        "items": [
                            {"item": r.label, "checks": r.checks, "note": r.note}
                            for r in assessment_rows(a)
                        ],
                    }
                    for a in Assessment.objects.visible_to(user)
                    .filter(case=case)
                    .order_by("version")
                ],
                "plans": [
                    {
                        **_fields(p, ["kind", "version", "status", "wishes", "goals", "issues"]),
                        "actions": [_fields(x, ["description", "due_on"]) for x in p.actions.all()],
                        "monitoring": [
                            {
                                **_fields(m, ["monitored_on", "summary"]),
                                "results": [
                                    {"result": r.get_result_display(), "note": r.note}
                                    for r in m.results.all()
                                ],
                            }
                            for m in p.monitorings.all()
                        ],
                    }
                    for p in plans
                ],
                "closure": _fields(
                    closure,
                    [
                        "closed_on",
                        "goals_met",
                        "person_changes",
                        "existing_services_sufficient",
                        "why_not",
                        "support_flow_lessons",
                    ],
                )
                if closure is not None
                else None,
            }
        )
    return out
