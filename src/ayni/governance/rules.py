"""The statute's arithmetic: quorum and majorities as pure functions, and which rule applies.

Weights are whole numbers (a socia's one vote, a delegate's several), so every comparison is
done in integers: «two thirds» is `3 * yes >= 2 * cast`, never a rounded fraction."""

import datetime

from ayni.governance.models import Majority, Motion, Quorum, StatuteRule
from ayni.orgs.models import Organisation


def rule_for(organisation: Organisation) -> StatuteRule:
    """The organisation's own statute rules, else its kind's defaults, else the model's defaults
    (a kind added after migration 0002 without a row of its own)."""
    own = StatuteRule.objects.filter(organisation=organisation).first()
    if own is not None:
        return own
    default = StatuteRule.objects.filter(kind_id=organisation.kind_id).first()
    return default if default is not None else StatuteRule(kind_id=organisation.kind_id)


def quorum_needed(quorum: str, total: int) -> int:
    """The smallest weight present that makes quorum out of `total`."""
    if quorum == Quorum.HALF_PLUS_ONE:
        return total // 2 + 1
    if quorum == Quorum.TWO_THIRDS:
        return -(-2 * total // 3)
    if quorum == Quorum.THIRD:
        return -(-total // 3)
    return 1  # «con las presentes»: any assembly that meets at all


def quorum_met(quorum: str, present: int, total: int) -> bool:
    return present >= max(1, quorum_needed(quorum, total))


def decide(majority: str, *, yes: int, no: int, abstain: int) -> str:
    """The outcome of a count. Simple majority compares for and against; absolute and two-thirds
    majorities are of the votes cast, abstentions included (an abstention is a vote that does not
    support the motion). As many for as against is a tie, reported as such: not adopted."""
    cast = yes + no + abstain
    if yes and yes == no:
        return Motion.Outcome.TIE
    if majority == Majority.SIMPLE:
        adopted = yes > no
    elif majority == Majority.ABSOLUTE:
        adopted = 2 * yes > cast
    else:
        adopted = cast > 0 and 3 * yes >= 2 * cast
    return Motion.Outcome.ADOPTED if adopted else Motion.Outcome.REJECTED


# A member may answer PRESENTE to the convocation from this long before the first call, on the day.
ATTENDANCE_OPENS_BEFORE = datetime.timedelta(hours=1)
