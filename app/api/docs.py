"""The API reference page (Swagger UI) from the files of the `swagger-ui-py` package, not
a CDN, so `/api/docs` works with no network (the README promises offline use).

Swagger UI 5 is needed: FastAPI writes OpenAPI 3.1, which Swagger UI 4 (what the
`swagger-ui-bundle` package ships) refuses to render ("does not specify a valid version
field"). `swagger-ui-py` ships Swagger UI 5 under Apache-2.0; only its static files are
used."""

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui.utils import SWAGGER_UI_PY_ROOT

DOCS_URL = "/api/docs"
ASSETS_URL = "/api/docs/assets"
SWAGGER_UI_DIR = SWAGGER_UI_PY_ROOT / "static"


def install(app: FastAPI, *, openapi_url: str) -> None:
    app.mount(ASSETS_URL, StaticFiles(directory=SWAGGER_UI_DIR), name="swagger-ui")

    @app.get(DOCS_URL, include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url, title=f"{app.title} API",
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_URL}/favicon-32x32.png")
