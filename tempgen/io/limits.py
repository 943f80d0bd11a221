"""How much memory this process may still use: the least of what the system has available,
what RLIMIT_AS (ulimit -v) leaves, and what the cgroup's limit leaves."""

from __future__ import annotations

import resource
from pathlib import Path

SHARE = 0.8  # of the memory left, what one job may plan to use


def memory_left() -> int | None:
    """Bytes this process could still get, or None when nothing says."""
    known = [b for b in (_available(), _address_space_left(), _cgroup_left()) if b is not None]
    return min(known) if known else None


def memory_budget(default: int = 4 << 30) -> int:
    """Bytes one job may plan to use: SHARE of `memory_left` (`default` when unknown)."""
    left = memory_left()
    return int(SHARE * left) if left is not None else default


def _available() -> int | None:
    """MemAvailable of /proc/meminfo."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _address_space_left() -> int | None:
    """RLIMIT_AS minus the address space already mapped."""
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY:
        return None
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return soft
    return max(0, soft - pages * resource.getpagesize())


def _cgroup_left() -> int | None:
    """The memory cgroup's limit minus its usage (cgroup v2, else v1)."""
    for limit, usage in (("memory.max", "memory.current"),
                         ("memory/memory.limit_in_bytes", "memory/memory.usage_in_bytes")):
        try:
            cap = Path("/sys/fs/cgroup", limit).read_text().strip()
            used = int(Path("/sys/fs/cgroup", usage).read_text())
        except (OSError, ValueError):
            continue
        if cap == "max" or int(cap) >= 1 << 60:  # no limit
            return None
        return max(0, int(cap) - used)
    return None
