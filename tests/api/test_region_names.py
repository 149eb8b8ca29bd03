"""Regions as people read them."""

from __future__ import annotations

from api.region_names import region_name


def test_a_region_id_is_written_out_as_a_name() -> None:
    assert region_name("north-germany") == "North Germany"
    assert region_name("switzerland") == "Switzerland"
    assert region_name("upper_bavaria") == "Upper Bavaria"


def test_a_region_already_written_as_a_name_stays_as_it_is() -> None:
    assert region_name("Île-de-France") == "Île-de-France"
    assert region_name("north of england") == "north of england"
