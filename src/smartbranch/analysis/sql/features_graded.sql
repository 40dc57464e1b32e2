-- Tier and care events over the lake features (customer_features_base).
-- Tier from the three-month average assets: $gold_from, $platinum_from, $diamond_from and
-- $private_from are the lower bounds (a customer exactly at a bound is in the higher tier).
-- next_tier_threshold / next_tier_gap are 0 for private banking, the top tier.
-- Care events: birthday today; birthday within $birthday_week_days days (today included:
-- days_to_birthday 0 .. $birthday_week_days - 1); a product maturing within 30 days; no
-- branch visit for more than $long_absence_days days (never visited included).
WITH ranked AS (
    SELECT
        *,
        CASE
            WHEN aum_avg_3m >= $private_from THEN 4
            WHEN aum_avg_3m >= $diamond_from THEN 3
            WHEN aum_avg_3m >= $platinum_from THEN 2
            WHEN aum_avg_3m >= $gold_from THEN 1
            ELSE 0
        END AS rank_number,
        CASE
            WHEN aum_avg_3m >= $private_from THEN CAST(0 AS DECIMAL(18, 2))
            WHEN aum_avg_3m >= $diamond_from THEN $private_from
            WHEN aum_avg_3m >= $platinum_from THEN $diamond_from
            WHEN aum_avg_3m >= $gold_from THEN $platinum_from
            ELSE $gold_from
        END AS threshold
    FROM customer_features_base
)
SELECT
    customer_number,
    age,
    gender,
    birth_date,
    days_to_birthday,
    home_city,
    home_outlet_code,
    tenure_years,
    risk_tolerance,
    has_account_manager,
    aum,
    aum_avg_3m,
    aum_peak_12m,
    balance_deposit,
    balance_time_deposit,
    balance_wealth,
    balance_fund,
    balance_insurance,
    loan_balance,
    product_count,
    asset_category_count,
    has_debit_card,
    has_credit_card,
    credit_card_level,
    card_spend_3m,
    card_spend_count_3m,
    is_payroll,
    payroll_monthly,
    loan_prepaid_90d,
    loan_prepaid_amount_90d,
    maturing_30d_count,
    maturing_30d_amount,
    matured_60d_amount,
    visits_12m,
    days_since_last_visit,
    digital_txn_3m,
    counter_txn_3m,
    deposits_in_3m,
    CASE rank_number
        WHEN 4 THEN 'private'
        WHEN 3 THEN 'diamond'
        WHEN 2 THEN 'platinum'
        WHEN 1 THEN 'gold'
        ELSE 'standard'
    END AS tier,
    CAST(rank_number AS BIGINT) AS tier_rank,
    CAST(threshold AS DECIMAL(18, 2)) AS next_tier_threshold,
    CAST(CASE WHEN rank_number = 4 THEN 0 ELSE threshold - aum_avg_3m END AS DECIMAL(18, 2))
        AS next_tier_gap,
    days_to_birthday = 0 AS birthday_today,
    days_to_birthday < $birthday_week_days AS birthday_this_week,
    maturing_30d_count > 0 AS maturity_soon,
    days_since_last_visit > $long_absence_days AS long_absence
FROM ranked
