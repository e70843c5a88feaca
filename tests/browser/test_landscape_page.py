"""The landscape page in a real browser: a heatmap cell opens the use-case browser with
that phase and stage, showing as many records as the cell said; the page fits a phone."""

import httpx
import pytest

from tests.browser.test_pages import (  # noqa: F401 (fixtures)
    Site,
    browser,
    expect,
    page_for,
    shoot,
    site,
)

pytestmark = pytest.mark.slow


def test_a_heatmap_cell_opens_the_browser_filtered_to_it(site: Site, page_for) -> None:  # type: ignore[no-untyped-def]
    expected = httpx.get(f"{site.url}/api/v1/usecases", params={"gsbpm": "5", "stage": "experiment"}
                         ).json()["count"]
    assert expected > 1
    page = page_for()
    page.goto(site.url + "/landscape")
    expect(page).to_have_title("Landscape · GAIOS")
    cell = page.locator('svg.heatmap a[href="/usecases?gsbpm=5&stage=experiment"]')
    expect(cell).to_contain_text(str(expected))
    shoot(page, "landscape.png")
    cell.click()
    expect(page).to_have_url(f"{site.url}/usecases?gsbpm=5&stage=experiment")
    expect(page.locator("#results-heading")).to_have_text(f"{expected} use cases")
    expect(page.locator("#active-filters")).to_contain_text("Stage: Experiment")


def test_filters_narrow_the_landscape_and_each_chart_has_its_table(site: Site, page_for) -> None:  # type: ignore[no-untyped-def]
    page = page_for()
    page.goto(site.url + "/landscape?org_type=international_org")
    total = httpx.get(f"{site.url}/api/v1/usecases", params={"org_type": "international_org"}
                      ).json()["count"]
    expect(page.locator(".landscape-scope strong")).to_have_text(str(total))
    charts = page.locator(".landscape-chart")
    assert charts.count() == 7
    for i in range(charts.count()):
        chart = charts.nth(i)
        assert chart.locator("svg[role=img] title").count() == 1
        chart.locator("summary").click()
        expect(chart.locator("table.figures caption")).to_be_visible()
    page.get_by_role("link", name="Browse these use cases").click()
    expect(page.locator("#results-heading")).to_have_text(f"{total} use cases")
    expect(page.locator("#active-filters")).to_contain_text("Organisation type: International")


def test_landscape_fits_a_phone_screen(site: Site, page_for) -> None:  # type: ignore[no-untyped-def]
    page = page_for(390, 844)
    page.goto(site.url + "/landscape")
    expect(page.locator("svg.heatmap")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_a_harvested_record_shows_where_it_comes_from(site: Site, page_for) -> None:  # type: ignore[no-untyped-def]
    from app.services.roles import OPERATOR
    from tests.harvest_helpers import catalogue, dataset, start_organisation

    organisation = start_organisation()
    fake = next(organisation)
    try:
        url = fake.serve_json("/catalogue.jsonld", catalogue(dataset(
            "occ-coding", title="Occupation coding with a small open model",
            description="Job titles are coded to ISCO-08 by an open model; coders check.")))
        site.container.harvest.add_source("harvestland", url, kind="dcat", by=OPERATOR)
        assert site.container.harvest.run("harvestland", by=OPERATOR)[0].added
    finally:
        organisation.close()
    page = page_for()
    page.goto(site.url + "/usecases/harvestland-occ-coding")
    section = page.locator("section", has_text="Harvested from another repository")
    expect(section).to_contain_text("read-only here")
    expect(section.get_by_role("link", name="occ-coding")).to_have_attribute(
        "href", "https://cat.example/dataset/occ-coding")
    expect(section).to_contain_text("https://creativecommons.org/licenses/by/4.0/")
