"""Open a local HTML file in Debian's headless Chromium with the network blocked.

A helper for the slow browser tests (it is not a test module). It drives
``/usr/bin/chromium`` through playwright's Python package (never a browser that
playwright downloads), aborts and records every request that is not ``file:``,
``data:``, ``blob:`` or ``about:``, and collects console errors, page errors and
dialogs (an ``alert()`` that ran is a dialog). Screenshots go to ``tests/artifacts/``
(git-ignored).

Usage::

    with open_page(path) as page:
        page.wait_for("svg .role-mark")
        assert page.svg_mark_count() > 0
        page.set_slider(30)
        page.screenshot("after-slider")
    assert page.blocked_requests == []

When Chromium is missing, :func:`require_chromium` fails the test if the environment
variable ``CI`` is set (CI must run the browser check) and skips it otherwise.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
#: Flags that worked on this kind of machine (Debian's chromium, no display); the host
#: resolver and proxy rules make anything that slips past the request interception fail.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--proxy-server=http://127.0.0.1:9",
]
_LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")
#: Vega's SVG renderer puts each mark's items in ``<g class="mark-... role-mark">``.
SVG_MARKS = "svg g.role-mark > *"


def chromium_path() -> str | None:
    """The Chromium executable to drive, or ``None`` when it is not installed."""
    if os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    return shutil.which("chromium")


def require_chromium() -> str:
    """Return Chromium's path; when it is missing fail under CI, else skip."""
    path = chromium_path()
    if path is None:
        message = (
            "Debian's chromium is not installed (needed for the headless-browser check): "
            "run `apt-get install -y chromium` or `make browser` as root"
        )
        if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return path


@dataclass
class BrowserPage:
    """A page open in headless Chromium, and what it tried to do."""

    page: Any
    blocked_requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def wait_for(self, selector: str, *, timeout_ms: int = 20_000) -> None:
        """Wait until an element matching ``selector`` is in the page."""
        self.page.wait_for_selector(selector, state="attached", timeout=timeout_ms)

    def count(self, selector: str) -> int:
        """How many elements match ``selector``."""
        return self.page.locator(selector).count()

    def svg_mark_count(self, selector: str = SVG_MARKS) -> int:
        """How many drawn SVG mark items (symbols, paths, rects, texts) match."""
        return self.count(selector)

    def fills(self, selector: str) -> list[str]:
        """The ``fill`` attribute of every element matching ``selector``, in order."""
        return self.page.eval_on_selector_all(
            selector, "nodes => nodes.map(n => n.getAttribute('fill') || '')"
        )

    def text(self, selector: str) -> str:
        """The text content of every element matching ``selector``, joined by newlines."""
        return "\n".join(self.page.locator(selector).all_text_contents())

    def svg_markup(self, selector: str = "svg") -> str:
        """The outer HTML of the first SVG matching ``selector``."""
        return self.page.locator(selector).first.evaluate("node => node.outerHTML")

    def wider_than_viewport(self) -> list[str]:
        """Elements that reach past the right edge of the viewport (none on a page that fits).

        Each is named ``tag.class`` with its width; an element inside a box that scrolls
        or clips sideways counts only when that box itself reaches past the edge. Also
        reports the page itself when it scrolls sideways.
        """
        return self.page.evaluate(
            """() => {
              const width = document.documentElement.clientWidth;
              const found = [];
              if (document.documentElement.scrollWidth > width + 1) {
                found.push(`page scrolls sideways: ${document.documentElement.scrollWidth}px`);
              }
              const clipped = (el) => {
                for (let p = el.parentElement; p; p = p.parentElement) {
                  const o = getComputedStyle(p).overflowX;
                  if (o === 'auto' || o === 'scroll' || o === 'hidden') return p;
                }
                return null;
              };
              for (const el of document.body.querySelectorAll('*')) {
                const box = el.getBoundingClientRect();
                if (box.width === 0 || box.right <= width + 1) continue;
                const clip = clipped(el);
                if (clip && clip.getBoundingClientRect().right <= width + 1) continue;
                const cls = (el.getAttribute('class') || '').split(' ')[0];
                found.push(`${el.tagName.toLowerCase()}.${cls} ${Math.round(box.width)}px`);
              }
              return found;
            }"""
        )

    def set_slider(self, value: float, *, selector: str = "input[type=range]") -> str:
        """Move the first range input matching ``selector`` to ``value``; return its value.

        Sets the value and dispatches ``input`` and ``change`` events, as dragging does.
        """
        slider = self.page.locator(selector).first
        slider.fill(str(value))
        self.page.wait_for_timeout(300)  # let Vega re-run its dataflow and redraw
        return slider.input_value()

    def screenshot(self, name: str, *, full_page: bool = True) -> Path:
        """Save a PNG screenshot (the whole page by default) as ``tests/artifacts/<name>.png``."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        return path


@contextmanager
def open_page(
    path: str | Path, *, width: int = 1200, height: int = 900, timeout_ms: int = 30_000
) -> Iterator[BrowserPage]:
    """Open the local file ``path`` in headless Chromium with every network request aborted.

    Yields a :class:`BrowserPage`; its lists of blocked requests, console errors, page
    errors and dialogs stay readable after the block ends.
    """
    from playwright.sync_api import sync_playwright

    executable = require_chromium()
    url = Path(path).resolve().as_uri()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(viewport={"width": width, "height": height})
            context.set_default_timeout(timeout_ms)
            result = BrowserPage(page=None)

            def route(route: Any) -> None:
                request_url = route.request.url
                if request_url.startswith(_LOCAL_SCHEMES):
                    route.continue_()
                else:
                    result.blocked_requests.append(request_url)
                    route.abort()

            context.route("**/*", route)
            page = context.new_page()
            result.page = page
            page.on(
                "console",
                lambda message: (
                    result.console_errors.append(message.text) if message.type == "error" else None
                ),
            )
            page.on("pageerror", lambda error: result.page_errors.append(str(error)))

            def dialog(box: Any) -> None:
                result.dialogs.append(box.message)
                box.dismiss()

            page.on("dialog", dialog)
            page.goto(url, wait_until="load")
            yield result
        finally:
            browser.close()
