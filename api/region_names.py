"""A region as people read it: the plant file and engineer profiles give regions as ids
("north-germany") and no names, so the id is written out ("North Germany")."""

from __future__ import annotations


def region_name(region: str) -> str:
    """ "north-germany" → "North Germany"; a region already written as a name stays as it is."""
    if region != region.lower() or " " in region:
        return region
    return " ".join(word.capitalize() for word in region.replace("_", "-").split("-") if word)
