"""Reading the catalogue and the installed base: every bad row reported, nothing imported."""

from __future__ import annotations

from decimal import Decimal

from alerts.parts_catalogue_import import read_catalogue, read_installed_base
from models.parts import PartClass, PartFit
from tests.fixtures.fix_database import PLANT_FILE

HEADER = (
    "part_number,description,class,serialized,unit_cost,currency,supplier,lead_time_days,fits\n"
)


def test_the_shipped_catalogue_and_installed_base_read_cleanly() -> None:
    catalogue = read_catalogue((PLANT_FILE.parent / "parts_catalogue.csv").read_text())
    parts = {part.part_number: part for part in catalogue.rows}
    base = read_installed_base(
        (PLANT_FILE.parent / "installed_base.csv").read_text(),
        machine_models={
            "l1-filler": "FIL-12",
            "l1-capper": "CAP-6",
            "l1-labeller": "LAB-2",
            "l2-filler": "FIL-12",
            "l2-capper": "CAP-6",
            "l2-labeller": "LAB-2",
            "l3-erector": "CE-4",
            "l3-packer": "PK-9",
            "l3-sealer": "SL-3",
        },
        catalogue=parts,
    )

    assert catalogue.errors == () and base.errors == ()
    kit = parts["FIL12-BRG-KIT"]
    assert (kit.part_class, kit.serialized, kit.unit_cost.amount, kit.lead_time_days) == (
        PartClass.CRITICAL,
        True,
        Decimal("1480.00"),
        21,
    )
    assert kit.fits == (PartFit("FIL-12", "main-drive"),)
    assert len(parts["SENS-PX-M18"].fits) == 6
    assert len(base.rows) == 17


def test_every_bad_row_is_reported_with_its_line_and_nothing_is_imported() -> None:
    text = HEADER + (
        "GOOD-1,Good part,wear,no,10.00,EUR,Acme,3,FIL-12:drive\n"
        "bad number,Lower case,wear,no,1,EUR,Acme,3,\n"
        "GOOD-2,Odd class,spare,no,1,EUR,Acme,3,\n"
        "GOOD-3,Cost,wear,no,ten,EUR,Acme,3,\n"
        "\n"
        "GOOD-4,Currency,wear,maybe,1,euro,Acme,3,\n"
        "GOOD-1,Twice,wear,no,1,EUR,Acme,3,\n"
        "GOOD-5,Fit,wear,no,1,EUR,Acme,three,FIL-12\n"
    )

    result = read_catalogue(text)

    assert result.rows == ()
    assert [(e.line, e.message.split(" ")[0]) for e in result.errors] == [
        (3, "part"),
        (4, "class"),
        (5, "unit_cost"),
        (7, "serialized"),
        (8, "GOOD-1"),
        (9, "lead_time_days"),
    ]
    assert str(result.errors[4]) == "line 8: GOOD-1 is listed on line 2"


def test_a_file_without_the_columns_says_which_are_missing() -> None:
    result = read_catalogue("part_number,description\nA-1,x\n")

    assert [str(e) for e in result.errors] == [
        "line 1: missing columns: class, serialized, unit_cost, currency, supplier,"
        " lead_time_days, fits"
    ]


def test_installed_parts_must_fit_their_machine_and_be_serialized_as_the_catalogue_says() -> None:
    catalogue = read_catalogue(
        HEADER
        + "KIT-1,Kit,critical,yes,1,EUR,Acme,3,FIL-12:drive\n"
        + "SEAL-1,Seal,wear,no,1,EUR,Acme,3,FIL-12:valves\n"
    )
    parts = {part.part_number: part for part in catalogue.rows}
    text = (
        "machine_id,position,part_number,serial,quantity,installed_at\n"
        "m1,drive,KIT-1,K-1,1,2025-01-01T00:00:00+00:00\n"
        "m1,valves,KIT-1,K-2,1,2025-01-01T00:00:00+00:00\n"
        "m1,drive,KIT-1,K-3,1,2025-01-01T00:00:00+00:00\n"
        "m2,drive,KIT-1,K-4,1,2025-01-01T00:00:00+00:00\n"
        "m1,valves,SEAL-1,S-1,1,2025-01-01T00:00:00+00:00\n"
        "m1,valves,SEAL-1,,2,2025-01-01\n"
    )

    result = read_installed_base(text, machine_models={"m1": "FIL-12"}, catalogue=parts)

    assert result.rows == ()
    assert [str(e) for e in result.errors] == [
        "line 3: KIT-1 does not fit a FIL-12 at 'valves'",
        "line 4: m1 at drive is filled on line 2",
        "line 5: no machine 'm2' in the plant file",
        "line 6: SEAL-1 is not serialized",
        "line 7: installed_at needs a time zone, e.g. 2025-03-01T08:00:00+00:00",
    ]
