"""Demo platform intervention cases (客服介入 / 小二介入): one story per stage and staff queue (unassigned, assigned,
decision at risk, decision missed, appealed), each dated back from now through the services
(disputes.management.demo.clock); then the scheduler's sweep as of now flags the decision deadlines and makes a
judgment nobody appealed final. The refund stories open two more cases (disputes.management.demo.refunds)."""

from datetime import datetime, timedelta
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone

from disputes.management.demo.cast import Cast, photo
from disputes.management.demo.clock import Story, decision_due_in
from disputes.management.demo.refunds import RefundStories
from disputes.models import Channel, Ground, Intervention, Outcome, Party, RefundReason, RefundType, SuspendReason
from disputes.models import ViolationKind as V
from disputes.services.interventions.deciding import intervention_appeal, intervention_judge, intervention_review
from disputes.services.interventions.mediation import intervention_propose, intervention_respond
from disputes.services.interventions.opening import intervention_open
from disputes.services.interventions.sweep import intervention_sweep
from disputes.services.interventions.workflow import (
    intervention_accept,
    intervention_assign,
    intervention_escalate,
    intervention_refuse,
    intervention_request_evidence,
    intervention_start_mediation,
    intervention_submit_evidence,
    intervention_suspend,
    intervention_withdraw,
)
from disputes.services.refunds.escalation import refund_request_intervention


class InterventionStories:
    def __init__(self, cast: Cast) -> None:
        self.cast = cast
        self.now = cast.now
        self.staff = cast.staff
        self.refunds = RefundStories(cast)

    def seed(self) -> dict[str, Any]:
        """Every story, then the sweep as of now. Returns the sweep's counts."""
        self._on_refunds()
        self._opened_by_a_party()
        self._filed_by_staff()
        self._decided()
        return intervention_sweep(now=timezone.now()).as_dict()

    def open(self, key: str, ground: str, claim: str, *, began: datetime, **staff_filing: Any) -> tuple[Any, Story]:
        """The buyer of order `key` opens a case on the order page at `began`; or staff file it for them
        (`actor`, `channel`, `on_behalf_of`)."""
        actor = staff_filing.pop("actor", None) or self.cast.buyer(key)
        case = intervention_open(
            actor=actor, ground=ground, claim=claim, order_item_id=self.cast.items[key].pk, **staff_filing
        )
        return case, Story(case, began)

    def accept(self, story: Story, case: Intervention, agent: str, *, by: str | None = None) -> None:
        """`agent` takes the case (or the supervisor `by` assigns it): evidence opens, the decision falls due."""
        if by is None:
            intervention_accept(actor=self.staff[agent], case_id=case.pk)
        else:
            intervention_accept(actor=self.staff[by], case_id=case.pk, assign_to=self.staff[agent])
        story.date_decision_deadline(case)

    def evidence(self, key: str, case: Intervention, party: str, text: str, *, photo_number: int | None = None) -> None:
        actor = self.cast.buyer(key) if party == Party.BUYER else self.cast.merchant(key)
        files: list[UploadedFile] = [] if photo_number is None else [photo(f"证据-{photo_number}.jpg", photo_number)]
        intervention_submit_evidence(actor=actor, case_id=case.pk, text=text, files=files)

    def _on_refunds(self) -> None:
        """A buyer takes a refused refund to the platform: in evidence; closed by a mediation agreement; judged."""
        refunds = self.refunds
        refund, story = refunds.apply(
            "iv_evidence",
            RefundType.REFUND_ONLY,
            RefundReason.COUNTERFEIT,
            "床垫标签上的防伪码在品牌官网查不到，疑似假冒。",
            ago=timedelta(days=4),
            files=[photo("防伪码.jpg", 0)],
        )
        refunds.refused("iv_evidence", refund, story, "本店为品牌授权经销商，可提供授权书。", after=timedelta(hours=6))
        story.wait(days=1)
        case = refund_request_intervention(
            actor=self.cast.buyer("iv_evidence"), refund_id=refund.pk, reason="要求全额退款，并核实商品真伪。"
        )
        story.wait(days=1, hours=18)
        self.accept(story, case, "agent")
        story.wait(hours=4)
        # The buyer's first evidence starts the merchant's 24 hours to answer.
        self.evidence("iv_evidence", case, Party.BUYER, "附品牌客服确认防伪码无效的聊天记录。", photo_number=1)
        story.wait(hours=2)
        intervention_request_evidence(
            actor=self.staff["agent"],
            case_id=case.pk,
            party=Party.MERCHANT,
            note="请提供品牌授权书和该批次的进货单据。",
            due_at=story.frame(story.at + timedelta(days=1)),
        )
        story.finish()

        refund, story = refunds.apply(
            "iv_agreed",
            RefundType.REFUND_ONLY,
            RefundReason.NOT_AS_DESCRIBED,
            "灯具实际直径比详情页标注小了 10 厘米。",
            ago=timedelta(days=6),
        )
        refunds.refused("iv_agreed", refund, story, "尺寸误差在行业允许范围内。", after=timedelta(hours=8))
        story.wait(hours=20)
        case = refund_request_intervention(actor=self.cast.buyer("iv_agreed"), refund_id=refund.pk, reason="要求退款。")
        story.wait(hours=5)
        self.accept(story, case, "agent")
        story.wait(hours=20)
        self.evidence("iv_agreed", case, Party.MERCHANT, "详情页标注的是含灯罩外径，不是灯盘直径。")
        story.wait(days=1)
        intervention_start_mediation(actor=self.staff["agent"], case_id=case.pk)
        story.wait(hours=3)
        proposal = intervention_propose(
            actor=self.staff["agent"],
            case_id=case.pk,
            outcome=Outcome.PARTIAL_REFUND,
            terms="商家退还 600 元，买家保留灯具。",
            refund_fen=60_000,
        )
        story.wait(hours=5)
        intervention_respond(actor=self.cast.buyer("iv_agreed"), proposal_id=proposal.pk, accept=True)
        story.wait(hours=8)
        intervention_respond(actor=self.cast.merchant("iv_agreed"), proposal_id=proposal.pk, accept=True)
        story.finish()

        refund, story = refunds.apply(
            "iv_judged",
            RefundType.REFUND_ONLY,
            RefundReason.QUALITY,
            "开关面板通电后发热严重，有焦味。",
            ago=timedelta(days=8),
            files=[photo("面板发热.jpg", 2)],
        )
        refunds.refused("iv_judged", refund, story, "用户自行接线错误导致。", after=timedelta(hours=4))
        story.wait(days=1)
        case = refund_request_intervention(
            actor=self.cast.buyer("iv_judged"), refund_id=refund.pk, reason="要求全额退款，商家应承担安全责任。"
        )
        story.wait(hours=2)
        self.accept(story, case, "agent")
        story.wait(days=1)
        self.evidence("iv_judged", case, Party.BUYER, "附电工检测报告：接线正确，面板内部短路。", photo_number=3)
        story.wait(hours=6)
        self.evidence("iv_judged", case, Party.MERCHANT, "同批次产品均通过 3C 认证，无质量问题。")
        story.wait(days=1)
        intervention_judge(
            actor=self.staff["agent"],
            case_id=case.pk,
            outcome=Outcome.FULL_REFUND,
            reasons="检测报告显示面板内部短路，属质量问题，支持全额退款。",
            violation_kind=V.REFUSE_RETURN,
        )
        story.finish()

    def _opened_by_a_party(self) -> None:
        """Opened by the buyer on the order page: refused as outside the rules, withdrawn, suspended."""
        case, story = self.open(
            "iv_refused",
            Ground.FORCED_CONSUMPTION,
            "安装师傅要求必须加购 80 元的吊杆配件才肯安装。",
            began=self.now - timedelta(days=3),
        )
        story.wait(hours=4)
        intervention_refuse(
            actor=self.staff["agent"], case_id=case.pk, reason="详情页已写明吊杆需另购，属买家自愿购买，不予受理。"
        )
        story.finish()

        case, story = self.open(
            "iv_withdrawn", Ground.LOGISTICS_NO_UPDATE, "物流 5 天没有更新。", began=self.now - timedelta(days=2)
        )
        story.wait(hours=20)
        intervention_withdraw(actor=self.cast.buyer("iv_withdrawn"), case_id=case.pk, reason="包裹今天送到了。")
        story.finish()

        case, story = self.open(
            "iv_suspended",
            Ground.COUNTERFEIT,
            "耳机序列号在品牌官网查询不到。",
            began=self.now - timedelta(days=9),
            actor=self.staff["senior"],
            channel=Channel.SENIOR,
            on_behalf_of=Party.BUYER,
        )
        story.wait(hours=2)
        self.accept(story, case, "senior")
        story.wait(days=1)
        self.evidence("iv_suspended", case, Party.BUYER, "附官网查询结果截图。", photo_number=4)
        story.wait(days=1)
        intervention_suspend(
            actor=self.staff["senior"],
            case_id=case.pk,
            reason=SuspendReason.BOTH_PARTIES,
            note="双方同意自行协商：商家送品牌售后检测，一周内给出结果。",
        )
        story.finish()

    def _filed_by_staff(self) -> None:
        """Filed by staff for a buyer who chatted or called: a decision due within the day (at risk), assigned to
        admin; and one past its decision deadline (breached), escalated to the senior tier."""
        accepted = decision_due_in(self.now, timedelta(hours=3), timedelta(hours=20))
        case, story = self.open(
            "iv_at_risk",
            Ground.SERVICE_NOT_HONOURED,
            "承诺送货入户，实际只送到小区门口，司机另收上楼费 300 元。",
            began=accepted - timedelta(hours=2),
            actor=self.staff["agent"],
            channel=Channel.ONLINE_CHAT,
            on_behalf_of=Party.BUYER,
        )
        story.wait(hours=2)
        # Assigned to the demo's superuser, so that "Assigned to me" has a case when you log in as admin.
        self.accept(story, case, "admin", by="supervisor")
        story.wait(hours=5)
        self.evidence("iv_at_risk", case, Party.BUYER, "附司机收取上楼费的聊天截图。", photo_number=5)
        story.wait(days=1)
        self.evidence("iv_at_risk", case, Party.MERCHANT, "上楼费为物流公司收取，本店事先不知情。")
        story.wait(days=2)
        intervention_start_mediation(actor=self.staff["admin"], case_id=case.pk)
        story.wait(hours=2)
        proposal = intervention_propose(
            actor=self.staff["admin"],
            case_id=case.pk,
            outcome=Outcome.COMPENSATION,
            terms="商家补偿买家 300 元上楼费（30,000 积分）。",
            compensation_points=30_000,
        )
        story.wait(hours=3)
        intervention_respond(actor=self.cast.buyer("iv_at_risk"), proposal_id=proposal.pk, accept=True)
        story.finish()

        accepted = decision_due_in(self.now, timedelta(days=-3), timedelta(hours=-3))
        case, story = self.open(
            "iv_breached",
            Ground.QUALITY,
            "床架使用两周后横梁开裂，晚上翻身有明显异响。",
            began=accepted - timedelta(hours=3),
            actor=self.staff["agent"],
            channel=Channel.PHONE,
            on_behalf_of=Party.BUYER,
        )
        story.wait(hours=3)
        self.accept(story, case, "agent")
        story.wait(hours=1)
        intervention_escalate(actor=self.staff["agent"], case_id=case.pk, reason="需要质检鉴定，转小二处理。")
        intervention_assign(actor=self.staff["supervisor"], case_id=case.pk, assign_to=self.staff["senior"])
        story.wait(hours=6)
        self.evidence("iv_breached", case, Party.BUYER, "附横梁开裂处的照片。", photo_number=0)
        story.wait(days=1)
        self.evidence("iv_breached", case, Party.MERCHANT, "横梁开裂系买家自行拆装所致。")
        story.wait(days=2)
        intervention_start_mediation(actor=self.staff["senior"], case_id=case.pk)
        story.wait(days=1)
        proposal = intervention_propose(
            actor=self.staff["senior"],
            case_id=case.pk,
            outcome=Outcome.EXCHANGE,
            terms="商家为买家更换同款床架。",
        )
        story.wait(hours=6)
        intervention_respond(actor=self.cast.merchant("iv_breached"), proposal_id=proposal.pk, accept=False)
        story.finish()

    def _decided(self) -> None:
        """Judged and appealed (awaiting review); overturned on review (final); judged long enough ago that the
        sweep makes it final."""
        case, story = self.open(
            "iv_appealed",
            Ground.FALSE_ADVERTISING,
            "详情页写'一级能效'，收到的空调铭牌是三级能效。",
            began=self.now - timedelta(days=9),
        )
        story.wait(hours=6)
        self.accept(story, case, "agent")
        story.wait(hours=3)
        self.evidence("iv_appealed", case, Party.BUYER, "附铭牌照片。", photo_number=1)
        story.wait(hours=20)
        self.evidence("iv_appealed", case, Party.MERCHANT, "该款上月已更新为一级能效，铭牌为旧批次。")
        story.wait(days=2)
        intervention_judge(
            actor=self.staff["agent"],
            case_id=case.pk,
            outcome=Outcome.COMPENSATION,
            reasons="详情页能效标注与实物不符，赔偿买家 200 元（20,000 积分）。",
            compensation_points=20_000,
            violation_kind=V.BREACH_OF_PROMISE,
        )
        story.wait(days=2)
        intervention_appeal(
            actor=self.cast.merchant("iv_appealed"),
            case_id=case.pk,
            reasons="已提交新款能效备案截图，买家收到的批次同样为一级能效，请复核。",
            files=[photo("能效备案.jpg", 2)],
        )
        story.finish()

        case, story = self.open(
            "iv_overturned", Ground.QUALITY, "油烟机电机异响，运行时振动很大。", began=self.now - timedelta(days=14)
        )
        story.wait(hours=3)
        self.accept(story, case, "agent")
        story.wait(days=1)
        self.evidence("iv_overturned", case, Party.BUYER, "附运行时的视频截图。", photo_number=3)
        story.wait(days=1)
        self.evidence("iv_overturned", case, Party.MERCHANT, "师傅检测为烟管固定不牢，已免费加固。")
        story.wait(days=2)
        intervention_judge(
            actor=self.staff["agent"],
            case_id=case.pk,
            outcome=Outcome.SUPPORT_MERCHANT,
            reasons="商家已上门处理，异响系安装固定问题，支持商家。",
        )
        story.wait(days=2)
        intervention_appeal(
            actor=self.cast.buyer("iv_overturned"),
            case_id=case.pk,
            reasons="加固后异响依旧，附第三方维修点出具的电机故障检测单。",
            files=[photo("电机检测单.jpg", 4)],
        )
        story.wait(days=3)
        intervention_review(
            actor=self.staff["senior"],
            case_id=case.pk,
            overturn=True,
            reasons="第三方检测单证实电机故障，改判部分退款 800 元。",
            outcome=Outcome.PARTIAL_REFUND,
            refund_fen=80_000,
            violation_kind=V.BREACH_OF_PROMISE,
        )
        story.finish()

        case, story = self.open(
            "iv_final",
            Ground.LOGISTICS_DAMAGED,
            "置物架到货时外箱破损，两块层板划痕明显。",
            began=self.now - timedelta(days=16),
        )
        story.wait(hours=4)
        self.accept(story, case, "agent")
        story.wait(days=1)
        self.evidence("iv_final", case, Party.BUYER, "附开箱照片。", photo_number=5)
        story.wait(days=1)
        intervention_judge(
            actor=self.staff["agent"],
            case_id=case.pk,
            outcome=Outcome.COMPENSATION,
            reasons="运输破损，商家补偿买家 20 元（2,000 积分）。",
            compensation_points=2_000,
        )
        story.finish()
