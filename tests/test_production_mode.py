"""Production mode (DJANGO_ENV=production), checked in a fresh interpreter because the settings read the
environment once, at import: `check --deploy` is clean, the admin sends a Content-Security-Policy, and the API's
schema and its UI answer signed-in callers only."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _production(*args: str, code: str | None = None) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DJANGO_ENV": "production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
        "DJANGO_ALLOWED_HOSTS": "testserver,backoffice.example.com",
        "DJANGO_SETTINGS_MODULE": "backoffice.settings",
    }
    command = [sys.executable, "-c", code] if code else [sys.executable, "manage.py", *args]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_check_deploy_is_clean_in_production():
    result = _production("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


ANSWERS = """
import json, django
django.setup()
from django.conf import settings
from django.test import Client
from django.test.utils import override_settings
# Production serves collectstatic's hashed names; this check does not run collectstatic, so plain names it is.
plain = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
client = Client()
answers = {}
with override_settings(STORAGES=plain):
    for path in ("/api/schema/", "/api/schema/swagger-ui/", "/admin/login/"):
        resp = client.get(path, secure=True)
        headers = [resp.get("Content-Security-Policy", ""), resp.get("Strict-Transport-Security", "")]
        answers[path] = [resp.status_code, *headers]
print(json.dumps(answers))
"""


def test_the_schema_needs_a_login_and_the_admin_sends_csp_and_hsts_in_production():
    result = _production(code=ANSWERS)
    assert result.returncode == 0, result.stderr
    answers = json.loads(result.stdout.strip().splitlines()[-1])
    assert answers["/api/schema/"][0] == 401
    assert answers["/api/schema/swagger-ui/"][0] in (401, 403)
    status, csp, hsts = answers["/admin/login/"]
    assert status == 200
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert "unsafe-inline" not in csp.split("script-src", 1)[1].split(";", 1)[0]
    assert hsts == "max-age=31536000; includeSubDomains; preload"
