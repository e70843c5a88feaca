"""The landscape: its figures are the browser's counts, its links are the browser's
filters, bad filters are refused, and `gaios report landscape` writes the same page."""

import re
from pathlib import Path

from click.testing import CliRunner
from fastapi.testclient import TestClient

from app.cli import main
from app.core.config import Settings

CELL = re.compile(r'<a href="/usecases\?([^"]+)" aria-label="(\d+) use cases? in ')


def count(client: TestClient, query: str) -> int:
    return int(client.get(f"/api/v1/usecases?{query}").json()["count"])


def test_every_heatmap_cell_is_the_count_the_browser_shows(client: TestClient) -> None:
    page = client.get("/landscape")
    assert page.status_code == 200
    cells = CELL.findall(page.text)
    assert len(cells) >= 10
    for query, number in cells:
        assert count(client, query.replace("&amp;", "&")) == int(number), query


def test_filters_apply_to_every_figure_and_to_the_links(client: TestClient) -> None:
    page = client.get("/landscape", params={"stage": "production"}).text
    total = count(client, "stage=production")
    assert f"<strong>{total}</strong> published use cases" in page
    assert 'href="/usecases?stage=production&amp;openness=' in page
    assert 'href="/usecases?stage=pilot' not in page


def test_the_landscape_speaks_the_readers_language(client: TestClient) -> None:
    page = client.get("/landscape?lang=fr").text
    assert '<html lang="fr">' in page and "cas d’usage publiés ; filtres :" in page
    assert '<h2 id="h-org_type">Type d’organisation</h2>' in page
    assert ">Institut national de statistique</a>" in page  # a code named in French
    assert "<caption>Cas d’usage par phase du GSBPM (lignes)" in page
    assert ">Expérimentation</th>" in page and "Table of these figures" not in page


def test_unknown_filter_value_is_a_422_page_naming_it(client: TestClient) -> None:
    page = client.get("/landscape", params={"stage": "bogus"})
    assert page.status_code == 422
    assert "stage: unknown value" in page.text and "<h1>" in page.text


def test_landscape_follows_anonymous_read(settings: Settings) -> None:
    from app.main import create_app

    closed = settings.model_copy(update={"anonymous_read": False})
    with TestClient(create_app(closed)) as client:
        assert client.get("/landscape").status_code == 401


def test_report_command_writes_a_self_contained_page(settings: Settings, tmp_path: Path,
                                                     monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("GAIOS_DATA_DIR", str(settings.data_dir))
    out = tmp_path / "landscape.html"
    result = CliRunner().invoke(main, ["report", "landscape", "--out", str(out), "--filter",
                                       "gsbpm=5", "--base-url", "https://gaios.example"])
    assert result.exit_code == 0, result.output
    html = out.read_text()
    assert "<style>" in html and 'src="http' not in html and "<script" not in html
    assert 'href="https://gaios.example/usecases?gsbpm=5&amp;stage=' in html
    french = CliRunner().invoke(main, ["report", "landscape", "--out", str(out), "--lang", "fr"])
    assert french.exit_code == 0, french.output
    report = out.read_text()
    assert '<html lang="fr">' in report and "Panorama de l’IA générative" in report
    bad = CliRunner().invoke(main, ["report", "landscape", "--out", str(out), "--filter", "x"])
    assert bad.exit_code != 0 and "NAME=VALUE" in bad.output


def test_upgrade_adds_the_new_facets_to_records_published_before(tmp_path: Path) -> None:
    import json

    from alembic import command
    from sqlalchemy import text

    from app.db.session import Database, upgrade
    from tests.db_helpers import alembic_config
    from tests.factories import new_usecase

    database = Database(f"sqlite:///{tmp_path / 'old.db'}")
    with database.engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0006")
        connection.execute(text(
            "INSERT INTO usecases (id, origin, latest_revision, published_revision, deleted, title,"
            " search_text, created_at, updated_at) VALUES ('demo', 'curated', 1, 1, :no, 't', '',"
            " '2026-01-01', '2026-01-01')"), {"no": False})
        connection.execute(text(
            "INSERT INTO usecase_revisions (usecase_id, number, status, data, content_hash, author,"
            " created_at) VALUES ('demo', 1, 'published', :data, 'x', 'test', '2026-01-01')"),
            {"data": json.dumps(new_usecase(id="demo", year_reported="2024"))})
    upgrade(database.engine)
    with database.engine.connect() as connection:
        facets = set(connection.execute(text(
            "SELECT facet, value FROM usecase_facets WHERE usecase_id = 'demo'")).all())
    assert facets == {("org_type", "nso"), ("year", "2024"), ("org_key", "demo statistics office"),
                      ("org_key", "dso")}
    database.engine.dispose()
