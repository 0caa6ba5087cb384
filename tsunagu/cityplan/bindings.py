"""What an indicator of a plan file may be bound to: the names of the computations over the
records and the filters each takes.

The computations themselves live in a higher app (`evaluation.computations`), which registers
their names here in its `AppConfig.ready()`; the plan file's loader checks a binding against
this registry, so a city binds its own indicator names without code and an unknown
computation or filter is refused at load with the file's line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class FilterKind(StrEnum):
    ORGANIZATION = "organization"  # an organization code of the plan file
    SITE = "site"  # a site code of the organization filtered on
    MEETING_BODY = "meeting_body"  # a meeting body code of the plan file
    CHOICE = "choice"  # one of `choices`


@dataclass(frozen=True)
class FilterSpec:
    kind: FilterKind
    label: str
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class ComputationSpec:
    name: str
    label: str
    filters: dict[str, FilterSpec] = field(default_factory=dict)


_REGISTRY: dict[str, ComputationSpec] = {}


def register_computation(spec: ComputationSpec) -> None:
    """Add a computation's name and filters (done once, at start-up)."""
    _REGISTRY[spec.name] = spec


def computation_spec(name: str) -> ComputationSpec | None:
    return _REGISTRY.get(name)


def computation_specs() -> list[ComputationSpec]:
    return list(_REGISTRY.values())
