"""Reading and writing tables: CSV and Parquet, chosen by file extension.

Whole files and chunks are read by the same readers (:func:`csv_chunks`,
:func:`parquet_chunks`; a whole file is one chunk). Writes are atomic: the
table goes to a temporary file in the target's folder, which is renamed into
place only once it is complete, so a failure never leaves a half-written
output file.
"""

from revimpute.io.csv_files import WIDE_FIELDS, csv_chunks, csv_options, extra_fields_refused
from revimpute.io.formats import CSV_SUFFIXES, PARQUET_SUFFIXES, check_input_file, table_format
from revimpute.io.parquet_files import open_parquet, parquet_chunks, parquet_dtypes, parquet_frame
from revimpute.io.reading import read_table
from revimpute.io.writing import atomic_path, output_separator, write_table
from revimpute.io.written_text import FORMULA_STARTS, escape_formulas, formula_like, keep_written_text

__all__ = [
    "CSV_SUFFIXES", "FORMULA_STARTS", "PARQUET_SUFFIXES", "WIDE_FIELDS", "atomic_path", "check_input_file",
    "csv_chunks", "csv_options", "escape_formulas", "extra_fields_refused", "formula_like", "keep_written_text",
    "open_parquet", "output_separator", "parquet_chunks", "parquet_dtypes", "parquet_frame", "read_table",
    "table_format", "write_table",
]
