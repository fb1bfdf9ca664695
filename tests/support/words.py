"""What a page says, and in which language: the visible words of a rendered page (tags,
scripts, styles, code and marked data left out), and the words of a language not the page's.

Plain: the standard library's HTML parser and regular expressions."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
#: A word of English: letters, maybe an apostrophe ("don't"); not an id (digits, `_`, `.`,
#: `:`, `-` inside), not an acronym (all capitals: CSV, IT, HR, API).
WORD = re.compile(r"(?<![\w.:/@-])[A-Za-z][a-z]+(?:['\u2019][a-z]+)?(?![\w.:/@-])")
#: Elements whose text is not the page's words: code, scripts, styles, data marked so, the
#: brand and the toggle's two language names (each names itself in its own language).
SKIPPED_TAGS = {"script", "style", "code", "pre", "textarea", "svg"}
SKIPPED_CLASSES = {"brand", "languages", "who"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}
#: An example of what to type that is codes (`phones, id_number`), not words.
CODES = re.compile(r"^[a-z_.]+(, ?[a-z_.]+)*$")
#: A code shown beside its label: `电话 (phones)`.
CODE_BESIDE = re.compile(r"\([a-z_]+\)")
#: Names that are the same in every language (the product, the standards it speaks).
NAMES = {"Govern", "OpenAPI", "Swagger", "Bearer", "Apache", "ECharts", "Chromium"}


@dataclass
class Form:
    """A form of a page: where it goes, how, and its fields (name → (kind, value))."""

    action: str
    method: str
    fields: dict[str, tuple[str, str]] = field(default_factory=dict)
    options: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Page:
    """A rendered page: its visible texts, its same-site links, its forms."""

    texts: list[str] = field(default_factory=list)
    alerts: list[str] = field(default_factory=list)  # what it says went wrong (role=alert)
    links: list[str] = field(default_factory=list)
    forms: list[Form] = field(default_factory=list)


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self.stack: list[tuple[str, bool, bool]] = []  # (tag, skipped, an alert)
        self.select: str | None = None

    @property
    def skipping(self) -> bool:
        return any(skipped for _, skipped, _ in self.stack)

    @property
    def alerting(self) -> bool:
        return any(alert for _, _, alert in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = {k: v or "" for k, v in attrs}
        classes = set(named.get("class", "").split())
        skipped = (
            tag in SKIPPED_TAGS
            or "data-value" in named
            or bool(classes & SKIPPED_CLASSES)
            or "hidden" in named
        )
        self._attributes(tag, named)
        if tag not in VOID:
            self.stack.append((tag, skipped, named.get("role") == "alert"))

    def _attributes(self, tag: str, named: dict[str, str]) -> None:
        if not self.skipping:
            for shown in ("placeholder", "title", "aria-label", "alt"):
                if named.get(shown) and not CODES.match(named[shown]):
                    self.page.texts.append(named[shown])
        if tag == "a" and named.get("href", "").startswith("/"):
            self.page.links.append(named["href"])
        elif tag == "form":
            action, method = named.get("action", ""), named.get("method", "get").lower()
            self.page.forms.append(Form(action, method))
        elif tag in ("input", "textarea", "select", "button") and self.page.forms:
            self._field(tag, named)
        elif tag == "option" and self.select and self.page.forms:
            self.page.forms[-1].options.setdefault(self.select, []).append(named.get("value", ""))

    def _field(self, tag: str, named: dict[str, str]) -> None:
        kind = named.get("type", "text") if tag == "input" else tag
        if kind in ("submit", "button") and named.get("value") and not self.skipping:
            self.page.texts.append(named["value"])
        name = named.get("name")
        if not name or kind in ("submit", "button", "reset", "image"):
            return
        form = self.page.forms[-1]
        form.fields.setdefault(name, (kind, named.get("value", "")))
        if tag == "select":
            self.select = name
        if kind in ("checkbox", "radio"):
            form.options.setdefault(name, []).append(named.get("value", "y"))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self.select = None
        while self.stack:
            open_tag, _, _ = self.stack.pop()
            if open_tag == tag:
                break

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._attributes(tag, {k: v or "" for k, v in attrs})

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if text and not self.skipping:
            self.page.texts.append(text)
        if text and self.alerting:
            self.page.alerts.append(text)


def read_page(html: str) -> Page:
    """A page's visible texts (with its title, buttons, placeholders), links and forms."""
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader.page


def english_words(text: str, typed: tuple[str, ...] = ()) -> list[str]:
    """The English words of `text` (what a Chinese page must not show), `typed` (what the
    person typed, shown back) and the names of NAMES left out."""
    for value in sorted(typed, key=len, reverse=True):
        text = text.replace(value, " ")
    text = CODE_BESIDE.sub(" ", text)
    return [word for word in WORD.findall(text) if word not in NAMES]


def chinese_words(text: str, data: tuple[str, ...] = ()) -> list[str]:
    """The Chinese of `text` that is not data (names, addresses: the strings of `data`, maybe
    masked with `*`), what an English page must not show."""
    return [run for run in HAN.findall(text) if not any(run in value for value in data)]
