"""The ⓘ text of every lever, Chinese and English: the real policy, the seed essay's own words and
what the model does. Condensed from docs/levers.md (which gives sources, parameters and measured
effects); the quotes are from the 2020 training-course essay (shared/seed/000_fd11c03eb0c3404f.txt),
with the English renderings of docs/levers.md.

Keys: ``policy_<lever>``, ``quote_<lever>`` (the essay; the English entry is its translation) and
``model_<lever>``, each a (zh, en) pair; merged into :data:`simulation.dashboard.i18n.S`.
"""

# ruff: noqa: E501 -- a table of texts, one entry per line (a Chinese character counts twice)

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {
    # industry transfer
    "policy_industry_transfer": (
        "国家级承接产业转移示范区（荆州2011年、湘南2011年等）以土地和税收优惠吸引沿海产业内迁；"
        "2017年起长江保护要求武汉、宜昌、岳阳等沿江城市推动重化工企业外迁。",
        "Inland transfer of coastal industry into designated zones (e.g. Jingzhou 2011, Xiangnan around "
        "Hengyang 2011) with land and tax packages; from 2017 the Yangtze protection rules push riverside "
        "heavy plants out of Wuhan, Yichang and Yueyang.",
    ),
    "quote_industry_transfer": (
        "“以国家级高新区、承接产业转移示范区为龙头，共同争取国家政策，共同加大承接沿海产业转移力度”",
        "“With the national high-tech zones and the industry-transfer demonstration zones in the lead, "
        "jointly seek national policy support and step up the intake of industry from the coast”",
    ),
    "model_industry_transfer": (
        "承接区对新设、迁入和沿海转入的工业企业更有吸引力（补贴由承接城市财政支付，次年向本地企业征收）；"
        "外迁城市的重工业企业更倾向迁出；沿海转入企业数按倍数调整，其资本仍归沿海所有。",
        "Receiving zones attract new, moving and coastal firms of industry (the zone cities' budgets pay "
        "the subsidy and levy it from their firms the next year); heavy firms in push cities tend to "
        "leave; coastal arrivals are scaled, and their capital stays owned on the coast.",
    ),
    # talent alliance
    "policy_talent_alliance": (
        "鄂湘赣三省人才合作：职称资格互认、社保和公共服务可转移接续、联合人才市场、毕业生留才政策（如武汉2017年"
        "“百万大学生留汉”）。",
        "Cooperation among Hubei, Hunan and Jiangxi: mutual recognition of qualifications, portable social "
        "insurance and services, joint talent markets, graduate retention (e.g. Wuhan's 2017 “million "
        "graduates stay” policy).",
    ),
    "quote_talent_alliance": (
        "“建立人才战略联盟，加快人才合理流动。建立三省专业技术职务任职资格互认工作的联系协调机制”",
        "“Build a strategic talent alliance and speed up the rational flow of talent; set up a mechanism "
        "for the three provinces' mutual recognition of professional qualifications”",
    ),
    "model_talent_alliance": (
        "成员省之间的跨省迁移成本和户籍成本按比例降低，毕业生留在成员城市有额外吸引力；联盟多留住的人才"
        "按弹性提高成员城市生产率。没有财政支出，但新增常住人口需要公共服务。",
        "Border and hukou costs between member provinces fall by the chosen shares, graduates get a bonus "
        "for member cities, and the talent the alliance adds raises members' productivity by the "
        "elasticity. No budget pays; the extra residents cost public services.",
    ),
    # city circles
    "policy_city_circle": (
        "武汉城市圈城际铁路（至咸宁、黄石、黄冈、孝感）、长株潭城际、南昌都市圈、武汉—南昌高铁提速，以及圈内"
        "票制和服务一体化。",
        "The Wuhan area's intercity lines (to Xianning, Huangshi, Huanggang, Xiaogan), the Chang-Zhu-Tan "
        "intercity, the Nanchang circle, a faster Wuhan-Nanchang HSR, and integrated fares and services.",
    ),
    "quote_city_circle": (
        "“加快1小时城市圈的建立，完善城际快速交通体系，推动城市间产业融通、基础设施、生态保护、环境治理等便捷通畅”",
        "“Speed up the building of 1-hour city circles, improve the fast intercity transport system, and "
        "make industry, infrastructure, ecological protection and environmental governance flow smoothly "
        "between cities”",
    ),
    "model_city_circle": (
        "通道新建或提速后，出行时间、市场可达性、通勤范围和贸易成本随之变化；圈内成员在通勤时限内互相进入"
        "通勤范围，通勤成本按比例减免。通道没有列入财政支出。",
        "New or faster corridors change travel times, market access, commuting zones and trade costs; "
        "circle members within the limit join each other's commuting zone, and a share of the commuting "
        "cost is waived. No budget pays for the corridors.",
    ),
    # eco compensation
    "policy_eco_compensation": (
        "流域横向生态补偿，参照新安江模式（皖浙，2012年起）：双方各出资1亿元/年，中央补助3亿元；"
        "跨界断面水质达标则下游补偿上游，否则上游补偿下游。",
        "Horizontal basin compensation on the Xin'anjiang model (Anhui-Zhejiang, from 2012): each side "
        "stakes 100m yuan a year and the centre adds 300m; if the boundary water meets the standard the "
        "downstream pays the upstream, otherwise the upstream pays the downstream.",
    ),
    "quote_eco_compensation": (
        "“探索建立合理的生态补偿机制。流域上游地区应有效开展城镇环境综合整治、水源涵养建设和水土流失防治，"
        "加强工业点源污染防治”",
        "“Explore a sound ecological compensation mechanism: the upstream part of a basin should clean up its "
        "towns, conserve water sources, prevent soil erosion and control industrial point sources”",
    ),
    "model_eco_compensation": (
        "上游按断面COD浓度对赌：如果达标比付钱便宜，就先建污水设施、再追加企业减排；结算时资金在城市财政"
        "之间转移，中央补助上游。",
        "The upstream bets on the boundary COD concentration: it builds sewage works, then buys extra "
        "firm abatement, if meeting the standard costs less than paying; the stakes move between real "
        "city budgets and the centre tops up the upstream.",
    ),
    # emission trading
    "policy_emission_trading": (
        "排污权有偿使用和交易，2007年起试点，湖北、湖南均为试点省；先交易SO₂和COD，后扩展到NOx和氨氮。",
        "Paid use and trading of emission rights, piloted from 2007 with Hubei and Hunan among the pilot "
        "provinces; SO₂ and COD first, NOx and NH₃-N later.",
    ),
    "quote_emission_trading": (
        "湖北“制定并实施了生态补偿政策，全面推行主要污染物排污权交易”",
        "Hubei “has put ecological compensation into practice and rolled out emission-rights trading for "
        "the main pollutants”",
    ),
    "model_emission_trading": (
        "一种污染物的排放总量逐年收紧，许可在市场上按出清价格交易，企业减排到边际成本等于价格为止；"
        "免费分配时没有财政收支，拍卖时收入归省。企业的减排成本是真实成本。",
        "A cap on one pollutant tightens each year; permits trade at the clearing price and firms abate "
        "until their marginal cost equals it. Free allocation moves no public money; an auction's revenue "
        "goes to the provinces. Firms' abatement is a real cost.",
    ),
    # red lines
    "policy_red_lines": (
        "2017–2018年各省划定的生态保护红线（湖泊、湿地、森林）。",
        "The provincial ecological protection red lines of 2017–2018 (lakes, wetlands, forests).",
    ),
    "quote_red_lines": (
        "“全市8000多平方公里国土空间要固化，其中保护性恢复3000平方公里山体和水体，3000平方公里耕地红线要严守，"
        "2000平方公里城镇建设用地要集约节约”",
        "“Wuhan's 8,000-odd km² are to be fixed in use: 3,000 km² of hills and water protected and restored, "
        "a 3,000 km² farmland red line held, and 2,000 km² of urban construction land used sparingly”",
    ),
    "model_red_lines": (
        "所选城市的建设用地上限按比例削减（不低于已用土地）；只有用地达到上限时才有影响：停止扩张，地租上升。",
        "The chosen cities' building-land capacity is cut by the share (never below the land in use); it "
        "matters only where used land reaches it: building stops and rents rise.",
    ),
    # sponge cities
    "policy_sponge_city": (
        "海绵城市建设（2015年起国家试点，武汉、萍乡、常德在首批；国办发〔2015〕75号要求2030年建成区80%达标）、"
        "污水全收集全处理、污水厂提标至一级A。",
        "Sponge cities (national pilots from 2015, Wuhan, Pingxiang and Changde in the first batch; 80% of "
        "built-up area by 2030 under 国办发〔2015〕75号), full sewage collection and treatment, and plant "
        "upgrades to Grade 1A.",
    ),
    "quote_sponge_city": (
        "“开展海绵城市建设，加强排水设施建设……其中武汉历时3年建成38.5平方公里海绵示范区”",
        "“Build sponge cities and strengthen drainage … Wuhan built a 38.5 km² sponge demonstration zone in "
        "three years”",
    ),
    "model_sponge_city": (
        "污水收集率和COD、氨氮去除率按直线提高到目标，生活污染负荷随之下降并向下游传递；海绵改造按每平方公里"
        "成本计入城市财政（模型中不减少径流污染）。",
        "Sewage collection and COD and NH₃-N removal rise in a straight line to the targets, cutting the "
        "domestic load that the rivers carry downstream; sponge construction is paid by the city budgets "
        "per km² (the model has no runoff pollution for it to cut).",
    ),
    # eco fund
    "policy_eco_fund": (
        "沿江省份共同出资的生态保护基金（如赤水河2018年三省共2亿元/年、新安江2018–2020年两省各2亿元/年）"
        "和财政出资、撬动社会资本的绿色引导基金（如湖北2015年400亿元长江经济带产业基金）。",
        "A joint ecological protection fund paid by the riverside provinces (Chishui 2018: 200m yuan a year "
        "from three; Xin'anjiang 2018-2020: 200m each), and green guidance funds that put budget money "
        "beside private investors (Hubei's 40bn Yangtze industry fund, 2015).",
    ),
    "quote_eco_fund": (
        "“建立联合产业基金、引导基金。沿江各省共同出资设立生态保护基金，中央引导各地方政府在跨行政区供水的"
        "水源地开展生态补偿试点”",
        "“Set up joint industry funds and guidance funds; the riverside provinces jointly fund an "
        "ecological protection fund, and the centre guides local governments to pilot compensation at water "
        "sources that supply other jurisdictions”",
    ),
    "model_eco_fund": (
        "生态基金为上游城市购买污水设施和企业减排；引导基金以股权投入三个高新区城市的高技术产业，社会资本按"
        "杠杆跟投（部分挤占区内其他投资）。省和中央出资，不向企业征收。",
        "The ecological fund buys sewage works and firm abatement in the upstream cities; the guidance fund "
        "takes equity in the high-tech sectors of the three zone cities, with private money at the "
        "leverage (part of it taken from other investment). Provinces and the centre pay; firms are not "
        "levied.",
    ),
    # hukou reform
    "policy_hukou_reform": (
        "户籍制度改革：国家新型城镇化规划（2014–2020）提出约1亿人落户城镇；居住证开放部分基本公共服务；"
        "公租房面向新就业人员和外来务工人员。",
        "Hukou reform: the 2014-2020 urbanisation plan's ~100 million settlements in towns and cities; "
        "residence permits open part of the basic public services; public rental housing for new "
        "employees and migrant workers.",
    ),
    "quote_hukou_reform": (
        "“加快推进户籍制度改革，降低新市民的居住成本，提高城市周边公租房公共福利待遇，促进基本公共服务均等化，"
        "实现公共服务‘一卡通’”",
        "“Speed up hukou reform, lower new citizens' housing costs, raise the welfare of public rental "
        "housing around the cities, make basic public services equal, and give one card for all public "
        "services”",
    ),
    "model_hukou_reform": (
        "每年一部分非户籍常住人口落户：人才不再为留下付户籍成本；新落户者的额外公共服务和公租房由城市和省"
        "财政承担，城市部分次年向企业征收。",
        "Each year a share of residents without a local hukou settle: talent stops paying the hukou cost "
        "of staying; the extra public services and rental housing of the newly settled are paid by city "
        "and province budgets, the cities' part levied from their firms the next year.",
    ),
    # riverside ban
    "policy_riverside_ban": (
        "长江岸线1公里范围内化工企业“关改搬转”；《长江保护法》第二十六条（2021年3月1日施行）禁止在干支流"
        "岸线1公里内新建、扩建化工园区和项目；城区老工业区搬迁改造（武汉青山、株洲清水塘）。",
        "Closing, upgrading, relocating or converting the chemical plants within 1 km of the Yangtze; the "
        "Yangtze Protection Law art. 26 (from 1 March 2021) bans new or larger chemical parks and projects "
        "within 1 km; old industrial bases rebuilt (Wuhan's Qingshan, Zhuzhou's Qingshuitang).",
    ),
    "quote_riverside_ban": (
        "“武汉开展了沿江产业防污染整治行动，制定2021年底前基本实现工业园区污水全收集、全处理，消除岸线1公里"
        "重化工园区计划”",
        "“Wuhan launched a campaign against riverside industrial pollution, planning for all industrial-park "
        "sewage to be collected and treated by the end of 2021 and the heavy-chemical parks within 1 km "
        "of the bank to go”",
    ),
    "model_riverside_ban": (
        "沿江城市的一部分重工业企业被列入名单，在期限前选择搬到合规化工园区（按利润、距离、成本）或关闭；"
        "搬迁补助由省和中央支付；1公里内不再接受新项目。",
        "A share of the riverside cities' heavy firms is listed; by the deadline each moves to a compliant "
        "park (by profit, distance and cost) or closes; provinces and the centre pay the moving subsidy; "
        "no new projects within 1 km.",
    ),
    # innovation alliance
    "policy_innovation_alliance": (
        "武汉东湖高新区（第二个国家自主创新示范区）、长沙高新区、南昌高新区联合实施重大关键技术研发项目，"
        "共建大数据中心和创新平台。",
        "Joint key-technology R&D of Wuhan's East Lake zone (the second national independent innovation "
        "demonstration zone), the Changsha and the Nanchang high-tech zones, with shared data centres and "
        "innovation platforms.",
    ),
    "quote_innovation_alliance": (
        "“可将武汉东湖高新区作为第二家国家自主创新示范区的优势，与长沙高新技术产业开发区、南昌国家高新技术产业"
        "开发区共同组织实施一批重大关键技术研发项目，共同打造长江中游城市群创新高地”",
        "“Build on the East Lake zone's advantage as the second national independent innovation "
        "demonstration zone and, with the Changsha and Nanchang high-tech zones, jointly carry out major "
        "key-technology R&D projects, making the cluster an innovation highland”",
    ),
    "model_innovation_alliance": (
        "成员城市每年拿出GDP的一定比例（加省级配套）联合研发，形成研发存量；存量按弹性提高成员城市制造业和"
        "高技术产业生产率，并按距离外溢到邻近城市。",
        "Member cities put a share of GDP a year (plus a provincial match) into joint R&D; the R&D stock "
        "raises members' manufacturing and high-tech productivity by the elasticity, and spills over to "
        "nearby cities with distance.",
    ),
}
