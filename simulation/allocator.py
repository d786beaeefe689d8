"""Allocator tuning for numpy-heavy months (glibc only; a no-op elsewhere).

A month of the model allocates and frees a few hundred temporary arrays of 0.1-30 MB. By
default glibc serves each of them with a fresh `mmap` and returns it with `munmap` (or
trims the heap), so every month pays the kernel's page faults again: about 15-20 % of a
month at 100,000 firms (docs/PERFORMANCE.md). Raising the mmap threshold and the trim
threshold to 32 / 64 MB keeps those pages in the process's heap for reuse; peak memory is
what the model needs plus at most ~64 MB kept free.

Set SME_MALLOC_TUNING=0 to leave the allocator alone. The results do not depend on it.
"""

from __future__ import annotations

import ctypes
import os
import sys

M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3  # glibc's mallopt parameters
MMAP_THRESHOLD = 32 << 20  # glibc's largest allowed value on 64-bit systems
TRIM_THRESHOLD = 64 << 20
TOP_PAD = 16 << 20

_done: bool | None = None


def tune() -> bool:
    """Apply the tuning once per process; True when it is in effect."""
    global _done
    if _done is not None:
        return _done
    _done = False
    if os.environ.get("SME_MALLOC_TUNING", "1") == "0" or not sys.platform.startswith("linux"):
        return _done
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (e.g. musl): nothing to tune
        return _done
    _done = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
                 and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
                 and mallopt(M_TOP_PAD, TOP_PAD))
    return _done
