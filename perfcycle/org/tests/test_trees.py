"""Properties of the tree helpers on random forests and random parent graphs."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from perfcycle.org.models import path_ids
from perfcycle.org.trees import compute_paths, find_cycle, nodes_in_cycles


@st.composite
def forests(draw: st.DrawFn) -> dict[int, int | None]:
    """child -> parent for a random forest with arbitrary distinct ids, in random order."""
    ids = draw(st.lists(st.integers(1, 10**6), unique=True, max_size=40))
    parent_of: dict[int, int | None] = {}
    for index, node in enumerate(ids):
        # Parents come from earlier nodes only, so there is no loop.
        parent_index = draw(st.none() | st.integers(0, index - 1)) if index else None
        parent_of[node] = ids[parent_index] if parent_index is not None else None
    order = draw(st.permutations(ids))
    return {node: parent_of[node] for node in order}


@st.composite
def graphs(draw: st.DrawFn) -> dict[int, int | None]:
    """child -> parent where any node may point anywhere: loops, self-loops, dangling."""
    ids = draw(st.lists(st.integers(1, 60), unique=True, min_size=1, max_size=30))
    return {node: draw(st.none() | st.sampled_from(ids) | st.integers(61, 70)) for node in ids}


def on_a_loop(parent_of: dict[int, int | None], node: int) -> bool:
    """Brute force: walking up from ``node``'s parent comes back to ``node``."""
    current = parent_of.get(node)
    for _ in range(len(parent_of) + 1):
        if current is None:
            return False
        if current == node:
            return True
        current = parent_of.get(current)
    return False


@given(forests())
def test_paths_of_a_forest(parent_of: dict[int, int | None]) -> None:
    paths = compute_paths(parent_of)
    assert set(paths) == set(parent_of)
    for node, parent in parent_of.items():
        expected_prefix = paths[parent] if parent is not None else "/"
        assert paths[node] == f"{expected_prefix}{node}/"
        ids = path_ids(paths[node])
        assert ids[-1] == node
        assert len(ids) == len(set(ids))
        if parent is None:
            assert ids == [node]
        else:
            assert ids[:-1] == path_ids(paths[parent])


@given(forests())
def test_a_forest_has_no_loops(parent_of: dict[int, int | None]) -> None:
    assert nodes_in_cycles(parent_of) == {}
    for node in parent_of:
        assert find_cycle(parent_of, node) is None


@given(graphs())
def test_nodes_in_cycles_agrees_with_brute_force(parent_of: dict[int, int | None]) -> None:
    found = nodes_in_cycles(parent_of)
    assert set(found) == {node for node in parent_of if on_a_loop(parent_of, node)}
    for node, loop in found.items():
        assert node in loop
        assert len(loop) == len(set(loop))
        # The loop is listed in walking order and closes on itself.
        for here, there in zip(loop, [*loop[1:], loop[0]], strict=True):
            assert parent_of[here] == there
        assert all(set(found[member]) == set(loop) for member in loop)


@given(graphs())
def test_find_cycle_finds_the_loop_reached_from_a_node(parent_of: dict[int, int | None]) -> None:
    loops = nodes_in_cycles(parent_of)
    for node in parent_of:
        loop = find_cycle(parent_of, node)
        if loop is None:
            continue
        assert set(loop) == set(loops[loop[0]])
    assert {frozenset(find_cycle(parent_of, n) or ()) for n in loops} == {
        frozenset(loop) for loop in loops.values()
    }


@given(graphs())
def test_compute_paths_refuses_exactly_when_there_is_a_loop(
    parent_of: dict[int, int | None],
) -> None:
    if nodes_in_cycles(parent_of):
        with pytest.raises(ValueError, match="loop"):
            compute_paths(parent_of)
    else:
        paths = compute_paths(parent_of)
        assert set(parent_of) <= set(paths)


def test_examples() -> None:
    assert compute_paths({3: 1, 1: None, 7: 3}) == {1: "/1/", 3: "/1/3/", 7: "/1/3/7/"}
    assert nodes_in_cycles({1: 2, 2: 3, 3: 1, 4: 1, 5: 5}) == {
        1: [1, 2, 3],
        2: [1, 2, 3],
        3: [1, 2, 3],
        5: [5],
    }
    assert find_cycle({1: 2, 2: 3, 3: 2}, 1) == [2, 3]
    # A parent outside the mapping is a root.
    assert compute_paths({2: 9}) == {9: "/9/", 2: "/9/2/"}


@given(forests(), st.data())
def test_loops_from_the_changed_nodes_are_every_loop(
    parent_of: dict[int, int | None], data: st.DataObject
) -> None:
    """A forest in which some nodes take new parents: walking up from those nodes alone
    finds every loop there is, as a walk over every node does."""
    nodes = list(parent_of)
    changed = data.draw(st.lists(st.sampled_from(nodes), unique=True) if nodes else st.just([]))
    for node in changed:
        parent_of[node] = data.draw(st.none() | st.sampled_from(nodes))
    # The same loops (each may be listed from a different node).
    found = {node: set(loop) for node, loop in nodes_in_cycles(parent_of, changed).items()}
    assert found == {node: set(loop) for node, loop in nodes_in_cycles(parent_of).items()}


@given(forests(), st.data())
def test_known_paths_are_kept_and_built_on(
    parent_of: dict[int, int | None], data: st.DataObject
) -> None:
    """New nodes added under a forest whose paths stand get the paths a full build gives."""
    full = compute_paths(parent_of)
    nodes = list(parent_of)
    new = {
        10**7 + i: data.draw(st.none() | st.sampled_from(nodes) if nodes else st.none())
        for i in range(data.draw(st.integers(0, 10)))
    }
    for i, node in enumerate(list(new)):
        if i and data.draw(st.booleans()):  # under another new node
            new[node] = 10**7 + data.draw(st.integers(0, i - 1))
    assert compute_paths(new, known=dict(full)) == compute_paths({**parent_of, **new})
