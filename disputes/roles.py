"""Staff roles as code: the groups for agents, senior agents (小二) and supervisors, and their permissions.

Migrations call sync_roles so every deployment has the same groups; a migration that adds
models calls it again. The permissions are listed explicitly, so a review shows who may do what.
"""

from typing import Any

AGENT = "Customer-service agent (客服)"
SENIOR_AGENT = "Senior agent (小二)"
SUPERVISOR = "Supervisor (主管)"

_CORE_MODELS = (
    "merchant",
    "serviceprovider",
    "servicedesignation",
    "buyer",
    "supportedcity",
    "product",
    "order",
    "orderitem",
    "servicecommitment",
)
_LEDGER_MODELS = ("buyerpointsentry", "merchantaccountentry", "platformadvanceentry")
_CASE_MODELS = (
    "helprequest",
    "forcemajeureclaim",
    "violation",
    "refundrequest",
    "refundevidence",
    "expressclaim",
    "intervention",
    "evidenceitem",
    "evidencerequest",
    "mediationproposal",
    "judgment",
    "appeal",
)

_VIEW_ALL = [
    f"disputes.view_{m}" for m in (*_CORE_MODELS, *_LEDGER_MODELS, *_CASE_MODELS, "policy", "policychange", "event")
]
# The webhook delivery log (never the secrets: the admin does not show them to anyone).
_VIEW_ALL += ["disputes.view_webhookendpoint", "disputes.view_webhookdelivery", "disputes.view_webhookattempt"]
_VIEW_ALL += ["django_fsm_log.view_statelog"]
# Staff who review a force-majeure claim download its evidence through the admin.
_VIEW_ALL += ["disputes.view_forcemajeureevidence"]

_AGENT = [
    *_VIEW_ALL,
    "disputes.change_helprequest",  # the admin's transition buttons; the fields stay read-only
    "disputes.record_solution_helprequest",
    "disputes.change_refundrequest",
    "disputes.act_on_behalf_refundrequest",
    "disputes.change_intervention",
    "disputes.work_intervention",
]
_SENIOR = [
    *_AGENT,
    "disputes.decide_forcemajeureclaim",
    "disputes.rule_objection_helprequest",
    "disputes.verify_express_refundrequest",
    "disputes.change_expressclaim",
    "disputes.review_intervention",
]
_SUPERVISOR = [
    *_SENIOR,
    *[f"disputes.{verb}_{m}" for verb in ("add", "change") for m in _CORE_MODELS],
    "disputes.add_merchantuser",
    "disputes.change_merchantuser",
    "disputes.view_merchantuser",
    "disputes.add_serviceprovideruser",
    "disputes.change_serviceprovideruser",
    "disputes.view_serviceprovideruser",
    "disputes.change_policy",
    "disputes.assign_intervention",
    "disputes.redeliver_webhookdelivery",
    "disputes.view_idempotencykey",
    "disputes.add_merchantaccountentry",
    "disputes.add_buyerpointsentry",
    "django_celery_beat.view_periodictask",
    "django_celery_beat.change_periodictask",
    "django_celery_beat.view_intervalschedule",
    "django_celery_beat.view_crontabschedule",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {AGENT: _AGENT, SENIOR_AGENT: _SENIOR, SUPERVISOR: _SUPERVISOR}


def sync_roles(apps: Any) -> None:
    """Create the groups and set their permissions; permissions not defined yet are skipped."""
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for name, perms in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=name)
        wanted = []
        for perm in perms:
            app_label, codename = perm.split(".", 1)
            found = permission_model.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if found is not None:
                wanted.append(found)
        group.permissions.set(wanted)


def ensure_permissions(apps: Any) -> None:
    """Create content types and permissions now (Django otherwise does it only after migrate)."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
