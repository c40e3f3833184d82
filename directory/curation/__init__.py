"""Keeping the directory true: problem reports from the public, and the reviews of maintainers."""
