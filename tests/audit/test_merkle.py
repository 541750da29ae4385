"""The RFC 6962 Merkle tree hash agrees with the Certificate Transparency reference vectors."""

from __future__ import annotations

import hashlib

from breakglass.audit import leaf_hash, merkle_root, merkle_roots, node_hash

# The 8 leaves and tree heads every RFC 6962 implementation tests against
# (transparency-dev/merkle testonly, google/certificate-transparency).
LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def test_reference_roots_for_every_size() -> None:
    """The root of the first n reference leaves is the published tree head, n = 0 … 8."""
    for n, expected in enumerate(ROOTS):
        assert merkle_root(LEAVES[:n]).hex() == expected, n


def test_hand_computed_small_trees() -> None:
    """Empty = SHA-256(""), one leaf = SHA-256(0x00‖d), three leaves split 2 + 1."""
    sha = hashlib.sha256
    a, b, c = b"a", b"b", b"c"
    assert merkle_root([]) == sha(b"").digest()
    assert merkle_root([a]) == sha(b"\x00a").digest()
    assert (
        merkle_root([a, b])
        == sha(b"\x01" + sha(b"\x00a").digest() + sha(b"\x00b").digest()).digest()
    )
    assert merkle_root([a, b, c]) == node_hash(node_hash(leaf_hash(a), leaf_hash(b)), leaf_hash(c))


def test_one_pass_prefix_roots_match_the_recursive_definition() -> None:
    """merkle_roots gives the same root as merkle_root for every prefix of a 70-leaf log."""
    entries = [hashlib.sha256(bytes([i])).digest() for i in range(70)]
    roots = merkle_roots(entries, range(0, 75))
    assert set(roots) == set(range(71))
    for n in range(71):
        assert roots[n] == merkle_root(entries[:n]), n


def test_order_and_domain_separation_matter() -> None:
    """Swapping two leaves, or presenting an inner node as a leaf, changes the root."""
    a, b = b"x" * 32, b"y" * 32
    assert merkle_root([a, b]) != merkle_root([b, a])
    assert merkle_root([node_hash(leaf_hash(a), leaf_hash(b))]) != merkle_root([a, b])
