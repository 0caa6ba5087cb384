from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from tsunagu.accounts.models import Role, User
from tsunagu.accounts.services import user_create
from tsunagu.cityplan.models import Clause, ProgramOrganization
from tsunagu.demo.cases import demo_cases
from tsunagu.demo.intake import demo_intake
from tsunagu.demo.meetings import demo_meetings
from tsunagu.demo.outreach import demo_outreach, demo_participation
from tsunagu.demo.resources import demo_resources
from tsunagu.organizations.models import Municipality, Organization, SupportField
from tsunagu.outreach.models import OutreachTarget
from tsunagu.people.models import Person
from tsunagu.resources.models import CommunityResource

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
        if municipality.two_factor_required:
            # Demo accounts have printed passwords and no phones: say so, and switch it off.
            municipality.two_factor_required = False
            municipality.save(update_fields=["two_factor_required"])
        self.stdout.write(
            f"デモのため {municipality.name} では二要素認証（確認コード）を必須にしていません。"
            "本番では必須です（自治体の設定「二要素認証を必須にする」）。"
        )
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
        # The coordinator sits where the plan puts 多機関協働事業: its first carrier (伊勢市
        # よりそい, 射水市 多機関協働事業者, 印西市 社会福祉課 …), else its 担当課.
        hub_carrier = (
            ProgramOrganization.objects.filter(
                program__municipality=municipality,
                program__clause=Clause.C5,
                program__is_active=True,
                organization__is_active=True,
            )
            .select_related("organization")
            .order_by("program__sort_order", "sort_order")
            .first()
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
        # the coordinator sits where 多機関協働事業 is carried (a commissioned agency, or the
        # department itself), not merely in the department responsible for it
        coordination = hub_carrier.organization if hub_carrier else hub
        # The liaison sits in a 課 that names one (相談支援推進員・コネクター…), under its title.
        liaison_dept = (
            Organization.objects.filter(
                municipality=municipality, kind="department", is_active=True
            )
            .exclude(liaison_title="")
            .exclude(pk__in=[hub.pk, coordination.pk])
            .order_by("sort_order", "code")
            .first()
        ) or _pick(municipality, kind="department", exclude=(hub.pk, coordination.pk))
        people = [
            ("counselor", hokatsu, [Role.COUNSELOR], "相談", "花子"),
            ("counselor2", poverty, [Role.COUNSELOR], "支援", "次郎"),
            ("coordinator", coordination, [Role.COORDINATOR], "協働", "三郎"),
            ("liaison", liaison_dept, [Role.LIAISON], "連携", "四郎"),
            ("manager", hub, [Role.MANAGER], "管理", "幸子"),
            # the window's own manager: reads the access log of the window's records
            ("window-manager", hokatsu, [Role.MANAGER], "窓口", "管理"),
            ("lsc", hub, [Role.LIFE_SUPPORT_COORDINATOR], "地域", "結衣"),
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
                    title=org.liaison_title if Role.LIAISON in roles else "",
                    check_password=False,
                )
            made[suffix] = User.objects.get(username=username)
            labels = "・".join(Role(r).label for r in roles)
            self.stdout.write(f"  {username:<24} {labels:<20} {org.name}")
        counselor = made["counselor"]
        if not Person.objects.held_by(counselor).exists():
            count = demo_intake(
                counselor=counselor,
                colleague=made["counselor2"],
                coordinator=made["coordinator"],
                liaison=made["liaison"],
            )
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
            meetings = demo_meetings(counselor=counselor, coordinator=made["coordinator"])
            if meetings:
                self.stdout.write(f"支援会議の記録 {meetings} 件を作りました（架空）")
        if not CommunityResource.objects.filter(municipality=municipality).exists():
            count = demo_resources(editor=made["lsc"])
            self.stdout.write(
                f"架空の社会資源 {count} 件と活動の記録を作りました"
                f"（社会資源マップ: /map/{municipality.slug}/）"
            )
        coordinator = made["coordinator"]
        if not OutreachTarget.objects.held_by(coordinator).exists():
            targets = demo_outreach(worker=coordinator)
            self.stdout.write(
                f"アウトリーチの対象者 {targets} 人、出張相談会とマッピング調査を作りました"
                "（架空。/outreach/）"
            )
            placements = demo_participation(coordinator=coordinator, editor=made["lsc"])
            if placements:
                self.stdout.write(
                    f"参加支援の受け入れ先の内容と、参加 {placements} 件を作りました"
                    "（架空。/participation/）"
                )
