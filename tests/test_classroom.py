"""Classroom mode: the class name check, the class database under concurrent writers, the join
form, the teacher page and its token, challenges, and the record of a real paired result."""

from __future__ import annotations

import json
import multiprocessing
import socket
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from simulation.config import load_config
from simulation.dashboard import classroom as cl
from simulation.dashboard import teacher as tp
from simulation.params import ConfigError

ROOT = Path(__file__).resolve().parents[1]
TINY = ["scale.talent_agents=3000", "scale.firm_agents=400", "run.end_year=2022"]


@pytest.fixture
def room(tmp_path) -> cl.Classroom:
    return cl.open_class("week3-a", tmp_path)


@pytest.fixture(scope="module")
def paired():
    from simulation.dashboard import results

    cfg = load_config(ROOT / "configs" / "scenarios" / "emission_trading.toml", TINY)
    return cfg, results.run_paired(cfg, [5, 6])


# ---------------------------------------------------------------------------- the command line
@pytest.mark.parametrize("name", ["../etc", "a b", "", "x" * 41, "-lead", "班级"])
def test_a_bad_class_name_is_refused_in_one_line_with_exit_2(name, capsys):
    from simulation.cli import main  # here: the writer processes below import this module

    before = set((ROOT / "results").glob("**/*.sqlite"))
    assert main(["dashboard", f"--class={name}", "--port", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "--class" in err and "allowed: 1 to 40 letters" in err
    assert set((ROOT / "results").glob("**/*.sqlite")) == before  # nothing written


def test_workers_out_of_range_are_refused(capsys):
    from simulation.cli import main

    assert main(["dashboard", "--workers", "0"]) == 2
    assert "--workers" in capsys.readouterr().err


def test_class_name_rule():
    assert cl.check_class_name("Econ_2025-spring") == "Econ_2025-spring"
    with pytest.raises(ConfigError, match="not a class name"):
        cl.check_class_name("a/b")


# ---------------------------------------------------------------------------- the database
def _writer(folder: str, prefix: str, n: int) -> None:
    """Join ``n`` trainees and record a scenario for each (runs in threads and in processes)."""
    cfg = load_config(None, TINY)
    room = cl.Classroom("crowd", Path(folder))
    for i in range(n):
        session = f"{prefix}-{i}"
        room.join(session, f"trainee {session}", room.join_code)
        assert room.record(session, cfg, [i, i + 1], object()) is not None


def test_concurrent_writers_lose_no_rows(tmp_path):
    cl.Classroom("crowd", tmp_path)  # create the file once
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(tmp_path), f"proc{k}", 30)) for k in range(2)]
    threads = [threading.Thread(target=_writer, args=(str(tmp_path), f"thread{k}", 25)) for k in range(6)]
    for w in [*procs, *threads]:
        w.start()
    for t in threads:
        t.join(120)
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    room = cl.Classroom("crowd", tmp_path)
    assert room.db.rows("SELECT COUNT(*) AS n FROM trainees")[0]["n"] == 2 * 30 + 6 * 25
    assert room.db.rows("SELECT COUNT(*) AS n FROM scenarios")[0]["n"] == 2 * 30 + 6 * 25
    assert len(room.board()) == 210


def test_a_restart_finds_the_class_as_it_was(room, tmp_path):
    room.join("s1", "  Li   Ming ", room.join_code.lower())
    room.record("s1", load_config(None, TINY), [1, 2], object())
    again = cl.open_class("week3-a", tmp_path)
    assert (again.join_code, again.token) == (room.join_code, room.token)
    assert [r["trainee"] for r in again.board()] == ["Li Ming"] and again.board()[0]["runs"] == 1


def test_joining_needs_the_code_and_a_name(room):
    with pytest.raises(ValueError, match="wrong class code"):
        room.join("s1", "Li", "WRONG")
    with pytest.raises(ValueError, match="1 to 40"):
        room.join("s1", "   ", room.join_code)
    assert room.board() == []


# ---------------------------------------------------------------------------- results and challenges
def test_a_real_result_is_recorded_with_effects_and_series(room, paired):
    cfg, result = paired
    room.join("s1", "Wang", room.join_code)
    room.listen("s1", cfg, (5, 6), 0.25, result)  # a preview: not recorded
    room.listen("someone-else", cfg, (5, 6), 1.0, result)  # not in the class: not recorded
    assert room.board()[0]["scenario"] is None
    room.listen("s1", cfg, (5, 6), 1.0, result)
    room.listen("s1", cfg, (5, 6), 1.0, result)  # the same scenario again: one row
    sc = room.board()[0]["scenario"]
    assert room.board()[0]["runs"] == 1 and sc["levers"] == ["emission_trading"]
    assert any(k.startswith("emission_trading.") for k in sc["changes"])
    e = sc["effects"]["air_quality"]["final"]
    want = result.summary("air_quality")
    assert e["pct"] == pytest.approx(want.pct) and e["significant"] == want.significant
    assert sc["series"]["gdp"]["years"] == [int(y) for y in result.years]


def _series(pm_2030: float, gdp_final: float) -> tuple[dict, dict]:
    series = {"air_quality": {"years": [2029, 2030], "pct": [0.0, pm_2030]}}
    effects = {"gdp": {"final": {"pct": gdp_final}}}
    return series, effects


def test_challenge_rules():
    rules = [cl.Rule("air_quality", 2030, "<=", -20.0), cl.Rule("gdp", None, ">=", 0.0)]
    assert cl.challenge_met(rules, *_series(-25.0, 0.1)) is True
    assert cl.challenge_met(rules, *_series(-15.0, 0.1)) is False
    assert cl.challenge_met(rules, *_series(-25.0, -0.1)) is False
    assert cl.challenge_met(rules, {}, {}) is None
    with pytest.raises(ValueError, match="allowed"):
        cl.Rule("happiness", None, "<=", 1.0).check()


# ---------------------------------------------------------------------------- the pages
def _teacher(room, path="/teacher", method="GET", query=None, cookie=None, form=None) -> tp.Resp:
    cookies = {tp.COOKIE_TEACHER: cookie} if cookie else {}
    return tp.teacher(room, tp.Req(method, path, query or {}, cookies, form or {}))


def test_the_teacher_page_refuses_a_wrong_or_missing_token(room):
    for query, cookie in (({}, None), ({"token": ["wrong"]}, None), ({}, "wrong"), ({"token": [""]}, None)):
        r = _teacher(room, query=query, cookie=cookie)
        assert r.status == 403 and "token" in r.body and room.join_code not in r.body
    r = _teacher(room, "/teacher/push", "POST", cookie="nope", form={"preset": ["city_circle"]})
    assert r.status == 403 and room.latest("scenario") is None
    assert _teacher(room, "/teacher/data.json", cookie="nope").status == 403


def test_the_teacher_token_becomes_a_cookie_and_shows_the_board(room, paired):
    r = _teacher(room, query={"token": [room.token], "lang": ["en"]})
    assert r.status == 303 and "token" not in r.headers["location"]
    name, value, opts = r.cookies[0]
    assert (name, value, opts["httponly"], opts["samesite"]) == (
        tp.COOKIE_TEACHER,
        room.token,
        True,
        "strict",
    )
    cfg, result = paired
    for s, who in (("s1", "Wang"), ("s2", "Zhao")):
        room.join(s, who, room.join_code)
    room.record("s1", cfg, [5, 6], result)
    page = _teacher(room, query={"lang": ["en"]}, cookie=room.token)
    assert (
        page.status == 200
        and "Wang" in page.body
        and "Zhao" in page.body
        and "no full result yet" in page.body
    )
    sid = room.board()[0]["scenario"]["id"]
    both = _teacher(room, query={"lang": ["zh"], "sel": [str(sid)], "metric": ["gdp"]}, cookie=room.token)
    assert "并排比较" in both.body and "<polyline" in both.body


def test_pushes_and_challenges_from_the_teacher(room):
    r = _teacher(room, "/teacher/push", "POST", cookie=room.token, form={"preset": ["city_circle"]})
    assert r.status == 303
    pid, push = room.latest("scenario")
    assert push["label"] == "city_circle" and push["levers"]["city_circle"]["enabled"] is True
    bad = _teacher(room, "/teacher/push", "POST", cookie=room.token, form={"preset": ["/etc/passwd"]})
    assert bad.status == 400 and room.latest("scenario")[0] == pid
    form = {
        "text": ["PM2.5 -20% by 2030"],
        "metric1": ["air_quality"],
        "year1": ["2030"],
        "op1": ["<="],
        "pct1": ["-20"],
        "metric2": ["gdp"],
        "op2": [">="],
        "pct2": ["0"],
    }
    assert _teacher(room, "/teacher/challenge", "POST", cookie=room.token, form=form).status == 303
    text, rules = room.challenge()
    assert text == "PM2.5 -20% by 2030" and rules[0] == cl.Rule("air_quality", 2030, "<=", -20.0)
    assert rules[1] == cl.Rule("gdp", None, ">=", 0.0)


def test_join_form_and_the_trainees_own_status(room):
    bad = tp.join(room, tp.Req("POST", "/join", {}, {}, {"code": ["XXXXX"], "name": ["Li"]}))
    assert bad.status == 400 and room.board() == []
    ok = tp.join(
        room,
        tp.Req("POST", "/join", {}, {"solara-session-id": "abc"}, {"code": [room.join_code], "name": ["Li"]}),
    )
    assert ok.status == 303 and ok.headers["location"].startswith("/class?")
    assert {c[0]: c[1] for c in ok.cookies} == {"solara-session-id": "abc", "solara-session-id-lax": "abc"}
    mine = json.loads(
        tp.status(room, tp.Req("GET", "/class/status.json", {}, {"solara-session-id": "abc"})).body
    )
    other = json.loads(
        tp.status(room, tp.Req("GET", "/class/status.json", {}, {"solara-session-id": "zzz"})).body
    )
    assert mine["trainee"] == "Li" and other["trainee"] is None
    fresh = tp.join(room, tp.Req("POST", "/join", {}, {}, {"code": [room.join_code], "name": ["Chen"]}))
    assert fresh.status == 303 and len(fresh.cookies[0][1]) == 36  # a new session id for a new browser


def test_the_routes_answer_over_http(room):
    import uvicorn
    from starlette.applications import Starlette

    app = Starlette(routes=[])
    tp.mount(app.router.routes, room)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(100):
            if server.started:
                break
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port}"
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        with pytest.raises(urllib.error.HTTPError) as info:
            browser.open(f"{base}/teacher?token=wrong", timeout=10)
        assert info.value.code == 403
        with browser.open(f"{base}/teacher?token={room.token}", timeout=10) as r:  # redirect, then the cookie
            assert r.status == 200 and r.url == f"{base}/teacher" and room.join_code in r.read().decode()
        with pytest.raises(urllib.error.HTTPError):  # without the cookie
            urllib.request.urlopen(f"{base}/teacher", timeout=10)
        assert browser.open(f"{base}/join", timeout=10).status == 200
    finally:
        server.should_exit = True
        thread.join(10)


def test_the_trainees_class_page_shows_the_challenge_and_the_pushed_scenario(room, paired):
    cfg, result = paired
    room.join("s1", "Li", room.join_code)
    room.join("s2", "Zhao", room.join_code)
    room.record("s1", cfg, [5, 6], result)
    room.set_challenge("PM2.5 down", [cl.Rule("air_quality", None, "<=", -1000.0)])
    _teacher(room, "/teacher/push", "POST", cookie=room.token, form={"preset": ["talent_alliance"]})
    page = tp.trainee_page(room, tp.Req("GET", "/class", {"lang": ["en"]}, {"solara-session-id": "s1"}))
    assert page.status == 200 and "PM2.5 down" in page.body and "not met" in page.body
    assert "on=talent_alliance" in page.body and "Zhao" not in page.body  # nobody else's name or result
    stranger = tp.trainee_page(room, tp.Req("GET", "/class", {}, {"solara-session-id": "nobody"}))
    assert stranger.status == 303 and stranger.headers["location"].startswith("/join")
    board = _teacher(room, query={"lang": ["en"]}, cookie=room.token).body
    assert "on=emission_trading" in board  # the trainee's scenario opens on the page from the board
