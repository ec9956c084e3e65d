"""The organisation page's registry part, kept once for everyone with the same reach (issue 22).

What the page shows of the registry — the breadcrumbs (the ancestors she sees), the checklist of
membership requirements with who verified each and when, whether its kind may hold others, and
the organisations within it with their counts — is the same for everyone with the same reach of
`VIEW`, in the same language. Reading it took four queries and a good part of the template on
every view, so it is drawn once and kept (`kitchens.kept.kept_part`) under the revision of the
roll-up cells under the organisation and of the cells of its ancestors (`FiguresRevision`: one
small query, which the page already made for the organisations within it).

Every write the part reads moves that revision in its own transaction:

- an organisation saved, moved or deleted (its name, status, kind, its ancestors' names, its
  children): `summaries.organisation_changed` and `subtree_moved_touch` (kitchens/apps.py);
- a requirement verified, changed or taken back (`orgs.services.verify_requirement`):
  `requirement_changed` below, a model signal on `RequirementCheck`;
- the name of the account that verified one: `verifier_renamed` below, on `User`;
- the checklist's items and the kinds' rules are data of the migrations, not of any page.

Nothing personal about the organisation's people is in it (no socias, no board): only the names
of organisations and of the accounts that verified its documents, which everyone who sees the
page sees.
"""

from django.template.loader import render_to_string

from ayni.accounts.scope import Can
from ayni.kitchens.kept import kept_part
from ayni.kitchens.summaries import touch
from ayni.orgs import selectors as org_selectors
from ayni.orgs.models import Organisation, RequirementItem

# The account's fields that name her in "verificado por …" (`User.__str__`).
VERIFIER_NAME = frozenset({"first_name", "last_name", "username"})


def kept(scope, org) -> dict:
    """The page's kept part for `org` (seen by the scope): a dict of `crumbs`, `requirements` and
    `children` (HTML) and `may_contain` (its kind may hold other organisations)."""
    return kept_part("organisation-page", scope, Can.VIEW, lambda: _draw(scope, org), org.pk,
                     under=org.path, above=org.ancestor_paths(), as_kept=dict)


def _draw(scope, org) -> dict:
    checks = {c.item_id: c for c in org.requirement_checks.select_related("verified_by")}
    children = list(org_selectors.children_with_counts(scope, org))
    return {
        # rstrip: the templates' last newline is not the page's (the crumbs end with "› ").
        "crumbs": render_to_string("orgs/_crumbs.html", {
            "ancestors": [a for a in org.ancestors() if scope.holds(Can.VIEW, a)]}).rstrip("\n"),
        "requirements": render_to_string("orgs/_requirements.html", {
            "requirements": [(item, checks.get(item.code)) for item in RequirementItem.objects.all()]}).rstrip("\n"),
        "children": render_to_string("orgs/_children.html", {
            "org": org, "children": children, "summary": org_selectors.subtree_summary(scope, org),
        }) if children else "",
        "may_contain": org.kind.may_contain.exists(),
    }


def requirement_changed(sender, instance, **kwargs) -> None:
    """A requirement was verified, changed or taken back: the organisation's page shows it at
    once (in the saving transaction)."""
    if sender.organisation.is_cached(instance):
        path = instance.organisation.path  # verify_requirement holds the organisation: no query
    else:
        path = Organisation.objects.filter(pk=instance.organisation_id).values_list("path", flat=True).first()
    if path:
        touch(path)


def verifier_renamed(sender, instance, created=False, update_fields=None, **kwargs) -> None:
    """An account that verified requirements changed its name (or is deleted, and its checks lose
    it): the pages that name her are drawn afresh. A sign-in saves only `last_login`, a new
    account verified nothing: no query for them."""
    if created or (update_fields is not None and not VERIFIER_NAME & set(update_fields)):
        return
    touch(Organisation.objects.filter(requirement_checks__verified_by=instance)
          .values_list("path", flat=True).distinct())
