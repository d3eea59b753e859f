"""Demo one-click help requests (一键求助): one story per staff queue, each dated back from now through the services
(disputes.management.demo.clock), then the scheduler's sweep as of now records the deadlines the stories let pass."""

from datetime import datetime, time, timedelta
from typing import Any

from django.utils import timezone

from disputes import policies as policy_table
from disputes import sla
from disputes.actors import system_actor
from disputes.management.demo.cast import Cast, photo
from disputes.management.demo.clock import Story, in_window_before
from disputes.management.demo.data import K
from disputes.models import AnomalyKind, DeadlineKind, ForceMajeureCategory, HelpRequest
from disputes.services.force_majeure import help_force_majeure_claim, help_force_majeure_decide
from disputes.services.help_requests import (
    help_request_cancel,
    help_request_close,
    help_request_confirm,
    help_request_dispatch,
    help_request_give_solution,
    help_request_mark_resolved,
    help_request_object,
    help_request_raise,
    help_request_record_followup,
)
from disputes.services.help_sweep import help_sweep
from disputes.services.violations import help_complaint_file, violation_appeal, violation_decide

A = AnomalyKind


class HelpStories:
    def __init__(self, cast: Cast) -> None:
        self.cast = cast
        self.now = cast.now
        self.cancel_window = policy_table.load("help.cancel_window").duration("help.cancel_window")

    def seed(self) -> dict[str, Any]:
        """Every story, then the sweep as of now, then what staff did after it. Returns the sweep's counts."""
        late, rejected, approved = self._missed()
        self._open()
        self._settled()
        result = help_sweep(now=timezone.now()).as_dict()
        # After the sweep: staff call the buyer back and decide the force-majeure claims.
        staff = self.cast.staff
        help_request_record_followup(
            actor=staff["agent"], request_id=late, note="已回访买家：师傅已约好时间补装，买家认可。"
        )
        help_force_majeure_decide(
            actor=staff["senior"], claim_id=rejected, approve=False, reason="当日当地无暴雨预警记录，不予认定。"
        )
        help_force_majeure_decide(
            actor=staff["senior"], claim_id=approved, approve=True, reason="市防汛指挥部通告当日封闭该路段，予以认定。"
        )
        self._appealed()
        return result

    def _appealed(self) -> None:
        """A counted complaint the merchant has appealed: the senior agents' queue (status "appealed")."""
        staff = self.cast.staff
        appealed, story = self._raise(
            "appealed",
            K.HOME_DELIVERY,
            A.NOT_PERFORMED,
            "约好周六送货入户，没人来。",
            began=self.now - timedelta(hours=30),
        )
        story.wait(minutes=30)
        self._solve(appealed, "周日上午补送上门。")
        story.wait(hours=2)
        complaint = help_complaint_file(
            actor=appealed.buyer.user, request_id=appealed.pk, text="约定周六，师傅没来也没通知。"
        )
        story.wait(hours=20)
        violation_decide(
            actor=staff["senior"], violation_id=complaint.pk, count=True, reason="服务商未按约定时间上门。"
        )
        story.wait(hours=3)
        violation_appeal(
            actor=self.cast.merchant_users[appealed.merchant_id],
            violation_id=complaint.pk,
            reason="买家周五来电改约到周日，通话录音已上传商家后台。",
        )
        story.finish()

    def _raise(
        self, key: str, kind: str, anomaly: str, description: str, *, began: datetime, dispatch: bool = True
    ) -> tuple[HelpRequest, Story]:
        """The buyer raises the request at `began`; dispatched once its cancel window has passed."""
        item = self.cast.items[key]
        request = help_request_raise(
            actor=item.order.buyer.user,
            order_item_id=item.pk,
            anomaly_kind=anomaly,
            description=description,
            service_kind=kind,
        )
        story = Story(request, sla.to_beijing(began))
        story.date_solution_deadline(request)
        if dispatch:
            story.wait(seconds=self.cancel_window.total_seconds() + 1)
            help_request_dispatch(request_id=request.pk, actor=system_actor())
        return request, story

    def _solve(self, request: HelpRequest, text: str, appointment_at: datetime | None = None) -> None:
        help_request_give_solution(
            actor=self.cast.answering(request), request_id=request.pk, text=text, appointment_at=appointment_at
        )

    def _missed(self) -> tuple[int, int, int]:
        """Deadlines the party let pass (the sweep records them): the breached and follow-up queues, and the
        force-majeure claims on them. Raised in the daytime window, so the 1-hour deadline applies too."""
        ago = self.now - timedelta(hours=49)
        _unanswered, story = self._raise(
            "unanswered",
            K.DELIVERY_AND_INSTALL,
            A.NOT_PERFORMED,
            "约好今天上午送货安装，师傅一直没来，电话也打不通。",
            began=in_window_before(ago),
        )
        story.finish()

        late, story = self._raise(
            "late",
            K.SCHEDULED_INSTALL,
            A.PARTLY_PERFORMED,
            "吸顶灯只装了客厅一盏，两个卧室的没装就走了。",
            began=in_window_before(ago - timedelta(hours=1), latest=time(16, 40)),
        )
        story.wait(minutes=25)
        self._solve(late, "已安排师傅明天上门补装卧室两盏灯。")
        story.finish()

        held, story = self._raise(
            "fm_held",
            K.ONSITE_INSTALL,
            A.NOT_PERFORMED,
            "地板到货三天了，一直没人来铺装。",
            began=in_window_before(ago - timedelta(hours=3), latest=time(15, 50)),
        )
        story.wait(minutes=40)
        self._solve(held, "台风预警，铺装师傅停工，风停后第一时间安排。")
        story.wait(hours=20)
        help_force_majeure_claim(
            actor=self.cast.answering(held),
            request_id=held.pk,
            deadline=DeadlineKind.RESOLUTION,
            category=ForceMajeureCategory.TYPHOON,
            note="气象台发布台风红色预警，全市停工停课。",
            files=[photo("台风红色预警通告.jpg", 1)],
        )
        story.finish()

        rejected, story = self._raise(
            "fm_rejected",
            K.SCHEDULED_INSTALL,
            A.EXTRA_FEE,
            "安装师傅额外收了 200 元支架费。",
            began=in_window_before(ago - timedelta(hours=2), latest=time(14, 20)),
        )
        story.wait(minutes=30)
        self._solve(rejected, "核实后退还支架费，并重新安排检查安装。")
        story.wait(hours=30)
        rejected_claim = help_force_majeure_claim(
            actor=self.cast.answering(rejected),
            request_id=rejected.pk,
            deadline=DeadlineKind.RESOLUTION,
            category=ForceMajeureCategory.HEAVY_RAIN,
            note="暴雨，师傅无法出行。",
        )
        story.finish()

        approved, story = self._raise(
            "fm_approved",
            K.DELIVERY_AND_INSTALL,
            A.NOT_PERFORMED,
            "沙发到了楼下，说路被封了送不上来。",
            began=in_window_before(ago - timedelta(hours=4), latest=time(11, 10)),
        )
        story.wait(minutes=45)
        self._solve(approved, "小区外道路因洪水封闭，解封后当天送货安装。")
        story.wait(hours=26)
        approved_claim = help_force_majeure_claim(
            actor=self.cast.answering(approved),
            request_id=approved.pk,
            deadline=DeadlineKind.RESOLUTION,
            category=ForceMajeureCategory.FLOOD,
            note="市防汛指挥部通告：小区所在路段因积水封闭三天。",
            files=[photo("封路通告.jpg", 2)],
        )
        story.finish()

        # Missed only the 1-hour deadline, and still waiting for a solution: in both the awaiting and breached queues.
        _overdue, story = self._raise(
            "help_missed_1h",
            K.ONSITE_INSTALL,
            A.NOT_PERFORMED,
            "开关插座到货了，预约的上门安装没人来。",
            began=in_window_before(self.now - timedelta(hours=2), latest=time(16, 5)),
        )
        story.finish()
        return late.pk, rejected_claim.pk, approved_claim.pk

    def _open(self) -> None:
        """Requests whose deadlines are still running: awaiting a solution, at risk, solution given, claimed."""
        _awaiting, story = self._raise(
            "awaiting",
            K.DELIVERY_AND_INSTALL,
            A.NOT_PERFORMED,
            "床已经送到楼下，说不负责送上楼安装。",
            began=self.now - timedelta(minutes=5),
        )
        story.finish()
        _warranty, story = self._raise(
            "awaiting_warranty",
            K.THREE_YEAR_WARRANTY,
            A.NOT_PERFORMED,
            "马桶冲水阀漏水，联系保修没人处理。",
            began=self.now - timedelta(hours=3),
        )
        story.finish()
        # At risk: the 1-hour deadline 10 minutes away (only when 50 minutes ago was in the daytime window)...
        _due_soon, story = self._raise(
            "help_due_soon",
            K.SCHEDULED_INSTALL,
            A.NOT_PERFORMED,
            "油烟机装好了但是没有打孔接烟管。",
            began=self.now - timedelta(minutes=50),
        )
        story.finish()
        # ...and, at any hour, the 48-hour deadline 10 minutes away.
        at_risk, story = self._raise(
            "help_at_risk",
            K.SCHEDULED_INSTALL,
            A.PARTLY_PERFORMED,
            "吊灯挂上了，但是没有接线，灯不亮。",
            began=self.now - timedelta(hours=47, minutes=50),
        )
        story.wait(minutes=35)
        self._solve(at_risk, "电工明天上午上门接线调试。")
        story.finish()

        given, story = self._raise(
            "solution_given",
            K.SCHEDULED_INSTALL,
            A.NOT_PERFORMED,
            "预约的安装时间过了没人来。",
            began=self.now - timedelta(hours=4),
        )
        story.wait(minutes=20)
        tomorrow = sla.to_beijing(self.now) + timedelta(days=1)
        appointment = tomorrow.replace(hour=14, minute=0, second=0, microsecond=0)
        self._solve(given, "已改约明天下午两点上门安装，师傅电话 139 0571 2233。", story.frame(appointment))
        story.finish()

        claimed, story = self._raise(
            "fm_pending",
            K.SCHEDULED_INSTALL,
            A.NOT_PERFORMED,
            "置物架到了一周没人来装。",
            began=self.now - timedelta(minutes=40),
        )
        story.wait(minutes=10)
        help_force_majeure_claim(
            actor=self.cast.answering(claimed),
            request_id=claimed.pk,
            # Raised outside 09:00-18:00 there is no 1-hour deadline to claim against.
            deadline=DeadlineKind.SOLUTION if claimed.solution_due_at else DeadlineKind.RESOLUTION,
            category=ForceMajeureCategory.TRAFFIC_CONTROL,
            note="市区因大型活动实行交通管制，安装车辆无法进入。",
        )
        story.finish()

    def _settled(self) -> None:
        """Resolution pending confirmation, objected to, confirmed, cancelled, closed; and the buyers' complaints."""
        staff = self.cast.staff
        pending, story = self._raise(
            "resolved_pending",
            K.HOME_DELIVERY,
            A.PARTLY_PERFORMED,
            "瓷砖只送到一楼大堂，没有送货入户。",
            began=self.now - timedelta(hours=20),
        )
        story.wait(hours=1)
        self._solve(pending, "今晚安排搬运工补送入户。")
        story.wait(hours=18)
        help_request_mark_resolved(
            actor=self.cast.answering(pending), request_id=pending.pk, note="60 平方米瓷砖已全部送入户。"
        )
        story.finish()

        review, story = self._raise(
            "under_review",
            K.SCHEDULED_INSTALL,
            A.NOT_PERFORMED,
            "吊灯一直没安排安装。",
            began=self.now - timedelta(hours=32),
        )
        story.wait(minutes=20)
        self._solve(review, "明天上午安排师傅上门安装。")
        story.wait(hours=20)
        help_request_mark_resolved(actor=self.cast.answering(review), request_id=review.pk, note="师傅已上门安装完毕。")
        story.wait(hours=5)
        help_request_object(
            actor=review.buyer.user, request_id=review.pk, text="师傅根本没来过，灯还在箱子里，请核实。"
        )
        story.wait(minutes=10)
        help_complaint_file(
            actor=review.buyer.user, request_id=review.pk, text="商家谎称已安装，属于违背承诺，请处理。"
        )
        story.finish()

        done, story = self._raise(
            "resolved",
            K.ONSITE_INSTALL,
            A.PARTLY_PERFORMED,
            "插座面板装歪了，还有两个没装。",
            began=self.now - timedelta(days=3),
        )
        story.wait(minutes=30)
        self._solve(done, "下午安排师傅上门重新调整并补装。")
        story.wait(hours=4)
        help_request_mark_resolved(
            actor=self.cast.answering(done), request_id=done.pk, note="已重新调整并补装两个面板。"
        )
        story.wait(hours=6)
        help_request_confirm(actor=done.buyer.user, request_id=done.pk)
        story.wait(hours=1)
        counted = help_complaint_file(
            actor=done.buyer.user, request_id=done.pk, text="约定当天安装，师傅拖了两天才来。"
        )
        story.wait(days=1)
        violation_decide(
            actor=staff["senior"], violation_id=counted.pk, count=True, reason="服务商记录显示上门晚于约定两天。"
        )
        story.finish()

        cancelled, story = self._raise(
            "cancelled",
            K.DELIVERY_AND_INSTALL,
            A.NOT_PERFORMED,
            "提交错了订单。",
            began=self.now - timedelta(days=2),
            dispatch=False,
        )
        story.wait(seconds=5)
        help_request_cancel(actor=cancelled.buyer.user, request_id=cancelled.pk)
        story.finish()

        closed, story = self._raise(
            "closed", K.SCHEDULED_INSTALL, A.NOT_PERFORMED, "空调外机没装。", began=self.now - timedelta(hours=26)
        )
        story.wait(minutes=40)
        help_request_close(actor=staff["senior"], request_id=closed.pk, reason="买家来电告知已自行解决，撤回求助。")
        story.wait(hours=1)
        revoked = help_complaint_file(actor=closed.buyer.user, request_id=closed.pk, text="商家客服电话一直打不通。")
        story.wait(hours=3)
        violation_decide(
            actor=staff["senior"],
            violation_id=revoked.pk,
            count=False,
            reason="买家已自行解决，客服未接通不属于违背承诺。",
        )
        story.finish()
