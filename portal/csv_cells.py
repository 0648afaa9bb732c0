"""CSV for spreadsheets: a cell that starts like a formula is kept as text."""
import csv
import sys

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value):
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def write_rows(header: list[str], rows) -> None:
    writer = csv.writer(sys.stdout)
    writer.writerow(header)
    writer.writerows([cell(value) for value in row] for row in rows)
