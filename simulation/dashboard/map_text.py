"""Labels of the page's map (geography key, commuting flows, a city's own series) in Chinese and
English; merged into :data:`simulation.dashboard.i18n.S`."""

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {
    "map_note": (
        "圆点大小 = GDP；颜色 = PM2.5（情景水平）或所选指标相对基准的平均变化（按好坏着色：绿色更好、"
        "红色更差、灰色与零无法区分；PM2.5 下降为好）；金色粗线 = 城市圈政策的通道；"
        "紫色曲线 = 两城之间的通勤人数（双向合计）。"
        "点击城市查看它自己的逐年走势，悬停或轻触查看数值",
        "Node size = GDP; colour = PM2.5 (scenario levels) or the mean change of the chosen outcome against "
        "the baseline, by desirability (green better, red worse, grey not distinguishable from zero; less "
        "PM2.5 is better); thick gold = the circle lever's corridors; purple curves = commuters between two "
        "cities (both ways). Click a city for its own series year by year; hover or tap for its numbers",
    ),
    "key_water": ("河流、湖泊", "Rivers, lakes"),
    "key_border_inner": ("省界（三省之间）", "Border between the provinces"),
    "key_border_outer": ("省界（与外省）", "Border with other provinces"),
    "key_flow": ("通勤流（宽度 = 人数）", "Commuting (width = persons)"),
    "flow_commuters": ("通勤人数", "Commuters"),
    "map_flows": ("显示通勤流", "Show commuting flows"),
    "map_flows_none": (
        "本次运行没有城际通勤记录，无法画出通勤流",
        "This run recorded no commuting between cities: no flows to draw",
    ),
    "map_sources": (
        "底图：省界 DCW-GMT（数字世界地图），河湖 Natural Earth（公有领域），已简化",
        "Base map: province borders DCW-GMT (Digital Chart of the World), rivers and lakes Natural Earth "
        "(public domain), simplified",
    ),
    "city_series": ("城市走势", "City's own series"),
    "city_pick": ("选择城市", "Pick a city"),
    "city_close": ("关闭", "Close"),
    "city_series_note": (
        "{city}：情景（蓝）与基准（灰虚线）的平均水平，下方为相对基准的变化及95%区间（{n} 个种子）",
        "{city}: mean levels of scenario (blue) and baseline (grey dashes); below, the change against the "
        "baseline with its 95% band ({n} seeds)",
    ),
    "h_commuters_out": ("外出通勤人数", "Commuters out"),
    "h_commuters_in": ("流入通勤人数", "Commuters in"),
    "hu_persons": ("人", "persons"),
}
