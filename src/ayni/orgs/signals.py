"""What the organisation services announce, for the apps that keep figures by organisation.

Both are sent by the service itself, inside its transaction, after the tree is changed, so a
receiver's writes commit or roll back with the change. Receivers (the kitchens' roll-ups, the
rolls' people counts) connect in their `AppConfig.ready`; the organisation app imports none of
them. The audit trail records the same changes for people to read, and is never a hook: a
renamed action or a bulk insert of audit entries must not move a figure.
"""

from django.dispatch import Signal

# A subtree moved under another parent: every path that started with `old_path` now starts
# with `new_path` (`organisation` is the subtree's root, already at its new place).
subtree_moved = Signal()  # organisation, old_path, new_path

# An organisation's district (UBIGEO) changed from `old_district` to `new_district` (codes or
# None); its path did not.
district_changed = Signal()  # organisation, old_district, new_district
