"""Fixtures the conformance kit registers when a test suite opts in with ``pytest_plugins``."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator, Mapping
from importlib import metadata as importlib_metadata
from typing import Any

import pytest

from ..config import Mode, PluginSettings
from ..host import PluginHost

__all__ = ["network_disabled", "no_network", "sandboxed_host"]


class NetworkUsed(AssertionError):
    """Raised when code under test opens a network connection in a sandbox-only test."""


@contextlib.contextmanager
def network_disabled() -> Iterator[None]:
    """Make every outgoing socket connection fail loudly for the duration of the block."""

    def refuse(self: socket.socket, address: Any, *args: Any, **kwargs: Any) -> None:
        raise NetworkUsed(f"a sandboxed plugin tried to connect to {address!r}")

    original_connect, original_connect_ex = socket.socket.connect, socket.socket.connect_ex
    original_getaddrinfo = socket.getaddrinfo

    def refuse_lookup(host: Any, *args: Any, **kwargs: Any) -> Any:
        raise NetworkUsed(f"a sandboxed plugin tried to resolve {host!r}")

    socket.socket.connect = refuse  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = refuse  # type: ignore[method-assign,assignment]
    socket.getaddrinfo = refuse_lookup
    try:
        yield
    finally:
        socket.socket.connect = original_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = original_connect_ex  # type: ignore[method-assign]
        socket.getaddrinfo = original_getaddrinfo


@pytest.fixture
def no_network() -> Iterator[None]:
    """A test using this fixture fails if anything opens a network connection."""
    with network_disabled():
        yield


def sandboxed_host(name: str, group: str, settings: Mapping[str, Any], plugin: object | None = None) -> PluginHost:
    """A host with the installed plugin ``name`` of entry-point ``group`` (or ``plugin``, an object not installed)
    registered in sandbox mode with ``settings``, every answer checked against its schema."""
    if plugin is None:
        found = list(importlib_metadata.entry_points(group=group, name=name))
        assert found, f"no entry point named {name!r} in {group}; is it installed?"
        plugin = found[0].load()
    host = PluginHost(validate_outputs=True)
    section = "platforms" if group == "creatorkit.platforms" else "payments"
    configured = PluginSettings(name=name, section=section, mode=Mode.SANDBOX, settings=dict(settings))
    host.register(plugin, name=name, group=group, settings=configured)
    return host
