"""The demo company's organisation, after the source article: sales, production, software.

About thirty people under a general manager; the sales director is the demo manager,
one salesperson the demo employee, and the HR lead the demo HR admin. Everyone else
signs in with the pinyin of their name (e.g. ``liuyang``) and the same password.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.hashers import make_password

from perfcycle.accounts.models import User
from perfcycle.accounts.services import user_set_hr_admin
from perfcycle.demo import DEMO_PASSWORD
from perfcycle.org.models import Department, Employee
from perfcycle.org.services import (
    department_create,
    department_update,
    employee_create,
    employee_set_login,
)

DEPARTMENTS = [
    # code, name, parent
    ("HQ", "总经办", None),
    ("HR", "人力资源部", "HQ"),
    ("SALES", "销售部", "HQ"),
    ("PROD", "生产部", "HQ"),
    ("SOFT", "软件组", "HQ"),
]

# number, name, email prefix, title, family, level, hired, manager, department, login
PEOPLE: list[tuple[str, str, str, str, str, str, str, str | None, str, str | None]] = [
    ("E001", "王建国", "wangjianguo", "总经理", "management", "M5", "2012-03-01", None, "HQ", None),
    ("E002", "李娜", "lina", "人力资源经理", "hr", "M2", "2016-07-11", "E001", "HR", "hr"),
    ("E003", "赵敏", "zhaomin", "人力资源专员", "hr", "P3", "2021-02-22", "E002", "HR", None),
    (
        "E010",
        "陈刚",
        "chengang",
        "销售总监",
        "management",
        "M3",
        "2014-05-06",
        "E001",
        "SALES",
        "manager",
    ),
    (
        "E011",
        "张伟",
        "zhangwei",
        "销售代表",
        "sales",
        "P3",
        "2019-04-01",
        "E010",
        "SALES",
        "employee",
    ),
    ("E012", "刘洋", "liuyang", "销售代表", "sales", "P3", "2020-08-17", "E010", "SALES", None),
    (
        "E013",
        "杨静",
        "yangjing",
        "高级销售代表",
        "sales",
        "P4",
        "2017-09-04",
        "E010",
        "SALES",
        None,
    ),
    ("E014", "黄磊", "huanglei", "销售代表", "sales", "P2", "2023-03-13", "E010", "SALES", None),
    ("E015", "周婷", "zhouting", "销售代表", "sales", "P2", "2023-06-19", "E010", "SALES", None),
    ("E016", "吴强", "wuqiang", "销售代表", "sales", "P3", "2021-11-08", "E010", "SALES", None),
    ("E017", "徐丽", "xuli", "销售代表", "sales", "P3", "2022-01-10", "E010", "SALES", None),
    ("E018", "孙涛", "suntao", "销售代表", "sales", "P2", "2024-02-26", "E010", "SALES", None),
    ("E019", "马超", "machao", "销售代表", "sales", "P3", "2020-05-18", "E010", "SALES", None),
    ("E020", "朱琳", "zhulin", "销售代表", "sales", "P2", "2024-07-01", "E010", "SALES", None),
    ("E030", "胡军", "hujun", "生产经理", "management", "M3", "2013-10-14", "E001", "PROD", None),
    ("E031", "郭峰", "guofeng", "生产主管", "production", "P4", "2016-04-05", "E030", "PROD", None),
    (
        "E032",
        "何芳",
        "hefang",
        "质检工程师",
        "production",
        "P3",
        "2019-12-02",
        "E030",
        "PROD",
        None,
    ),
    ("E033", "林海", "linhai", "操作工", "production", "P1", "2022-03-21", "E031", "PROD", None),
    ("E034", "罗斌", "luobin", "操作工", "production", "P1", "2022-09-05", "E031", "PROD", None),
    ("E035", "梁红", "lianghong", "操作工", "production", "P2", "2020-06-29", "E031", "PROD", None),
    ("E036", "宋杰", "songjie", "操作工", "production", "P1", "2023-08-14", "E031", "PROD", None),
    ("E037", "谢雨", "xieyu", "设备技术员", "production", "P2", "2021-05-10", "E030", "PROD", None),
    ("E038", "韩雪", "hanxue", "质检员", "production", "P2", "2022-11-28", "E032", "PROD", None),
    (
        "E050",
        "唐明",
        "tangming",
        "研发经理",
        "management",
        "M2",
        "2015-08-03",
        "E001",
        "SOFT",
        None,
    ),
    (
        "E051",
        "冯宇",
        "fengyu",
        "高级工程师",
        "engineering",
        "P5",
        "2017-03-20",
        "E050",
        "SOFT",
        None,
    ),
    (
        "E052",
        "董欣",
        "dongxin",
        "软件工程师",
        "engineering",
        "P4",
        "2019-07-15",
        "E050",
        "SOFT",
        None,
    ),
    (
        "E053",
        "萧然",
        "xiaoran",
        "软件工程师",
        "engineering",
        "P3",
        "2021-10-11",
        "E050",
        "SOFT",
        None,
    ),
    (
        "E054",
        "程亮",
        "chengliang",
        "测试工程师",
        "engineering",
        "P3",
        "2020-02-24",
        "E050",
        "SOFT",
        None,
    ),
    (
        "E055",
        "曹颖",
        "caoying",
        "软件工程师",
        "engineering",
        "P2",
        "2024-04-08",
        "E050",
        "SOFT",
        None,
    ),
    (
        "E056",
        "邓凯",
        "dengkai",
        "前端工程师",
        "engineering",
        "P3",
        "2022-06-06",
        "E050",
        "SOFT",
        None,
    ),
]

HEADS = {"HQ": "E001", "HR": "E002", "SALES": "E010", "PROD": "E030", "SOFT": "E050"}


def load(*, stdout: Any = None) -> None:
    departments: dict[str, Department] = {}
    for code, name, parent in DEPARTMENTS:
        departments[code] = department_create(
            actor=None, code=code, name=name, parent=departments[parent] if parent else None
        )
    people: dict[str, Employee] = {}
    for number, name, mail, title, family, level, hired, manager, dept, login in PEOPLE:
        employee = employee_create(
            actor=None,
            employee_number=number,
            name=name,
            email=f"{mail}@huaxin.example.com",
            job_title=title,
            job_family=family,
            level=level,
            hire_date=dt.date.fromisoformat(hired),
            manager=people[manager] if manager else None,
            department=departments[dept],
        )
        people[number] = employee
        # Everyone can sign in (login: the pinyin of their name), so the demo can be
        # seen through anyone's eyes; three logins have short names.
        user = employee_set_login(actor=None, employee=employee, username=login or mail)
        if login == "hr":
            user_set_hr_admin(actor=None, user=user, is_hr_admin=True)
    # One hash for the shared demo password (hashing it thirty times takes half a minute).
    User.objects.filter(employee__isnull=False).update(password=make_password(DEMO_PASSWORD))
    for code, number in HEADS.items():
        department_update(actor=None, department=departments[code], head=people[number])
    if stdout is not None:
        stdout.write(f"  organisation: {len(departments)} departments, {len(people)} people")
