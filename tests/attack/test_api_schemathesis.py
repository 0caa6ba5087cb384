"""The API fuzzed from its own OpenAPI document (schemathesis): for every operation, generated
requests — valid and invalid — never cause a server error, and every response matches a status
and a schema the document declares. Bounded: a fixed number of examples per operation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tsunagu.accounts.models import User
from tsunagu.accounts.tokens import api_token_create
from tsunagu.config.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
EXAMPLES = 15


@pytest.fixture
def token(counselor: User) -> Iterator[str]:
    # The fuzzer calls the WSGI application directly: keep the test's database connection open
    # across its requests, as Django's own test client does.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield api_token_create(user=counselor)
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
def test_no_server_error_and_only_documented_answers(
    case: schemathesis.Case,  # type: ignore[type-arg]
    token: str,
) -> None:
    # Every check but "schema-valid data is accepted": the services also apply rules a schema
    # cannot state (one of the name fields is required, a consent must cover the receiver, ...),
    # and answer them with a documented 422.
    # A negative case that leaves the Authorization header out on purpose is sent without it (it
    # must be refused with 401); every other case is sent as the signed-in counselor.
    meta = case.meta
    header = meta.components.get(ParameterLocation.HEADER) if meta is not None else None
    dropped = (
        header is not None
        and header.mode == GenerationMode.NEGATIVE
        and "Authorization" not in (case.headers or {})
    )
    headers = {} if dropped else {"Authorization": f"Token {token}"}
    case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])
