"""A centre is grouped only under a line of its own city, one level deep."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from tsunagu.organizations.models import Municipality, Organization


def test_a_centre_cannot_be_grouped_under_another_citys_line(
    city: Municipality, other_city: Municipality
) -> None:
    centre = Organization.objects.get(municipality=city, code="hokatsu-kita")
    centre.group = Organization.objects.get(municipality=other_city, code="soudan")
    with pytest.raises(ValidationError, match="他の市"):
        centre.full_clean()


def test_grouping_is_one_level_and_not_under_itself(city: Municipality) -> None:
    line = Organization.objects.get(municipality=city, code="jiritsu-soudan")
    centre = Organization.objects.get(municipality=city, code="hokatsu-kita")
    centre.group = centre
    with pytest.raises(ValidationError, match="自分自身"):
        centre.full_clean()
    line.group = Organization.objects.get(municipality=city, code="shogai-soudan")
    line.save()
    centre.group = line
    with pytest.raises(ValidationError, match="一段"):
        centre.full_clean()
