"""Der Rückweg ins ERP (docs/export.md): every change made in the portal that the ERP must take over.

- ``kinds``: the CSV files, their columns and the words of the export;
- ``changes``: records a change in the transaction that makes it (one function per source);
- ``runs``: the numbered Exportläufe, their ZIP, the acknowledgement and the retention of the files;
- ``tokens``: the ERP connector's bearer tokens.
"""
