"""The API reference page (Swagger UI) from the files of the `swagger-ui-bundle` package,
not a CDN, so `/api/docs` works with no network (the README promises offline use)."""

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

DOCS_URL = "/api/docs"
ASSETS_URL = "/api/docs/assets"


def install(app: FastAPI, *, openapi_url: str) -> None:
    app.mount(ASSETS_URL, StaticFiles(directory=swagger_ui_path), name="swagger-ui")

    @app.get(DOCS_URL, include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url, title=f"{app.title} API",
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_URL}/favicon-32x32.png")
