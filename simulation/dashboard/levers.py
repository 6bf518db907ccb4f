"""What the page offers for each lever: its sliders (range, step, plausible band and where the band
comes from, the plain meaning of a value), its list controls, its mechanism indicators, and the
real policy behind it (the seed essay's words, docs/levers.md), in Chinese and English.

Plausible bands are the ranges docs/levers.md gives for each parameter (data or judgement, as
stated there) or, where it gives none, the shipped scenario's value with a margin, marked
"judgement". The slider may go beyond the band (up to a cap below the config's hard bound); the
page then warns. No number here enters the model: the config's bounds (``simulation.config``)
still refuse what is impossible.
"""

# ruff: noqa: E501 -- a table of texts, one entry per line (a Chinese character counts twice)

from __future__ import annotations

import math
from dataclasses import dataclass

# ---------------------------------------------------------------------------- sliders


@dataclass(frozen=True)
class Knob:
    """One slider.

    Attributes:
        key: the field in the lever's section; for ``apply`` other than "field" a name of its own.
        lo, hi, step: the slider's range.
        plausible: the plausible band (lo, hi).
        band_src: (zh, en) where the band comes from.
        meaning: (zh, en) template of the plain meaning; fields {v} (value), {p} (value x 100),
            {x} (a derived number, see :func:`derived`).
        apply: "field" (one scalar field), "provinces:<field>" (every province of a dict field),
            "agreements:<field>" (every basin agreement), "shares" (every red-line city).
        integer: a year or other whole number.
    """

    key: str
    lo: float
    hi: float
    step: float
    plausible: tuple[float, float]
    band_src: tuple[str, str]
    meaning: tuple[str, str]
    apply: str = "field"
    integer: bool = False


J = ("判断", "judgement")


def _k(key, lo, hi, step, band, src, zh, en, **kw) -> Knob:
    return Knob(key, lo, hi, step, band, src, (zh, en), **kw)


KNOBS: dict[str, list[Knob]] = {
    "industry_transfer": [
        _k("subsidy", 0, 3, 0.1, (0.2, 1.5),
           ("承接区土地税收优惠常为首年成本的20–50%；预设情景取1", "transfer zones' land and tax packages, often 20–50% "
            "of first-year costs; the shipped scenario uses 1"),
           "补贴 = 企业 {v} 年的利润", "subsidy = {v} × a year's profit"),
        _k("push_strength", 0, 5, 0.1, (0, 3), ("判断；预设情景取1.5", "judgement; the shipped scenario uses 1.5"),
           "重工业企业考虑外迁的几率约为原来的 {x} 倍", "heavy firms consider moving about {x} × as often"),
        _k("coastal_inflow_factor", 0, 4, 0.1, (0.5, 2),
           ("判断；预设情景取1.5", "judgement; the shipped scenario uses 1.5"),
           "沿海转入企业数 = 基准的 {v} 倍", "arrivals from the coast = {v} × the baseline's"),
    ],
    "talent_alliance": [
        _k("border_cost_cut", 0, 1, 0.05, (0, 0.75), ("判断；预设情景取0.5", "judgement; the shipped scenario uses 0.5"),
           "跨省迁移成本降低 {p}%", "the provincial-border cost of moving falls by {p}%"),
        _k("hukou_cost_cut", 0, 1, 0.05, (0, 0.75), ("判断；预设情景取0.5", "judgement; the shipped scenario uses 0.5"),
           "户籍成本降低 {p}%", "hukou costs fall by {p}%"),
        _k("retention_bonus", 0, 3, 0.1, (0, 1), ("判断；预设情景取0.5", "judgement; the shipped scenario uses 0.5"),
           "毕业生留在成员城市的吸引力相当于工资高约 {x}%", "staying in a member city is worth about {x}% more wage "
           "to a graduate"),
        _k("pool_spillover", 0, 0.3, 0.01, (0, 0.1),
           ("Moretti (2004)：大学生比例的溢出弹性0.05–0.1", "Moretti (2004): 0.05–0.1 for the college share"),
           "联盟多留住1%人才，成员城市生产率提高 {v}%", "1% more talent kept by the alliance raises members' "
           "productivity by {v}%"),
    ],
    "city_circle": [
        _k("commute_limit_min", 30, 150, 5, (45, 90),
           ("“1小时城市圈”；预设情景取90分钟", "the “1-hour” circle; the shipped scenario uses 90 min"),
           "圈内车程 {v} 分钟以内可以通勤", "members within {v} min by train or road can commute"),
        _k("commute_discount", 0, 1, 0.05, (0, 0.5),
           ("判断（公交一卡通、同城化服务）；预设情景取0.3", "judgement (integrated fares and services); the shipped "
            "scenario uses 0.3"),
           "圈内通勤成本减免 {p}%", "{p}% of the commuting cost inside a circle is waived"),
    ],
    "eco_compensation": [
        _k("amount", 0, 20, 0.5, (0.5, 5),
           ("新安江试点：第一轮双方各1亿元/年，其后各2亿元", "Xin'anjiang: 1 (100m yuan) each way a year in round 1, "
            "2 later"),
           "上下游各押 {v} 亿元/年", "each side stakes {v} (100m yuan) a year", apply="agreements:amount"),
        _k("central_topup", 0, 20, 0.5, (0, 5), ("新安江第一轮：中央3亿元/年", "Xin'anjiang round 1: 3 a year from the centre"),
           "中央每年补助上游 {v} 亿元", "the centre pays the upstream {v} (100m yuan) a year",
           apply="agreements:central_topup"),
        _k("max_extra_abatement", 0, 1, 0.05, (0.5, 0.9), ("技术上限（判断）", "technical limit (judgement)"),
           "上游企业最多追加减排 {p}%", "upstream firms abate at most {p}% more"),
    ],
    "emission_trading": [
        _k("cap_start", 0.5, 1.2, 0.01, (0.85, 1.0), ("判断；预设情景取0.95", "judgement; the shipped scenario uses 0.95"),
           "首年总量 = 上年排放的 {p}%", "first-year cap = {p}% of the year before's emissions"),
        _k("cap_decline", 0, 0.15, 0.005, (0.01, 0.06),
           ("五年规划减排目标约每年2–3%；预设情景取4%", "five-year-plan targets of ~2–3% a year; the shipped "
            "scenario uses 4%"),
           "总量每年减少起始排放的 {p}%", "the cap falls by {p}% of the starting emissions a year"),
    ],
    "red_lines": [
        _k("protected_share", 0, 1, 0.05, (0.1, 0.4),
           ("省级红线规划（湖泊、湿地、森林）；预设情景取0.2–0.3", "provincial red-line plans (lakes, wetlands, forests); "
            "the shipped scenario uses 0.2–0.3"),
           "所选城市建设用地上限削减 {p}%", "the chosen cities lose {p}% of their building-land capacity",
           apply="shares"),
    ],
    "sponge_city": [
        _k("collection_target", 0.8, 1.0, 0.01, (0.9, 0.98),
           ("“全收集”；模型上限为 environment.sewage_collection_max", "“collect it all”; capped at "
            "environment.sewage_collection_max"),
           "生活污水收集率达到 {p}%", "{p}% of domestic sewage is collected"),
        _k("removal_cod_target", 0.8, 0.97, 0.01, (0.8, 0.95), ("一级A出水（判断）", "Grade 1A effluent (judgement)"),
           "污水厂去除 {p}% 的 COD", "plants remove {p}% of the COD"),
        _k("sponge_share_target", 0, 1, 0.05, (0.6, 0.8),
           ("国办发〔2015〕75号：2030年建成区80%达标", "国办发〔2015〕75号: 80% of built-up area by 2030"),
           "建成区 {p}% 达到海绵城市标准", "{p}% of built-up area meets the sponge standard"),
        _k("sponge_cost_per_km2", 0.5, 3, 0.05, (1.0, 1.5),
           ("全国初步估算每平方公里1–1.5亿元", "national estimates of 1–1.5 (100m yuan) per km²"),
           "每平方公里改造 {v} 亿元", "{v} (100m yuan) per km² built to the standard"),
    ],
    "eco_fund": [
        _k("eco_each", 0, 20, 0.5, (1, 5),
           ("新安江2018–2020：两省各2亿元/年；赤水河2018：三省共2亿元/年", "Xin'anjiang 2018–2020: 2 a year from each "
            "province; Chishui 2018: 2 a year from three"),
           "每省每年向生态保护基金出资 {v} 亿元", "each province pays {v} (100m yuan) a year into the ecological fund",
           apply="provinces:eco_contributions"),
        _k("green_each", 0, 100, 1, (5, 80),
           ("湖北2015年400亿元长江经济带产业基金，约80亿元/年", "Hubei's 400 (2015) Yangtze industry fund, about 80 a "
            "year"),
           "每省每年向绿色引导基金出资 {v} 亿元", "each province pays {v} (100m yuan) a year into the guidance fund",
           apply="provinces:green_contributions"),
        _k("leverage", 0, 9, 0.1, (2.3, 4),
           ("引导基金财政出资占20–30%（1:2.3至1:4）", "budget money is 20–30% of a guidance fund (1:2.3 to 1:4)"),
           "每1元财政资金带动 {v} 元社会资本", "each budget yuan brings {v} private yuan"),
        _k("private_additionality", 0, 1, 0.05, (0.25, 0.75), ("判断：未找到估计", "judgement: no estimate found"),
           "社会资本中 {p}% 为新增，其余挤占区内其他投资", "{p}% of the private money is new; the rest is taken from "
           "other investment in the cluster"),
    ],
    "hukou_reform": [
        _k("conversion_rate", 0, 0.3, 0.005, (0.02, 0.15),
           ("2014–2020年新型城镇化规划推算0.056；范围为判断", "derived from the 2014–2020 urbanisation plan (0.056); "
            "range judgement"),
           "每年 {p}% 的非户籍常住人口落户", "{p}% of residents without a local hukou settle each year"),
        _k("entry_cost_cut", 0, 1, 0.05, (0, 0.5), ("判断：居住证开放部分基本公共服务", "judgement: residence permits "
            "open part of the basic services"),
           "外来人口的户籍成本降低 {p}%", "hukou costs of newcomers fall by {p}%"),
        _k("housing_share", 0, 0.5, 0.01, (0, 0.3), ("判断：公租房面向新就业人员和外来务工人员", "judgement: public "
            "rental housing targets new employees and migrant workers"),
           "新落户者中 {p}% 住公租房", "{p}% of the newly settled live in public rental housing"),
        _k("unit_cost", 1000, 30000, 500, (3000, 20000), J,
           "每套公租房每年 {v} 元", "{v} yuan per rental unit a year"),
    ],
    "riverside_ban": [
        _k("riverside_share", 0, 0.2, 0.005, (0.02, 0.06),
           ("数据：湖北118家/约5100家重工业企业=0.023；宜昌0.055", "data: Hubei 118 plants / ~5,100 heavy firms = "
            "0.023; Yichang 0.055"),
           "沿江城市 {p}% 的重工业企业位于岸线1公里内", "{p}% of riverside cities' heavy firms lie within 1 km"),
        _k("leave_share", 0, 1, 0.05, (0.45, 0.65), ("数据：湖南2020年名单0.62，荆州0.64，湖北2018年0.45",
            "data: Hunan 2020 list 0.62, Jingzhou 0.64, Hubei 2018 0.45"),
           "1公里内企业 {p}% 须关闭或搬迁", "{p}% of the plants within 1 km must close or move"),
        _k("subsidy_per_firm", 0, 0.5, 0.005, (0.018, 0.12), ("数据范围：湖北2018–2020年补助", "data range: Hubei's "
            "2018–2020 subsidies"),
           "每家搬迁企业补助 {v} 亿元", "{v} (100m yuan) per moving firm"),
        _k("relocation_cost_share", 0, 1, 0.05, (0.15, 0.6), ("判断：未找到化工企业搬迁成本数据", "judgement: no data "
            "found on chemical plant relocation costs"),
           "搬迁成本 = 企业资本的 {p}%", "moving costs {p}% of the firm's capital"),
    ],
    "innovation_alliance": [
        _k("rd_share", 0, 0.01, 0.0005, (0, 0.005), ("判断；预设情景取0.2%", "judgement; the shipped scenario uses 0.2%"),
           "成员城市每年拿出 GDP 的 {x}% 联合研发", "member cities put {x}% of GDP a year into joint R&D"),
        _k("province_match", 0, 2, 0.1, (0, 1), J,
           "省级每1元配套 {v} 元", "the province adds {v} yuan per city yuan"),
        _k("elasticity", 0, 0.3, 0.01, (0.05, 0.15),
           ("Hall, Mairesse & Mohnen (2010) 综述的生产函数估计", "production-function estimates surveyed by Hall, "
            "Mairesse & Mohnen (2010)"),
           "研发存量增加1%，生产率提高 {v}%", "1% more R&D stock raises productivity by {v}%"),
        _k("spillover_weight", 0, 1, 0.05, (0.05, 1), ("判断（Bottazzi & Peri 2003）", "judgement (Bottazzi & Peri 2003)"),
           "邻近城市研发的效力为本地的 {p}%（再按距离衰减）", "a neighbour's R&D is {p}% as potent as one's own (before "
           "distance)"),
    ],
}  # fmt: skip


def derived(knob: Knob, value: float, wage_weight: float = 2.0) -> str:
    """The {x} of a knob's meaning: the number a trainee can picture."""
    if knob.key == "push_strength":
        return f"{math.exp(value):.1f}"
    if knob.key == "retention_bonus":  # utility / wage weight = log wage equivalent
        return f"{100 * (math.exp(value / wage_weight) - 1):.0f}"
    if knob.key == "rd_share":
        return f"{100 * value:.2f}"
    return f"{value:g}"


def meaning(knob: Knob, value: float, lang: str, wage_weight: float = 2.0) -> str:
    text = knob.meaning[0 if lang == "zh" else 1]
    p = f"{100 * value:.3g}"
    return text.format(v=f"{value:g}", p=p, x=derived(knob, value, wage_weight))


def plausible(knob: Knob, value: float) -> bool:
    lo, hi = knob.plausible
    return lo - 1e-12 <= value <= hi + 1e-12


# ---------------------------------------------------------------------------- lists per lever
# lever -> list controls: (field, kind) with kind cities | provinces | circles | corridors |
# agreements | red_cities | sponge_cities | selects
LISTS: dict[str, list[tuple[str, str]]] = {
    "industry_transfer": [("receiving_zones", "cities"), ("push_cities", "cities")],
    "talent_alliance": [("provinces", "provinces")],
    "city_circle": [("circles", "circles"), ("corridors", "corridors")],
    "eco_compensation": [("agreements", "agreements")],
    "emission_trading": [("scope", "select"), ("pollutant", "select"), ("allocation", "select")],
    "red_lines": [("protected_share", "red_cities")],
    "sponge_city": [("cities", "sponge_cities")],
    "eco_fund": [("eco_cities", "cities"), ("green_cities", "cities")],
    "hukou_reform": [("provinces", "provinces"), ("cities", "cities")],
    "riverside_ban": [("parks", "cities"), ("entry_ban", "switch")],
    "innovation_alliance": [("members", "cities")],
}
SELECTS = {
    "scope": ("cluster", "province"),
    "pollutant": ("so2", "nox", "pm", "co2", "cod", "nh3n"),
    "allocation": ("grandfathered", "auction"),
}

# ---------------------------------------------------------------------------- mechanisms
# lever -> model-table columns that show how it works (the page draws scenario vs baseline)
INDICATORS: dict[str, list[str]] = {
    "industry_transfer": ["relocations", "heavy_firms_in_zones", "spending_industry_transfer_subsidy",
                          "capital_owned_outside"],
    "talent_alliance": ["cross_province_migration", "alliance_talent_added", "talent"],
    "city_circle": ["commuters", "circle_commuters"],
    "eco_compensation": ["spending_eco_compensation", "spending_eco_compensation_topup",
                         "spending_eco_compensation_sewage", "emissions_cod"],
    "emission_trading": ["permit_price", "permits_traded", "emission_cap", "abatement_cost", "permit_payments"],
    "red_lines": ["city:rent_index", "city:land_used_km2"],
    "sponge_city": ["sponge_collection", "domestic_cod", "spending_sponge_city_construction",
                    "spending_sponge_city_sewage"],
    "eco_fund": ["eco_fund_spent", "eco_fund_extra_abatement", "green_fund_invested", "green_private_invested"],
    "hukou_reform": ["hukou_stock", "hukou_service_cost", "hukou_housing_cost", "talent_to_coast"],
    "riverside_ban": ["riverside_relocated_firms", "riverside_closed_firms", "riverside_subsidy",
                      "riverside_heavy_output"],
    "innovation_alliance": ["innovation_rd_spending", "innovation_rd_stock", "innovation_tfp_gain_members"],
}  # fmt: skip
