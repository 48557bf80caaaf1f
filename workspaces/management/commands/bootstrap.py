"""First-run set-up: an admin account (password printed once) and a demo workspace on the sandbox."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand
from django.db import transaction

from sandbox.keys import sandbox_info
from workspaces.models import Connection, Workspace
from workspaces.services import connection_update, generate_password, workspace_create

DEMO_NAME = "Demo workspace"


class Command(BaseCommand):
    help = "Create the admin user and the demo workspace, the first time only."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--username", default="admin")

    @transaction.atomic
    def handle(self, *args, username: str, **options) -> None:
        if User.objects.filter(username=username).exists():
            self.stdout.write(f"Admin user {username!r} exists already; nothing to do.")
            return
        password = generate_password()
        admin = User.objects.create_superuser(username=username, email="", password=password)
        workspace = Workspace.objects.filter(name=DEMO_NAME).first() or workspace_create(
            name=DEMO_NAME, owner=admin
        )
        if settings.SANDBOX_ENABLED:
            info = sandbox_info()
            connection_update(
                workspace=workspace,
                kind=Connection.Kind.CUSTOM_VISION,
                actor=admin,
                endpoint=info["custom_vision"]["endpoint"],
                secret=info["custom_vision"]["training_key"],
            )
            connection_update(
                workspace=workspace,
                kind=Connection.Kind.VISION,
                actor=admin,
                endpoint=info["vision"]["endpoint"],
                secret=info["vision"]["key"],
            )
        connection_update(
            workspace=workspace,
            kind=Connection.Kind.STORAGE,
            actor=admin,
            storage_auth=Connection.StorageAuth.LOCAL,
            container="exports",
        )
        bar = "=" * 64
        self.stdout.write(
            f"\n{bar}\n  Visionport admin account (shown once, keep it safe)\n"
            f"    username: {username}\n    password: {password}\n"
            f"  Demo workspace: {workspace.name} (connected to the sandbox)\n{bar}\n"
        )
