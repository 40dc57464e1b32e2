"""Device activation pages."""
