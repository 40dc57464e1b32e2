-- Per-customer features read from the lake, as of $as_of (smartbranch.customers.features).
-- DuckDB dialect, transpiled by SQLGlot for Spark. Facts dated after $as_of are ignored:
-- customers opened later, balances of later months, later transactions, visits, payroll,
-- payoffs, cards issued later; a holding counts as active when it was opened on or before
-- $as_of and not closed by then (its status column may already tell a later story).
--
-- Windows (dates computed in Python, analysis/features.py):
--   $month_0     first day of $as_of's month. Its balances row holds the month-end balance,
--                or for the month in progress the balance at $as_of: "the latest month end".
--   $month_1 … $month_11   first days of the eleven months before: the last three month
--                ends are $month_0 … $month_2, the last twelve $month_0 … $month_11 (a
--                month without a row counts as 0).
--   $since_3m    $as_of minus three calendar months (exclusive): transactions "last 3 months".
--   $since_12m   $as_of minus twelve calendar months (exclusive): visits "last 12 months".
--   $prepaid_since   $as_of minus 90 days (inclusive): paid off 90 days ago counts, 91 not.
--   $matured_since   $as_of minus 60 days (inclusive).
--   $maturing_until  $as_of plus 30 days (inclusive); maturing today counts.
--   $year, $next_year, $feb29_this, $feb29_next   this and next calendar year, and the day
--                a 29 February birthday or anniversary falls on in each (29, or 28 in a
--                common year).
WITH customer AS (
    SELECT
        customer_number,
        gender,
        birth_date,
        home_city,
        home_outlet_code,
        risk_tolerance,
        account_manager,
        opened_on,
        make_date($year, month(birth_date),
            CASE WHEN month(birth_date) = 2 AND day(birth_date) = 29 THEN $feb29_this
                 ELSE day(birth_date) END) AS birthday_this_year,
        make_date($next_year, month(birth_date),
            CASE WHEN month(birth_date) = 2 AND day(birth_date) = 29 THEN $feb29_next
                 ELSE day(birth_date) END) AS birthday_next_year,
        make_date($year, month(opened_on),
            CASE WHEN month(opened_on) = 2 AND day(opened_on) = 29 THEN $feb29_this
                 ELSE day(opened_on) END) AS anniversary_this_year
    FROM customers
    WHERE opened_on <= $as_of
),
-- One row per customer: the assets (the five asset categories) at each of the twelve month
-- ends ($month_0 the latest … $month_11 the oldest) and each category at the latest. One
-- aggregation by customer alone (not customer × month) keeps one hash entry per customer.
balance_row AS (
    SELECT
        customer_number,
        month,
        category,
        balance,
        CASE WHEN category IN ('deposit', 'time_deposit', 'wealth', 'fund', 'insurance')
            THEN balance ELSE 0 END AS assets
    FROM balances_monthly
    WHERE month >= $month_11 AND month <= $month_0
),
balance AS (
    SELECT
        customer_number,
        SUM(CASE WHEN month = $month_0 THEN assets ELSE 0 END) AS assets_0,
        SUM(CASE WHEN month = $month_1 THEN assets ELSE 0 END) AS assets_1,
        SUM(CASE WHEN month = $month_2 THEN assets ELSE 0 END) AS assets_2,
        SUM(CASE WHEN month = $month_3 THEN assets ELSE 0 END) AS assets_3,
        SUM(CASE WHEN month = $month_4 THEN assets ELSE 0 END) AS assets_4,
        SUM(CASE WHEN month = $month_5 THEN assets ELSE 0 END) AS assets_5,
        SUM(CASE WHEN month = $month_6 THEN assets ELSE 0 END) AS assets_6,
        SUM(CASE WHEN month = $month_7 THEN assets ELSE 0 END) AS assets_7,
        SUM(CASE WHEN month = $month_8 THEN assets ELSE 0 END) AS assets_8,
        SUM(CASE WHEN month = $month_9 THEN assets ELSE 0 END) AS assets_9,
        SUM(CASE WHEN month = $month_10 THEN assets ELSE 0 END) AS assets_10,
        SUM(CASE WHEN month = $month_11 THEN assets ELSE 0 END) AS assets_11,
        SUM(CASE WHEN month = $month_0 AND category = 'deposit' THEN balance ELSE 0 END)
            AS balance_deposit,
        SUM(CASE WHEN month = $month_0 AND category = 'time_deposit' THEN balance ELSE 0 END)
            AS balance_time_deposit,
        SUM(CASE WHEN month = $month_0 AND category = 'wealth' THEN balance ELSE 0 END)
            AS balance_wealth,
        SUM(CASE WHEN month = $month_0 AND category = 'fund' THEN balance ELSE 0 END)
            AS balance_fund,
        SUM(CASE WHEN month = $month_0 AND category = 'insurance' THEN balance ELSE 0 END)
            AS balance_insurance,
        SUM(CASE WHEN month = $month_0 AND category = 'loan' THEN balance ELSE 0 END)
            AS loan_balance
    FROM balance_row
    GROUP BY customer_number
),
holding AS (
    SELECT
        customer_number,
        COUNT(DISTINCT CASE WHEN active THEN product_code END) AS product_count,
        SUM(CASE WHEN active AND term_product
                  AND maturity_on >= $as_of AND maturity_on <= $maturing_until
            THEN 1 ELSE 0 END) AS maturing_30d_count,
        SUM(CASE WHEN active AND term_product
                  AND maturity_on >= $as_of AND maturity_on <= $maturing_until
            THEN balance ELSE 0 END) AS maturing_30d_amount,
        -- Ran to term (closed on or after maturity) and was not continued. The amount is
        -- the balance the warehouse keeps for the closed holding.
        SUM(CASE WHEN NOT active AND term_product
                  AND maturity_on >= $matured_since AND maturity_on <= $as_of
                  AND closed_on >= maturity_on
            THEN balance ELSE 0 END) AS matured_60d_amount
    FROM (
        SELECT
            customer_number,
            product_code,
            balance,
            maturity_on,
            closed_on,
            closed_on IS NULL OR closed_on > $as_of AS active,
            category IN ('time_deposit', 'wealth') AS term_product
        FROM holdings
        WHERE opened_on <= $as_of
    ) AS h
    GROUP BY customer_number
),
payoff AS (
    SELECT
        p.customer_number,
        COUNT(*) AS loans_prepaid,
        SUM(COALESCE(l.balance, 0)) AS amount
    FROM loan_payoffs AS p
    LEFT JOIN holdings AS l ON l.holding_id = p.holding_id
    WHERE p.paid_off_on >= $prepaid_since
      AND p.paid_off_on <= $as_of
      AND p.paid_off_on < p.scheduled_end
    GROUP BY p.customer_number
),
card AS (
    SELECT
        customer_number,
        MAX(CASE WHEN kind = 'debit_card' THEN 1 ELSE 0 END) AS has_debit,
        MAX(CASE WHEN kind <> 'credit_card' THEN 0
                 WHEN card_level = 'diamond' THEN 4
                 WHEN card_level = 'platinum' THEN 3
                 WHEN card_level = 'gold' THEN 2
                 ELSE 1 END) AS credit_card_level
    FROM credentials
    -- A lost card still stands for a card the customer holds (the account stays open and
    -- a replacement follows); a closed one does not.
    WHERE status <> 'closed'
      AND kind IN ('debit_card', 'credit_card')
      AND (issued_on IS NULL OR issued_on <= $as_of)
    GROUP BY customer_number
),
txn AS (
    SELECT
        customer_number,
        SUM(CASE WHEN kind = 'card_spend' THEN amount ELSE 0 END) AS card_spend,
        SUM(CASE WHEN kind = 'card_spend' THEN 1 ELSE 0 END) AS card_spend_count,
        SUM(CASE WHEN channel IN ('online', 'mobile') THEN 1 ELSE 0 END) AS digital,
        SUM(CASE WHEN channel = 'counter' THEN 1 ELSE 0 END) AS counter,
        SUM(CASE WHEN kind IN ('deposit', 'transfer_in', 'payroll') THEN amount ELSE 0 END)
            AS money_in
    FROM transactions
    WHERE booked_on > $since_3m AND booked_on <= $as_of
    GROUP BY customer_number
),
pay AS (
    SELECT customer_number, SUM(monthly_amount) AS monthly
    FROM payroll
    WHERE since <= $as_of
    GROUP BY customer_number
),
visit AS (
    SELECT
        customer_number,
        SUM(CASE WHEN visited_on > $since_12m THEN 1 ELSE 0 END) AS visits_12m,
        MAX(visited_on) AS last_visit
    FROM visits
    WHERE visited_on <= $as_of
    GROUP BY customer_number
)
SELECT
    c.customer_number,
    CAST($year - year(c.birth_date)
        - CASE WHEN c.birthday_this_year > $as_of THEN 1 ELSE 0 END AS BIGINT) AS age,
    c.gender,
    c.birth_date,
    CAST(CASE WHEN c.birthday_this_year >= $as_of
              THEN date_diff('day', $as_of, c.birthday_this_year)
              ELSE date_diff('day', $as_of, c.birthday_next_year) END AS BIGINT)
        AS days_to_birthday,
    c.home_city,
    c.home_outlet_code,
    CAST($year - year(c.opened_on)
        - CASE WHEN c.anniversary_this_year > $as_of THEN 1 ELSE 0 END AS BIGINT)
        AS tenure_years,
    c.risk_tolerance,
    c.account_manager IS NOT NULL AS has_account_manager,
    CAST(COALESCE(b.assets_0, 0) AS DECIMAL(18, 2)) AS aum,
    -- The sum of the last three month ends / 3, in whole fen: decimal division is a double
    -- in DuckDB but a decimal in Spark, integers divide alike in both. Rounded half away
    -- from zero (a third of a whole number of fen is never exactly a half).
    CAST(CAST(CASE WHEN COALESCE(b.assets_3m_fen, 0) >= 0
                   THEN (COALESCE(b.assets_3m_fen, 0) + 1) // 3
                   ELSE -((1 - b.assets_3m_fen) // 3) END AS DECIMAL(18, 0)) * 0.01
        AS DECIMAL(18, 2)) AS aum_avg_3m,
    CAST(COALESCE(GREATEST(b.assets_0, b.assets_1, b.assets_2, b.assets_3, b.assets_4,
        b.assets_5, b.assets_6, b.assets_7, b.assets_8, b.assets_9, b.assets_10, b.assets_11),
        0) AS DECIMAL(18, 2)) AS aum_peak_12m,
    CAST(COALESCE(b.balance_deposit, 0) AS DECIMAL(18, 2)) AS balance_deposit,
    CAST(COALESCE(b.balance_time_deposit, 0) AS DECIMAL(18, 2)) AS balance_time_deposit,
    CAST(COALESCE(b.balance_wealth, 0) AS DECIMAL(18, 2)) AS balance_wealth,
    CAST(COALESCE(b.balance_fund, 0) AS DECIMAL(18, 2)) AS balance_fund,
    CAST(COALESCE(b.balance_insurance, 0) AS DECIMAL(18, 2)) AS balance_insurance,
    CAST(COALESCE(b.loan_balance, 0) AS DECIMAL(18, 2)) AS loan_balance,
    CAST(COALESCE(h.product_count, 0) AS BIGINT) AS product_count,
    CAST(CASE WHEN COALESCE(b.balance_deposit, 0) > 0 THEN 1 ELSE 0 END
        + CASE WHEN COALESCE(b.balance_time_deposit, 0) > 0 THEN 1 ELSE 0 END
        + CASE WHEN COALESCE(b.balance_wealth, 0) > 0 THEN 1 ELSE 0 END
        + CASE WHEN COALESCE(b.balance_fund, 0) > 0 THEN 1 ELSE 0 END
        + CASE WHEN COALESCE(b.balance_insurance, 0) > 0 THEN 1 ELSE 0 END AS BIGINT)
        AS asset_category_count,
    COALESCE(k.has_debit, 0) = 1 AS has_debit_card,
    COALESCE(k.credit_card_level, 0) > 0 AS has_credit_card,
    CAST(COALESCE(k.credit_card_level, 0) AS BIGINT) AS credit_card_level,
    CAST(COALESCE(t.card_spend, 0) AS DECIMAL(18, 2)) AS card_spend_3m,
    CAST(COALESCE(t.card_spend_count, 0) AS BIGINT) AS card_spend_count_3m,
    p.customer_number IS NOT NULL AS is_payroll,
    CAST(COALESCE(p.monthly, 0) AS DECIMAL(18, 2)) AS payroll_monthly,
    o.customer_number IS NOT NULL AS loan_prepaid_90d,
    CAST(COALESCE(o.amount, 0) AS DECIMAL(18, 2)) AS loan_prepaid_amount_90d,
    CAST(COALESCE(h.maturing_30d_count, 0) AS BIGINT) AS maturing_30d_count,
    CAST(COALESCE(h.maturing_30d_amount, 0) AS DECIMAL(18, 2)) AS maturing_30d_amount,
    CAST(COALESCE(h.matured_60d_amount, 0) AS DECIMAL(18, 2)) AS matured_60d_amount,
    CAST(COALESCE(v.visits_12m, 0) AS BIGINT) AS visits_12m,
    CAST(CASE WHEN v.last_visit IS NULL THEN $never_visited_days
              ELSE date_diff('day', v.last_visit, $as_of) END AS BIGINT)
        AS days_since_last_visit,
    CAST(COALESCE(t.digital, 0) AS BIGINT) AS digital_txn_3m,
    CAST(COALESCE(t.counter, 0) AS BIGINT) AS counter_txn_3m,
    CAST(COALESCE(t.money_in, 0) AS DECIMAL(18, 2)) AS deposits_in_3m
FROM customer AS c
LEFT JOIN (
    SELECT *, CAST((assets_0 + assets_1 + assets_2) * 100 AS BIGINT) AS assets_3m_fen
    FROM balance
) AS b ON b.customer_number = c.customer_number
LEFT JOIN holding AS h ON h.customer_number = c.customer_number
LEFT JOIN payoff AS o ON o.customer_number = c.customer_number
LEFT JOIN card AS k ON k.customer_number = c.customer_number
LEFT JOIN txn AS t ON t.customer_number = c.customer_number
LEFT JOIN pay AS p ON p.customer_number = c.customer_number
LEFT JOIN visit AS v ON v.customer_number = c.customer_number
