-- Product-mix segments by rule (the codes of smartbranch.customers.features.SEGMENTS).
-- The first rule that matches wins:
--   affluent_investor   diamond or private banking, or platinum willing to take risk
--                       (risk tolerance 3 or more): advisory, funds, structured products;
--   senior              60 or older: pension, stable income, insurance, health;
--   young_starter       under 30: credit cards, small regular fund plans, digital banking;
--   conservative_saver  risk tolerance 1–2: time deposits, low-risk wealth, insurance;
--   wealth_accumulator  gold or platinum: wealth products and funds to grow assets;
--   family_builder      everyone else (30–59, standard tier, tolerance 3+): mortgages and
--                       consumer loans, education savings, family insurance.
SELECT
    customer_number,
    CASE
        WHEN tier_rank >= 3 OR (tier_rank = 2 AND risk_tolerance >= 3) THEN 'affluent_investor'
        WHEN age >= 60 THEN 'senior'
        WHEN age < 30 THEN 'young_starter'
        WHEN risk_tolerance <= 2 THEN 'conservative_saver'
        WHEN tier_rank >= 1 THEN 'wealth_accumulator'
        ELSE 'family_builder'
    END AS segment
FROM customer_features_graded
