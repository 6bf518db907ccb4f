"""Labels of the class pages (join form, teacher board) in Chinese and English.

Lever and preset names come from the trainees' page (:mod:`simulation.dashboard.i18n`), so both
pages call a lever the same; the rest is here. ``t(lang, key)`` is the label in "zh" or "en".
"""

from __future__ import annotations

T: dict[str, tuple[str, str]] = {
    "lang_name": ("中文", "English"),
    "join_title": ("加入课堂", "Join the class"),
    "join": ("加入", "Join"),
    "join_error": ("未能加入", "Could not join"),
    "join_note": (
        "加入后，你运行完成的每个情景（完整结果）都会出现在老师的页面上；其他学员看不到你的设置。",
        "Once you have joined, every scenario you run to its full result appears on the teacher's "
        "page; other trainees never see your settings.",
    ),
    "code": ("课堂代码", "Class code"),
    "your_name": ("你的名字", "Your name"),
    "join_at": ("学员加入：", "trainees join at"),
    "trainees": ("名学员", "trainees"),
    "trainee": ("学员", "Trainee"),
    "teacher_title": ("教师页面", "Teacher's board"),
    "bad_token": (
        "教师口令错误或缺失。请使用启动课堂时终端里打印的教师地址（含 token）。",
        "Wrong or missing teacher token. Use the teacher address (with its token) printed in the "
        "terminal where the class was started.",
    ),
    "back": ("返回", "Back"),
    "levers": ("政策", "Levers"),
    "no_lever": ("无（基准）", "none (baseline)"),
    "no_run": ("尚未运行出完整结果", "no full result yet"),
    "runs": ("次运行", "runs"),
    "challenge": ("挑战", "Challenge"),
    "met": ("达成", "met"),
    "not_met": ("未达成", "not met"),
    "not_significant": ("不显著", "n.s."),
    "compare": ("比较", "Compare"),
    "compare_selected": ("并排比较所选情景（最多4个）", "Show the selected side by side (up to 4)"),
    "side_by_side": ("并排比较", "Side by side"),
    "pct_vs_base": ("相对基准的变化（%），逐年", "% change vs the baseline, year by year"),
    "push": ("推送情景", "Push a scenario"),
    "push_all": ("推送给全体学员", "Push to every trainee"),
    "push_this": ("推送给全体", "Push to all"),
    "pushed": ("已推送", "pushed"),
    "set_challenge": ("设置挑战", "Set the challenge"),
    "challenge_example": (
        "例：2030年PM2.5下降20%，GDP不低于基准",
        "e.g. PM2.5 -20% by 2030, GDP not below baseline",
    ),
    "in_year": ("在", "in"),
    "final_year": ("末年", "last year"),
    "vs_base": ("（相对基准）", "vs baseline"),
    "open": ("打开", "open"),
    "open_page": ("打开政策推演页面", "Open the what-if page"),
    "open_pushed": ("打开老师推送的情景", "Open the teacher's scenario"),
    "your_latest": ("你最近的完整结果", "Your latest full result"),
    "final": ("末年", "final year"),
    "cum": ("累计", "cumulative"),
    "mean": ("平均", "mean"),
}

METRICS: dict[str, tuple[str, str]] = {
    "gdp": ("GDP", "GDP"),
    "real_income_per_capita": ("人均实际收入", "Real income per head"),
    "air_quality": ("PM2.5", "PM2.5"),
    "water_quality": ("水质指数", "Water index"),
    "emissions_air": ("大气污染物排放", "Air emissions"),
    "emissions_water": ("水污染物排放", "Water emissions"),
    "emissions_co2": ("CO₂排放", "CO₂ emissions"),
    "fiscal_cost": ("财政净支出（亿元）", "Fiscal cost (100m yuan)"),
    "gep": ("生态系统生产总值GEP", "GEP"),
    "talent": ("人才", "Talent"),
    "commuters": ("跨城通勤", "Intercity commuters"),
}


def t(lang: str, key: str) -> str:
    zh, en = T[key]
    return zh if lang == "zh" else en


def metric_name(metric: str, lang: str) -> str:
    zh, en = METRICS.get(metric, (metric, metric))
    return zh if lang == "zh" else en


def lever_name(key: str, lang: str) -> str:
    """A lever's (or a preset's) name as the trainees' page shows it; the key if it has none."""
    from . import i18n

    for k in (f"lever_{key}", f"preset_{key}"):
        if k in i18n.S:
            return i18n.tr(lang, k)
    return key
