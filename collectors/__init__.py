"""Collectors: network logs and packet captures in, ECS events out (sources).

Empty until the collectors land (issue #3); see docs/architecture.md.
"""
