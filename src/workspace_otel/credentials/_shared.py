"""The process-wide registry: one :class:`RefreshingTokenCache` per source configuration."""

from __future__ import annotations

import threading
from collections.abc import Hashable

from workspace_otel._guards.fork import on_fork_in_child
from workspace_otel.credentials._cache import RefreshingTokenCache

TYPE_CHECKING = False  # typing is not imported at run time: see workspace_otel/__init__
if TYPE_CHECKING:
    from workspace_otel.credentials._source import TokenSource

__all__ = ["registry_key", "reset_shared_caches", "shared_cache"]

_REGISTRY: dict[Hashable, RefreshingTokenCache] = {}
_REGISTRY_LOCK = threading.Lock()


def shared_cache(source: TokenSource) -> RefreshingTokenCache:
    """Return this process's cache for ``source``'s configuration, creating it once.

    Sources with equal :attr:`~TokenSource.cache_key` share one cache, so the
    HTTP and gRPC factories and the traces, metrics and logs exporters all use
    the same token and the same single refresher. Creating the cache does no
    I/O and starts no thread; the first :meth:`RefreshingTokenCache.token`
    call does. After ``fork()`` the child keeps the registry (and any
    still-usable tokens) with fresh locks and no threads.
    """
    key = registry_key(source)
    with _REGISTRY_LOCK:
        cache = _REGISTRY.get(key)
        if cache is None:
            cache = RefreshingTokenCache(source)
            _REGISTRY[key] = cache
        return cache


def registry_key(source: TokenSource) -> Hashable:
    """The one sharing rule for every source: its own key plus how the cache treats it.

    The source's :attr:`~TokenSource.cache_key` covers what changes the token;
    ``revalidate_interval`` (read by the cache, not the source) and the
    source's type are added here so no source can forget them.
    """
    revalidate = getattr(source, "revalidate_interval", None)
    return (type(source).__module__, type(source).__qualname__, source.cache_key, revalidate)


def reset_shared_caches() -> None:
    """Close and forget every shared cache (for tests)."""
    with _REGISTRY_LOCK:
        caches = list(_REGISTRY.values())
        _REGISTRY.clear()
    for cache in caches:
        cache.close()


def _after_fork_in_child() -> None:
    global _REGISTRY_LOCK  # the parent's lock may be held by a vanished thread
    _REGISTRY_LOCK = threading.Lock()


on_fork_in_child(__name__, _after_fork_in_child)
