"""Opt in to the creatorkit conformance kit."""

pytest_plugins = ["creatorkit.testing"]
