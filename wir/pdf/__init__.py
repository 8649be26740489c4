"""PDF builders (fpdf2): one module per document type, each fed with plain dataclasses.

Builders never touch the database or the request, so the portal, the staff area and
the command line print the same documents from the same data. Every builder draws on
``letter.LetterPDF``: the cooperative's letterhead, document number, page numbers and
the embedded Unicode font.

A builder loads fpdf2 (with Pillow and fontTools about 22 MB per process), so the portal
imports one in the function that makes its document, never at the top of a module the
app loads at start: a worker that never prints never holds fpdf2. What is
needed without printing imports no fpdf2: ``data`` (Letterhead, Flat) and ``charset``
(``unprintable``).
"""
