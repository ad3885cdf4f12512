"""Every sentence the reader-file checker says, in one place.

English message ids, Traditional Chinese in the catalog (``locale/zh_Hant``).
They name the row and the column as the contact person wrote its header and
say what to do; an ID number appears only masked.
"""

from libcard.textcatalog import gettext_noop as _

# Problems with a row's cell: formatted with row, column and, where given, more.
ROW_MESSAGES: dict[str, str] = {
    "name.missing": _(
        "Row {row}, “{column}”: the name is empty. Please fill in the reader's name."
    ),
    "name.too_long": _(
        "Row {row}, “{column}”: the name has {length} characters; at most {limit} are allowed."
    ),
    "id.missing": _(
        "Row {row}, “{column}”: the ID number is empty. "
        "Please fill in the national ID number, e.g. A123456789."
    ),
    "id.format": _(
        "Row {row}, “{column}”: “{masked}” is not a national ID number "
        "(one letter, then 1 or 2, then 8 digits, e.g. A123456789)."
    ),
    "id.checksum": _(
        "Row {row}, “{column}”: the check digit of {masked} is wrong; "
        "please compare the number with the ID card."
    ),
    "id.resident": _(
        "Row {row}, “{column}”: {masked} is a resident certificate number. Foreign nationals "
        "and people without household registration cannot be in a group application; "
        "they apply individually online with their resident certificate."
    ),
    "id.duplicate": _(
        "Row {row}, “{column}”: {masked} is already listed in row {first_row}; "
        "list each reader only once."
    ),
    "birth.missing": _(
        "Row {row}, “{column}”: the birth date is empty. "
        "Please fill in the birth date, e.g. 85/03/12 or 1996-03-12."
    ),
    "birth.format": _(
        "Row {row}, “{column}”: “{value}” is not a date that exists. "
        "Please write the birth date like 85/03/12 or 1996-03-12."
    ),
    "birth.future": _("Row {row}, “{column}”: the birth date {value} is in the future."),
    "birth.too_old": _(
        "Row {row}, “{column}”: the birth date {value} would make the reader older than "
        "{limit} years; please check the year (ROC years are written like 85/03/12)."
    ),
    "role.missing": _(
        "Row {row}, “{column}”: the role is empty. Please choose 學生 (student) or 教職員 (staff)."
    ),
    "role.invalid": _(
        "Row {row}, “{column}”: “{value}” cannot apply in a group application; only 學生 "
        "(students) and 教職員 (staff: 教師, 老師, 職員, 員工, 教職工) of the institution can."
    ),
    "sex.invalid": _(
        "Row {row}, “{column}”: “{value}” is not a sex; please write 男 or 女, or leave it empty."
    ),
    "sex.mismatch": _(
        "Row {row}, “{column}”: “{value}” does not agree with the ID number {masked} "
        "(its second digit is 1 for male, 2 for female); please check both."
    ),
    "email.invalid": _(
        "Row {row}, “{column}”: “{value}” is not an e-mail address "
        "(like name@example.edu.tw); correct it or leave it empty."
    ),
    "email.missing": _(
        "Row {row}, “{column}”: no e-mail address; the reader will not be able to "
        "reset a forgotten password by e-mail."
    ),
    "mobile.invalid": _(
        "Row {row}, “{column}”: “{value}” is not a Taiwanese mobile number "
        "(09 and 8 digits, e.g. 0912345678); correct it or leave it empty."
    ),
    "unit.too_long": _(
        "Row {row}, “{column}”: the unit or class has {length} characters; "
        "at most {limit} are allowed."
    ),
}

# Why a whole file cannot be used.
FILE_MESSAGES: dict[str, str] = {
    "file.empty": _("The file is empty."),
    "file.unsupported_extension": _(
        "Files ending in “{ext}” cannot be read; please save the file as .xlsx, .ods, .xls or .csv."
    ),
    "file.too_large": _(
        "The file is larger than {limit} MB; please split it into several files "
        "or remove columns that are not needed."
    ),
    "file.too_large_inflated": _(
        "The file would unpack to more than {limit} MB, far more than a reader data file "
        "needs; it may be damaged. Please save it again from your office program."
    ),
    "file.too_many_entries": _(
        "The file holds too many parts to be a spreadsheet; please save it again "
        "from your office program."
    ),
    "file.too_many_rows": _(
        "The file has more than {limit} rows; please split it into files of at most "
        "{limit} readers each."
    ),
    "file.too_wide": _(
        "A sheet uses more than {limit} columns; please delete the columns that are not needed."
    ),
    "file.encrypted": _(
        "The file is protected with a password; please save a copy without a password "
        "and upload that."
    ),
    "file.wrong_type": _(
        "The file's name ends in “{ext}” but its content is {actual}; please save it "
        "from your office program as .xlsx, .ods, .xls or .csv."
    ),
    "file.truncated_or_corrupt": _(
        "The file is damaged or incomplete and cannot be opened; please save it again "
        "from your office program and upload the new copy."
    ),
    "file.csv_encoding": _(
        "The CSV file is neither UTF-8 nor Big5 text; please save it as “CSV UTF-8”."
    ),
    "file.no_header": _(
        "No header row with the columns {required} was found in the first {limit} rows "
        "of any sheet; please use the library's template."
    ),
    "file.missing_column": _(
        "Sheet “{sheet}”, row {row}: the column “{column}” is missing "
        "(accepted headers: {aliases})."
    ),
    "file.no_data": _("Sheet “{sheet}” has the header row in row {row} but no reader below it."),
    "file.too_complex": _(
        "The file needs far more memory or time to open than a reader data file does; "
        "please copy only the readers' rows into a new file and save that."
    ),
    "file.unreadable": _("The file cannot be read: {detail}"),
}

# What the file's content turned out to be, for file.wrong_type.
CONTENT_NAMES: dict[str, str] = {
    "xlsx": _("an Excel workbook (.xlsx)"),
    "ods": _("an OpenDocument spreadsheet (.ods)"),
    "xls": _("an old Excel workbook (.xls)"),
    "ole": _("an old Microsoft Office document"),
    "zip": _("a zip archive"),
    "pdf": _("a PDF document"),
    "image": _("an image"),
    "text": _("plain text"),
    "binary": _("not a spreadsheet"),
    "docx": _("a Word document"),
}
