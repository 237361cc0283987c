"""Benchmarks: each prints ratios against a baseline measured in the same run, never a bare
number of seconds (machines differ; a ratio in one run does not)."""
