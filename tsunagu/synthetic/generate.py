"""A synthetic city: staff, residents and the records and access log their work would leave.

Deterministic for a seed and an end date: the same arguments give the same rows (ids aside,
which follow what the database already holds). Everything is written in one transaction, so an
interrupted run leaves nothing. Fictional people only.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import time
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.apps import apps as django_apps
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction

from tsunagu.access.chain import GENESIS, municipal_chain, row_hash
from tsunagu.access.models import AccessGrant, AccessLog, AuditChainHead, Basis
from tsunagu.accounts.models import Role, RoleAssignment, User
from tsunagu.cases.models import Case, CaseEvent, CaseMember, CaseTeamMember
from tsunagu.cityplan.models import Clause, ProgramOrganization
from tsunagu.cityplan.services import plan_load
from tsunagu.consent.models import Consent, ConsentEvent
from tsunagu.consultations.models import (
    Channel,
    Consultation,
    ConsultationTopic,
    Requester,
    Response,
    Topic,
)
from tsunagu.demo.resources import demo_resources
from tsunagu.organizations.models import Municipality, Organization
from tsunagu.people import matching
from tsunagu.people.models import Household, HouseholdMember, Person, PersonKey, Relationship
from tsunagu.referrals.models import Referral, ReferralEvent
from tsunagu.synthetic import names
from tsunagu.synthetic.city import Volume, consultation_volumes, scaled_plan
from tsunagu.synthetic.writer import Ids, Writer, foreign_keys_checked_at_end

TOKYO = ZoneInfo("Asia/Tokyo")
UTC = dt.UTC
STAFF_PASSWORD = "tsunagu-bench-2026"  # noqa: S105  (printed on purpose: generated staff only)
# consultations a counselor takes a year (sets how many staff an organization gets)
CONSULTATIONS_PER_COUNSELOR = 1500
LIST_PAGE = 20  # rows a consultation list page shows (one access-log row per person shown)

CONTENTS: dict[str, str] = {
    Topic.PROBLEM_8050: "高齢の親の年金で50代の子と二人暮らし。子は長く仕事をしていない。",
    Topic.DOUBLE_CARE: "親の介護と子育てが重なり、仕事を続けられるか不安。",
    Topic.CARE: "介護の負担が重く、介護サービスの使い方を知りたい。",
    Topic.INCOME: "収入が減り、家賃と公共料金の支払いが遅れている。",
    Topic.HIKIKOMORI: "家族が長く自宅から出ない。本人と話ができない。",
    Topic.ISOLATION: "近所付き合いがなく、最近姿を見ないと地域の人から連絡があった。",
    Topic.CHILDCARE: "ひとりで子育てをしていて、頼れる人がいない。",
    Topic.YOUNG_CARER: "中学生の子が家族の世話をしていて、学校を休みがち。",
    Topic.HEALTH: "持病があり通院しているが、生活の見通しが立たない。",
    Topic.DEBT: "借入れの返済が苦しく、どこに相談すればよいかわからない。",
    Topic.JOB_SEARCH: "離職してから仕事が見つからない。",
    Topic.HOUSING: "住まいの更新ができず、転居先を探している。",
    Topic.HOARDING: "自宅にごみがたまり、近隣から苦情がある。",
}
FOLLOW_UP = "前回の相談の続き。状況を確認し、次の連絡日を決めた。"


@dataclass(frozen=True)
class Shape:
    """A household shape: (relationship, age range, generation) of each member; the first is
    the person the consultation is about; topics the consultation is likely to be about."""

    label: str
    members: tuple[tuple[str, int, int], ...]
    topics: tuple[str, ...]


SHAPES: dict[str, tuple[tuple[Shape, int], ...]] = {
    # weights per support field of the organization that takes the consultation
    "elderly": (
        (Shape("高齢単身", (("head", 72, 95),), (Topic.CARE, Topic.ISOLATION, Topic.HEALTH)), 40),
        (Shape("高齢夫婦", (("head", 70, 92), ("spouse", 68, 90)), (Topic.CARE, Topic.HEALTH)), 25),
        (
            Shape(
                "8050",
                (("head", 78, 92), ("child", 48, 62)),
                (Topic.PROBLEM_8050, Topic.HIKIKOMORI),
            ),
            25,
        ),
        (
            Shape(
                "ダブルケア",
                (("head", 36, 50), ("child", 1, 10), ("parent", 70, 88)),
                (Topic.DOUBLE_CARE, Topic.CARE),
            ),
            10,
        ),
    ),
    "child": (
        (
            Shape(
                "ひとり親", (("head", 24, 45), ("child", 0, 12)), (Topic.CHILDCARE, Topic.INCOME)
            ),
            45,
        ),
        (
            Shape(
                "子育て世帯",
                (("head", 26, 45), ("spouse", 25, 45), ("child", 0, 10)),
                (Topic.CHILDCARE,),
            ),
            35,
        ),
        (
            Shape(
                "ヤングケアラー",
                (("child", 12, 17), ("head", 38, 55)),
                (Topic.YOUNG_CARER, Topic.HEALTH),
            ),
            10,
        ),
        (
            Shape(
                "ダブルケア",
                (("head", 36, 50), ("child", 1, 10), ("parent", 70, 88)),
                (Topic.DOUBLE_CARE,),
            ),
            10,
        ),
    ),
    "other": (
        (
            Shape(
                "単身",
                (("head", 20, 64),),
                (Topic.INCOME, Topic.JOB_SEARCH, Topic.DEBT, Topic.HEALTH),
            ),
            45,
        ),
        (
            Shape(
                "8050",
                (("child", 45, 60), ("parent", 76, 92)),
                (Topic.PROBLEM_8050, Topic.HIKIKOMORI, Topic.INCOME),
            ),
            15,
        ),
        (
            Shape("高齢単身", (("head", 70, 95),), (Topic.ISOLATION, Topic.HOARDING, Topic.HEALTH)),
            20,
        ),
        (
            Shape("ひとり親", (("head", 24, 45), ("child", 0, 15)), (Topic.INCOME, Topic.HOUSING)),
            20,
        ),
    ),
}
FIELD_SHAPES = {"elderly": "elderly", "child": "child"}


@dataclass
class Options:
    residents: int
    years: int
    seed: int
    city: str = "ise"
    slug: str = "generated"
    until: dt.date | None = None  # the day the records end (default: today, Tokyo)


@dataclass
class Report:
    municipality: Municipality
    counts: dict[str, int]
    seconds: float
    staff_password: str = STAFF_PASSWORD


@dataclass
class _Org:
    org: Organization
    volume: Volume
    staff: list[int]
    manager: int
    shapes: tuple[tuple[Shape, int], ...]
    consultations: list[tuple[dt.datetime, int, int | None, int]] = field(default_factory=list)


class GenerateError(Exception):
    pass


def _age_birth(rng: random.Random, until: dt.date, low: int, high: int) -> dt.date:
    age = rng.randint(low, high)
    return until - dt.timedelta(days=age * 365 + rng.randint(0, 364))


def _given(rng: random.Random, birth: dt.date, sex: str | None) -> tuple[str, str, str]:
    pool = (
        names.GIVEN_OLD
        if birth.year < 1950
        else names.GIVEN_MID
        if birth.year < 1980
        else names.GIVEN_YOUNG
    )
    if sex is not None:
        pool = tuple(g for g in pool if g[2] == sex) or pool
    return rng.choice(pool)


def _office_time(rng: random.Random, day: dt.date) -> dt.datetime:
    while day.weekday() >= 5:
        day -= dt.timedelta(days=day.weekday() - 4)
    local = dt.datetime(
        day.year,
        day.month,
        day.day,
        rng.randint(8, 16),
        rng.randint(0, 59),
        rng.randint(0, 59),
        tzinfo=TOKYO,
    )
    return local.astimezone(UTC)


@dataclass(slots=True)
class _LogRow:
    """An access-log row before it is written: the fields its hash is made of (a model instance
    per row would cost a fifth of the generator's time)."""

    at: dt.datetime
    user_id: int | None
    organization_id: int | None
    action: str
    person_id: int | None
    object_type: str
    object_id: str
    via: str
    channel: str
    grant_id: int | None = None
    operator: str = ""


class _Generator:
    def __init__(
        self,
        opts: Options,
        progress: Callable[[str], None],
        steps: Callable[[int, int], None] = lambda done, total: None,
    ) -> None:
        self.opts = opts
        self.say = progress
        self.steps = steps
        self.rng = random.Random(opts.seed)  # noqa: S311 (synthetic data, not security)
        self.ids = Ids()
        self.last_report = 0.0
        self.writer = Writer(progress=self._progress)
        self.log: list[_LogRow] = []
        self.log_rows = 0
        self.prev_hash = GENESIS
        self.municipality_id = 0
        self.until = opts.until or dt.datetime.now(TOKYO).date()
        self.start = self.until - dt.timedelta(days=365 * opts.years)
        self.written_log = 0

    def _progress(self, label: str, count: int) -> None:
        now = time.monotonic()
        if now - self.last_report > 2:
            self.last_report = now
            self.say(f"  {label}: {count:,}")

    # -- structure and staff ------------------------------------------------------------------

    def structure(self) -> tuple[Municipality, list[_Org], Organization | None]:
        o = self.opts
        if Municipality.objects.filter(slug=o.slug).exists():
            raise GenerateError(
                f"市 {o.slug!r} は既にあります。"
                "別の --slug を指定するか、新しいデータベースで実行してください"
            )
        taken = frozenset(Municipality.objects.values_list("code", flat=True))
        plan = scaled_plan(seed=o.city, residents=o.residents, slug=o.slug, taken_codes=taken)
        volumes = consultation_volumes(plan, seed=o.city)
        plan_load(plan=plan)
        municipality = Municipality.objects.get(slug=o.slug)
        # generated staff have printed passwords and no phones (benchmark and load tests only)
        municipality.two_factor_required = False
        municipality.save(update_fields=["two_factor_required"])
        orgs = list(
            Organization.objects.filter(municipality=municipality, is_active=True)
            .prefetch_related("support_fields")
            .order_by("sort_order", "code")
        )
        children: dict[int, list[Organization]] = {}
        for org in orgs:
            if org.group_id is not None:
                children.setdefault(org.group_id, []).append(org)
        per_org: dict[int, Volume] = {}
        for org in orgs:
            v = volumes.get(org.code)
            if v is None:
                continue
            kids = children.get(org.pk)
            if kids:
                for kid in kids:
                    per_org[kid.pk] = Volume(new=v.new / len(kids), total=v.total / len(kids))
            else:
                per_org[org.pk] = v
        password = make_password(STAFF_PASSWORD)
        carrier = (
            ProgramOrganization.objects.filter(
                program__municipality=municipality, program__clause=Clause.C5
            )
            .order_by("program__sort_order", "sort_order")
            .values_list("organization_id", flat=True)
            .first()
        )
        result: list[_Org] = []
        users: list[tuple[User, str]] = []
        for org in orgs:
            if org.kind == Organization.Kind.COMMUNITY or (org.pk in children):
                continue
            v = per_org.get(org.pk, Volume(new=0.0, total=0.0))
            yearly = v.total * o.residents
            n = max(1, min(40, math.ceil(yearly / CONSULTATIONS_PER_COUNSELOR)))
            role: str = Role.COORDINATOR if org.pk == carrier else Role.COUNSELOR
            for i in range(1, n + 1):
                users.append(
                    (
                        User(
                            username=f"{o.slug}-{org.code}-{i}"[:150],
                            password=password,
                            organization=org,
                            last_name=self.rng.choice(names.FAMILY)[0],
                            first_name=self.rng.choice(names.GIVEN_MID)[0],
                        ),
                        role,
                    )
                )
            users.append(
                (
                    User(
                        username=f"{o.slug}-{org.code}-manager"[:150],
                        password=password,
                        organization=org,
                        last_name="管理",
                        first_name=org.name[:20],
                    ),
                    Role.MANAGER,
                )
            )
        User.objects.bulk_create([u for u, _ in users], batch_size=1000)
        saved = {
            u.username: u
            for u in User.objects.filter(username__startswith=f"{o.slug}-", organization__in=orgs)
        }
        RoleAssignment.objects.bulk_create(
            [
                RoleAssignment(user=saved[u.username], role=role, start_date=self.start)
                for u, role in users
            ],
            batch_size=1000,
        )
        by_org: dict[int, list[int]] = {}
        managers: dict[int, int] = {}
        for u, role in users:
            uid = saved[u.username].pk
            if role == Role.MANAGER:
                managers[u.organization_id] = uid  # type: ignore[index]
            else:
                by_org.setdefault(u.organization_id, []).append(uid)  # type: ignore[arg-type]
        for org in orgs:
            if org.pk not in by_org:
                continue
            fields = {f.field for f in org.support_fields.all()}
            kind = next((FIELD_SHAPES[f] for f in fields if f in FIELD_SHAPES), "other")
            result.append(
                _Org(
                    org=org,
                    volume=per_org.get(org.pk, Volume(new=0.0, total=0.0)),
                    staff=by_org[org.pk],
                    manager=managers[org.pk],
                    shapes=SHAPES[kind],
                )
            )
        self.say(f"{municipality.name}: 機関 {len(result)}、職員 {len(users)} 人")
        # the community resources of the demo (public map), kept by a 生活支援コーディネーター
        hub = next((x.org for x in result if x.org.pk == carrier), result[0].org)
        lsc = User.objects.create(
            username=f"{o.slug}-lsc",
            password=password,
            organization=hub,
            last_name="地域",
            first_name="結衣",
        )
        RoleAssignment.objects.create(
            user=lsc, role=Role.LIFE_SUPPORT_COORDINATOR, start_date=self.start
        )
        demo_resources(editor=lsc, today=self.until)
        coordination = next((x.org for x in result if x.org.pk == carrier), None)
        return municipality, result, coordination

    # -- the access log -----------------------------------------------------------------------

    def logged(self, **values: Any) -> None:
        self.log.append(_LogRow(**values))
        if len(self.log) >= 20_000:
            self.flush_log()

    def flush_log(self) -> None:
        rows = sorted(self.log, key=lambda r: r.at)
        self.log = []
        for row in rows:
            digest = row_hash(row, self.prev_hash)
            self.writer.add(
                AccessLog,
                {
                    "id": self.ids.take(AccessLog),
                    "at": row.at,
                    "user_id": row.user_id,
                    "organization_id": row.organization_id,
                    "operator": row.operator,
                    "action": row.action,
                    "person_id": row.person_id,
                    "object_type": row.object_type,
                    "object_id": row.object_id,
                    "via": row.via,
                    "grant_id": row.grant_id,
                    "channel": row.channel,
                    "municipality_id": self.municipality_id,
                    "prev_hash": self.prev_hash,
                    "hash": digest,
                },
            )
            self.prev_hash = digest
        self.written_log += len(rows)
        self.writer.flush()

    # -- people and their records -------------------------------------------------------------

    def person(
        self,
        org: _Org,
        *,
        at: dt.datetime,
        by: int,
        family: tuple[str, str],
        rel: tuple[str, int, int],
        address: str,
        phone: str,
    ) -> int:
        rng = self.rng
        _, low, high = rel
        birth = _age_birth(rng, self.until, low, high)
        given, given_kana, sex = _given(rng, birth, None)
        pid = self.ids.take(Person)
        protected = rng.random() < 0.003
        postal = f"{rng.randint(100, 999)}-{rng.randint(0, 9999):04d}"
        self.writer.add(
            Person,
            {
                "id": pid,
                "organization_id": org.org.pk,
                "family_name": family[0],
                "given_name": given,
                "family_name_kana": family[1],
                "given_name_kana": given_kana,
                "former_family_names": [],
                "birth_date": birth,
                "sex": sex,
                "postal_code": postal,
                "address": address,
                "phone": phone,
                "contact_method": "phone" if phone else "visit",
                "contact_note": "",
                "address_protected": protected,
                "address_protection_until": self.until + dt.timedelta(days=180)
                if protected
                else None,
                "created_at": at,
                "created_by_id": by,
                "updated_at": at,
                "version": 1,
            },
        )
        facts = matching.PersonFacts(
            family_name=family[0],
            given_name=given,
            family_name_kana=family[1],
            given_name_kana=given_kana,
            birth_date=birth,
            phone=phone,
            postal_code=postal,
            address=address,
            former_family_names=(),
        )
        for key in sorted(matching.match_keys(facts)):
            self.writer.add(
                PersonKey, {"id": self.ids.take(PersonKey), "person_id": pid, "key": key}
            )
        self.logged(
            at=at,
            user_id=by,
            organization_id=org.org.pk,
            action=AccessLog.Action.CREATE,
            person_id=pid,
            object_type="people.person",
            object_id=str(pid),
            via=AccessLog.Via.OWN,
            channel=AccessLog.Channel.WEB,
        )
        return pid

    def household(self, org: _Org, at: dt.datetime, by: int) -> tuple[list[int], Shape]:
        rng = self.rng
        shapes, weights = zip(*org.shapes, strict=True)
        shape = rng.choices(shapes, weights)[0]
        family = rng.choice(names.FAMILY)
        town = rng.choice(names.TOWNS)
        address = (
            f"{org.org.municipality.name}{town}{rng.randint(1, 5)}丁目"
            f"{rng.randint(1, 30)}番{rng.randint(1, 20)}号"
        )
        phone = (
            f"0{rng.randint(100, 999)}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}"
            if rng.random() < 0.6
            else f"090-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}"
        )
        # the household is recorded with the consultation about one of its members
        record_all = len(shape.members) > 1 and rng.random() < 0.5
        members = shape.members if record_all else shape.members[:1]
        pids = [
            self.person(org, at=at, by=by, family=family, rel=m, address=address, phone=phone)
            for m in members
        ]
        if record_all:
            hid = self.ids.take(Household)
            self.writer.add(
                Household,
                {
                    "id": hid,
                    "organization_id": org.org.pk,
                    "name": f"{family[0]}さん世帯",
                    "address_protected": False,
                    "created_at": at,
                    "created_by_id": by,
                },
            )
            for pid, (rel, _, _) in zip(pids, members, strict=True):
                self.writer.add(
                    HouseholdMember,
                    {
                        "id": self.ids.take(HouseholdMember),
                        "household_id": hid,
                        "person_id": pid,
                        "relationship": rel if rel in Relationship.values else "other_relative",
                    },
                )
        return pids, shape

    def consultation(
        self,
        org: _Org,
        *,
        at: dt.datetime,
        by: int,
        person: int | None,
        topic: str,
        is_new: bool,
        follows: int | None,
        response: str,
    ) -> int:
        rng = self.rng
        cid = self.ids.take(Consultation)
        self.writer.add(
            Consultation,
            {
                "id": cid,
                "organization_id": org.org.pk,
                "person_id": person,
                "anonymous_label": "" if person else f"匿名{cid}",
                "follows_id": follows,
                "received_at": at,
                "received_by_id": by,
                "channel": rng.choice(
                    (Channel.WINDOW, Channel.PHONE, Channel.PHONE, Channel.VISIT)
                ),
                "requester": rng.choice(
                    (
                        Requester.SELF,
                        Requester.SELF,
                        Requester.FAMILY,
                        Requester.MINSEI_IIN,
                        Requester.AGENCY,
                    )
                ),
                "requester_detail": "",
                "main_topic": topic,
                "content": CONTENTS.get(topic, "生活のことで相談したい。") if is_new else FOLLOW_UP,
                "response": response,
                "is_new": is_new,
                "external_id": "",
                "created_at": at,
                "updated_at": at,
            },
        )
        self.writer.add(
            ConsultationTopic,
            {"id": self.ids.take(ConsultationTopic), "consultation_id": cid, "topic": topic},
        )
        self.logged(
            at=at + dt.timedelta(minutes=20),
            user_id=by,
            organization_id=org.org.pk,
            action=AccessLog.Action.CREATE,
            person_id=person,
            object_type="consultations.consultation",
            object_id=str(cid),
            via=AccessLog.Via.OWN,
            channel=AccessLog.Channel.WEB,
        )
        org.consultations.append((at, cid, person, by))
        return cid

    def referral(
        self, org: _Org, target: _Org, *, at: dt.datetime, by: int, person: int, consultation: int
    ) -> None:
        rng = self.rng
        consent = self.ids.take(Consent)
        day = at.astimezone(TOKYO).date()
        until = day + dt.timedelta(days=365)
        self.writer.add(
            Consent,
            {
                "id": consent,
                "person_id": person,
                "organization_id": org.org.pk,
                "method": "written",
                "purpose": f"{target.org.name}への相談内容の提供",
                "valid_from": day,
                "valid_until": until,
                "obtained_by_id": by,
                "obtained_at": at,
                "withdrawal_note": "",
            },
        )
        through = Consent.scope_organizations.through
        self.writer.add(
            through,
            {"id": self.ids.take(through), "consent_id": consent, "organization_id": target.org.pk},
        )
        self.writer.add(
            ConsentEvent,
            {
                "id": self.ids.take(ConsentEvent),
                "consent_id": consent,
                "kind": "recorded",
                "at": at,
                "by_id": by,
                "note": "",
            },
        )
        self.logged(
            at=at,
            user_id=by,
            organization_id=org.org.pk,
            action=AccessLog.Action.CREATE,
            person_id=person,
            object_type="consent.consent",
            object_id=str(consent),
            via=AccessLog.Via.OWN,
            channel=AccessLog.Channel.WEB,
        )
        answered = at + dt.timedelta(days=rng.randint(1, 5), hours=rng.randint(0, 6))
        end = dt.datetime.combine(self.until, dt.time(), tzinfo=TOKYO).astimezone(UTC)
        roll = rng.random()
        if answered > end or roll < 0.1:
            status = Referral.Status.REQUESTED
        elif roll < 0.18:
            status = Referral.Status.DECLINED
        elif roll < 0.5:
            status = Referral.Status.COMPLETED
        else:
            status = Referral.Status.ACCEPTED
        receiver = rng.choice(target.staff)
        rid = self.ids.take(Referral)
        self.writer.add(
            Referral,
            {
                "id": rid,
                "consultation_id": consultation,
                "person_id": person,
                "from_organization_id": org.org.pk,
                "to_organization_id": target.org.pk,
                "reason": "専門的な支援が必要なため、本人の同意を得てつなぎます。",
                "share_content": True,
                "share_contact": True,
                "share_address": False,
                "basis": Basis.CONSENT,
                "consent_id": consent,
                "statute": "",
                "status": status,
                "due_date": day + dt.timedelta(days=7),
                "decline_reason": "対象外のため" if status == Referral.Status.DECLINED else "",
                "outcome": "支援につながった" if status == Referral.Status.COMPLETED else "",
                "created_by_id": by,
                "assignee_id": receiver if status in ("accepted", "completed") else None,
                "created_at": at,
                "updated_at": answered if status != "requested" else at,
            },
        )
        events = [("requested", at, by)]
        if status != Referral.Status.REQUESTED:
            reply = "declined" if status == Referral.Status.DECLINED else "accepted"
            events.append((reply, answered, receiver))
        if status == Referral.Status.COMPLETED:
            events.append(("completed", answered + dt.timedelta(days=rng.randint(7, 60)), receiver))
        for s, when, who in events:
            self.writer.add(
                ReferralEvent,
                {
                    "id": self.ids.take(ReferralEvent),
                    "referral_id": rid,
                    "status": s,
                    "at": when,
                    "by_id": who,
                    "note": "",
                },
            )
        gid = self.ids.take(AccessGrant)
        self.writer.add(
            AccessGrant,
            {
                "id": gid,
                "person_id": person,
                "organization_id": target.org.pk,
                "consultation_id": consultation,
                "includes_content": True,
                "includes_contact": True,
                "includes_address": False,
                "basis": Basis.CONSENT,
                "consent_id": consent,
                "referral_id": rid,
                "statute": "",
                "valid_from": at,
                "valid_until": until,
                "ended_at": answered if status == Referral.Status.DECLINED else None,
                "end_reason": "つなぎが辞退されました"
                if status == Referral.Status.DECLINED
                else "",
                "created_at": at,
                "created_by_id": by,
            },
        )
        self.logged(
            at=at,
            user_id=by,
            organization_id=org.org.pk,
            action=AccessLog.Action.SHARE,
            person_id=person,
            object_type="referrals.referral",
            object_id=str(rid),
            via=AccessLog.Via.OWN,
            grant_id=gid,
            channel=AccessLog.Channel.WEB,
        )
        if status != Referral.Status.REQUESTED:
            for action in (AccessLog.Action.VIEW, AccessLog.Action.UPDATE):
                self.logged(
                    at=answered,
                    user_id=receiver,
                    organization_id=target.org.pk,
                    action=action,
                    person_id=person,
                    object_type="referrals.referral",
                    object_id=str(rid),
                    via=AccessLog.Via.GRANT,
                    grant_id=gid,
                    channel=AccessLog.Channel.WEB,
                )

    def case(
        self, org: _Org, *, at: dt.datetime, persons: list[int], consultation: int, title: str
    ) -> None:
        rng = self.rng
        lead = rng.choice(org.staff)
        day = at.astimezone(TOKYO).date()
        closed = day + dt.timedelta(days=rng.randint(90, 400))
        is_closed = closed < self.until
        kid = self.ids.take(Case)
        self.writer.add(
            Case,
            {
                "id": kid,
                "organization_id": org.org.pk,
                "title": title,
                "subject": "household" if len(persons) > 1 else "person",
                "origin": "consultation",
                "origin_consultation_id": consultation,
                "lead_coordinator_id": lead,
                "status": "closed"
                if is_closed
                else rng.choice(
                    ("assessment", "planning", "supporting", "supporting", "monitoring")
                ),
                "issues": [],
                "opened_on": day,
                "closed_on": closed if is_closed else None,
                "last_contact_on": min(closed, self.until),
                "created_by_id": lead,
                "created_at": at,
                "updated_at": at,
            },
        )
        for i, pid in enumerate(persons):
            self.writer.add(
                CaseMember,
                {
                    "id": self.ids.take(CaseMember),
                    "case_id": kid,
                    "person_id": pid,
                    "relationship": "head" if i == 0 else "other_relative",
                    "is_principal": i == 0,
                    "added_at": at,
                    "added_by_id": lead,
                },
            )
        self.writer.add(
            CaseTeamMember,
            {
                "id": self.ids.take(CaseTeamMember),
                "case_id": kid,
                "organization_id": org.org.pk,
                "staff_id": lead,
                "role": "coordinator",
                "role_note": "",
                "joined_on": day,
                "left_reason": "",
                "added_by_id": lead,
                "created_at": at,
            },
        )
        for n in range(rng.randint(2, 8)):
            when = at + dt.timedelta(days=7 * (n + 1), hours=rng.randint(0, 5))
            if when.date() >= self.until:
                break
            self.writer.add(
                CaseEvent,
                {
                    "id": self.ids.take(CaseEvent),
                    "case_id": kid,
                    "kind": "contact",
                    "occurred_at": when,
                    "summary": "本人と面談し、支援の状況を確認した。",
                    "organization_id": org.org.pk,
                    "by_id": lead,
                    "created_at": when,
                },
            )
            self.logged(
                at=when,
                user_id=lead,
                organization_id=org.org.pk,
                action=AccessLog.Action.VIEW,
                person_id=persons[0],
                object_type="cases.case",
                object_id=str(kid),
                via=AccessLog.Via.OWN,
                channel=AccessLog.Channel.WEB,
            )

    # -- the whole activity -------------------------------------------------------------------

    def activity(self, orgs: list[_Org], coordination: Organization | None) -> None:
        o, rng = self.opts, self.rng
        days = (self.until - self.start).days
        years = days / 365
        for index, org in enumerate(orgs):
            new_count = round(org.volume.new * o.residents * years)
            follow_total = max(0, round(org.volume.total * o.residents * years) - new_count)
            others = [x for x in orgs if x.org.pk != org.org.pk and x.volume.new > 0]
            is_hub = coordination is not None and org.org.pk == coordination.pk
            self.say(
                f"[{index + 1}/{len(orgs)}] {org.org.name}: "
                f"新規 {new_count:,}、継続 {follow_total:,}"
            )
            starts: list[tuple[dt.datetime, int, int | None, str]] = []
            for _ in range(new_count):
                at = _office_time(rng, self.start + dt.timedelta(days=rng.randrange(days)))
                by = rng.choice(org.staff)
                topic_person: int | None = None
                if rng.random() < 0.05:
                    topic = rng.choice(list(CONTENTS))
                    persons: list[int] = []
                    title = ""
                else:
                    persons, shape = self.household(org, at, by)
                    topic = rng.choice(shape.topics)
                    topic_person = persons[0]
                    title = "世帯"
                response = rng.choices(
                    (
                        Response.INFORMATION,
                        Response.ONGOING,
                        Response.REFERRAL,
                        Response.MULTI_AGENCY,
                        Response.CLOSED,
                    ),
                    (35, 35, 12, 5 if is_hub else 1, 14),
                )[0]
                cid = self.consultation(
                    org,
                    at=at,
                    by=by,
                    person=topic_person,
                    topic=topic,
                    is_new=True,
                    follows=None,
                    response=response,
                )
                if topic_person is not None:
                    starts.append((at, cid, topic_person, topic))
                    if response == Response.REFERRAL and others:
                        target = rng.choice(others)
                        self.referral(
                            org,
                            target,
                            at=at + dt.timedelta(minutes=30),
                            by=by,
                            person=topic_person,
                            consultation=cid,
                        )
                    if response == Response.MULTI_AGENCY and is_hub:
                        self.case(org, at=at, persons=persons, consultation=cid, title=title)
                self._maybe_flush()
            # follow-ups (延べ − 新規) continue the consultations with a person
            for _ in range(follow_total if starts else 0):
                at0, cid0, pid, topic = rng.choice(starts)
                gap = dt.timedelta(days=rng.randint(3, 120))
                if at0 + gap >= dt.datetime.combine(self.until, dt.time(), tzinfo=TOKYO):
                    continue
                at = _office_time(rng, (at0 + gap).astimezone(TOKYO).date())
                by = rng.choice(org.staff)
                self.logged(
                    at=at - dt.timedelta(minutes=2),
                    user_id=by,
                    organization_id=org.org.pk,
                    action=AccessLog.Action.VIEW,
                    person_id=pid,
                    object_type="people.person",
                    object_id=str(pid),
                    via=AccessLog.Via.OWN,
                    channel=AccessLog.Channel.WEB,
                )
                self.consultation(
                    org,
                    at=at,
                    by=by,
                    person=pid,
                    topic=topic,
                    is_new=False,
                    follows=cid0,
                    response=Response.ONGOING,
                )
                self._maybe_flush()
            self.list_views(org)
            self.steps(index + 2, len(orgs) + 2)
        self.flush_log()

    def list_views(self, org: _Org) -> None:
        """Before taking about every other consultation, its counselor opens the consultation
        list: one access-log row per person on the first page (the newest consultations)."""
        rows = sorted(org.consultations)
        org.consultations = []
        times = [r[0] for r in rows]
        for at, _, _, by in rows:
            if self.rng.random() >= 0.5:
                continue
            at = at - dt.timedelta(minutes=5)
            end = bisect_right(times, at)
            shown: dict[int | None, list[int]] = {}
            for _, cid, pid, _ in rows[max(0, end - LIST_PAGE) : end]:
                shown.setdefault(pid, []).append(cid)
            for pid, cids in shown.items():
                self.logged(
                    at=at,
                    user_id=by,
                    organization_id=org.org.pk,
                    action=AccessLog.Action.LIST,
                    person_id=pid,
                    object_type="consultations.consultation",
                    object_id=",".join(str(c) for c in cids),
                    via=AccessLog.Via.OWN,
                    channel=AccessLog.Channel.WEB,
                )

    def _maybe_flush(self) -> None:
        if sum(self.writer.pending(m) for m in (Person, Consultation, PersonKey)) > 60_000:
            self.flush_log()

    def finish(self) -> None:
        self.flush_log()
        head = AuditChainHead.objects.get(pk=municipal_chain(self.municipality_id))
        head.last_hash = self.prev_hash
        head.count += self.written_log
        head.save(update_fields=["last_hash", "count"])
        self.ids.fix_sequences()


def _tables() -> list[str]:
    """The tables of the project's own models (what the generator may write)."""
    return [
        m._meta.db_table
        for m in django_apps.get_models()
        if m.__module__.startswith("tsunagu.") and m._meta.managed and not m._meta.proxy
    ]


def generate(
    opts: Options,
    *,
    progress: Callable[[str], None] = lambda s: None,
    steps: Callable[[int, int], None] = lambda done, total: None,
) -> Report:
    """Generate a city (see the module's docstring). Refused for a slug that already exists.
    `progress` is told what is being written, in words; `steps` how many of the phases (the
    structure, one per organization's activity, the finish) are done of how many."""
    if opts.residents < 1000 or opts.years < 1:
        raise GenerateError("住民は 1,000 人以上、年数は 1 以上にしてください")
    started = time.monotonic()
    gen = _Generator(opts, progress, steps)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("SET LOCAL synchronous_commit TO OFF")
        municipality, orgs, coordination = gen.structure()
        # the new city's chain head is locked for the rest of the run (other cities' are not);
        # the structure's own services may have logged: continue after their rows
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(
            pk=municipal_chain(municipality.pk),
            defaults={"last_hash": GENESIS, "municipality": municipality},
        )
        gen.municipality_id = municipality.pk
        gen.prev_hash = head.last_hash
        steps(1, len(orgs) + 2)
        with foreign_keys_checked_at_end(_tables()):
            gen.activity(orgs, coordination)
            gen.finish()
        steps(len(orgs) + 2, len(orgs) + 2)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            # VACUUM also fills the visibility map, without which the planner cannot answer a
            # count from an index alone (a fiscal year's month counts read every row instead);
            # it cannot run inside a transaction (a caller's, as in the tests): ANALYZE there
            cur.execute("ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)")
    return Report(
        municipality=municipality,
        counts=dict(gen.writer.counts),
        seconds=time.monotonic() - started,
    )
