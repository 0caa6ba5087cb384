"""The operations the load benchmark measures, shared by the load tool (locustfile.py) and the
runner's database-only measurement (measure.py). Plain Python: no Django, no locust.

`targets` is the JSON the runner writes after picking, from the generated city, who signs in
and which records they open (all of them records that user may see).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Any

TOKEN = re.compile(r'name="(csrfmiddlewaretoken|form_token)" value="([^"]+)"')


@dataclass(frozen=True)
class Op:
    name: str
    # which of the targets' users runs it: counselor, receiver, coordinator, manager, public
    role: str
    method: str = "GET"
    # a GET whose form the POST sends (hidden tokens read from it)
    form_path: str = ""


OPS: tuple[Op, ...] = (
    Op("person_search", "counselor"),
    Op("consultation_list_fy", "counselor"),
    Op("consultation_list_api", "counselor"),
    Op("consultation_create", "counselor", method="POST", form_path="form"),
    Op("person_page", "counselor"),
    Op("consultation_page", "counselor"),
    Op("referral_inbox", "receiver"),
    Op("case_page", "coordinator"),
    Op("meeting_page", "coordinator"),
    Op("public_resource_search", "public"),
    Op("fiscal_year_view", "manager"),
    Op("dashboard", "manager"),
)
BY_NAME = {op.name: op for op in OPS}


def path_for(op: Op, targets: dict[str, Any], rng: random.Random) -> str:
    """The URL an operation requests (a random record of the targets each time)."""
    t = targets
    match op.name:
        case "person_search":
            q = rng.choice(t["person_names"])
            return f"/people/?q={q}"
        case "consultation_list_fy":
            return f"/consultations/?date_from={t['fy_start']}&date_to={t['fy_end']}"
        case "consultation_list_api":
            return "/api/v1/consultations"
        case "consultation_create":
            return "/consultations/new/"
        case "person_page":
            return f"/people/{rng.choice(t['person_ids'])}/"
        case "consultation_page":
            return f"/consultations/{rng.choice(t['consultation_ids'])}/"
        case "referral_inbox":
            return "/referrals/"
        case "case_page":
            return f"/cases/{rng.choice(t['case_ids'])}/"
        case "meeting_page":
            return f"/meetings/{rng.choice(t['meeting_ids'])}/"
        case "public_resource_search":
            q = rng.choice(t["resource_queries"])
            return f"/map/{t['city']}/?q={q}"
        case "fiscal_year_view":
            return f"/evaluation/{t['fiscal_year']}/"
        case "dashboard":
            return f"/evaluation/dashboard/?fy={t['fiscal_year']}"
    raise ValueError(op.name)


def headers_for(op: Op, targets: dict[str, Any]) -> dict[str, str]:
    """The API authenticates by token (issued by measure.py for the counselor), pages by session."""
    if op.name.endswith("_api"):
        return {"Authorization": f"Token {targets['api_token']}"}
    return {}


def create_form(
    targets: dict[str, Any], rng: random.Random, form_html: str
) -> tuple[str, dict[str, Any]]:
    """The consultation create POST: for a known person, with the form's hidden tokens."""
    person = rng.choice(targets["person_ids"])
    data: dict[str, Any] = dict(TOKEN.findall(form_html))
    data.update(
        {
            "person": str(person),
            "received_at": targets["now_local"],
            "channel": "phone",
            "requester": "self",
            "main_topic": "care",
            "topics": "care",
            "content": "負荷試験: 介護の負担について電話で相談があった。",
            "response": "information",
            "is_new": "0",
        }
    )
    return f"/consultations/new/?person={person}", data
