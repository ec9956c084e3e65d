from django import forms
from django.utils.translation import gettext_lazy as _

from ayni.advocacy.models import SCORE_FIELDS, Authority, Commitment, Law
from ayni.geo.forms import DistrictField
from ayni.lib.forms import DateField

SCORES = [(i, str(i)) for i in range(1, 6)]


class AuthorityForm(forms.Form):
    name = forms.CharField(label=_("Nombre"), max_length=160)
    office = forms.ChoiceField(label=_("Cargo"), choices=Authority.Office.choices)
    level = forms.ChoiceField(label=_("Nivel"), choices=Authority.Level.choices)
    territory = forms.CharField(
        label=_("Territorio (UBIGEO)"),
        max_length=6,
        required=False,
        help_text=_("2 dígitos para una región, 4 para una provincia, 6 para un distrito."),
    )
    period_start = forms.IntegerField(label=_("Periodo desde (año)"), min_value=1990, max_value=2100)
    period_end = forms.IntegerField(label=_("Periodo hasta (año)"), min_value=1990, max_value=2100)
    party = forms.CharField(label=_("Partido o movimiento"), max_length=120, required=False)
    is_candidate = forms.BooleanField(label=_("Es candidata(o), aún no elegida(o)"), required=False)


class EvidenceFields(forms.Form):
    file = forms.FileField(label=_("Archivo (foto o escaneo del acta, audio, video, PDF)"), required=False)
    link = forms.URLField(label=_("Enlace (video, noticia)"), max_length=400, required=False, assume_scheme="https")
    caption = forms.CharField(label=_("Descripción"), max_length=200, required=False)


class CommitmentForm(EvidenceFields):
    authority = forms.ModelChoiceField(label=_("Autoridad o candidata(o)"), queryset=Authority.objects.none())
    kind = forms.ChoiceField(label=_("Tipo"), choices=Commitment.Kind.choices)
    text = forms.CharField(label=_("Qué se comprometió"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
    made_on = DateField(label=_("Fecha del compromiso"))
    place = forms.CharField(label=_("Dónde se hizo"), max_length=160, required=False)
    deadline = DateField(label=_("Plazo"), required=False, help_text=_("Vacío si no tiene fecha."))
    municipality = DistrictField(label=_("Municipio"), required=False)
    law = forms.ModelChoiceField(label=_("Ley o demanda"), queryset=Law.objects.none(), required=False)
    delivery_from = DateField(
        label=_("Entregas de alimentos desde"),
        required=False,
        help_text=_("Solo para entregas: se compara con lo que recibieron las cocinas."),
    )
    delivery_to = DateField(label=_("Entregas hasta"), required=False)
    is_public = forms.BooleanField(label=_("Mostrar en la página pública"), required=False, initial=True)

    field_order = [
        "authority",
        "kind",
        "text",
        "made_on",
        "place",
        "deadline",
        "municipality",
        "law",
        "delivery_from",
        "delivery_to",
        "is_public",
        "file",
        "link",
        "caption",
    ]

    def __init__(self, *args, authorities, laws, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["authority"].queryset = authorities
        self.fields["law"].queryset = laws

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        upload = data.pop("file")
        data["files"] = [upload] if upload else []
        return data


class StageForm(EvidenceFields):
    stage = forms.ChoiceField(label=_("Etapa"), choices=Commitment.Stage.choices)
    on = DateField(label=_("Fecha"))
    note = forms.CharField(label=_("Nota"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    field_order = ["stage", "on", "note", "file", "link"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["caption"]
        # Without signal the outbox keeps the stage, the date, the note and the link, not a photo.
        self.fields["file"].help_text = _(
            "Sin señal, la foto no se guarda en el teléfono: agréguela como evidencia cuando vuelva la conexión."
        )


class EvidenceForm(EvidenceFields):
    published = forms.BooleanField(label=_("Publicar en la página pública"), required=False)


class LawForm(forms.Form):
    kind = forms.ChoiceField(label=_("Tipo"), choices=Law.Kind.choices)
    title = forms.CharField(label=_("Nombre"), max_length=160)
    summary = forms.CharField(label=_("De qué trata"), max_length=400, required=False)


class MilestoneForm(forms.Form):
    on = DateField(label=_("Fecha"))
    text = forms.CharField(label=_("Hito"), max_length=200)
    reached = forms.BooleanField(label=_("Ya se logró"), required=False)


class RoundForm(forms.Form):
    service = forms.CharField(
        label=_("Servicio que se califica"), max_length=160, initial=_("Entregas del programa municipal (PCA)")
    )
    opens_on = DateField(label=_("Desde"))
    closes_on = DateField(label=_("Hasta"))


class RatingForm(forms.Form):
    timeliness = forms.TypedChoiceField(label=_("Puntualidad"), choices=SCORES, coerce=int, widget=forms.RadioSelect)
    quantity = forms.TypedChoiceField(label=_("Cantidad"), choices=SCORES, coerce=int, widget=forms.RadioSelect)
    quality = forms.TypedChoiceField(label=_("Calidad"), choices=SCORES, coerce=int, widget=forms.RadioSelect)
    treatment = forms.TypedChoiceField(label=_("Trato"), choices=SCORES, coerce=int, widget=forms.RadioSelect)

    FIELDS = SCORE_FIELDS
