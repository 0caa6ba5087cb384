"""The five sheets print as A4 PDFs, filled in, with the 住所秘匿 mask applied and the export
logged. `TSUNAGU_PRINT_DIR=dir pytest -k five_sheets` keeps the PDFs to look at them
(`pdftoppm -png`)."""

from __future__ import annotations

import os
from pathlib import Path

from django.urls import reverse
from django.utils import timezone

from conftest import client_for
from tsunagu.access.models import AccessLog
from tsunagu.accounts.models import User
from tsunagu.cases.models import Case
from tsunagu.cases.printing import FORMS
from tsunagu.cases.selectors import case_print_for
from tsunagu.cases.services import ClosureData, GapData, ResultData, case_close, monitoring_record
from tsunagu.cases.tests.conftest import Household
from tsunagu.cases.tests.test_services import full_answers, run_plan
from tsunagu.people.access import ADDRESS_MASK
from tsunagu.people.models import Person


def test_the_five_sheets_print(case: Case, coordinator: User, counselor: User) -> None:
    from tsunagu.cases.services import assessment_create

    assessment_create(
        user=coordinator,
        case=case,
        answers=full_answers(),
        urgency="medium",
        assessed_on=timezone.localdate(),
        base_version=0,
    )
    plan = run_plan(case, coordinator)
    monitoring_record(
        user=counselor,
        plan=plan,
        monitored_on=timezone.localdate(),
        results=[ResultData(a, "partly", "少し進んだ") for a in plan.actions.all()],
    )
    case_close(
        user=coordinator,
        case=case,
        data=ClosureData(
            outcome="closed",
            goals_met="partly",
            person_changes="母はデイサービスに通い始め、息子は週に一度外出するようになった",
            existing_services_sufficient=False,
            why_not="40代以上のひきこもりの方が通える居場所が市内にない",
            support_flow_lessons="包括とくらしサポートが最初の訪問から一緒に動けた",
            gaps=[
                GapData(field="employment", description="中高年のひきこもりの方の居場所・就労体験")
            ],
        ),
    )
    client = client_for(coordinator)
    keep = os.environ.get("TSUNAGU_PRINT_DIR")
    for form in FORMS:
        response = client.get(reverse("cases:print", args=[case.pk, form]))
        assert response.status_code == 200, form
        assert response["Content-Type"] == "application/pdf"
        assert (
            response.content.startswith(b"%PDF-")
            and b"/MediaBox [0 0 595.28 841.89]" in response.content
        )
        assert b"/FontFile" in response.content  # the font is embedded (a subset)
        if keep:
            Path(keep, f"{form}.pdf").write_bytes(response.content)
    exports = AccessLog.objects.filter(user=coordinator, action="export", object_type="cases.case")
    assert exports.count() == len(FORMS) * 2  # one row per member shown (mother and son)


def test_a_printed_sheet_masks_a_protected_address(
    case: Case, household: Household, receiver: User, counselor: User, third: User
) -> None:
    Person.dangerously_unscoped.filter(pk=household.mother.pk).update(address_protected=True)
    data = case_print_for(user=receiver, case_id=case.pk, form="intake")
    mother = next(m for m in data["members"] if "本人" in m["relationship"])
    assert mother["address"] == ADDRESS_MASK and mother["name"] == "山田 トメ"
    own = case_print_for(user=counselor, case_id=case.pk, form="intake")
    assert (
        next(m for m in own["members"] if "本人" in m["relationship"])["address"] == "南市北町1-2-3"
    )
    assert (
        client_for(third).get(reverse("cases:print", args=[case.pk, "intake"])).status_code == 404
    )
    assert (
        client_for(receiver).get(reverse("cases:print", args=[case.pk, "nonsense"])).status_code
        == 404
    )
