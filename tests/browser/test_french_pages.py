"""The pages beyond the chat in French, in a real browser (a French Chromium: its
Accept-Language chooses the language): the contribution form built by the script from
the record schema, a use-case record, the review queue and the feedback page for a
reviewer. Each is `<html lang="fr">` and shows its own words, the schema's field names
and the vocabularies' codes in French; of the API's validation reasons (English), the
commonest ("Field required") is named in French."""

import httpx
import pytest

from app.services.auth import Role
from tests.browser.test_pages import (  # noqa: F401 (fixtures)
    Site,
    browser,
    expect,
    page_for,
    shoot,
    sign_in,
    site,
)
from tests.factories import new_usecase

pytestmark = pytest.mark.slow
PENDING = "essai-relecture-en-francais"


def test_the_contribution_form_is_in_french(site: Site, page_for) -> None:  # type: ignore[no-untyped-def]
    page = page_for(locale="fr-FR")
    page.goto(site.url + "/contribute")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page).to_have_title("Contribuer · GAIOS")
    expect(page.locator("#usecase-submit")).to_have_text("Envoyer pour relecture")
    expect(page.locator("#usecase-form h3.section-title").first).to_have_text("Le cas d’usage")
    expect(page.locator('label[for="f-lifecycle_stage"]')).to_have_text("Stade du cycle de vie *")
    stage = page.locator("#f-lifecycle_stage option[value=experiment]")
    expect(stage).to_have_text("Expérimentation")
    expect(page.locator("#f-hosting option[value=on_premise]")).to_have_text("Sur site")
    expect(page.locator('[data-path="data_sensitivity"] label')).to_contain_text(
        "Sensibilité des données")
    expect(page.locator("#hint-f-organisations-0-country")).to_contain_text("Code pays ISO 3166-1")
    expect(page.get_by_role("button", name="Ajouter une autre organisation")).to_be_visible()
    expect(page.locator("#doc-type option[value=white_paper]")).to_have_text("Livre blanc")

    sign_in(page, site.key("Contributrice", Role.contributor), "contributeur")
    page.click("#usecase-submit")
    errors = page.locator("#usecase-errors")
    expect(errors.locator("h3")).to_have_text(
        "Le cas d’usage n’a pas été accepté : veuillez corriger ces champs")
    expect(errors).to_contain_text("Titre : Champ obligatoire")  # the API's commonest reason
    expect(page.locator("#err-title")).to_have_text("Champ obligatoire")
    shoot(page, "contribute-fr.png", until='[data-path="description"]')


def test_a_record_is_shown_in_french(site: Site, page_for) -> None:  # type: ignore[no-untyped-def]
    page = page_for(locale="fr-FR")
    page.goto(site.url + "/usecases/insee-nace-relabelling")
    expect(page.locator("#usecase")).not_to_have_attribute("aria-busy", "true")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("link", name="Télécharger en YAML")).to_be_visible()
    expect(page.get_by_role("heading", name="Historique des versions")).to_be_visible()
    expect(page.locator(".detail-head-badges")).to_contain_text("Stade : ")
    expect(page.locator("dl.fields dt", has_text="Stade du cycle de vie")).to_be_visible()
    expect(page.locator("dl.fields dt", has_text="Sous-processus du GSBPM 5.1")).to_be_visible()
    # GSBPM keeps its published English names.
    expect(page.get_by_role("link", name="5.2 Classify and code")).to_be_visible()


def test_the_review_queue_and_the_feedback_page_are_in_french(site: Site, page_for) -> None:  # type: ignore[no-untyped-def]
    contributor = site.key("Contributeur", Role.contributor)
    sent = httpx.post(site.url + "/api/v1/usecases", headers={"X-API-Key": contributor},
                      json=new_usecase(id=PENDING, title="Essai de relecture en français"),
                      timeout=120)  # the duplicate check may load the embedding model first
    assert sent.status_code == 201, sent.text
    page = page_for(locale="fr-FR")
    page.goto(site.url + "/review")
    expect(page.locator("#review-signin")).to_have_text(
        "La file de relecture est réservée aux relecteurs. Connectez-vous avec une clé de "
        "relecteur ou d’administrateur (en haut de la page).")
    sign_in(page, site.key("Relectrice", Role.reviewer), "relecteur")
    item = page.locator(f'.review-item[data-id="{PENDING}"]')
    expect(item.locator(".badge")).to_have_text("Nouvelle contribution")
    expect(item.locator("caption").first).to_have_text(
        "Nouveau cas d’usage : pas encore de version publiée ; tous les champs sont nouveaux")
    expect(item.locator("thead th").nth(2)).to_have_text("Version proposée")
    expect(item.locator('tr[data-field="lifecycle_stage"] th')).to_have_text(
        "Stade du cycle de vie")
    item.get_by_role("button", name="Rejeter").click()
    expect(item.locator(".field-error")).to_have_text(
        "Un commentaire est obligatoire pour rejeter une contribution.")
    shoot(page, "review-fr.png")

    page.locator('.site-nav a[href="/feedback"]').click()
    expect(page).to_have_title("Avis · GAIOS")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_label("Uniquement avec un commentaire")).to_be_visible()
    page.select_option("#fb-rating", "-1")
    page.get_by_role("button", name="Afficher").click()
    expect(page.locator("#feedback-count")).to_have_text("0 évaluation")
    expect(page.locator(".notice")).to_have_text("Aucune évaluation ne correspond à ces filtres.")
    expect(page.get_by_role("link", name="Télécharger en CSV")).to_be_visible()
