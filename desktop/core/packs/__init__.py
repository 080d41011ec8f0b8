"""Data packs: an office's updates (a new year's rules, local payer notes) layered on the built-in data.

A pack is a folder::

    pack.yaml           name, version, code_set_year, effective (from, until), files (sha256 of each file)
    sources.yaml        optional: more source ids, same schema as the built-in sources.yaml
    codes/*.yaml        code records, same schema as the built-in data
    ncci/               NCCI tables: tables.yaml and *.csv (docs/ncci.md); a pack has codes/, ncci/ or both
    *.md, *.txt         optional notes for people (listed in files like everything else)

Override semantics (``docs/data-packs.md`` has worked examples):

1. Every guidance rule in a pack is limited to the pack's effective dates. A rule without ``from`` starts
   on ``effective.from``; a rule without ``until`` ends on ``effective.until`` (or stays open when the pack
   has no ``until``). A rule date outside the effective dates is a problem.
2. A record whose code the data does not have yet is added as written.
3. A record whose code the data already has is an *override*:

   - each key the pack record writes (``name``, ``terms``, ``spinal``, ``regions``, ``cautions``,
     ``valid_to``, ``guidance_code`` ...) replaces that field; keys it does not write keep the existing
     value (write ``cautions: []`` to clear a list);
   - its guidance rules are *spliced*: for each modality a pack rule names, the existing rules for that
     modality are cut out of the pack rule's date range (an existing rule may be shortened or split in two)
     and the pack rule takes its place; other modalities and other dates keep the existing rules.

4. A pack's source ids must be new (an id the data already has is a problem); its records may cite the
   built-in sources.
5. Packs apply one after another, ordered by ``effective.from``, then name; a later pack overrides an
   earlier one the same way. After each pack the whole merged data is checked again with the loader's
   checks (references, sources, overlapping rules, record consistency). A pack with any problem is
   skipped as a whole and its problems are reported; the data stays as it was before that pack.

Where packs live: a data folder (the user data folder, see :mod:`desktop.userdirs`, or ``--data-dir``)
holds installed packs in ``packs/<folder>/`` and the on/off state in ``data-packs.json``. For the command
line a data folder may also be one pack (it has ``pack.yaml``) or a plain folder of pack folders.

The package follows its seams: :mod:`~desktop.core.packs.folders` (where packs live and their on/off state),
:mod:`~desktop.core.packs.reading` (reading and checking one pack), :mod:`~desktop.core.packs.merge`
(applying packs to the data), :mod:`~desktop.core.packs.install` (validating, importing, removing) and
:mod:`~desktop.core.packs.report` (loading the data with the installed packs, what every start needs). This
module imports nothing, so a start with no pack installed loads none of the reading and merging code.
"""
