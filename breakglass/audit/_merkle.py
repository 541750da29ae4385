"""RFC 6962 Merkle tree hash (Certificate Transparency, §2.1).

``MTH({}) = SHA-256()``, ``MTH({d0}) = SHA-256(0x00 ‖ d0)`` and, for n > 1 leaves,
``MTH(D[n]) = SHA-256(0x01 ‖ MTH(D[0:k]) ‖ MTH(D[k:n]))`` where k is the largest power
of two smaller than n. The audit log's leaves are the 32-byte entry hashes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

__all__ = ["leaf_hash", "merkle_root", "merkle_roots", "node_hash"]


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def _root_of_leaves(leaves: Sequence[bytes], lo: int, hi: int) -> bytes:
    if hi - lo == 1:
        return leaves[lo]
    k = _split(hi - lo)
    return node_hash(_root_of_leaves(leaves, lo, lo + k), _root_of_leaves(leaves, lo + k, hi))


def merkle_root(entries: Sequence[bytes]) -> bytes:
    """The RFC 6962 tree head over ``entries`` (the raw data; leaves are hashed here)."""
    if not entries:
        return hashlib.sha256(b"").digest()
    return _root_of_leaves([leaf_hash(e) for e in entries], 0, len(entries))


def merkle_roots(entries: Iterable[bytes], sizes: Iterable[int]) -> dict[int, bytes]:
    """The roots of several prefixes in one pass (for verifying many checkpoints).

    Keeps the "compact range" of perfect subtrees (as transparency-dev does): the root of the
    first m leaves is the right-to-left fold of that stack. Sizes beyond the number of
    entries are left out of the result.
    """
    wanted = set(sizes)
    roots: dict[int, bytes] = {}
    if 0 in wanted:
        roots[0] = hashlib.sha256(b"").digest()
    stack: list[tuple[int, bytes]] = []  # (height, hash), heights strictly decreasing
    for count, entry in enumerate(entries, start=1):
        height, node = 0, leaf_hash(entry)
        while stack and stack[-1][0] == height:
            node = node_hash(stack.pop()[1], node)
            height += 1
        stack.append((height, node))
        if count in wanted:
            root = stack[-1][1]
            for _, left in reversed(stack[:-1]):
                root = node_hash(left, root)
            roots[count] = root
    return roots
