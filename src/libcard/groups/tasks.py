from django_tasks import task

from libcard.groups.issuance import cards_issue


@task()
def issue_cards_task(application_id: int) -> None:
    cards_issue(application_id=application_id)
