"""Deterministic demo data for Jingmen, as plain values.

The exchange is shown to the city, park operators and enterprises before real firms
register, so the demo must look like Jingmen: phosphate chemical plants around the 胡集
park in 钟祥 and at 石桥驿 in 东宝 with their phosphogypsum, coal power plants with fly ash
and FGD gypsum, a steel works with GGBS, cement and ready-mix plants that consume them, the
battery park in the high-tech zone, and recyclers. All firms are fictional; every login is
clearly a demo login.

The module builds values only; the lead's seed command writes them to the database. One
``random.Random(20261124)`` drives every draw in a fixed order, so two calls of
:func:`build_demo` return equal data and a re-seed produces the same ids, prices and specs
(screenshots and walkthrough scripts stay valid).

Coordinates: DOMAIN.md gives Jingmen's points in GCJ-02 (the datum of Chinese web maps). The
exchange stores WGS84, so each site is placed in GCJ-02 and converted with the standard
GCJ-02 forward transform (Krasovsky-ellipsoid formula used by the open-source
"eviltransform"/"coordtransform" libraries) inverted by fixed-point iteration to well under
a millimetre. The offset around Jingmen is roughly -0.005° lon, +0.002° lat.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal, NamedTuple

from market.accounts.uscc import make_uscc
from market.catalogue.seed import MATERIALS_BY_CODE, USES

SEED = 20261124
#: "Today" of the demo: dates of listings and demands are placed around it.
DEMO_TODAY = date(2026, 11, 24)
EMAIL_DOMAIN = "demo.jingmen.example"

OrgKind = Literal["producer", "consumer", "recycler", "carrier", "regulator"]
Cadence = Literal["one_off", "monthly"]
Status = Literal["open", "draft", "closed"]

#: The five county-level units of Jingmen (adcode -> name).
DISTRICTS: dict[str, str] = {
    "420802": "东宝区",
    "420804": "掇刀区",
    "420822": "沙洋县",
    "420881": "钟祥市",
    "420882": "京山市",
}

# --------------------------------------------------------------------------------------
# Shapes
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoUser:
    """A login. Passwords are deliberately guessable demo values, never for production."""

    email: str
    password: str
    display_name: str


@dataclass(frozen=True)
class DemoSite:
    """A plant, yard or depot where material is produced or received (WGS84 lon/lat)."""

    key: str
    name: str
    address: str
    lon: float
    lat: float


class DemoPermit(NamedTuple):
    """A hazardous-waste operating permit: the HW class it covers and its expiry."""

    kind: str
    valid_until: date


@dataclass(frozen=True)
class DemoOrg:
    """An organisation with its admin user and sites.

    ``miit_listed`` marks battery recyclers on the MIIT compliant list (only they may take
    recycling lots); ``permits`` lists hazardous-waste permits (HW31, HW08).
    """

    key: str
    name: str
    uscc: str
    kind: OrgKind
    district_code: str
    admin: DemoUser
    sites: list[DemoSite]
    miit_listed: bool = False
    permits: list[DemoPermit] = field(default_factory=list)


@dataclass(frozen=True)
class DemoListing:
    """An offer of material from a site. ``quantity_t`` is per month when monthly."""

    key: str
    site_key: str
    material: str
    quantity_t: Decimal
    cadence: Cadence
    spec: dict[str, Decimal]
    price_cny_t: Decimal
    available_from: date
    available_until: date | None
    status: Status
    title: str


@dataclass(frozen=True)
class DemoDemand:
    """A request for material delivered to a site.

    ``requirements`` maps parameter key -> (min, max), either side None; ``grade`` names a
    catalogue grade of ``material`` whose limits apply in addition. ``use`` is the
    typical-use key (for CO2 accounting and the MIIT rule on battery recycling).
    """

    key: str
    site_key: str
    material: str
    use: str
    quantity_t: Decimal
    cadence: Cadence
    requirements: dict[str, tuple[Decimal | None, Decimal | None]]
    grade: str | None
    max_haul_km: Decimal
    max_price_cny_t: Decimal | None
    status: Status
    title: str


@dataclass(frozen=True)
class DemoData:
    """Everything the seed command loads. ``regulator`` is also the admin of its org."""

    orgs: list[DemoOrg]
    listings: list[DemoListing]
    demands: list[DemoDemand]
    regulator: DemoUser
    platform_admin: DemoUser


# --------------------------------------------------------------------------------------
# GCJ-02 <-> WGS84
# --------------------------------------------------------------------------------------

_KRASOVSKY_A = 6378245.0
_KRASOVSKY_EE = 0.00669342162296594323


def _gcj_dlat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _gcj_dlon(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """The public GCJ-02 forward transform (valid inside mainland China)."""
    dlat = _gcj_dlat(lon - 105.0, lat - 35.0)
    dlon = _gcj_dlon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * math.pi
    magic = 1 - _KRASOVSKY_EE * math.sin(radlat) ** 2
    sqrtmagic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_KRASOVSKY_A * (1 - _KRASOVSKY_EE)) / (magic * sqrtmagic) * math.pi)
    dlon = (dlon * 180.0) / (_KRASOVSKY_A / sqrtmagic * math.cos(radlat) * math.pi)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """Invert :func:`wgs84_to_gcj02` by fixed-point iteration (converges in a few steps,
    because the offset varies slowly: error < 1e-9° ≈ 0.1 mm)."""
    wlon, wlat = lon, lat
    for _ in range(30):
        glon, glat = wgs84_to_gcj02(wlon, wlat)
        dlon, dlat = glon - lon, glat - lat
        wlon -= dlon
        wlat -= dlat
        if abs(dlon) < 1e-10 and abs(dlat) < 1e-10:
            break
    return wlon, wlat


# --------------------------------------------------------------------------------------
# Roster (fictional firms; base points GCJ-02, jittered per site)
# --------------------------------------------------------------------------------------


class _Site(NamedTuple):
    suffix: str
    name: str
    address: str
    lon: float  # GCJ-02 base point
    lat: float
    jitter_km: float = 1.0


class _Org(NamedTuple):
    key: str
    name: str
    kind: OrgKind
    district: str
    sites: tuple[_Site, ...]
    miit_listed: bool = False
    permits: tuple[tuple[str, date], ...] = ()


_HUJI = (112.306, 31.420)  # 钟祥胡集化工园区 (DOMAIN.md §5)
_SHIQIAOYI = (112.130, 31.190)  # 东宝化工循环产业园, 石桥驿 (point chosen for the demo)
# 荆门化工循环产业园 (DOMAIN.md §5). The DataV boundary puts this point on the 东宝/掇刀 line,
# so park sites sit 2-3 km west of it, inside 掇刀 where their addresses say they are.
_CHEM_PARK = (112.266, 31.023)
_BATTERY_PARK = (112.200, 30.950)  # 动力储能电池产业园, 高新区 (approximate)
_SHAYANG_CHEM = (112.545, 30.672)  # 沙洋县化工集中区 (DOMAIN.md §5)

_ROSTER: tuple[_Org, ...] = (
    # ---- 东宝区 420802
    _Org("shiqiaoyi_phos", "荆门石桥驿汉磷化工有限公司", "producer", "420802", (
        _Site("plant", "石桥驿磷化工厂区", "荆门市东宝区石桥驿镇化工循环产业园磷化大道6号",
              *_SHIQIAOYI, 0.8),
    )),
    _Org("gypsum_board", "荆门磷石新型建材有限公司", "consumer", "420802", (
        _Site("plant", "石膏板生产基地", "荆门市东宝区石桥驿镇化工循环产业园建材路12号",
              _SHIQIAOYI[0] + 0.012, _SHIQIAOYI[1] - 0.010, 0.8),
    )),
    _Org("dongbao_mining", "荆门大岭磷矿业有限公司", "consumer", "420802", (
        _Site("mine", "大岭磷矿井区", "荆门市东宝区马河镇大岭村矿区路1号", 112.120, 31.285, 1.5),
        _Site("mill", "大岭选矿厂", "荆门市东宝区马河镇选厂路8号", 112.100, 31.250, 1.0),
    )),
    _Org("dongbao_coal", "荆门仙居煤业有限公司", "producer", "420802", (
        _Site("mine", "仙居煤矿矸石场", "荆门市东宝区仙居乡煤矿路3号", 112.050, 31.270, 1.5),
    )),
    _Org("dongbao_cement", "荆门象山建材水泥有限公司", "consumer", "420802", (
        _Site("plant", "子陵水泥熟料基地", "荆门市东宝区子陵铺镇水泥厂路9号", 112.210, 31.120, 1.5),
    )),
    _Org("rmc_dongbao", "荆门城建商品混凝土有限公司", "consumer", "420802", (
        _Site("plant", "龙泉搅拌站", "荆门市东宝区龙泉街道长宁大道388号", 112.180, 31.065, 0.8),
    )),
    _Org("developer", "荆门城市更新建设有限公司", "producer", "420802", (
        _Site("oldtown", "中天街旧城改造项目", "荆门市东宝区泉口街道中天街旧改地块",
              112.190, 31.035, 0.5),
        _Site("baimiao", "白庙片区拆迁项目", "荆门市掇刀区白庙街道白庙路拆迁地块",
              112.215, 30.985, 0.8),
    )),
    _Org("road_city", "荆门通衢路桥工程有限公司", "consumer", "420802", (
        _Site("hq", "路桥公司材料场", "荆门市东宝区泉口路66号", 112.185, 31.050, 0.8),
        _Site("mixing", "麻城沥青拌合站", "荆门市掇刀区麻城镇拌合站路1号", 112.160, 30.960, 1.0),
    )),
    _Org("jingmen_bus", "荆门通达新能源客运有限公司", "producer", "420802", (
        _Site("depot", "公交综合保养场", "荆门市东宝区月亮湖路与象山大道交叉口东", 112.190, 31.075,
              0.8),
    )),
    # ---- 掇刀区 420804
    _Org("jingmen_power", "荆门楚源热电有限公司", "producer", "420804", (
        _Site("plant", "楚源电厂", "荆门市掇刀区掇刀石街道热电路1号", 112.170, 30.990, 0.8),
        _Site("ashyard", "麻城储灰场", "荆门市掇刀区麻城镇储灰场路", 112.160, 30.905, 1.0),
    )),
    _Org("jingmen_steel", "荆门楚钢钢铁有限公司", "producer", "420804", (
        _Site("works", "楚钢炼钢厂区", "荆门市掇刀区兴隆工业园钢城路8号", 112.230, 30.960, 0.8),
        _Site("ggbs", "楚钢矿渣微粉厂", "荆门市掇刀区兴隆工业园建材路16号", 112.240, 30.955, 0.4),
    )),
    _Org("cell_maker_a", "荆门锂源电池科技有限公司", "producer", "420804", (
        _Site("plant", "锂源电芯工厂", "荆门市掇刀区高新区动力储能电池产业园锂电大道18号",
              *_BATTERY_PARK, 0.6),
    )),
    _Org("cell_maker_b", "荆门锐储能源科技有限公司", "producer", "420804", (
        _Site("plant", "锐储电池包工厂", "荆门市掇刀区高新区动力储能电池产业园储能路26号",
              _BATTERY_PARK[0] + 0.010, _BATTERY_PARK[1] - 0.008, 0.6),
    )),
    _Org("battery_cascade", "荆门储安梯次能源有限公司", "recycler", "420804", (
        _Site("plant", "梯次利用储能车间", "荆门市掇刀区高新区动力储能电池产业园循环路9号",
              _BATTERY_PARK[0] - 0.010, _BATTERY_PARK[1] + 0.006, 0.6),
    ), miit_listed=True),
    _Org("battery_recycler", "荆门绿循新能源材料有限公司", "recycler", "420804", (
        _Site("dismantling", "绿循拆解车间", "荆门市掇刀区荆门化工循环产业园循环大道2号",
              _CHEM_PARK[0] - 0.028, _CHEM_PARK[1] + 0.001, 0.5),
        _Site("hydromet", "绿循湿法冶炼车间", "荆门市掇刀区荆门化工循环产业园循环大道20号",
              _CHEM_PARK[0] - 0.021, _CHEM_PARK[1] - 0.003, 0.3),
    ), miit_listed=True),
    _Org("oil_recycler", "荆门恒润再生油品有限公司", "recycler", "420804", (
        _Site("plant", "恒润再生油厂", "荆门市掇刀区荆门化工循环产业园石化三路7号",
              _CHEM_PARK[0] - 0.030, _CHEM_PARK[1] + 0.011, 0.5),
    ), permits=(("HW08", date(2028, 3, 31)),)),
    _Org("rmc_duodao", "荆门掇刀建投商砼有限公司", "consumer", "420804", (
        _Site("plant", "兴隆搅拌站", "荆门市掇刀区兴隆大道199号", 112.190, 30.975, 0.8),
    )),
    _Org("block_maker", "荆门绿筑新型墙材有限公司", "consumer", "420804", (
        _Site("plant", "麻城墙材厂", "荆门市掇刀区麻城镇建材工业园3号", 112.150, 30.935, 0.8),
    )),
    _Org("carrier", "荆门畅达物流有限公司", "carrier", "420804", (
        _Site("depot", "畅达物流车场", "荆门市掇刀区物流园路2号", 112.215, 30.965, 0.8),
    )),
    _Org("cw_processor", "荆门城投建筑垃圾资源化利用有限公司", "recycler", "420804", (
        _Site("plant", "建筑垃圾资源化处置厂", "荆门市掇刀区白庙街道再生路5号", 112.225, 30.965, 0.8),
    )),
    # ---- 沙洋县 420822
    _Org("shayang_chem", "沙洋鑫源化工有限公司", "producer", "420822", (
        _Site("plant", "鑫源磷肥厂", "沙洋县化工集中区化工大道1号", *_SHAYANG_CHEM, 0.8),
    )),
    _Org("shayang_thermal", "沙洋经开热电有限公司", "producer", "420822", (
        _Site("plant", "经开热电厂", "沙洋县经济开发区热电路6号", 112.560, 30.685, 0.8),
    )),
    _Org("shayang_steel", "沙洋汉钢特钢有限公司", "producer", "420822", (
        _Site("plant", "汉钢电炉车间", "沙洋县经济开发区钢厂路18号", 112.575, 30.695, 0.8),
    )),
    _Org("lead_recycler", "湖北楚铅再生资源有限公司", "recycler", "420822", (
        _Site("plant", "楚铅再生铅厂", "沙洋县化工集中区再生路8号",
              _SHAYANG_CHEM[0] - 0.008, _SHAYANG_CHEM[1] - 0.008, 0.6),
    ), permits=(("HW31", date(2028, 6, 30)),)),
    _Org("rmc_shayang", "沙洋汉津混凝土有限公司", "consumer", "420822", (
        _Site("plant", "汉津搅拌站", "沙洋县沙洋镇汉津大道256号", 112.585, 30.715, 0.8),
    )),
    _Org("agri_coop", "沙洋县绿野土壤改良专业合作社", "consumer", "420822", (
        _Site("base", "曾集土壤改良示范基地", "沙洋县曾集镇绿野村", 112.400, 30.780, 1.5),
    )),
    _Org("tyre_recycler", "沙洋轮胎再生利用有限公司", "recycler", "420822", (
        _Site("plant", "后港胶粉厂", "沙洋县后港镇工业园4号", 112.400, 30.550, 1.0),
    )),
    _Org("shayang_grinding", "沙洋汉江水泥粉磨有限公司", "consumer", "420822", (
        _Site("plant", "五里铺粉磨站", "沙洋县五里铺镇工业路9号", 112.450, 30.800, 1.0),
    )),
    # ---- 钟祥市 420881
    _Org("huji_phos_a", "钟祥胡集瑞磷化工有限公司", "producer", "420881", (
        _Site("plant", "瑞磷磷酸厂", "钟祥市胡集镇化工大道18号", *_HUJI, 0.6),
        _Site("stack", "瑞磷磷石膏堆场", "钟祥市胡集镇化工大道北段堆场",
              _HUJI[0] - 0.020, _HUJI[1] + 0.012, 0.8),
    )),
    _Org("huji_phos_b", "钟祥楚磷肥业有限公司", "producer", "420881", (
        _Site("plant", "楚磷复合肥厂", "钟祥市胡集镇化工大道66号",
              _HUJI[0] + 0.012, _HUJI[1] - 0.010, 0.6),
    )),
    _Org("huji_yellow_p", "钟祥磷都黄磷化工有限公司", "producer", "420881", (
        _Site("plant", "黄磷电炉车间", "钟祥市胡集镇磷化工路9号",
              _HUJI[0] - 0.008, _HUJI[1] + 0.015, 0.6),
    )),
    _Org("huji_mining", "钟祥磷峰矿业有限公司", "consumer", "420881", (
        _Site("mill", "磷峰选矿厂", "钟祥市胡集镇矿山路2号", 112.330, 31.450, 1.0),
        _Site("backfill", "磷峰井下充填站", "钟祥市胡集镇磷峰矿区充填站", 112.350, 31.470, 1.0),
    )),
    _Org("zhongxiang_power", "钟祥汉江发电有限公司", "producer", "420881", (
        _Site("plant", "汉江电厂", "钟祥市郢中街道电厂路1号", 112.570, 31.120, 1.0),
    )),
    _Org("zhongxiang_cement", "钟祥汉水水泥有限公司", "consumer", "420881", (
        _Site("plant", "汉水熟料线", "钟祥市双河镇水泥厂路6号", 112.350, 31.380, 1.2),
    )),
    _Org("rmc_zhongxiang", "钟祥恒固商品混凝土有限公司", "consumer", "420881", (
        _Site("plant", "恒固搅拌站", "钟祥市郢中街道承天大道58号", 112.600, 31.180, 0.8),
    )),
    _Org("road_zhongxiang", "钟祥交投路面工程有限公司", "consumer", "420881", (
        _Site("yard", "交投材料场", "钟祥市郢中街道南环路28号", 112.580, 31.145, 0.8),
    )),
    _Org("auto_dismantler", "钟祥报废机动车回收拆解有限公司", "producer", "420881", (
        _Site("plant", "拆解中心", "钟祥市经济开发区再生资源路3号", 112.625, 31.170, 0.8),
    )),
    # ---- 京山市 420882
    _Org("jingshan_cement", "京山楚峰水泥有限公司", "consumer", "420882", (
        _Site("plant", "楚峰熟料基地", "京山市新市街道水泥路1号", 113.080, 31.090, 1.2),
    )),
    _Org("rmc_jingshan", "京山新城混凝土有限公司", "consumer", "420882", (
        _Site("plant", "新城搅拌站", "京山市新市街道京源大道99号", 113.120, 31.000, 0.8),
    )),
    _Org("plastics_recycler", "京山再生塑料科技有限公司", "recycler", "420882", (
        _Site("plant", "再生造粒车间", "京山市经济开发区轻机大道南段12号", 113.135, 31.035, 0.8),
    )),
    _Org("jingshan_pack", "京山印包新材料有限公司", "producer", "420882", (
        _Site("plant", "印包薄膜厂", "京山市经济开发区新阳大道33号", 113.100, 31.015, 0.6),
    )),
    _Org("scrap_recycler", "京山金属再生资源有限公司", "recycler", "420882", (
        _Site("yard", "京山废钢加工基地", "京山市经济开发区再生资源产业园1号", 113.095, 31.045, 0.8),
        _Site("dongbao", "东宝废钢回收站", "荆门市东宝区子陵铺镇回收站路5号", 112.225, 31.095, 0.8),
    )),
    _Org("small_recycler", "京山新能电池回收有限公司", "recycler", "420882", (
        _Site("plant", "新能回收仓库", "京山市永兴街道工业园7号", 113.145, 31.005, 0.8),
    )),
)  # fmt: skip

_REGULATOR = _Org(
    "regulator",
    "荆门市生态环境局（演示）",
    "regulator",
    "420802",
    (
        _Site(
            "office", "市生态环境局办公楼", "荆门市东宝区象山大道（演示地址）", 112.185, 31.040, 0.3
        ),
    ),
)

# --------------------------------------------------------------------------------------
# Supply and demand streams
# --------------------------------------------------------------------------------------

# (site key, material, number of listings, profile)
_SUPPLY: tuple[tuple[str, str, int, str], ...] = (
    ("huji_phos_a_plant", "phosphogypsum", 5, "fresh"),
    ("huji_phos_a_stack", "phosphogypsum", 3, "stack"),
    ("huji_phos_b_plant", "phosphogypsum", 5, "fresh"),
    ("shiqiaoyi_phos_plant", "phosphogypsum", 5, "fresh"),
    ("shayang_chem_plant", "phosphogypsum", 4, "fresh"),
    ("huji_yellow_p_plant", "phosphorus_slag", 4, ""),
    ("huji_mining_mill", "tailings", 4, ""),
    ("dongbao_mining_mill", "tailings", 3, ""),
    ("jingmen_power_plant", "fly_ash", 8, ""),
    ("jingmen_power_plant", "fgd_gypsum", 4, ""),
    ("jingmen_power_plant", "furnace_slag", 3, ""),
    ("jingmen_power_ashyard", "fly_ash", 3, "wet"),
    ("zhongxiang_power_plant", "fly_ash", 8, ""),
    ("zhongxiang_power_plant", "fgd_gypsum", 4, ""),
    ("zhongxiang_power_plant", "furnace_slag", 3, ""),
    ("shayang_thermal_plant", "fly_ash", 5, ""),
    ("shayang_thermal_plant", "furnace_slag", 3, ""),
    ("dongbao_coal_mine", "coal_gangue", 5, ""),
    ("jingmen_steel_works", "steel_slag", 4, ""),
    ("jingmen_steel_ggbs", "ggbs", 8, ""),
    ("shayang_steel_plant", "steel_slag", 4, ""),
    ("cell_maker_a_plant", "battery_lfp", 6, "maker"),
    ("cell_maker_b_plant", "battery_lfp", 4, "maker"),
    ("cell_maker_b_plant", "battery_ncm", 5, "maker"),
    ("jingmen_bus_depot", "battery_lfp", 5, "fleet"),
    ("auto_dismantler_plant", "battery_ncm", 4, "dismantler"),
    ("auto_dismantler_plant", "battery_lead_acid", 4, ""),
    ("auto_dismantler_plant", "scrap_steel", 3, ""),
    ("auto_dismantler_plant", "waste_tyres", 3, ""),
    ("auto_dismantler_plant", "waste_mineral_oil", 3, ""),
    ("developer_oldtown", "construction_waste", 3, ""),
    ("developer_baimiao", "construction_waste", 3, ""),
    ("jingshan_pack_plant", "waste_plastics", 4, ""),
    ("scrap_recycler_yard", "scrap_steel", 3, ""),
    ("scrap_recycler_dongbao", "scrap_steel", 3, ""),
    ("carrier_depot", "waste_tyres", 2, ""),
    ("carrier_depot", "waste_mineral_oil", 2, ""),
    ("carrier_depot", "battery_lead_acid", 1, ""),
)

# (site key, material, use, grade or None, number of demands)
_DEMAND: tuple[tuple[str, str, str, str | None, int], ...] = (
    ("zhongxiang_cement_plant", "phosphogypsum", "gypsum_retarder", None, 2),
    ("zhongxiang_cement_plant", "fly_ash", "cement_admixture", "gbt1596_cement_admixture", 1),
    ("zhongxiang_cement_plant", "phosphorus_slag", "cement_admixture", None, 1),
    ("zhongxiang_cement_plant", "fgd_gypsum", "gypsum_retarder", None, 1),
    ("zhongxiang_cement_plant", "steel_slag", "cement_admixture", None, 1),
    ("zhongxiang_cement_plant", "coal_gangue", "cement_admixture", None, 1),
    ("zhongxiang_cement_plant", "ggbs", "clinker_substitute", "gbt18046_s75", 1),
    ("jingshan_cement_plant", "phosphogypsum", "gypsum_retarder", None, 2),
    ("jingshan_cement_plant", "fly_ash", "cement_admixture", "gbt1596_cement_admixture", 1),
    ("jingshan_cement_plant", "fgd_gypsum", "gypsum_retarder", None, 1),
    ("jingshan_cement_plant", "coal_gangue", "cement_admixture", None, 1),
    ("jingshan_cement_plant", "furnace_slag", "cement_admixture", None, 1),
    ("dongbao_cement_plant", "phosphogypsum", "gypsum_retarder", None, 2),
    ("dongbao_cement_plant", "fly_ash", "clinker_substitute", "gbt1596_cement_admixture", 1),
    ("dongbao_cement_plant", "ggbs", "cement_admixture", "gbt18046_s95", 1),
    ("dongbao_cement_plant", "steel_slag", "cement_admixture", None, 1),
    ("shayang_grinding_plant", "ggbs", "cement_admixture", "gbt18046_s75", 1),
    ("shayang_grinding_plant", "fly_ash", "cement_admixture", "gbt1596_cement_admixture", 1),
    ("shayang_grinding_plant", "phosphorus_slag", "cement_admixture", None, 1),
    ("rmc_dongbao_plant", "fly_ash", "concrete_admixture", "gbt1596_f_ii_concrete", 2),
    ("rmc_dongbao_plant", "ggbs", "concrete_admixture", "gbt18046_s95", 1),
    ("rmc_duodao_plant", "fly_ash", "concrete_admixture", "gbt1596_f_i_concrete", 1),
    ("rmc_duodao_plant", "fly_ash", "concrete_admixture", "gbt1596_f_ii_concrete", 1),
    ("rmc_duodao_plant", "ggbs", "concrete_admixture", "gbt18046_s105", 1),
    ("rmc_shayang_plant", "fly_ash", "concrete_admixture", "gbt1596_f_ii_concrete", 2),
    ("rmc_shayang_plant", "ggbs", "concrete_admixture", "gbt18046_s95", 1),
    ("rmc_zhongxiang_plant", "fly_ash", "concrete_admixture", "gbt1596_f_ii_concrete", 1),
    ("rmc_zhongxiang_plant", "fly_ash", "concrete_admixture", "gbt1596_c_ii_concrete", 1),
    ("rmc_zhongxiang_plant", "ggbs", "concrete_admixture", "gbt18046_s95", 1),
    ("rmc_jingshan_plant", "fly_ash", "concrete_admixture", "gbt1596_f_i_concrete", 1),
    ("rmc_jingshan_plant", "fly_ash", "concrete_admixture", "gbt1596_f_iii_concrete", 1),
    ("rmc_jingshan_plant", "ggbs", "concrete_admixture", "gbt18046_s95", 1),
    ("block_maker_plant", "fly_ash", "brick_block", "gb6566_main_building", 1),
    ("block_maker_plant", "furnace_slag", "brick_block", "gb6566_main_building", 1),
    ("block_maker_plant", "phosphogypsum", "building_gypsum", "gb6566_main_building", 1),
    ("block_maker_plant", "construction_waste", "brick_block", None, 1),
    ("block_maker_plant", "tailings", "brick_block", "gb6566_main_building", 1),
    ("block_maker_plant", "coal_gangue", "brick_block", "gb6566_main_building", 1),
    ("gypsum_board_plant", "phosphogypsum", "building_gypsum", "gb6566_main_building", 3),
    ("gypsum_board_plant", "fgd_gypsum", "building_gypsum", "gb6566_decoration_a", 1),
    ("road_city_hq", "phosphogypsum", "road_base", None, 1),
    ("road_city_hq", "steel_slag", "road_base", None, 1),
    ("road_city_mixing", "construction_waste", "road_base", None, 1),
    ("road_city_mixing", "furnace_slag", "road_base", None, 1),
    ("road_city_hq", "coal_gangue", "road_base", None, 1),
    ("road_zhongxiang_yard", "steel_slag", "road_base", None, 1),
    ("road_zhongxiang_yard", "construction_waste", "road_base", None, 1),
    ("road_zhongxiang_yard", "phosphogypsum", "road_base", "gb6566_main_building", 1),
    ("huji_mining_backfill", "phosphogypsum", "mine_backfill", None, 2),
    ("dongbao_mining_mine", "phosphogypsum", "mine_backfill", None, 2),
    ("agri_coop_base", "phosphogypsum", "soil_conditioner", None, 1),
    ("agri_coop_base", "fgd_gypsum", "soil_conditioner", None, 1),
    ("battery_recycler_dismantling", "battery_lfp", "battery_recycling", None, 3),
    ("battery_recycler_hydromet", "battery_ncm", "battery_recycling", None, 3),
    ("battery_cascade_plant", "battery_lfp", "cascade_use", None, 3),
    ("battery_cascade_plant", "battery_ncm", "cascade_use", None, 1),
    ("small_recycler_plant", "battery_lfp", "battery_recycling", None, 1),
    ("small_recycler_plant", "battery_ncm", "battery_recycling", None, 1),
    ("lead_recycler_plant", "battery_lead_acid", "battery_recycling", None, 3),
    ("oil_recycler_plant", "waste_mineral_oil", "regeneration", None, 2),
    ("scrap_recycler_yard", "scrap_steel", "regeneration", None, 2),
    ("shayang_steel_plant", "scrap_steel", "smelting", None, 2),
    ("jingmen_steel_works", "scrap_steel", "smelting", None, 1),
    ("plastics_recycler_plant", "waste_plastics", "regeneration", None, 2),
    ("tyre_recycler_plant", "waste_tyres", "regeneration", None, 2),
    ("cw_processor_plant", "construction_waste", "regeneration", None, 2),
    ("jingmen_power_plant", "coal_gangue", "fuel", None, 1),
)

# material -> (monthly range t, one-off range t, rounding step t, monthly share)
_QUANTITY: dict[str, tuple[tuple[float, float], tuple[float, float], float, float]] = {
    "phosphogypsum": ((20_000, 80_000), (50_000, 300_000), 100, 0.75),
    "fgd_gypsum": ((3_000, 15_000), (5_000, 30_000), 50, 0.75),
    "fly_ash": ((2_000, 20_000), (5_000, 50_000), 50, 0.75),
    "furnace_slag": ((1_000, 8_000), (3_000, 20_000), 50, 0.7),
    "ggbs": ((5_000, 15_000), (3_000, 20_000), 50, 0.75),
    "steel_slag": ((5_000, 30_000), (10_000, 80_000), 100, 0.7),
    "coal_gangue": ((2_000, 10_000), (10_000, 100_000), 100, 0.5),
    "tailings": ((10_000, 50_000), (50_000, 200_000), 100, 0.7),
    "phosphorus_slag": ((5_000, 20_000), (10_000, 40_000), 50, 0.75),
    "construction_waste": ((3_000, 15_000), (5_000, 80_000), 100, 0.3),
    "scrap_steel": ((200, 3_000), (50, 500), 1, 0.5),
    "waste_plastics": ((20, 300), (10, 200), 0.5, 0.6),
    "waste_tyres": ((30, 200), (50, 500), 0.5, 0.2),
    "waste_mineral_oil": ((2, 20), (5, 60), 0.01, 0.1),
    "battery_lfp": ((5, 50), (5, 200), 0.001, 0.0),
    "battery_ncm": ((5, 50), (5, 200), 0.001, 0.0),
    "battery_lead_acid": ((10, 60), (10, 150), 0.01, 0.2),
}

# material -> listing price range CNY/t, rounding step
_PRICE: dict[str, tuple[float, float, float]] = {
    "phosphogypsum": (-30, 10, 1),
    "fgd_gypsum": (10, 60, 1),
    "fly_ash": (20, 120, 1),
    "furnace_slag": (5, 30, 1),
    "ggbs": (150, 280, 1),
    "steel_slag": (5, 40, 1),
    "coal_gangue": (5, 30, 1),
    "tailings": (0, 15, 1),
    "phosphorus_slag": (20, 60, 1),
    "construction_waste": (-20, 10, 1),
    "scrap_steel": (2_200, 2_900, 10),
    "waste_plastics": (1_500, 4_500, 10),
    "waste_tyres": (600, 1_500, 10),
    "waste_mineral_oil": (2_000, 4_000, 10),
    "battery_lfp": (8_000, 20_000, 10),
    "battery_ncm": (20_000, 60_000, 10),
    "battery_lead_acid": (6_000, 9_000, 10),
}

_BUILDING_MATERIALS = frozenset(
    {"phosphogypsum", "fgd_gypsum", "fly_ash", "ggbs", "furnace_slag", "coal_gangue",
     "tailings", "phosphorus_slag", "steel_slag"}
)  # fmt: skip

# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------


def _dec(x: float, places: int) -> Decimal:
    """Decimal with exactly ``places`` decimals, going through text so no float noise leaks."""
    return Decimal(f"{x:.{places}f}")


def _step(x: float, step: float) -> float:
    return round(x / step) * step


def _money(x: float) -> Decimal:
    return _dec(x, 2)


class _Gen:
    """All draws go through one Random so that the order of calls fixes the output."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.counts: Counter[str] = Counter()

    def cycle(self, name: str, pattern: tuple[str, ...]) -> str:
        """Next item of a fixed pattern: guarantees a spread of grades however draws fall."""
        i = self.counts[name]
        self.counts[name] += 1
        return pattern[i % len(pattern)]

    def u(self, lo: float, hi: float, places: int = 1) -> Decimal:
        return _dec(self.rng.uniform(lo, hi), places)

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def status(self) -> Status:
        r = self.rng.random()
        return "open" if r < 0.8 else "draft" if r < 0.9 else "closed"


def _radioactivity(g: _Gen, spec: dict[str, Decimal], ra: tuple[float, float],
                   gamma: tuple[float, float], p: float = 0.7) -> None:  # fmt: skip
    """Most producers of building-material inputs test radioactivity; some don't say."""
    if g.chance(p):
        spec["i_ra"] = g.u(*ra, places=2)
        spec["i_gamma"] = g.u(*gamma, places=2)


# --------------------------------------------------------------------------------------
# Listing specs per material
# --------------------------------------------------------------------------------------


def _spec(g: _Gen, material: str, profile: str) -> tuple[dict[str, Decimal], str]:
    """A plausible spec sheet for one lot, and a short Chinese quality label for its title.

    Fly ash and GGBS lots are spread across grades (and a few just outside them) so that
    grade matching and the confirmed/unconfirmed distinction have something to show.
    """
    s: dict[str, Decimal] = {}
    label = ""
    if material == "phosphogypsum":
        washed = g.chance(0.3)
        s["caso4_2h2o_pct"] = g.u(80, 94)
        s["free_water_pct"] = g.u(15, 25) if profile != "stack" else g.u(18, 25)
        s["p2o5_soluble_pct"] = g.u(0.2, 0.5, 2) if washed else g.u(0.3, 1.0, 2)
        s["f_soluble_pct"] = g.u(0.05, 0.2, 2) if washed else g.u(0.1, 0.5, 2)
        s["ph"] = g.u(5.0, 7.0) if washed else g.u(2.5, 5.0)
        _radioactivity(g, s, (0.1, 1.15), (0.1, 0.6), p=0.8)
        label = "水洗" if washed else ("堆存" if profile == "stack" else "新鲜")
    elif material == "fgd_gypsum":
        s["caso4_2h2o_pct"] = g.u(88, 96)
        s["free_water_pct"] = g.u(8, 14)
        s["ph"] = g.u(6.0, 8.5)
        s["chloride_pct"] = g.u(0.01, 0.15, 3)
        _radioactivity(g, s, (0.05, 0.3), (0.05, 0.4))
    elif material == "fly_ash":
        tier = g.cycle("fly_ash", ("I", "II", "III", "II", "I", "off", "II", "III"))
        if profile == "wet":
            tier = g.rng.choice(["III", "off"])
        residue, water, loi = {
            "I": ((5, 12), (88, 95), (1.0, 5.0)),
            "II": ((12.1, 30), (95.1, 105), (3.0, 8.0)),
            "III": ((30.1, 45), (105.1, 115), (6.0, 10.0)),
            "off": ((45.1, 60), (112, 125), (9.0, 14.0)),
        }[tier]
        class_c = g.cycle("fly_ash_class", ("F", "F", "C", "F", "F", "F", "F")) == "C"
        s["residue_45um_pct"] = g.u(*residue)
        s["water_demand_ratio_pct"] = g.u(*water)
        s["loi_pct"] = g.u(*loi)
        # SO3, free CaO and moisture limits are UNCONFIRMED: a few lots sit just above them.
        s["so3_pct"] = g.u(0.4, 3.2)
        s["free_cao_pct"] = g.u(1.0, 4.2) if class_c else g.u(0.2, 1.1)
        s["moisture_pct"] = g.u(15, 30) if profile == "wet" else g.u(0.1, 1.1)
        if class_c or g.chance(0.4):
            s["cao_pct"] = g.u(10, 22) if class_c else g.u(2, 8)
        _radioactivity(g, s, (0.3, 0.9), (0.4, 1.1))
        label = ("C类" if class_c else "F类") + ("等外" if tier == "off" else f"{tier}级")
    elif material == "ggbs":
        tier = g.cycle("ggbs", ("S95", "S105", "S95", "S75"))
        surface, act28, act7 = {
            "S105": ((500, 560), (105, 112), (90, 102)),
            "S95": ((400, 480), (95, 104), (68, 85)),
            "S75": ((320, 400), (75, 94), (55, 70)),
        }[tier]
        s["specific_surface_m2_kg"] = g.u(*surface, places=0)
        s["activity_7d_pct"] = g.u(*act7, places=0)
        s["activity_28d_pct"] = g.u(*act28, places=0)
        s["density_g_cm3"] = g.u(2.82, 2.95, 2)
        s["flow_ratio_pct"] = g.u(95, 104, 0)
        s["so3_pct"] = g.u(0.5, 3.0)
        s["chloride_pct"] = g.u(0.01, 0.05, 3)
        s["glass_content_pct"] = g.u(86, 97)
        s["loi_pct"] = g.u(0.1, 0.9)
        s["moisture_pct"] = g.u(0.1, 0.8)
        _radioactivity(g, s, (0.2, 0.6), (0.3, 0.7))
        label = tier
    elif material == "steel_slag":
        s["free_cao_pct"] = g.u(1.0, 6.0)
        s["metallic_fe_pct"] = g.u(0.5, 3.0)
        s["moisture_pct"] = g.u(3, 10)
        s["particle_size_mm"] = Decimal(g.rng.choice(["10", "20", "40", "60"]))
        _radioactivity(g, s, (0.2, 0.7), (0.3, 0.9), p=0.5)
    elif material == "furnace_slag":
        s["moisture_pct"] = g.u(10, 25)
        s["loi_pct"] = g.u(2, 12)
        s["particle_size_mm"] = Decimal(g.rng.choice(["10", "20", "30"]))
        s["sio2_pct"] = g.u(40, 55)
        _radioactivity(g, s, (0.3, 0.8), (0.4, 1.0), p=0.5)
    elif material == "coal_gangue":
        s["calorific_value_mj_kg"] = g.u(2.0, 8.0)
        s["sio2_pct"] = g.u(45, 62)
        s["al2o3_pct"] = g.u(15, 30)
        s["moisture_pct"] = g.u(3, 10)
        s["particle_size_mm"] = Decimal(g.rng.choice(["50", "100", "200", "300"]))
        _radioactivity(g, s, (0.3, 0.9), (0.4, 1.1), p=0.5)
    elif material == "tailings":
        s["moisture_pct"] = g.u(12, 22)
        s["particle_size_mm"] = Decimal(g.rng.choice(["0.5", "1", "2"]))
        s["sio2_pct"] = g.u(20, 40)
        s["p2o5_pct"] = g.u(2, 8)
        _radioactivity(g, s, (0.2, 0.9), (0.2, 0.7), p=0.6)
    elif material == "phosphorus_slag":
        s["p2o5_pct"] = g.u(0.8, 3.2)
        s["cao_pct"] = g.u(44, 50)
        s["sio2_pct"] = g.u(38, 43)
        s["activity_28d_pct"] = g.u(60, 82, 0)
        s["moisture_pct"] = g.u(8, 15)
        if g.chance(0.3):
            s["specific_surface_m2_kg"] = g.u(380, 450, 0)
        _radioactivity(g, s, (0.3, 1.1), (0.3, 0.8), p=0.8)
    elif material == "construction_waste":
        processed = g.chance(0.4)
        s["impurity_pct"] = g.u(0.5, 3) if processed else g.u(2, 10)
        s["particle_size_mm"] = (
            Decimal(g.rng.choice(["5", "10", "31.5"]))
            if processed
            else Decimal(g.rng.choice(["150", "300", "500"]))
        )
        s["moisture_pct"] = g.u(3, 10)
        label = "再生骨料" if processed else "拆除混合料"
    elif material == "scrap_steel":
        s["fe_pct"] = g.u(92, 99)
        s["impurity_pct"] = g.u(0.5, 5)
        s["thickness_mm"] = Decimal(g.rng.choice(["2", "4", "6", "10", "20"]))
        label = "重废" if s["thickness_mm"] >= 6 else "中废"
    elif material == "waste_plastics":
        s["impurity_pct"] = g.u(2, 15)
        s["moisture_pct"] = g.u(1, 10)
        label = g.rng.choice(["PE膜", "PP编织袋", "混合"])
    elif material == "waste_tyres":
        s["steel_wire_pct"] = g.u(10, 16)
        s["impurity_pct"] = g.u(1, 5)
        label = g.rng.choice(["载重胎", "乘用胎"])
    elif material == "waste_mineral_oil":
        s["water_content_pct"] = g.u(2, 20)
        s["impurity_pct"] = g.u(0.5, 5)
    elif material in ("battery_lfp", "battery_ncm"):
        lo, hi = {"maker": (10, 92), "fleet": (55, 80), "dismantler": (10, 75)}[profile]
        s["soh_pct"] = g.u(lo, hi)
        label = "电池包" if profile == "fleet" else g.rng.choice(["电芯", "模组", "电池包"])
    elif material == "battery_lead_acid":
        s["pb_content_pct"] = g.u(55, 70)
    else:  # pragma: no cover - every material in _SUPPLY is handled above
        raise ValueError(material)
    return s, label


def _price(g: _Gen, material: str, spec: dict[str, Decimal]) -> Decimal:
    lo, hi, step = _PRICE[material]
    if material == "fly_ash":
        residue = spec["residue_45um_pct"]
        lo, hi = (
            (80, 120) if residue <= 12 else (50, 90) if residue <= 30 else
            (25, 55) if residue <= 45 else (20, 30)
        )  # fmt: skip
        if spec["moisture_pct"] > 10:
            lo, hi = 20, 30
    elif material == "ggbs":
        act = spec["activity_28d_pct"]
        lo, hi = (240, 280) if act >= 105 else (190, 250) if act >= 95 else (150, 190)
    elif material in ("battery_lfp", "battery_ncm"):
        # Higher state of health is worth more (cascade use), low SOH prices as material.
        share = float(spec["soh_pct"]) / 100
        mid = lo + (hi - lo) * share
        lo, hi = max(lo, mid - (hi - lo) * 0.15), min(hi, mid + (hi - lo) * 0.15)
    return _money(_step(g.rng.uniform(lo, hi), step))


def _quantity(g: _Gen, material: str, cadence: Cadence) -> Decimal:
    monthly, one_off, step, _ = _QUANTITY[material]
    lo, hi = monthly if cadence == "monthly" else one_off
    q = max(_step(g.rng.uniform(lo, hi), step), step)
    return _dec(q, 3) if step < 0.01 else _dec(q, 2)


def _cadence(g: _Gen, material: str) -> Cadence:
    return "monthly" if g.chance(_QUANTITY[material][3]) else "one_off"


def _fmt_t(q: Decimal) -> str:
    return f"{q.normalize():,f}"


# --------------------------------------------------------------------------------------
# Demand requirements per (material, use)
# --------------------------------------------------------------------------------------

_Req = dict[str, tuple[Decimal | None, Decimal | None]]


def _requirements(g: _Gen, material: str, use: str) -> _Req:
    """The buyer's own limits, on top of any grade: what a purchasing spec would list."""
    r: _Req = {}

    def lo(key: str, *choices: str) -> None:
        r[key] = (Decimal(g.rng.choice(choices)), None)

    def hi(key: str, *choices: str) -> None:
        r[key] = (None, Decimal(g.rng.choice(choices)))

    if material == "phosphogypsum":
        if use == "gypsum_retarder":
            lo("caso4_2h2o_pct", "80", "85")
            hi("free_water_pct", "18", "20", "22")
            hi("p2o5_soluble_pct", "0.5", "0.8")
        elif use in ("building_gypsum", "brick_block"):
            lo("caso4_2h2o_pct", "85", "88", "90")
            hi("p2o5_soluble_pct", "0.5", "0.6")
            hi("f_soluble_pct", "0.2", "0.3")
            lo("ph", "5", "5.5")
        elif use == "road_base":
            hi("free_water_pct", "25")
            if g.chance(0.5):
                lo("ph", "4", "5")
        elif use == "mine_backfill":
            if g.chance(0.5):
                hi("free_water_pct", "25")
        elif use == "soil_conditioner":
            hi("f_soluble_pct", "0.3", "0.4")
            hi("i_ra", "1.0")
    elif material == "fgd_gypsum":
        if use in ("gypsum_retarder", "building_gypsum"):
            lo("caso4_2h2o_pct", "90", "92")
            hi("free_water_pct", "12")
            hi("chloride_pct", "0.1")
    elif material == "fly_ash":
        if use == "concrete_admixture" and g.chance(0.3):
            hi("so3_pct", "2.5")
        elif use == "brick_block":
            hi("loi_pct", "15")
    elif material == "ggbs":
        if g.chance(0.3):
            hi("moisture_pct", "1.0")
    elif material == "steel_slag":
        hi("free_cao_pct", "3", "4")
        if use == "road_base":
            hi("particle_size_mm", "40", "60")
        else:
            hi("metallic_fe_pct", "2")
    elif material == "furnace_slag":
        hi("loi_pct", "8", "10") if use != "road_base" else hi("particle_size_mm", "30")
    elif material == "coal_gangue":
        if use == "fuel":
            lo("calorific_value_mj_kg", "5", "6")
        elif use == "cement_admixture":
            lo("al2o3_pct", "15", "18")
        elif use == "road_base":
            hi("particle_size_mm", "100", "200")
        else:
            hi("particle_size_mm", "100")
    elif material == "tailings":
        hi("moisture_pct", "18", "20")
    elif material == "phosphorus_slag":
        hi("p2o5_pct", "2.5", "3.0")
        lo("activity_28d_pct", "62", "65")
    elif material == "construction_waste":
        hi("impurity_pct", "3", "5", "8")
        if use in ("road_base", "brick_block"):
            hi("particle_size_mm", "31.5", "150")
    elif material == "scrap_steel":
        lo("fe_pct", "92", "95")
        hi("impurity_pct", "2", "3")
    elif material == "waste_plastics":
        hi("impurity_pct", "8", "10")
        hi("moisture_pct", "5")
    elif material == "waste_tyres":
        if g.chance(0.5):
            hi("impurity_pct", "3", "5")
    elif material == "waste_mineral_oil":
        hi("water_content_pct", "10", "15")
    elif material in ("battery_lfp", "battery_ncm"):
        if use == "cascade_use":
            r["soh_pct"] = (Decimal(g.rng.choice(["60", "65", "70"])), Decimal("85"))
        elif g.chance(0.5):
            hi("soh_pct", "60", "70")
    elif material == "battery_lead_acid":
        lo("pb_content_pct", "55", "58")
    return r


_DEMAND_QTY: dict[str, tuple[float, float]] = {
    "gypsum_retarder": (3_000, 8_000),
    "building_gypsum": (10_000, 40_000),
    "road_base": (20_000, 150_000),
    "mine_backfill": (20_000, 60_000),
    "soil_conditioner": (2_000, 10_000),
    "concrete_admixture": (1_000, 6_000),
    "cement_admixture": (3_000, 20_000),
    "clinker_substitute": (5_000, 20_000),
    "brick_block": (1_000, 8_000),
    "cascade_use": (5, 50),
    "battery_recycling": (20, 300),
    "smelting": (1_000, 8_000),
    "regeneration": (50, 3_000),
    "fuel": (2_000, 8_000),
}

# material -> demand max price range CNY/t (None: sometimes no cap)
_MAX_PRICE: dict[str, tuple[float, float, float]] = {
    "phosphogypsum": (-20, 10, 1),
    "fgd_gypsum": (20, 60, 1),
    "fly_ash": (30, 130, 1),
    "furnace_slag": (5, 30, 1),
    "ggbs": (180, 300, 1),
    "steel_slag": (10, 40, 1),
    "coal_gangue": (5, 30, 1),
    "tailings": (0, 10, 1),
    "phosphorus_slag": (30, 70, 1),
    "construction_waste": (-10, 10, 1),
    "scrap_steel": (2_400, 3_000, 10),
    "waste_plastics": (2_000, 5_000, 10),
    "waste_tyres": (800, 1_600, 10),
    "waste_mineral_oil": (2_500, 4_500, 10),
    "battery_lfp": (9_000, 21_000, 10),
    "battery_ncm": (25_000, 65_000, 10),
    "battery_lead_acid": (6_500, 9_500, 10),
}

_MONTHLY_USES = frozenset(
    {"gypsum_retarder", "building_gypsum", "mine_backfill", "concrete_admixture",
     "cement_admixture", "clinker_substitute", "brick_block", "smelting", "fuel"}
)  # fmt: skip


def _max_price(g: _Gen, material: str, grade: str | None) -> Decimal | None:
    if g.chance(0.15):
        return None
    lo, hi, step = _MAX_PRICE[material]
    if material == "fly_ash" and grade is not None:
        if "_i_" in grade:
            lo, hi = 90, 130
        elif "_ii_" in grade:
            lo, hi = 60, 100
        else:
            lo, hi = 30, 60
    return _money(_step(g.rng.uniform(lo, hi), step))


def _haul_km(g: _Gen, material: str) -> Decimal:
    m = MATERIALS_BY_CODE[material]
    if m.battery:
        lo, hi = 100, 500
    elif m.hazardous:
        lo, hi = 100, 300
    elif m.category == "recyclable":
        lo, hi = 50, 200
    else:
        lo, hi = 30, 150
    return Decimal(int(_step(g.rng.uniform(lo, hi), 5)))


def _demand_quantity(g: _Gen, material: str, use: str) -> Decimal:
    """Batteries to the kilogram, bulk materials rounded as a buyer would write them."""
    lo, hi = _DEMAND_QTY[use]
    step = 0.001 if MATERIALS_BY_CODE[material].battery else 10 if hi < 10_000 else 100
    q = max(_step(g.rng.uniform(lo, hi), step), step)
    return _dec(q, 3) if step < 0.01 else _dec(q, 2)


# --------------------------------------------------------------------------------------
# Build
# --------------------------------------------------------------------------------------


def _user(key: str, display_name: str) -> DemoUser:
    return DemoUser(f"{key}@{EMAIL_DOMAIN}", f"demo-{key}-2026", display_name)


def _place(g: _Gen, spec: _Site) -> tuple[float, float]:
    """Jitter the GCJ-02 base point uniformly in a disc, then convert to WGS84."""
    r_km = spec.jitter_km * math.sqrt(g.rng.random())
    theta = g.rng.uniform(0, 2 * math.pi)
    dlat = r_km * math.sin(theta) / 111.32
    dlon = r_km * math.cos(theta) / (111.32 * math.cos(math.radians(spec.lat)))
    lon, lat = gcj02_to_wgs84(spec.lon + dlon, spec.lat + dlat)
    return round(lon, 6), round(lat, 6)


def _org(g: _Gen, spec: _Org, serial: int) -> DemoOrg:
    if spec.kind == "regulator":
        # A city-level government body: registered by 机构编制 (1), type 机关 (1), city code.
        uscc = make_uscc("420800", serial, registration="1", org_type="1")
    else:
        uscc = make_uscc(spec.district, serial)
    sites = []
    for s in spec.sites:
        lon, lat = _place(g, s)
        sites.append(DemoSite(f"{spec.key}_{s.suffix}", s.name, s.address, lon, lat))
    return DemoOrg(
        key=spec.key,
        name=spec.name,
        uscc=uscc,
        kind=spec.kind,
        district_code=spec.district,
        admin=_user(spec.key, f"{spec.name} 管理员"),
        sites=sites,
        miit_listed=spec.miit_listed,
        permits=[DemoPermit(k, d) for k, d in spec.permits],
    )


def _listing_title(material: str, label: str, q: Decimal, cadence: Cadence, place: str) -> str:
    name = MATERIALS_BY_CODE[material].name_zh
    amount = f"月供{_fmt_t(q)}吨" if cadence == "monthly" else f"一批{_fmt_t(q)}吨"
    return f"{label}{name} {amount}（{place}）"


def build_demo() -> DemoData:
    """Build the whole demo data set; deterministic (same result on every call)."""
    g = _Gen(SEED)
    orgs = [_org(g, spec, 1_000 + 97 * i) for i, spec in enumerate(_ROSTER)]
    regulator_org = _org(g, _REGULATOR, 4_208_000)
    orgs.append(regulator_org)
    district_of = {s.key: DISTRICTS[o.district_code] for o in orgs for s in o.sites}

    listings: list[DemoListing] = []
    for site_key, material, n, profile in _SUPPLY:
        for _ in range(n):
            spec, label = _spec(g, material, profile)
            cadence = _cadence(g, material)
            if profile == "stack":
                cadence = "one_off"  # a historical stockpile is sold off, not produced
            q = _quantity(g, material, cadence)
            start = DEMO_TODAY + timedelta(days=g.rng.randint(-60, 90))
            if cadence == "monthly":
                until = None if g.chance(0.3) else start + timedelta(days=g.rng.randint(180, 720))
            else:
                until = start + timedelta(days=g.rng.randint(30, 120))
            listings.append(
                DemoListing(
                    key=f"L{len(listings) + 1:03d}",
                    site_key=site_key,
                    material=material,
                    quantity_t=q,
                    cadence=cadence,
                    spec=spec,
                    price_cny_t=_price(g, material, spec),
                    available_from=start,
                    available_until=until,
                    status=g.status(),
                    title=_listing_title(material, label, q, cadence, district_of[site_key]),
                )
            )

    demands: list[DemoDemand] = []
    for site_key, material, use, grade, n in _DEMAND:
        for _ in range(n):
            d_cadence: Cadence = "monthly" if use in _MONTHLY_USES else "one_off"
            qty = _demand_quantity(g, material, use)
            name = MATERIALS_BY_CODE[material].name_zh
            use_zh = USES[use][0]
            amount = f"每月{_fmt_t(qty)}吨" if d_cadence == "monthly" else f"{_fmt_t(qty)}吨"
            demands.append(
                DemoDemand(
                    key=f"D{len(demands) + 1:03d}",
                    site_key=site_key,
                    material=material,
                    use=use,
                    quantity_t=qty,
                    cadence=d_cadence,
                    requirements=_requirements(g, material, use),
                    grade=grade,
                    max_haul_km=_haul_km(g, material),
                    max_price_cny_t=_max_price(g, material, grade),
                    status=g.status(),
                    title=f"求购{name}（{use_zh}）{amount}",
                )
            )

    return DemoData(
        orgs=orgs,
        listings=listings,
        demands=demands,
        regulator=regulator_org.admin,
        platform_admin=DemoUser(f"admin@{EMAIL_DOMAIN}", "demo-admin-2026", "平台管理员"),
    )
