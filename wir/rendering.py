"""Full page or fragment from the same partial, the answer after a successful POST, 404 for what is not the user's,
and files (stored or made on demand) sent to the one who may have them."""

from io import BytesIO

from flask import abort, make_response, redirect, render_template, request, send_file

from wir import storage


def or_404(found):
    """What a lookup of ``services.scope`` found, or 404: another tenant's object is as unknown as a missing one."""
    if found is None:
        abort(404)
    return found


def wants_fragment() -> bool:
    # A history restore needs the whole page even though htmx asks for it.
    return bool(request.htmx) and not request.htmx.history_restore_request


def render(page_template: str, fragment: str | None = None, status: int = 200, **context):
    """Render the page, or only ``fragment`` (which the page includes) for an htmx request."""
    template = fragment if fragment and wants_fragment() else page_template
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Request")
    return response


def redirect_after_post(location: str, full_reload: bool = False):
    """303 for a plain form; for htmx HX-Location (loads the page without a full reload), or
    HX-Redirect when the session changed: the <body> carries the CSRF token and session data."""
    if request.htmx:
        response = make_response("", 204)
        response.headers["HX-Redirect" if full_reload else "HX-Location"] = location
        return response
    return redirect(location, code=303)


def send_bytes(content: bytes, mimetype: str, filename: str, inline: bool = False):
    """A file for the one who asked (personal data: never kept in a cache).

    A download (``Content-Disposition: attachment``) unless ``inline``: then the browser shows it itself (a PDF of
    the cooperative in its own PDF viewer), still named ``filename`` when saved from there. Either way the response
    carries wir.security's sandbox policy, so even a file opened as a page runs nothing in the portal's origin.
    """
    return send_file(BytesIO(content), mimetype=mimetype, as_attachment=not inline, download_name=filename,
                     max_age=0)


def send_stored(file, inline: bool = False):
    """A stored file (a document, an attachment: anything with storage_key, content_type and filename)."""
    return send_bytes(storage.load(file.storage_key), file.content_type, file.filename, inline)


DOWNLOAD_ARG = "herunterladen"  # ?herunterladen=1: the „Herunterladen“ link beside a PDF opened in the browser


def wants_download() -> bool:
    """The „Herunterladen“ link of a file otherwise opened in the browser asks for it as an attachment."""
    return request.args.get(DOWNLOAD_ARG) == "1"
