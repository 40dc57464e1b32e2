# ruff: noqa: E501 - the library is a table of rules: one rule's header on one line, scripts whole
"""The default rule library: the seed's eleven lead types as ready-made lead rules.

The seed lists eleven lead types; here they are as 23 rules (a lead type may need several
rules, one per product):

1. card upgrade (``card_upgrade``): classic → gold, gold → platinum;
2. repeat marketing of maturing products (``repeat_maturing``): a time deposit for
   conservative customers, a low-risk wealth product for the others;
3. quick marketing to six feature groups (``quick_feature``): birthday this week, young
   digital customers, high card spenders, new customers, seniors with cash on deposit, and
   idle cash on a current account;
4. product mix by segment (``segment_mix``): one rule per segment of the catalog;
5. – 10. six kinds of value uplift: assets just under a tier threshold (``near_threshold``),
   payroll customers (``payroll``), personal loan paid off early (``loan_prepaid``),
   high-value platinum credit-card holders (``platinum_card_value``), and our two:
   customers holding a single asset category with room to diversify (``wealth``), and
   customers of working age with assets but no insurance (``insurance``);
11. fast credit-card issue at the counter (``counter_card_fast``).

Suitability: a rule for a product of risk level R2 and above requires
``risk_tolerance >= <level>``, and a product sold only from a tier up requires
``tier_rank >= <tier>``; so no wealth lead reaches a customer it does not suit.
Channels and roles follow the bank's practice: tellers see card and deposit leads only;
wealth, fund and insurance leads go to wealth and account managers.

``docs/rules.md`` is generated from :data:`DEFAULT_RULES` by :func:`library_markdown`
(a test keeps it current)::

    .venv/bin/python -m smartbranch.marketing.library > docs/rules.md
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartbranch.catalog.models import Product
from smartbranch.marketing.models import Campaign, LeadRule
from smartbranch.marketing.rules import RuleSpec, validate_rule
from smartbranch.orgs.service import get_org_by_code

DEFAULT_CAMPAIGN_CODE = "DEFAULT"
DEFAULT_CAMPAIGN_NAME = ("默认营销活动", "Default campaign")

_CARDS = ("tablet", "counter", "crm", "card_approval")
_CARD_ROLES = ("lobby_manager", "teller", "account_manager")
_DEPOSITS = ("tablet", "counter", "crm")
_DEPOSIT_ROLES = ("lobby_manager", "teller", "wealth_manager", "account_manager")
_WEALTH = ("tablet", "crm")
_WEALTH_ROLES = ("wealth_manager", "account_manager")
_LOANS = ("tablet", "crm")
_LOAN_ROLES = ("lobby_manager", "account_manager")


def _rule(
    code: str,
    family: str,
    names: tuple[str, str],
    condition: str,
    product_code: str,
    value: str,
    channels: tuple[str, ...],
    roles: tuple[str, ...],
    scripts: tuple[str, str],
    **policy: float,
) -> RuleSpec:
    return RuleSpec(
        code=code,
        name=names[0],
        name_en=names[1],
        family=family,
        condition=condition,
        product_code=product_code,
        value=Decimal(value),
        channels=channels,
        roles=roles,
        script_zh=scripts[0],
        script_en=scripts[1],
        **policy,  # type: ignore[arg-type]
    )


# fmt: off
DEFAULT_RULES: tuple[RuleSpec, ...] = (
    # 1. card upgrade
    _rule(
        "CARD_UPGRADE_GOLD", "card_upgrade", ("信用卡升级金卡", "Credit card upgrade to gold"),
        "credit_card_level = 1 AND (tier_rank >= 1 OR card_spend_3m >= 15000)",
        "CC-GOLD", "400", _CARDS, _CARD_ROLES,
        ("{{ greeting }}您好！感谢您一直使用我行信用卡，近三个月刷卡消费 {{ card_spend_3m|cny }}。"
         "您的普卡可以免费升级为{{ product_name }}，额度更高、积分礼遇更多，今天就可以为您申请。",
         "Hello {{ greeting }}, thank you for using our credit card: you spent "
         "{{ card_spend_3m|cny }} over the last three months. Your classic card can be upgraded "
         "to our {{ product_name }} free of charge, with a higher limit and more reward points. "
         "I can apply for it for you today."),
        prior_propensity=0.06,
    ),
    _rule(
        "CARD_UPGRADE_PLATINUM", "card_upgrade", ("信用卡升级白金卡", "Credit card upgrade to platinum"),
        "credit_card_level = 2 AND (tier_rank >= 2 OR card_spend_3m >= 20000)",
        "CC-PLATINUM", "800", _CARDS, _CARD_ROLES,
        ("{{ greeting }}您好！感谢您一直使用我行信用卡金卡，近三个月刷卡消费 {{ card_spend_3m|cny }}。"
         "您已符合升级{{ product_name }}的条件，可享受机场贵宾厅、高额保险和专属客服，是否现在为您办理？",
         "Hello {{ greeting }}, thank you for using our gold credit card ({{ card_spend_3m|cny }} "
         "in the last three months). You qualify for our {{ product_name }}: airport lounges, "
         "travel insurance and a dedicated service line. Shall I arrange the upgrade now?"),
        prior_propensity=0.07,
    ),
    # 2. repeat marketing of maturing products
    _rule(
        "REPEAT_MATURING_DEPOSIT", "repeat_maturing", ("到期续存定期", "Maturing funds into a time deposit"),
        "(maturing_30d_amount >= 10000 OR matured_60d_amount >= 10000) AND risk_tolerance <= 1",
        "TD-1Y", "300", _DEPOSITS, _DEPOSIT_ROLES,
        ("{{ greeting }}您好！{% if maturing_30d_amount %}您有 {{ maturing_30d_amount|cny }} 的存款或理财将在 30 天内到期"
         "{% else %}您近期有 {{ matured_60d_amount|cny }} 的存款或理财已经到期{% endif %}，"
         "建议续存为{{ product_name }}，本金安全、利息稳定。",
         "Hello {{ greeting }}. {% if maturing_30d_amount %}You have {{ maturing_30d_amount|cny }} "
         "in deposits or wealth products maturing within 30 days{% else %}{{ matured_60d_amount|cny }} "
         "of your deposits or wealth products matured recently{% endif %}. We suggest renewing it as "
         "a {{ product_name }}: your capital is safe and the interest is fixed."),
        prior_propensity=0.12, valid_days=14, cooldown_days=14,
    ),
    _rule(
        "REPEAT_MATURING_WEALTH", "repeat_maturing", ("到期转稳健理财", "Maturing funds into steady wealth"),
        "(maturing_30d_amount >= 10000 OR matured_60d_amount >= 10000) AND risk_tolerance >= 2",
        "WM-R2-182", "900", _WEALTH, _WEALTH_ROLES,
        ("{{ greeting }}您好！{% if maturing_30d_amount %}您有 {{ maturing_30d_amount|cny }} 的存款或理财将在 30 天内到期"
         "{% else %}您近期有 {{ matured_60d_amount|cny }} 的存款或理财已经到期{% endif %}。"
         "我们的{{ product_name }}（R2 稳健型）期限半年，适合您的风险偏好，可以帮您衔接到期资金。",
         "Hello {{ greeting }}. {% if maturing_30d_amount %}You have {{ maturing_30d_amount|cny }} "
         "maturing within 30 days{% else %}{{ matured_60d_amount|cny }} of your savings matured "
         "recently{% endif %}. Our {{ product_name }} (R2, steady) runs six months and suits your "
         "risk profile: a good home for the funds as they come free."),
        prior_propensity=0.12, valid_days=14, cooldown_days=14,
    ),
    # 3. quick marketing to six feature groups
    _rule(
        "QF_BIRTHDAY", "quick_feature", ("生日关怀专享存款", "Birthday care: a birthday deposit"),
        "birthday_this_week AND tier_rank >= 1",
        "TD-1Y", "200", _DEPOSITS, _DEPOSIT_ROLES,
        ("{{ greeting }}，祝您生日快乐！感谢您对我行的信任。生日当月办理{{ product_name }}可享专属礼遇，"
         "需要为您介绍一下吗？",
         "Happy birthday, {{ greeting }}, and thank you for banking with us. This month a "
         "{{ product_name }} comes with a birthday gift from us. May I tell you more?"),
        prior_propensity=0.05, cooldown_days=330, max_presentations=1,
    ),
    _rule(
        "QF_YOUNG_DIGITAL", "quick_feature", ("年轻数字客户基金定投", "Young digital customers: fund plan"),
        "age BETWEEN 22 AND 35 AND digital_txn_3m >= 12 AND balance_fund = 0 AND risk_tolerance >= 3",
        "FD-MIX", "600", (*_WEALTH, "online"), _WEALTH_ROLES,
        ("{{ greeting }}您好！您经常使用手机银行，近三个月有 {{ digital_txn_3m }} 笔交易。"
         "{{ product_name }}支持在手机银行每月定投，门槛低、可随时调整，适合积累第一笔投资。",
         "Hello {{ greeting }}. You use mobile banking a lot ({{ digital_txn_3m }} transactions "
         "in three months). Our {{ product_name }} can be bought as a monthly plan in the app: a "
         "low entry point, adjustable any time, a good way to start investing."),
        prior_propensity=0.05,
    ),
    _rule(
        "QF_HIGH_SPEND", "quick_feature", ("高消费客户消费贷", "High card spenders: consumer loan"),
        "card_spend_3m >= 10000 AND loan_balance = 0 AND age BETWEEN 25 AND 55",
        "LN-CONSUMER", "1500", _LOANS, _LOAN_ROLES,
        ("{{ greeting }}您好！您近三个月信用卡消费 {{ card_spend_3m|cny }}。如有装修、旅游、教育等大额开支，"
         "{{ product_name }}利率优惠、线上审批，额度最高可达 30 万元。",
         "Hello {{ greeting }}. You spent {{ card_spend_3m|cny }} on your card over three months. "
         "For larger plans such as a renovation, travel or education, our {{ product_name }} offers "
         "a preferential rate and online approval, up to CNY 300,000."),
        prior_propensity=0.04,
    ),
    _rule(
        "QF_NEW_CUSTOMER", "quick_feature", ("新客户专享定期", "New customers: welcome deposit"),
        "tenure_years = 0 AND product_count <= 2 AND aum >= 10000",
        "TD-3M", "150", _DEPOSITS, _DEPOSIT_ROLES,
        ("{{ greeting }}您好，欢迎成为我行客户！新客户可办理{{ product_name }}，享受新客专享利率，"
         "期限短、到期灵活。",
         "Hello {{ greeting }}, and welcome to the bank. As a new customer you can open a "
         "{{ product_name }} at our welcome rate: a short term, flexible at maturity."),
        prior_propensity=0.07, max_presentations=2,
    ),
    _rule(
        "QF_SENIOR_DEPOSIT", "quick_feature", ("银发客户安心存", "Seniors: a safe long deposit"),
        "age >= 60 AND balance_deposit >= 50000",
        "TD-3Y", "500", _DEPOSITS, _DEPOSIT_ROLES,
        ("{{ greeting }}您好！您的活期账户里有 {{ balance_deposit|cny }}，放在活期利息较低。"
         "{{ product_name }}本金安全、利率锁定三年，很多和您一样的老客户都在办理。",
         "Hello {{ greeting }}. You keep {{ balance_deposit|cny }} on your current account, where "
         "it earns little. A {{ product_name }} keeps your capital safe and locks the rate for "
         "three years; many of our long-standing customers choose it."),
        prior_propensity=0.08,
    ),
    _rule(
        "QF_IDLE_CASH", "quick_feature", ("闲置资金理财", "Idle cash into wealth"),
        "balance_deposit >= 200000 AND balance_deposit >= 0.5 * aum AND risk_tolerance >= 2",
        "WM-R2-91", "1200", _WEALTH, _WEALTH_ROLES,
        ("{{ greeting }}您好！您的活期存款有 {{ balance_deposit|cny }}，占您在我行资产的一半以上。"
         "{{ product_name }}（R2 稳健型）期限三个月，收益高于活期，到期资金可灵活安排。",
         "Hello {{ greeting }}. Your current account holds {{ balance_deposit|cny }}, more than "
         "half of your assets with us. Our {{ product_name }} (R2, steady) runs three months and "
         "earns more than a current account, with the funds free again at maturity."),
        prior_propensity=0.06,
    ),
    # 4. product mix by segment
    _rule(
        "SEG_YOUNG_STARTER", "segment_mix", ("年轻起步客群配置债基", "Young starters: bond fund"),
        "segment = 'young_starter' AND balance_fund = 0 AND risk_tolerance >= 2",
        "FD-BOND", "400", (*_WEALTH, "online"), _WEALTH_ROLES,
        ("{{ greeting }}您好！刚开始理财，建议从波动较小的{{ product_name }}起步，"
         "每月少量定投，逐步积累。",
         "Hello {{ greeting }}. To start investing, a {{ product_name }} is a calm first step: "
         "small monthly amounts that add up over time."),
    ),
    _rule(
        "SEG_FAMILY_BUILDER", "segment_mix", ("家庭成长客群重疾保障", "Family builders: critical illness cover"),
        "segment = 'family_builder' AND balance_insurance = 0",
        "INS-CI", "2500", _WEALTH, _WEALTH_ROLES,
        ("{{ greeting }}您好！家庭责任重的阶段，保障最重要。{{ product_name }}覆盖常见重大疾病，"
         "确诊即赔付，为家人多一份安心。",
         "Hello {{ greeting }}. With a family to care for, protection comes first. Our "
         "{{ product_name }} covers the common critical illnesses and pays on diagnosis."),
        cooldown_days=60,
    ),
    _rule(
        "SEG_WEALTH_ACCUMULATOR", "segment_mix", ("财富积累客群增利理财", "Wealth accumulators: growth wealth product"),
        "segment = 'wealth_accumulator' AND balance_wealth < 0.3 * aum AND risk_tolerance >= 3",
        "WM-R3-365", "2000", _WEALTH, _WEALTH_ROLES,
        ("{{ greeting }}您好！您在我行的资产有 {{ aum|cny }}，理财占比还不高。"
         "{{ product_name }}（R3 平衡型）期限一年，适合您的风险偏好，可以提升整体收益。",
         "Hello {{ greeting }}. Of your {{ aum|cny }} with us, little is in wealth products. Our "
         "{{ product_name }} (R3, balanced) runs one year, suits your risk profile and can lift "
         "your overall return."),
    ),
    _rule(
        "SEG_CONSERVATIVE_SAVER", "segment_mix", ("稳健储蓄客群稳盈理财", "Conservative savers: steady wealth product"),
        "segment = 'conservative_saver' AND balance_time_deposit >= 20000 AND balance_wealth = 0 "
        "AND risk_tolerance >= 2",
        "WM-R2-365", "1200", _WEALTH, _WEALTH_ROLES,
        ("{{ greeting }}您好！您的定期存款有 {{ balance_time_deposit|cny }}。{{ product_name }}"
         "（R2 稳健型）波动小、收益通常高于同期定期，可以拿出一部分搭配。",
         "Hello {{ greeting }}. You hold {{ balance_time_deposit|cny }} in time deposits. Our "
         "{{ product_name }} (R2, steady) moves little and usually earns more than a deposit of "
         "the same term: worth putting part of your savings there."),
    ),
    _rule(
        "SEG_SENIOR", "segment_mix", ("银发客群年金保险", "Seniors: annuity"),
        "segment = 'senior' AND balance_insurance = 0 AND age <= 70",
        "INS-ANNUITY", "2000", _WEALTH, _WEALTH_ROLES,
        ("{{ greeting }}您好！{{ product_name }}每年按时给付，活多久领多久，"
         "为退休生活增加一份稳定的现金流。",
         "Hello {{ greeting }}. Our {{ product_name }} pays you every year for life: a steady "
         "income alongside your pension."),
        cooldown_days=60,
    ),
    _rule(
        "SEG_AFFLUENT_INVESTOR", "segment_mix", ("高端投资客群优选理财", "Affluent investors: dynamic select"),
        "segment = 'affluent_investor' AND balance_fund < 0.1 * aum AND risk_tolerance >= 4 "
        "AND tier_rank >= 1",
        "WM-R4-365", "3000", _WEALTH, _WEALTH_ROLES,
        ("{{ greeting }}您好！作为我行{{ tier_label }}客户，您的资产 {{ aum|cny }}，权益类配置偏少。"
         "{{ product_name }}（R4 进取型）由资深团队管理，适合您的风险承受能力。",
         "Hello {{ greeting }}. As a {{ tier_label }} customer with {{ aum|cny }} with us, you "
         "hold few equity investments. Our {{ product_name }} (R4, dynamic) is run by a senior "
         "team and matches your risk tolerance."),
    ),
    # 5. – 10. six kinds of value uplift
    _rule(
        "NEAR_THRESHOLD", "near_threshold", ("资产临界值客户升级", "Assets just under a tier threshold"),
        "tier_rank < 4 AND next_tier_gap > 0 AND next_tier_gap <= 0.2 * next_tier_threshold",
        "TD-6M", "800", _DEPOSITS, _DEPOSIT_ROLES,
        ("{{ greeting }}您好！您近三个月日均资产 {{ aum_avg_3m|cny }}，再增加 {{ next_tier_gap|cny }}"
         "就能升级为{{ next_tier_label }}客户，享受优先叫号、专属理财经理等服务。"
         "存入{{ product_name }}即可计入资产，本金安全。",
         "Hello {{ greeting }}. Your average assets over three months are {{ aum_avg_3m|cny }}: "
         "another {{ next_tier_gap|cny }} makes you a {{ next_tier_label }} customer, with priority "
         "queuing and a dedicated wealth manager. A {{ product_name }} counts towards it and "
         "keeps your capital safe."),
        prior_propensity=0.15, weight=1.2,
    ),
    _rule(
        "PAYROLL_CASH", "payroll", ("代发客户工资理财", "Payroll customers: salary cash management"),
        "is_payroll AND payroll_monthly >= 5000 AND balance_wealth = 0",
        "WM-CASH", "500", (*_WEALTH, "online"), ("lobby_manager", *_WEALTH_ROLES),
        ("{{ greeting }}您好！您的工资由我行代发，每月约 {{ payroll_monthly|cny }}。开通{{ product_name }}，"
         "工资到账自动转入，随用随取，收益比活期高。",
         "Hello {{ greeting }}. Your salary of about {{ payroll_monthly|cny }} a month is paid "
         "through us. With {{ product_name }} it moves in automatically on payday, stays available "
         "any time and earns more than a current account."),
        prior_propensity=0.08,
    ),
    _rule(
        "LOAN_PREPAID", "loan_prepaid", ("个贷提前结清客户理财", "Loan paid off early: steady wealth product"),
        "loan_prepaid_90d AND risk_tolerance >= 2",
        "WM-R2-365", "1500", _WEALTH, _WEALTH_ROLES,
        ("{{ greeting }}您好！恭喜您提前还清了 {{ loan_prepaid_amount_90d|cny }} 的贷款。"
         "之后每月的还款资金可以做些打理，{{ product_name }}（R2 稳健型）期限一年、收益稳定，供您参考。",
         "Hello {{ greeting }}, and congratulations on paying off your {{ loan_prepaid_amount_90d|cny }} "
         "loan early. The money that went to repayments can now work for you: our "
         "{{ product_name }} (R2, steady) runs one year with a stable return."),
        prior_propensity=0.2, weight=1.2,
    ),
    _rule(
        "PLATINUM_CARD_VALUE", "platinum_card_value", ("高价值白金卡客户资产提升", "High-value platinum card holders: bring assets"),
        "credit_card_level >= 3 AND card_spend_3m >= 10000 AND tier_rank <= 1 AND risk_tolerance >= 2",
        "WM-R2-182", "1500", _WEALTH, _WEALTH_ROLES,
        ("{{ greeting }}您好！感谢您长期使用我行白金信用卡，近三个月消费 {{ card_spend_3m|cny }}。"
         "把部分资金放到我行{{ product_name }}，不仅收益稳健，资产达标后还可享受更高等级的贵宾服务。",
         "Hello {{ greeting }}, thank you for using our platinum card ({{ card_spend_3m|cny }} in "
         "three months). Placing some of your savings in our {{ product_name }} earns a steady "
         "return, and once your assets qualify you enjoy our higher-tier services too."),
        prior_propensity=0.09,
    ),
    _rule(
        "WEALTH_DIVERSIFY", "wealth", ("单一资产客户多元配置", "Single-asset customers: diversify"),
        "asset_category_count = 1 AND aum_avg_3m >= 100000 AND risk_tolerance >= 3",
        "WM-R3-730", "2500", _WEALTH, _WEALTH_ROLES,
        ("{{ greeting }}您好！您在我行的资产 {{ aum_avg_3m|cny }} 都集中在一类产品上。"
         "适当配置{{ product_name }}（R3 平衡型），可以分散风险、提高长期收益。",
         "Hello {{ greeting }}. All of your {{ aum_avg_3m|cny }} with us sits in one kind of "
         "product. Adding our {{ product_name }} (R3, balanced) spreads the risk and can improve "
         "your long-term return."),
    ),
    _rule(
        "INSURANCE_PROTECTION", "insurance", ("保障缺口客户寿险", "Protection gap: whole life insurance"),
        "age BETWEEN 30 AND 55 AND balance_insurance = 0 AND aum_avg_3m >= 50000 AND risk_tolerance >= 2",
        "INS-LIFE", "3000", _WEALTH, _WEALTH_ROLES,
        ("{{ greeting }}您好！您目前在我行还没有保险保障。{{ product_name }}保障终身，"
         "还能作为财富传承的安排，可以为您做一份保障方案。",
         "Hello {{ greeting }}. You have no insurance cover with us yet. Our {{ product_name }} "
         "covers you for life and can also pass wealth on to your family; may I prepare a plan "
         "for you?"),
        prior_propensity=0.04, cooldown_days=60,
    ),
    # 11. fast credit-card issue at the counter
    _rule(
        "COUNTER_CARD_FAST", "counter_card_fast", ("柜台信用卡快速办卡", "Fast credit-card issue at the counter"),
        "NOT has_credit_card AND age BETWEEN 22 AND 55 AND (is_payroll OR aum_avg_3m >= 20000) "
        "AND counter_txn_3m >= 1",
        "CC-CLASSIC", "300", ("counter", "card_approval"), ("teller",),
        ("{{ greeting }}您好！您还没有我行信用卡。您是我行优质客户，现在在柜台就可以快速申请"
         "{{ product_name }}，当场提交、最快当天审批。",
         "Hello {{ greeting }}. You do not have one of our credit cards yet. As a valued customer "
         "you can apply for a {{ product_name }} right here at the counter, with approval as soon "
         "as today."),
        prior_propensity=0.08, cooldown_days=90, max_presentations=2,
    ),
)
# fmt: on

DEFAULT_RULE_BY_CODE: dict[str, RuleSpec] = {rule.code: rule for rule in DEFAULT_RULES}


async def install_default_library(session: AsyncSession, *, owner_org_code: str = "HO") -> int:
    """Create the default campaign and the default rules that are missing; return how many
    rules were added.

    Idempotent: a rule whose code exists is left exactly as it is (a bank may have edited
    it); only missing rules are inserted. Every rule is validated against the products in
    the serving database first, so a shelf without a rule's product raises before anything
    is written.
    """
    org = await get_org_by_code(session, owner_org_code)
    product_codes = set(await session.scalars(select(Product.code)))
    for spec in DEFAULT_RULES:
        validate_rule(spec, product_codes=product_codes)
    campaign = await session.scalar(select(Campaign).where(Campaign.code == DEFAULT_CAMPAIGN_CODE))
    if campaign is None:
        campaign = Campaign(
            code=DEFAULT_CAMPAIGN_CODE,
            name=DEFAULT_CAMPAIGN_NAME[0],
            name_en=DEFAULT_CAMPAIGN_NAME[1],
            owner_org_id=org.id,
            active=True,
        )
        session.add(campaign)
        await session.flush()
    existing = set(
        await session.scalars(select(LeadRule.code).where(LeadRule.code.in_(DEFAULT_RULE_BY_CODE)))
    )
    added = 0
    for spec in DEFAULT_RULES:
        if spec.code in existing:
            continue
        session.add(
            LeadRule(
                code=spec.code,
                name=spec.name,
                name_en=spec.name_en,
                family=spec.family,
                owner_org_id=org.id,
                campaign_id=campaign.id,
                condition=spec.condition,
                product_code=spec.product_code,
                value=spec.value,
                weight=spec.weight,
                channels=list(spec.channels),
                roles=list(spec.roles),
                script_zh=spec.script_zh,
                script_en=spec.script_en,
                cooldown_days=spec.cooldown_days,
                max_presentations=spec.max_presentations,
                control_share=spec.control_share,
                attribution_days=spec.attribution_days,
                valid_days=spec.valid_days,
                prior_propensity=spec.prior_propensity,
                active=True,
            )
        )
        added += 1
    await session.flush()
    return added


def library_markdown() -> str:
    """``docs/rules.md``: the default rule library as a bank reads it."""
    lines = [
        "# The default rule library",
        "",
        "Generated from `smartbranch.marketing.library.DEFAULT_RULES` — do not edit by hand;",
        "regenerate with `.venv/bin/python -m smartbranch.marketing.library > docs/rules.md`.",
        "`smartbranch` installs these rules (and a default campaign) with",
        "`install_default_library`, which adds missing rules only and never changes a rule a",
        "bank has edited. Conditions are SQL over the feature catalog (`docs/features.md`);",
        "scripts are Jinja templates (`{{ variable }}`, filters `cny` and `days`).",
        "",
        "| code | lead type | product | value (CNY) | channels | roles | cool-down / max / control |",
        "|---|---|---|---|---|---|---|",
    ]
    for rule in DEFAULT_RULES:
        policy = f"{rule.cooldown_days} d / {rule.max_presentations} / {rule.control_share:.0%}"
        lines.append(
            f"| `{rule.code}` | {rule.family} | {rule.product_code} | {rule.value} | "
            f"{', '.join(rule.channels)} | {', '.join(rule.roles)} | {policy} |"
        )
    for rule in DEFAULT_RULES:
        lines += [
            "",
            f"## {rule.code} — {rule.name} / {rule.name_en}",
            "",
            f"Lead type `{rule.family}`, product `{rule.product_code}`, value {rule.value} CNY, "
            f"weight {rule.weight}, cold-start propensity {rule.prior_propensity:.0%}, "
            f"valid {rule.valid_days} days, attribution {rule.attribution_days} days.",
            "",
            "```sql",
            rule.condition,
            "```",
            "",
            f"> {rule.script_zh}",
            "",
            f"> {rule.script_en}",
        ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(library_markdown(), end="")
