"""Checks on rendered pages shared by the page tests: is this page usable on a phone?"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)
UNLABELLED_INPUTS = frozenset({"hidden", "submit", "button", "reset", "image"})


@dataclass
class PageFacts:
    viewport: bool = False
    tables: int = 0
    tables_without_scroll: int = 0
    labels_for: set[str] = field(default_factory=set)
    # (id, name, wrapped in a label or aria-labelled)
    controls: list[tuple[str | None, str | None, bool]] = field(default_factory=list)

    @property
    def unlabelled(self) -> list[str]:
        return [
            f"{name or '?'} (id={control_id})"
            for control_id, name, wrapped in self.controls
            if not wrapped and control_id not in self.labels_for
        ]


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.facts = PageFacts()
        self.open: list[tuple[str, dict[str, str]]] = []

    def _inside(self, tag: str, css_class: str = "") -> bool:
        return any(
            t == tag and (not css_class or css_class in (a.get("class") or "").split())
            for t, a in self.open
        )

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        facts = self.facts
        if tag == "meta" and a.get("name") == "viewport":
            facts.viewport = "width=device-width" in a.get("content", "")
        elif tag == "label" and a.get("for"):
            facts.labels_for.add(a["for"])
        elif tag == "table":
            facts.tables += 1
            if not self._inside("div", "table-wrap"):
                facts.tables_without_scroll += 1
        elif tag in {"input", "select", "textarea"} and not (
            tag == "input" and a.get("type", "text") in UNLABELLED_INPUTS
        ):
            wrapped = self._inside("label") or bool(a.get("aria-label"))
            facts.controls.append((a.get("id"), a.get("name"), wrapped))
        if tag not in VOID:
            self.open.append((tag, a))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.open.pop()

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.open) - 1, -1, -1):
            if self.open[index][0] == tag:
                del self.open[index:]
                return


def page_facts(html: str) -> PageFacts:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader.facts


def assert_phone_ready(html: str) -> PageFacts:
    """The viewport is set, every table scrolls sideways, every field has a label."""
    facts = page_facts(html)
    assert facts.viewport, "no <meta name=viewport content=width=device-width>"
    assert facts.tables_without_scroll == 0, "a <table> is not inside <div class=table-wrap>"
    assert not facts.unlabelled, f"fields without a label: {facts.unlabelled}"
    return facts
