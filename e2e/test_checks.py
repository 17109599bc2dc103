"""The page checks of the walk find what they look for: a page with every fault is refused,
and the same page with the faults mended passes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from e2e.browser import DESKTOP, PageChecks, Person

BROKEN = """<!DOCTYPE html><html lang="zh-hans"><head><title>目标</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head><body><main>
<h1>目标</h1>
<form><input name="target"><select name="unit"><option>个</option></select>
<button type="submit"></button><a href="/plan/"></a><img src="/x.png"></form>
<p>Save 保存</p>
<div style="width: 900px">很宽的内容</div>
</main></body></html>"""

MENDED = """<!DOCTYPE html><html lang="zh-hans"><head><title>目标</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head><body><main>
<h1>目标</h1>
<form><label for="t">目标值</label><input id="t" name="target">
<label>单位 <select name="unit"><option>个</option></select></label>
<button type="submit" aria-label="保存"></button><a href="/plan/">计划</a><img src="/x.png" alt="">
</form>
<p>保存 <code>employee_number</code> CSV</p>
<div class="table-wrap" style="overflow-x: auto"><div style="width: 900px">很宽的内容</div></div>
</main></body></html>"""


@pytest.fixture
def person(browser, db) -> Iterator[Person]:
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    yield Person("someone", context, context.new_page(), "http://localhost", "zh-hans")
    context.close()


def test_a_page_with_every_fault_is_refused(person: Person, tmp_path: Path) -> None:
    check = PageChecks(tmp_path, "zh-hans")
    person.page.set_content(BROKEN)
    check(person, "broken")
    found = "\n".join(check.problems)
    assert "field without a label: input[name=target]" in found
    assert "field without a label: select[name=unit]" in found
    assert "button without a name" in found or "no accessible name: button" in found
    assert "no accessible name: a[href=/plan/]" in found
    assert "image without alt" in found
    assert "wider than a 390px phone" in found
    assert "English left on a Chinese page: ['Save']" in found
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "zh-hans-01-broken-1280.png",
        "zh-hans-01-broken-390.png",
    ]


def test_the_same_page_mended_passes(person: Person, tmp_path: Path) -> None:
    check = PageChecks(tmp_path, "zh-hans")
    person.page.set_content(MENDED)
    check(person, "mended")
    assert check.problems == []
