"""The synthetic bank. Imported only by the CLI, tests and benchmarks."""
