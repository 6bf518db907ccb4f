"""Every label of the dashboard in Chinese and English.

``tr(lang, key, **fields)`` returns the label in ``lang`` ("zh" or "en"); city names come from the
region data (``name_zh`` / ``name_en``), never from here. A test checks that every key has both
languages and the same ``{fields}`` in each.
"""

from __future__ import annotations

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"

S: dict[str, tuple[str, str]] = {
    # page
    "title": ("长江中游城市群 · 政策推演", "Middle Yangtze city cluster · what-if"),
    "subtitle": (
        "拨动一项政策，对比同一随机种子下的基准情景",
        "Switch a policy lever and compare with the baseline under the same random seed",
    ),
    "language": ("语言", "Language"),
    # run controls
    "run": ("运行到底", "Run"),
    "step": ("单步（一年）", "Step"),
    "reset": ("重置", "Reset"),
    "stop": ("暂停", "Pause"),
    "year": ("年份", "Year"),
    "year_of": ("{year} 年（{start}–{end}）", "{year} ({start}–{end})"),
    "running": ("运行中…", "Running…"),
    "finished": ("已到终止年份，点“重置”重新开始", "Reached the last year; Reset to start again"),
    "pending": (
        "设置已修改：点“运行”“单步”或“重置”后，从 {start} 年重新开始生效",
        "Settings changed: they take effect from {start} on the next Run, Step or Reset",
    ),
    "refused": ("已拒绝：{msg}", "Refused: {msg}"),
    "bounds": ("“{field}”须在 {lo} 至 {hi} 之间", "“{field}” must be between {lo} and {hi}"),
    "at_least": ("“{field}”须不小于 {lo}", "“{field}” must be at least {lo}"),
    "not_number": ("“{field}”须为数字", "“{field}” must be a number"),
    "lever_year": (
        "“{lever}”的起始年份须在 {lo} 至 {hi} 之间",
        "The start year of “{lever}” must be between {lo} and {hi}",
    ),
    "need_one": ("“{field}”至少选一项", "Pick at least one for “{field}”"),
    "settings": ("情景设置", "Scenario settings"),
    "seed": ("随机种子", "Random seed"),
    "end_year": ("终止年份", "Last year"),
    "preset": ("载入预设情景", "Load a shipped scenario"),
    "preset_hint": ("载入后各项政策按该情景设置", "Sets every lever as in that scenario"),
    "on": ("开启", "On"),
    "start_year": ("起始年份", "Start year"),
    "applies_all": ("对所选各项统一适用", "applies to every one selected"),
    # presets
    "preset_baseline": ("基准（全部关闭）", "Baseline (all off)"),
    "preset_industry_transfer": ("产业转移", "Industry transfer"),
    "preset_talent_alliance": ("人才联盟", "Talent alliance"),
    "preset_city_circle": ("1小时城市圈", "1-hour city circles"),
    "preset_eco_compensation": ("生态补偿", "Ecological compensation"),
    "preset_emission_trading": ("排污权交易", "Emission trading"),
    "preset_red_lines": ("生态红线", "Ecological red lines"),
    "preset_green_development": ("绿色发展（六项全开）", "Green development (all six)"),
    # levers
    "lever_industry_transfer": ("产业转移", "Industry transfer"),
    "lever_talent_alliance": ("人才联盟", "Talent alliance"),
    "lever_city_circle": ("1小时城市圈", "1-hour city circles"),
    "lever_eco_compensation": ("生态补偿", "Ecological compensation"),
    "lever_emission_trading": ("排污权交易", "Emission cap and trade"),
    "lever_red_lines": ("生态红线", "Ecological red lines"),
    "hint_industry_transfer": (
        "补贴企业迁入承接区，推动核心城市重工业外迁，调节沿海产业转入",
        "Subsidise firms moving into transfer zones, push heavy industry out of core cities, "
        "scale arrivals from the coast",
    ),
    "hint_talent_alliance": (
        "资格互认、户籍与公共服务可携带、留才补贴、人才共享",
        "Mutual recognition, portable hukou services, graduate retention, a shared talent pool",
    ),
    "hint_city_circle": (
        "城际通道提速或新建，都市圈内通勤范围扩大、通勤成本减免",
        "Faster or new intercity corridors; wider commuting zones and cheaper commuting in circles",
    ),
    "hint_eco_compensation": (
        "上下游按断面水质相互补偿，中央补助，资金用于上游减排",
        "Upstream and downstream pay each other by boundary water quality; funds buy upstream abatement",
    ),
    "hint_emission_trading": (
        "总量逐年收紧，排污许可按出清价格交易，企业据此减排",
        "A tightening cap; permits trade at a clearing price and firms abate up to it",
    ),
    "hint_red_lines": (
        "划定生态保护红线，压缩建设用地上限",
        "Protected land takes a share of construction-land capacity out of reach",
    ),
    # lever parameters
    "receiving_zones": ("承接区城市", "Receiving-zone cities"),
    "subsidy": ("迁入补贴（年利润倍数）", "Relocation subsidy (share of a year's profit)"),
    "push_cities": ("推动重工业外迁的城市", "Cities pushing heavy industry out"),
    "push_strength": ("外迁推力", "Push strength"),
    "coastal_inflow_factor": ("沿海转入企业倍数", "Coastal inflow multiplier"),
    "provinces": ("成员省份", "Member provinces"),
    "border_cost_cut": ("跨省迁移成本降低比例", "Cut in the provincial border cost"),
    "hukou_cost_cut": ("户籍成本降低比例", "Cut in hukou costs"),
    "retention_bonus": ("毕业生留才补贴（效用）", "Graduate retention bonus (utility)"),
    "pool_spillover": ("人才共享溢出弹性", "Talent-pool spillover elasticity"),
    "circles": ("都市圈", "Metropolitan circles"),
    "corridors": ("通道工程", "Corridor upgrades"),
    "commute_limit_min": ("圈内通勤时限（分钟）", "Commuting limit in circles (min)"),
    "commute_discount": ("圈内通勤成本减免比例", "Commuting cost waived in circles"),
    "agreements": ("流域补偿协议", "Basin agreements"),
    "amount": ("双方各出资（亿元/年）", "Sum paid either way (100m yuan/yr)"),
    "central_topup": ("中央补助（亿元/年）", "Central top-up (100m yuan/yr)"),
    "max_extra_abatement": ("上游最大追加减排比例", "Largest extra upstream abatement (share)"),
    "scope": ("市场范围", "Market scope"),
    "scope_cluster": ("城市群统一市场", "One cluster market"),
    "scope_province": ("分省市场", "One market per province"),
    "pollutant": ("交易污染物", "Pollutant"),
    "pollutant_so2": ("二氧化硫（SO₂）", "Sulphur dioxide (SO₂)"),
    "pollutant_nox": ("氮氧化物（NOx）", "Nitrogen oxides (NOx)"),
    "pollutant_pm": ("颗粒物", "Particulate matter"),
    "pollutant_co2": ("二氧化碳（CO₂）", "Carbon dioxide (CO₂)"),
    "pollutant_cod": ("化学需氧量（COD）", "Chemical oxygen demand (COD)"),
    "pollutant_nh3n": ("氨氮（NH₃-N）", "Ammonia nitrogen (NH₃-N)"),
    "allocation": ("配额分配", "Permit allocation"),
    "allocation_grandfathered": ("按历史排放免费分配", "Free, by past emissions"),
    "allocation_auction": ("有偿拍卖", "Auctioned"),
    "cap_start": ("起始总量（占上年排放比例）", "Starting cap (share of previous year)"),
    "cap_decline": ("总量年降幅", "Yearly cap decline"),
    "red_line_cities": ("划定红线的城市", "Cities with red lines"),
    "protected_share": ("保护比例", "Protected share"),
    "shares_now": ("当前各市比例：{shares}", "Current shares: {shares}"),
    "corridor_new": (
        "{a}—{b} {mode} 新线 {time} 分钟（{year}年）",
        "{a}–{b} new {mode} link, {time} min ({year})",
    ),
    "corridor_speed": ("{a}—{b} {mode} 提速至 {factor}×", "{a}–{b} {mode} times × {factor}"),
    # metrics
    "m_gdp": ("GDP", "GDP"),
    "u_gdp": ("万亿元", "trillion yuan"),
    "m_emissions_air": ("大气污染物排放", "Air emissions"),
    "u_emissions_air": ("千吨 SO₂当量", "kt SO₂-eq"),
    "m_emissions_water": ("水污染物排放", "Water emissions"),
    "u_emissions_water": ("千吨 COD", "kt COD"),
    "m_air_quality": ("空气质量：PM2.5（人口加权）", "Air quality: PM2.5 (population-weighted)"),
    "u_air_quality": ("微克/立方米", "µg/m³"),
    "m_water_quality": (
        "水质指数（人口加权，越低越好）",
        "Water index (population-weighted, lower is better)",
    ),
    "u_water_quality": ("指数", "index"),
    "m_talent": ("人才", "Talent"),
    "u_talent": ("百万人", "million persons"),
    "scenario": ("情景", "Scenario"),
    "baseline": ("基准", "Baseline"),
    "difference": ("差异", "Difference"),
    "diff_pct": ("情景相对基准（%）", "Scenario vs baseline (%)"),
    "curves": ("情景与基准（同一随机种子）", "Scenario and baseline (same seed)"),
    "headline": (
        "{year} 年：GDP {gdp}，PM2.5 {pm}，人才 {talent}（相对基准）",
        "{year}: GDP {gdp}, PM2.5 {pm}, talent {talent} (vs baseline)",
    ),
    # map
    "map": ("城市群地图", "Map of the cluster"),
    "map_shows": ("地图显示", "Map shows"),
    "map_note": (
        "圆点大小 = GDP，颜色 = PM2.5；连线颜色 = 交通方式，金色粗线 = 城市圈政策的通道；鼠标悬停查看数值",
        "Node size = GDP, colour = PM2.5; link colour = mode, thick gold = corridors of the circle lever; "
        "hover for values",
    ),
    "mode_hsr": ("高铁", "HSR"),
    "mode_intercity": ("城际铁路", "Intercity rail"),
    "mode_rail": ("普通铁路", "Rail"),
    "mode_expressway": ("高速公路", "Expressway"),
    "lever_corridor": ("政策通道", "Lever corridor"),
    "pm25": ("PM2.5", "PM2.5"),
    "gdp_100m": ("GDP（亿元）", "GDP (100m yuan)"),
    "talent_10k": ("人才（万人）", "Talent (10k persons)"),
    "water_index": ("水质指数", "Water index"),
    "vs_base": ("较基准", "vs baseline"),
    "minutes": ("分钟", "min"),
    # table
    "cities": ("城市（可按列排序）", "Cities (click a column to sort)"),
    "noise_note": (
        "一次运行只用一个随机种子：小幅差异（尤其小城市）可能只是偶然。换两三个种子再看；"
        "要下结论请用 uv run run.py compare 做多次重复的配对比较。",
        "One run uses one random seed: small differences (small cities above all) can be chance. "
        "Try two or three seeds; for conclusions use uv run run.py compare, which pairs many replicates.",
    ),
    "city": ("城市", "City"),
    "province": ("省份", "Province"),
    "d_gdp": ("GDP 变化 %", "GDP change %"),
    "d_talent": ("人才变化 %", "Talent change %"),
    "d_pm25": ("PM2.5 变化 %", "PM2.5 change %"),
    "d_water": ("水质指数变化 %", "Water index change %"),
    "d_emissions_air": ("大气排放变化 %", "Air emissions change %"),
    "prov_hubei": ("湖北", "Hubei"),
    "prov_hunan": ("湖南", "Hunan"),
    "prov_jiangxi": ("江西", "Jiangxi"),
    # export and archives
    "export": ("导出情景（TOML）", "Export scenario (TOML)"),
    "export_hint": (
        "导出屏幕上这次运行的设置；用 uv run run.py run 文件名 可得到完全相同的结果",
        "Exports the settings of the run on screen; uv run run.py run FILE gives the same numbers",
    ),
    "archive": ("打开结果存档回放", "Open an archive to replay"),
    "archive_pick": ("results/ 中的存档", "Archives in results/"),
    "archive_path": ("或输入存档文件夹路径", "or an archive folder path"),
    "open": ("打开", "Open"),
    "no_archives": ("results/ 中还没有存档", "No archives in results/ yet"),
    "replaying": ("回放存档 {name}", "Replaying archive {name}"),
    "replay_match": (
        "{first}–{last} 年与存档完全一致",
        "{first}–{last} identical to the archive",
    ),
    "replay_differs": ("{year} 年与存档不一致：{cols}", "{year} differs from the archive: {cols}"),
    "replay_compare": (
        "对比存档：已载入其情景设置（种子 {seed}）",
        "Comparison archive: its scenario settings are loaded (seed {seed})",
    ),
    "bad_archive": ("无法打开存档：{msg}", "Cannot open the archive: {msg}"),
    "build_failed": ("无法建立模型：{msg}", "Cannot build the model: {msg}"),
}


def tr(lang: str, key: str, **fields: object) -> str:
    """The label ``key`` in ``lang`` ("zh" or "en"), with ``{fields}`` filled in."""
    zh, en = S[key]
    text = zh if lang == "zh" else en
    return text.format(**fields) if fields else text


def city_name(cities, cid: str, lang: str) -> str:
    """A city's name from the region data in ``lang`` (falls back to the id)."""
    col = "name_zh" if lang == "zh" else "name_en"
    try:
        name = cities.at[cid, col]
    except KeyError:
        return cid
    return str(name) if isinstance(name, str) and name else cid


def province_name(pid: str, lang: str) -> str:
    key = f"prov_{pid}"
    return tr(lang, key) if key in S else pid
