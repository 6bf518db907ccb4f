"""The HTML of the class pages: the teacher's board (table, side by side, overlay chart, forms),
the page frame, and links that open a stored scenario on the what-if page.

Plain strings with every value escaped; the requests are handled in :mod:`.teacher`.
"""

from __future__ import annotations

import html
import json
from typing import Any
from urllib.parse import parse_qs, urlencode

from .class_text import lever_name, metric_name, t
from .classroom import HEADLINE, OPS, Classroom, challenge_met

MAX_SELECTED = 4
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd")
TABLE_METRICS = (
    ("gdp", "final"),
    ("real_income_per_capita", "final"),
    ("air_quality", "final"),
    ("water_quality", "final"),
    ("emissions_air", "final"),
    ("fiscal_cost", "cum"),
    ("gep", "final"),
)


def _page(lang: str, title: str, body: str, poll: str | None = None) -> str:
    script = ""
    if poll is not None:  # reload when the class changed, unless the teacher is typing
        script = (
            "<script>const v=" + json.dumps(poll) + ";setInterval(async()=>{const a=document.activeElement;"
            "if(a&&['INPUT','SELECT','TEXTAREA'].includes(a.tagName))return;try{const r=await fetch("
            "'/teacher/data.json',{credentials:'same-origin'});const j=await r.json();"
            "if(j.version!==v)location.reload()}catch(e){}},5000)</script>"
        )
    return (
        f"<!doctype html><html lang='{lang}'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>{body}{script}</body></html>"
    )


CSS = (
    "body{font-family:system-ui,'Noto Sans CJK SC',sans-serif;margin:1rem;max-width:100%;overflow-x:hidden}"
    "table{border-collapse:collapse;font-size:.9rem}td,th{border:1px solid #ccc;padding:.25rem .45rem;"
    "vertical-align:top}.wrap{overflow-x:auto;max-width:100%}.good{color:#1a7f37}.bad{color:#c62828}"
    ".ns{color:#888}.met{color:#1a7f37;font-weight:bold}.notmet{color:#c62828}form.inline{display:inline}"
    "fieldset{margin:.6rem 0}svg{max-width:100%;height:auto}.err{color:#c62828}"
)


def page_link(query: str, lang: str) -> str:
    """The what-if page's address for a stored scenario query, in ``lang``."""
    items = [(k, x) for k, values in parse_qs(query).items() if k != "lang" for x in values]
    return "/?" + urlencode([("lang", lang), *items])


def scenario_query(raw: dict[str, Any], n_seeds: int | None = None) -> str:
    """The page's URL query of a config (``state.Session.query``: the scenario as a link)."""
    from .state import Session

    s = Session()
    s.draft = raw
    if n_seeds is not None:
        s.n_seeds = int(n_seeds)
    return s.query()


def preset_query(name: str) -> str:
    from .state import Session

    s = Session()
    if not s.load_preset(name):
        raise ValueError(f"preset {name!r} cannot be loaded")
    return s.query()


# ---------------------------------------------------------------------------- the board
def _cell(effects: dict[str, Any], metric: str, agg: str, lang: str) -> str:
    e = (effects.get(metric) or {}).get(agg)
    if not e or e.get("pct") is None and e.get("diff") is None:
        return "<td class='ns'>–</td>"
    lower_better = HEADLINE[metric][1]
    absolute = metric == "fiscal_cost"  # zero in the baseline: its change is an amount, not a %
    v, lo, hi = (e["diff"], None, None) if absolute else (e["pct"], e["pct_lo"], e["pct_hi"])
    if not e["significant"]:
        cls = "ns"
    else:
        cls = "good" if (v < 0) == lower_better else "bad"
    arrow = "▲" if v > 0 else "▼" if v < 0 else ""
    text = f"{arrow}{v:+.2f}" + ("" if absolute else "%")
    if lo is not None and hi is not None:
        text += f" <small>[{lo:+.2f}, {hi:+.2f}]</small>"
    if not e["significant"]:
        text += f" <small>({t(lang, 'not_significant')})</small>"
    return f"<td class='{cls}'>{text}</td>"


def _met(met: bool | None, lang: str) -> str:
    if met is None:
        return "<td class='ns'>–</td>"
    return (
        f"<td class='met'>✓ {t(lang, 'met')}</td>"
        if met
        else f"<td class='notmet'>✗ {t(lang, 'not_met')}</td>"
    )


def _levers(levers: list[str], lang: str) -> str:
    return "、".join(lever_name(k, lang) for k in levers) if levers else t(lang, "no_lever")


def board_page(room: Classroom, selected: list[str], metric: str, lang: str) -> str:
    """The teacher's board: ``selected`` scenario ids shown side by side, ``metric`` overlaid."""
    board = room.board()
    chosen = [int(x) for x in selected if x.isdigit()][:MAX_SELECTED]
    metric = metric if metric in HEADLINE else "air_quality"
    other = "en" if lang == "zh" else "zh"
    ch = room.challenge()
    push = room.latest("scenario")
    parts = [
        f"<h1>{t(lang, 'teacher_title')} · {html.escape(room.name)}</h1>",
        f"<p><a href='/teacher?lang={other}'>{t(other, 'lang_name')}</a> · {t(lang, 'code')}: "
        f"<b style='font-size:1.4rem;letter-spacing:.2rem'>{room.join_code}</b> · {t(lang, 'join_at')} "
        f"<code>/join</code> · {len(board)} {t(lang, 'trainees')}</p>",
        f"<p>{t(lang, 'challenge')}: {html.escape(ch[0]) if ch else '–'}"
        + (f" · {t(lang, 'pushed')}: {html.escape(push[1]['label'])}" if push else "")
        + "</p>",
        _table(board, chosen, metric, lang),
    ]
    if chosen:
        parts.append(_side_by_side(room, chosen, metric, lang))
    parts.append(_forms(lang))
    return _page(lang, f"{t(lang, 'teacher_title')} · {room.name}", "".join(parts), poll=room.version())


def _table(board: list[dict[str, Any]], chosen: list[int], metric: str, lang: str) -> str:
    head = "".join(
        f"<th>{metric_name(m, lang)}{'' if a == 'final' else ' (' + t(lang, a) + ')'}</th>"
        for m, a in TABLE_METRICS
    )
    rows = []
    for row in board:
        sc = row["scenario"]
        if sc is None:
            rows.append(
                f"<tr><td>{html.escape(row['trainee'])}</td><td colspan='{len(TABLE_METRICS) + 4}' "
                f"class='ns'>{t(lang, 'no_run')}</td></tr>"
            )
            continue
        cells = "".join(_cell(sc["effects"], m, a, lang) for m, a in TABLE_METRICS)
        check = "checked" if sc["id"] in chosen else ""
        rows.append(
            f"<tr><td>{html.escape(row['trainee'])}<br><small>{row['runs']} {t(lang, 'runs')}</small></td>"
            f"<td>{html.escape(_levers(sc['levers'], lang))}</td>{cells}{_met(row['met'], lang)}"
            f"<td><input type='checkbox' name='sel' value='{sc['id']}' form='pick' {check}></td>"
            f"<td><a href='{html.escape(page_link(scenario_query(sc['config'], len(sc['seeds'])), lang))}' "
            f"target='_blank'>{t(lang, 'open')}</a> <a href='/teacher/scenario/{sc['id']}.toml'>TOML</a> "
            f"<form class='inline' method='post' action='/teacher/push?lang={lang}'>"
            f"<button name='scenario' value='{sc['id']}'>{t(lang, 'push_this')}</button></form></td></tr>"
        )
    table = (
        f"<div class='wrap'><table><tr><th>{t(lang, 'trainee')}</th><th>{t(lang, 'levers')}</th>{head}"
        f"<th>{t(lang, 'challenge')}</th><th>{t(lang, 'compare')}</th><th></th></tr>"
        f"{''.join(rows)}</table></div>"
    )
    options = "".join(
        f"<option value='{m}' {'selected' if m == metric else ''}>{metric_name(m, lang)}</option>"
        for m in HEADLINE
    )
    pick = (
        f"<form id='pick' method='get' action='/teacher'><input type='hidden' name='lang' value='{lang}'>"
        f"<select name='metric'>{options}</select> <button>{t(lang, 'compare_selected')}</button></form>"
    )
    return table + pick


def _side_by_side(room: Classroom, chosen: list[int], metric: str, lang: str) -> str:
    scs = [s for s in (room.scenario(i) for i in chosen) if s is not None]
    if not scs:
        return ""
    ch = room.challenge()
    head = "".join(
        f"<th style='color:{COLOURS[i]}'>{html.escape(s['trainee'] or '')} #{s['id']}</th>"
        for i, s in enumerate(scs)
    )
    rows = [
        f"<tr><th>{t(lang, 'levers')}</th>"
        + "".join(f"<td>{html.escape(_levers(s['levers'], lang))}</td>" for s in scs)
        + "</tr>"
    ]
    keys = sorted({k for s in scs for k in s["changes"]})
    for k in keys:
        rows.append(
            f"<tr><th><code>{html.escape(k)}</code></th>"
            + "".join(
                f"<td>{html.escape(json.dumps(s['changes'].get(k, '–'), ensure_ascii=False))}</td>"
                for s in scs
            )
            + "</tr>"
        )
    for m, (aggs, _) in HEADLINE.items():
        for a in aggs:
            rows.append(
                f"<tr><th>{metric_name(m, lang)} ({t(lang, a)})</th>"
                + "".join(_cell(s["effects"], m, a, lang) for s in scs)
                + "</tr>"
            )
    if ch:
        rows.append(
            f"<tr><th>{t(lang, 'challenge')}</th>"
            + "".join(_met(challenge_met(ch[1], s["series"], s["effects"]), lang) for s in scs)
            + "</tr>"
        )
    return (
        f"<h2>{t(lang, 'side_by_side')}</h2><div class='wrap'><table><tr><th></th>{head}</tr>{''.join(rows)}"
        f"</table></div><h2>{metric_name(metric, lang)}: {t(lang, 'pct_vs_base')}</h2>"
        f"{overlay_svg(scs, metric)}"
    )


def overlay_svg(scenarios: list[dict[str, Any]], metric: str, w: int = 640, h: int = 280) -> str:
    """The yearly mean % change of ``metric`` of each scenario, one coloured line each."""
    lines = [(s["series"].get(metric) or {}) for s in scenarios]
    pts = [
        (y, v)
        for s in lines
        for y, v in zip(s.get("years", []), s.get("pct", []), strict=True)
        if v is not None
    ]
    if not pts:
        return "<p class='ns'>–</p>"
    x0, x1 = min(p[0] for p in pts), max(p[0] for p in pts)
    y0, y1 = min(0.0, *(p[1] for p in pts)), max(0.0, *(p[1] for p in pts))
    y0, y1 = (y0 - 1, y1 + 1) if y0 == y1 else (y0, y1)
    pad = 44

    def sx(x: float) -> float:
        return pad + (x - x0) / max(1, x1 - x0) * (w - 2 * pad)

    def sy(y: float) -> float:
        return h - pad - (y - y0) / (y1 - y0) * (h - 2 * pad)

    out = [
        f"<svg viewBox='0 0 {w} {h}' width='{w}' height='{h}' role='img' xmlns='http://www.w3.org/2000/svg'>",
        f"<line x1='{pad}' x2='{w - pad}' y1='{sy(0):.1f}' y2='{sy(0):.1f}' stroke='#999'/>",
        f"<text x='4' y='{sy(y1) + 4:.1f}' font-size='11'>{y1:+.1f}%</text>",
        f"<text x='4' y='{sy(y0) + 4:.1f}' font-size='11'>{y0:+.1f}%</text>",
        f"<text x='{pad}' y='{h - 8}' font-size='11'>{x0}</text>",
        f"<text x='{w - pad - 24}' y='{h - 8}' font-size='11'>{x1}</text>",
    ]
    for i, (s, line) in enumerate(zip(scenarios, lines, strict=True)):
        xy = [
            f"{sx(y):.1f},{sy(v):.1f}"
            for y, v in zip(line.get("years", []), line.get("pct", []), strict=True)
            if v is not None
        ]
        out.append(
            f"<polyline fill='none' stroke='{COLOURS[i]}' stroke-width='2' points='{' '.join(xy)}'>"
            f"<title>{html.escape(str(s.get('trainee')))} #{s['id']}</title></polyline>"
        )
    return "".join(out) + "</svg>"


def _forms(lang: str) -> str:
    from .state import PRESETS

    presets = "".join(f"<option value='{p}'>{html.escape(lever_name(p, lang))}</option>" for p in PRESETS)
    metrics = "".join(f"<option value='{m}'>{metric_name(m, lang)}</option>" for m in HEADLINE)
    ops = "".join(f"<option>{html.escape(o)}</option>" for o in OPS)
    rule_rows = "".join(
        f"<p>{i}. <select name='metric{i}'><option value=''>–</option>{metrics}</select> "
        f"{t(lang, 'in_year')} <input name='year{i}' size='5' placeholder='{t(lang, 'final_year')}'> "
        f"<select name='op{i}'>{ops}</select> <input name='pct{i}' size='6'> % {t(lang, 'vs_base')}</p>"
        for i in (1, 2, 3)
    )
    return (
        f"<fieldset><legend>{t(lang, 'push')}</legend><form method='post' action='/teacher/push?lang={lang}'>"
        f"<select name='preset'>{presets}</select> <button>{t(lang, 'push_all')}</button></form></fieldset>"
        f"<fieldset><legend>{t(lang, 'set_challenge')}</legend>"
        f"<form method='post' action='/teacher/challenge?lang={lang}'><p><input name='text' size='60' "
        f"placeholder='{t(lang, 'challenge_example')}'></p>{rule_rows}"
        f"<button>{t(lang, 'set_challenge')}</button>"
        "</form></fieldset>"
    )
