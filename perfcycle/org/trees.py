"""Pure helpers for the two trees (departments, reporting lines): cycles and paths."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from typing import TypeVar

K = TypeVar("K", bound=Hashable)


def find_cycle(parent_of: Mapping[K, K | None], start: K) -> list[K] | None:
    """The loop reached by walking up from ``start``, or None if the walk ends at a root."""
    seen: dict[K, int] = {}
    chain: list[K] = []
    node: K | None = start
    while node is not None:
        if node in seen:
            return chain[seen[node] :]
        seen[node] = len(chain)
        chain.append(node)
        node = parent_of.get(node)
    return None


def nodes_in_cycles(
    parent_of: Mapping[K, K | None], starts: Iterable[K] | None = None
) -> dict[K, list[K]]:
    """Every node that lies on a loop, with the loop it lies on. Linear time.

    ``starts``: walk up from these nodes only — enough when every loop must pass
    through one of them (a tree without loops, of which only they changed parent)."""
    state: dict[K, int] = {}  # 1 = on the current walk, 2 = finished
    result: dict[K, list[K]] = {}
    for start in parent_of if starts is None else starts:
        if start in state:
            continue
        walk: list[K] = []
        node: K | None = start
        while node is not None and node not in state:
            state[node] = 1
            walk.append(node)
            node = parent_of.get(node)
        if node is not None and state.get(node) == 1:
            loop = walk[walk.index(node) :]
            for member in loop:
                result[member] = loop
        for member in walk:
            state[member] = 2
    return result


def compute_paths(
    parent_of: Mapping[int, int | None], known: dict[int, str] | None = None
) -> dict[int, str]:
    """Materialised paths (``/1/5/23/``) for a forest given as child -> parent ids.

    ``known``: paths that stand (nodes whose ancestors keep their parents), taken as
    they are and included in the result; ``parent_of`` then needs only the other nodes.
    Raises ValueError if the mapping has a loop (callers validate before writing).
    """
    paths: dict[int, str] = known if known is not None else {}
    for start in parent_of:
        if start in paths:
            continue
        walk: list[int] = []
        on_walk: set[int] = set()
        node: int | None = start
        while node is not None and node not in paths:
            if node in on_walk:
                raise ValueError(f"loop through {node}")
            walk.append(node)
            on_walk.add(node)
            node = parent_of.get(node)
        prefix = paths[node] if node is not None else "/"
        for member in reversed(walk):
            prefix = f"{prefix}{member}/"
            paths[member] = prefix
    return paths
