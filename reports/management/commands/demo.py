from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from reports.demo import load_demo


class Command(BaseCommand):
    help = "Load the bundled Mongolia demo (idempotent)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--password", default="demo", help="Password of the demo users."
        )

    def handle(self, *args: Any, password: str, **options: Any) -> None:
        summary = load_demo(password=password)
        for step in summary.steps:
            self.stdout.write(step)
        self.stdout.write(f"Demo users (password: {password}):")
        for username, role, purpose in summary.users:
            self.stdout.write(f"  {username:<11} {role:<12} {purpose}")
