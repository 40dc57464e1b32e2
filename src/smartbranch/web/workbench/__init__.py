"""The staff workbench pages."""
