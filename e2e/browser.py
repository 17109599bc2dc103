"""What the browser tests share: a person signed in in their own browser context, and the
checks run on every main page (screenshots at two widths, labels and names, no English
on a Chinese page, no sideways scrolling on a phone)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from perfcycle.core.tests.test_translations import english_left

PASSWORD = "demo-Loop-2026"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

# Run in the page: every control, button, link and image that a screen reader could not
# name. A control is named by a <label for>, a wrapping <label>, aria-label or
# aria-labelledby (title counts for a last resort, as browsers do); a button or link by
# its text, aria-label, aria-labelledby, title, or an image inside it with alt text.
ACCESSIBILITY_CHECK = """
() => {
  const problems = [];
  const visible = (el) => el.getClientRects().length > 0 || el.type === 'radio'
    || el.type === 'checkbox';
  const describe = (el) => {
    const bits = [el.tagName.toLowerCase()];
    if (el.id) bits.push('#' + el.id);
    if (el.name) bits.push('[name=' + el.name + ']');
    if (el.getAttribute('href')) bits.push('[href=' + el.getAttribute('href') + ']');
    return bits.join('') + ' ' + (el.outerHTML || '').slice(0, 120);
  };
  const byIds = (ids) => ids.split(/\\s+/).map((id) => document.getElementById(id))
    .filter(Boolean).map((el) => el.textContent.trim()).join(' ').trim();
  const labelled = (el) => {
    if ((el.getAttribute('aria-label') || '').trim()) return true;
    const by = el.getAttribute('aria-labelledby');
    if (by && byIds(by)) return true;
    if (el.labels && Array.from(el.labels).some((l) => l.textContent.trim())) return true;
    return !!(el.getAttribute('title') || '').trim();
  };
  for (const el of document.querySelectorAll('input, select, textarea')) {
    const type = (el.getAttribute('type') || 'text').toLowerCase();
    if (['hidden', 'submit', 'button', 'reset', 'image'].includes(type)) {
      if (['submit', 'button', 'reset'].includes(type) && !(el.value || '').trim()
          && !labelled(el)) problems.push('button without a name: ' + describe(el));
      continue;
    }
    if (!visible(el) && el.closest('details:not([open])') === null) continue;
    if (!labelled(el)) problems.push('field without a label: ' + describe(el));
  }
  const named = (el) => {
    if (labelled(el)) return true;
    if (el.textContent.trim()) return true;
    return Array.from(el.querySelectorAll('img[alt], svg[aria-label], [aria-label]'))
      .some((i) => (i.getAttribute('alt') || i.getAttribute('aria-label') || '').trim());
  };
  for (const el of document.querySelectorAll('button, a[href], [role=button], [role=link]')) {
    if (!named(el)) problems.push('no accessible name: ' + describe(el));
  }
  for (const el of document.querySelectorAll('img')) {
    if (!el.hasAttribute('alt')) problems.push('image without alt: ' + describe(el));
  }
  for (const el of document.querySelectorAll('svg')) {
    const decorative = el.getAttribute('aria-hidden') === 'true'
      || el.getAttribute('role') === 'presentation' || el.closest('[aria-hidden=true]');
    const name = (el.getAttribute('aria-label') || '').trim()
      || (el.getAttribute('aria-labelledby') && byIds(el.getAttribute('aria-labelledby')))
      || (el.querySelector('title') && el.querySelector('title').textContent.trim());
    if (!decorative && !name && el.closest('a, button') === null) {
      problems.push('chart without a name: ' + describe(el));
    }
  }
  if (!document.documentElement.getAttribute('lang')) problems.push('page without lang');
  if (!document.title.trim()) problems.push('page without a title');
  if (!document.querySelector('h1')) problems.push('page without a heading');
  return problems;
}
"""

# Run in the page: what sticks out to the right of a phone's screen (and is not inside
# something that scrolls or clips it), outermost first.
OVERFLOW_CHECK = """
() => {
  const width = document.documentElement.clientWidth;
  const out = [];
  const clipped = (el) => {
    // An absolutely placed box escapes a scrolling ancestor unless that one is placed too.
    if (['absolute', 'fixed'].includes(getComputedStyle(el).position)) return false;
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const style = getComputedStyle(p);
      if (['auto', 'scroll', 'hidden', 'clip'].includes(style.overflowX)) return true;
    }
    return false;
  };
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.width && box.right > width + 1 && !clipped(el)
        && !out.some((o) => o.el.contains(el))) {
      out.push({el, right: Math.round(box.right)});
    }
  }
  return out.slice(0, 3).map((o) => {
    const el = o.el;
    const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
      + (el.className && typeof el.className === 'string'
         ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
    return name + ' reaches ' + o.right + 'px: ' + (el.textContent || '').trim().slice(0, 60);
  });
}
"""

# The text a person reads or hears: every text node but scripts, styles and <code> (file
# columns, codes: technical, as the translation tests treat them), and the attributes that
# are shown or read out (the same attributes those tests read).
VISIBLE_TEXT = """
() => {
  const parts = [document.title];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {
    acceptNode: (node) => node.parentElement.closest('script, style, code, template, noscript')
      ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT,
  });
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.nodeValue.trim()) parts.push(node.nodeValue.trim());
  }
  for (const el of document.querySelectorAll('[title], [placeholder], [aria-label], img[alt]')) {
    for (const name of ['title', 'placeholder', 'aria-label', 'alt']) {
      const value = el.getAttribute(name);
      if (value) parts.push(value);
    }
  }
  for (const el of document.querySelectorAll('input[type=submit], input[type=button]')) {
    if (el.value) parts.push(el.value);
  }
  return parts.join('\\n');
}
"""


@dataclass
class Person:
    """Someone signed in in their own browser (cookies, language), with one tab."""

    login: str
    context: Any
    page: Any
    base_url: str
    language: str

    def url(self, path: str) -> str:
        return path if path.startswith("http") else self.base_url + path

    def go(self, path: str) -> Any:
        response = self.page.goto(self.url(path))
        assert response is not None and response.ok, f"{self.login}: {path} → {response.status}"
        return self.page

    def submit(self, selector: str = "form[method=post] button.primary") -> Any:
        """Click a submit button in the page's main part (not the top bar's sign-out
        button) and wait for the page it leads to."""
        with self.page.expect_navigation():
            self.page.locator("main").locator(selector).first.click()
        return self.page

    def post(self, action: str, button: str = "button[type=submit]") -> Any:
        """Submit the form whose action ends with ``action``."""
        return self.submit(f'form[action$="{action}"] {button}')

    def fill(self, values: dict[str, Any], form: str = "form[method=post]") -> None:
        """Type into the fields of the main part's first form matching ``form``."""
        fields = self.page.locator("main").locator(form).first
        for name, value in values.items():
            fields.locator(f'[name="{name}"]').fill(str(value))

    def choose(
        self,
        name: str,
        *,
        label: str | None = None,
        value: Any = None,
        form: str = "form",
    ) -> None:
        """Pick an option of a select by its value or by a part of its text."""
        select = self.page.locator("main").locator(form).locator(f'select[name="{name}"]').first
        if value is not None:
            select.select_option(value=str(value))
            return
        option = select.locator("option", has_text=label).first
        select.select_option(value=option.get_attribute("value"))

    def ok(self) -> Any:
        """The page shows no error: no error list, no field error, no error message."""
        page = self.page
        errors = page.locator(".errors, small.error, ul.messages li.error")
        if errors.count():
            texts = " | ".join(errors.all_inner_texts())
            raise AssertionError(f"{self.login} on {page.url}: {texts}")
        return page

    def succeeded(self) -> Any:
        """The page says the action succeeded (Django's success message) and shows no error."""
        self.ok()
        assert self.page.locator("ul.messages li.success").count(), (
            f"{self.login} on {self.page.url}: no success message"
        )
        return self.page


@dataclass
class PageChecks:
    """Screenshots, accessibility and language checks of the main pages of a walk."""

    folder: Path
    language: str
    checked: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        # This walk's screenshots replace an earlier run's, whose pages may have differed.
        for old in self.folder.glob(f"{self.language}-[0-9][0-9]-*.png"):
            old.unlink()

    def __call__(self, person: Person, name: str, technical: tuple[str, ...] = ()) -> None:
        """Check the page ``person`` has open. ``technical``: words that this page may show
        in Latin letters in Chinese too (e.g. a file's column names, typed as they are)."""
        page = person.page
        page.wait_for_load_state("load")
        where = f"{name} ({person.login}, {page.url})"
        number = len(self.checked) + 1
        for size, label in ((DESKTOP, "desktop"), (PHONE, "phone")):
            page.set_viewport_size(size)
            path = self.folder / f"{self.language}-{number:02d}-{name}-{size['width']}.png"
            page.screenshot(path=str(path), full_page=True)
            if label == "phone":
                overflow = page.evaluate(
                    "() => document.documentElement.scrollWidth - window.innerWidth"
                )
                if overflow > 1:
                    culprits = page.evaluate(OVERFLOW_CHECK)
                    self.problems.append(
                        f"{where}: {overflow}px wider than a 390px phone: {culprits}"
                    )
        page.set_viewport_size(DESKTOP)
        self.problems += [f"{where}: {p}" for p in page.evaluate(ACCESSIBILITY_CHECK)]
        if self.language == "zh-hans":
            lang = page.evaluate("() => document.documentElement.lang")
            if lang != "zh-hans":
                self.problems.append(f"{where}: <html lang={lang!r}> on a Chinese page")
            text = page.evaluate(VISIBLE_TEXT)
            for word in technical:
                text = re.sub(rf"(?<![A-Za-z_]){re.escape(word)}(?![A-Za-z_])", " ", text)
            left = english_left(text)
            if left:
                self.problems.append(f"{where}: English left on a Chinese page: {left}")
        self.checked.append(name)


def context_options(language: str) -> dict[str, Any]:
    """A desktop browser in the company's time zone asking for ``language`` first."""
    return {
        "viewport": DESKTOP,
        "locale": "zh-CN" if language == "zh-hans" else "en-GB",
        "timezone_id": "Asia/Shanghai",
    }


def sign_in(browser: Any, base_url: str, login: str, language: str) -> Person:
    context = browser.new_context(**context_options(language))
    context.set_default_timeout(30_000)
    page = context.new_page()
    person = Person(login, context, page, base_url, language)
    person.go("/login/")
    page.fill("#id_username", login)
    page.fill("#id_password", PASSWORD)
    person.submit("form button.primary")
    assert "/login/" not in page.url, f"{login} could not sign in"
    return person


def tab_to(page: Any, target: Any, limit: int = 150) -> None:
    """Press Tab from the top of the page until ``target`` (a locator) has the focus, as
    someone without a mouse would; fail if it cannot be reached."""
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); }")
    page.locator("body").focus()
    handle = target.element_handle()
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(el) => document.activeElement === el", handle):
            return
    raise AssertionError(f"Tab never reached {target} on {page.url}")
