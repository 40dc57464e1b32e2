"""Marketing: lead rules, scripts, campaigns, control groups, leads and their outcomes."""
