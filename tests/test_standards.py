"""Standards the published data meets: JSON Schema documents with `$schema` and `$id`,
and a JSON-LD export that parses as RDF and conforms to DCAT-AP (SHACL shapes)."""

from pathlib import Path

import jsonschema
import pyshacl
import pytest
from fastapi.testclient import TestClient
from rdflib import RDF, Graph, Literal, Namespace, URIRef


SHAPES = Path(__file__).parent / "data" / "dcat-ap-shapes.ttl"
GAIOS_EXAMPLE = Namespace("http://testserver/api/v1/")
# Open namespaces (rdflib's closed ones warn when pytest inspects this module).
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")


@pytest.mark.parametrize("record_type", ["usecase", "document"])
def test_each_record_type_is_a_standalone_json_schema(client: TestClient, record_type: str) -> None:
    alone = client.get(f"/api/v1/schema/{record_type}").json()
    assert alone["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert alone["$id"] == f"http://testserver/api/v1/schema/{record_type}"
    jsonschema.Draft202012Validator.check_schema(alone)
    assert client.get("/api/v1/schema").json()[record_type] == alone


def test_published_records_validate_against_the_published_schema(client: TestClient) -> None:
    validator = jsonschema.Draft202012Validator(client.get("/api/v1/schema/usecase").json(),
                                                format_checker=jsonschema.FormatChecker())
    for record in client.get("/api/v1/export").json():
        assert not list(validator.iter_errors(record)), record["id"]


def test_unknown_record_type_is_404_in_the_error_shape(client: TestClient) -> None:
    response = client.get("/api/v1/schema/dataset")
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "not_found" and "usecase" in response.json()[
        "error"]["message"]


@pytest.fixture
def catalogue(client: TestClient) -> Graph:
    response = client.get("/api/v1/export", params={"format": "jsonld"})
    assert response.headers["content-type"].startswith("application/ld+json")
    return Graph().parse(data=response.text, format="json-ld")


def test_jsonld_export_is_a_dcat_catalogue_of_datasets(client: TestClient, catalogue: Graph) -> None:
    published = client.get("/api/v1/export").json()
    (catalog,) = catalogue.subjects(RDF.type, DCAT.Catalog)
    datasets = set(catalogue.objects(catalog, DCAT.dataset))
    assert len(datasets) == len(published)
    assert all((d, RDF.type, DCAT.Dataset) in catalogue for d in datasets)
    assert not set(catalogue.subjects(RDF.type, DCAT.Resource))
    (publisher,) = catalogue.objects(catalog, DCTERMS.publisher)
    assert catalogue.value(publisher, FOAF.name) == Literal("GAIOS")


def test_jsonld_licence_is_an_iri_and_themes_are_gsbpm_concepts(catalogue: Graph) -> None:
    statschat = URIRef(GAIOS_EXAMPLE["usecases/ons-statschat"])
    (distribution,) = catalogue.objects(statschat, DCAT.distribution)
    assert catalogue.value(distribution, DCTERMS.license) == URIRef(
        "http://publications.europa.eu/resource/authority/licence/CC_BY_4_0")
    themes = set(catalogue.objects(statschat, DCAT.theme))
    assert themes and all((t, SKOS.inScheme, URIRef(GAIOS_EXAMPLE["vocabularies#gsbpm"]))
                          in catalogue for t in themes)
    labels = {str(catalogue.value(t, SKOS.prefLabel)) for t in themes}
    assert all(labels) and None not in labels


def test_jsonld_export_conforms_to_the_dcat_ap_shapes(catalogue: Graph) -> None:
    conforms, _, report = pyshacl.validate(catalogue, shacl_graph=str(SHAPES),
                                           shacl_graph_format="turtle", inference="none")
    assert conforms, report
