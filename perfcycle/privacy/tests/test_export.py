"""The personal-data export: every section, nothing of anonymous reviewers, nothing not
yet released, safe spreadsheet cells, audited, and a fixed number of queries."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from perfcycle.accounts.models import User
from perfcycle.audit.models import AuditEvent
from perfcycle.core.errors import Forbidden
from perfcycle.org.models import Employee
from perfcycle.privacy.selectors import COVERAGE, SECTIONS, personal_data
from perfcycle.privacy.services import personal_data_export
from perfcycle.privacy.tests.conftest import add_goals


def unpack(blob: bytes) -> dict[str, bytes]:
    """Every member of the ZIP, and every member of the XLSX inside it, decompressed."""
    files: dict[str, bytes] = {}
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        for name in archive.namelist():
            files[name] = archive.read(name)
    with zipfile.ZipFile(io.BytesIO(files["data.xlsx"])) as book:
        for name in book.namelist():
            files[f"data.xlsx/{name}"] = book.read(name)
    return files


def sections(blob: bytes) -> dict[str, list[dict]]:
    document = json.loads(unpack(blob)["data.json"])
    return {key: section["rows"] for key, section in document["sections"].items()}


def test_the_archive_holds_json_xlsx_and_a_readme_in_both_languages(world):
    files = unpack(personal_data_export(actor=world.company.hr, employee=world.person))
    assert {"README.txt", "data.json", "data.xlsx"} <= set(files)
    readme = files["README.txt"].decode()
    assert "Personal data held by Perfcycle" in readme
    assert "GDPR" in readme and "PIPL" in readme
    for info in SECTIONS:
        assert info.key in readme
    document = json.loads(files["data.json"])
    assert document["format"] == "perfcycle-personal-data/1"
    assert document["requested_by"] == "hr"
    assert list(document["sections"]) == [info.key for info in SECTIONS]
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(files["data.xlsx"]), read_only=True)
    assert len(book.sheetnames) == len(SECTIONS)


def test_every_section_has_the_persons_rows(world):
    rows = sections(personal_data_export(actor=world.company.hr, employee=world.person))
    # He heads and calibrates nothing, and imported nothing.
    nothing = {"roles", "imports_uploaded"}
    expected_nonempty = {info.key for info in SECTIONS} - nothing
    empty = {key for key in expected_nonempty if not rows[key]}
    assert not empty, empty
    assert rows["person"][0]["name"] == "Dan Direct"
    assert rows["person"][0]["job_title"] == "Senior sales"
    assert "password" not in json.dumps(rows["account"])
    assert rows["account"][0]["username"] == "direct"
    assert {g["title"] for g in rows["goals"]} == {"Win 20 new customers", "Cut response time"}
    assert rows["actuals"][0]["value"] == "7.5000"  # decimals as text
    assert rows["cycle_participations"][0]["manager"] == "Mia Manager"
    assert rows["check_ins"][0]["private_notes"].startswith("Private:")
    assert rows["observations_about"][0]["text"] == "Calmed an angry customer on the phone"
    assert rows["observations_written"][0]["about"] == "Ivy Indirect"
    assert rows["feedback_received"][0]["giver"] == "Sam Stranger"
    assert rows["reviews_written"][0]["reviewee"] == "Sam Stranger"
    assert rows["review_ratings_written"][0]["comment"] == "Sam is great"
    assert rows["bonus_lines"][0]["final_amount"] == "3600.00"
    assert rows["proposals"][0]["proposed_title"] == "Team lead"
    assert rows["retrospective_answers"][0]["comment"] == "My manager's coaching helped me"
    assert rows["appeal_attachments"][0]["name"] == "doctor-note.txt"
    # The audit trail: HR's change of his record, in full.
    change = next(e for e in rows["audit_events"] if e["object_type"] == "org.employee")
    assert change["after"] == {"job_title": "Senior sales"}
    assert rows["results"][0]["released_at"].startswith("2026-04-10")  # ISO dates


def test_peer_reviewers_are_numbered_never_named(world):
    blob = personal_data_export(actor=world.company.hr, employee=world.person)
    rows = sections(blob)
    about = [r for r in rows["reviews_about"] if r["cycle"] == "2026 Q1"]
    by_source = {}
    for row in about:
        by_source.setdefault(row["source"], []).append(row["reviewer"])
    assert by_source["self-review"] == ["Dan Direct"]
    assert by_source["manager"] == ["Mia Manager"]
    assert sorted(by_source["peer"]) == ["Peer 1", "Peer 2", "Peer 3"]
    peer_rows = [r for r in about if r["source"] == "peer"]
    assert all(r["submitted_at"] is None for r in peer_rows)
    # Their words are there; who wrote them is not, anywhere in any file.
    comments = {r["comment"] for r in rows["review_ratings_about"]}
    assert {"Peer says 0", "Peer says 1", "Peer says 2", "MY-SELF-COMMENT"} <= comments
    everything = b"\n".join(unpack(blob).values()).decode("utf-8", "replace").casefold()
    for peer in world.peers:
        for text in (peer.name, peer.employee_number, peer.user.username, peer.email):
            assert text.casefold() not in everything, text
    # The same order every time.
    again = sections(personal_data_export(actor=world.company.hr, employee=world.person))
    assert again["review_ratings_about"] == rows["review_ratings_about"]


def test_peers_below_the_anonymity_minimum_are_withheld(world):
    from perfcycle.evaluation.models import ReviewForm

    ReviewForm.objects.filter(reviewer=world.peers[0]).delete()
    rows = sections(personal_data_export(actor=world.company.hr, employee=world.person))
    peer_rows = [r for r in rows["reviews_about"] if r["source"] == "peer"]
    assert len(peer_rows) == 1 and peer_rows[0]["status"] == "withheld"
    assert "2 form(s) withheld" in peer_rows[0]["summary"]
    comments = {r["comment"] for r in rows["review_ratings_about"]}
    assert not any(c.startswith("Peer says") for c in comments)


def test_nothing_unreleased_reaches_the_export(world):
    blob = personal_data_export(actor=world.company.hr, employee=world.person)
    text = unpack(blob)["data.json"].decode()
    rows = sections(blob)
    assert [r["cycle"] for r in rows["results"]] == ["2026 Q1"]
    assert [r["cycle"] for r in rows["scores"]] == ["2026 Q1"]
    for secret in ("43.21", "UNRELEASED-MANAGER-NOTE", "UNRELEASED-ADJUSTMENT", "777.77"):
        assert secret not in text, secret
    # His own Q2 self-review is his own words: it is there.
    assert "Q2 self words" in text
    # Once Q2 is released, it all appears.
    world.result_q2.released_at = world.result_q1.released_at
    world.result_q2.save(update_fields=["released_at"])
    text = unpack(personal_data_export(actor=world.company.hr, employee=world.person))[
        "data.json"
    ].decode()
    assert "43.21" in text and "UNRELEASED-MANAGER-NOTE" in text


def test_formula_like_text_stays_text_in_the_spreadsheet(world):
    from openpyxl import load_workbook

    blob = personal_data_export(actor=world.company.hr, employee=world.person)
    book = load_workbook(io.BytesIO(unpack(blob)["data.xlsx"]), read_only=True)
    sheet = book["Actuals"]
    values = [cell for row in sheet.iter_rows(values_only=True) for cell in row]
    assert '\'=HYPERLINK("http://x")' in values
    assert not any(isinstance(v, str) and v.startswith("=") for v in values)


def test_the_export_is_audited(world):
    personal_data_export(actor=world.company.hr, employee=world.person)
    event = AuditEvent.objects.get(object_type="privacy.export")
    assert event.object_id == str(world.person.pk)
    assert event.actor == world.company.hr
    assert event.after["requested_by"] == "hr"
    assert event.after["rows"]["goals"] == 2


def test_only_hr_and_the_person_may_export(world):
    company = world.company
    personal_data_export(actor=company.user("direct"), employee=world.person)
    assert AuditEvent.objects.get(object_type="privacy.export").after["requested_by"] == "self"
    for other in ("manager", "indirect", "stranger", "top"):
        with pytest.raises(Forbidden):
            personal_data_export(actor=company.user(other), employee=world.person)


def test_a_fixed_number_of_queries_however_many_goals(world):
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            personal_data(world.person)
        return len(ctx.captured_queries)

    add_goals(world, 0)
    few = count()
    add_goals(world, 18)
    assert len(personal_data(world.person).sections["goals"]) == 20
    assert count() == few


def test_every_reference_to_a_person_is_covered():
    """A new foreign key to an employee or a login must be placed in a section (or be
    named as someone acting on others' records): the export stays complete."""
    found = set()
    for model in apps.get_models():
        if model._meta.app_label in {"auth", "contenttypes", "sessions"}:
            continue
        for f in model._meta.get_fields():
            if f.concrete and f.is_relation and f.related_model in (Employee, User):
                found.add((model._meta.label, f.name))
    assert found == set(COVERAGE)
    keys = {info.key for info in SECTIONS}
    assert {v for v in COVERAGE.values() if v not in {"acted", "bookkeeping"}} <= keys
