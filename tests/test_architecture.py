"""Which app may import which: the layers contract in pyproject.toml ([tool.importlinter]), run by
import-linter, so a change that makes a lower app import a higher one fails here, naming the
imports. docs/architecture.md explains the layers and how a new domain takes its place."""

from pathlib import Path

from importlinter.api import use_cases

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def test_apps_import_only_from_the_layers_below(capsys):
    # What `lint-imports` runs, in this process; no cache, so nothing is written into the checkout.
    failed = use_cases.lint_imports(config_filename=str(PYPROJECT), cache_dir=None, no_logo=True)
    report = capsys.readouterr().out
    # The broken imports, each with its line; or the whole output when the contract could not run
    # (an ignored import that no longer exists, an app missing from the layers).
    assert failed == use_cases.SUCCESS, "Imports that break the layers (docs/architecture.md):\n" + \
        report[max(report.find("Broken contracts"), 0):]
