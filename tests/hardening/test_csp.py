"""A Content Security Policy with no inline script or style; the API docs served from the package."""

import re
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parent.parent.parent / "templates"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style|\sstyle\s*=", re.IGNORECASE)


@pytest.mark.parametrize(
    "path", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: str(p.relative_to(TEMPLATES))
)
def test_no_template_has_inline_script_handlers_or_styles(path):
    text = path.read_text()
    assert not INLINE_SCRIPT.search(text)
    assert not HANDLER.search(text)
    assert not INLINE_STYLE.search(text)


def test_pages_carry_a_policy_without_unsafe_inline(client, db):
    response = client.get("/login/")

    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy


def test_swagger_ui_comes_from_the_package_with_its_script_as_a_file(client, db):
    page = client.get("/api/docs/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "cdn" not in html.lower() and "unpkg" not in html.lower() and "jsdelivr" not in html.lower()
    assert not INLINE_SCRIPT.search(html)
    sources = re.findall(r'<script[^>]*\bsrc="([^"]+)"', html)
    assert any("swagger-ui-dist" in src for src in sources)
    init = next(src for src in sources if "script" in src and "swagger-ui-dist" not in src)
    script = client.get(init)
    assert script.status_code == 200 and b"SwaggerUIBundle" in script.content
    bundle = next(src for src in sources if "swagger-ui-bundle" in src)
    assert client.get(bundle).status_code == 200


def test_redoc_comes_from_the_package(client, db):
    page = client.get("/api/redoc/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "cdn" not in html.lower()
    source = re.search(r'<script[^>]*\bsrc="([^"]+redoc[^"]+)"', html).group(1)
    assert client.get(source).status_code == 200
