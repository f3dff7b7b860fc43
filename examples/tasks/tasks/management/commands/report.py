"""The nightly report: prints how many tasks are open and done."""
from django.core.management.base import BaseCommand

from tasks.models import Task


class Command(BaseCommand):
    help = "Print the open and done task counts."

    def handle(self, *args, **options):
        done = Task.objects.filter(done=True).count()
        self.stdout.write(f'{{"open": {Task.objects.count() - done}, "done": {done}}}')
