"""Forms of the memorial and the library: they parse; the services decide."""

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ayni.geo.forms import DistrictField
from ayni.lib.forms import DateField
from ayni.memory.models import Experience, ExperienceReview, MemorialRecord
from ayni.memory.services import MEMORIAL_FIELDS
from ayni.orgs.models import Organisation
from ayni.people.models import Language

TEXTAREA = {"rows": 6}


class MemorialForm(forms.Form):
    died_on = DateField(label=_("Fecha de fallecimiento"))
    place = forms.CharField(label=_("Lugar (opcional)"), max_length=160, required=False)
    district = DistrictField(label=_("Distrito donde falleció (opcional)"), required=False)
    cause = forms.ChoiceField(label=_("Causa (opcional)"), required=False,
                              choices=[("", _("No se indica"))] + MemorialRecord.Cause.choices)
    tribute = forms.CharField(label=_("Palabras de recuerdo (opcional)"), max_length=3000, required=False,
                              widget=forms.Textarea(attrs={"rows": 4}))
    consent_by = forms.ChoiceField(label=_("¿Quién dio el consentimiento?"), widget=forms.RadioSelect,
                                   choices=MemorialRecord.ConsentBy.choices)
    consent_name = forms.CharField(label=_("Nombre de quien dio el consentimiento"), max_length=120)
    consent_relation = forms.CharField(label=_("Relación con ella o cargo"), max_length=80,
                                       help_text=_("Por ejemplo: hija, hermana, presidenta de la federación."))
    consent_on = DateField(label=_("Fecha del consentimiento"))
    public = forms.BooleanField(label=_("La familia permite una página pública de memoria"), required=False)
    show_positions = forms.BooleanField(label=_("En la página: sus cargos y organizaciones"), required=False,
                                        initial=True)
    show_tribute = forms.BooleanField(label=_("En la página: las palabras de recuerdo"), required=False,
                                      initial=True)
    show_place = forms.BooleanField(label=_("En la página: el lugar"), required=False)
    show_cause = forms.BooleanField(label=_("En la página: la causa"), required=False)

    @classmethod
    def of(cls, memorial: MemorialRecord, data=None):
        return cls(data, initial={f: getattr(memorial, f) for f in MEMORIAL_FIELDS})


class CorrectionForm(MemorialForm):
    reason = forms.CharField(label=_("Motivo de la corrección"), max_length=200,
                             help_text=_("Queda en la historia del registro."))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Motivo"), max_length=200)


class ExperienceForm(forms.Form):
    title = forms.CharField(label=_("Título"), max_length=160)
    language = forms.ModelChoiceField(label=_("Idioma"), queryset=Language.objects.all(), empty_label=None,
                                      initial="castellano")
    starting_point = forms.CharField(label=Experience._meta.get_field("starting_point").verbose_name,
                                     max_length=6000, required=False, widget=forms.Textarea(attrs=TEXTAREA),
                                     help_text=_("¿Quiénes somos, dónde y cuándo empezó, qué nos movió?"))
    initial_questions = forms.CharField(label=Experience._meta.get_field("initial_questions").verbose_name,
                                        max_length=6000, required=False, widget=forms.Textarea(attrs=TEXTAREA),
                                        help_text=_("¿Para qué sistematizamos, qué parte de la experiencia, "
                                                    "con qué preguntas?"))
    recovery = forms.CharField(label=Experience._meta.get_field("recovery").verbose_name, max_length=12000,
                               required=False, widget=forms.Textarea(attrs=TEXTAREA),
                               help_text=_("Lo que pasó, en orden: hechos, fechas, quiénes participaron."))
    reflection = forms.CharField(label=Experience._meta.get_field("reflection").verbose_name, max_length=12000,
                                 required=False, widget=forms.Textarea(attrs=TEXTAREA),
                                 help_text=_("¿Por qué pasó lo que pasó? ¿Qué funcionó y qué no?"))
    arrival = forms.CharField(label=Experience._meta.get_field("arrival").verbose_name, max_length=6000,
                              required=False, widget=forms.Textarea(attrs=TEXTAREA),
                              help_text=_("Lo aprendido y lo que recomendamos a otras organizaciones."))
    topics = forms.CharField(label=_("Temas"), max_length=300, required=False,
                             help_text=_("Separados por comas: gas, huerto, incidencia municipal."))
    districts = forms.CharField(label=_("Territorios: códigos UBIGEO de los distritos"), max_length=200,
                                required=False, help_text=_("Separados por espacios, por ejemplo 150142 080108."))
    organisations = forms.ModelMultipleChoiceField(label=_("Organizaciones que participaron"), required=False,
                                                   queryset=Organisation.objects.none(),
                                                   widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, organisation: Organisation, **kwargs):
        super().__init__(*args, **kwargs)
        # Those beside her in the tree: the federations above and the organisations just below
        # (a short list a phone can show, not the whole movement).
        self.fields["organisations"].queryset = (
            Organisation.objects.filter(Q(path__in=organisation.ancestor_paths()) | Q(parent=organisation))
            .order_by("depth", "name"))

    def clean_districts(self):
        from ayni.geo.models import District

        codes = self.cleaned_data["districts"].replace(",", " ").split()
        found = list(District.objects.filter(code__in=codes))
        missing = sorted(set(codes) - {d.code for d in found})
        if missing:
            raise forms.ValidationError(_("No existe el distrito con código UBIGEO %(codes)s.")
                                        % {"codes": ", ".join(missing)})
        return found

    @classmethod
    def of(cls, experience: Experience, data=None):
        initial = {f: getattr(experience, f) for f in ("title", *Experience.STEPS)}
        initial["language"] = experience.language_id
        initial["topics"] = ", ".join(t.name for t in experience.topics.all())
        initial["districts"] = " ".join(d.code for d in experience.districts.all())
        initial["organisations"] = [o.pk for o in experience.organisations.all()]
        return cls(data, initial=initial, organisation=experience.organisation)


class AttachForm(forms.Form):
    upload = forms.FileField(label=_("Foto o documento (JPG, PNG, WEBP o PDF)"))
    caption = forms.CharField(label=_("Descripción"), max_length=200, required=False)


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decisión"), choices=ExperienceReview.Decision.choices,
                                 widget=forms.RadioSelect)
    audience = forms.ChoiceField(label=_("Publicar para"), required=False, widget=forms.RadioSelect,
                                 choices=Experience.Audience.choices)
    note = forms.CharField(label=_("Observaciones"), max_length=2000, required=False,
                           widget=forms.Textarea(attrs={"rows": 4}))
