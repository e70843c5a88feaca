"""The docs guard the public surface: every setting is described and listed in the
README, and the README's set-up commands are the ones CI runs."""

from app.core.config import PROJECT_ROOT, Settings
from scripts.settings_table import rows

README = (PROJECT_ROOT / "README.md").read_text()


def test_every_setting_has_a_description_and_is_in_the_readme() -> None:
    for env, _default, description in rows(Settings):
        assert description, f"{env} has no description"
        assert f"`{env}`" in README, f"{env} is missing from the README settings table"


def test_readme_gives_the_two_setup_commands_and_ci_runs_the_test_one() -> None:
    assert "make run" in README and "make test" in README
    assert "make test" in (PROJECT_ROOT / ".ci" / "run").read_text()
