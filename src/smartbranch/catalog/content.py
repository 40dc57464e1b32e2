"""The bank's product-centre content and knowledge base (产品中心 / 知识库).

The warehouse load owns a product's code, names, category, risk level and term. What staff
read about it — a summary, selling points, whether accepting it completes the sale at once —
is the bank's own content, kept here and installed beside the loaded columns by
:func:`install_content` (``smartbranch catalog install-content``, and ``make demo``).

**Risk wording.** Investment products (wealth management, funds, insurance) state their
product risk level in the summary, in the bank's words: R1 谨慎型, R2 稳健型, R3 平衡型,
R4 进取型, R5 激进型. The sentence is built from the level the content declares, and
:func:`install_content` refuses content whose declared level differs from the loaded
product's: a summary that misstates the risk is a mis-selling risk, not a typo.

**Sold on the spot** (``sold_on_the_spot``): accepting the offer completes the sale while
the customer is there, so the lead converts at once instead of at the next nightly run.
True for:

- current deposits, time deposits and large certificates of deposit — opened at the counter
  or on the tablet there and then;
- the cash-management product WM-CASH — open every working day, the purchase is placed
  and confirmed at once;
- funds — the order is placed at once (confirmed by the fund company on T+1, not reversed);
- the classic and gold credit cards — the counter's fast issue (柜台信用卡快速办卡) for
  customers pre-approved by the nightly run: signed face to face, card issued at once.

False for:

- wealth products other than WM-CASH — a subscription may be withdrawn during the offer
  period, and the private product has a 24-hour cooling-off period;
- insurance — underwriting and a 15-day cooling-off period (犹豫期);
- platinum and diamond credit cards — a full credit-card approval;
- loans — credit approval.

No card or ID number appears anywhere in this content.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartbranch.catalog.errors import ContentRiskMismatchError
from smartbranch.catalog.labels import RISK_LABELS
from smartbranch.catalog.models import KnowledgeArticle, Product
from smartbranch.db import utcnow
from smartbranch.i18n import translate


def risk_sentence_zh(level: int) -> str:
    """``产品风险等级：R2（稳健型）。``"""
    return f"产品风险等级：R{level}（{translate(RISK_LABELS[level], 'zh_CN')}）。"


def risk_sentence_en(level: int) -> str:
    """``Product risk level: R2 (Steady).``"""
    return f"Product risk level: R{level} ({RISK_LABELS[level]})."


@dataclass(frozen=True)
class ProductContent:
    """What the product centre says about one product."""

    code: str
    about_zh: str
    about_en: str
    selling_points_zh: tuple[str, ...]
    selling_points_en: tuple[str, ...]
    sold_on_the_spot: bool
    risk_level: int | None = None
    """The product risk level the summary states; None for deposits and credit products,
    whose summaries state none."""

    @property
    def summary_zh(self) -> str:
        """The Chinese summary, ending with the risk sentence when a level is stated."""
        if self.risk_level is None:
            return self.about_zh
        return f"{self.about_zh}{risk_sentence_zh(self.risk_level)}"

    @property
    def summary_en(self) -> str:
        """The English summary, ending with the risk sentence when a level is stated."""
        if self.risk_level is None:
            return self.about_en
        return f"{self.about_en} {risk_sentence_en(self.risk_level)}"


@dataclass(frozen=True)
class ArticleContent:
    """One knowledge-base article or FAQ. Bodies are plain text: paragraphs separated by a
    blank line, list items on lines starting with ``- ``."""

    slug: str
    kind: str
    topic: str
    title_zh: str
    title_en: str
    body_zh: str
    body_en: str
    tags: tuple[str, ...] = field(default_factory=tuple)


# ---- products -------------------------------------------------------------------------

_TD_POINTS_ZH = (
    "利率高于活期，到期一次性支取本息，可约定到期自动转存",
    "急用钱时可办理一次部分提前支取，未支取部分仍按原利率计息",
    "受《存款保险条例》保障，本息合并最高50万元",
)
_TD_POINTS_EN = (
    "A higher rate than a current deposit, principal and interest at maturity, with "
    "automatic renewal on request",
    "One partial early withdrawal is allowed; the rest keeps its original rate",
    "Covered by deposit insurance up to 500,000 CNY, principal and interest together",
)


def _time_deposit(
    code: str, term_zh: str, term_en: str, use_zh: str, use_en: str
) -> ProductContent:
    return ProductContent(
        code=code,
        about_zh=(
            f"{term_zh}整存整取人民币定期存款，50元起存，本金一次存入、到期一次支取本息。{use_zh}"
        ),
        about_en=(
            f"A {term_en} lump-sum Renminbi time deposit from 50 CNY: paid in once, principal "
            f"and interest paid out at maturity. {use_en}"
        ),
        selling_points_zh=_TD_POINTS_ZH,
        selling_points_en=_TD_POINTS_EN,
        sold_on_the_spot=True,
    )


PRODUCT_CONTENT: tuple[ProductContent, ...] = (
    ProductContent(
        code="DEP-CURRENT",
        about_zh=(
            "随存随取的人民币活期储蓄，按本行挂牌活期利率计息、按季结息，"
            "是工资入账、日常消费、转账和自动还款的基础账户。"
        ),
        about_en=(
            "Renminbi savings paid in and drawn at any time, earning the bank's posted "
            "current-account rate with interest paid quarterly: the everyday account for "
            "salary, spending, transfers and automatic repayments."
        ),
        selling_points_zh=(
            "随存随取，资金灵活",
            "按季结息，每季末月20日入账",
            "可绑定手机银行、代发工资、水电燃气缴费和信用卡自动还款",
            "受《存款保险条例》保障",
        ),
        selling_points_en=(
            "Pay in and draw at any time",
            "Interest paid quarterly, on the 20th of the last month of each quarter",
            "Links to mobile banking, payroll, utility bills and credit-card autopay",
            "Covered by deposit insurance",
        ),
        sold_on_the_spot=True,
    ),
    _time_deposit(
        "TD-3M",
        "三个月期",
        "3-month",
        "适合三个月内有明确用途、又希望比活期多一些利息的资金。",
        "For money with a set use within three months that should earn more than a current "
        "deposit.",
    ),
    _time_deposit(
        "TD-6M",
        "六个月期",
        "6-month",
        "适合半年内的备用金，兼顾收益与灵活。",
        "For a reserve needed within half a year, balancing return and flexibility.",
    ),
    _time_deposit(
        "TD-1Y",
        "一年期",
        "1-year",
        "客户最常选择的期限，适合一年内不动用的闲置资金。",
        "The term customers choose most, for spare money not needed within a year.",
    ),
    _time_deposit(
        "TD-2Y",
        "二年期",
        "2-year",
        "适合中期规划资金，例如子女教育、购车储备。",
        "For medium-term plans such as a child's education or saving for a car.",
    ),
    _time_deposit(
        "TD-3Y",
        "三年期",
        "3-year",
        "锁定较长期限的利率，适合长期不动用、追求稳定的资金，老年客户尤其偏爱。",
        "Locks in a rate for longer; for money left untouched for years, much liked by "
        "older customers.",
    ),
    ProductContent(
        code="CD-3Y",
        about_zh=(
            "三年期个人大额存单，个人认购起点20万元，利率高于同期限普通定期存款。"
            "本行面向白金卡及以上客户发行，额度有限、售完即止。"
        ),
        about_en=(
            "A 3-year large certificate of deposit for individuals from 200,000 CNY, paying "
            "more than an ordinary time deposit of the same term. Issued to our platinum "
            "customers and above, in limited batches."
        ),
        selling_points_zh=(
            "属于存款，受《存款保险条例》保障",
            "利率高于同期限整存整取定期存款",
            "按产品说明书可办理转让或提前支取，流动性优于普通定期",
            "白金卡及以上客户专享额度",
        ),
        selling_points_en=(
            "A deposit, covered by deposit insurance",
            "A higher rate than an ordinary time deposit of the same term",
            "Transferable or withdrawable early as its terms allow: more liquid than a "
            "plain time deposit",
            "Quota reserved for platinum customers and above",
        ),
        sold_on_the_spot=True,
    ),
    ProductContent(
        code="WM-CASH",
        about_zh=(
            "现金管理类理财产品，主要投资于现金、银行存款、同业存单等货币市场工具，"
            "每个工作日开放申购赎回，支持快速赎回（单日不超过1万元）。"
            "理财非存款，产品有风险，投资须谨慎。"
        ),
        about_en=(
            "A cash-management wealth product investing in cash, bank deposits, interbank "
            "certificates and other money-market instruments; open every working day, with "
            "fast redemption of up to 10,000 CNY a day. A wealth product is not a deposit "
            "and carries risk."
        ),
        selling_points_zh=(
            "1元起购，工作日随时申购赎回",
            "快速赎回实时到账，单日上限1万元",
            "收益通常高于活期存款，适合打理日常备用金",
        ),
        selling_points_en=(
            "From 1 CNY; subscribe and redeem on any working day",
            "Fast redemption paid at once, up to 10,000 CNY a day",
            "Usually earns more than a current deposit: a home for everyday reserves",
        ),
        sold_on_the_spot=True,
        risk_level=1,
    ),
    ProductContent(
        code="WM-R2-91",
        about_zh=(
            "固定收益类净值型理财产品，投资期限约三个月，主要投资于债券、存款和同业存单。"
            "以业绩比较基准展示，不承诺保本和最低收益。"
        ),
        about_en=(
            "A fixed-income wealth product valued at net asset value, invested for about "
            "three months in bonds, deposits and interbank certificates. Shown against a "
            "performance benchmark; neither principal nor a minimum return is guaranteed."
        ),
        selling_points_zh=(
            "期限短，约三个月一个周期，适合衔接到期资金",
            "净值波动小，历史回撤较低",
            "1元起购，手机银行可查看每日净值",
        ),
        selling_points_en=(
            "Short: about three months a cycle, good for bridging maturing money",
            "Small swings in value, low drawdowns so far",
            "From 1 CNY; daily net asset value in mobile banking",
        ),
        sold_on_the_spot=False,
        risk_level=2,
    ),
    ProductContent(
        code="WM-R2-182",
        about_zh=(
            "固定收益类净值型理财产品，投资期限约半年，以高等级信用债和利率债为主。"
            "以业绩比较基准展示，不承诺保本和最低收益。"
        ),
        about_en=(
            "A fixed-income wealth product valued at net asset value, invested for about six "
            "months mainly in high-grade credit and government bonds. Shown against a "
            "performance benchmark; neither principal nor a minimum return is guaranteed."
        ),
        selling_points_zh=(
            "半年期限，兼顾收益与流动性",
            "业绩比较基准通常高于同期定期存款",
            "适合定期存款到期后寻求略高收益的稳健型客户",
        ),
        selling_points_en=(
            "A six-month term balancing return and liquidity",
            "A benchmark usually above a time deposit of the same term",
            "For steady customers looking for a little more than a maturing time deposit",
        ),
        sold_on_the_spot=False,
        risk_level=2,
    ),
    ProductContent(
        code="WM-R2-365",
        about_zh=(
            "固定收益类净值型理财产品，投资期限约一年，主要投资于债券等固定收益类资产。"
            "以业绩比较基准展示，不承诺保本和最低收益。"
        ),
        about_en=(
            "A fixed-income wealth product valued at net asset value, invested for about a "
            "year mainly in bonds. Shown against a performance benchmark; neither principal "
            "nor a minimum return is guaranteed."
        ),
        selling_points_zh=(
            "一年期限，收益相对稳定",
            "适合一年内不动用的资金，或贷款提前结清后的月供资金",
            "到期自动兑付至活期账户",
        ),
        selling_points_en=(
            "A one-year term with relatively steady returns",
            "For money not needed within a year, or monthly instalments freed by an early "
            "loan repayment",
            "Paid back to the current account at maturity",
        ),
        sold_on_the_spot=False,
        risk_level=2,
    ),
    ProductContent(
        code="WM-R3-365",
        about_zh=(
            "混合类净值型理财产品，投资期限约一年，以债券打底，配置不超过20%的权益类资产以增厚收"
            "益，"
            "净值会有波动。不承诺保本和最低收益。"
        ),
        about_en=(
            "A mixed-asset wealth product valued at net asset value, invested for about a "
            "year: a bond base with up to 20% in equities for extra return, so its value "
            "moves. Neither principal nor a minimum return is guaranteed."
        ),
        selling_points_zh=(
            "“固收+”策略，力争收益高于纯债产品",
            "权益仓位上限20%，波动可控",
            "适合资产集中在存款、希望适度分散的客户",
        ),
        selling_points_en=(
            "A 'fixed income plus' strategy aiming above pure bond products",
            "Equities capped at 20%, so swings stay contained",
            "For customers with most assets in deposits who want to diversify a little",
        ),
        sold_on_the_spot=False,
        risk_level=3,
    ),
    ProductContent(
        code="WM-R3-730",
        about_zh=(
            "混合类净值型理财产品，投资期限约两年，股债均衡配置，期限较长以获取更充分的资产配置收"
            "益，"
            "净值会有波动。不承诺保本和最低收益。"
        ),
        about_en=(
            "A mixed-asset wealth product valued at net asset value, invested for about two "
            "years in a balance of equities and bonds; the longer term leaves room for the "
            "allocation to pay off, and its value moves. Neither principal nor a minimum "
            "return is guaranteed."
        ),
        selling_points_zh=(
            "两年期限，股债均衡配置",
            "由资深投资团队管理，定期披露持仓和净值",
            "适合两年内不动用资金、能接受一定波动的平衡型客户",
        ),
        selling_points_en=(
            "Two years, balanced between equities and bonds",
            "Managed by a senior investment team, with regular reports of holdings and value",
            "For balanced customers who will not need the money for two years and accept "
            "some swings",
        ),
        sold_on_the_spot=False,
        risk_level=3,
    ),
    ProductContent(
        code="WM-R4-365",
        about_zh=(
            "混合类净值型理财产品，投资期限约一年，权益类资产占比较高，追求较高的长期收益，"
            "净值波动较大，可能出现本金亏损。本行面向金卡及以上客户销售。"
        ),
        about_en=(
            "A mixed-asset wealth product valued at net asset value, invested for about a "
            "year with a large share in equities, aiming at higher long-term returns; its "
            "value swings widely and principal may be lost. Sold to gold customers and above."
        ),
        selling_points_zh=(
            "权益仓位较高，分享资本市场长期增长",
            "精选行业龙头，动态调整仓位",
            "适合权益配置偏少、风险承受能力较高的客户",
        ),
        selling_points_en=(
            "A large equity share to take part in long-term market growth",
            "Selected sector leaders, positions adjusted as markets move",
            "For customers with few equities and a high risk tolerance",
        ),
        sold_on_the_spot=False,
        risk_level=4,
    ),
    ProductContent(
        code="WM-R5-PE",
        about_zh=(
            "私募股权类理财产品，仅向合格投资者非公开发行，单笔认购不低于100万元，"
            "投资期限约三年，期间不可赎回，本金可能全部损失。"
            "签署合同后享有不少于24小时的投资冷静期。"
            "本行面向钻石卡及以上客户销售。"
        ),
        about_en=(
            "A private-equity wealth product offered privately to qualified investors only, "
            "from 1,000,000 CNY, invested for about three years without redemption; the "
            "whole principal may be lost. The customer has a cooling-off period of at least "
            "24 hours after signing. Sold to diamond customers and above."
        ),
        selling_points_zh=(
            "投资未上市优质企业股权，分享企业成长",
            "专业管理人尽职调查，分散投资多个项目",
            "仅限合格投资者：家庭金融净资产不低于300万元、家庭金融资产不低于500万元或近三年本人年"
            "均收入不低于40万元，且有两年以上投资经历",
        ),
        selling_points_en=(
            "Stakes in promising unlisted companies, sharing in their growth",
            "Professional managers' due diligence, spread over several investments",
            "Qualified investors only: household net financial assets of 3 million CNY, "
            "household financial assets of 5 million CNY or own income averaging 400,000 CNY "
            "a year over three years, and two years of investing experience",
        ),
        sold_on_the_spot=False,
        risk_level=5,
    ),
    ProductContent(
        code="FD-BOND",
        about_zh=(
            "本行代销的纯债型证券投资基金，只投资债券，不投资股票，"
            "适合追求稳健增值的客户作为底仓配置。基金有风险，投资须谨慎。"
        ),
        about_en=(
            "A pure bond fund distributed by the bank: bonds only, no shares; a core holding "
            "for customers after steady growth. Funds carry risk."
        ),
        selling_points_zh=(
            "只投债券，波动相对较小",
            "可随时申购赎回，T+1确认",
            "支持每月定投，10元起",
        ),
        selling_points_en=(
            "Bonds only, with comparatively small swings",
            "Buy and sell any working day, confirmed on T+1",
            "Monthly regular investment from 10 CNY",
        ),
        sold_on_the_spot=True,
        risk_level=2,
    ),
    ProductContent(
        code="FD-MIX",
        about_zh=(
            "本行代销的偏债混合型基金，股债灵活配置，力争在控制回撤的前提下获取稳健收益。"
            "基金有风险，过往业绩不代表未来表现。"
        ),
        about_en=(
            "A bond-leaning hybrid fund distributed by the bank, moving between shares and "
            "bonds to earn a steady return while limiting drawdowns. Past performance does "
            "not predict future results."
        ),
        selling_points_zh=(
            "股债平衡，攻守兼备",
            "基金经理从业十年以上，风格稳定",
            "适合希望资产适度分散的平衡型客户",
        ),
        selling_points_en=(
            "Balanced between shares and bonds, for defence and growth",
            "A fund manager with over ten years' experience and a steady style",
            "For balanced customers diversifying their assets",
        ),
        sold_on_the_spot=True,
        risk_level=3,
    ),
    ProductContent(
        code="FD-IDX300",
        about_zh=(
            "被动跟踪沪深300指数的指数基金，一次买入即分散投资于A股市场300家代表性大中型公司，"
            "费率低、透明度高。基金有风险，投资须谨慎。"
        ),
        about_en=(
            "An index fund tracking the CSI 300: one purchase spreads the money over 300 "
            "large and mid-sized A-share companies, at low fees and in full view. Funds carry "
            "risk."
        ),
        selling_points_zh=(
            "管理费低，持仓透明",
            "适合长期定投，平摊买入成本",
            "一只基金覆盖A股核心资产",
        ),
        selling_points_en=(
            "Low fees and transparent holdings",
            "Suits long-term regular investment, averaging the purchase price",
            "One fund for the core of the A-share market",
        ),
        sold_on_the_spot=True,
        risk_level=4,
    ),
    ProductContent(
        code="FD-EQUITY",
        about_zh=(
            "主动管理的股票型基金，股票仓位不低于80%，聚焦科技创新、高端制造和消费升级等成长行业，"
            "净值波动较大。基金有风险，过往业绩不代表未来表现。"
        ),
        about_en=(
            "An actively managed equity fund, at least 80% in shares, focused on growth "
            "sectors such as technology, advanced manufacturing and consumer upgrades; its "
            "value swings widely. Past performance does not predict future results."
        ),
        selling_points_zh=(
            "聚焦成长行业，追求超越市场的长期收益",
            "投研团队深度覆盖上市公司",
            "适合投资期限三年以上、能承受较大波动的客户",
        ),
        selling_points_en=(
            "Growth sectors, aiming to beat the market over the long run",
            "A research team with deep coverage of listed companies",
            "For customers investing three years or more who accept large swings",
        ),
        sold_on_the_spot=True,
        risk_level=4,
    ),
    ProductContent(
        code="FD-QDII",
        about_zh=(
            "合格境内机构投资者（QDII）基金，投资于境外上市的全球科技龙头企业，"
            "同时承担股票市场波动和汇率波动风险，申购赎回确认时间较长（T+2）。"
        ),
        about_en=(
            "A qualified domestic institutional investor (QDII) fund investing in global "
            "technology leaders listed abroad; it bears both share-price and exchange-rate "
            "risk, and orders are confirmed later (T+2)."
        ),
        selling_points_zh=(
            "一站配置全球科技龙头，分散单一市场风险",
            "人民币申购，无需自行换汇",
            "适合已有A股配置、希望全球分散的进取型客户",
        ),
        selling_points_en=(
            "Global technology leaders in one fund, beyond a single market",
            "Bought in Renminbi, no currency exchange needed",
            "For customers who already hold A-shares and want global spread",
        ),
        sold_on_the_spot=True,
        risk_level=5,
    ),
    ProductContent(
        code="INS-ANNUITY",
        about_zh=(
            "本行代理销售的年金保险，缴费期满后按合同约定定期领取年金，直至约定年龄或终身，"
            "为退休生活提供稳定的现金流。犹豫期15天。"
        ),
        about_en=(
            "An annuity distributed by the bank for an insurer: after the premium years it "
            "pays a regular income as the policy sets out, to a set age or for life — a "
            "steady cash flow in retirement. 15-day cooling-off period."
        ),
        selling_points_zh=(
            "领取金额在合同中确定，养老规划更安心",
            "可选择3年、5年或10年缴费",
            "适合40至55岁、开始规划养老的客户",
        ),
        selling_points_en=(
            "Payments fixed in the contract for a calmer retirement plan",
            "Premiums over 3, 5 or 10 years",
            "For customers aged 40–55 starting to plan for retirement",
        ),
        sold_on_the_spot=False,
        risk_level=1,
    ),
    ProductContent(
        code="INS-CI",
        about_zh=(
            "本行代理销售的重大疾病保险，确诊合同约定的重大疾病即按保额一次性给付，"
            "覆盖百余种重疾和轻症。需如实告知健康状况，经保险公司核保后承保。犹豫期15天。"
        ),
        about_en=(
            "Critical illness cover distributed by the bank for an insurer: the sum insured "
            "is paid in one go on diagnosis of an illness the policy covers — over a hundred "
            "serious and milder conditions. Health must be declared truthfully; the insurer "
            "underwrites. 15-day cooling-off period."
        ),
        selling_points_zh=(
            "确诊即赔，给付资金可自由支配",
            "轻症、中症多次赔付",
            "适合家庭经济支柱和有子女的客户",
        ),
        selling_points_en=(
            "Pays on diagnosis; the money is the customer's to use",
            "Several payouts for milder conditions",
            "For a family's main earners and customers with children",
        ),
        sold_on_the_spot=False,
        risk_level=1,
    ),
    ProductContent(
        code="INS-LIFE",
        about_zh=(
            "本行代理销售的终身寿险，保额按合同约定逐年递增，可用于财富传承和家庭保障，"
            "可指定受益人。犹豫期15天。"
        ),
        about_en=(
            "Whole life insurance distributed by the bank for an insurer: the sum insured "
            "grows each year as the contract sets out, for passing on wealth and protecting "
            "the family, with named beneficiaries. 15-day cooling-off period."
        ),
        selling_points_zh=(
            "终身保障，保额逐年递增",
            "指定受益人，财富定向传承",
            "适合资产较多、有传承需求的客户",
        ),
        selling_points_en=(
            "Lifelong cover with a growing sum insured",
            "Named beneficiaries to pass wealth to the right people",
            "For customers with substantial assets who plan their estate",
        ),
        sold_on_the_spot=False,
        risk_level=2,
    ),
    ProductContent(
        code="INS-UL",
        about_zh=(
            "本行代理销售的万能型人身保险，在提供身故保障的同时设有个人账户，"
            "账户有保证利率，实际结算利率超出部分不保证。犹豫期15天。"
        ),
        about_en=(
            "Universal life insurance distributed by the bank for an insurer: death cover "
            "plus a personal account with a guaranteed minimum rate; any credited rate above "
            "it is not guaranteed. 15-day cooling-off period."
        ),
        selling_points_zh=(
            "账户价值有保证利率托底",
            "可追加保费、部分领取，灵活度较高",
            "兼顾保障与中长期储蓄",
        ),
        selling_points_en=(
            "A guaranteed minimum rate under the account value",
            "Top-ups and partial withdrawals allowed",
            "Cover and medium-to-long-term saving in one",
        ),
        sold_on_the_spot=False,
        risk_level=2,
    ),
    ProductContent(
        code="INS-ILP",
        about_zh=(
            "本行代理销售的投资连结保险，保费扣除保障成本后投入投资账户，"
            "账户价值随投资表现波动，投资风险由投保人承担，可能出现本金亏损。犹豫期15天。"
        ),
        about_en=(
            "Investment-linked insurance distributed by the bank for an insurer: after the "
            "cost of cover, premiums go into investment accounts whose value follows their "
            "performance; the policyholder bears the investment risk and may lose principal. "
            "15-day cooling-off period."
        ),
        selling_points_zh=(
            "多个投资账户可自由转换",
            "保障与投资一体，长期持有",
            "适合风险承受能力较高、投资期限较长的客户",
        ),
        selling_points_en=(
            "Several investment accounts to switch between",
            "Cover and investment in one, held for the long term",
            "For customers with a high risk tolerance and a long horizon",
        ),
        sold_on_the_spot=False,
        risk_level=4,
    ),
    ProductContent(
        code="CC-CLASSIC",
        about_zh=(
            "本行信用卡普卡，最长56天免息期，新户首年免年费，当年刷卡满5次免次年年费。"
            "经夜间分析预审批的客户可在柜台快速办卡：本人持有效身份证件亲临、当面签名，当场发卡。"
        ),
        about_en=(
            "The bank's classic credit card: up to 56 interest-free days, no annual fee in "
            "the first year, and none the next year after five purchases. Customers "
            "pre-approved by the nightly analysis can have it issued at the counter at once, "
            "in person with valid ID and a signature in front of the teller."
        ),
        selling_points_zh=(
            "最长56天免息期",
            "刷卡5次免次年年费",
            "预审批客户柜台当场办卡、当场激活",
        ),
        selling_points_en=(
            "Up to 56 interest-free days",
            "Five purchases a year waive next year's fee",
            "Pre-approved customers get the card and activate it at the counter",
        ),
        sold_on_the_spot=True,
    ),
    ProductContent(
        code="CC-GOLD",
        about_zh=(
            "本行信用卡金卡，额度高于普卡，附赠航空意外险和境外消费返现。"
            "经预审批的客户可在柜台快速办卡：本人亲临、当面签名，当场发卡。"
        ),
        about_en=(
            "The bank's gold credit card: a higher limit than the classic card, with travel "
            "accident cover and cash back abroad. Pre-approved customers can have it issued "
            "at the counter at once, in person with a signature in front of the teller."
        ),
        selling_points_zh=(
            "额度更高，满足日常大额消费",
            "境外消费返现，附赠航空意外险",
            "预审批客户柜台当场办卡",
        ),
        selling_points_en=(
            "A higher limit for larger everyday spending",
            "Cash back abroad and travel accident cover",
            "Pre-approved customers get it at the counter at once",
        ),
        sold_on_the_spot=True,
    ),
    ProductContent(
        code="CC-PLATINUM",
        about_zh=(
            "本行信用卡白金卡，提供机场贵宾厅、道路救援、高额航空意外险等高端权益，"
            "需经信用卡中心完整审批，审批通过后寄送至客户。"
        ),
        about_en=(
            "The bank's platinum credit card, with airport lounges, roadside assistance and "
            "high travel accident cover; it goes through the card centre's full approval and "
            "is posted to the customer once approved."
        ),
        selling_points_zh=(
            "国内外机场贵宾厅服务",
            "道路救援和高额航空意外险",
            "消费积分可兑换航空里程",
        ),
        selling_points_en=(
            "Airport lounges at home and abroad",
            "Roadside assistance and high travel accident cover",
            "Points convertible to air miles",
        ),
        sold_on_the_spot=False,
    ),
    ProductContent(
        code="CC-DIAMOND",
        about_zh=(
            "本行信用卡钻石卡，面向高净值客户，提供专属客户经理、全球礼宾、高尔夫和高端医疗预约等"
            "权益，"
            "需经信用卡中心完整审批。"
        ),
        about_en=(
            "The bank's diamond credit card for high-net-worth customers: a dedicated "
            "relationship manager, global concierge, golf and premium medical appointments; "
            "it goes through the card centre's full approval."
        ),
        selling_points_zh=(
            "专属客户经理与全球礼宾服务",
            "高尔夫、高端医疗预约等尊享权益",
            "高额度，匹配高端消费需求",
        ),
        selling_points_en=(
            "A dedicated manager and global concierge",
            "Golf, premium medical appointments and more",
            "A high limit for premium spending",
        ),
        sold_on_the_spot=False,
    ),
    ProductContent(
        code="LN-CONSUMER",
        about_zh=(
            "个人消费贷款，用于装修、教育、旅游、购买大额耐用消费品等个人消费，"
            "不得用于购房、投资理财或证券投资。按贷款合同约定受托支付或自主支付。"
        ),
        about_en=(
            "A personal consumer loan for home improvement, education, travel or large "
            "durable goods — never for buying property, wealth products or securities. Paid "
            "to the seller or to the borrower as the loan contract sets out."
        ),
        selling_points_zh=(
            "手机银行在线申请，审批快",
            "按日计息，可提前还款",
            "代发工资客户可享利率优惠",
        ),
        selling_points_en=(
            "Apply in mobile banking, with a quick decision",
            "Daily interest and early repayment allowed",
            "Better rates for payroll customers",
        ),
        sold_on_the_spot=False,
    ),
    ProductContent(
        code="LN-BUSINESS",
        about_zh=(
            "个人经营贷款，面向个体工商户和小微企业主，用于生产经营周转，"
            "可采用抵押、保证或信用方式，贷款资金不得流入房地产市场。"
        ),
        about_en=(
            "A personal business loan for sole traders and owners of small businesses, for "
            "working capital; secured by a mortgage, a guarantee or on credit. The money must "
            "not go into property."
        ),
        selling_points_zh=(
            "随借随还，循环使用",
            "抵押、保证、信用多种担保方式",
            "结合经营流水核定额度",
        ),
        selling_points_en=(
            "Draw and repay as needed, revolving",
            "Mortgage, guarantee or unsecured",
            "The limit follows the business's turnover",
        ),
        sold_on_the_spot=False,
    ),
    ProductContent(
        code="LN-CAR",
        about_zh=(
            "个人汽车贷款，用于购买自用车（含新能源汽车），与合作经销商联合办理，"
            "首付比例和期限按监管规定及本行政策执行。"
        ),
        about_en=(
            "A car loan for a private car, electric cars included, arranged with partner "
            "dealers; down payment and term follow the regulations and the bank's policy."
        ),
        selling_points_zh=(
            "合作经销商现场办理",
            "新能源汽车专项优惠",
            "最长三年，等额本息还款",
        ),
        selling_points_en=(
            "Arranged at partner dealers",
            "Special terms for electric cars",
            "Up to three years, equal monthly instalments",
        ),
        sold_on_the_spot=False,
    ),
    ProductContent(
        code="LN-MORTGAGE-20Y",
        about_zh=(
            "二十年期个人住房贷款，利率以贷款市场报价利率（LPR）为基准加减点确定，"
            "首付比例按当地政策执行，可选择等额本息或等额本金还款。"
        ),
        about_en=(
            "A 20-year mortgage priced at the loan prime rate (LPR) plus or minus a spread; "
            "the down payment follows local policy; equal instalments or equal principal."
        ),
        selling_points_zh=(
            "LPR定价，利率透明",
            "等额本息或等额本金自由选择",
            "支持提前部分还款",
        ),
        selling_points_en=(
            "Priced on the LPR, in full view",
            "Equal instalments or equal principal",
            "Partial early repayment allowed",
        ),
        sold_on_the_spot=False,
    ),
    ProductContent(
        code="LN-MORTGAGE-30Y",
        about_zh=(
            "三十年期个人住房贷款，期限最长、月供压力最小，利率以LPR为基准加减点确定，"
            "贷款期限加借款人年龄一般不超过70岁。"
        ),
        about_en=(
            "A 30-year mortgage, the longest term and the lowest monthly payment, priced on "
            "the LPR plus or minus a spread; the borrower's age plus the term usually may "
            "not exceed 70."
        ),
        selling_points_zh=(
            "期限最长三十年，月供更轻松",
            "LPR定价，利率透明",
            "公积金组合贷款可一站办理",
        ),
        selling_points_en=(
            "Up to thirty years, for lighter monthly payments",
            "Priced on the LPR, in full view",
            "Combined loans with the housing provident fund in one place",
        ),
        sold_on_the_spot=False,
    ),
)

# ---- knowledge base -------------------------------------------------------------------

ARTICLES: tuple[ArticleContent, ...] = (
    ArticleContent(
        slug="suitability-management",
        kind="article",
        topic="compliance",
        title_zh="理财产品适当性管理要点",
        title_en="Suitability when selling wealth products",
        body_zh=(
            "适当性管理的核心是“把合适的产品卖给合适的客户”：产品风险等级不得高于客户的风险承受能"
            "力等级。\n\n"
            "销售前必须确认：\n"
            "- 客户已完成风险承受能力评估，且评估结果在有效期内（本行为一年）；\n"
            "- 产品风险等级（R1–R5）不高于客户风险承受能力等级（C1–C5）对应的可购买范围；\n"
            "- 首次购买理财产品的客户须在网点面对面完成评估；\n"
            "- 理财产品在销售专区销售，全程录音录像（“双录”），客户阅读产品说明书和风险揭示书并亲"
            "笔抄录风险确认语句。\n\n"
            "禁止行为：代客户填写评估问卷、诱导客户修改答案以“提级”、向风险承受能力不足的客户推介"
            "高风险产品、"
            "以存款名义销售理财、承诺保本保收益。\n\n"
            "系统已在营销线索中自动过滤超出客户风险承受能力的理财产品；若客户主动要求购买更高风险"
            "产品，"
            "应如实告知不匹配，不得销售。"
        ),
        body_en=(
            "Suitability means selling the right product to the right customer: a product's "
            "risk level may never exceed the customer's risk tolerance.\n\n"
            "Before any sale, check that:\n"
            "- the customer has a risk-tolerance assessment that is still valid (one year at our "
            "bank);\n"
            "- the product's risk level (R1–R5) is within what the customer's tolerance (C1–C5) "
            "allows;\n"
            "- a customer buying a wealth product for the first time takes the assessment face "
            "to face at an outlet;\n"
            "- the sale happens in the wealth sales area with audio and video recording, and the "
            "customer reads the product documents and the risk disclosure and copies the risk "
            "statement by hand.\n\n"
            "Never fill in the questionnaire for a customer, coax them into changing answers to "
            "reach a higher level, recommend a product above their tolerance, sell a wealth "
            "product as a deposit, or promise principal or returns.\n\n"
            "The workbench already hides wealth leads above the customer's tolerance. If a "
            "customer asks for a riskier product, tell them plainly it does not match and do "
            "not sell it."
        ),
        tags=("适当性", "双录", "风险等级", "suitability"),
    ),
    ArticleContent(
        slug="risk-tolerance-assessment",
        kind="faq",
        topic="compliance",
        title_zh="客户的风险承受能力评估怎么做？有效期多久？",
        title_en="How is a customer's risk tolerance assessed, and for how long is it valid?",
        body_zh=(
            "风险承受能力评估通过问卷了解客户的年龄、收入、投资经验、投资目标和对亏损的承受程度，"
            "结果分为五级：C1 保守型、C2 稳健型、C3 平衡型、C4 成长型、C5 进取型。\n\n"
            "对应可购买的产品风险等级：C1 可购买 R1；C2 可购买 R1–R2；C3 可购买 R1–R3；C4 可购买 "
            "R1–R4；C5 可购买 R1–R5。\n\n"
            "评估结果有效期为一年，过期后须重新评估方可购买理财产品和基金。"
            "首次评估须在网点由客户本人完成，以后可通过手机银行重新评估。"
            "客户发生重大变化（如退休、收入大幅下降）时，应提醒其主动重新评估。"
        ),
        body_en=(
            "The assessment asks about the customer's age, income, investing experience, goals "
            "and how much loss they can bear, and gives one of five levels: C1 Conservative, "
            "C2 Steady, C3 Balanced, C4 Growth, C5 Aggressive.\n\n"
            "Products the customer may buy: C1 up to R1; C2 up to R2; C3 up to R3; C4 up to "
            "R4; C5 up to R5.\n\n"
            "The result is valid for one year; after that the customer must be reassessed "
            "before buying wealth products or funds. The first assessment is taken in person "
            "at an outlet; later ones may be taken in mobile banking. When a customer's "
            "situation changes a lot (retirement, a large fall in income), remind them to "
            "reassess."
        ),
        tags=("风险承受能力", "评估", "risk tolerance"),
    ),
    ArticleContent(
        slug="product-risk-levels",
        kind="article",
        topic="wealth",
        title_zh="产品风险等级 R1–R5 说明",
        title_en="Product risk levels R1–R5",
        body_zh=(
            "本行对理财、基金、代理保险等投资类产品统一评定五个风险等级：\n\n"
            "- R1 谨慎型：本金亏损概率极低，如现金管理类理财；\n"
            "- R2 稳健型：以固定收益类资产为主，净值波动小，如纯债基金、固收类理财；\n"
            "- R3 平衡型：股债混合，净值有一定波动，如“固收+”理财、偏债混合基金；\n"
            "- R4 进取型：权益类资产占比较高，波动较大，可能亏损本金，如股票基金、指数基金；\n"
            "- R5 激进型：高波动或复杂结构，可能大部分或全部亏损本金，如私募股权、QDII基金。\n\n"
            "介绍产品时须同时说明风险等级，不得只讲收益不讲风险。理财非存款，产品有风险，投资须谨"
            "慎。"
        ),
        body_en=(
            "The bank rates every investment product — wealth products, funds, insurance it "
            "distributes — on five levels:\n\n"
            "- R1 Cautious: loss of principal very unlikely, e.g. cash management;\n"
            "- R2 Steady: mainly fixed income with small swings, e.g. pure bond funds, "
            "fixed-income wealth products;\n"
            "- R3 Balanced: a mix of shares and bonds with some swings, e.g. 'fixed income plus' "
            "products, bond-leaning hybrid funds;\n"
            "- R4 Progressive: a large share in equities, large swings, principal may be lost, "
            "e.g. equity and index funds;\n"
            "- R5 Aggressive: highly volatile or complex, most or all principal may be lost, "
            "e.g. private equity, QDII funds.\n\n"
            "Always state the risk level with the product, never the return alone. A wealth "
            "product is not a deposit and carries risk."
        ),
        tags=("风险等级", "R1", "R5", "risk level"),
    ),
    ArticleContent(
        slug="large-certificate-of-deposit",
        kind="article",
        topic="deposit",
        title_zh="个人大额存单办理规则",
        title_en="Large certificates of deposit for individuals",
        body_zh=(
            "大额存单是银行发行的记账式存款凭证，属于一般性存款，受存款保险保障。\n\n"
            "- 个人认购起点金额不低于20万元；\n"
            "- 本行大额存单面向白金卡及以上客户分批发行，额度售完即止；\n"
            "- 利率高于同期限整存整取定期存款，具体以发行公告为准；\n"
            "- 可按产品说明书办理转让或提前支取，提前支取部分按支取日活期利率计息；\n"
            "- 可在柜台、手机银行认购，须本人办理。\n\n"
            "营销提示：客户定期存款即将到期、资产接近白金卡门槛时，是介绍大额存单的好时机。"
        ),
        body_en=(
            "A large certificate of deposit (CD) is a book-entry deposit issued by the bank; "
            "it is an ordinary deposit and covered by deposit insurance.\n\n"
            "- Individuals subscribe from 200,000 CNY;\n"
            "- our CDs are issued in batches to platinum customers and above until the quota is "
            "gone;\n"
            "- the rate is above an ordinary time deposit of the same term, as each issue "
            "announces;\n"
            "- as its terms allow, a CD may be transferred or withdrawn early, the withdrawn "
            "part earning the current-account rate;\n"
            "- subscribe at the counter or in mobile banking, by the customer in person.\n\n"
            "Tip: a maturing time deposit, or assets just under the platinum threshold, is a "
            "good moment to mention a CD."
        ),
        tags=("大额存单", "存款保险", "CD"),
    ),
    ArticleContent(
        slug="large-cash-withdrawal",
        kind="faq",
        topic="deposit",
        title_zh="大额取现需要预约吗？",
        title_en="Does a large cash withdrawal need an appointment?",
        body_zh=(
            "需要。本行规定，个人单笔提取现金5万元（含）以上，请至少提前一个工作日通过电话、"
            "手机银行或到网点预约，以便网点备足现金。\n\n"
            "办理时须本人持有效身份证件；代理他人办理的，须同时出示代理人和被代理人的有效身份证件。"
            "按反洗钱规定，当日单笔或累计5万元以上的现金交易属于大额交易，银行须按规定报告，"
            "柜员可能询问资金用途，请客户理解配合。\n\n"
            "遇老年客户大额取现，请关注是否存在电信诈骗迹象（见“老年客户防诈骗提醒”）。"
        ),
        body_en=(
            "Yes. At our bank, a cash withdrawal of 50,000 CNY or more should be booked at "
            "least one working day ahead — by phone, in mobile banking or at an outlet — so "
            "the outlet has the cash ready.\n\n"
            "The customer brings valid ID; someone acting for them shows both their own and "
            "the customer's valid ID. Under anti-money-laundering rules, cash of more than "
            "50,000 CNY in one day is a large transaction the bank must report, and the "
            "teller may ask what the money is for.\n\n"
            "When an older customer draws a large sum, watch for signs of phone fraud (see "
            "'Fraud warnings for older customers')."
        ),
        tags=("大额取现", "预约", "反洗钱", "cash"),
    ),
    ArticleContent(
        slug="time-deposit-early-withdrawal",
        kind="faq",
        topic="deposit",
        title_zh="定期存款可以提前支取吗？利息怎么算？",
        title_en="Can a time deposit be withdrawn early, and what interest does it earn?",
        body_zh=(
            "可以。整存整取定期存款可全部或部分提前支取：\n\n"
            "- 提前支取的部分按支取日挂牌活期存款利率计息；\n"
            "- 部分提前支取仅限一次，未支取部分仍按原存入日的定期利率和原到期日计息；\n"
            "- 须存款人本人持有效身份证件办理；代理人办理须同时出示双方有效身份证件。\n\n"
            "建议：如客户只需部分资金，可先建议部分提前支取，或以定期存款质押办理小额贷款，"
            "减少利息损失。到期资金可推荐转存或衔接稳健型理财（须符合适当性要求）。"
        ),
        body_en=(
            "Yes. A lump-sum time deposit may be withdrawn early in full or in part:\n\n"
            "- the withdrawn part earns the posted current-account rate of the day it is "
            "withdrawn;\n"
            "- a partial early withdrawal is allowed once; the rest keeps its original rate and "
            "maturity date;\n"
            "- the depositor brings valid ID; an agent shows both their own and the depositor's "
            "valid ID.\n\n"
            "If the customer only needs part of the money, suggest a partial withdrawal, or a "
            "small loan secured on the deposit, to lose less interest. Maturing money can be "
            "renewed or moved into a steady wealth product (suitability applies)."
        ),
        tags=("定期存款", "提前支取", "time deposit"),
    ),
    ArticleContent(
        slug="deposit-insurance",
        kind="faq",
        topic="deposit",
        title_zh="存款保险保障哪些存款？最高赔多少？",
        title_en="What does deposit insurance cover, and up to how much?",
        body_zh=(
            "根据《存款保险条例》，存款保险实行限额偿付，最高偿付限额为人民币50万元，"
            "指同一存款人在同一家投保机构所有被保险存款账户的本金和利息合并计算。\n\n"
            "保障范围：人民币和外币的活期存款、定期存款、大额存单等。"
            "不在保障范围内：理财产品、基金、保险、国债等投资产品。\n\n"
            "向客户介绍理财产品时，须明确说明“理财非存款”，不受存款保险保障。"
        ),
        body_en=(
            "Under the Deposit Insurance Regulations, deposits are covered up to 500,000 CNY "
            "per depositor per insured bank, principal and interest of all their insured "
            "accounts together.\n\n"
            "Covered: current and time deposits and large certificates of deposit, in "
            "Renminbi and foreign currencies. Not covered: wealth products, funds, insurance, "
            "government bonds and other investments.\n\n"
            "When presenting a wealth product, say clearly that it is not a deposit and not "
            "covered by deposit insurance."
        ),
        tags=("存款保险", "50万", "deposit insurance"),
    ),
    ArticleContent(
        slug="wealth-cooling-off-period",
        kind="faq",
        topic="wealth",
        title_zh="理财产品有冷静期吗？客户买了能撤销吗？",
        title_en="Do wealth products have a cooling-off period? Can a purchase be undone?",
        body_zh=(
            "- 私募理财产品：合同中约定不少于24小时的投资冷静期，冷静期内客户可无条件解除合同，"
            "银行全额退还认购资金；冷静期结束后须进行回访确认。\n"
            "- 公募理财产品：在募集期内可撤销认购，产品成立后按产品说明书约定的开放期赎回。\n"
            "- 代理保险：犹豫期一般为15天，犹豫期内退保只扣除少量工本费。\n"
            "- 基金：当日15:00前提交的申购可在当日撤单，之后须按赎回处理。\n\n"
            "因此，除现金管理类理财和基金外，理财和保险的营销结果不能在客户同意时立即记为成交，"
            "须待冷静期或募集期结束后由夜间分析确认。"
        ),
        body_en=(
            "- Private wealth products: the contract gives a cooling-off period of at least 24 "
            "hours, during which the customer may cancel for any reason and gets the money back "
            "in full; a follow-up call confirms the sale afterwards.\n"
            "- Public wealth products: a subscription may be withdrawn during the offer period; "
            "once the product starts, redemptions follow its open periods.\n"
            "- Insurance through the bank: usually a 15-day cooling-off period; cancelling "
            "within it costs only a small fee.\n"
            "- Funds: an order placed before 15:00 can be cancelled the same day; later it must "
            "be redeemed.\n\n"
            "So, apart from cash management and funds, a wealth or insurance lead is not "
            "converted when the customer agrees: the nightly analysis confirms it after the "
            "cooling-off or offer period."
        ),
        tags=("冷静期", "犹豫期", "撤单", "cooling-off"),
    ),
    ArticleContent(
        slug="dual-recording",
        kind="article",
        topic="compliance",
        title_zh="销售专区录音录像（双录）操作规范",
        title_en="Audio and video recording in the sales area",
        body_zh=(
            "在网点销售理财产品和代理保险产品，须在销售专区内进行，全程同步录音录像。\n\n"
            "操作步骤：\n"
            "- 确认客户身份和风险承受能力评估结果；\n"
            "- 向客户出示并讲解产品说明书、风险揭示书，说明产品风险等级和“理财非存款”；\n"
            "- 客户本人阅读并抄录风险确认语句、签字；\n"
            "- 双录影像上传系统，保存期限按监管规定执行。\n\n"
            "双录内容须完整清晰，不得中断、剪辑；客户拒绝双录的，不得销售。"
        ),
        body_en=(
            "Wealth and insurance products sold at an outlet are sold in the sales area, "
            "with audio and video recorded throughout.\n\n"
            "Steps:\n"
            "- confirm the customer's identity and risk-tolerance result;\n"
            "- show and explain the product documents and the risk disclosure, the risk level, "
            "and that a wealth product is not a deposit;\n"
            "- the customer reads and copies the risk statement by hand, and signs;\n"
            "- upload the recording; it is kept as long as the regulations require.\n\n"
            "The recording must be complete and clear, never paused or cut. If the customer "
            "refuses to be recorded, do not sell."
        ),
        tags=("双录", "销售专区", "recording"),
    ),
    ArticleContent(
        slug="credit-card-fast-issue",
        kind="article",
        topic="card",
        title_zh="柜台信用卡快速办卡流程",
        title_en="Fast credit-card issue at the counter",
        body_zh=(
            "夜间分析会为符合条件的存量客户生成“柜台信用卡快速办卡”营销线索（普卡、金卡），"
            "客户同意后可在柜台当场办理、当场发卡。\n\n"
            "办理要点：\n"
            "- 客户本人持有效身份证件亲临网点，柜员核验身份（联网核查）；\n"
            "- 落实“亲访亲签”：客户当面签署申请表和领用合约，柜员在场见证；\n"
            "- 系统实时审批通过后当场制卡发卡，指导客户设置密码并激活；\n"
            "- 在工作台一键记录“已接受”，该线索即时计为成交。\n\n"
            "白金卡、钻石卡须经信用卡中心完整审批，不适用快速办卡。"
            "不得代客户填写申请信息，不得夸大额度或权益。"
        ),
        body_en=(
            "The nightly analysis gives eligible existing customers a 'fast credit-card issue "
            "at the counter' lead (classic or gold card); if the customer agrees, the card is "
            "issued at the counter there and then.\n\n"
            "How:\n"
            "- the customer comes in person with valid ID, and the teller verifies it online;\n"
            "- 'seen in person, signed in person': the customer signs the application and the "
            "card agreement in front of the teller;\n"
            "- once the system approves, the card is made and handed over at once; help the "
            "customer set a PIN and activate it;\n"
            "- record 'accepted' in one tap on the workbench: the lead converts at once.\n\n"
            "Platinum and diamond cards go through the card centre's full approval and are "
            "not issued this way. Never fill in an application for the customer or overstate "
            "the limit or benefits."
        ),
        tags=("信用卡", "快速办卡", "亲访亲签", "credit card"),
    ),
    ArticleContent(
        slug="lost-card-reporting",
        kind="faq",
        topic="card",
        title_zh="客户银行卡丢失了，怎么挂失和补卡？",
        title_en="A customer has lost a bank card: how to report it and replace it?",
        body_zh=(
            "借记卡：\n"
            "- 临时挂失：客户可通过手机银行、客服电话随时办理，临时挂失有效期5天；\n"
            "- 正式挂失：客户本人持有效身份证件到任一网点办理书面挂失，可同时申请补卡，原卡号作废"
            "；\n"
            "- 补卡后提醒客户更新代扣、代发、第三方支付绑定的卡信息。\n\n"
            "信用卡：请客户立即致电信用卡客服挂失，挂失后补发新卡邮寄至账单地址。\n\n"
            "注意：挂失前已发生的交易按合同处理；工作台和日志中只显示卡号后四位，"
            "不得记录或拍摄完整卡号。"
        ),
        body_en=(
            "Debit card:\n"
            "- temporary stop: in mobile banking or by phone at any time, valid for 5 days;\n"
            "- formal report: the customer brings valid ID to any outlet to report the loss in "
            "writing and can ask for a replacement at once; the old card number is cancelled;\n"
            "- after the replacement, remind the customer to update direct debits, payroll and "
            "payment apps linked to the card.\n\n"
            "Credit card: the customer calls the card service line at once; the replacement "
            "is posted to the statement address.\n\n"
            "Transactions before the report follow the card agreement. The workbench and the "
            "logs show only the last four digits; never write down or photograph a full card "
            "number."
        ),
        tags=("挂失", "补卡", "lost card"),
    ),
    ArticleContent(
        slug="out-of-town-customers",
        kind="article",
        topic="service",
        title_zh="外地客户的身份核验与服务",
        title_en="Verifying and serving out-of-town customers",
        body_zh=(
            "客户资料中的归属城市与本网点所在城市不同的，工作台会提示“外地客户”。\n\n"
            "身份核验：\n"
            "- 居民身份证全国通用，外地户籍客户与本地客户核验方式相同：读取身份证芯片，并通过公民"
            "身份信息联网核查系统核验；\n"
            "- 身份证过期或遗失的，可使用公安机关出具的临时居民身份证；\n"
            "- 新开借记卡时，如客户在本地无工作、居住等合理理由，应按规定了解开户原因，必要时可拒"
            "绝开户；"
            "同一客户在本行只能开立一个I类户。\n\n"
            "关怀服务：主动询问是否出差、探亲或新到本地工作；介绍本行异地存取款、跨行转账手续费优"
            "惠；"
            "新到本地工作的客户可推荐代发工资和手机银行。"
        ),
        body_en=(
            "When the city on a customer's record differs from the outlet's, the workbench "
            "marks them as an out-of-town customer.\n\n"
            "Verifying identity:\n"
            "- the resident ID card is valid nationwide; verify it exactly as for local "
            "customers: read the chip and check it against the national citizen identity "
            "verification system;\n"
            "- an expired or lost ID card may be replaced by a temporary ID card from the police;\n"
            "- when opening a debit card for a customer with no local work or home, ask why they "
            "open it here as the rules require, and refuse when warranted; a customer may hold "
            "only one Type I account at our bank.\n\n"
            "Care: ask whether they are travelling, visiting family or newly working here; "
            "mention our fee waivers for deposits, withdrawals and transfers across cities; "
            "for those newly working here, suggest payroll with us and mobile banking."
        ),
        tags=("外地客户", "身份核验", "联网核查", "out of town"),
    ),
    ArticleContent(
        slug="account-types",
        kind="faq",
        topic="service",
        title_zh="I类、II类、III类账户有什么区别？",
        title_en="What are Type I, II and III accounts?",
        body_zh=(
            "- I类户：全功能账户，可存取现金、转账、购买投资理财产品、消费缴费，无额度限制。同一"
            "客户在同一家银行只能开立一个I类户。\n"
            "- II类户：可购买投资理财产品、限额消费缴费；向非绑定账户转出、取现等日累计限额合计1"
            "万元，年累计20万元。\n"
            "- III类户：主要用于小额免密支付，账户余额不得超过2000元。\n\n"
            "II类、III类户可通过手机银行线上开立，需绑定本人I类户或信用卡。"
        ),
        body_en=(
            "- Type I: a full account for cash, transfers, investments and payments without "
            "limits. A customer may hold only one Type I account at a bank.\n"
            "- Type II: may buy investment products and pay within limits; transfers to unlinked "
            "accounts, cash withdrawals and the like total at most 10,000 CNY a day and 200,000 "
            "CNY a year.\n"
            "- Type III: for small password-free payments; the balance may not exceed 2,000 "
            "CNY.\n\n"
            "Type II and III accounts can be opened in mobile banking, linked to the "
            "customer's own Type I account or credit card."
        ),
        tags=("账户分类", "I类户", "II类户", "account types"),
    ),
    ArticleContent(
        slug="mobile-banking-sign-up",
        kind="faq",
        topic="service",
        title_zh="如何帮客户开通手机银行？",
        title_en="How do I sign a customer up for mobile banking?",
        body_zh=(
            "客户须持本人借记卡和有效身份证件，且手机号码已实名登记在客户本人名下。\n\n"
            "- 在移动大堂易或柜台为客户签约手机银行，核验身份后绑定手机号码；\n"
            "- 指导客户下载本行官方App（仅从官方应用商店下载），设置登录密码和交易密码；\n"
            "- 根据客户需要设置转账限额和安全认证方式；\n"
            "- 现场演示查询余额、转账、购买理财和预约取号。\n\n"
            "开通即完成：在工作台记录“已接受”后线索立即计为成交。"
            "提醒客户：银行工作人员不会索要短信验证码和密码，任何人索要均为诈骗。"
        ),
        body_en=(
            "The customer needs their own debit card and valid ID, and a mobile number "
            "registered in their own name.\n\n"
            "- Sign the customer up on the tablet or at the counter and, after verifying their "
            "identity, link the mobile number;\n"
            "- help them install the bank's official app (from official app stores only) and set "
            "login and transaction passwords;\n"
            "- set transfer limits and the security method they prefer;\n"
            "- show them balances, transfers, buying wealth products and booking a ticket.\n\n"
            "The sign-up completes the sale: record 'accepted' on the workbench and the lead "
            "converts at once. Remind the customer that bank staff never ask for SMS codes "
            "or passwords; anyone who does is a fraudster."
        ),
        tags=("手机银行", "开通", "mobile banking"),
    ),
    ArticleContent(
        slug="payroll-customers",
        kind="article",
        topic="service",
        title_zh="代发工资客户的服务与营销",
        title_en="Serving payroll customers",
        body_zh=(
            "代发工资客户是指由所在单位通过本行按月发放工资的客户，资金来源稳定、交易活跃，是本行"
            "的基础客群。\n\n"
            "专属权益：免收借记卡年费和小额账户管理费；本行跨行转账手续费减免；个人消费贷款利率优"
            "惠。\n\n"
            "营销建议：\n"
            "- 发薪日前后提示客户将部分工资转入现金管理类理财或定期存款；\n"
            "- 推荐基金定投，培养长期投资习惯（须符合适当性要求）；\n"
            "- 未持有本行信用卡的，可介绍信用卡并绑定自动还款；\n"
            "- 关注代发中断的客户（可能已离职或更换工资卡），及时关怀。"
        ),
        body_en=(
            "Payroll customers are paid their salary by their employer through our bank each "
            "month: steady money and active accounts, the bank's core customers.\n\n"
            "Their benefits: no debit-card annual fee or small-balance fee; fee waivers on "
            "transfers to other banks; better rates on personal consumer loans.\n\n"
            "Suggestions:\n"
            "- around payday, suggest moving part of the salary into cash management or a time "
            "deposit;\n"
            "- suggest a monthly fund investment plan for a long-term habit (suitability "
            "applies);\n"
            "- if they have no credit card with us, introduce one with automatic repayment;\n"
            "- watch for payroll that stops (a new job or a new salary card) and get in touch."
        ),
        tags=("代发工资", "代发客户", "payroll"),
    ),
    ArticleContent(
        slug="customer-tiers",
        kind="article",
        topic="service",
        title_zh="客户等级如何确定",
        title_en="How customer tiers are set",
        body_zh=(
            "客户等级由近三个月日均资产（AUM，按月末余额平均）确定，夜间分析每日更新：\n\n"
            "- 普通客户：5万元以下；\n"
            "- 金卡客户：5万元（含）至50万元；\n"
            "- 白金卡客户：50万元（含）至200万元；\n"
            "- 钻石卡客户：200万元（含）至600万元；\n"
            "- 私人银行客户：600万元（含）以上。\n\n"
            "计入资产的产品：活期和定期存款、大额存单、理财、基金、代理保险；贷款和信用卡不计入。"
            "\n\n"
            "资产接近上一等级门槛的客户，工作台会提示“资产临界值客户”，可介绍升级后的权益。"
            "等级权益包括优先叫号、贵宾室、专属理财经理等，以本行公布为准。"
        ),
        body_en=(
            "A customer's tier follows their average assets under management over the last "
            "three months (the average of month-end balances), updated by the nightly "
            "analysis:\n\n"
            "- standard: under 50,000 CNY;\n"
            "- gold: 50,000 CNY up to 500,000 CNY;\n"
            "- platinum: 500,000 CNY up to 2,000,000 CNY;\n"
            "- diamond: 2,000,000 CNY up to 6,000,000 CNY;\n"
            "- private banking: 6,000,000 CNY and above.\n\n"
            "Assets counted: current and time deposits, large certificates of deposit, wealth "
            "products, funds and insurance; loans and credit cards are not.\n\n"
            "The workbench flags customers just under the next threshold, a moment to explain "
            "what the next tier brings: priority in the queue, the VIP lounge, a dedicated "
            "wealth manager and more, as the bank announces."
        ),
        tags=("客户等级", "贵宾", "日均资产", "VIP", "tier"),
    ),
    ArticleContent(
        slug="elderly-anti-fraud",
        kind="article",
        topic="compliance",
        title_zh="老年客户防诈骗提醒",
        title_en="Fraud warnings for older customers",
        body_zh=(
            "老年客户是电信网络诈骗和非法集资的主要目标。遇到以下情形，请主动询问、耐心劝阻：\n\n"
            "- 大额取现或向陌生账户转账，说不清用途，或称“公检法要求转入安全账户”；\n"
            "- 边打电话边办理业务，电话中有人指导操作；\n"
            "- 为“养老项目”“保健品”“高息理财”筹钱，对方承诺高收益、保本；\n"
            "- 要求开通大额转账限额、手机银行后交给他人操作。\n\n"
            "处理方式：暂缓办理，向客户讲解常见诈骗手法；征得客户同意后联系其家属；"
            "必要时报告网点负责人并拨打110报警。国家反诈中心预警劝阻专线为96110，提醒客户接听。\n\n"
            "向65岁以上客户销售理财产品，应充分评估其风险承受能力和理解能力，建议家属陪同，不得销"
            "售与其风险承受能力不匹配的产品。"
        ),
        body_en=(
            "Older customers are the main targets of phone and online fraud and illegal "
            "fund-raising. In these cases, ask questions and patiently try to stop the "
            "transaction:\n\n"
            "- a large cash withdrawal or a transfer to a stranger's account, with no clear "
            "purpose, or 'the police told me to move my money to a safe account';\n"
            "- doing business while on the phone, with someone on the line giving instructions;\n"
            "- raising money for a 'retirement project', health products or 'high-interest "
            "investments' promised to be safe and lucrative;\n"
            "- asking for higher transfer limits or mobile banking to hand over to someone "
            "else.\n\n"
            "What to do: hold the transaction and explain how such frauds work; with the "
            "customer's consent, call their family; if needed, tell the outlet manager and "
            "call 110. The national anti-fraud centre warns by calling from 96110: tell "
            "customers to answer it.\n\n"
            "Before selling a wealth product to a customer over 65, assess their risk "
            "tolerance and understanding with care, suggest a family member comes along, and "
            "never sell what does not match their tolerance."
        ),
        tags=("反诈", "老年客户", "96110", "fraud"),
    ),
    ArticleContent(
        slug="complaint-handling",
        kind="article",
        topic="service",
        title_zh="客户投诉处理流程",
        title_en="Handling customer complaints",
        body_zh=(
            "本行实行“首问负责制”：第一位接待客户投诉的员工负责受理、记录和跟进，不得推诿。\n\n"
            "- 耐心倾听，确认客户诉求，当场能解决的当场解决；\n"
            "- 不能当场解决的，在投诉系统登记，告知客户处理时限和联系方式；\n"
            "- 按《银行业保险业消费投诉处理管理办法》，自受理之日起15日内作出处理决定并告知客户，"
            "情况复杂的可延长至30日，并告知客户延长理由；\n"
            "- 客户对处理结果不满意的，告知其可申请核查或向国家金融监督管理总局12378热线反映。\n\n"
            "投诉涉及的客户信息须按规定保密，查阅客户资料时请选择“投诉处理”用途，系统将留存审计记"
            "录。"
        ),
        body_en=(
            "The first member of staff a customer complains to owns the complaint: they "
            "accept, record and follow it up, and never pass the customer on.\n\n"
            "- Listen patiently, confirm what the customer wants, and solve it on the spot when "
            "you can;\n"
            "- otherwise, register it in the complaints system and tell the customer when and "
            "how they will hear back;\n"
            "- under the regulations on consumer complaints, decide within 15 days of accepting "
            "it and tell the customer; a complex case may take up to 30 days, with the reason "
            "given;\n"
            "- a customer unhappy with the outcome may ask for a review or call the financial "
            "regulator's 12378 hotline.\n\n"
            "Keep the customer's information confidential. When opening their record, choose "
            "the 'complaint' purpose; the read is audited."
        ),
        tags=("投诉", "首问负责制", "12378", "complaint"),
    ),
    ArticleContent(
        slug="agent-transactions",
        kind="faq",
        topic="service",
        title_zh="哪些业务可以由他人代办？",
        title_en="Which services can someone else do for the customer?",
        body_zh=(
            "代理人须出示本人和被代理人的有效身份证件，部分业务还需授权委托书。\n\n"
            "- 可以代办：存款、定期存款提前支取、借记卡挂失补卡（按本行规定）、查询打印流水；\n"
            "- 须本人办理：开立I类账户、开通手机银行、风险承受能力评估、购买理财和代理保险、申请"
            "信用卡和贷款；\n"
            "- 客户因重病、失能等无法到店的，可申请上门服务或按特殊业务流程办理，须报网点负责人审"
            "批。\n\n"
            "代办业务须核实代理关系，遇大额资金转出保持警惕。"
        ),
        body_en=(
            "The agent shows their own and the customer's valid ID; some services also need "
            "a power of attorney.\n\n"
            "- An agent may: pay in, withdraw a time deposit early, report a lost debit card and "
            "get a replacement (as our rules allow), print statements;\n"
            "- the customer in person must: open a Type I account, sign up for mobile banking, "
            "take the risk-tolerance assessment, buy wealth products or insurance, apply for a "
            "credit card or a loan;\n"
            "- a customer too ill or disabled to come in may ask for a home visit or the "
            "special-case procedure, approved by the outlet manager.\n\n"
            "Check the relationship, and be alert when large sums leave the account."
        ),
        tags=("代办", "代理人", "agent"),
    ),
    ArticleContent(
        slug="fund-regular-investment",
        kind="faq",
        topic="wealth",
        title_zh="基金定投怎么向客户介绍？",
        title_en="How do I explain a regular fund investment plan?",
        body_zh=(
            "基金定投是每月（或每周）在固定日期以固定金额自动申购同一只基金，10元起。\n\n"
            "- 分批买入，平摊成本，减少择时压力；\n"
            "- 适合代发工资客户、年轻客户培养长期投资习惯；\n"
            "- 可随时暂停、修改或终止，连续三期扣款失败将自动终止。\n\n"
            "须说明：定投不能保证盈利，也不能规避基金投资固有风险；"
            "所选基金的风险等级不得高于客户的风险承受能力。"
        ),
        body_en=(
            "A regular investment plan buys the same fund with a fixed amount on a fixed day "
            "each month (or week), from 10 CNY.\n\n"
            "- Buying in instalments averages the price and removes the pressure of timing;\n"
            "- it suits payroll and younger customers building a long-term habit;\n"
            "- it can be paused, changed or stopped at any time; three failed payments in a row "
            "end it.\n\n"
            "Say clearly: a plan guarantees no profit and does not remove the risk of funds; "
            "the fund's risk level must not exceed the customer's risk tolerance."
        ),
        tags=("基金定投", "定投", "fund"),
    ),
    ArticleContent(
        slug="loan-early-repayment",
        kind="faq",
        topic="loan",
        title_zh="个人贷款可以提前还款吗？",
        title_en="Can a personal loan be repaid early?",
        body_zh=(
            "可以。个人住房贷款、消费贷款和经营贷款均可申请部分或全部提前还款：\n\n"
            "- 通过手机银行或网点提交申请，按合同约定提前预约；\n"
            "- 提前还款后可选择缩短期限或减少月供；\n"
            "- 是否收取违约金以贷款合同约定为准。\n\n"
            "营销提示：客户提前结清贷款后，原月供资金可转为定期存款、稳健型理财或基金定投（须符合"
            "适当性要求）。"
            "工作台中的“个贷提前结清”线索即为此类客户。"
        ),
        body_en=(
            "Yes. Mortgages, consumer loans and business loans may be repaid early, in part "
            "or in full:\n\n"
            "- apply in mobile banking or at an outlet, booking ahead as the contract requires;\n"
            "- after a partial repayment, the customer chooses a shorter term or a lower monthly "
            "payment;\n"
            "- whether a fee applies depends on the loan contract.\n\n"
            "Tip: once a loan is paid off, the freed monthly payment could go into a time "
            "deposit, a steady wealth product or a fund plan (suitability applies). The "
            "workbench's 'personal loan paid off early' leads are these customers."
        ),
        tags=("提前还款", "个贷提前结清", "loan"),
    ),
    ArticleContent(
        slug="mortgage-rates",
        kind="faq",
        topic="loan",
        title_zh="房贷利率是怎么定的？",
        title_en="How is a mortgage rate set?",
        body_zh=(
            "个人住房贷款利率以全国银行间同业拆借中心每月公布的贷款市场报价利率（LPR）为定价基准，"
            "加减点数在合同中约定，在合同期内固定不变。\n\n"
            "- 每年的重定价日按当时最新的LPR调整执行利率；\n"
            "- 首付比例和利率下限按当地政策执行；\n"
            "- 贷款期限最长30年，且贷款期限加借款人年龄一般不超过70岁。"
        ),
        body_en=(
            "A mortgage rate is the loan prime rate (LPR) published monthly by the national "
            "interbank funding centre plus or minus a spread fixed in the contract for its "
            "whole life.\n\n"
            "- On each year's repricing date the rate moves with the latest LPR;\n"
            "- the down payment and the rate floor follow local policy;\n"
            "- the term is at most 30 years, and the borrower's age plus the term usually may "
            "not exceed 70."
        ),
        tags=("房贷", "LPR", "mortgage"),
    ),
    ArticleContent(
        slug="customer-information-protection",
        kind="article",
        topic="compliance",
        title_zh="客户信息保护要求",
        title_en="Protecting customer information",
        body_zh=(
            "客户信息只用于为客户办理业务和提供服务，严禁泄露、买卖或用于其他用途。\n\n"
            "- 工作台只显示脱敏后的证件号和卡号（如证件号只显示前6位和后4位，卡号只显示后4位）；\n"
            "- 不得拍照、抄录、截屏客户的完整证件号、卡号和账户信息；\n"
            "- 每次查阅客户资料都会记录审计日志（查阅人、岗位、设备、时间、用途）；\n"
            "- 离开平板或柜台时请退出登录，页面不会在浏览器中保存客户信息；\n"
            "- 发现信息泄露或可疑查询，立即报告网点负责人。"
        ),
        body_en=(
            "Customer information is used only to serve the customer; never disclose, sell "
            "or reuse it.\n\n"
            "- The workbench shows ID and card numbers masked (the first 6 and last 4 digits of "
            "an ID number, the last 4 of a card);\n"
            "- never photograph, copy down or screenshot a full ID number, card number or "
            "account details;\n"
            "- every read of a customer's record is audited (who, role, device, time, purpose);\n"
            "- sign out when you leave the tablet or the counter; the pages keep no customer "
            "information in the browser;\n"
            "- report a leak or a suspicious lookup to the outlet manager at once."
        ),
        tags=("信息保护", "脱敏", "审计", "privacy"),
    ),
)
"""The knowledge base, Chinese first."""


# ---- installation ---------------------------------------------------------------------

_PRODUCT_FIELDS = (
    "summary_zh",
    "summary_en",
    "selling_points_zh",
    "selling_points_en",
    "sold_on_the_spot",
)
"""The product centre's columns: the only ones :func:`install_content` writes."""

_ARTICLE_FIELDS = ("kind", "topic", "title_zh", "title_en", "body_zh", "body_en", "tags")


def _product_values(content: ProductContent) -> dict[str, object]:
    return {
        "summary_zh": content.summary_zh,
        "summary_en": content.summary_en,
        "selling_points_zh": list(content.selling_points_zh),
        "selling_points_en": list(content.selling_points_en),
        "sold_on_the_spot": content.sold_on_the_spot,
    }


def _article_values(content: ArticleContent) -> dict[str, object]:
    return {
        "kind": content.kind,
        "topic": content.topic,
        "title_zh": content.title_zh,
        "title_en": content.title_en,
        "body_zh": content.body_zh,
        "body_en": content.body_en,
        "tags": list(content.tags),
    }


async def install_content(
    session: AsyncSession,
    products: tuple[ProductContent, ...] = PRODUCT_CONTENT,
    articles: tuple[ArticleContent, ...] = ARTICLES,
) -> tuple[int, int]:
    """Write the product-centre content onto the loaded products and upsert the knowledge
    base by slug; returns how many products and articles changed (0, 0 when run again).

    Only the content columns are written: a product's code, names, category, risk level and
    term belong to the warehouse load, and a product not loaded yet is skipped (run again
    after ``smartbranch load``). If any content states another risk level than its loaded
    product, :class:`ContentRiskMismatchError` is raised before anything is written.
    """
    by_code = {c.code: c for c in products}
    loaded = (await session.scalars(select(Product).where(Product.code.in_(by_code)))).all()
    for product in loaded:
        stated = by_code[product.code].risk_level
        if stated is not None and stated != product.risk_level:
            raise ContentRiskMismatchError(
                code=product.code, stated=stated, actual=product.risk_level
            )
    products_changed = 0
    for product in loaded:
        values = _product_values(by_code[product.code])
        if any(getattr(product, name) != values[name] for name in _PRODUCT_FIELDS):
            for name in _PRODUCT_FIELDS:
                setattr(product, name, values[name])
            products_changed += 1

    by_slug = {a.slug: a for a in articles}
    existing = {
        a.slug: a
        for a in (
            await session.scalars(
                select(KnowledgeArticle).where(KnowledgeArticle.slug.in_(by_slug))
            )
        ).all()
    }
    articles_changed = 0
    now = utcnow()
    for slug, content in by_slug.items():
        values = _article_values(content)
        article = existing.get(slug)
        if article is None:
            session.add(KnowledgeArticle(slug=slug, updated_at=now, **values))
            articles_changed += 1
        elif any(getattr(article, name) != values[name] for name in _ARTICLE_FIELDS):
            for name in _ARTICLE_FIELDS:
                setattr(article, name, values[name])
            # Staff see when an article last changed; an unchanged one keeps its date.
            article.updated_at = now
            articles_changed += 1
    await session.flush()
    return products_changed, articles_changed
