"""The layout's navigation and links (wir/navigation.py, templates/base.html, templates/_navigation.html)."""

import re

import pytest


@pytest.mark.parametrize("who", ["tenant", "anonymous"])
def test_the_layouts_urls_follow_the_root_a_proxy_mounts_the_portal_under(client, auth, data, who):
    """The layout's URLs are built once per app root (navigation.fixed_url): a request under a prefix
    (SCRIPT_NAME) gets them with it, the next one without a prefix without it, whichever came first."""
    if who == "tenant":
        auth.login_as("juergen")
    for root in ("/portal", "", "/wir", ""):
        html = client.get("/impressum", base_url=f"http://localhost{root}").get_data(as_text=True)
        links = re.findall(r'(?:href|src|action)="(/[^"]*)"', html)
        assert f"{root}/static/css/wir.css" in links and f"{root}/impressum" in links
        assert (f"{root}/vertraege/" in links and f"{root}/dokumente/" in links) == (who == "tenant")
        assert all(link.startswith(root + "/") for link in links), root
