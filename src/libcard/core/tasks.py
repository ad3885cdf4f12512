from django_tasks import task

from libcard.core.mail import deliver


@task()
def send_mail_task(to: str, subject: str, body: str) -> None:
    deliver(to, subject, body)
