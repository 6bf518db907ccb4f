"""The class's own pages beside the trainees' page: the teacher's board and the join form.

Served by the dashboard's web server when it runs with ``--class NAME`` (:func:`mount` adds the
routes in front of Solara's). Plain HTML rendered here, bilingual (``?lang=zh|en``), no scripts
but a five-second poll that reloads the board when a trainee joins or runs, or the teacher pushes.

* ``/join`` (GET form, POST): the trainee types the class code and a name; the browser's Solara
  session cookie (created here if the trainee has not opened the page yet) becomes the trainee's
  key, then the browser goes to ``/class``. Every full result of that session is recorded.
* ``/class``: the trainee's class page: the challenge (and whether the trainee's own latest result
  meets it), the scenario the teacher pushed as a link that opens it on the what-if page, and the
  what-if page itself.
* ``/teacher?token=T``: the board, only with the token printed when the class started (kept in an
  HttpOnly, SameSite=Strict cookie afterwards, so the address bar drops it). It lists each
  trainee's latest scenario with its headline effects and whether it meets the challenge, shows up
  to four selected scenarios side by side with their yearly % changes overlaid, pushes a shipped
  or a trainee's scenario to everyone, and sets a challenge.
* ``/class/status.json``: for the trainee's page: who this session is, the challenge, the latest
  pushed scenario (nothing about other trainees).

Request handling is plain functions over :class:`Req` / :class:`Resp`; :func:`mount` is the only
part that knows Starlette.
"""

from __future__ import annotations

import html
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode

from .board import _met, _page, board_page, page_link, preset_query, scenario_query
from .class_text import metric_name, t
from .classroom import Classroom, Rule

COOKIE_TEACHER = "midyangtze_teacher"
SESSION_COOKIES = ("solara-session-id", "solara-session-id-lax")  # Solara's session cookie names


@dataclass
class Req:
    method: str
    path: str
    query: dict[str, list[str]] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)
    form: dict[str, list[str]] = field(default_factory=dict)

    def arg(self, name: str, default: str = "") -> str:
        v = self.form.get(name) or self.query.get(name)
        return v[0] if v else default


@dataclass
class Resp:
    status: int
    body: str
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    cookies: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)


def _lang(req: Req) -> str:
    return "en" if req.arg("lang") == "en" else "zh"


# ---------------------------------------------------------------------------- join
def join(room: Classroom, req: Req) -> Resp:
    lang = _lang(req)
    if req.method != "POST":
        return Resp(200, _join_form(room, lang, req.arg("code")))
    session = next((req.cookies[c] for c in SESSION_COOKIES if req.cookies.get(c)), None) or str(uuid.uuid4())
    try:
        room.join(session, req.arg("name"), req.arg("code"))
    except ValueError as e:
        return Resp(400, _join_form(room, lang, req.arg("code"), req.arg("name"), str(e)))
    resp = Resp(303, "", headers={"location": "/class?" + urlencode({"lang": lang})})
    opts = {"expires": "Fri, 01 Jan 2038 00:00:00 GMT", "samesite": "lax", "httponly": False}
    resp.cookies += [(c, session, opts) for c in SESSION_COOKIES]  # the page's session from now on
    return resp


def _join_form(room: Classroom, lang: str, code: str = "", name: str = "", error: str = "") -> str:
    err = f"<p class='err'>{t(lang, 'join_error')}: {html.escape(error)}</p>" if error else ""
    body = (
        f"<h1>{t(lang, 'join_title')} · {html.escape(room.name)}</h1>{err}"
        f"<form method='post' action='/join?lang={lang}'>"
        f"<p><label>{t(lang, 'code')} <input name='code' value='{html.escape(code)}' maxlength='10' "
        "required></label></p>"
        f"<p><label>{t(lang, 'your_name')} <input name='name' value='{html.escape(name)}' maxlength='40' "
        "required>"
        f"</label></p><p><button type='submit'>{t(lang, 'join')}</button></p></form>"
        f"<p>{t(lang, 'join_note')}</p>"
    )
    return _page(lang, t(lang, "join_title"), body)


def status(room: Classroom, req: Req) -> Resp:
    """What the trainee's own page may show: its name, the challenge, the latest pushed scenario."""
    session = next((req.cookies[c] for c in SESSION_COOKIES if req.cookies.get(c)), None)
    who = room.trainee(session) if session else None
    ch = room.latest("challenge")
    push = room.latest("scenario")
    doc = {
        "class": room.name,
        "trainee": who["name"] if who is not None else None,
        "challenge": {"id": ch[0], **ch[1]} if ch else None,
        "scenario_push": {"id": push[0], **push[1]} if push else None,
    }
    return Resp(200, json.dumps(doc, ensure_ascii=False), "application/json")


def trainee_page(room: Classroom, req: Req) -> Resp:
    """The trainee's class page: the challenge, the scenario the teacher pushed, the what-if page;
    and whether the trainee's own latest result meets the challenge (nobody else's)."""
    lang = _lang(req)
    session = next((req.cookies[c] for c in SESSION_COOKIES if req.cookies.get(c)), None)
    who = room.trainee(session) if session else None
    if who is None:
        return Resp(303, "", headers={"location": "/join?" + urlencode({"lang": lang})})
    ch, push = room.challenge(), room.latest("scenario")
    mine = next((r for r in room.board() if r["trainee_id"] == who["id"]), None)
    parts = [
        f"<h1>{html.escape(room.name)} · {html.escape(who['name'])}</h1>",
        f"<p><a href='{page_link('', lang)}'><b>{t(lang, 'open_page')}</b></a></p>",
    ]
    if ch:
        verdict = _met(mine["met"], lang) if mine and mine["scenario"] else "<td class='ns'>–</td>"
        parts.append(
            f"<h2>{t(lang, 'challenge')}</h2><p>{html.escape(ch[0])}</p><ul>"
            + "".join(f"<li>{_rule_text(r, lang)}</li>" for r in ch[1])
            + f"</ul><table><tr><th>{t(lang, 'your_latest')}</th>{verdict}</tr></table>"
        )
    if push:
        link = page_link(push[1].get("query", ""), lang)
        parts.append(
            f"<h2>{t(lang, 'pushed')}</h2><p><a href='{html.escape(link)}'>{t(lang, 'open_pushed')}: "
            f"{html.escape(push[1]['label'])}</a></p>"
        )
    parts.append(f"<p class='ns'>{t(lang, 'join_note')}</p>")
    return Resp(200, _page(lang, room.name, "".join(parts)))


def _rule_text(r: Rule, lang: str) -> str:
    year = str(r.year) if r.year is not None else t(lang, "final_year")
    what = f"{metric_name(r.metric, lang)} {t(lang, 'in_year')} {year}"
    return f"{what} {html.escape(r.op)} {r.pct:+g}% {t(lang, 'vs_base')}"


# ---------------------------------------------------------------------------- teacher
def _authorised(room: Classroom, req: Req) -> bool:
    return room.check_token(req.query.get("token", [None])[0]) or room.check_token(
        req.cookies.get(COOKIE_TEACHER)
    )


def teacher(room: Classroom, req: Req) -> Resp:
    """Every /teacher route: the token first, then the board, its JSON, pushes and downloads."""
    lang = _lang(req)
    if not _authorised(room, req):
        body = f"<h1>403</h1><p>{t(lang, 'bad_token')}</p>"
        return Resp(403, _page(lang, "403", body))
    if "token" in req.query:  # keep it in a cookie, out of the address bar and the history
        q = {k: v for k, v in req.query.items() if k != "token"}
        resp = Resp(303, "", headers={"location": req.path + ("?" + urlencode(q, doseq=True) if q else "")})
        resp.cookies.append((COOKIE_TEACHER, room.token, {"httponly": True, "samesite": "strict"}))
        return resp
    if req.path == "/teacher/data.json":
        return Resp(
            200, json.dumps({"version": room.version(), "board": _board_json(room)}), "application/json"
        )
    if req.path.startswith("/teacher/scenario/") and req.path.endswith(".toml"):
        return _toml(room, req.path.removeprefix("/teacher/scenario/").removesuffix(".toml"))
    if req.method == "POST":
        return _act(room, req, lang)
    return Resp(200, board_page(room, req.query.get("sel", []), req.arg("metric", "air_quality"), lang))


def _act(room: Classroom, req: Req, lang: str) -> Resp:
    from .state import PRESETS, preset_raw

    back = Resp(303, "", headers={"location": "/teacher?" + urlencode({"lang": lang})})
    try:
        if req.path == "/teacher/push" and req.arg("preset"):
            name = req.arg("preset")
            if name not in PRESETS:
                raise ValueError(f"preset {name!r} (allowed: {', '.join(PRESETS)})")
            room.push_scenario(name, preset_raw(name), preset_query(name))
        elif req.path == "/teacher/push" and req.arg("scenario"):
            sc = room.scenario(int(req.arg("scenario")))
            if sc is None:
                raise ValueError("no such scenario")
            from .results import lever_sections

            room.push_scenario(
                f"{sc['trainee']} #{sc['id']}",
                {k: sc["config"][k] for k in lever_sections()},
                scenario_query(sc["config"], len(sc["seeds"])),
            )
        elif req.path == "/teacher/challenge":
            room.set_challenge(req.arg("text"), _rules(req))
        else:
            return Resp(404, _page(lang, "404", "<h1>404</h1>"))
    except ValueError as e:
        return Resp(
            400,
            _page(
                lang,
                "400",
                f"<h1>400</h1><p class='err'>{html.escape(str(e))}</p>"
                f"<p><a href='/teacher?lang={lang}'>{t(lang, 'back')}</a></p>",
            ),
        )
    return back


def _rules(req: Req) -> list[Rule]:
    rules = []
    for i in (1, 2, 3):
        metric, pct = req.arg(f"metric{i}"), req.arg(f"pct{i}").strip()
        if not metric or not pct:
            continue
        year = req.arg(f"year{i}").strip()
        try:
            rules.append(Rule(metric, int(year) if year else None, req.arg(f"op{i}", "<="), float(pct)))
        except ValueError:
            raise ValueError(f"rule {i}: year must be a whole number and per cent a number") from None
    return rules


def _toml(room: Classroom, ident: str) -> Resp:
    from simulation.config import to_toml, validate

    sc = room.scenario(int(ident)) if ident.isdigit() else None
    if sc is None:
        return Resp(404, "no such scenario", "text/plain; charset=utf-8")
    head = f"# Scenario of {sc['trainee']} in class {room.name} (uv run run.py run THIS_FILE)\n\n"
    return Resp(
        200,
        head + to_toml(validate(sc["config"], "<class>")),
        "application/toml; charset=utf-8",
        {"content-disposition": f"attachment; filename={room.name}-{sc['id']}.toml"},
    )


def _board_json(room: Classroom) -> list[dict[str, Any]]:
    out = []
    for row in room.board():
        sc = row["scenario"]
        out.append(
            {
                "trainee": row["trainee"],
                "runs": row["runs"],
                "met": row["met"],
                "scenario": None
                if sc is None
                else {"id": sc["id"], "levers": sc["levers"], "effects": sc["effects"]},
            }
        )
    return out


# ---------------------------------------------------------------------------- Starlette
def mount(routes: list, room: Classroom) -> None:
    """Put the class's routes in front of ``routes`` (Solara's Starlette route list)."""
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    def endpoint(handler: Callable[[Classroom, Req], Resp]):
        async def run(request: Request) -> Response:
            body = await request.body() if request.method == "POST" else b""
            req = Req(
                request.method,
                request.url.path,
                parse_qs(request.url.query),
                dict(request.cookies),
                parse_qs(body.decode("utf-8", "replace")),
            )
            import asyncio

            resp = await asyncio.to_thread(handler, room, req)  # SQLite off the event loop
            out = Response(resp.body, resp.status, headers=resp.headers, media_type=resp.content_type)
            for name, value, opts in resp.cookies:
                out.set_cookie(name, value, path="/", **opts)
            return out

        return run

    methods = ["GET", "POST"]
    routes[:0] = [
        Route("/join", endpoint(join), methods=methods),
        Route("/class/status.json", endpoint(status)),
        Route("/class", endpoint(trainee_page)),
        Route("/teacher", endpoint(teacher), methods=methods),
        Route("/teacher/{rest:path}", endpoint(teacher), methods=methods),
    ]


__all__ = [
    "Req",
    "Resp",
    "join",
    "mount",
    "status",
    "teacher",
    "trainee_page",
]
