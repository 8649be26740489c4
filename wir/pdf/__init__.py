"""PDF builders (fpdf2): one module per document type, each fed with plain dataclasses.

Builders never touch the database or the request, so the portal, the staff area and
the command line print the same documents from the same data. Every builder draws on
``letter.LetterPDF``: the cooperative's letterhead, document number, page numbers and
the embedded Unicode font.
"""
