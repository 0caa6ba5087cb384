"""Imports of persons and consultations from the agencies' own systems.

All or nothing: every row is checked first (file shape in `csvfile.scan`, then the fields through
the people and consultations services' own validators); only when no row failed is every row
written, in one transaction, through `person_create` / `person_update` / `consultation_create`,
each imported record also logged with the action `import`. Any failure while writing rolls
everything back.

A re-run of the same file does not duplicate anything: a person whose (organization,
external_id) exists is updated (only in the columns the file has, so what the agency's system
does not know, such as 住所秘匿, is kept), and a consultation already imported is skipped.

The command line calls `import_run`. The web starts an `ImportJob` (`import_job_start`) and
advances it with `import_job_step`, which checks the next chunk of rows per call and, once all
are checked without error, calls `import_run`: it checks every row again inside the write
transaction, so nothing that changed in between slips through.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import multiprocessing
import re
import unicodedata
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import cast
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, connections, models, transaction
from django.tasks import task
from django.utils import timezone

from tsunagu.access.models import AccessLog
from tsunagu.access.scoping import user_organization
from tsunagu.access.services import Shown, access_log, access_log_at_end, access_log_shown
from tsunagu.accounts.models import User
from tsunagu.consultations.models import Channel, Consultation, Requester, Response, Topic
from tsunagu.consultations.services import (
    ConsultationData,
    NewConsultation,
    consultation_create_many,
    consultation_data_validate,
)
from tsunagu.core.fiscal import parse_wareki_date
from tsunagu.core.lost_tasks import task_recovery
from tsunagu.core.tasks import task_enqueue
from tsunagu.core.text import nfkc
from tsunagu.core.validation import ItemInvalid, too_long
from tsunagu.imports.csvfile import (
    MAX_ERRORS,
    Header,
    ImportFileError,
    Position,
    Record,
    RecordReader,
    RowError,
    clean_id,
    decode,
    header_read,
    scan,
)
from tsunagu.imports.models import ImportJob, ImportKind
from tsunagu.organizations.models import Organization
from tsunagu.people import matching
from tsunagu.people.models import Person, PersonLink, Sex
from tsunagu.people.selectors import key_candidates
from tsunagu.people.services import (
    PersonData,
    person_create_many,
    person_data_validate,
    person_link,
    person_update,
)

TOKYO = ZoneInfo("Asia/Tokyo")
CHUNK_ROWS = 500

_DATETIME = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?")
_SEXES = {
    **{code: code for code in Sex.values},
    **{str(label): code for code, label in Sex.choices},
    "女": Sex.FEMALE,
    "男": Sex.MALE,
}
_BOOLEANS = {
    "1": True,
    "true": True,
    "新規": True,
    "0": False,
    "false": False,
    "継続": False,
}
_CHOICE_CLASSES: dict[str, type[models.TextChoices]] = {
    "channel": Channel,
    "requester": Requester,
    "response": Response,
    "main_topic": Topic,
    "topics": Topic,
}
_TOPIC_SEPARATORS = re.compile(r"[;；、,，]")


def _spellings(choices: type[models.TextChoices]) -> dict[str, str]:
    """Each code and each label of a choice, folded as `_code` folds what a file gives."""
    spelled: dict[str, str] = {}
    for code, label in choices.choices:
        spelled.setdefault(str(code).lower(), str(code))
        spelled.setdefault(unicodedata.normalize("NFKC", str(label)).lower(), str(code))
    return spelled


# worked out once: Django works a choices class's codes out again on every use
_SPELLINGS = {column: _spellings(choices) for column, choices in _CHOICE_CLASSES.items()}


def _code(column: str, value: str) -> str:
    """The code of a choice given as its code (window) or as the label staff see on screen
    (窓口), however the agency's system wrote it (full-width, spaces, upper case). Anything
    else is passed on unchanged, for the service to refuse with the list of codes."""
    text = unicodedata.normalize("NFKC", value).strip()
    return _SPELLINGS[column].get(text.lower(), text)


_PERSON_TEXT = (
    "family_name",
    "given_name",
    "family_name_kana",
    "given_name_kana",
    "postal_code",
    "address",
    "phone",
)
# Placeholder for an unreadable 受付日時, so the other fields of the row are still checked.
_SOME_PAST_TIME = dt.datetime(2020, 1, 1, tzinfo=TOKYO)


@dataclass
class PersonPlan:
    line: int
    data: PersonData
    person: Person | None  # the existing record with this external_id (or the one linked to)
    changed: bool
    linked: bool = False  # the importer chose to link this row to an existing record
    # the row's facts, `matching.match_keys` and prepared record, worked out once for their
    # uses (same-file matching, known persons, the write): `_plan_keys`, `_plan_prepared`
    facts: matching.PersonFacts | None = None
    keys: frozenset[str] | None = None
    prepared: matching.Prepared | None = None


@dataclass(frozen=True)
class KnownPerson:
    """A row of a persons file that looks like a person the city already knows.

    `person_id` is set when the record is the importing organization's own and carries no
    other agency ID, so the row may be linked to it; a record of another organization is named
    only by its holder (as a city-wide search does), never shown."""

    line: int
    external_id: str
    row_name: str
    tier_label: str
    reasons: tuple[str, ...]
    organization: str
    person_id: int | None = None
    person_label: str = ""
    note: str = ""
    # an earlier row of the same file that looks like the same person (`same_file_persons_find`)
    first_line: int | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "line": self.line,
            "external_id": self.external_id,
            "row_name": self.row_name,
            "tier_label": self.tier_label,
            "reasons": list(self.reasons),
            "organization": self.organization,
            "person_id": self.person_id,
            "person_label": self.person_label,
            "note": self.note,
            "first_line": self.first_line,
        }

    def __str__(self) -> str:
        where = self.person_label or f"{self.organization}の記録"
        why = f"：{'・'.join(self.reasons)}" if self.reasons else ""
        note = f"（{self.note}）" if self.note else ""
        return f"行 {self.line}: {self.row_name} は {where} と{self.tier_label}{why}{note}"


@dataclass
class ConsultationPlan:
    line: int
    data: ConsultationData | None  # None: imported before, skipped
    person: Person | None


Plan = PersonPlan | ConsultationPlan


@dataclass
class ImportReport:
    kind: str
    total_rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    linked: int = 0
    same_person: int = 0  # rows registered as the same person as an earlier row (名寄せ)
    errors: list[RowError] = field(default_factory=list)  # at most MAX_ERRORS
    known: list[KnownPerson] = field(default_factory=list)

    @property
    def error_count(self) -> int:
        return len(self.errors)

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    @property
    def stopped(self) -> bool:
        return self.error_count >= MAX_ERRORS

    def summary(self) -> str:
        head = f"{ImportKind(self.kind).label} {self.total_rows:,} 行"
        if self.stopped:
            return (
                f"{head}: エラーが多いため {MAX_ERRORS:,} 件で確認を打ち切りました。"
                "何も登録していません"
            )
        if not self.ok:
            return f"{head}: エラーが {self.error_count:,} 件あったため、何も登録していません"
        if self.kind == ImportKind.PERSONS:
            linked = f"、既存の記録に結び付け {self.linked:,} 件" if self.linked else ""
            if self.same_person:
                linked += f"、前の行と同一人物として名寄せ {self.same_person:,} 件"
            known = f"（同一人物の可能性がある行 {len(self.known):,} 件）" if self.known else ""
            return (
                f"{head}: 新規 {self.created:,} 件、更新 {self.updated:,} 件、"
                f"変更なし {self.unchanged:,} 件{linked}{known}"
            )
        return f"{head}: 新規 {self.created:,} 件、取り込み済みのため省略 {self.skipped:,} 件"


def errors_sorted(errors: Iterable[RowError], columns: Sequence[str]) -> list[RowError]:
    """By line, then in the order of the file's columns (whole-row problems first)."""
    order = {c: i for i, c in enumerate(columns, start=1)}
    return sorted(errors, key=lambda e: (e.line, order.get(e.column, 0)))


def _max_length(model: type[models.Model], name: str) -> int:
    model_field = model._meta.get_field(name)
    if not isinstance(model_field, models.CharField) or model_field.max_length is None:
        raise TypeError(f"{model.__name__}.{name} is not a CharField with a max_length")
    return model_field.max_length


def _too_long(
    model: type[models.Model], values: dict[str, str], names: Iterable[str]
) -> dict[str, str]:
    out = {}
    for name in names:
        value = values.get(name, "")
        limit = _max_length(model, name)
        if len(value) > limit:
            out[name] = too_long(limit, len(value))
    return out


def _parse_date(value: str) -> dt.date:
    """Western or 和暦, as offices write them (2026/4/1, 昭和23年3月3日, S23.3.3, R8/4/1)."""
    return parse_wareki_date(value)


_TIME = re.compile(r"(.+?)[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?")


def _parse_datetime(value: str) -> dt.datetime:
    text = nfkc(value).strip()
    match = _DATETIME.fullmatch(text)
    try:
        if match is not None:
            year, month, day, hour, minute, second = (int(p) for p in match.groups("0"))
            return dt.datetime(year, month, day, hour, minute, second, tzinfo=TOKYO)
        wareki = _TIME.fullmatch(text)
        if wareki is not None and not wareki[1][:4].isdigit():
            on = parse_wareki_date(wareki[1])  # R8/4/1 9:30, 令和8年4月1日 9:30
            hour, minute, second = int(wareki[2]), int(wareki[3]), int(wareki[4] or 0)
            return dt.datetime.combine(on, dt.time(hour, minute, second), tzinfo=TOKYO)
        if "T" not in text and " " not in text:
            raise ValueError
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            "日時は 2026-04-01T09:30 か 2026/04/01 9:30 の形で入力してください"
            "（時刻も必要です。和暦なら R8/4/1 9:30）"
        ) from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=TOKYO)


def _messages(exc: ValidationError) -> dict[str, str]:
    """The first message per field of a service's ValidationError ("" for the whole record)."""
    if hasattr(exc, "error_dict"):
        return {
            ("" if key == "__all__" else key): msgs[0]
            for key, msgs in exc.message_dict.items()
            if msgs
        }
    return {"": "; ".join(exc.messages)}


def _person_data_of(person: Person) -> PersonData:
    values = {f.name: getattr(person, f.name) for f in dataclasses.fields(PersonData)}
    values["former_family_names"] = list(person.former_family_names)
    return PersonData(**values)


def _persons_check(
    organization: Organization,
    rows: list[tuple[int, dict[str, str]]],
    links: Mapping[int, int] | None = None,
) -> tuple[list[Plan], list[RowError]]:
    ids = {clean_id(values["external_id"]) for _, values in rows} - {""}
    existing = {
        p.external_id: p
        # unscoped: the importing organization's own records with these ids
        # (without the empty id: the unique index's own condition, which lets PostgreSQL use it
        # instead of reading every record of a large organization)
        for p in Person.dangerously_unscoped.filter(
            organization=organization, external_id__in=ids
        ).exclude(external_id="")
    }
    wanted = {line: pk for line, pk in (links or {}).items() if pk}
    link_targets = {
        p.pk: p
        # unscoped: the importing organization's own records the importer chose to link to
        for p in Person.dangerously_unscoped.filter(
            organization=organization, pk__in=set(wanted.values())
        )
    }
    plans: list[Plan] = []
    errors: list[RowError] = []
    for line, values in rows:
        problems: dict[str, str] = {}
        external_id = clean_id(values["external_id"])
        if not external_id:
            problems["external_id"] = "機関システムの ID を入力してください"
        person = existing.get(external_id)
        linked = False
        if person is None and line in wanted:
            person = link_targets.get(wanted[line])
            if person is None or person.external_id:
                problems[""] = (
                    "結び付け先に選んだ記録が見つからないか、別の ID が付きました。"
                    "もう一度取り込んで選び直してください"
                )
                person = None
            else:
                linked = True
        data = _person_data_of(person) if person is not None else PersonData()
        data.external_id = external_id
        for name in _PERSON_TEXT:
            if name in values:
                setattr(data, name, values[name])
        if "birth_date" in values:
            try:
                data.birth_date = (
                    _parse_date(values["birth_date"]) if values["birth_date"] else None
                )
            except ValueError as exc:
                problems["birth_date"] = str(exc)
        if "sex" in values:
            sex = _SEXES.get(values["sex"].lower() or Sex.UNKNOWN)
            if sex is None:
                problems["sex"] = (
                    "female / male / other / unknown か 女性 / 男性 で入力してください"
                )
            else:
                data.sex = sex
        try:
            data = person_data_validate(data)
        except ValidationError as exc:
            for name, message in _messages(exc).items():
                problems.setdefault(name if name in values else "", message)
        if problems:
            errors.extend(RowError(line, name, message) for name, message in problems.items())
            continue
        changed = person is None or data != _person_data_of(person)
        plans.append(
            PersonPlan(line=line, data=data, person=person, changed=changed, linked=linked)
        )
    return plans, errors


def _row_name(data: PersonData) -> str:
    name = f"{data.family_name} {data.given_name}".strip()
    kana = f"{data.family_name_kana} {data.given_name_kana}".strip()
    return name or kana or data.external_id


def _person_label(person: Person) -> str:
    born = (
        f"、{person.birth_date.year}年{person.birth_date.month}月{person.birth_date.day}日生"
        if person.birth_date
        else ""
    )
    return f"既存の記録「{person.full_name or '（氏名なし）'}」（番号 {person.pk}{born}）"


def _facts_of(data: PersonData) -> matching.PersonFacts:
    return matching.PersonFacts(
        family_name=data.family_name,
        given_name=data.given_name,
        family_name_kana=data.family_name_kana,
        given_name_kana=data.given_name_kana,
        birth_date=data.birth_date,
        phone=data.phone,
        postal_code=data.postal_code,
        address=data.address,
    )


def _plan_facts(plan: PersonPlan) -> matching.PersonFacts:
    if plan.facts is None:
        plan.facts = _facts_of(plan.data)
    return plan.facts


def _plan_keys(plan: PersonPlan) -> frozenset[str]:
    """The row's stored keys (`matching.match_keys`), worked out once."""
    if plan.keys is None:
        plan.keys = frozenset(matching.prepared_keys(_plan_prepared(plan)))
    return plan.keys


def _plan_prepared(plan: PersonPlan) -> matching.Prepared:
    if plan.prepared is None:
        plan.prepared = matching.prepare(_plan_facts(plan))
    return plan.prepared


def _pairing_keys(plan: PersonPlan) -> set[str]:
    """`matching.pairing_keys` of the row, from its keys worked out once."""
    return {k for k in _plan_keys(plan) if not k.startswith(matching.SEARCH_ONLY_PREFIXES)}


def same_file_persons_find(
    *, plans: Sequence[Plan], flagged: Collection[int] = ()
) -> list[KnownPerson]:
    """The new rows of a persons file that identity matching finds among the file's own
    earlier new rows (two agency IDs for one human): each is named with the earliest such row,
    so the importer can register it as the same person as that row (a 名寄せ link between the
    two new records) or as someone else. The `flagged` lines (like a record the city has) are
    left to that decision. Reads nothing from the database."""
    new = [p for p in plans if isinstance(p, PersonPlan) and p.person is None]
    earlier: dict[str, list[PersonPlan]] = {}
    found: list[KnownPerson] = []
    facts: dict[int, matching.PersonFacts] = {}
    # a row is prepared once, and only when it meets another (most rows share no pairing key
    # with an earlier one); a pair is scored without its reasons (`matching.review_score`),
    # the reasons worked out only for the row's best match
    for plan in new:
        facts[plan.line] = _plan_facts(plan)
        # the keys that pair records (a name alone pairs nothing: `matching.NAME_FACT_PREFIXES`)
        keys = _pairing_keys(plan)
        if plan.line not in flagged:
            best: tuple[float, int, PersonPlan] | None = None
            for other in {o.line: o for k in keys for o in earlier.get(k, [])}.values():
                score = matching.review_score(_plan_prepared(plan), _plan_prepared(other))
                if score is None:
                    continue
                rank = (score, -other.line, other)
                if best is None or rank[:2] > best[:2]:
                    best = rank
            if best is not None:
                first = best[2]
                match = matching.compare(facts[plan.line], facts[first.line])
                found.append(
                    KnownPerson(
                        line=plan.line,
                        external_id=plan.data.external_id,
                        row_name=_row_name(plan.data),
                        tier_label=match.tier_label,
                        reasons=match.reasons,
                        organization="",
                        person_label=(
                            f"このファイルの行 {first.line}「{_row_name(first.data)}」"
                            f"（ID {first.data.external_id}）"
                        ),
                        first_line=first.line,
                    )
                )
        for key in keys:
            earlier.setdefault(key, []).append(plan)
    return found


@dataclass
class KnownFound:
    """What `known_persons_match` found, before it is logged (`known_found_log`)."""

    known: list[KnownPerson] = field(default_factory=list)
    shown: list[Person] = field(default_factory=list)  # own records, named by label
    disclosed: list[Person] = field(default_factory=list)  # others', named by holder only


def known_persons_find(
    *, user: User, plans: Sequence[Plan], channel: AccessLog.Channel
) -> list[KnownPerson]:
    """The new rows of a persons file that identity matching (`people.matching`) finds among
    the city's records: the importing organization's own records by name (logged as search
    results), another organization's only by its holder's name, and only for a strong match
    (logged as a disclosure, as a city-wide search does)."""
    return known_found_log(
        user=user, found=known_persons_match(user=user, plans=plans), channel=channel
    )


def known_found_log(
    *, user: User, found: KnownFound, channel: AccessLog.Channel
) -> list[KnownPerson]:
    """Log what `known_persons_match` found as shown; returns the rows to report."""
    access_log_shown(
        user=user,
        action=AccessLog.Action.SEARCH,
        channel=channel,
        shown=[Shown(obj=p, person=p, via=AccessLog.Via.OWN) for p in found.shown],
    )
    access_log_shown(
        user=user,
        action=AccessLog.Action.DISCLOSED_AS_KNOWN,
        channel=channel,
        shown=[Shown(obj=p, person=p, via=AccessLog.Via.ROLE) for p in found.disclosed],
    )
    return found.known


def known_persons_match(*, user: User, plans: Sequence[Plan]) -> KnownFound:
    """`known_persons_find` without its logging: reads only (so it may run in a read-only
    transaction beside the import's write, `_known_beside_write`); the caller logs the result
    with `known_found_log` before anyone sees it."""
    organization = user_organization(user)
    new = [p for p in plans if isinstance(p, PersonPlan) and p.person is None]
    if not new:
        return KnownFound()
    facts = {plan.line: _plan_facts(plan) for plan in new}
    # the keys that pair records, as find-duplicates pairs them: a row meets the city's records
    # sharing its name and a second fact (birth year, or month and day) or a stronger
    # key, never every namesake of the city (`matching.NAME_FACT_PREFIXES`)
    keys = {plan.line: _pairing_keys(plan) for plan in new}
    # candidates are ranked on their facts read as values, each prepared once, a pair scored
    # without its reasons (`matching.review_score`); only the best match of a row is compared
    # in full and loaded as a record
    by_key, candidates = key_candidates(
        keys=set().union(*keys.values()), municipality_id=organization.municipality_id
    )
    # a pair whose birth dates alone cap it below review (most pairs of a common name and
    # birth year) is passed over before the record is prepared, as find-duplicates does
    marks = matching.PairingMarks()
    # each candidate's address and phone normalised once, for its marks and, if it is met,
    # its preparation
    contacts = {
        pk: marks.add(pk, f.family_name, f.given_name, f.birth_date, f.phone, f.address)
        for pk, (_, f) in candidates.items()
    }
    row_mark = max(candidates, default=0) + 1  # each row's marks, after every person's
    prepared: dict[int, matching.Prepared] = {}
    best_of: dict[int, tuple[bool, float, int]] = {}  # line: (own, score, person id)
    for plan in new:
        # removed since its keys were read: not among the candidates
        ids = set().union(*(by_key.get(k, ()) for k in keys[plan.line])) & candidates.keys()
        if not ids:
            continue
        f = facts[plan.line]
        marks.add(row_mark, f.family_name, f.given_name, f.birth_date, f.phone, f.address)
        best: tuple[bool, float, int] | None = None
        for pk in marks.uncapped(row_mark, sorted(ids)):
            holder, their_facts = candidates[pk]
            if pk not in prepared:
                prepared[pk] = matching.prepare(their_facts, contact=contacts[pk])
            # the row prepared once, when it first meets a candidate
            score = matching.review_score(_plan_prepared(plan), prepared[pk])
            own = holder == organization.pk
            threshold = matching.REVIEW_THRESHOLD if own else matching.DEFAULT_THRESHOLD
            if score is None or score < threshold:
                continue
            # the own organization's record first, then the stronger match
            if best is None or (own, score) > best[:2]:
                best = (own, score, pk)
        if best is not None:
            best_of[plan.line] = best
    # unscoped: as above; only the best match of each row, for its holder's name (and, for an
    # own record, its label)
    records = Person.dangerously_unscoped.select_related("organization").in_bulk(
        {pk for _, _, pk in best_of.values()}
    )
    found = KnownFound()
    for plan in new:
        person = records.get(best_of[plan.line][2]) if plan.line in best_of else None
        if person is None:
            continue
        match = matching.compare(facts[plan.line], candidates[person.pk][1])
        common = {
            "line": plan.line,
            "external_id": plan.data.external_id,
            "row_name": _row_name(plan.data),
            "tier_label": match.tier_label,
            "reasons": match.reasons,
            "organization": person.organization.name,
        }
        if person.organization_id == organization.pk:
            found.shown.append(person)
            note = (
                f"この記録には既に別の ID（{person.external_id}）が付いているため結び付けられません"
                if person.external_id
                else ""
            )
            found.known.append(
                KnownPerson(
                    **common,  # type: ignore[arg-type]
                    person_id=None if person.external_id else person.pk,
                    person_label=_person_label(person),
                    note=note,
                )
            )
        else:
            found.disclosed.append(person)
            found.known.append(KnownPerson(**common))  # type: ignore[arg-type]
    return found


def _consultations_check(
    organization: Organization, rows: list[tuple[int, dict[str, str]]]
) -> tuple[list[Plan], list[RowError]]:
    ids = {values["external_id"] for _, values in rows} - {""}
    imported = set(  # unscoped: the importing organization's own ids
        Consultation.dangerously_unscoped.filter(organization=organization, external_id__in=ids)
        .exclude(external_id="")  # the unique index's condition (as for persons)
        .values_list("external_id", flat=True)
    )
    person_ids = {clean_id(values.get("person_external_id", "")) for _, values in rows} - {""}
    persons = {
        p.external_id: p
        # unscoped: the importing organization's own records with these ids
        for p in Person.dangerously_unscoped.filter(
            organization=organization, external_id__in=person_ids
        ).exclude(external_id="")  # the unique index's condition (as above)
    }
    plans: list[Plan] = []
    errors: list[RowError] = []
    for line, values in rows:
        problems: dict[str, str] = {}
        external_id = values["external_id"]
        if not external_id:
            problems["external_id"] = "機関システムの ID を入力してください"
        elif external_id in imported:
            plans.append(ConsultationPlan(line=line, data=None, person=None))
            continue
        person_id = clean_id(values.get("person_external_id", ""))
        person = persons.get(person_id) if person_id else None
        if person_id and person is None:
            problems["person_external_id"] = (
                "この ID の本人は登録されていません（先に本人の CSV を取り込んでください）"
            )
        received_at = None
        try:
            received_at = _parse_datetime(values["received_at"])
        except ValueError as exc:
            problems["received_at"] = str(exc)
        is_new = _BOOLEANS.get(
            unicodedata.normalize("NFKC", values.get("is_new", "")).strip().lower() or "1"
        )
        if is_new is None:
            problems["is_new"] = "1 / 0、true / false か 新規 / 継続 で入力してください"
        data = ConsultationData(
            received_at=received_at or _SOME_PAST_TIME,
            channel=_code("channel", values["channel"]),
            requester=_code("requester", values["requester"]),
            requester_detail=values.get("requester_detail", ""),
            main_topic=_code("main_topic", values["main_topic"]),
            topics=[
                _code("topics", t)
                for t in _TOPIC_SEPARATORS.split(values.get("topics", ""))
                if t.strip()
            ],
            content=values["content"],
            response=_code("response", values["response"]),
            is_new=bool(is_new),
            anonymous_label=values.get("anonymous_label", ""),
            external_id=external_id,
        )
        try:
            data = consultation_data_validate(data, person=person)
        except ValidationError as exc:
            for name, message in _messages(exc).items():
                column, text = name, message
                if name == "topics" and data.main_topic not in Topic.values:
                    column = "main_topic"
                elif name == "person":
                    column = "person_external_id"
                elif name == "anonymous_label":
                    if person_id:
                        continue  # the unknown person is the problem, reported above
                    text = (
                        "person_external_id が空のときは anonymous_label"
                        "（匿名・未特定の呼び名）を入力してください"
                    )
                elif name == "received_at" and received_at is None:
                    continue
                if column in _CHOICE_CLASSES:
                    choices = _CHOICE_CLASSES[column].choices
                    text += f"（使える値: {'、'.join(f'{c}（{lbl}）' for c, lbl in choices)}）"
                problems.setdefault(column, text)
        lengths = _too_long(
            Consultation, values, ("external_id", "anonymous_label", "requester_detail")
        )
        for name, message in lengths.items():
            problems.setdefault(name, message)
        if problems:
            errors.extend(RowError(line, name, message) for name, message in problems.items())
            continue
        plans.append(ConsultationPlan(line=line, data=data, person=person))
    return plans, errors


def import_rows_check(
    *,
    organization: Organization,
    header: Header,
    items: Iterable[Record | RowError],
    links: Mapping[int, int] | None = None,
) -> tuple[list[Plan], list[RowError], int]:
    """Check the fields of some rows; returns what to write, the errors and the rows seen.

    Shape errors (column count, CSV syntax) are `csvfile.scan`'s to report; rows with them are
    passed over here.
    """
    rows: list[tuple[int, dict[str, str]]] = []
    seen = 0
    for item in items:
        if isinstance(item, RowError):
            continue
        seen += 1
        values = header.values(item)
        if not isinstance(values, RowError):
            rows.append((item.line, values))
    if header.kind == ImportKind.PERSONS:
        plans, errors = _persons_check(organization, rows, links)
    else:
        plans, errors = _consultations_check(organization, rows)
    return plans, errors, seen


class _WriteFailed(Exception):
    def __init__(self, error: RowError) -> None:
        super().__init__(str(error))
        self.error = error


@contextmanager
def _rows_written(lines: Sequence[int]) -> Iterator[None]:
    """Around one write of the rows on these CSV lines: a refusal becomes the row's error."""
    try:
        yield
    except ItemInvalid as exc:
        raise _write_failed(lines[exc.index], exc.error) from exc
    except ValidationError as exc:
        raise _write_failed(lines[0], exc) from exc
    except DatabaseError as exc:
        raise _WriteFailed(
            RowError(lines[0], "", f"登録中にデータベースのエラーが起きました（{exc}）")
        ) from exc


def _write_failed(line: int, exc: ValidationError) -> _WriteFailed:
    message = "; ".join(f"{k}: {v}" if k else v for k, v in _messages(exc).items())
    return _WriteFailed(RowError(line, "", f"登録できませんでした（{message}）"))


def _plans_write(
    *, user: User, plans: list[Plan], report: ImportReport, channel: AccessLog.Channel
) -> dict[int, Person]:
    """Write the checked rows: new records in batches, changed persons one by one. Returns the
    person record of each persons row, by line."""
    action = AccessLog.Action.IMPORT
    by_line: dict[int, Person] = {}
    new_persons: list[PersonPlan] = []
    new_consultations: list[tuple[int, NewConsultation]] = []  # (line, item)
    for plan in plans:
        if isinstance(plan, PersonPlan):
            if plan.person is not None:
                by_line[plan.line] = plan.person
            if not plan.changed and not plan.linked:
                report.unchanged += 1
            elif plan.person is None:
                new_persons.append(plan)
            else:
                with _rows_written([plan.line]):
                    person_update(
                        user=user,
                        person=plan.person,
                        data=plan.data,
                        channel=channel,
                        action=action,
                    )
                if plan.linked:
                    access_log(
                        user=user,
                        action=AccessLog.Action.LINK,
                        obj=plan.person,
                        person=plan.person,
                        via=AccessLog.Via.OWN,
                        channel=channel,
                    )
                    report.linked += 1
                else:
                    report.updated += 1
        elif plan.data is None:
            report.skipped += 1
        else:
            item = NewConsultation(person=plan.person, data=plan.data)
            new_consultations.append((plan.line, item))
    for persons in _batches(new_persons):
        with _rows_written([p.line for p in persons]):
            created = person_create_many(
                user=user,
                datas=[p.data for p in persons],
                channel=channel,
                action=action,
                known_keys={p.facts: p.keys for p in persons if p.facts and p.keys is not None},
            )
        by_line.update(zip((p.line for p in persons), created, strict=True))
        report.created += len(persons)
    for items in _batches(new_consultations):
        with _rows_written([line for line, _ in items]):
            consultation_create_many(
                user=user, items=[i for _, i in items], channel=channel, action=action
            )
        report.created += len(items)
    return by_line


def _same_file_link(
    *, user: User, persons: Mapping[int, Person], same_as: Mapping[int, int], report: ImportReport
) -> None:
    """Record the importer's decision that two rows of the file are one human: a 名寄せ link
    (`PersonLink`, 同一人物) between their records; each keeps its agency ID."""
    for line, first in sorted(same_as.items()):
        a, b = persons.get(first), persons.get(line)
        if a is None or b is None or a.pk == b.pk:
            raise _WriteFailed(
                RowError(line, "", f"行 {first} と同一人物として登録できませんでした")
            )
        try:
            person_link(
                user=user,
                a=a,
                b=b,
                kind=PersonLink.Kind.SAME_PERSON,
                note=f"取込で同一人物と判断（行 {first} と行 {line}）",
            )
        except ValidationError as exc:
            raise _write_failed(line, exc) from exc
        report.same_person += 1


WRITE_BATCH = 1000


def _batches[T](rows: list[T]) -> Iterator[list[T]]:
    for start in range(0, len(rows), WRITE_BATCH):
        yield rows[start : start + WRITE_BATCH]


def _chunk_read(reader: RecordReader) -> list[Record | RowError]:
    """The next `CHUNK_ROWS` rows (fewer at the end of the file)."""
    chunk: list[Record | RowError] = []
    for item in reader:
        chunk.append(item)
        if len(chunk) >= CHUNK_ROWS:
            break
    return chunk


def _chunks(text: str, header: Header) -> Iterator[list[Record | RowError]]:
    reader = RecordReader(text, header.end)
    while chunk := _chunk_read(reader):
        yield chunk


def import_run(
    *,
    user: User,
    kind: str,
    text: str,
    channel: AccessLog.Channel,
    links: Mapping[int, int] | None = None,
    same_as: Mapping[int, int] | None = None,
) -> ImportReport:
    """Check every row; write them all in one transaction only when none failed.

    `links` maps a CSV line to the importer's own record it is to be linked to (the web's
    confirmation step; 0: register anew); `same_as` maps a line to an earlier line of the file
    whose person it is (both registered, joined by a 名寄せ link). Without them (the command
    line) every new row is registered anew and the rows that look like a known person, or like
    an earlier row, are listed in `report.known`.

    Raises ImportFileError when the file as a whole is unusable (header, no rows).
    """
    organization = user_organization(user)
    shape = scan(text, kind)
    report = ImportReport(kind=kind, total_rows=shape.total_rows)
    errors = list(shape.errors)
    plans: list[Plan] = []
    for chunk in [] if shape.stopped else _chunks(text, shape.header):
        chunk_plans, chunk_errors, _ = import_rows_check(
            organization=organization, header=shape.header, items=chunk, links=links
        )
        plans.extend(chunk_plans)
        errors.extend(chunk_errors)
        if len(errors) >= MAX_ERRORS:
            break
    if not errors:
        # without the importer's decisions (the command line), the rows that look like a known
        # person or an earlier row are found while the rows are written, and reported
        finding = links is None and kind == ImportKind.PERSONS
        with _known_beside_write(user=user, plans=plans if finding else []) as known_rows:
            try:
                # the rows' access-log entries join the city's chain as the write ends: its
                # head is locked only from then until the commit, not while thousands of rows
                # are written
                with transaction.atomic(), access_log_at_end():
                    persons = _plans_write(user=user, plans=plans, report=report, channel=channel)
                    _same_file_link(
                        user=user, persons=persons, same_as=same_as or {}, report=report
                    )
                    known_rows.result()  # the rows are not written if they cannot be checked
            except _WriteFailed as exc:
                report = ImportReport(kind=kind, total_rows=shape.total_rows)
                errors = [exc.error]
        if finding:
            found, same = known_rows.result()
            known = known_found_log(user=user, found=found, channel=channel)
            report.known = sorted([*known, *same], key=lambda k: k.line)
    report.errors = errors_sorted(errors, shape.header.columns)[:MAX_ERRORS]
    return report


KnownRows = tuple[KnownFound, list[KnownPerson]]


def _known_rows_find(*, user: User, plans: Sequence[Plan]) -> KnownRows:
    """The new rows like a person the city knows (`known_persons_match`, not yet logged), and
    the rows like an earlier row of the file (`same_file_persons_find`)."""
    found = known_persons_match(user=user, plans=plans)
    same = same_file_persons_find(plans=plans, flagged={k.line for k in found.known})
    return found, same


class _KnownAnswer:
    """What `_known_rows_find` answered: at hand, or coming from the process that checks the
    rows beside the write (`result()` waits for it, then re-raises what failed there)."""

    def __init__(self, receiving: Connection | None = None, child: BaseProcess | None = None):
        self._receiving = receiving
        self._child = child
        self._outcome: tuple[str, object] | None = None

    @classmethod
    def at_hand(cls, rows: KnownRows) -> _KnownAnswer:
        answer = cls()
        answer._outcome = ("found", rows)
        return answer

    def _receive(self) -> tuple[str, object]:
        if self._receiving is None:
            raise RuntimeError("no process to receive from")
        try:
            kind, value = self._receiving.recv()
        except EOFError:
            kind, value = (
                "failed",
                RuntimeError(
                    "同一人物の可能性がある行の確認が途中で止まりました（確認するプロセスが終了しました）"
                ),
            )
        return str(kind), value

    def snapshot_taken(self) -> None:
        """Wait until the child has its snapshot of the city (or has failed before it)."""
        kind, value = self._receive()
        if kind != "snapshot":
            self._outcome = (kind, value)

    def result(self) -> KnownRows:
        while self._outcome is None:
            kind, value = self._receive()
            if kind != "snapshot":
                self._outcome = (kind, value)
        kind, value = self._outcome
        if kind == "failed":
            raise value if isinstance(value, BaseException) else RuntimeError(str(value))
        return cast(KnownRows, value)

    def close(self) -> None:
        if self._child is None:
            return
        if self._child.is_alive() and self._outcome is None:
            self._child.terminate()  # the write failed: its answer is not needed
        self._child.join()
        if self._receiving is not None:
            self._receiving.close()


def _known_in_child(sending: Connection, user: User, plans: Sequence[Plan]) -> None:
    """The forked process of `_known_beside_write`: its own connection, one read-only snapshot
    taken at once (reported through the pipe), then the answer or what failed."""
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                cursor.execute("SELECT 1")  # the snapshot: the city before the write
            sending.send(("snapshot", None))
            rows = _known_rows_find(user=user, plans=plans)
        sending.send(("found", rows))
    except BaseException as exc:  # every failure is the parent's to raise
        try:
            sending.send(("failed", exc))
        except Exception:  # an exception that cannot be pickled: its text
            sending.send(("failed", RuntimeError(f"{type(exc).__name__}: {exc}")))
    finally:
        connection.close()
        sending.close()


@contextmanager
def _known_beside_write(*, user: User, plans: Sequence[Plan]) -> Iterator[_KnownAnswer]:
    """`_known_rows_find` for the rows the block writes, its result ready after the block.

    On PostgreSQL, outside any caller's transaction (the command line), it runs in a process
    of its own (forked, so it has the checked rows without copying them), with its own
    connection, in a read-only REPEATABLE READ transaction whose snapshot is taken before the
    block starts: it sees the city as it was before the import (never the import's own rows,
    even once they are committed), and its Python runs on the second core while this one
    writes (a thread would share one interpreter lock with the write's Python). Elsewhere
    (SQLite, inside a caller's transaction such as the task worker's, whose rows another
    connection cannot see) it is found first. The rows' keys are worked out once, before
    either starts, for both."""
    for plan in plans:
        if isinstance(plan, PersonPlan) and plan.person is None:
            _plan_keys(plan)
    if not plans or connection.vendor != "postgresql" or connection.in_atomic_block:
        yield _KnownAnswer.at_hand(_known_rows_find(user=user, plans=plans))
        return
    fork = multiprocessing.get_context("fork")
    receiving, sending = fork.Pipe(duplex=False)
    connections.close_all()  # the child opens its own; a connection is never shared
    child = fork.Process(
        target=_known_in_child, args=(sending, user, plans), name="import-known", daemon=True
    )
    child.start()
    sending.close()
    answer = _KnownAnswer(receiving, child)
    try:
        answer.snapshot_taken()
        yield answer
    finally:
        answer.close()


def import_decode(*, data: bytes) -> tuple[str, str]:
    """(text, encoding shown to users); raises ImportFileError."""
    decoded = decode(data)
    return decoded.text, decoded.encoding


ABANDONED_AFTER = dt.timedelta(hours=24)


def import_jobs_purge_abandoned(*, now: dt.datetime | None = None) -> int:
    """Jobs left unfinished for a day are failed and their file text (personal data) dropped."""
    cutoff = (now or timezone.now()) - ABANDONED_AFTER
    return ImportJob.dangerously_unscoped.filter(  # unscoped: a sweep that only erases
        status__in=[ImportJob.Status.VALIDATING, ImportJob.Status.CONFIRMING],
        updated_at__lt=cutoff,
    ).update(status=ImportJob.Status.FAILED, text="", finished_at=now or timezone.now())


def import_job_start(*, user: User, kind: str, file_name: str, data: bytes) -> ImportJob:
    """Keep an uploaded file for checking; file-level problems raise ImportFileError."""
    if kind not in ImportKind.values:
        raise ImportFileError("取り込む種類が不正です")
    import_jobs_purge_abandoned()
    organization = user_organization(user)
    text, encoding = import_decode(data=data)
    shape = scan(text, kind)
    errors = errors_sorted(shape.errors, shape.header.columns)
    job = ImportJob(
        organization=organization,
        user=user,
        kind=kind,
        file_name="".join(c for c in file_name if c.isprintable())[-255:] or "（名前なし）",
        encoding=encoding,
        text=text,
        next_offset=shape.header.end.offset,
        next_line=shape.header.end.lines,
        total_rows=shape.total_rows,
        errors=[e.as_json() for e in errors],
        error_count=len(errors),
    )
    if shape.stopped:
        _job_finish(job, ImportJob.Status.FAILED)
    else:
        job.save()
    return job


def _job_finish(job: ImportJob, status: str) -> None:
    job.status = status
    job.text = ""  # personal data: not kept once it is in the records (or refused)
    job.finished_at = timezone.now()
    job.save()


def job_errors(job: ImportJob) -> list[RowError]:
    return [RowError(int(e["line"]), str(e["column"]), str(e["message"])) for e in job.errors]


def import_job_step(*, user: User, job: ImportJob) -> ImportJob:
    """Check the next chunk of rows; once all are checked, ask about the rows that look like a
    person the city already knows (status `confirming`), or start the write (or fail).

    Safe to call twice at once (a second browser tab): the job row is locked while it works.
    """
    with transaction.atomic():
        job = (
            ImportJob.objects.held_by(user)
            .select_for_update()
            .select_related("organization")
            .get(pk=job.pk)
        )
        if job.status != ImportJob.Status.VALIDATING:
            return job
        if job.organization_id != user_organization(user).pk:
            raise ValidationError("他の機関の取り込みは進められません")
        if job.processed_rows < job.total_rows:
            try:
                header = header_read(job.text, job.kind)
            except ImportFileError as exc:  # cannot happen for a started job, but never loop
                job.errors = [RowError(1, "", str(exc)).as_json()]
                job.error_count = 1
                _job_finish(job, ImportJob.Status.FAILED)
                return job
            reader = RecordReader(job.text, Position(job.next_offset, job.next_line))
            plans, errors, seen = import_rows_check(
                organization=job.organization, header=header, items=_chunk_read(reader)
            )
            job.next_offset, job.next_line = reader.position.offset, reader.position.lines
            job.processed_rows = (
                job.total_rows
                if reader.finished
                else min(job.total_rows, job.processed_rows + seen)
            )
            if errors:
                merged = job_errors(job) + errors
                kept = errors_sorted(merged, header.columns)[:MAX_ERRORS]
                job.errors = [e.as_json() for e in kept]
                job.error_count = len(kept)
            elif not job.error_count and job.kind == ImportKind.PERSONS:
                known = known_persons_find(user=user, plans=plans, channel=AccessLog.Channel.WEB)
                job.known = [*job.known, *(k.as_json() for k in known)]
            if job.error_count >= MAX_ERRORS:
                _job_finish(job, ImportJob.Status.FAILED)  # no point checking further
            else:
                job.save()
            return job
        if job.error_count:
            _job_finish(job, ImportJob.Status.FAILED)
            return job
        if job.kind == ImportKind.PERSONS:
            same = same_file_persons_find(
                plans=_job_plans(job), flagged={int(str(k["line"])) for k in job.known}
            )
            job.known = sorted(
                [*job.known, *(k.as_json() for k in same)], key=lambda k: int(str(k["line"]))
            )
        if job.known:
            job.status = ImportJob.Status.CONFIRMING
            job.save()
            return job
        job.status = ImportJob.Status.WRITING
        job.decided_at = timezone.now()
        job.save()
    import_job_write_start(job)
    job.refresh_from_db()
    return job


def _job_plans(job: ImportJob) -> list[Plan]:
    """Every row of a checked job, checked again (for what needs the whole file at once)."""
    header = header_read(job.text, job.kind)
    plans: list[Plan] = []
    for chunk in _chunks(job.text, header):
        plans.extend(
            import_rows_check(organization=job.organization, header=header, items=chunk)[0]
        )
    return plans


def import_job_confirm(*, user: User, job: ImportJob, decisions: Mapping[str, str]) -> ImportJob:
    """Record the importer's decision for each row that looks like a known person (the id of
    the own record to link it to, or "0" to register anew) or like an earlier row of the file
    ("same-<line>": the same person as that row, kept as minus the line; "0": someone else),
    then start the write.

    Every linkable row needs a decision; a value that is not one of the row's choices is
    refused (ValidationError) and nothing changes."""
    with transaction.atomic():
        job = ImportJob.objects.held_by(user).select_for_update().get(pk=job.pk)
        if job.status != ImportJob.Status.CONFIRMING:
            raise ValidationError(
                "この取り込みは確認待ちではありません（既に登録が始まっています）"
            )
        chosen: dict[str, int] = {}
        missing: list[str] = []
        for row in job.linkable:
            line = str(row["line"])
            value = (decisions.get(line) or "").strip()
            if row.get("first_line"):
                if value not in ("0", f"same-{row['first_line']}"):
                    missing.append(line)
                    continue
                chosen[line] = -int(str(row["first_line"])) if value != "0" else 0
                continue
            if value not in ("0", str(row["person_id"])):
                missing.append(line)
                continue
            chosen[line] = int(value)
        if missing:
            raise ValidationError(
                f"行 {'、'.join(missing)} について、既存の記録（または前の行）と同一人物として"
                "扱うか、別人として新規に登録するかを選んでください"
            )
        job.decisions = chosen
        job.decided_at = timezone.now()
        job.status = ImportJob.Status.WRITING
        job.save()
    import_job_write_start(job)
    job.refresh_from_db()
    return job


def import_job_cancel(*, user: User, job: ImportJob) -> ImportJob:
    """The importer stops at the confirmation step: nothing is written, the file is dropped."""
    with transaction.atomic():
        job = ImportJob.objects.held_by(user).select_for_update().get(pk=job.pk)
        if job.status != ImportJob.Status.CONFIRMING:
            raise ValidationError(
                "この取り込みは確認待ちではありません（既に登録が始まっています）"
            )
        job.errors = [RowError(1, "", "取り込みを取りやめました（何も登録していません）").as_json()]
        job.error_count = 1
        _job_finish(job, ImportJob.Status.FAILED)
    return job


def import_job_write_start(job: ImportJob) -> None:
    """Hand a decided job's write to a background task (called after the transaction that put
    the job in `writing` has committed); the page polls the job until it is done."""
    try:
        job.task_id = task_enqueue(import_job_write_task, job_id=job.pk)
    except Exception as exc:  # the queue refused: say so, nothing was written
        _job_fail_unwritten(job.pk, f"登録の処理を始められませんでした（{exc}）")
        return
    # unscoped: the job just handed over, by id; only its task id is recorded
    ImportJob.dangerously_unscoped.filter(pk=job.pk).update(task_id=job.task_id)


def _job_fail_unwritten(job_id: int, message: str, *, advice: str = "") -> None:
    with transaction.atomic():
        # unscoped: the job a worker was given by id; only its outcome is recorded
        job = ImportJob.dangerously_unscoped.select_for_update().filter(pk=job_id).first()
        if job is None or job.status != ImportJob.Status.WRITING:
            return
        said = f"{message}。何も登録していません" + (f"。{advice}" if advice else "")
        job.errors = [RowError(1, "", said).as_json()]
        job.error_count = 1
        _job_finish(job, ImportJob.Status.FAILED)


@task
def import_job_write_task(job_id: int) -> None:
    """The background write of an import (`import_job_write`). An unexpected failure rolls
    the write back, marks the job failed (nothing written) and fails the task."""
    try:
        import_job_write(job_id=job_id)
    except Exception as exc:
        _job_fail_unwritten(job_id, f"登録中に予期しないエラーが起きました（{type(exc).__name__}）")
        raise


@task_recovery(import_job_write_task)
def import_job_write_lost(job_id: int) -> None:
    """The worker died during the write (core/lost_tasks.py): the write is one transaction, so
    nothing was written; the job fails and its file is dropped."""
    _job_fail_unwritten(
        job_id,
        "登録の処理が途中で止まりました（処理を担当するプロセスが終了しました）",
        advice="もう一度取り込んでください",
    )


def import_job_write(*, job_id: int) -> None:
    """Write every row of a job in `writing` in one transaction (all or nothing), with the
    importer's links; the job records the result. A job in any other state is left alone, so
    running this twice writes once."""
    with transaction.atomic(), access_log_at_end():  # the chain's head held at the end only
        # unscoped: the job a worker was given by id; it acts as the job's own importer
        job = (
            ImportJob.dangerously_unscoped.select_for_update()
            .select_related("user", "organization")
            .filter(pk=job_id, status=ImportJob.Status.WRITING)
            .first()
        )
        if job is None:
            return
        # a negative decision is the earlier line of the same person (`import_job_confirm`)
        links = {int(line): int(pk) for line, pk in job.decisions.items() if int(pk) >= 0}
        same_as = {int(line): -int(pk) for line, pk in job.decisions.items() if int(pk) < 0}
        try:
            report = import_run(
                user=job.user,
                kind=job.kind,
                text=job.text,
                channel=AccessLog.Channel.WEB,
                links=links,
                same_as=same_as,
            )
        except ImportFileError as exc:
            report = ImportReport(kind=job.kind, errors=[RowError(1, "", str(exc))])
        job.created_count = report.created
        job.updated_count = report.updated
        job.unchanged_count = report.unchanged
        job.skipped_count = report.skipped
        job.linked_count = report.linked
        job.errors = [e.as_json() for e in report.errors]
        job.error_count = report.error_count
        _job_finish(job, ImportJob.Status.DONE if report.ok else ImportJob.Status.FAILED)
