"""CMS NCCI procedure-to-procedure (PTP) edits and medically unlikely edits (MUEs), offline, by quarter.

Modules (nothing is imported here, so ``import desktop.core.ncci.model`` loads only what it names):

- :mod:`desktop.core.ncci.model`: the frozen data (:class:`~desktop.core.ncci.model.PtpEdit`,
  :class:`~desktop.core.ncci.model.Mue`, versions, tables with their lookups, the choice by date of service);
- :mod:`desktop.core.ncci.reader`: GuideCode's own on-disk format (``ncci/tables.yaml`` + CSV files,
  ``docs/ncci.md``), read with every problem located, and written;
- :mod:`desktop.core.ncci.cms`: CMS's quarterly release files as CMS publishes them (zip, text, CSV, xlsx);
- :mod:`desktop.core.ncci.importer`: CMS files → a dated data pack holding the rows GuideCode can use;
- :mod:`desktop.core.ncci.data`: the built-in tables (cached) and merging the tables of data packs.
"""
