"""The map in a real headless Chromium: borders, lakes and rivers drawn; the 31 city labels do not
overlap as the browser lays them out (its own text boxes, not the server's estimate); a click on
a city opens that city's own series; the circle lever shows commuting flows. Uses the fixtures of
tests/e2e/conftest.py (skipped when Debian's Chromium is missing).
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("MIDYANGTZE_CHROMIUM", "/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).is_file(), reason=f"{CHROMIUM} is missing (install it: bash .ci/install-browser)"
)
CIRCLE = "lang=zh&seed=42&end=2025&n=2&on=city_circle"

LABEL_BOXES = """() => [...document.querySelectorAll(
        'svg.my-map text.city-label, svg.my-map text.water-label')]
    .map(e => { const b = e.getBoundingClientRect();
                return [e.textContent, b.left, b.top, b.right, b.bottom]; })"""


def _overlaps(boxes) -> list[tuple[str, str]]:
    out = []
    for (na, *a), (nb, *b) in itertools.combinations(boxes, 2):
        if min(a[2], b[2]) - max(a[0], b[0]) > 0.5 and min(a[3], b[3]) - max(a[1], b[1]) > 0.5:
            out.append((na, nb))
    return out


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_map_draws_geography_and_labels_that_do_not_overlap(new_page, screenshot, lang):
    page = new_page(f"lang={lang}&seed=42&end=2025&n=2", height=2600)
    assert page.locator("svg.my-map path.province").count() == 3
    lakes = page.eval_on_selector_all("svg.my-map path.lake", "els => els.map(e => e.dataset.lake)")
    assert {"dongting", "poyang", "liangzi"} <= set(lakes)
    assert page.locator("svg.my-map path.river[data-river=yangtze]").count() == 1
    assert page.locator("svg.my-map path.border").count() >= 4
    boxes = page.evaluate(LABEL_BOXES)
    assert len([b for b in boxes if b[0]]) >= 31
    assert not _overlaps(boxes), _overlaps(boxes)
    page.locator("svg.my-map").scroll_into_view_if_needed()
    screenshot(page, f"map-{lang}")


def test_a_click_on_a_city_opens_its_own_series(new_page, screenshot):
    page = new_page("lang=en&seed=42&end=2025&n=2", height=2600)
    page.locator("svg.my-map g.tip-host[data-city=wuhan] circle.mark").click()
    page.wait_for_selector(".my-city-note[data-city=wuhan]", timeout=30_000)
    metrics = page.eval_on_selector_all(
        ".my-city-series svg.my-chart", "els => els.map(e => e.dataset.metric)"
    )
    assert metrics[:2] == ["city:gdp", "city:air_quality"]
    assert page.locator("svg.my-map circle.selected-ring[data-city=wuhan]").count() == 1
    page.locator(".my-city-close").click()
    page.wait_for_selector(".my-city-note", state="detached", timeout=30_000)


def test_the_circle_lever_shows_commuting_flows(new_page, screenshot):
    page = new_page(CIRCLE, height=2600)
    flows = page.eval_on_selector_all(
        "svg.my-map path.flow", "els => els.map(e => [e.dataset.a, e.dataset.b, +e.dataset.commuters])"
    )
    assert flows and all(n > 0 for _a, _b, n in flows)
    assert any("wuhan" in (a, b) for a, b, _n in flows)
    page.locator("svg.my-map").scroll_into_view_if_needed()
    screenshot(page, "map-flows-zh")
    page.locator(".my-map-flows input").click()  # switched off
    page.wait_for_selector("svg.my-map path.flow", state="detached", timeout=30_000)
