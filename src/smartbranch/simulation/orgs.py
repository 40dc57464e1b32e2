"""The synthetic bank's org tree, staff and payroll employers (master data).

Cities carry real district names and those districts' GB/T 2260 region codes, so that a
generated resident ID number starts with the code of the customer's home city.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from faker import Faker

from smartbranch.simulation.common import F64, I64, Stream, cumulative, master_rng
from smartbranch.simulation.schema import ORG_UNITS, STAFF

TIMEZONE = "Asia/Shanghai"  # all of China keeps one time zone


@dataclass(frozen=True)
class District:
    """A city district: outlets are named after it, resident IDs start with its code."""

    name: str
    name_en: str
    region: str
    """Six-digit administrative division code, the first six digits of a resident ID."""


@dataclass(frozen=True)
class City:
    """A city where customers live and, when it has a code, the bank has a branch."""

    name: str
    name_en: str
    code: str
    """Branch code when the bank has a branch there (``BJ``); empty for other cities."""
    districts: tuple[District, ...]


def _city(name: str, name_en: str, code: str, *districts: tuple[str, str, str]) -> City:
    return City(name, name_en, code, tuple(District(*d) for d in districts))


# In the order branches are opened: a bank with three branches has 北京, 上海, 广州.
BRANCH_CITIES: tuple[City, ...] = (
    _city("北京", "Beijing", "BJ",
          ("朝阳", "Chaoyang", "110105"), ("海淀", "Haidian", "110108"),
          ("东城", "Dongcheng", "110101"), ("西城", "Xicheng", "110102"),
          ("丰台", "Fengtai", "110106"), ("石景山", "Shijingshan", "110107"),
          ("通州", "Tongzhou", "110112"), ("昌平", "Changping", "110114")),
    _city("上海", "Shanghai", "SH",
          ("浦东", "Pudong", "310115"), ("黄浦", "Huangpu", "310101"),
          ("徐汇", "Xuhui", "310104"), ("长宁", "Changning", "310105"),
          ("静安", "Jing'an", "310106"), ("普陀", "Putuo", "310107"),
          ("虹口", "Hongkou", "310109"), ("杨浦", "Yangpu", "310110")),
    _city("广州", "Guangzhou", "GZ",
          ("天河", "Tianhe", "440106"), ("越秀", "Yuexiu", "440104"),
          ("海珠", "Haizhu", "440105"), ("荔湾", "Liwan", "440103"),
          ("白云", "Baiyun", "440111"), ("黄埔", "Huangpu", "440112"),
          ("番禺", "Panyu", "440113")),
    _city("深圳", "Shenzhen", "SZ",
          ("福田", "Futian", "440304"), ("南山", "Nanshan", "440305"),
          ("罗湖", "Luohu", "440303"), ("宝安", "Bao'an", "440306"),
          ("龙岗", "Longgang", "440307"), ("盐田", "Yantian", "440308")),
    _city("杭州", "Hangzhou", "HZ",
          ("西湖", "Xihu", "330106"), ("上城", "Shangcheng", "330102"),
          ("拱墅", "Gongshu", "330105"), ("滨江", "Binjiang", "330108"),
          ("萧山", "Xiaoshan", "330109"), ("余杭", "Yuhang", "330110")),
    _city("南京", "Nanjing", "NJ",
          ("鼓楼", "Gulou", "320106"), ("玄武", "Xuanwu", "320102"),
          ("秦淮", "Qinhuai", "320104"), ("建邺", "Jianye", "320105"),
          ("栖霞", "Qixia", "320113"), ("江宁", "Jiangning", "320115")),
    _city("成都", "Chengdu", "CD",
          ("锦江", "Jinjiang", "510104"), ("青羊", "Qingyang", "510105"),
          ("金牛", "Jinniu", "510106"), ("武侯", "Wuhou", "510107"),
          ("成华", "Chenghua", "510108")),
    _city("武汉", "Wuhan", "WH",
          ("江汉", "Jianghan", "420103"), ("江岸", "Jiang'an", "420102"),
          ("硚口", "Qiaokou", "420104"), ("汉阳", "Hanyang", "420105"),
          ("武昌", "Wuchang", "420106"), ("洪山", "Hongshan", "420111")),
    _city("西安", "Xi'an", "XA",
          ("雁塔", "Yanta", "610113"), ("新城", "Xincheng", "610102"),
          ("碑林", "Beilin", "610103"), ("莲湖", "Lianhu", "610104"),
          ("未央", "Weiyang", "610112")),
    _city("天津", "Tianjin", "TJ",
          ("和平", "Heping", "120101"), ("河东", "Hedong", "120102"),
          ("河西", "Hexi", "120103"), ("南开", "Nankai", "120104"),
          ("河北", "Hebei", "120105")),
    _city("重庆", "Chongqing", "CQ",
          ("渝中", "Yuzhong", "500103"), ("江北", "Jiangbei", "500105"),
          ("沙坪坝", "Shapingba", "500106"), ("九龙坡", "Jiulongpo", "500107"),
          ("南岸", "Nan'an", "500108")),
    _city("苏州", "Suzhou", "SU",
          ("姑苏", "Gusu", "320508"), ("虎丘", "Huqiu", "320505"),
          ("吴中", "Wuzhong", "320506"), ("相城", "Xiangcheng", "320507")),
    _city("长沙", "Changsha", "CS",
          ("芙蓉", "Furong", "430102"), ("天心", "Tianxin", "430103"),
          ("岳麓", "Yuelu", "430104"), ("开福", "Kaifu", "430105"),
          ("雨花", "Yuhua", "430111")),
    _city("郑州", "Zhengzhou", "ZZ",
          ("金水", "Jinshui", "410105"), ("中原", "Zhongyuan", "410102"),
          ("二七", "Erqi", "410103"), ("惠济", "Huiji", "410108")),
    _city("青岛", "Qingdao", "QD",
          ("市南", "Shinan", "370202"), ("市北", "Shibei", "370203"),
          ("黄岛", "Huangdao", "370211"), ("崂山", "Laoshan", "370212"),
          ("李沧", "Licang", "370213")),
    _city("厦门", "Xiamen", "XM",
          ("思明", "Siming", "350203"), ("湖里", "Huli", "350206"),
          ("海沧", "Haicang", "350205"), ("集美", "Jimei", "350211")),
    _city("沈阳", "Shenyang", "SY",
          ("和平", "Heping", "210102"), ("沈河", "Shenhe", "210103"),
          ("大东", "Dadong", "210104"), ("皇姑", "Huanggu", "210105")),
    _city("济南", "Jinan", "JN",
          ("历下", "Lixia", "370102"), ("市中", "Shizhong", "370103"),
          ("槐荫", "Huaiyin", "370104"), ("天桥", "Tianqiao", "370105")),
    _city("合肥", "Hefei", "HF",
          ("蜀山", "Shushan", "340104"), ("瑶海", "Yaohai", "340102"),
          ("庐阳", "Luyang", "340103"), ("包河", "Baohe", "340111")),
    _city("福州", "Fuzhou", "FZ",
          ("鼓楼", "Gulou", "350102"), ("台江", "Taijiang", "350103"),
          ("仓山", "Cangshan", "350104"), ("晋安", "Jin'an", "350111")),
)  # fmt: skip

# More branch cities, for banks with more than twenty branches (a national joint-stock bank
# has about fifty).
BRANCH_CITIES += (
    _city("石家庄", "Shijiazhuang", "SJ",
          ("长安", "Chang'an", "130102"), ("桥西", "Qiaoxi", "130104")),
    _city("太原", "Taiyuan", "TY",
          ("小店", "Xiaodian", "140105"), ("迎泽", "Yingze", "140106")),
    _city("哈尔滨", "Harbin", "HB",
          ("道里", "Daoli", "230102"), ("南岗", "Nangang", "230103")),
    _city("长春", "Changchun", "CC",
          ("南关", "Nanguan", "220102"), ("朝阳", "Chaoyang", "220104")),
    _city("南昌", "Nanchang", "NC",
          ("东湖", "Donghu", "360102"), ("西湖", "Xihu", "360103")),
    _city("南宁", "Nanning", "NN",
          ("兴宁", "Xingning", "450102"), ("青秀", "Qingxiu", "450103")),
    _city("昆明", "Kunming", "KM",
          ("五华", "Wuhua", "530102"), ("盘龙", "Panlong", "530103")),
    _city("贵阳", "Guiyang", "GY",
          ("南明", "Nanming", "520102"), ("云岩", "Yunyan", "520103")),
    _city("兰州", "Lanzhou", "LZ",
          ("城关", "Chengguan", "620102"), ("七里河", "Qilihe", "620103")),
    _city("宁波", "Ningbo", "NB",
          ("海曙", "Haishu", "330203"), ("江北", "Jiangbei", "330205")),
    _city("温州", "Wenzhou", "WZ",
          ("鹿城", "Lucheng", "330302"), ("瓯海", "Ouhai", "330304")),
    _city("大连", "Dalian", "DL",
          ("中山", "Zhongshan", "210202"), ("西岗", "Xigang", "210203")),
    _city("无锡", "Wuxi", "WX",
          ("梁溪", "Liangxi", "320213"), ("滨湖", "Binhu", "320211")),
    _city("佛山", "Foshan", "FS",
          ("禅城", "Chancheng", "440604"), ("顺德", "Shunde", "440606")),
    _city("东莞", "Dongguan", "DG",
          ("南城", "Nancheng", "441900"), ("东城", "Dongcheng", "441900")),
    _city("泉州", "Quanzhou", "QZ",
          ("鲤城", "Licheng", "350502"), ("丰泽", "Fengze", "350503")),
    _city("烟台", "Yantai", "YT",
          ("芝罘", "Zhifu", "370602"), ("莱山", "Laishan", "370613")),
    _city("常州", "Changzhou", "CZ",
          ("天宁", "Tianning", "320402"), ("钟楼", "Zhonglou", "320404")),
    _city("南通", "Nantong", "NT",
          ("崇川", "Chongchuan", "320602"), ("通州", "Tongzhou", "320612")),
    _city("徐州", "Xuzhou", "XZ",
          ("鼓楼", "Gulou", "320302"), ("云龙", "Yunlong", "320303")),
    _city("绍兴", "Shaoxing", "SX",
          ("越城", "Yuecheng", "330602"), ("柯桥", "Keqiao", "330603")),
    _city("嘉兴", "Jiaxing", "JX",
          ("南湖", "Nanhu", "330402"), ("秀洲", "Xiuzhou", "330411")),
    _city("金华", "Jinhua", "JH",
          ("婺城", "Wucheng", "330702"), ("金东", "Jindong", "330703")),
    _city("台州", "Taizhou", "TZ",
          ("椒江", "Jiaojiang", "331002"), ("黄岩", "Huangyan", "331003")),
    _city("珠海", "Zhuhai", "ZH",
          ("香洲", "Xiangzhou", "440402"), ("斗门", "Doumen", "440403")),
    _city("惠州", "Huizhou", "HU",
          ("惠城", "Huicheng", "441302"), ("惠阳", "Huiyang", "441303")),
    _city("中山", "Zhongshan", "ZS",
          ("石岐", "Shiqi", "442000"), ("东区", "Dongqu", "442000")),
    _city("海口", "Haikou", "HK",
          ("龙华", "Longhua", "460106"), ("美兰", "Meilan", "460108")),
    _city("洛阳", "Luoyang", "LY",
          ("西工", "Xigong", "410303"), ("洛龙", "Luolong", "410311")),
    _city("潍坊", "Weifang", "WF",
          ("潍城", "Weicheng", "370702"), ("奎文", "Kuiwen", "370705")),
    _city("临沂", "Linyi", "LN",
          ("兰山", "Lanshan", "371302"), ("罗庄", "Luozhuang", "371311")),
    _city("淄博", "Zibo", "ZB",
          ("张店", "Zhangdian", "370303"), ("淄川", "Zichuan", "370302")),
    _city("唐山", "Tangshan", "TS",
          ("路南", "Lunan", "130202"), ("路北", "Lubei", "130203")),
    _city("保定", "Baoding", "BD",
          ("竞秀", "Jingxiu", "130602"), ("莲池", "Lianchi", "130606")),
    _city("邯郸", "Handan", "HD",
          ("邯山", "Hanshan", "130402"), ("丛台", "Congtai", "130403")),
    _city("扬州", "Yangzhou", "YZ",
          ("广陵", "Guangling", "321002"), ("邗江", "Hanjiang", "321003")),
    _city("镇江", "Zhenjiang", "ZJ",
          ("京口", "Jingkou", "321102"), ("润州", "Runzhou", "321111")),
    _city("芜湖", "Wuhu", "WU",
          ("镜湖", "Jinghu", "340202"), ("鸠江", "Jiujiang", "340207")),
    _city("宜昌", "Yichang", "YI",
          ("西陵", "Xiling", "420502"), ("伍家岗", "Wujiagang", "420503")),
    _city("襄阳", "Xiangyang", "XY",
          ("襄城", "Xiangcheng", "420602"), ("樊城", "Fancheng", "420606")),
    _city("株洲", "Zhuzhou", "ZU",
          ("荷塘", "Hetang", "430202"), ("芦淞", "Lusong", "430203")),
    _city("赣州", "Ganzhou", "GA",
          ("章贡", "Zhanggong", "360702"), ("南康", "Nankang", "360703")),
    _city("桂林", "Guilin", "GL",
          ("秀峰", "Xiufeng", "450302"), ("叠彩", "Diecai", "450303")),
    _city("柳州", "Liuzhou", "LI",
          ("城中", "Chengzhong", "450202"), ("鱼峰", "Yufeng", "450203")),
    _city("绵阳", "Mianyang", "MY",
          ("涪城", "Fucheng", "510703"), ("游仙", "Youxian", "510704")),
    _city("宝鸡", "Baoji", "BA",
          ("渭滨", "Weibin", "610302"), ("金台", "Jintai", "610303")),
    _city("鞍山", "Anshan", "AS",
          ("铁东", "Tiedong", "210302"), ("铁西", "Tiexi", "210303")),
    _city("吉林", "Jilin", "JL",
          ("昌邑", "Changyi", "220202"), ("船营", "Chuanying", "220204")),
    _city("大庆", "Daqing", "DQ",
          ("萨尔图", "Sartu", "230602"), ("龙凤", "Longfeng", "230603")),
    _city("乌鲁木齐", "Ürümqi", "WL",
          ("天山", "Tianshan", "650102"), ("沙依巴克", "Saybag", "650103")),
)  # fmt: skip

# Home cities of out-of-town customers (外地客户) where the bank never has a branch.
OTHER_CITIES: tuple[City, ...] = (
    _city("呼和浩特", "Hohhot", "", ("新城", "Xincheng", "150102")),
    _city("银川", "Yinchuan", "", ("兴庆", "Xingqing", "640104")),
    _city("西宁", "Xining", "", ("城中", "Chengzhong", "630103")),
    _city("拉萨", "Lhasa", "", ("城关", "Chengguan", "540102")),
    _city("三亚", "Sanya", "", ("吉阳", "Jiyang", "460203")),
    _city("大理", "Dali", "", ("大理", "Dali", "532901")),
)

if len({c.code for c in BRANCH_CITIES}) != len(BRANCH_CITIES):  # pragma: no cover
    raise RuntimeError("branch codes must be unique")

ALL_CITIES: tuple[City, ...] = BRANCH_CITIES + OTHER_CITIES

# Staff of every outlet: (role, username stem, how many).
OUTLET_STAFF = (
    ("lobby_manager", "lobby", 2),
    ("wealth_manager", "wealth", 2),
    ("account_manager", "account", 4),
    ("teller", "teller", 4),
    ("outlet_manager", "manager", 1),
)
ACCOUNT_MANAGERS_PER_OUTLET = 4
_ORDINALS_ZH = ("", "第二", "第三", "第四", "第五", "第六", "第七", "第八", "第九", "第十")


@dataclass(frozen=True)
class OrgTree:
    """The bank's tree as the customer generator needs it, plus the tables to write."""

    org_units: pa.Table
    staff: pa.Table
    outlet_codes: tuple[str, ...]
    outlet_city: I64
    """Index into ``ALL_CITIES`` of each outlet's city."""
    outlet_district: I64
    """Index into that city's districts of each outlet."""
    outlet_cumulative: F64
    """Cumulative share of customers per outlet (outlets differ in size)."""
    account_managers: tuple[str, ...]
    """Usernames, ``ACCOUNT_MANAGERS_PER_OUTLET`` per outlet in outlet order."""


def max_branches() -> int:
    """How many branches the synthetic bank can have (one per known city)."""
    return len(BRANCH_CITIES)


def build_org_tree(outlets: int, branches: int, seed: int) -> OrgTree:
    """Head office, ``branches`` branches in real cities, ``outlets`` outlets round-robin."""
    if not 1 <= branches <= len(BRANCH_CITIES):
        raise ValueError(f"branches must be between 1 and {len(BRANCH_CITIES)}")
    if outlets < branches:
        raise ValueError("every branch needs at least one outlet")
    fake = Faker("zh_CN")
    fake.seed_instance(seed)

    units: list[tuple[str, str, str, str, str | None, str]] = [
        ("HO", "总行", "Head Office", "head_office", None, "北京")
    ]
    staff: list[tuple[str, str, str, str]] = []
    for role, stem in (
        ("admin", "admin"),
        ("marketing_admin", "marketing"),
        ("auditor", "auditor"),
    ):
        staff.append((f"ho.{stem}", fake.name(), role, "HO"))

    cities = BRANCH_CITIES[:branches]
    for city in cities:
        units.append(
            (city.code, f"{city.name}分行", f"{city.name_en} Branch", "branch", "HO", city.name)
        )
        staff.append((f"{city.code.lower()}.marketing", fake.name(), "marketing_admin", city.code))

    outlet_codes: list[str] = []
    outlet_city: list[int] = []
    outlet_district: list[int] = []
    per_branch = [0] * branches
    for number in range(outlets):
        branch = number % branches  # round-robin: BJ001, SH001, GZ001, BJ002, …
        city = cities[branch]
        k = per_branch[branch]
        per_branch[branch] += 1
        district = city.districts[k % len(city.districts)]
        lap = k // len(city.districts)
        code = f"{city.code}{k + 1:03d}"
        ordinal = _ORDINALS_ZH[lap] if lap < len(_ORDINALS_ZH) else f"第{lap + 1}"
        name = f"{city.name}{district.name}{ordinal}支行"
        name_en = f"{city.name_en} {district.name_en} Sub-branch" + (f" {lap + 1}" if lap else "")
        units.append((code, name, name_en, "outlet", city.code, city.name))
        outlet_codes.append(code)
        outlet_city.append(branch)
        outlet_district.append(k % len(city.districts))
        for role, stem, count in OUTLET_STAFF:
            for i in range(count):
                suffix = str(i + 1) if count > 1 else ""
                staff.append((f"{code.lower()}.{stem}{suffix}", fake.name(), role, code))

    rng = master_rng(seed, Stream.MASTER)
    # Outlets differ in size: a flagship outlet may serve three times a small one's customers.
    sizes = 0.5 + rng.random(outlets)
    org_table = pa.Table.from_pylist(
        [dict(zip(ORG_UNITS.names, (*u, TIMEZONE), strict=True)) for u in units],
        schema=ORG_UNITS,
    )
    staff_table = pa.Table.from_pylist(
        [dict(zip(STAFF.names, s, strict=True)) for s in staff], schema=STAFF
    )
    managers = tuple(
        f"{code.lower()}.account{i + 1}"
        for code in outlet_codes
        for i in range(ACCOUNT_MANAGERS_PER_OUTLET)
    )
    return OrgTree(
        org_units=org_table,
        staff=staff_table,
        outlet_codes=tuple(outlet_codes),
        outlet_city=np.array(outlet_city, dtype=np.int64),
        outlet_district=np.array(outlet_district, dtype=np.int64),
        outlet_cumulative=cumulative(sizes),
        account_managers=managers,
    )


@dataclass(frozen=True)
class Employers:
    """Companies that pay salaries through the bank (代发工资), by branch city."""

    codes: tuple[str, ...]
    names: tuple[str, ...]
    city: I64
    """Index into ``ALL_CITIES`` of each employer."""
    payday: I64
    """Day of the month the employer pays salaries."""
    first_of_city: I64
    """Index of each branch city's first employer (employers are grouped by city)."""
    cumulative: F64
    """Within a city, the cumulative share of payroll customers per employer (a few large
    employers, many small ones)."""


EMPLOYERS_PER_CITY = 40


def build_employers(branches: int, seed: int) -> Employers:
    """A pool of payroll employers in every branch city."""
    fake = Faker("zh_CN")
    fake.seed_instance(seed + 1)
    rng = master_rng(seed, Stream.PAYROLL)
    codes: list[str] = []
    names: list[str] = []
    city: list[int] = []
    for index, c in enumerate(BRANCH_CITIES[:branches]):
        for k in range(EMPLOYERS_PER_CITY):
            codes.append(f"E{c.code}{k + 1:04d}")
            names.append(c.name + fake.company())
            city.append(index)
    weights = 1.0 / (np.arange(EMPLOYERS_PER_CITY) + 1.0) ** 0.9
    return Employers(
        codes=tuple(codes),
        names=tuple(names),
        city=np.array(city, dtype=np.int64),
        payday=rng.choice(np.array([5, 8, 10, 15, 20, 25]), size=len(codes)).astype(np.int64),
        first_of_city=np.arange(branches, dtype=np.int64) * EMPLOYERS_PER_CITY,
        cumulative=cumulative(weights),
    )
