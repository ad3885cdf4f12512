from django import forms
from django.utils.translation import gettext_lazy as _


class ReaderFileForm(forms.Form):
    file = forms.FileField(
        label=_("Reader data file"),
        help_text=_("An .xlsx, .ods, .xls or .csv file of at most 20 MB."),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".xlsx,.ods,.xls,.csv", "aria-describedby": "id_file_helptext"}
        ),
    )
