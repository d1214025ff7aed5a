"""The editor page's forms: one form for the report's text and assessment,
and a formset each for key developments and hotspots.

The forms only turn posted fields into content of the right shape; the rules
of that content live in `reports.content` and are applied by
`reports.revisions.revision_save`.
"""

from typing import Any

from django import forms

from reports.content import OUTLOOK_TITLES, SECTION_TITLES, THREAT_LEVELS

SourceChoices = list[tuple[int, str]]

_TEXTAREA = {"rows": 5, "cols": 80}


class ReportTextForm(forms.Form):
    base_revision_id = forms.IntegerField(widget=forms.HiddenInput)
    executive_summary = forms.CharField(
        label=SECTION_TITLES["executive_summary"],
        required=False,
        widget=forms.Textarea(attrs=_TEXTAREA),
    )
    geopolitical_impact = forms.CharField(
        label=SECTION_TITLES["geopolitical_impact"],
        required=False,
        widget=forms.Textarea(attrs=_TEXTAREA),
    )
    military_analysis = forms.CharField(
        label=SECTION_TITLES["military_analysis"],
        required=False,
        widget=forms.Textarea(attrs=_TEXTAREA),
    )
    outlook_short_term = forms.CharField(
        label=OUTLOOK_TITLES["short_term"],
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
    )
    outlook_flashpoints = forms.CharField(
        label=OUTLOOK_TITLES["flashpoints"],
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
    )
    outlook_indicators = forms.CharField(
        label=OUTLOOK_TITLES["indicators"],
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
    )
    outlook_recommendations = forms.CharField(
        label=OUTLOOK_TITLES["recommendations"],
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
    )
    threat_level = forms.ChoiceField(
        label="Threat level",
        required=False,
        choices=[("", "Not set")]
        + [(level, level.capitalize()) for level in THREAT_LEVELS],
        widget=forms.RadioSelect,
    )
    rationale = forms.CharField(
        label="Rationale for the threat level",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
    )
    note = forms.CharField(
        label="Note on this save (optional: why)",
        required=False,
        max_length=1000,
        widget=forms.TextInput(attrs={"size": 80}),
    )


class _Cited(forms.Form):
    source_ids = forms.TypedMultipleChoiceField(
        label="Sources",
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "desk-sources"}),
    )

    def __init__(self, *args: Any, source_choices: SourceChoices, **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["source_ids"]
        assert isinstance(field, forms.TypedMultipleChoiceField)
        cited = list(self.initial.get("source_ids", []))
        known = {value for value, _ in source_choices}
        # The cited articles come first, so what an item rests on shows at a
        # glance. A citation the drafter was not given still shows, so the
        # editor can see it and take it out; approval refuses it meanwhile.
        first = [(v, label) for v, label in source_choices if v in cited]
        rest = [(v, label) for v, label in source_choices if v not in cited]
        unknown = [
            (v, f"[{v}] not a source of this report") for v in cited if v not in known
        ]
        field.choices = first + unknown + rest


class KeyDevelopmentForm(_Cited):
    title = forms.CharField(max_length=300, widget=forms.TextInput(attrs={"size": 70}))
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 4, "cols": 80}))
    in_period = forms.BooleanField(
        label="Within the analysis period (untick for background)",
        required=False,
        initial=True,
    )
    field_order = ["title", "body", "in_period", "source_ids"]


class HotspotForm(_Cited):
    label = forms.CharField(max_length=200, widget=forms.TextInput(attrs={"size": 40}))
    detail = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2, "cols": 60})
    )
    lat = forms.FloatField(
        label="Latitude",
        min_value=-90,
        max_value=90,
        widget=forms.NumberInput(attrs={"step": "any", "class": "desk-lat"}),
    )
    lng = forms.FloatField(
        label="Longitude",
        min_value=-180,
        max_value=180,
        widget=forms.NumberInput(attrs={"step": "any", "class": "desk-lng"}),
    )
    intensity = forms.TypedChoiceField(
        coerce=int,
        choices=[(1, "1 - low"), (2, "2 - medium"), (3, "3 - high")],
        initial=2,
    )
    field_order = ["label", "detail", "lat", "lng", "intensity", "source_ids"]


KeyDevelopmentFormSet = forms.formset_factory(
    KeyDevelopmentForm, extra=0, can_delete=True
)
HotspotFormSet = forms.formset_factory(HotspotForm, extra=0, can_delete=True)


def editor_forms(
    *,
    data: Any = None,
    content: dict[str, Any],
    base_revision_id: int,
    source_choices: SourceChoices,
) -> tuple[ReportTextForm, Any, Any]:
    """The three forms, bound to `data` when posted, else filled from content."""
    outlook = content.get("outlook", {})
    assessment = content.get("assessment", {})
    initial = {
        "base_revision_id": base_revision_id,
        "executive_summary": content.get("executive_summary", ""),
        "geopolitical_impact": content.get("geopolitical_impact", ""),
        "military_analysis": content.get("military_analysis", ""),
        "threat_level": assessment.get("threat_level", ""),
        "rationale": assessment.get("rationale", ""),
    }
    initial.update({f"outlook_{k}": outlook.get(k, "") for k in OUTLOOK_TITLES})
    text = ReportTextForm(data=data, initial=initial)
    developments = KeyDevelopmentFormSet(
        data=data,
        initial=content.get("key_developments", []),
        prefix="kd",
        form_kwargs={"source_choices": source_choices},
    )
    hotspots = HotspotFormSet(
        data=data,
        initial=assessment.get("hotspots", []),
        prefix="hs",
        form_kwargs={"source_choices": source_choices},
    )
    return text, developments, hotspots


def _kept(formset: Any) -> list[dict[str, Any]]:
    rows = []
    for form in formset.forms:
        if not getattr(form, "cleaned_data", None):
            continue  # an added row left empty
        if form.cleaned_data.get("DELETE"):
            continue
        rows.append({k: v for k, v in form.cleaned_data.items() if k != "DELETE"})
    return rows


def content_from_forms(text: ReportTextForm, developments: Any, hotspots: Any) -> dict:
    """Content in the schema's shape from three valid forms."""
    data = text.cleaned_data
    return {
        "executive_summary": data["executive_summary"],
        "key_developments": _kept(developments),
        "geopolitical_impact": data["geopolitical_impact"],
        "military_analysis": data["military_analysis"],
        "outlook": {k: data[f"outlook_{k}"] for k in OUTLOOK_TITLES},
        "assessment": {
            "threat_level": data["threat_level"],
            "rationale": data["rationale"],
            "hotspots": _kept(hotspots),
        },
    }
