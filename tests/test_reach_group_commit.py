"""The raw submissions of requests that store at the same moment share one commit
(`reach.fast._GroupCommit`): one fsync of the database's log for all, each request answered only
after it. A resend that races its first copy inside one group finds the first, and a request alone
commits at once."""

import threading
import time

import pytest

from ayni.accounts.models import User
from ayni.capture.models import Channel, Inbound
from ayni.reach import fast


def raw(user, client_id: str) -> Inbound:
    return Inbound(channel=Channel.ODK, kind=Inbound.Kind.REPORT, payload={"format": "openrosa", "xml": "<x/>"},
                   payload_hash=client_id, user=user, client_id=client_id)


def test_requests_waiting_while_one_commits_are_committed_together_in_one_group(monkeypatch):
    group, groups = fast._GroupCommit(), []
    monkeypatch.setattr(fast, "_insert_one", lambda i: (groups.append([i]), (i, True))[1])
    monkeypatch.setattr(fast, "_insert_many", lambda items: (groups.append(items), [(i, True) for i in items])[1])
    with group.cond:
        group.busy = True  # someone is committing: those who come now wait for the next group
    answers = {}
    threads = [threading.Thread(target=lambda n=n: answers.setdefault(n, group.insert(f"submission {n}")))
               for n in range(3)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 10
    while len(group.waiting) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    with group.cond:  # the commit under way ends
        group.busy = False
        group.cond.notify_all()
    for thread in threads:
        thread.join(10)
    # One group: one transaction, one commit, for the three.
    assert len(groups) == 1 and sorted(groups[0]) == [f"submission {n}" for n in range(3)]
    assert answers == {n: (f"submission {n}", True) for n in range(3)}  # each answered its own
    assert group.insert("alone") == ("alone", True) and groups[-1] == ["alone"]  # alone: at once


def test_an_error_in_the_group_reaches_every_request_of_it(monkeypatch):
    group = fast._GroupCommit()
    monkeypatch.setattr(fast, "_insert_one", lambda i: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        group.insert("submission")
    assert not group.busy and not group.waiting  # the next request commits again


@pytest.mark.django_db(transaction=True)
def test_a_group_stores_each_once_and_a_resend_in_it_finds_the_first():
    rosa = User.objects.create_user("rosa-grupo")
    first, again = raw(rosa, "uuid:a/1"), raw(rosa, "uuid:a/1")
    stored = fast._insert_many([first, raw(rosa, "uuid:b/2"), again])
    assert [created for _inbound, created in stored] == [True, True, False]
    assert stored[2][0].pk == stored[0][0].pk  # the resend answered with the first one
    assert Inbound.objects.filter(user=rosa).count() == 2
    assert fast.insert(raw(rosa, "uuid:a/1"))[1] is False  # later, alone: found, not stored twice
