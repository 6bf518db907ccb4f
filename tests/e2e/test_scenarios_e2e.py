"""Saved scenarios, overlays and exports in a real headless Chromium (Debian's, driven by Playwright;
fixtures in tests/e2e/conftest.py): save two scenarios, draw them with the current one on the
curves, refuse a fifth curve, download the CSV (its rows) and the PNG and the summary, keep the list
across a reload, never show it to another browser.

Small runs: 2 seeds, 2019-2024, at the e2e scale of conftest.py (every scenario computes in seconds).
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from simulation.dashboard.i18n import tr

CHROMIUM = os.environ.get("MIDYANGTZE_CHROMIUM", "/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).is_file(), reason=f"{CHROMIUM} is missing (install it: bash .ci/install-browser)"
)
SMALL = "lang=en&seed=42&end=2024&n=2"
YEARS = list(range(2019, 2025))


def wait_current(page, timeout: float = 240_000) -> None:
    """Until the page shows the full result of its current settings (not an older one)."""
    page.wait_for_function(
        "(() => { const e = document.querySelector('.my-status');"
        " return e && e.dataset.state == 'full' && e.dataset.want == e.dataset.for; })()",
        timeout=timeout,
    )


def save_as(page, name: str) -> None:
    page.fill(".my-save-name input", name)
    page.click(".my-save")
    page.wait_for_selector(f".my-saved-row[data-name='{name}']")


def switch(page, lever: str, on: bool) -> None:
    page.locator(f".my-lever[data-lever={lever}] input[role=switch]").click()
    if on:
        page.wait_for_function(f"location.search.includes('{lever}')")
    else:
        page.wait_for_function(f"!location.search.includes('{lever}')")
    wait_current(page)


def overlay_box(page, name: str):
    return page.locator(f".my-saved-row[data-name='{name}'] .my-overlay input[role=checkbox]")


def tick(page, name: str, expect: str = "true") -> None:
    """Tick a saved scenario's "On the curves" box; until its box says ``expect`` (a refused one
    comes back unticked)."""
    overlay_box(page, name).click()
    page.wait_for_function(
        f"document.querySelector(\".my-saved-row[data-name='{name}'] input[role=checkbox]\")"
        f".getAttribute('aria-checked') == '{expect}'"
    )


def download(page, selector: str, tmp_path: Path) -> Path:
    with page.expect_download() as info:
        page.click(selector)
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    return path


def test_two_saved_scenarios_overlaid_and_the_csv_rows(new_page, tmp_path, screenshot):
    page = new_page(f"{SMALL}&on=industry_transfer", wait=None, height=2400)
    wait_current(page)
    assert page.locator(".my-saved-none").count() == 1
    save_as(page, "Transfer A")
    alone = pd.read_csv(download(page, ".my-export-csv", tmp_path))
    assert set(alone["scenario"]) == {tr("en", "current_scenario")}
    switch(page, "talent_alliance", True)
    save_as(page, "Alliance B")
    switch(page, "industry_transfer", False)  # the current scenario: the alliance alone
    tick(page, "Transfer A")
    tick(page, "Alliance B")
    page.wait_for_selector("svg.my-chart[data-metric=gdp][data-overlays='2']", timeout=240_000)
    charts = page.locator("svg.my-chart").count()
    assert charts >= 8 and page.locator("svg.my-chart[data-overlays='2']").count() == charts
    assert page.locator("svg.my-chart g.overlay").count() == 2 * charts  # two extra curves a chart
    legend = page.eval_on_selector_all(
        "svg[data-metric=gdp] .overlay-legend text", "els => els.map(e => e.textContent)"
    )
    assert legend == ["Transfer A", "Alliance B"]
    colours = page.eval_on_selector_all(
        "svg[data-metric=gdp] .overlay-level", "els => els.map(e => e.getAttribute('stroke'))"
    )
    assert len(set(colours)) == 2 and "#1565c0" not in colours  # not the current scenario's blue
    screenshot(page, "20-overlay-two-saved-en")

    df = pd.read_csv(download(page, ".my-export-csv", tmp_path))
    assert list(df.columns[:4]) == ["scenario", "metric", "unit", "year"]
    assert list(dict.fromkeys(df["scenario"])) == [tr("en", "current_scenario"), "Transfer A", "Alliance B"]
    for name, part in df.groupby("scenario"):
        gdp = part[part["metric"] == "gdp"]
        assert sorted(gdp["year"]) == YEARS and set(gdp["seeds"]) == {2}, name
        assert {"gdp", "air_quality", "fiscal_cost"} <= set(part["metric"]), name
    metrics = {name: set(part["metric"]) for name, part in df.groupby("scenario")}
    now = tr("en", "current_scenario")  # the alliance alone; B: the alliance and the transfer
    assert "spending_industry_transfer_subsidy" in metrics["Transfer A"] & metrics["Alliance B"]
    assert "spending_industry_transfer_subsidy" not in metrics[now]
    assert "alliance_talent_added" in metrics["Alliance B"] & metrics[now]
    assert "alliance_talent_added" not in metrics["Transfer A"]
    # the overlaid Transfer A is the very result the page showed when it was the current scenario
    a = df[df["scenario"] == "Transfer A"].drop(columns="scenario").reset_index(drop=True)
    b = alone.drop(columns="scenario").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-12)
    last = df[(df["metric"] == "gdp") & (df["year"] == 2024)].set_index("scenario")
    assert (last["lo"] <= last["diff"]).all() and (last["diff"] <= last["hi"]).all()
    assert last.loc["Transfer A", "diff"] != last.loc["Alliance B", "diff"]


def test_a_fifth_curve_is_refused_and_the_exports_and_the_list_persist(new_page, tmp_path, server):
    page = new_page(f"{SMALL}&on=red_lines", wait=None)
    wait_current(page)
    for name in ("one", "two", "three", "four"):
        save_as(page, name)
    for name in ("one", "two", "three"):
        tick(page, name)
    overlay_box(page, "four").click()
    note = page.locator(".my-saved-note[data-kind=error]")
    note.wait_for()
    assert note.inner_text() == tr("en", "overlay_max", n=4, k=3)
    page.wait_for_function(
        "document.querySelector(\".my-saved-row[data-name='four'] input[role=checkbox]\")"
        ".getAttribute('aria-checked') == 'false'"
    )
    page.wait_for_selector("svg.my-chart[data-metric=gdp][data-overlays='3']", timeout=240_000)

    png = download(page, ".my-export-png", tmp_path).read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
    html = download(page, ".my-export-summary", tmp_path).read_text(encoding="utf-8")
    assert tr("en", "summary_title") in html and tr("en", "lever_red_lines") in html
    assert all(f"<th>{n}</th>" in html for n in ("one", "two", "three")) and 'data-metric="gdp"' in html

    page.locator(".my-saved-row[data-name='four'] .my-saved-rename").click()
    page.fill(".my-rename-name input", "vier")
    page.click(".my-rename-ok")
    page.wait_for_selector(".my-saved-row[data-name='vier']")
    page.locator(".my-saved-row[data-name='one'] .my-saved-delete").click()
    page.wait_for_selector(".my-saved-row[data-name='one']", state="detached")

    page.reload()
    page.wait_for_selector(".my-saved-row[data-name='vier']")
    names = page.eval_on_selector_all(".my-saved-row", "els => els.map(e => e.dataset.name)")
    assert names == ["two", "three", "vier"]
    other = new_page(SMALL, wait=None)  # another browser: its own, empty list
    other.wait_for_selector(".my-saved-none")
    assert other.locator(".my-saved-row").count() == 0


def test_loading_a_saved_scenario_restores_its_settings(new_page):
    page = new_page(f"{SMALL}&on=emission_trading", wait=None)
    wait_current(page)
    save_as(page, "trading")
    switch(page, "emission_trading", False)
    page.locator(".my-saved-row[data-name='trading'] .my-saved-load").click()
    page.wait_for_function("location.search.includes('on=emission_trading')")
    page.wait_for_function(  # the switch follows the loaded settings (the address may come first)
        "document.querySelector('.my-lever[data-lever=emission_trading] input[role=switch]')"
        ".getAttribute('aria-checked') == 'true'"
    )
    loaded = tr("en", "saved_loaded", name="trading")
    page.wait_for_function(f"document.querySelector('.my-saved-note').innerText == '{loaded}'")
    assert "lang=en" in page.url and "n=2" in page.url and "end=2024" in page.url
    assert page.get_attribute(".my-saved-note", "data-kind") == "info"
    page.set_viewport_size({"width": 390, "height": 844})  # the panel on a phone: nothing clipped
    page.wait_for_function("document.documentElement.scrollWidth <= 390")
    right = page.evaluate(
        "Math.max(...[...document.querySelectorAll('.my-saved, .my-saved *')]"
        ".map(e => e.getBoundingClientRect().right))"
    )
    assert right <= 390
