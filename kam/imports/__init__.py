"""The one import pipeline: CSV and XLSX files of customers, period figures and survey
answers go through the same steps.

upload (one size limit, the format checked) → stored in a job → dry run: the file read
under the kind's columns, every row checked and previewed (errors by line and column as
stored messages; new rows and changed fields old → new, with flags) → commit: read and
checked again, then written set-based, all or nothing, with progress.

Here, in the lowest layer, the parts that know no app: reading files (`files`), columns
and cells (`cells`), row errors and the preview (`rows`, `row_messages`), templates
(`templates`) and the kinds' registry (`kinds`). The job record, its pages and tasks live
with the `ImportJob` model in customers (customers/import_jobs.py); each kind lives in the
app whose rows it writes and registers itself at start-up.
"""
