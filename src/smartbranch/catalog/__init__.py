"""Products (with risk levels) and, later, the knowledge base."""
