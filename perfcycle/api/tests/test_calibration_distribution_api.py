"""The guideline and the distribution over the API: settings with versions (409), bad
shares (422), the distribution per reader, preparing results."""

from __future__ import annotations

import json

from perfcycle.calibration.tests.test_distribution import SABCD, build

API = "/api/v1"


def send(client, method, url, body=None):
    return getattr(client, method)(
        url, json.dumps(body) if body is not None else None, content_type="application/json"
    )


def test_settings_get_put_with_version(company, as_user):
    cycle, _r = build(company)
    hr = as_user(company.hr)
    url = f"{API}/cycles/{cycle.pk}/calibration-settings"
    got = hr.get(url).json()
    assert got["grades"] == ["S", "A", "B", "C", "D"] and got["version"] is None
    assert "sabcd" in got["presets"]
    saved = send(hr, "put", url, {"shares": SABCD, "tolerance": "4", "strict": True})
    assert saved.status_code == 200, saved.content
    body = saved.json()
    assert body["strict"] and float(body["shares"]["B"]) == 50 and float(body["tolerance"]) == 4
    version = body["version"]
    stale = send(hr, "put", url, {"strict": False, "version": version - 1})
    assert stale.status_code == 409
    fresh = send(hr, "put", url, {"strict": False, "version": version})
    assert fresh.status_code == 200 and fresh.json()["strict"] is False


def test_settings_bad_input(company, as_user):
    cycle, _r = build(company)
    hr = as_user(company.hr)
    url = f"{API}/cycles/{cycle.pk}/calibration-settings"
    short = send(hr, "put", url, {"shares": {"S": 10, "A": 20}})
    assert short.status_code == 422 and "shares" in short.json()["error"]["details"]["fields"]
    unknown = send(hr, "put", url, {"shares": {"Z": 100}})
    assert unknown.status_code == 422
    assert send(as_user(company.user("manager")), "put", url, {"strict": True}).status_code == 403
    assert as_user(company.user("direct")).get(url).status_code == 403


def test_distribution_per_reader(company, as_user):
    cycle, _r = build(company)
    send(
        as_user(company.hr),
        "put",
        f"{API}/cycles/{cycle.pk}/calibration-settings",
        {"shares": SABCD},
    )
    url = f"{API}/cycles/{cycle.pk}/distribution"
    everyone = as_user(company.hr).get(url).json()
    assert everyone["overall"]["total"] == 4 and everyone["has_guideline"]
    assert everyone["overall"]["off_grades"] == ["S", "C"]
    assert {d["label"] for d in everyone["departments"]} == {"Sales", "Other"}
    line = as_user(company.user("manager")).get(url).json()
    assert line["overall"]["total"] == 2
    assert [d["label"] for d in line["departments"]] == ["Sales"]
    assert as_user(company.user("indirect")).get(url).status_code == 403


def test_prepare(company, as_user):
    cycle, _r = build(company)
    url = f"{API}/cycles/{cycle.pk}/results/prepare"
    none_stored = send(as_user(company.hr), "post", url)
    assert none_stored.status_code == 400
    assert none_stored.json()["error"]["code"] == "no_scores"
    assert send(as_user(company.user("manager")), "post", url).status_code == 403
