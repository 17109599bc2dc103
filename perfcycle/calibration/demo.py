"""The demo's last quarter is calibrated, released and fed back.

The two managers' reviews still open are submitted and the scores stored again; HR sets
the guideline (S 10 / A 20 / B 50 / C 15 / D 5, ±5 points, advisory) and prepares the
results. The sales department's calibration session (陈刚 and 王建国) moves sales grades
toward the guideline with written reasons (S 1, A 2, B 6, C 1, D 1 of 11), rates potential for the 9-box, and is locked
and signed off. HR releases the whole company; 陈刚 holds two feedback talks (张伟 — the
demo employee, who can still acknowledge or appeal — and 刘洋, who acknowledges); 朱琳's
appeal is upheld (C → B) and 孙涛's rejected, both with written reasons.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from perfcycle.accounts.models import User
from perfcycle.calibration import appeals, feedback, sessions
from perfcycle.calibration.distribution import settings_set
from perfcycle.calibration.models import Potential, Result, SessionScope
from perfcycle.calibration.release import results_release
from perfcycle.calibration.results import results_prepare
from perfcycle.cycles.models import Cycle, Phase
from perfcycle.cycles.services import cycle_transition
from perfcycle.evaluation.models import FormStatus, ReviewForm, ReviewSource
from perfcycle.evaluation.results import scores_store
from perfcycle.evaluation.reviews import review_submit
from perfcycle.org.models import Department, Employee

# (employee number, grade after calibration, reason)
SALES_ADJUSTMENTS = [
    (
        "E016",
        "B",
        "同事评价中有一位宽松评分人（全部 5 分）；按评分人标准化后能力得分为中等，业绩超额幅度有限，调整为 B。",
    ),
    (
        "E019",
        "B",
        "新客户数三个月均未达到 20 个，销售额略低于目标；能力评价偏高，对照部门分布调整为 B。",
    ),
    (
        "E017",
        "A",
        "销售额超额完成，但新客户开发与 S 档的杨静相比差距明显；对照部门内标杆，调整为 A。",
    ),
    (
        "E012",
        "B",
        "各项指标基本达标，无明显超额；与部门内其他 A 档同事对比后调整为 B（符合期望）。",
    ),
    (
        "E015",
        "B",
        "销售额与新客户均达标未超额，能力表现符合期望；按部门分布指引调整为 B。",
    ),
    (
        "E020",
        "C",
        "新客户数连续三个月低于 20 个的标准，销售额完成率不足 80%，部分达到期望，调整为 C。",
    ),
]
POTENTIAL = {
    "E013": Potential.HIGH,
    "E017": Potential.HIGH,
    "E016": Potential.MEDIUM,
    "E012": Potential.MEDIUM,
    "E015": Potential.MEDIUM,
    "E010": Potential.HIGH,
    "E011": Potential.MEDIUM,
    "E014": Potential.LOW,
    "E019": Potential.MEDIUM,
    "E020": Potential.LOW,
    "E018": Potential.LOW,
}


def _user(username: str) -> User:
    return User.objects.get(username=username)


def _result(cycle: Cycle, number: str) -> Result:
    return Result.objects.select_related("employee", "cycle").get(
        cycle=cycle, employee__employee_number=number
    )


def load(*, stdout: Any = None) -> None:
    hr = _user("hr")
    manager = _user("manager")
    cycle = Cycle.objects.get(phase=Phase.MANAGER_REVIEW)
    people = {e.employee_number: e for e in Employee.objects.select_related("user")}

    # The last managers' reviews come in (their drafts were complete).
    for form in ReviewForm.objects.filter(
        cycle=cycle, source=ReviewSource.MANAGER, status=FormStatus.DRAFT
    ).select_related("reviewer__user", "cycle__template"):
        review_submit(actor=form.reviewer.user, form=form, expected_version=form.version)
    scores_store(actor=hr, cycle=cycle)
    cycle_transition(actor=hr, cycle=cycle, to_phase=Phase.CALIBRATION)
    cycle.refresh_from_db()
    settings_set(
        actor=hr,
        cycle=cycle,
        shares={"S": 10, "A": 20, "B": 50, "C": 15, "D": 5},
        tolerance=D(5),
        strict=False,
        appeal_window_days=7,
        appeal_decision_days=10,
    )
    results_prepare(actor=hr, cycle=cycle)

    sales = Department.objects.get(code="SALES")
    session = sessions.session_create(
        actor=hr,
        cycle=cycle,
        name="销售部校准会",
        scope=SessionScope.DEPARTMENT,
        department=sales,
        calibrators=[people["E010"], people["E001"]],
    )
    for number, grade, reason in SALES_ADJUSTMENTS:
        result = _result(cycle, number)
        sessions.grade_adjust(
            actor=manager,
            session=session,
            result=result,
            grade=grade,
            reason=reason,
            expected_version=result.version,
        )
    for number, potential in POTENTIAL.items():
        result = _result(cycle, number)
        sessions.potential_set(
            # The director's own potential is rated by the other calibrator.
            actor=people["E001"].user if number == "E010" else manager,
            session=session,
            result=result,
            potential=potential,
            reason="校准会讨论后，按近两个季度的表现与成长速度评定。",
            expected_version=result.version,
        )
    session.refresh_from_db()
    sessions.session_lock(actor=hr, session=session)
    session.refresh_from_db()
    sessions.session_sign_off(actor=people["E001"].user, session=session)

    results_release(actor=hr, cycle=cycle)
    cycle.refresh_from_db()

    today = timezone.localdate()
    zhang = _result(cycle, "E011")
    feedback.talk_record(
        actor=manager,
        result=zhang,
        held_on=today - dt.timedelta(days=1),
        strengths="销售额基本跟上进度；客户关系维护积极，回款及时。",
        improvements="新客户转化偏低：需求澄清不充分，方案与报价不对口。",
        next_steps="参加《高效客户沟通》课程；每周复盘两通客户录音；下季度每月新客户不少于 20 个。",
    )
    liu = _result(cycle, "E012")
    feedback.talk_record(
        actor=manager,
        result=liu,
        held_on=today - dt.timedelta(days=1),
        strengths="各项指标稳定达标，新客户开发节奏好。",
        improvements="大客户拓展不足，方案呈现可以更有说服力。",
        next_steps="下季度负责两家重点客户的拓展；参加《销售谈判技巧》。",
    )
    liu.refresh_from_db()
    talk = liu.talk
    feedback.talk_comment(
        actor=people["E012"].user,
        result=liu,
        comments="认可本次评价，希望下季度有机会负责重点客户。",
        expected_version=talk.version,
    )
    feedback.result_acknowledge(actor=people["E012"].user, result=_result(cycle, "E012"))

    zhu = _result(cycle, "E020")
    upheld = appeals.appeal_file(
        actor=people["E020"].user,
        result=zhu,
        reason="九月起我负责的区域调整给了新同事，新客户数受影响；调整前两个月完成率在 95% 以上。附区域调整通知。",
        talk_held=False,
        attachments=[
            SimpleUploadedFile(
                "区域调整通知.txt",
                "销售部通知：自 9 月 1 日起华东二区划归新人负责。".encode(),
                content_type="text/plain",
            )
        ],
    )
    upheld = appeals.appeal_route(actor=hr, appeal=upheld, skip_level=True)
    appeals.appeal_decide(
        actor=hr,
        appeal=upheld,
        outcome="upheld",
        decision="核实区域调整属实，九月新客户数不应全部计入个人；按调整前表现重新评定为 B。",
        grade="B",
        expected_version=upheld.version,
    )
    sun = _result(cycle, "E018")
    rejected = appeals.appeal_file(
        actor=people["E018"].user,
        result=sun,
        reason="我认为新客户数的目标定得太高，D 不合理。",
        talk_held=True,
    )
    rejected = appeals.appeal_route(actor=hr, appeal=rejected, skip_level=False)
    appeals.appeal_decide(
        actor=hr,
        appeal=rejected,
        outcome="rejected",
        decision="目标在计划阶段已经本人确认，且同部门其他同事在相同目标下均达标；维持 D，并制定绩效改进计划。",
        expected_version=rejected.version,
    )
    if stdout is not None:
        stdout.write(
            f"  calibrate: {cycle.name} calibrated ({len(SALES_ADJUSTMENTS)} sales grades "
            "adjusted), released, 2 feedback talks, 2 appeals decided\n"
        )
