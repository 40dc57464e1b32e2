-- The floor of the feature computation (benchmarks): the bare per-customer aggregation
-- over the three big fact tables — month-end balances, holdings and transactions — with
-- the same as-of filters and nothing else. The full feature run is compared against it.
WITH balance AS (
    SELECT customer_number, SUM(balance) AS balances
    FROM balances_monthly
    WHERE month <= $as_of
    GROUP BY customer_number
),
holding AS (
    SELECT customer_number, SUM(balance) AS holdings
    FROM holdings
    WHERE opened_on <= $as_of
    GROUP BY customer_number
),
txn AS (
    SELECT customer_number, SUM(amount) AS transactions
    FROM transactions
    WHERE booked_on <= $as_of
    GROUP BY customer_number
)
SELECT
    c.customer_number,
    CAST(COALESCE(b.balances, 0) AS DECIMAL(18, 2)) AS balances,
    CAST(COALESCE(h.holdings, 0) AS DECIMAL(18, 2)) AS holdings,
    CAST(COALESCE(t.transactions, 0) AS DECIMAL(18, 2)) AS transactions
FROM customers AS c
LEFT JOIN balance AS b ON b.customer_number = c.customer_number
LEFT JOIN holding AS h ON h.customer_number = c.customer_number
LEFT JOIN txn AS t ON t.customer_number = c.customer_number
WHERE c.opened_on <= $as_of
