from django.core.mail import EmailMessage
from django_tasks import task


def deliver(to: str, subject: str, body: str) -> None:
    EmailMessage(subject=subject, body=body, to=[to]).send(fail_silently=False)


@task()
def send_mail_task(to: str, subject: str, body: str) -> None:
    deliver(to, subject, body)
