"""Every label of the dashboard in Chinese and English.

``tr(lang, key, **fields)`` returns the label in ``lang`` ("zh" or "en"); city names come from the
region data (``name_zh`` / ``name_en``), never from here. A test checks that every key has both
languages and the same ``{fields}`` in each. The levers' ⓘ texts live in
:mod:`simulation.dashboard.policy_text` and are merged in.
"""

# ruff: noqa: E501 -- a table of texts, one entry per line (a Chinese character counts twice)

from __future__ import annotations

from .map_text import TEXT as MAP_TEXT
from .policy_text import TEXT as POLICY_TEXT

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"

S: dict[str, tuple[str, str]] = {
    # page
    "title": ("长江中游城市群 · 政策推演", "Middle Yangtze city cluster · what-if"),
    "subtitle": (
        "每个情景都与基准（不加新政策）做配对比较：同样的随机种子各跑一次，报告平均效应和95%区间",
        "Every scenario is paired with the baseline (no new policy): both run on the same random seeds; "
        "the page shows the mean effect and its 95% interval",
    ),
    "language": ("语言", "Language"),
    "open_settings": ("设置", "Settings"),
    "close": ("关闭", "Close"),
    # settings
    "settings": ("情景设置", "Scenario settings"),
    "preset": ("载入预设情景", "Load a shipped scenario"),
    "preset_hint": ("载入后各项政策按该情景设置", "Sets every lever as in that scenario"),
    "seed": ("随机种子（根种子）", "Random seed (root)"),
    "seed_hint": (
        "0 至 {hi} 的整数；各次重复的种子由它导出",
        "a whole number 0 to {hi}; the replicates' seeds derive from it",
    ),
    "seed_range": (
        "“随机种子”须为 0 至 {hi} 之间的整数",
        "“Random seed” must be a whole number from 0 to {hi}",
    ),
    "n_seeds": ("重复次数（随机种子个数）", "Replicates (random seeds)"),
    "n_seeds_hint": (
        "次数越多区间越窄，计算越慢；默认 {n}",
        "more gives narrower intervals and takes longer; default {n}",
    ),
    "end_year": ("终止年份", "Last year"),
    "advanced": ("高级：允许超过 {cap} 年", "Advanced: allow years after {cap}"),
    "beyond_horizon": (
        "{cap} 年以后超出规划期：模型外推，结果的不确定性比区间显示的更大",
        "After {cap} the plans end: the model extrapolates and the results are less certain than the "
        "interval shows",
    ),
    "start_year": ("起始年份", "Start year"),
    "on": ("开启", "On"),
    "info": ("政策依据", "The real policy"),
    "seed_essay": ("培训班文章原文", "The course essay"),
    "in_model": ("模型中", "In the model"),
    "more_docs": ("参数来源和实测效应见 docs/levers.md", "Sources and measured effects: docs/levers.md"),
    "plausible": ("合理范围 {lo}–{hi}（{src}）", "plausible {lo}–{hi} ({src})"),
    "beyond": (
        "超出合理范围 {lo}–{hi}：这样的取值没有依据，结果不宜当真",
        "outside the plausible {lo}–{hi}: no evidence supports such a value; do not take the result at "
        "face value",
    ),
    "applies_all": ("对所选各项统一适用", "applies to every one selected"),
    "all_cities": ("全部城市", "All cities"),
    # messages
    "refused": ("已拒绝：{msg}", "Refused: {msg}"),
    "bounds": ("“{field}”须在 {lo} 至 {hi} 之间", "“{field}” must be between {lo} and {hi}"),
    "at_least": ("“{field}”须不小于 {lo}", "“{field}” must be at least {lo}"),
    "not_number": ("“{field}”须为数字", "“{field}” must be a number"),
    "not_integer": ("“{field}”须为整数", "“{field}” must be a whole number"),
    "lever_year": (
        "“{lever}”的起始年份须在 {lo} 至 {hi} 之间",
        "The start year of “{lever}” must be between {lo} and {hi}",
    ),
    "need_one": ("“{field}”至少选一项", "Pick at least one for “{field}”"),
    "unknown_item": ("“{field}”不是本页的政策或设置", "“{field}” is not a lever or setting of this page"),
    "build_failed": ("无法建立模型：{msg}", "Cannot build the model: {msg}"),
    "run_failed": ("计算失败：{msg}", "The computation failed: {msg}"),
    "query_bad": (
        "链接中的“{item}”无效，已忽略：{msg}",
        "“{item}” in the link is not valid and was ignored: {msg}",
    ),
    # run status
    "status_wait": ("排队中：前面还有 {ahead} 次运行", "Queued: {ahead} runs ahead"),
    "status_preview_run": (
        "正在计算预览（{full} 个种子中的 {n} 个，{pct}% 规模）…",
        "Computing a preview ({n} of {full} seeds, {pct}% scale)…",
    ),
    "status_preview": (
        "预览：{full} 个种子中的 {n} 个、{pct}% 规模，用时 {s} 秒；正在计算完整结果（{full} 个种子）…",
        "Preview ({n} of {full} seeds at {pct}% scale, {s} s); computing the full result ({full} seeds)…",
    ),
    "status_stale": (
        "设置已改变，正在重新计算…（下面仍是上一次的结果）",
        "Settings changed: computing again… (below: the previous result)",
    ),
    "status_full_cached": (
        "完整结果：{n} 个种子、全规模（已缓存，{s} 秒）",
        "Full result: {n} seeds at full scale (cached, {s} s)",
    ),
    "status_full": (
        "完整结果：{n} 个种子、全规模，用时 {s} 秒",
        "Full result: {n} seeds at full scale, {s} s",
    ),
    "preview_note": (
        "预览只用一个种子和缩小的规模，没有区间：数字会在完整结果出来后改变",
        "The preview uses one seed and a smaller scale, so it has no interval: its numbers change when "
        "the full result arrives",
    ),
    # headline box
    "headline_title": ("主要结果：情景相对基准", "Headline: scenario against baseline"),
    "col_metric": ("指标", "Outcome"),
    "col_base": ("基准", "Baseline"),
    "col_scen": ("情景", "Scenario"),
    "col_change": ("变化 [95%区间]", "Change [95% interval]"),
    "col_pct": ("变化 %", "Change %"),
    "in_year": ("{year} 年", "in {year}"),
    "cum_span": ("{first}–{last} 年累计", "total {first}–{last}"),
    "mean_span": ("{first}–{last} 年平均", "mean {first}–{last}"),
    "better": ("更好", "better"),
    "worse": ("更差", "worse"),
    "not_sig": ("与零无法区分", "not distinguishable from zero"),
    "no_interval": ("只有 1 个种子：尚无区间", "one seed: no interval yet"),
    "legend_grey": ("无法区分", "unclear"),
    "band_note": (
        "方括号内为95%区间（{n} 个种子的配对差异，t分布）。▲▼ 表示方向，绿色 = 更好，红色 = 更差；"
        "灰色 = 区间包含零，这个变化可能只是随机波动。",
        "Brackets hold the 95% interval (paired differences over {n} seeds, t distribution). ▲▼ give the "
        "direction, green = better, red = worse; grey = the interval includes zero, so the change may be "
        "chance.",
    ),
    "of_gdp": ("占基准GDP {p}", "{p} of baseline GDP"),
    # metrics: name and unit as shown
    "h_gdp": ("GDP", "GDP"),
    "hu_gdp": ("亿元", "100m yuan"),
    "h_real_income_per_capita": ("人均实际收入", "Real income per person"),
    "hu_real_income_per_capita": ("元（2019年价格）", "yuan (2019 prices)"),
    "h_air_quality": ("PM2.5（人口加权）", "PM2.5 (population-weighted)"),
    "hu_air_quality": ("微克/立方米", "µg/m³"),
    "h_emissions_cod": ("水：COD排放", "Water: COD discharged"),
    "hu_emissions_cod": ("千吨/年", "kt a year"),
    "h_emissions_air": ("大气污染物排放（SO₂+NOx+颗粒物）", "Air pollutants (SO₂ + NOx + PM)"),
    "hu_emissions_air": ("千吨/年", "kt a year"),
    "h_emissions_co2": ("CO₂排放", "CO₂ emissions"),
    "hu_emissions_co2": ("百万吨/年", "Mt a year"),
    "h_fiscal_cost": ("财政成本（各级政府政策净支出）", "Fiscal cost (levers' net public outlay)"),
    "hu_fiscal_cost": ("亿元/年", "100m yuan a year"),
    "h_gep": ("生态系统生产总值 GEP", "Gross ecosystem product (GEP)"),
    "hu_gep": ("亿元", "100m yuan"),
    "h_water_quality": ("水质指数（人口加权）", "Water index (population-weighted)"),
    "hu_water_quality": ("指数，1 = 2019年中位城市", "index, 1 = the 2019 median city"),
    "h_talent": ("人才", "Talent"),
    "hu_talent": ("万人", "10k persons"),
    "h_public_balance": ("公共预算余额", "Public budget balance"),
    "hu_public_balance": ("亿元/年", "100m yuan a year"),
    # charts
    "curves": ("效应随时间的变化", "Effects over time"),
    "curves_note": (
        "上：情景（蓝）与基准（灰虚线）的平均水平；下：相对基准的变化（%），阴影 = 95%区间，灰色柱 = 与零无法区分。"
        "点击或悬停查看数值。",
        "Top: mean levels of the scenario (blue) and the baseline (dashed grey); below: the change against "
        "the baseline (%), shaded = 95% interval, grey bars = not distinguishable from zero. Tap or hover "
        "for the numbers.",
    ),
    "scenario": ("情景", "Scenario"),
    "baseline": ("基准", "Baseline"),
    "difference": ("差异", "Difference"),
    "diff_pct": ("相对基准（%）", "vs baseline (%)"),
    # mechanisms
    "mech_title": ("政策机制指标", "How the levers work"),
    "mech_none": ("开启一项政策即可看到它的机制指标", "Switch a lever on to see its own indicators"),
    "mech_note": (
        "情景与基准的平均值（{year} 年和全期累计），[ ] 为情景减基准的95%区间",
        "Means of scenario and baseline ({year} and the whole period), [ ] the 95% interval of scenario "
        "minus baseline",
    ),
    "col_indicator": ("指标", "Indicator"),
    "col_final": ("{year} 年", "{year}"),
    "col_total": ("累计", "Total"),
    # map
    "map": ("城市群地图", "Map of the cluster"),
    "map_level": ("情景水平", "Scenario levels"),
    "map_diff": ("相对基准的变化", "Change vs baseline"),
    "map_metric": ("变化指标", "Outcome"),
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
    # city table
    "cities": ("各城市", "Cities"),
    "city_note": (
        "{year} 年各城市相对基准的平均变化（%）及95%区间；绿色更好、红色更差、灰色与零无法区分。"
        "小城市的区间往往较宽。",
        "Each city's mean change against the baseline in {year} (%) with its 95% interval; green better, "
        "red worse, grey not distinguishable from zero. Small cities' intervals are often wide.",
    ),
    "city": ("城市", "City"),
    "province": ("省份", "Province"),
    "d_gdp": ("GDP", "GDP"),
    "d_talent": ("人才", "Talent"),
    "d_pm25": ("PM2.5", "PM2.5"),
    "d_water": ("水质指数", "Water index"),
    "d_emissions_air": ("大气排放", "Air emissions"),
    "prov_hubei": ("湖北", "Hubei"),
    "prov_hunan": ("湖南", "Hunan"),
    "prov_jiangxi": ("江西", "Jiangxi"),
    # export, share and archives
    "export": ("导出情景（TOML）", "Export scenario (TOML)"),
    "export_csv": ("导出结果（CSV）", "Export results (CSV)"),
    "export_hint": (
        "TOML：uv run run.py compare configs/baseline.toml 文件 --replicates {n} --seed {seed} 得到同样的配对结果；"
        "CSV：每个指标每年的平均值、效应和区间",
        "TOML: uv run run.py compare configs/baseline.toml FILE --replicates {n} --seed {seed} gives the same "
        "paired result; CSV: every outcome's yearly means, effect and interval",
    ),
    "share": ("分享链接", "Share link"),
    "share_hint": (
        "浏览器地址栏里的链接包含全部设置：刷新不会丢失，复制给别人即可打开同一情景",
        "The address in the browser holds every setting: a reload keeps it, and the link opens the same "
        "scenario for anyone",
    ),
    "archive": ("载入存档的情景设置", "Load an archive's settings"),
    "archive_pick": ("results/ 中的存档", "Archives in results/"),
    "no_archives": ("results/ 中还没有存档", "No archives in results/ yet"),
    "archive_loaded": (
        "已载入存档 {name} 的设置（种子 {seed}）；存档本身的数字：uv run run.py show results/{name}",
        "Loaded the settings of archive {name} (seed {seed}); its own numbers: uv run run.py show "
        "results/{name}",
    ),
    "archive_not_listed": (
        "只能载入 results/ 中列出的存档",
        "Only archives listed in results/ can be loaded",
    ),
    "bad_archive": ("无法打开存档：{msg}", "Cannot open the archive: {msg}"),
    # saved scenarios, overlays, more exports (simulation.dashboard.scenarios, exports)
    "saved_title": ("我的情景（本浏览器）", "My scenarios (this browser)"),
    "saved_hint": (
        "保存当前情景，之后可载入、改名、删除；勾选“叠加到曲线”可把它与当前情景画在同一组曲线上（当前情景加最多三个）。"
        "列表只有这个浏览器能看到，服务器重启也不会丢失。",
        "Save this scenario to load, rename or delete it later; tick “On the curves” to draw it with the "
        "current one (this one plus up to three). Only this browser sees the list; a server restart keeps it.",
    ),
    "saved_name": ("情景名称", "Scenario name"),
    "saved_save": ("保存当前情景", "Save this scenario"),
    "saved_none": ("还没有保存的情景", "No saved scenarios yet"),
    "saved_load": ("载入", "Load"),
    "saved_rename": ("改名", "Rename"),
    "saved_delete": ("删除", "Delete"),
    "saved_ok": ("确定", "OK"),
    "saved_cancel": ("取消", "Cancel"),
    "saved_overlay": ("叠加到曲线", "On the curves"),
    "saved_done": ("已保存“{name}”", "Saved “{name}”"),
    "saved_replaced": (
        "已更新“{name}”（替换了同名情景）",
        "Updated “{name}” (it replaced the scenario of that name)",
    ),
    "saved_loaded": ("已载入“{name}”", "Loaded “{name}”"),
    "saved_renamed": ("已改名为“{name}”", "Renamed to “{name}”"),
    "saved_deleted": ("已删除“{name}”", "Deleted “{name}”"),
    "saved_name_empty": ("请先输入情景名称", "Type a name for the scenario first"),
    "saved_name_bad": (
        "情景名称须为 1 至 {n} 个可打印字符",
        "A scenario's name must be 1 to {n} printable characters",
    ),
    "saved_full": (
        "每个浏览器最多保存 {n} 个情景：请先删除一个",
        "At most {n} saved scenarios per browser: delete one first",
    ),
    "saved_missing": ("没有名为“{name}”的已保存情景", "No saved scenario is called “{name}”"),
    "saved_taken": ("已有名为“{name}”的情景", "A saved scenario is already called “{name}”"),
    "overlay_max": (
        "曲线上最多 {n} 个情景：当前情景加 {k} 个已保存的。请先取消勾选一个。",
        "At most {n} scenarios on the curves: this one and {k} saved ones. Untick one first.",
    ),
    "overlay_failed": ("无法计算“{name}”", "Cannot compute “{name}”"),
    "overlay_computing": ("正在计算叠加的情景：{names}…", "Computing the overlaid scenarios: {names}…"),
    "overlay_problem": ("叠加的“{name}”：{msg}", "Overlaid “{name}”: {msg}"),
    "overlay_note": (
        "叠加的情景：上图为其平均水平，下图为其相对自身基准的平均变化（不画区间；区间见CSV）。"
        "种子和终止年份相同时，各情景的基准相同。",
        "Overlaid scenarios: top, their mean levels; below, their mean change against their own baseline "
        "(no band drawn; the CSV has it). With the same seed and last year all share one baseline.",
    ),
    "current_scenario": ("当前情景", "current"),
    "export_png": ("导出曲线（PNG）", "Export curves (PNG)"),
    "export_summary": ("一页摘要（HTML）", "One-page summary (HTML)"),
    "png_title": (
        "相对基准的变化及95%区间（{n} 个种子，{first}–{last} 年）",
        "Change against the baseline with the 95% band ({n} seeds, {first}–{last})",
    ),
    "summary_title": ("情景摘要", "Scenario summary"),
    "summary_generated": ("生成于 {at}（UTC）", "Generated {at} (UTC)"),
    "summary_source": ("模型源码 sha256", "model source sha256"),
    "summary_scale": ("规模（占设定的主体数）", "Scale (share of the configured agents)"),
    "summary_levers": (
        "开启的政策（与预设不同的参数）",
        "Levers on (settings that differ from their preset)",
    ),
    "summary_levers_none": ("无（基准）", "none (the baseline)"),
    "summary_overrides": ("服务器设定的覆盖项", "Settings the server applies under every scenario"),
    "summary_link": ("页面链接（加在页面地址后）", "The page's link (after the page's address)"),
    "summary_seeds": ("各次重复的随机种子", "The replicates' random seeds"),
    "summary_overlays": ("叠加的情景：终止年份的变化", "Overlaid scenarios: change in the last year"),
    "summary_overlays_note": (
        "* = 与零无法区分（95%区间包含零）",
        "* = not distinguishable from zero (the 95% interval includes zero)",
    ),
}
S.update(POLICY_TEXT)
S.update(MAP_TEXT)  # the map's labels (geography key, flows, a city's series)

# levers: name and one-line hint
_LEVERS: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {
    "industry_transfer": (("产业转移", "Industry transfer"), (
        "补贴企业迁入承接区，推动核心城市重工业外迁，调节沿海产业转入",
        "Subsidise firms moving into transfer zones, push heavy industry out of core cities, scale "
        "arrivals from the coast")),
    "talent_alliance": (("人才联盟", "Talent alliance"), (
        "资格互认、户籍与公共服务可携带、留才补贴、人才共享",
        "Mutual recognition, portable hukou services, graduate retention, a shared talent pool")),
    "city_circle": (("1小时城市圈", "1-hour city circles"), (
        "城际通道提速或新建，都市圈内通勤范围扩大、通勤成本减免",
        "Faster or new intercity corridors; wider commuting zones and cheaper commuting in circles")),
    "eco_compensation": (("生态补偿", "Ecological compensation"), (
        "上下游按断面水质相互补偿，中央补助，资金用于上游减排",
        "Upstream and downstream pay each other by boundary water quality; funds buy upstream abatement")),
    "emission_trading": (("排污权交易", "Emission cap and trade"), (
        "总量逐年收紧，排污许可按出清价格交易，企业据此减排",
        "A tightening cap; permits trade at a clearing price and firms abate up to it")),
    "red_lines": (("生态红线", "Ecological red lines"), (
        "划定生态保护红线，压缩建设用地上限",
        "Protected land takes a share of construction-land capacity out of reach")),
    "sponge_city": (("海绵城市与污水治理", "Sponge cities and sewage"), (
        "污水全收集全处理、提标一级A，建成区按海绵城市标准改造",
        "Collect and treat all sewage to Grade 1A; rebuild built-up land to the sponge standard")),
    "eco_fund": (("生态保护基金与引导基金", "Ecological and green guidance funds"), (
        "省际共同出资的生态基金购买上游减排；绿色引导基金撬动社会资本投向高技术产业",
        "A joint fund buys upstream abatement; a guidance fund draws private money into high-tech")),
    "hukou_reform": (("户籍制度改革", "Hukou reform"), (
        "非户籍常住人口逐年落户，财政承担其公共服务和公租房",
        "Residents without a local hukou settle year by year; budgets pay their services and housing")),
    "riverside_ban": (("沿江化工企业关改搬转", "Riverside chemical ban"), (
        "岸线1公里内的化工企业限期搬入合规园区或关闭，不再新建",
        "Chemical plants within 1 km of the river move to compliant parks or close; no new ones")),
    "innovation_alliance": (("三大高新区协同创新", "Innovation alliance of the high-tech zones"), (
        "东湖、长沙、南昌高新区联合研发，研发存量提高生产率并外溢",
        "The three high-tech zones fund joint R&D; the R&D stock raises productivity and spills over")),
}  # fmt: skip
for _k, (_name, _hint) in _LEVERS.items():
    S[f"lever_{_k}"] = _name
    S[f"hint_{_k}"] = _hint
    S[f"preset_{_k}"] = _name
S["preset_baseline"] = ("基准（全部关闭）", "Baseline (all off)")
S["preset_green_development"] = ("绿色发展（十一项全开）", "Green development (all eleven)")

# lever parameters and list controls ("<lever>.<field>" where a field name is shared with another meaning)
S.update({
    "receiving_zones": ("承接区城市", "Receiving-zone cities"),
    "subsidy": ("迁入补贴", "Relocation subsidy"),
    "push_cities": ("推动重工业外迁的城市", "Cities pushing heavy industry out"),
    "push_strength": ("外迁推力", "Push on heavy industry"),
    "coastal_inflow_factor": ("沿海转入企业", "Firms arriving from the coast"),
    "provinces": ("成员省份", "Member provinces"),
    "border_cost_cut": ("跨省迁移成本降低", "Cut in the provincial border cost"),
    "hukou_cost_cut": ("户籍成本降低", "Cut in hukou costs"),
    "retention_bonus": ("毕业生留才激励", "Graduate retention incentive"),
    "pool_spillover": ("人才共享的生产率溢出", "Productivity spillover of the talent pool"),
    "circles": ("都市圈", "Metropolitan circles"),
    "corridors": ("通道工程", "Corridor upgrades"),
    "commute_limit_min": ("圈内通勤时限", "Commuting limit in circles"),
    "commute_discount": ("圈内通勤成本减免", "Commuting cost waived in circles"),
    "agreements": ("流域补偿协议", "Basin agreements"),
    "amount": ("双方押金", "Stake each way"),
    "central_topup": ("中央补助", "Central top-up"),
    "max_extra_abatement": ("上游最大追加减排", "Largest extra upstream abatement"),
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
    "cap_start": ("起始总量", "Starting cap"),
    "cap_decline": ("总量年降幅", "Yearly cap decline"),
    "protected_share": ("保护比例", "Protected share"),
    "red_line_cities": ("划定红线的城市", "Cities with red lines"),
    "shares_now": ("当前各市比例：{shares}", "Current shares: {shares}"),
    "sponge_city.cities": ("参与城市", "Cities that act"),
    "collection_target": ("污水收集率目标", "Sewage collection target"),
    "removal_cod_target": ("COD去除率目标", "COD removal target"),
    "sponge_share_target": ("海绵城市覆盖目标", "Sponge coverage target"),
    "sponge_cost_per_km2": ("海绵改造单价", "Sponge works, cost per km²"),
    "eco_cities": ("生态基金资助的上游城市", "Upstream cities the ecological fund pays for"),
    "green_cities": ("引导基金投资的城市", "Cities the guidance fund invests in"),
    "eco_each": ("生态基金：每省出资", "Ecological fund: each province pays"),
    "green_each": ("引导基金：每省出资", "Guidance fund: each province pays"),
    "leverage": ("社会资本杠杆", "Private leverage"),
    "private_additionality": ("社会资本的新增比例", "Private money that is new"),
    "hukou_reform.provinces": ("改革省份（全部城市，外来人口成本降低）", "Reform provinces (all cities; newcomers' cost cut)"),
    "hukou_reform.cities": ("其他改革城市", "Further reform cities"),
    "conversion_rate": ("每年落户比例", "Yearly settlement rate"),
    "entry_cost_cut": ("外来人口户籍成本降低", "Cut in newcomers' hukou costs"),
    "housing_share": ("公租房比例", "Share in public rental housing"),
    "unit_cost": ("公租房年成本", "Rental unit, yearly cost"),
    "parks": ("接收搬迁的合规化工园区城市", "Cities with compliant chemical parks"),
    "entry_ban": ("岸线1公里内禁止新建", "No new projects within 1 km"),
    "riverside_share": ("岸线1公里内的企业比例", "Share of heavy firms within 1 km"),
    "leave_share": ("须关闭或搬迁的比例", "Share that must close or move"),
    "subsidy_per_firm": ("每家搬迁补助", "Subsidy per moving firm"),
    "relocation_cost_share": ("搬迁成本", "Moving cost"),
    "members": ("成员城市", "Member cities"),
    "rd_share": ("联合研发投入", "Joint R&D spending"),
    "province_match": ("省级配套", "Provincial match"),
    "elasticity": ("研发的生产率弹性", "Productivity elasticity of R&D"),
    "spillover_weight": ("邻近城市的溢出权重", "Weight of neighbours' R&D"),
    "corridor_new": ("{a}—{b} {mode} 新线 {time} 分钟（{year}年）", "{a}–{b} new {mode} link, {time} min ({year})"),
    "corridor_speed": ("{a}—{b} {mode} 提速至 {factor}×", "{a}–{b} {mode} times × {factor}"),
})  # fmt: skip

# mechanism indicators: label and unit
S.update({
    "i_relocations": ("企业迁移（家/年）", "Firm relocations (firms a year)"),
    "i_heavy_firms_in_zones": ("承接区的重工业企业（家）", "Heavy firms in the zones"),
    "i_spending_industry_transfer_subsidy": ("迁入补贴支出（亿元/年）", "Relocation subsidy paid (100m yuan a year)"),
    "i_capital_owned_outside": ("沿海所有的资本（亿元）", "Capital owned on the coast (100m yuan)"),
    "i_cross_province_migration": ("跨省人才迁移（人/年）", "Cross-province talent moves (persons a year)"),
    "i_alliance_talent_added": ("联盟多留住的人才（人）", "Talent the alliance added (persons)"),
    "i_talent": ("人才（人）", "Talent (persons)"),
    "i_commuters": ("城际通勤人数", "Intercity commuters"),
    "i_circle_commuters": ("都市圈内通勤人数", "Commuters inside the circles"),
    "i_spending_eco_compensation": ("城市间补偿支付（亿元/年）", "Payments between city budgets (100m yuan a year)"),
    "i_spending_eco_compensation_topup": ("中央补助（亿元/年）", "Central top-up (100m yuan a year)"),
    "i_spending_eco_compensation_sewage": ("上游污水设施（亿元/年）", "Upstream sewage works (100m yuan a year)"),
    "i_emissions_cod": ("COD排放（吨/年）", "COD discharged (t a year)"),
    "i_permit_price": ("许可价格（元/吨）", "Permit price (yuan/t)"),
    "i_permits_traded": ("交易量（吨/年）", "Permits traded (t a year)"),
    "i_emission_cap": ("排放总量（吨/年）", "Emission cap (t a year)"),
    "i_abatement_cost": ("企业减排成本（亿元/年）", "Firms' abatement cost (100m yuan a year)"),
    "i_permit_payments": ("许可买卖支付（亿元/年）", "Permit payments (100m yuan a year)"),
    "i_city:rent_index": ("红线城市平均地租指数", "Mean rent index of red-line cities"),
    "i_city:land_used_km2": ("红线城市已用建设用地（平方公里）", "Building land used in red-line cities (km²)"),
    "i_sponge_collection": ("污水收集率（人口加权）", "Sewage collection (population-weighted)"),
    "i_domestic_cod": ("生活COD负荷（吨/年）", "Domestic COD load (t a year)"),
    "i_spending_sponge_city_construction": ("海绵改造支出（亿元/年）", "Sponge construction (100m yuan a year)"),
    "i_spending_sponge_city_sewage": ("污水设施与提标支出（亿元/年）", "Sewage works and 1A (100m yuan a year)"),
    "i_eco_fund_spent": ("生态基金支出（亿元/年）", "Ecological fund spent (100m yuan a year)"),
    "i_eco_fund_extra_abatement": ("上游企业追加减排比例", "Extra upstream abatement (share)"),
    "i_green_fund_invested": ("引导基金投资（亿元/年）", "Guidance fund invested (100m yuan a year)"),
    "i_green_private_invested": ("社会资本跟投（亿元/年）", "Private co-investment (100m yuan a year)"),
    "i_hukou_stock": ("新落户人口（人）", "Newly settled residents (persons)"),
    "i_hukou_service_cost": ("额外公共服务（亿元/年）", "Extra public services (100m yuan a year)"),
    "i_hukou_housing_cost": ("公租房（亿元/年）", "Public rental housing (100m yuan a year)"),
    "i_talent_to_coast": ("流向沿海的人才（人/年）", "Talent leaving for the coast (persons a year)"),
    "i_riverside_relocated_firms": ("搬入园区的企业（家/年）", "Firms moved to parks (a year)"),
    "i_riverside_closed_firms": ("关闭的企业（家/年）", "Firms closed (a year)"),
    "i_riverside_subsidy": ("搬迁补助（亿元/年）", "Moving subsidy (100m yuan a year)"),
    "i_riverside_heavy_output": ("沿江城市重工业产出（亿元）", "Riverside cities' heavy output (100m yuan)"),
    "i_innovation_rd_spending": ("联合研发支出（亿元/年）", "Joint R&D spending (100m yuan a year)"),
    "i_innovation_rd_stock": ("研发存量（亿元）", "R&D stock (100m yuan)"),
    "i_innovation_tfp_gain_members": ("成员城市生产率提高", "Members' productivity gain"),
})  # fmt: skip


def not_sig(lang: str, n: int) -> str:
    """What a grey effect says: not distinguishable from zero, or (one seed, as in the preview)
    that it has no interval yet."""
    return tr(lang, "not_sig" if n >= 2 else "no_interval")


def tr(lang: str, key: str, **fields: object) -> str:
    """The label ``key`` in ``lang`` ("zh" or "en"), with ``{fields}`` filled in."""
    zh, en = S[key]
    text = zh if lang == "zh" else en
    return text.format(**fields) if fields else text


def field_label(lang: str, lever: str, key: str) -> str:
    """The label of a lever's field: ``<lever>.<key>`` where that exists, else ``<key>``."""
    full = f"{lever}.{key}"
    return tr(lang, full if full in S else key)


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
