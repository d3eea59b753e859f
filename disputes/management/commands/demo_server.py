"""make demo's web server: Django's development server (static files included) that announces, once it listens,
only what a newcomer opens next: the admin, the API and its documentation."""

from typing import Any

from django.contrib.staticfiles.management.commands.runserver import Command as RunserverCommand


class Command(RunserverCommand):
    help = "Development web server for `make demo`: runserver, announcing the admin and API addresses in one line."
    # Set by runserver's handle() (the stubs do not declare them).
    addr: str
    _raw_ipv6: bool

    def on_bind(self, server_port: int) -> None:
        host = f"[{self.addr}]" if self._raw_ipv6 else "0.0.0.0" if self.addr == "0" else self.addr
        base = f"{self.protocol}://{host}:{server_port}"
        self.stdout.write(f"Admin {base}/admin/ · API {base}/api/ · API documentation {base}/api/schema/swagger-ui/")
        self.stdout.write("Ctrl-C stops the web server, the worker and the scheduler.")

    def handle(self, *args: Any, **options: Any) -> None:
        # Checks already ran with `migrate`; the demo is not a deployment, so no development-server warning either.
        options["skip_checks"] = True
        super().handle(*args, **options)
