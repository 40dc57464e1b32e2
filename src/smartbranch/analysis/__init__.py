"""The unified customer analysis (统一客户分析): the nightly engine that grades customers and
produces marketing leads with scripts, publishes them and learns from their outcomes."""
