"""The synthetic company's shape, in memory: a department tree and a reporting tree.

Pure Python from one ``random.Random``, so the same size and seed always give the same
company. People are numbered in pre-order (a manager before their reports, a team's
members next to each other); the database ids are these numbers plus an offset.
"""

from __future__ import annotations

import bisect
import random
from dataclasses import dataclass, field

SPAN_MIN, SPAN_MAX = 4, 12

# Division name, job family, relative size.
DIVISIONS: tuple[tuple[str, str, float], ...] = (
    ("Human Resources", "hr", 0.25),
    ("Sales", "sales", 1.6),
    ("Production", "production", 2.0),
    ("Engineering", "engineering", 1.4),
    ("Customer Service", "service", 1.0),
    ("Finance", "finance", 0.4),
    ("Marketing", "marketing", 0.6),
    ("Operations", "operations", 0.9),
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红鹏斌宇浩凯晨欣怡雪琳婷"


@dataclass
class Dept:
    code: str
    name: str
    parent: int | None  # index into Org.departments
    head: int  # person index


@dataclass
class Org:
    manager: list[int] = field(default_factory=list)  # -1 for the chief executive
    depth: list[int] = field(default_factory=list)
    division: list[int] = field(default_factory=list)  # -1 for the chief executive
    reports: list[list[int]] = field(default_factory=list)
    department: list[int] = field(default_factory=list)
    departments: list[Dept] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.manager)

    def add(self, boss: int, division: int) -> int:
        index = len(self.manager)
        self.manager.append(boss)
        self.depth.append(self.depth[boss] + 1 if boss >= 0 else 0)
        self.division.append(division)
        self.reports.append([])
        if boss >= 0:
            self.reports[boss].append(index)
        return index


def split(total: int, weights: list[float]) -> list[int]:
    """``total`` in whole parts proportional to ``weights`` (largest remainders first)."""
    whole = sum(weights)
    exact = [total * w / whole for w in weights]
    parts = [int(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: (parts[i] - exact[i], i))
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


def _grow(org: Org, rng: random.Random, boss: int, budget: int) -> None:
    """Put ``budget`` people under ``boss``: a team when it fits one span, otherwise a
    span of 4–12 of whom some lead sub-trees of at least four people each."""
    division = org.division[boss]
    if budget <= SPAN_MAX:
        for _n in range(budget):
            org.add(boss, division)
        return
    span = rng.randint(SPAN_MIN, min(SPAN_MAX, budget - SPAN_MIN))
    rest = budget - span
    leaders = min(span, rest // SPAN_MIN)
    shares = [
        SPAN_MIN + s
        for s in split(rest - SPAN_MIN * leaders, [rng.uniform(0.5, 1.5) for _ in range(leaders)])
    ]
    slots = sorted(rng.sample(range(span), leaders))
    share_of = dict(zip(slots, shares, strict=True))
    for slot in range(span):
        child = org.add(boss, division)
        if slot in share_of:
            _grow(org, rng, child, share_of[slot])


def build_org(size: int, rng: random.Random) -> Org:
    """The reporting tree, then departments: company, divisions, departments led by the
    division heads' managers, and a team for every manager whose reports are all
    individual contributors below that level."""
    org = Org()
    org.add(-1, -1)
    count = max(1, min(len(DIVISIONS), (size - 1) // 6))
    heads = [org.add(0, d) for d in range(count)]
    for head, budget in zip(
        heads, split(size - 1 - count, [w for _n, _f, w in DIVISIONS[:count]]), strict=True
    ):
        _grow(org, rng, head, budget)

    own: dict[int, int] = {}

    def new_dept(code: str, name: str, parent: int | None, head: int) -> int:
        org.departments.append(Dept(code, name, parent, head))
        own[head] = len(org.departments) - 1
        return own[head]

    new_dept("SYN", "Synthetic Company", None, 0)
    counters: dict[int, int] = {}
    top_of: dict[int, int] = {}  # person → their depth-2 department
    for person in range(1, org.size):
        depth, boss = org.depth[person], org.manager[person]
        has_reports = bool(org.reports[person])
        if depth == 1:
            name = DIVISIONS[org.division[person]][0]
            new_dept(f"SYN-{person}", name, 0, person)
        elif depth == 2 and has_reports:
            d = org.division[person]
            counters[d] = counters.get(d, 0) + 1
            division_dept = own[boss]
            new_dept(
                f"{org.departments[division_dept].code}-{counters[d]}",
                f"{DIVISIONS[d][0]} {counters[d]}",
                division_dept,
                person,
            )
            top_of[person] = own[person]
        elif depth > 2 and has_reports and boss in top_of:
            top_of[person] = top_of[boss]
            if all(not org.reports[r] for r in org.reports[person]):
                parent = top_of[person]
                number = len(org.departments)
                new_dept(
                    f"{org.departments[parent].code}-T{number}",
                    f"{org.departments[parent].name} team {number}",
                    parent,
                    person,
                )
    org.department = [0] * org.size
    for person in range(org.size):
        if person in own:
            org.department[person] = own[person]
        else:
            org.department[person] = org.department[org.manager[person]]
    return org


def person_name(index: int, rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _n in range(rng.randint(1, 2)))


def pick_peers(org: Org, rng: random.Random, count: int = 3) -> list[list[int]]:
    """For each person, ``count`` peers: teammates first, then people at the same level
    nearby in the same division, then anyone nearby — never themselves, their manager
    or their own reports."""
    by_level: dict[tuple[int, int], list[int]] = {}
    for person in range(org.size):
        by_level.setdefault((org.division[person], org.depth[person]), []).append(person)
    peers: list[list[int]] = []
    for person in range(org.size):
        boss = org.manager[person]
        siblings = [s for s in org.reports[boss] if s != person] if boss >= 0 else []
        if len(siblings) >= count:
            peers.append(rng.sample(siblings, count))
            continue
        chosen = list(siblings)
        excluded = {person, boss, *org.reports[person], *chosen}
        level = by_level[(org.division[person], org.depth[person])]
        for pool in (level, range(org.size)):
            if len(chosen) >= count:
                break
            at = bisect.bisect_left(pool, person)
            for offset in range(1, len(pool) + 1):
                for j in (at - offset, at + offset):
                    if 0 <= j < len(pool) and pool[j] not in excluded and len(chosen) < count:
                        chosen.append(pool[j])
                        excluded.add(pool[j])
                if len(chosen) >= count or offset > len(pool):
                    break
        peers.append(chosen)
    return peers
