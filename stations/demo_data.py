"""Demonstration data for ``seed_demo``: regions, congresses, stations, deputy names.

Pure Python data, no Django imports, deterministic (no randomness anywhere). The
facts come from the Hunan newsletters in ``shared/seeds/`` (《联络动态》, Hunan
Provincial People's Congress liaison committee):

- seed 000 (``000_d40fa141f643c257.txt``, 2023 No. 10) — 衡阳市: 1,318 stations turned
  into fixed, mobile and online stations (固定站、流动站、云端站, "一站变三站"); the
  "码上找代表" pilot in 衡南县, 祁东县, 雁峰区 and 蒸湘区 merged with the 12345 hotline;
  蒸湘区's September report month; 衡南县's 屋场恳谈会 + deputy groups; 雁峰区's
  "首峰夜话" and "逢四说事"; 11 professional groups (财政经济, 教育, 卫健, 立法, 城建环资,
  农业与农村) and the 归阳工业园 in 祁东县; 衡山县开云镇; 黄沙湾排渍站 in 石鼓区; the
  栗木—霞流 road in 衡东县. 益阳市: 赫山区's 150 stations (19 township centres, 131
  village/community stations), deputies placed by proximity, monthly receptions, the
  "五进" and the year-end sorting; 资阳区沙头镇's volunteer supervisors; 桃江县第十八届
  人大常委会; the palm station (掌上代表联络站) in the 益阳智慧人大 app.
- seed 001 (``001_4ccb68d3941c0c6c.txt``, 2020 No. 25) — 岳阳市 ballots (汨罗市屈子祠镇
  the provincial contact point); 郴州市 (市五届人大 in 2020, hence 第六届 now): 北湖区's
  community stations with a charity supermarket, 苏仙区's activity rooms, 资兴市's 215
  stations meeting the "六有" with information officers, 桂阳县.
- seed 002 (``002_00ee2f502a9d1404.txt``, 2023 No. 3) — 省十四届人大 and the 十四届
  全国人大; 望城区茶亭镇静慎村 and 天心区桂花坪街道金桂社区 as liaison sites.
- seed 003 (``003_d2a0cbb6edd6efb0.txt``, 2018 No. 28) — 新邵县: the "六有" (有组织、
  有场所、有牌子、有制度、有台账、有经费), rooms open 1–2 times a month with deputies
  on duty in turn, 分级负责、归口办理, 寸石镇南岳片区; the topics raised (征地拆迁, 农村
  基础设施, 社会保障, 低保养老, 邻里纠纷).
- seed 004 (``004_0a0ac98b7635c290.txt``) — township practices: 桑植县刘家坪白族乡 (五环五时,
  performance points), 赫山区沧水铺镇 (4 stations, the 8th of each month, "五进"), 桂阳县
  仁义镇 (agricultural industry station, "代表有约"), 江华瑶族自治县界牌乡 (one township
  station for 8 villages, a reception day), 芷江侗族自治县大树坳乡 (market-day duty,
  "智慧人大"), 双峰县金开街道 (民情信箱, a mobile station, at least 4 visits a year per
  deputy), 花垣县边城镇 ("1+20+X", a smart platform).

Division codes: province, city, county and township codes are the National Bureau of
Statistics' 统计用区划代码 as published in its recent tables. Village and community
names come from an older NBS listing (before the 2016–2018 village mergers); their last
three digits were assigned in listing order under the usual scheme (0xx community, 2xx
village) and are NOT verified against the current table. 金桂社区 and 静慎村 (named in
seed 002) were added with guessed suffixes. Coordinates are approximate (a few km).
"""

# ---------------------------------------------------------------------------
# Regions
# ---------------------------------------------------------------------------

_PROVINCE = ("430000000000", "湖南省")

# Cities named in the seeds.
_CITIES = [
    ("430100000000", "长沙市"),  # seed 002
    ("430400000000", "衡阳市"),  # seed 000
    ("430500000000", "邵阳市"),  # seed 003 (新邵县)
    ("430600000000", "岳阳市"),  # seed 001
    ("430800000000", "张家界市"),  # seed 004 (桑植县)
    ("430900000000", "益阳市"),  # seed 000
    ("431000000000", "郴州市"),  # seed 001
    ("431100000000", "永州市"),  # seed 004 (江华瑶族自治县)
    ("431200000000", "怀化市"),  # seed 004 (芷江侗族自治县)
    ("431300000000", "娄底市"),  # seed 004 (双峰县)
    ("433100000000", "湘西土家族苗族自治州"),  # seed 004 (花垣县)
]

_COUNTIES = [
    ("430103000000", "天心区"),
    ("430112000000", "望城区"),
    ("430406000000", "雁峰区"),
    ("430407000000", "石鼓区"),
    ("430408000000", "蒸湘区"),
    ("430421000000", "衡阳县"),
    ("430422000000", "衡南县"),
    ("430423000000", "衡山县"),
    ("430424000000", "衡东县"),
    ("430426000000", "祁东县"),
    ("430522000000", "新邵县"),
    ("430681000000", "汨罗市"),
    ("430822000000", "桑植县"),
    ("430902000000", "资阳区"),
    ("430903000000", "赫山区"),
    ("430922000000", "桃江县"),
    ("431002000000", "北湖区"),
    ("431003000000", "苏仙区"),
    ("431021000000", "桂阳县"),
    ("431081000000", "资兴市"),
    ("431129000000", "江华瑶族自治县"),
    ("431228000000", "芷江侗族自治县"),
    ("431321000000", "双峰县"),
    ("433124000000", "花垣县"),
]

# Townships and streets (乡镇/街道): NBS codes (00x 街道, 1xx 镇, 2xx 乡), with an
# approximate position of the township seat (lat, lng).
_TOWNSHIPS = [
    ("430103009000", "桂花坪街道", 28.1600, 112.9900),
    ("430112103000", "茶亭镇", 28.4800, 112.8200),
    ("430406002000", "雁峰街道", 26.8790, 112.6060),
    ("430406100000", "岳屏镇", 26.8600, 112.5900),
    ("430407006000", "黄沙湾街道", 26.9550, 112.6250),
    ("430408001000", "蒸湘街道", 26.8990, 112.5900),
    ("430408002000", "红湘街道", 26.8900, 112.5780),
    ("430408004000", "联合街道", 26.8800, 112.5640),
    ("430408100000", "呆鹰岭镇", 26.9250, 112.5300),
    ("430408101000", "雨母山镇", 26.8350, 112.5350),
    ("430421100000", "西渡镇", 26.9750, 112.3900),
    ("430421110000", "界牌镇", 27.2150, 112.2530),
    ("430422001000", "云集街道", 26.7410, 112.6750),
    ("430422111000", "三塘镇", 26.7900, 112.4800),
    ("430423100000", "开云镇", 27.2300, 112.8700),
    ("430424109000", "霞流镇", 27.0300, 112.8000),
    ("430426106000", "归阳镇", 26.5800, 112.3300),
    ("430522105000", "寸石镇", 27.4900, 111.3700),
    ("430681118000", "屈子祠镇", 28.8500, 113.0500),
    ("430822207000", "刘家坪白族乡", 29.3300, 110.2500),
    ("430902104000", "沙头镇", 28.6700, 112.2600),
    ("430903006000", "会龙山街道", 28.5700, 112.3700),
    ("430903008000", "龙光桥街道", 28.4900, 112.3800),
    ("430903103000", "泉交河镇", 28.6100, 112.5300),
    ("430903105000", "沧水铺镇", 28.4300, 112.4700),
    ("430922112000", "桃花江镇", 28.5200, 112.1500),
    ("431002001000", "人民路街道", 25.7850, 113.0250),
    ("431002002000", "北湖街道", 25.7950, 113.0150),
    ("431002101000", "华塘镇", 25.8300, 112.9500),
    ("431003001000", "苏仙岭街道", 25.8000, 113.0450),
    ("431003101000", "白露塘镇", 25.8700, 113.0800),
    ("431003103000", "栖凤渡镇", 25.9400, 113.1300),
    ("431021102000", "仁义镇", 25.8900, 112.6800),
    ("431081002000", "东江街道", 25.9400, 113.3400),
    ("431081105000", "兴宁镇", 26.0400, 113.2300),
    ("431129200000", "界牌乡", 25.0800, 111.7800),
    ("431228212000", "大树坳乡", 27.3600, 109.5800),
    ("431321002000", "金开街道", 27.4500, 112.1900),
    ("433124108000", "边城镇", 28.5200, 109.1700),
]

# Villages and communities (村/社区): see the module docstring about the last 3 digits.
_VILLAGES = [
    ("430103009005", "金桂社区"),  # seed 002; suffix guessed
    ("430112103201", "郭亮村"),
    ("430112103210", "静慎村"),  # seed 002; suffix guessed
    ("430406002002", "雨花亭社区"),
    ("430406002006", "杏花村社区"),
    ("430406100002", "龙潭社区"),
    ("430406100201", "文昌村"),
    ("430407006002", "雁栖湖社区"),
    ("430408001001", "红湖社区"),
    ("430408001003", "大元头社区"),
    ("430408002001", "学院路社区"),
    ("430408004001", "莲子塘社区"),
    ("430408004201", "岳屏村"),
    ("430408100001", "新阳社区"),
    ("430408100201", "新阳村"),
    ("430408100202", "松陂村"),
    ("430408101001", "雨城社区"),
    ("430408101206", "雨母村"),
    ("430421100005", "蒸阳社区"),
    ("430421100202", "西渡村"),
    ("430421110001", "桂花台社区"),
    ("430421110202", "界牌村"),
    ("430422001006", "云集社区"),
    ("430422001201", "云集村"),
    ("430422111001", "老街社区"),
    ("430422111201", "三塘村"),
    ("430423100001", "北望桥社区"),
    ("430423100207", "师古村"),
    ("430424109001", "兴霞社区"),
    ("430424109203", "平田村"),
    ("430426106001", "太平街社区"),
    ("430426106208", "湘江村"),
    ("430522105001", "梅市社区"),
    ("430522105209", "南岳村"),
    ("430681118208", "屈子祠村"),
    ("430822207202", "双溪桥村"),
    ("430822207208", "刘家坪村"),
    ("430902104001", "海南塘社区"),
    ("430902104201", "沙头村"),
    ("430903006001", "会龙山社区"),
    ("430903006201", "新安村"),
    ("430903008001", "天石社区"),
    ("430903008201", "龙光桥村"),
    ("430903103001", "香三社区"),
    ("430903103205", "胡林翼村"),
    ("430903105201", "青秀山村"),
    ("430903105202", "沧水铺村"),
    ("430903105204", "碧云峰村"),
    ("430922112006", "桃花江社区"),
    ("430922112202", "花园洞村"),
    ("431002001001", "北湖路社区"),
    ("431002001009", "燕泉路社区"),
    ("431002002001", "解放路社区"),
    ("431002101001", "华塘社区"),
    ("431002101202", "吴山村"),
    ("431003001001", "苏园路社区"),
    ("431003001007", "六角亭社区"),
    ("431003101001", "白露塘社区"),
    ("431003101201", "秧溪村"),
    ("431003103001", "栖江社区"),
    ("431003103203", "瓦灶村"),
    ("431021102001", "花坪社区"),
    ("431021102201", "仁义村"),
    ("431021102202", "王泗村"),
    ("431081002002", "东江社区"),
    ("431081002201", "文昌村"),
    ("431081105001", "兴宁社区"),
    ("431081105204", "水栗村"),
    ("431129200203", "界牌村"),
    ("431228212206", "大树坳村"),
    ("433124108001", "茶洞社区"),
    ("433124108201", "隘门口村"),
]

REGIONS: list[tuple[str, str, str]] = sorted(
    [(_PROVINCE[0], _PROVINCE[1], "province")]
    + [(code, name, "city") for code, name in _CITIES]
    + [(code, name, "county") for code, name in _COUNTIES]
    + [(code, name, "township") for code, name, _lat, _lng in _TOWNSHIPS]
    + [(code, name, "village") for code, name in _VILLAGES]
)

_NAMES = {code: name for code, name, _level in REGIONS}


def _is_street(township_name: str) -> bool:
    return township_name.endswith("街道")


# ---------------------------------------------------------------------------
# Congresses
# ---------------------------------------------------------------------------

# Terms: 十四届 national and provincial (seed 002); 郴州 was in its fifth term in 2020
# (seed 001), so its sixth now; 桃江县第十八届 (seed 000). The other ordinals are
# plausible illustrations, not checked.
_CITY_TERMS = {
    "430100000000": "第十六届",
    "430400000000": "第十六届",
    "430500000000": "第十七届",
    "430600000000": "第九届",
    "430800000000": "第八届",
    "430900000000": "第八届",
    "431000000000": "第六届",
    "431100000000": "第六届",
    "431200000000": "第六届",
    "431300000000": "第七届",
    "433100000000": "第十五届",
}
_COUNTY_TERM = "第十八届"
_TOWNSHIP_TERM = "第十九届"


def _county_congress_name(code: str) -> str:
    name = _NAMES[code]
    if name.endswith("区"):  # districts are named with their city
        return f"{_NAMES[code[:4] + '0' * 8]}{name}人民代表大会"
    return f"{name}人民代表大会"


# Only 乡 and 镇 have a people's congress. A 街道 is an agency of the district or
# county (its 人大工作委员会 serves the county congress's deputies), so streets get
# stations but no congress of their own.
CONGRESSES: list[dict] = (
    [
        {"region": None, "level": "national", "name": "全国人民代表大会", "term": "第十四届"},
        {
            "region": _PROVINCE[0],
            "level": "province",
            "name": "湖南省人民代表大会",
            "term": "第十四届",
        },
    ]
    + [
        {"region": code, "level": "city", "name": f"{name}人民代表大会", "term": _CITY_TERMS[code]}
        for code, name in _CITIES
    ]
    + [
        {
            "region": code,
            "level": "county",
            "name": _county_congress_name(code),
            "term": _COUNTY_TERM,
        }
        for code, _name in _COUNTIES
    ]
    + [
        {
            "region": code,
            "level": "township",
            "name": f"{_NAMES[code[:6] + '0' * 6]}{name}人民代表大会",
            "term": _TOWNSHIP_TERM,
        }
        for code, name, _lat, _lng in _TOWNSHIPS
        if not _is_street(name)
    ]
)

# Deputies to create for each congress of a level (every city congress gets
# DEPUTY_COUNTS["city"] deputies, and so on).
DEPUTY_COUNTS: dict[str, int] = {
    "national": 5,
    "province": 12,
    "city": 8,
    "county": 10,
    "township": 6,
}

DEPUTY_TOTAL: int = sum(DEPUTY_COUNTS[c["level"]] for c in CONGRESSES)

# ---------------------------------------------------------------------------
# Stations
# ---------------------------------------------------------------------------

# Public code: city letters + county digits (code[2:6]) + a letter for the sort of
# station (C centre, S village station, P point, M mobile, Y online/云端) + a serial.
_CITY_LETTERS = {
    "4301": "CS",
    "4304": "HY",
    "4305": "SY",
    "4306": "YU",
    "4308": "ZJ",
    "4309": "YY",
    "4310": "CZ",
    "4311": "YZ",
    "4312": "HH",
    "4313": "LD",
    "4331": "XX",
}
_SERIAL = "123456789ABCDEFGHJKLMNPQRSTUVWXYZ"

# Reception schedules. Optional keys beyond the rule: "start"/"end" (HH:MM, default
# 09:00–11:30), "notice_days" (default 3) and "deputies_per_day" (default 2).
_MONTHLY_8 = {"rule": "monthly", "day": 8}  # 沧水铺镇's 8号接待日 (seed 004)
_FENG_SI = [  # 雁峰区 "逢四说事": the 4th, 14th and 24th (seed 000)
    "2026-12-04", "2026-12-14", "2026-12-24", "2027-01-04", "2027-01-14",
    "2027-01-24", "2027-02-14", "2027-02-24", "2027-03-04", "2027-03-14",
    "2027-03-24",
]  # fmt: skip
_MARKET_DAYS = [  # 大树坳乡 "赶集日坐班制": market days ending in 3 and 8 (seed 004)
    "2026-12-03", "2026-12-08", "2026-12-13", "2026-12-18", "2026-12-23",
    "2026-12-28", "2027-01-03", "2027-01-08", "2027-01-13", "2027-01-18",
    "2027-01-23", "2027-01-28",
]  # fmt: skip
_TWICE_MONTHLY = [  # 新邵县: open 1–2 times a month (seed 003), holidays skipped
    "2026-12-01", "2026-12-16", "2027-01-04", "2027-01-16", "2027-02-01",
    "2027-02-22", "2027-03-01", "2027-03-16",
]  # fmt: skip

# Per township: the centre station's schedule, and a practice note from the seeds.
_TOWNSHIP_PRACTICE: dict[str, tuple[dict, str]] = {
    "430103009000": (
        {"rule": "weekly", "weekday": 4},
        "与金桂社区共建，省人大机关支部联系点（种子002）。",
    ),
    "430112103000": (
        {"rule": "monthly", "day": 10},
        "静慎村为省人大机关支部基层联系点（种子002）。",
    ),
    "430406002000": (
        {"rule": "dates", "dates": _FENG_SI},
        "“逢四说事”：每月4日、14日、24日代表与居民议事（种子000）。",
    ),
    "430406100000": ({"rule": "monthly", "day": 10}, "白沙洲工业园企业就近联系。"),
    "430407006000": (
        {"rule": "weekly", "weekday": 4},
        "收集雁栖湖片区内涝等意见，黄沙湾排渍站扩建为票决实事（种子000）。",
    ),
    "430408001000": (
        {"rule": "weekly", "weekday": 2},
        "每年9月为区人大代表履职报告月（种子000）。",
    ),
    "430408002000": (
        {"rule": "weekly", "weekday": 3},
        "每年9月为区人大代表履职报告月（种子000）。",
    ),
    "430408004000": (
        {"rule": "monthly", "day": 15},
        "“码上找代表”试点街道，意见与12345热线工单互通（种子000）。",
    ),
    "430408100000": (
        {"rule": "monthly", "day": 18},
        "一站变三站：固定站、流动站、云端站（种子000）。",
    ),
    "430408101000": ({"rule": "odd_months", "day": 15}, "单月接待，双月下村走访。"),
    "430421100000": ({"rule": "monthly", "day": 5}, "县城所在镇，县乡人大代表联合接待。"),
    "430421110000": ({"rule": "odd_months", "day": 10}, "单月10日接待选民。"),
    "430422001000": (
        {"rule": "weekly", "weekday": 1},
        "“码上找代表”试点，扫码留言由12345派单（种子000）。",
    ),
    "430422111000": (
        {"rule": "monthly", "day": 20},
        "“屋场恳谈会+代表小组活动”，代表编组融入屋场（种子000）。",
    ),
    "430423100000": (
        {"rule": "monthly", "day": 20},
        "开云镇设有基层立法联系点，收集立法意见（种子000）。",
    ),
    "430424109000": (
        {"rule": "odd_months", "day": 15},
        "关注栗木至霞流三级公路改建（种子000）。",
    ),
    "430426106000": (
        {"rule": "monthly", "day": 12},
        "“码上找代表”试点；归阳工业园设企业联络点（种子000）。",
    ),
    "430522105000": (
        {"rule": "dates", "dates": _TWICE_MONTHLY},
        "每月定期开放1—2次，代表轮流值班；分级负责、归口办理（种子003）。",
    ),
    "430681118000": (
        {"rule": "monthly", "day": 20},
        "民生实事项目代表票决制省级联系点（种子001）。",
    ),
    "430822207000": (
        {"rule": "odd_months", "day": 10},
        "“五环五时”闭环：受理随时、交办及时、办理限时、答复定时、回访适时"
        "；代表履职积分管理（种子004）。",
    ),
    "430902104000": (
        {"rule": "monthly", "day": 16},
        "代表任镇重点项目义务监督员（种子000）。",
    ),
    "430903006000": (_MONTHLY_8, "市、区、乡三级代表就近编入，每月定期接待（种子000）。"),
    "430903008000": (_MONTHLY_8, "年底意见分为已处理、转建议、无法落实三类（种子000）。"),
    "430903103000": (_MONTHLY_8, "代表配备联系群众登记本（种子000）。"),
    "430903105000": (
        _MONTHLY_8,
        "科学布局4个联络站，80名代表全员入站，严格落实8号接待日；"
        "“五进”：进学校、企业、医院、小区、屋场（种子004）。",
    ),
    "430922112000": ({"rule": "monthly", "day": 18}, "县城所在镇中心联络站。"),
    "431002001000": (
        {"rule": "weekly", "weekday": 2},
        "社区代表联络站借助慈善超市平台扶贫济困（种子001）。",
    ),
    "431002002000": ({"rule": "weekly", "weekday": 4}, "社区代表联络站（种子001）。"),
    "431002101000": ({"rule": "monthly", "day": 10}, "五级人大代表进站联系群众（种子001）。"),
    "431003001000": (
        {"rule": "weekly", "weekday": 1},
        "依托代表活动室接待群众、化解矛盾纠纷（种子001）。",
    ),
    "431003101000": ({"rule": "monthly", "day": 6}, "依托代表活动室接待群众（种子001）。"),
    "431003103000": ({"rule": "odd_months", "day": 20}, "依托代表活动室接待群众（种子001）。"),
    "431021102000": (
        {"rule": "monthly", "day": 9},
        "“代表有约”；站长负责制，巡查响应，台账动态管理（种子004）。",
    ),
    "431081002000": (
        {"rule": "weekly", "weekday": 3},
        "达到“六有”标准，选聘信息员进站（种子001）。",
    ),
    "431081105000": (
        {"rule": "monthly", "day": 15},
        "每年“人大代表集中走访月”（种子001）。",
    ),
    "431129200000": (
        {"rule": "monthly", "day": 6},
        "乡级站集中周边8村的县、乡人大代表驻站；能当场答复的当场答复（种子004）。",
    ),
    "431228212000": (
        {"rule": "dates", "dates": _MARKET_DAYS, "start": "08:00", "end": "12:00"},
        "赶集日坐班制；依托“智慧人大”平台线上线下履职（种子004）。",
    ),
    "431321002000": (
        {"rule": "weekly", "weekday": 2},
        "增设“民情信箱”；每名代表每年进站不少于4次（种子004）。",
    ),
    "433124108000": (
        {"rule": "monthly", "day": 15},
        "“1+20+X”阵地网络，设代表接待日，收集立法建议（种子004）。",
    ),
}

_WEEKDAYS = "一二三四五六日"

# Centres short of the "六有" (to show the checklist in the demo).
_CENTRE_GAPS = {"430424109000": ("ledger",), "433124108000": ("funding",)}

# Liaison points (tier "point") at enterprises, parks and industries:
# (village code, name, address, schedule, note).
_POINTS = [
    (
        "430426106208",
        "归阳工业园企业人大代表联络点",
        "衡阳市祁东县归阳镇归阳工业园管委会一楼",
        {"rule": "monthly", "day": 25},
        "财政经济代表专业小组“送政策、解难题、优服务”（种子000）。",
    ),
    (
        "430406100201",
        "白沙洲工业园企业人大代表联络点",
        "衡阳市雁峰区白沙洲工业园企业服务中心",
        {"rule": "odd_months", "day": 25},
        "园区企业就近联系代表。",
    ),
    (
        "430903105202",
        "沧水铺镇循环经济工业园企业人大代表联络点",
        "益阳市赫山区沧水铺镇循环经济工业园",
        _MONTHLY_8,
        "“法治护企”：代表进企业帮扶（种子004）。",
    ),
    (
        "430903008201",
        "龙岭产业开发区企业人大代表联络点",
        "益阳市赫山区龙岭产业开发区服务中心",
        _MONTHLY_8,
        "代表“五进”之进企业（种子000）。",
    ),
    (
        "431021102202",
        "仁义镇农业产业人大代表联络点",
        "郴州市桂阳县仁义镇王泗村农业产业基地",
        {"rule": "monthly", "day": 9},
        "在农业产业链建专业站，“代表+专家”团队助农（种子004）。",
    ),
    (
        "431002001009",
        "燕泉路社区慈善超市人大代表联络点",
        "郴州市北湖区燕泉路社区慈善超市",
        {"rule": "weekly", "weekday": 5},
        "借助慈善超市平台扶贫济困（种子001）。",
    ),
    (
        "431003101201",
        "有色金属产业园企业人大代表联络点",
        "郴州市苏仙区白露塘镇有色金属产业园",
        {"rule": "monthly", "day": 26},
        "园区企业就近联系代表。",
    ),
    (
        "431081002002",
        "东江湖景区人大代表联络点",
        "郴州市资兴市东江街道东江湖游客服务中心",
        {"rule": "weekly", "weekday": 5},
        "关注东江湖对外通道建设（种子001）。",
    ),
]

# Mobile stations (流动站), based at a township: (township code, name, base, schedule, note).
_MOBILE = [
    (
        "430408100000",
        "呆鹰岭镇人大代表流动联络站",
        "随屋场、集市流动设点",
        {"rule": "dates", "dates": ["2026-12-10", "2027-01-12", "2027-03-10"]},
        "一站变三站之流动站（种子000）。",
    ),
    (
        "430406002000",
        "雁峰街道“首峰夜话”流动联络站",
        "各小区广场轮流设点",
        {
            "rule": "dates",
            "dates": ["2026-12-11", "2027-01-15", "2027-03-12"],
            "start": "19:30",
            "end": "21:00",
        },
        "晚间议事，方便上班族反映意见（种子000）。",
    ),
    (
        "430422111000",
        "三塘镇屋场恳谈流动联络站",
        "各屋场轮流设点",
        {"rule": "dates", "dates": ["2026-12-06", "2027-01-10", "2027-03-07"]},
        "屋场恳谈会+代表小组活动（种子000）。",
    ),
    (
        "430903105000",
        "沧水铺镇“五进”人大代表流动联络站",
        "进学校、企业、医院、小区、屋场",
        {"rule": "dates", "dates": ["2026-12-15", "2027-01-19", "2027-03-16"]},
        "变“被动接访为主动下访”（种子004）。",
    ),
    (
        "431321002000",
        "金开街道人大代表移动联络站",
        "各社区、项目现场流动设点",
        {"rule": "dates", "dates": ["2026-12-17", "2027-01-21", "2027-03-18"]},
        "移动联络站服务项目建设与乡村振兴（种子004）。",
    ),
]

# Online stations (云端站): (township code, name, schedule of online duty, note).
_ONLINE = [
    (
        "430408100000",
        "呆鹰岭镇人大代表云端联络站",
        {"rule": "weekly", "weekday": 0},
        "一站变三站之云端站，人大“总在线”、履职“不打烊”（种子000）。",
    ),
    (
        "430406002000",
        "雁峰街道人大代表云端联络站",
        {"rule": "weekly", "weekday": 1},
        "“码上找代表”试点（种子000）。",
    ),
    (
        "430422001000",
        "云集街道人大代表云端联络站",
        {"rule": "weekly", "weekday": 3},
        "“码上找代表”与12345热线融合（种子000）。",
    ),
    (
        "430426106000",
        "归阳镇人大代表云端联络站",
        {"rule": "weekly", "weekday": 2},
        "“码上找代表”试点（种子000）。",
    ),
    (
        "430903006000",
        "会龙山街道掌上人大代表联络站",
        {"rule": "weekly", "weekday": 4},
        "依托益阳智慧人大APP，代表与群众全天候互动（种子000）。",
    ),
    (
        "433124108000",
        "边城镇人大代表云端联络站",
        {"rule": "weekly", "weekday": 0},
        "应用智慧平台实现诉求闭环管理（种子004）。",
    ),
]

# Village station offsets from the township seat (degrees), by order in the township.
_OFFSETS = [(0.012, -0.009), (-0.009, 0.013), (0.015, 0.011), (-0.014, -0.008)]


def _describe(schedule: dict) -> str:
    rule = schedule["rule"]
    if rule == "monthly":
        when = f"每月{schedule['day']}日为代表接待日"
    elif rule == "odd_months":
        when = f"单月{schedule['day']}日为代表接待日"
    elif rule == "weekly":
        when = f"每周{_WEEKDAYS[schedule['weekday']]}为代表接待日"
    else:
        days = "、".join(f"{int(d[5:7])}月{int(d[8:])}日" for d in schedule["dates"][:6])
        more = "等" if len(schedule["dates"]) > 6 else ""
        when = f"接待日：{days}{more}"
    start = schedule.get("start", "09:00")
    end = schedule.get("end", "11:30")
    notice = schedule.get("notice_days", 3)
    return f"{when}，{start}—{end}，代表轮流值班，值班安排提前{notice}天公示。"


def _copy(schedule: dict) -> dict:
    """A fresh schedule dict per station, so that no two stations share one object."""
    return {key: list(v) if isinstance(v, list) else v for key, v in schedule.items()}


def _haves(missing: tuple[str, ...] = ()) -> dict[str, bool]:
    keys = ("organisation", "premises", "sign", "rules", "ledger", "funding")
    return {key: key not in missing for key in keys}


def _build_stations() -> list[dict]:
    serials: dict[tuple[str, str], int] = {}

    def code_for(region: str, letter: str) -> str:
        key = (region[:6], letter)
        serials[key] = serials.get(key, 0) + 1
        return f"{_CITY_LETTERS[region[:4]]}{region[2:6]}{letter}{_SERIAL[serials[key] - 1]}"

    def place(code: str) -> str:
        city = _NAMES[code[:4] + "0" * 8]
        county = _NAMES[code[:6] + "0" * 6]
        return f"{city}{county}{_NAMES[code[:9] + '000']}"

    stations: list[dict] = []
    seats = {code: (lat, lng) for code, _name, lat, lng in _TOWNSHIPS}
    for code, name, lat, lng in _TOWNSHIPS:
        schedule, note = _TOWNSHIP_PRACTICE[code]
        office = "办事处便民服务中心二楼" if _is_street(name) else "人民政府院内一楼"
        stations.append(
            {
                "code": code_for(code, "C"),
                "name": f"{name}人大代表中心联络站",
                "region": code,
                "tier": "centre",
                "kind": "fixed",
                "address": f"{place(code)}{office}",
                "lat": lat,
                "lng": lng,
                "opening_notes": _describe(schedule) + note,
                "six_haves": _haves(_CENTRE_GAPS.get(code, ())),
                "schedule": _copy(schedule),
            }
        )

    order: dict[str, int] = {}
    for index, (code, name) in enumerate(_VILLAGES):
        township = code[:9] + "000"
        position = order.get(township, 0)
        order[township] = position + 1
        d_lat, d_lng = _OFFSETS[position % len(_OFFSETS)]
        scale = 0.4 if name.endswith("社区") else 1.0  # communities sit close together
        lat, lng = seats[township]
        schedule, _note = _TOWNSHIP_PRACTICE[township]
        missing: tuple[str, ...] = ()
        if not code.startswith("431081"):  # 资兴市's stations all meet the 六有 (seed 001)
            if index % 9 == 4:
                missing += ("funding",)
            if index % 13 == 7:
                missing += ("ledger",)
            if index % 17 == 3:
                missing += ("sign",)
        stations.append(
            {
                "code": code_for(code, "S"),
                "name": f"{_NAMES[township]}{name}人大代表联络站",
                "region": code,
                "tier": "station",
                "kind": "fixed",
                "address": f"{place(code)}{name}党群服务中心",
                "lat": round(lat + d_lat * scale, 4),
                "lng": round(lng + d_lng * scale, 4),
                "opening_notes": _describe(schedule) + "就近编入的各级代表进站接待。",
                "six_haves": _haves(missing),
                "schedule": _copy(schedule),
            }
        )

    for position, (code, name, address, schedule, note) in enumerate(_POINTS):
        lat, lng = seats[code[:9] + "000"]
        d_lat, d_lng = _OFFSETS[(position + 2) % len(_OFFSETS)]
        stations.append(
            {
                "code": code_for(code, "P"),
                "name": name,
                "region": code,
                "tier": "point",
                "kind": "fixed",
                "address": address,
                "lat": round(lat - d_lat, 4),
                "lng": round(lng - d_lng, 4),
                "opening_notes": _describe(schedule) + note,
                "six_haves": _haves(() if position % 2 else ("funding",)),
                "schedule": _copy(schedule),
            }
        )

    for code, name, base, schedule, note in _MOBILE:
        lat, lng = seats[code]
        stations.append(
            {
                "code": code_for(code, "M"),
                "name": name,
                "region": code,
                "tier": "station",
                "kind": "mobile",
                "address": f"{place(code)}：{base}",
                "lat": lat,
                "lng": lng,
                "opening_notes": _describe(schedule) + note,
                "six_haves": _haves(("premises",)),
                "schedule": _copy(schedule),
            }
        )

    for code, name, schedule, note in _ONLINE:
        online = {**schedule, "start": "09:00", "end": "17:00", "notice_days": 2}
        stations.append(
            {
                "code": code_for(code, "Y"),
                "name": name,
                "region": code,
                "tier": "station",
                "kind": "online",
                "address": "线上：扫描二维码进入“码上找代表”",
                "lat": None,
                "lng": None,
                "opening_notes": "全天候线上受理意见建议；"
                + _describe(online).replace("代表接待日", "代表线上值班日")
                + note,
                "six_haves": _haves(("premises", "sign")),
                "schedule": _copy(online),
            }
        )
    return stations


STATIONS: list[dict] = _build_stations()

# ---------------------------------------------------------------------------
# Deputies
# ---------------------------------------------------------------------------

# Common surnames in Hunan (single-character only, so that surname + given name
# never reads two ways).
DEPUTY_SURNAMES: list[str] = [
    "刘", "李", "王", "张", "陈", "杨", "周", "黄", "罗", "彭",
    "曾", "谭", "邓", "胡", "唐", "吴", "肖", "谢", "蒋", "易",
    "何", "龙", "朱", "廖", "贺", "雷", "文", "段", "许", "颜",
    "向", "邹", "蔡", "袁", "石", "郭", "宋", "夏", "伍", "戴",
    "尹", "龚", "汤", "钟", "赵", "孙", "田", "丁", "姚", "万",
    "符", "聂", "阳", "欧", "邱", "莫", "陶", "左", "卢", "熊",
]  # fmt: skip

_MALE_GIVEN = [
    "建华", "志强", "国平", "卫东", "海军", "伟", "勇", "军", "斌", "杰",
    "明", "辉", "涛", "磊", "鹏", "俊", "浩", "宇", "文斌", "立新",
    "新民", "正阳", "湘军", "湘平", "建国", "志刚", "德明", "光辉", "少华", "振宇",
    "子豪", "家乐", "红兵", "国庆", "长青", "永福", "金龙", "春生", "跃进", "胜利",
    "爱国", "学军", "海波", "绍华", "庆丰", "锦程", "铁军", "政", "峰", "刚",
    "亮", "洪", "毅", "晖", "超",
]  # fmt: skip

FEMALE_GIVEN: list[str] = [
    "丽", "芳", "娟", "敏", "静", "霞", "燕", "红梅", "秀英", "桂香",
    "玉兰", "晓燕", "海燕", "丽华", "春兰", "美玲", "雪梅", "慧", "婷", "琳",
    "佳怡", "湘君", "湘英", "小红", "艳", "蓉",
]  # fmt: skip


def _interleave(male: list[str], female: list[str]) -> list[str]:
    """Two male names, then one female, while both last; then the rest."""
    out: list[str] = []
    m_iter, f_iter = iter(male), iter(female)
    for m_name in m_iter:
        out.append(m_name)
        if len(out) % 3 == 2:
            f_name = next(f_iter, None)
            if f_name is not None:
                out.append(f_name)
    out.extend(f_iter)
    return out


# The given names in use, mixed so that any run of deputies has both genders.
# Gender rule: "F" when the given name is in FEMALE_GIVEN, else "M".
DEPUTY_GIVEN_NAMES: list[str] = _interleave(_MALE_GIVEN, FEMALE_GIVEN)

_FEMALE = frozenset(FEMALE_GIVEN)

# Names of real people in the seeds (and provincial leaders) never to reuse.
_AVOID = frozenset(
    {
        "杨运新", "赵温静", "潘光耀", "周志梅", "彭长征", "王日凤", "谢运良",
        "张庆伟", "毛伟明", "张剑飞", "谢建辉", "张春贤", "胡金勇", "高志荣",
    }
)  # fmt: skip


def gender_of(given_name: str) -> str:
    """The demo's gender rule: "F" for a name in FEMALE_GIVEN, else "M"."""
    return "F" if given_name in _FEMALE else "M"


def deputy_names(n: int) -> list[tuple[str, str]]:
    """``n`` distinct (name, gender) pairs, always the same for the same ``n``.

    Walks every (surname, given name) pair once: the k-th pair takes surname
    ``k % S`` and given name ``(k // S * step + 5 * surname) % G``, a bijection when
    ``step`` is coprime with G, so names spread over surnames and both genders.
    """
    surnames, given = DEPUTY_SURNAMES, DEPUTY_GIVEN_NAMES
    s_count, g_count = len(surnames), len(given)
    step = next(p for p in (17, 19, 23, 29, 31) if g_count % p)
    names: list[tuple[str, str]] = []
    seen: set[str] = set()
    for k in range(s_count * g_count):
        if len(names) >= n:
            break
        s = k % s_count
        g = (k // s_count * step + 5 * s) % g_count
        name = surnames[s] + given[g]
        if name in seen or name in _AVOID:
            continue
        seen.add(name)
        names.append((name, gender_of(given[g])))
    if len(names) < n:
        raise ValueError(f"only {len(names)} distinct demo names are available")
    return names


OCCUPATIONS: list[str] = [
    "村党支部书记、村委会主任",
    "社区党委书记、居委会主任",
    "农民",
    "种粮大户",
    "农民专业合作社理事长",
    "家庭农场主",
    "个体工商户",
    "小学教师",
    "中学教师",
    "乡村医生",
    "乡镇卫生院医生",
    "县人民医院护士长",
    "民营企业负责人",
    "国有企业职工",
    "产业工人",
    "企业技术员",
    "律师",
    "退役军人",
    "乡镇人大主席",
    "乡镇党委书记",
    "街道人大工委主任",
    "县直部门负责人",
    "高校教师",
    "科研人员",
    "快递员",
    "网格员",
]

# Deputy group (代表小组) names by level of the congress whose deputies form the group.
# Placeholders: {city} the city's short name (short_name()), {county} and {township}
# full names, {n} a Chinese numeral (cn_numeral()). E.g. 全国人大代表郴州小组 (seed 001).
DEPUTY_GROUPS: dict[str, str] = {
    "national": "全国人大代表{city}小组",
    "province": "省人大代表{city}小组",
    "city": "市人大代表{county}小组",
    "county": "{county}人大代表{township}代表小组",
    "township": "{township}人大代表第{n}小组",
}

# Professional groups (代表专业小组): seed 000 names 财政经济, 教育, 卫健, 立法, 城建环资,
# 农业与农村 among 衡阳's 11 groups.
PROFESSIONAL_GROUPS: list[str] = [
    "财政经济专业小组",
    "农业农村专业小组",
    "教育科技专业小组",
    "医疗卫生专业小组",
    "法治建设专业小组",
    "城建环资专业小组",
    "社会建设专业小组",
    "生态环境专业小组",
]

_SHORT = {"湘西土家族苗族自治州": "湘西州"}


def short_name(name: str) -> str:
    """A city's short name as used in group names: 郴州市 → 郴州, 湘西…自治州 → 湘西州."""
    if name in _SHORT:
        return _SHORT[name]
    return name[:-1] if name.endswith("市") and len(name) > 2 else name


_DIGITS = "零一二三四五六七八九"


def cn_numeral(n: int) -> str:
    """1..99 in Chinese numerals: 1 → 一, 10 → 十, 12 → 十二, 20 → 二十."""
    if not 0 < n < 100:
        raise ValueError(n)
    tens, units = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _DIGITS[tens] + "十")
    return head + (_DIGITS[units] if units else "")


def deputy_group_name(level: str, **parts: object) -> str:
    """Fill the DEPUTY_GROUPS pattern of ``level``; ``n`` may be given as an int."""
    values = {"city": "", "county": "", "township": "", "n": 1, **parts}
    if isinstance(values["n"], int):
        values["n"] = cn_numeral(values["n"])
    return DEPUTY_GROUPS[level].format(**values)


# ---------------------------------------------------------------------------
# Constituent suggestion categories, from the topics the seeds report
# ---------------------------------------------------------------------------

CATEGORIES: list[tuple[str, str]] = [
    ("roads", "道路交通"),  # 黄高线公路维修, 公交线路, 栗木—霞流公路 (seeds 003, 000)
    ("water", "饮水与水利"),  # 自来水水质, 农饮水, 大堤加固, 排渍站 (seed 000)
    ("education", "教育"),  # 学校周边环境, 湘黔共建学校 (seeds 000, 004)
    ("health", "医疗卫生"),  # 村卫生室就近看病, 医保联动 (seeds 000, 004)
    ("elderly", "养老服务"),  # 低保养老 (seed 003)
    ("environment", "生态环境"),  # 环保整治, 护绿 (seed 004)
    ("living", "人居环境与市政设施"),  # 厕所革命, 垃圾压缩站, 路灯 (seed 001)
    ("agriculture", "农业农村"),  # 耕地红线, 农产品销路 (seeds 000, 004)
    ("employment", "就业与社保"),  # 社会保障, 就业 (seeds 003, 004)
    ("housing", "住房与物业"),  # 物业, 自建房安全, 安置房 (seeds 000, 004)
    ("land", "征地拆迁"),  # seed 003
    ("disputes", "矛盾纠纷"),  # 邻里纠纷, 调处纠纷 (seeds 003, 004)
    ("safety", "社会治安"),  # 护安, 安全隐患 (seed 004)
    ("business", "企业与营商环境"),  # 法治护企, 企业帮扶 (seeds 000, 004)
    ("other", "其他"),
]
