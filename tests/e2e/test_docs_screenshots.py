"""Regenerate the guides' screenshots (docs/img) from the running page, in Chromium.

Opt-in, because it rewrites tracked files: ``MIDYANGTZE_DOC_SHOTS=1 uv run pytest
tests/e2e/test_docs_screenshots.py``. The page runs at the e2e scale (see conftest.SCALE), with the
industry-transfer what-if on, 8 seeds, 2019-2035, in both languages, at 1366x768 and on a 390x844
phone. Each shot also checks that nothing is wider than the viewport.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"
QUERY = "lang={lang}&seed=42&end=2035&n=8&on=industry_transfer"

pytestmark = pytest.mark.skipif(
    os.environ.get("MIDYANGTZE_DOC_SHOTS") != "1",
    reason="rewrites docs/img: set MIDYANGTZE_DOC_SHOTS=1 to regenerate the guides' screenshots",
)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize(("width", "height", "suffix"), [(1366, 768, ""), (390, 844, "-phone")])
def test_guide_screenshots(new_page, lang, width, height, suffix):
    mobile = {"has_touch": True, "is_mobile": True} if width < 500 else {}
    page = new_page(QUERY.format(lang=lang), width=width, height=height, **mobile)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    DOCS_IMG.mkdir(parents=True, exist_ok=True)
    path = DOCS_IMG / f"dashboard-{lang}{suffix}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
