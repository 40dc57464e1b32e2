"""The unified customer record (ECIF): customers, credentials, holdings, profiles; identify."""
