from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from tsunagu.accounts.models import Role, User
from tsunagu.accounts.services import user_create
from tsunagu.cityplan.models import Clause, ProgramOrganization
from tsunagu.demo.cases import demo_cases
from tsunagu.demo.intake import demo_intake
from tsunagu.organizations.models import Municipality, Organization, SupportField
from tsunagu.people.models import Person

DEMO_PASSWORD = "tsunagu-demo-2026"  # noqa: S105  (printed on purpose: demo accounts only)


def _pick(
    municipality: Municipality,
    *,
    kind: str,
    field: str = "",
    clause_prefix: str = "",
    exclude: tuple[int, ...] = (),
) -> Organization:
    active = Organization.objects.filter(municipality=municipality, is_active=True)
    if not active.exists():
        raise CommandError(f"{municipality.name} には機関がありません")
    orgs = active.filter(kind=kind)
    orgs = orgs if orgs.exists() else active  # e.g. a plan that names no department
    others = orgs.exclude(pk__in=exclude)
    orgs = others if others.exists() else orgs  # a small city may have one agency for all
    if clause_prefix:
        carrying = ProgramOrganization.objects.filter(
            program__municipality=municipality,
            program__clause__startswith=clause_prefix,
        ).values("organization")
        narrowed = orgs.filter(pk__in=carrying)
        orgs = narrowed if narrowed.exists() else orgs
    if field:
        narrowed = orgs.filter(support_fields__field=field)
        orgs = narrowed if narrowed.exists() else orgs
    org = orgs.order_by("sort_order", "code").first()
    if org is None:
        raise CommandError(f"{municipality.name} に使える機関がありません")
    return org


class Command(BaseCommand):
    help = "読み込み済みの市にデモ用の職員を作り、ログイン情報を表示します（架空の人物のみ）"

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("city", help="市の識別名（load-plan 済み）")

    @transaction.atomic
    def handle(self, *args: Any, city: str, **options: Any) -> None:
        municipality = Municipality.objects.filter(slug=city).first()
        if municipality is None:
            raise CommandError(f"市 {city!r} は読み込まれていません。先に tsunagu load-plan {city}")
        hokatsu = _pick(
            municipality, kind="agency", field=SupportField.ELDERLY, clause_prefix="1-1"
        )
        poverty = _pick(
            municipality,
            kind="agency",
            field=SupportField.POVERTY,
            clause_prefix="1-4",
            exclude=(hokatsu.pk,),
        )
        hub_department = (
            Organization.objects.filter(
                programs_responsible__municipality=municipality,
                programs_responsible__clause=Clause.C5,
                is_active=True,
            )
            .order_by("programs_responsible__sort_order", "sort_order")
            .first()
        )
        hub = hub_department or _pick(municipality, kind="department", clause_prefix=Clause.C5)
        liaison_dept = _pick(municipality, kind="department", exclude=(hub.pk,))
        people = [
            ("counselor", hokatsu, [Role.COUNSELOR], "相談", "花子"),
            ("counselor2", poverty, [Role.COUNSELOR], "支援", "次郎"),
            ("coordinator", hub, [Role.COORDINATOR], "協働", "三郎"),
            ("liaison", liaison_dept, [Role.LIAISON], "連携", "四郎"),
            ("manager", hub, [Role.MANAGER], "管理", "幸子"),
            ("admin", hub, [Role.ADMIN], "システム", "管理者"),
        ]
        self.stdout.write(
            f"{municipality.name} のデモ用アカウント（パスワードはすべて {DEMO_PASSWORD}）:"
        )
        made: dict[str, User] = {}
        for suffix, org, roles, family, given in people:
            username = f"{municipality.slug}-{suffix}"
            if not User.objects.filter(username=username).exists():
                user_create(
                    username=username,
                    organization=org,
                    roles=list(roles),
                    password=DEMO_PASSWORD,
                    family_name=family,
                    given_name=given,
                    check_password=False,
                )
            made[suffix] = User.objects.get(username=username)
            labels = "・".join(Role(r).label for r in roles)
            self.stdout.write(f"  {username:<24} {labels:<20} {org.name}")
        counselor = made["counselor"]
        if not Person.objects.held_by(counselor).exists():
            count = demo_intake(counselor=counselor, colleague=made["counselor2"])
            self.stdout.write(
                f"架空の住民 {count} 人と相談・つなぎを作りました（実在の人物ではありません）"
            )
            cases = demo_cases(
                counselor=counselor, colleague=made["counselor2"], coordinator=made["coordinator"]
            )
            if cases:
                self.stdout.write(
                    f"多機関協働の事例 {cases} 件と、回答待ちの依頼 1 件を作りました（架空）"
                )
