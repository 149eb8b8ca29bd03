"""The report's CSV and PDF renderers on ready-made reports: sections, figures, edge cases."""

from __future__ import annotations

import csv
import io
import re
import zlib

from api.report_csv import render_csv
from api.report_pdf import render_pdf
from tests.api.report_factories import line_report


def csv_sections(body: bytes) -> dict[str, list[list[str]]]:
    """Section title -> its rows, the header row first."""
    assert body.startswith(b"\xef\xbb\xbf"), "spreadsheets need the BOM to read UTF-8"
    sections: dict[str, list[list[str]]] = {}
    current: list[list[str]] | None = None
    for row in csv.reader(io.StringIO(body.decode("utf-8-sig"))):
        if not row:
            current = None
        elif current is None:
            current = sections.setdefault(row[0], [])
        else:
            current.append(row)
    return sections


def pdf_text(body: bytes) -> str:
    """The text drawn on the PDF's pages, from its compressed content streams."""
    streams = re.findall(rb"stream\r?\n(.*?)\r?\nendstream", body, flags=re.DOTALL)
    text = []
    for stream in streams:
        try:
            text.append(zlib.decompress(stream).decode("latin-1"))
        except zlib.error:
            continue
    return "\n".join(text)


def pdf_pages(body: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b", body))


def test_csv_has_every_section_in_order() -> None:
    sections = csv_sections(render_csv(line_report()))
    assert list(sections) == [
        "LineCare OEE report",
        "Summary",
        "Six big losses",
        "Trend by day",
        "Shift comparison",
        "Downtime Pareto",
        "MTBF and MTTR",
        "Downtimes",
    ]
    facts = dict((row[0], row[1]) for row in sections["LineCare OEE report"][1:])
    assert facts["Customer"] == "Nordbrau GmbH"
    assert facts["From"] == "2026-02-23T06:00:00+01:00"  # plant time, with the offset


def test_csv_summary_and_losses_name_line_and_machines() -> None:
    sections = csv_sections(render_csv(line_report()))
    header, *rows = sections["Summary"]
    assert header[:7] == [
        "Subject",
        "Name",
        "Availability %",
        "Performance %",
        "Quality %",
        "OEE %",
        "Data problem",
    ]
    assert [row[:2] for row in rows] == [
        ["line", "Filling line 1"],
        ["machine", "Filler"],
        ["machine", "Capper"],
    ]
    assert rows[0][2:7] == ["80.0", "90.0", "97.0", "69.8", ""]
    assert rows[0][header.index("Unknown h")] == "1.50"
    losses = sections["Six big losses"][1:]
    assert len(losses) == 3 * 6
    assert losses[0][2:5] == ["Breakdowns", "availability", "1.00"]


def test_csv_shows_a_flagged_performance_as_a_data_problem_not_a_figure() -> None:
    sections = csv_sections(render_csv(line_report(machine_flagged=True)))
    capper = sections["Summary"][3]
    assert capper[1] == "Capper"
    assert capper[3] == capper[5] == ""
    assert capper[6].startswith("performance above 100 %")
    trend = sections["Trend by day"][1:]
    assert len(trend) == 7
    assert trend[2][4] == "" and trend[2][6] == "" and trend[2][7].startswith("performance")
    assert trend[4][3:8] == ["", "", "", "", "no data"]


def test_csv_lists_stops_and_says_when_there_are_more() -> None:
    sections = csv_sections(render_csv(line_report(stops=4, truncated=True)))
    title = next(t for t in sections if t.startswith("Downtimes"))
    assert title == "Downtimes (the first 500; the range holds more)"
    header, *rows = sections[title]
    assert header == [
        "Machine",
        "Start",
        "End",
        "Minutes",
        "Lost minutes",
        "Category",
        "Fault code",
        "Reason",
    ]
    assert rows[1] == [
        "Filler",
        "2026-02-23T11:00:00+01:00",
        "2026-02-23T11:11:00+01:00",
        "11.0",
        "11.0",
        "breakdown",
        "101",
        "Bearing failure",
    ]
    assert len(rows) == 4


def test_csv_keeps_non_ascii_names() -> None:
    sections = csv_sections(render_csv(line_report(customer_name="Nordbräu GmbH")))
    assert ["Customer", "Nordbräu GmbH"] in sections["LineCare OEE report"]


def test_pdf_holds_line_customer_period_and_figures() -> None:
    body = render_pdf(line_report(machine_flagged=True))
    assert body.startswith(b"%PDF-")
    assert len(body) > 5_000
    text = pdf_text(body)
    for expected in ("Filling line 1", "Nordbrau GmbH", "23 Feb 2026 06:00", "69.8 %"):
        assert expected in text
    assert "data problem" in text
    assert "Bearing failure" in text
    assert "Six big losses of the line" in text


def test_pdf_of_a_range_without_results_says_so() -> None:
    body = render_pdf(line_report(empty=True))
    assert body.startswith(b"%PDF-")
    text = pdf_text(body)
    assert "No OEE results in this range" in text
    assert "No stops in this range." in text


def test_pdf_replaces_characters_its_fonts_cannot_set() -> None:
    body = render_pdf(line_report(customer_name="Nordbräu \u2013 \u5317\u4eac"))
    text = pdf_text(body)
    assert "(Nordbräu - ?? · Hamburg brewery" in text


def test_pdf_of_many_stops_goes_on_over_pages() -> None:
    body = render_pdf(line_report(period="shift", points=21, stops=400))
    assert pdf_pages(body) >= 2
    assert "The 25 of 400 stops that cost most time" in pdf_text(body)
