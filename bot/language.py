"""The three languages the bot is asked in: telling them apart, reading them, answering in them.

A French or Spanish question is read by rewriting its question words and date phrases into the
English words `bot.understand` recognises ("qu'est-ce qui est en retard" -> "what is overdue",
"el mes que viene" -> "next month"); names, codes and title words pass through untouched. The
answer is then written back in the question's language with `say` and `format_date_in`.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from datetime import date
from typing import Literal

from tracker.timeline import Precision

Language = Literal["en", "fr", "es"]
LANGUAGES: tuple[Language, ...] = ("en", "fr", "es")


def fold(text: str) -> str:
    """Lower case without accents: "Échéance" -> "echeance"."""
    if text.isascii():  # most workplan text: nothing to decompose (the vocabulary folds MBs)
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


# --- telling the languages apart --------------------------------------------------------------


def _word_list(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Words that mostly belong to one language, as folded text. Shared words ("la", "que") count
#: for neither; a question with none of these is English.
_MARKERS: dict[Language, frozenset[str]] = {
    "fr": _word_list(
        """
        qu quoi quel quelle quels quelles est sont qui ou dirige dirigent dirigee dirigees
        pilote pilotent mene menees retard echeance echeances mois semaine annee prochain
        prochaine prochainement bientot combien partenaire partenaires participe implique
        impliquee termine terminee terminees termines statut etat avancement quand le les des
        du au aux pour dans avec sur cette ce ces et il elle t montre moi reste rester faire
        fait dus due prevu prevue prevus prevues lieu tiendra tenue heure commence debute
        bonjour salut merci livrables rendre seulement ceux celles raconte blague gagne coupe
        recette temps fait reserve vol capitale jours organise entre janvier fevrier mars avril
        mai juin juillet aout septembre octobre novembre decembre y il manuel rapport
        webinaire reunion atelier element elements activites dont comme
        """
    ),
    "es": _word_list(
        """
        que quien quienes cuando donde cuantas cuantos cual dirige dirigen dirigidas dirigidos
        lidera lideran atrasado atrasada atrasados atrasadas retrasado retrasada retrasados
        vence vencen plazo plazos mes semana ano proximo proxima pronto socio socia socios
        participa esta estan terminado completado completados completadas estado como va el
        los las del para en con y este esta hay queda le hacer tiene tenia entregar previsto
        celebro celebrara celebra tuvo lugar hora empieza comienza hola gracias entregables
        solo muestrame cuentame chiste gano mundial receta tiempo hace reservame vuelo capital
        dias coorganiza entre enero febrero marzo abril mayo junio julio agosto septiembre
        octubre noviembre diciembre manual informe seminario reunion taller elementos
        actividades estatus lo dirije viene
        """
    ),
    "en": _word_list(
        """
        what which who whom when where how is are the does do did of for in on by due overdue
        lead leads leading led status next this week month year show me any anything items
        activities and about tell what's whats soon late time many partner partners
        has have had was were be been will would can could should my our we i you your there
        still yet please than then them they their these those not done finished completed
        started planned upcoming last first before after until today tomorrow yesterday
        """
    ),
}
#: Words asking for a fact the tracker does not hold (a budget, a phone number, what a meeting
#: concluded, a judgement) or for an action the bot does not take (send, delete, book), folded.
#: A question with one is not understood, unless the word is in some item's own text ("the
#: costs of recruitment"): answering its subject's items would answer another question.
UNSUPPORTED: dict[Language, frozenset[str]] = {
    "en": _word_list(
        """
        book reserve delete remove erase add create edit modify rename assign translate
        summarise summarize invite notify budget budgets price funded funder funders donor
        donors phone telephone postal attendance attended attendees worth opinion conclude
        concluded conclusions said chapter salary weather
        """
    ),
    "fr": _word_list(
        """
        supprime supprimer supprimez efface effacer ajoute ajouter ajoutez modifie modifier
        reserve reserver planifier programmer traduis traduire resume resumer invite inviter
        budget cout couts coute finance finances bailleur bailleurs telephone postale assiste
        assistaient conclu conclusions dit chapitre preside presidee president presidente
        representes representees
        """
    ),
    "es": _word_list(
        """
        borra borrar elimina eliminar agrega agregar anade anadir crea modifica modificar
        cambia cambiar reserva reservar traduce traducir resume resumir invita presupuesto
        costo coste cuesta costaron financia financio financiado donante donantes telefono
        asistieron asistentes pena concluyo conclusiones dijo capitulo preside presidente
        """
    ),
}
#: Asking the bot to send or remind someone, not oneself ("send me the overdue items" is a
#: question): an action it does not take, whatever the items say.
UNSUPPORTED_REQUESTS: dict[Language, re.Pattern[str]] = {
    "en": re.compile(r"\b(?:send|remind)\s+(?!me\b|us\b)\w+"),
    "fr": re.compile(
        r"\b(?:envoie|envoyer|envoyez|rappelle|rappeler|rappelez)\s+(?!moi\b|nous\b)\w+"
    ),
    "es": re.compile(r"\b(?:manda|mandale|mandales|mandar|envia|enviale|enviar|recuerdale)\b"),
}
#: Asking for a judgement ("is the portal any good", "à ton avis", "¿qué opinas?"): the
#: workplans hold no opinion, whatever words of the question their items share. The first
#: group that matched is the word the answer names.
JUDGEMENTS: dict[Language, re.Pattern[str]] = {
    # "any good" at the end ("are there any good practices" is a question about items)
    "en": re.compile(
        r"\bany (good|use)\W*$|\b(good|bad) idea\b|\bdo you (think)\b|\byour (opinion|view)\b"
    ),
    "fr": re.compile(
        r"\b(?:a|selon) (?:ton|votre) (avis)\b|\bqu'en (penses?|pensez)\b"
        r"|\b(?:tu|vous) (penses?|pensez)\b|\bbonne (idee)\b|\b(?:bonne|mauvaise) (qualite)\b"
    ),
    "es": re.compile(
        # "qué piensa hacer la OIM" asks what it plans: only thinking "of" something judges
        r"\bque (opinas|opina)\b|\bque (piensas|piensa) (?:de|del|sobre)\b"
        r"|\b(?:tu|su) (opinion)\b|\bbuena (idea)\b"
        r"|\b(vale) la pena\b|\bes (buen[oa]|mal[oa])\b"
    ),
}
#: Letters and signs only one of the languages writes.
_SIGNS: dict[Language, re.Pattern[str]] = {
    "fr": re.compile(r"[èêëçàâùûîïôœ]|\b[lqdjns]'|-t-(?:il|elle)\b|est-ce"),
    "es": re.compile(r"[ñ¿¡]|\b(?:qué|quién|cuándo|dónde|cuántas?|cuántos)\b"),
    "en": re.compile(r"\b\w+'(?:s|re|ve|ll|t)\b"),
}


def detect_language(text: str) -> Language:
    """The language a question is written in, by its marker words and signs; English if unsure."""
    words = re.findall(r"[a-z]+", fold(text))
    scores: dict[Language, float] = {}
    for language in LANGUAGES:
        scores[language] = sum(w in _MARKERS[language] for w in words)
        scores[language] += 2 * len(_SIGNS[language].findall(text.lower()))
    # the words of both Romance languages ("que", "la") count half for each
    best = max(LANGUAGES, key=lambda language: (scores[language], language == "en"))
    if scores[best] == 0 or (best != "en" and scores[best] <= scores["en"]):
        return "en"
    return best


# --- reading French and Spanish ---------------------------------------------------------------

_MONTHS: dict[Language, list[str]] = {
    "fr": [
        "janvier",
        "fevrier",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "aout",
        "septembre",
        "octobre",
        "novembre",
        "decembre",
    ],
    "es": [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ],
}
_MONTH_WRITTEN: dict[Language, list[str]] = {
    "fr": [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
    "es": _MONTHS["es"],
}

_NUMBERS = {
    "fr": {"deux": "two", "trois": "three", "quatre": "four", "cinq": "five", "dix": "ten"},
    "es": {"dos": "two", "tres": "three", "cuatro": "four", "cinco": "five", "diez": "ten"},
}

#: Where a written date starts, once month names are English: "march", "2021", "15 march".
_DATE_START = (
    r"(?:\d{1,2} )?(?:january|february|march|april|may|june|july|august|september|october"
    r"|november|december)\b|(?:19|20)\d\d\b|q[1-4]\b"
)

#: (pattern on folded text, English words), tried in order: longer phrases first.
_RULES: dict[Language, list[tuple[str, str]]] = {
    "fr": [
        (r"\b(?:bonjour|salut|bonsoir)\b", "hello"),
        (r"\bmerci\b", "thanks"),
        # follow-ups
        (r"^et (?:pour |chez |a |au |aux )?", "and for "),
        (
            r"^(?:seulement|uniquement|juste) (?:ceux|celles|les elements?)? ?(?:qui sont )?",
            "only ",
        ),
        (r"^(?:plus|la suite|suite|encore)$", "more"),
        # dates
        (r"\bce mois(?: ci| la)?\b", "this month"),
        (r"\ble mois (?:prochain|suivant)\b|\bmois prochain\b", "next month"),
        (r"\ble mois dernier\b", "last month"),
        (r"\bla semaine (?:prochaine|suivante)\b|\bsemaine prochaine\b", "next week"),
        (r"\bcette semaine\b", "this week"),
        (r"\bcette annee\b|\bcet an\b", "this year"),
        (r"\bl annee (?:prochaine|suivante)\b|\bannee prochaine\b", "next year"),
        (r"\bce trimestre\b", "this quarter"),
        (r"\b(?:dans|au cours) des (\w+) prochains jours\b", r"in the next \1 days"),
        (r"\b(?:dans )?les (\w+) prochains jours\b", r"in the next \1 days"),
        (r"\b(?:dans )?les (\w+) prochaines semaines\b", r"in the next \1 weeks"),
        (r"\b(?:dans )?les (\w+) prochains mois\b", r"in the next \1 months"),
        (r"\b(?:prochainement|bientot|a venir|sous peu)\b", "soon"),
        (r"\baujourd hui\b", "today"),
        (r"\bdemain\b", "tomorrow"),
        (r"\bentre (.+?) et (.+)$", r"between \1 and \2"),
        (
            rf"\b(?:en|au mois de|pour|durant|pendant|au cours de|courant)\s+(?={_DATE_START})",
            "in ",
        ),
        (rf"\b(?:avant)\s+(?={_DATE_START})", "before "),
        (rf"\b(?:d ici|jusqu a|jusqu au)\s+(?={_DATE_START})", "by "),
        (rf"\b(?:depuis)\s+(?={_DATE_START})", "since "),
        (rf"\b(?:apres)\s+(?={_DATE_START})", "after "),
        (r"\b(?:se passe|se passera|se passent|a venir)\b", "happening"),
        # asking
        (r"\b(?:le |la )?(?:prochaine?|suivante?)\b", "next"),
        (r"\ba quelle heure\b", "what time"),
        (r"\bheure\b", "time"),
        (r"\bqu est ce qu[ei]?\b|\bqu est ce\b", "what"),
        (r"\bqu y a t il\b", "what is"),
        (r"\bquels? sont les\b|\bquelles sont les\b", "which"),
        (r"\b(?:quels?|quelles?)\b", "which"),
        (r"\bquoi\b", "what"),
        (r"\bqui\b", "who"),
        (r"\bquand\b", "when"),
        (r"\bcombien(?: de| d)?\b", "how many"),
        (r"\bou en est\b|\bou en sont\b", "status of"),
        (r"\b(?:etat d avancement|etat|statut|avancement)(?: de| du| des| d)?\b", "status of"),
        (r"\bmontre(?: moi)?\b|\baffiche\b|\bliste\b", "show"),
        # what happens
        (r"\ba echeance\b|\bechoit\b|\bechoient\b|\bechu\b", "due"),
        (r"\barrive(?:nt)?\b|\bexpire(?:nt)?\b", "due"),
        (r"\b(?:date limite|echeances?|delais?)\b", "deadline"),
        (r"\b(?:dus|dues)\b", "due"),
        (r"\b(?:prevus?|prevues?|programmes?|programmees?|planifiees?)\b", "due"),
        (r"\ben retard\b|\b(?:retard|retards)\b", "overdue"),
        (
            r"\b(?:a lieu|aura lieu|se tiendra|se tient|s est tenue?|a eu lieu"
            r"|se deroule(?:ra)?)\b",
            "take place",
        ),
        (r"\b(?:commence|debute|demarre)(?:nt|ra)?\b", "start"),
        (r"\b(?:se termine|termine t il|finit|s acheve)\b", "end"),
        (r"\b(?:co organise|coorganise|co organisent)\b", "co-organizes"),
        (
            r"\b(?:dirige|dirigent|dirigee|dirigees|diriges|pilote|pilotent|pilotee|menees?|mene|"
            r"mene t elle|conduit|responsable)(?: par)?\b",
            "leads",
        ),
        (r"\b(?:partenaires?)\b", "partner"),
        (
            r"\b(?:participe|participent|impliquee?s?|associee?s?)(?: a| au| aux| dans)?\b",
            "involved in",
        ),
        (r"\b(?:reste t il|reste|restent|a faire|rendre)\b", "left"),
        (r"\ben cours\b", "in progress"),
        (r"\b(?:termines?|terminees?|acheves?|acheves|finis?)\b", "completed"),
        (r"\b(?:annules?|annulees?)\b", "cancelled"),
        (r"\b(?:livrables?)\b", "deliverables"),
        (r"\b(?:activites?)\b", "activities"),
        (r"\b(?:reunions?)\b", "meetings"),
        (r"\b(?:elements?|choses|trucs?)\b", "items"),
        (r"\bsuites?\b|\bsuivi\b", "follow-ups"),
        # articles, pronouns and verbs that say nothing here
        (
            r"\b(?:t il|t elle|il|elle|ils|elles|est|sont|a|ont|le|la|les|l|un|une|des|du|de|d|au"
            r"|aux|en|pour|dans|sur|y|ce|ces|cet|cette|se|s|qu|que|t|fait|faire|on|nous|moi|ceux"
            r"|quelque chose|chose|lui|leur|sera|seront|etait|etaient)\b",
            " ",
        ),
    ],
    "es": [
        (r"\b(?:hola|buenos dias|buenas)\b", "hello"),
        (r"\bgracias\b", "thanks"),
        (r"^y (?:para |en cuanto a |de )?(?=(?!en\b|el mes|la semana)\w)", "and for "),
        (r"^y (?=en\b|el mes|la semana)", "what about "),
        (
            r"^(?:solo|solamente|solo los|unicamente)(?: los| las)?(?: que (?:estan|son))?\b",
            "only ",
        ),
        (r"^(?:mas|siguientes|sigue)$", "more"),
        (r"\beste mes\b", "this month"),
        (
            r"\bel (?:proximo|siguiente) mes\b|\bel mes (?:que viene|proximo|siguiente)\b"
            r"|\bproximo mes\b",
            "next month",
        ),
        (r"\bel mes pasado\b", "last month"),
        (r"\bla (?:proxima|siguiente) semana\b|\bla semana (?:que viene|proxima)\b", "next week"),
        (r"\besta semana\b", "this week"),
        (r"\beste ano\b", "this year"),
        (r"\bel (?:proximo|siguiente) ano\b|\bel ano (?:que viene|proximo)\b", "next year"),
        (r"\b(?:en )?los (?:proximos|siguientes) (\w+) dias\b", r"in the next \1 days"),
        (r"\b(?:en )?las (?:proximas|siguientes) (\w+) semanas\b", r"in the next \1 weeks"),
        (r"\b(?:en )?los (?:proximos|siguientes) (\w+) meses\b", r"in the next \1 months"),
        (r"\b(?:pronto|proximamente|en breve)\b", "soon"),
        (r"\bhoy\b", "today"),
        (r"\bmanana\b", "tomorrow"),
        (r"\bentre (.+?) y (.+)$", r"between \1 and \2"),
        (r"\b(\w+) de (\d{4})\b", r"\1 \2"),
        (rf"\b(?:en|para|durante|en el mes de|a lo largo de)\s+(?={_DATE_START})", "in "),
        (rf"\b(?:antes de)\s+(?={_DATE_START})", "before "),
        (rf"\b(?:hasta)\s+(?={_DATE_START})", "by "),
        (rf"\b(?:desde)\s+(?={_DATE_START})", "since "),
        (rf"\b(?:despues de)\s+(?={_DATE_START})", "after "),
        (r"\b(?:pasa|pasara|ocurre|sucede)\b", "happening"),
        (r"\b(?:viene|vienen)\b", "coming"),
        (r"\b(?:el |la )?(?:proxim[oa]|siguiente)\b", "next"),
        (r"\ba que hora\b", "what time"),
        (r"\bhora\b", "time"),
        (r"\bquienes\b|\bquien\b", "who"),
        (r"\bcuando\b", "when"),
        (r"\bdonde\b", "where"),
        (r"\bcuant[oa]s\b", "how many"),
        (r"\bcual(?:es)? (?:es|son) (?:el|la|los|las)\b", "what is the"),
        (r"\bcomo va(?:n)?\b|\bcomo (?:esta|estan|avanza)\b", "status of"),
        (r"\b(?:estado|estatus|situacion|avance)(?: de| del)?\b", "status of"),
        (r"\bmuestrame\b|\bmostrar\b|\blista\b", "show"),
        (r"\b(?:fecha limite|plazos?)\b", "deadline"),
        (r"\b(?:vence|vencen|vencia|vencio|vencer|toca|tocan)\b", "due"),
        (r"\b(?:previst[oa]s?|programad[oa]s?|planificad[oa]s?)\b", "due"),
        (r"\b(?:atrasad[oa]s?|retrasad[oa]s?|con retraso|tiene retraso|retraso)\b", "overdue"),
        (
            r"\b(?:tuvo lugar|tendra lugar|tiene lugar|se celebro|se celebrara|se celebra"
            r"|se realiza(?:ra)?)\b",
            "take place",
        ),
        (r"\b(?:empieza|comienza|inicia|empezo|comenzo)\b", "start"),
        (r"\b(?:termina|acaba|finaliza)\b", "end"),
        (r"\b(?:coorganiza|co organiza|coorganizan)\b", "co-organizes"),
        (
            r"\b(?:dirige|dirigen|dirigid[oa]s?|lidera|lideran|liderad[oa]s?|encabeza"
            r"|responsable)(?: por)?\b",
            "leads",
        ),
        (r"\b(?:socios?|socias?)\b", "partner"),
        (
            r"\b(?:organismos?|agencias?|entidad|entidades|organizacion|organizaciones)\b",
            "agencies",
        ),
        (r"\b(?:participa|participan|involucrad[oa]s?)\b", "involved in"),
        (r"\b(?:queda|quedan|le queda|por hacer|pendiente)\b", "left"),
        (r"\ben curso\b", "in progress"),
        (r"\b(?:terminad[oa]s?|completad[oa]s?|finalizad[oa]s?|hech[oa]s?)\b", "completed"),
        (r"\b(?:cancelad[oa]s?)\b", "cancelled"),
        (r"\b(?:entregables?)\b", "deliverables"),
        (r"\b(?:actividades|actividad)\b", "activities"),
        (r"\b(?:reuniones|reunion)\b", "meetings"),
        (r"\b(?:elementos?|cosas)\b", "items"),
        (r"\b(?:seguimiento)\b", "follow-ups"),
        (r"\b(?:que|qu)\b", "what"),
        (
            r"\b(?:el|la|los|las|lo|un|una|del|de|en|para|con|a|al|y|es|son|esta|estan|hay|tiene"
            r"|tenia|tienen|hace|algo|este|esta|le|se|que|por|sobre|su|sus|sera|seran|fue|fueron)\b",
            " ",
        ),
    ],
}
_COMPILED = {
    language: [(re.compile(pattern), replacement) for pattern, replacement in rules]
    for language, rules in _RULES.items()
}
_MONTH_TO_ENGLISH = {
    language: re.compile(r"\b(" + "|".join(months) + r")\b") for language, months in _MONTHS.items()
}


#: Words of the workplans' titles in French and Spanish, so that "le manuel" finds "handbook".
_GLOSSARY: dict[Language, dict[str, str]] = {
    "fr": {
        "manuel": "handbook",
        "projet de manuel": "draft handbook",
        "manuel final": "final handbook",
        "rapport": "report",
        "portail": "portal",
        "reunion": "meeting",
        "atelier": "workshop",
        "webinaire": "webinar",
        "seminaire en ligne": "webinar",
        "forum": "forum",
        "groupe d experts": "expert group",
        "groupe d expert": "expert group",
        "migrations": "migration",
        "migratoires": "migration",
        "migratoire": "migration",
        "migrants": "migrants",
        "donnees": "data",
        "statistiques": "statistics",
        "traite": "trafficking",
        "trafic": "smuggling",
        "mondial": "global",
        "mondiale": "global",
        "international": "international",
        "internationale": "international",
        "rurale": "rural",
        "note d orientation": "guidance note",
        "observatoire regional": "regional observatory",
        "observatoire": "observatory",
        "recensement": "census",
        "recensements": "census",
        "sante": "health",
        "envois de fonds": "remittances",
        "indicateurs": "indicators",
        "premiere": "first",
        "deuxieme": "second",
        "synthese": "synthesis",
        "diffusion": "dissemination",
        "personnes": "persons",
        "etude": "study",
        "geneve": "geneva",
        "le caire": "cairo",
    },
    "es": {
        "manual": "handbook",
        "borrador del manual": "draft handbook",
        "borrador manual": "draft handbook",
        "informe": "report",
        "portal": "portal",
        "reunion": "meeting",
        "taller": "workshop",
        "seminario web": "webinar",
        "seminario": "webinar",
        "foro": "forum",
        "grupo de expertos": "expert group",
        "grupo expertos": "expert group",
        "migracion": "migration",
        "migratorios": "migration",
        "migrantes": "migrants",
        "datos": "data",
        "estadisticas": "statistics",
        "trata": "trafficking",
        "trafico": "smuggling",
        "mundial": "global",
        "internacional": "international",
        "rural": "rural",
        "nota de orientacion": "guidance note",
        "nota orientacion": "guidance note",
        "observatorio regional": "regional observatory",
        "observatorio": "observatory",
        "censo": "census",
        "salud": "health",
        "remesas": "remittances",
        "indicadores": "indicators",
        "primera": "first",
        "segunda": "second",
        "sintesis": "synthesis",
        "difusion": "dissemination",
        "personas": "persons",
        "estudio": "study",
        "nueva york": "new york",
        "ginebra": "geneva",
        "el cairo": "cairo",
    },
}
_GLOSSARY_PATTERNS = {
    language: re.compile(
        r"\b(" + "|".join(sorted(map(re.escape, words), key=len, reverse=True)) + r")\b"
    )
    for language, words in _GLOSSARY.items()
}
_CLITIC = re.compile(r"-(?:t-)?(?:il|elle|ils|elles|on|ce|moi|ci|la|nous)\b")


def prepare(text: str, language: Language) -> str:
    """Before folding: the accents that change a French word's meaning ("où" is not "ou")."""
    if language == "fr":
        text = re.sub(r"\b[Dd]û(?:e|s|es)?\b", " due ", text)  # not "du", the article
        text = re.sub(r"\b[Oo]ù en (?:est|sont)\b", "status of", text)
        text = re.sub(r"\b[Oo]ù\b", " where ", text)
        text = _CLITIC.sub(lambda m: " " + m.group(0)[1:].replace("-", " "), text)
    return text


def to_english(text: str, language: Language, names: re.Pattern[str] | None = None) -> str:
    """A folded French or Spanish question in the English words `bot.understand` reads; what
    `names` matches (entities' French and Spanish names) passes through untouched."""
    if language == "en":
        return text
    kept: list[str] = []
    if names is not None:

        def hold(match: re.Match[str]) -> str:
            kept.append(match.group(0))
            return f" zzname{len(kept) - 1}zz "

        text = names.sub(hold, text)
    text = _translate(text, language)
    return re.sub(r"zzname(\d+)zz", lambda m: kept[int(m.group(1))], text)


def _translate(text: str, language: Language) -> str:
    text = re.sub(r"\b(\d+) ?(?:er|ere|o)\b", r"\1", text)
    text = _GLOSSARY_PATTERNS[language].sub(lambda m: _GLOSSARY[language][m.group(1)], text)
    text = _MONTH_TO_ENGLISH[language].sub(
        lambda m: calendar.month_name[_MONTHS[language].index(m.group(1)) + 1].lower(), text
    )
    for word, english in _NUMBERS[language].items():
        text = re.sub(rf"\b{word}\b", english, text)
    for pattern, replacement in _COMPILED[language]:
        text = pattern.sub(replacement, text)
    return re.sub(r"\s+", " ", text).strip()


def question_words(language: Language) -> set[str]:
    """The words of the language's questions, which typos are corrected towards."""
    words = set(_MARKERS[language])
    for pattern, _ in _RULES.get(language, []):
        plain = re.sub(r"\\[a-zA-Z]|\(\?[:=!<]+|\[[^]]*\]", " ", pattern)
        words.update(w for w in re.findall(r"[a-z]{3,}", plain))
    words.update(_MONTHS.get(language, []))
    words.update(_GLOSSARY.get(language, {}).keys())
    return {w for phrase in words for w in phrase.split()}


# --- writing answers --------------------------------------------------------------------------

#: Sentences of the answers, by key, in each language; `say` fills them in.
PHRASES: dict[str, dict[Language, str]] = {
    "no": {"en": "No", "fr": "Aucun", "es": "Ningún"},
    "no_feminine": {"en": "No", "fr": "Aucune", "es": "Ninguna"},
    "item": {"en": "item", "fr": "élément", "es": "elemento"},
    "items": {"en": "items", "fr": "éléments", "es": "elementos"},
    "activity": {"en": "activity", "fr": "activité", "es": "actividad"},
    "activities": {"en": "activities", "fr": "activités", "es": "actividades"},
    "milestone": {"en": "milestone", "fr": "jalon", "es": "hito"},
    "milestones": {"en": "milestones", "fr": "jalons", "es": "hitos"},
    "overdue": {"en": "overdue", "fr": "en retard", "es": "atrasado"},
    # agreeing with the noun: {s} plural, {e} a French feminine ({il} "il" or "elle"), {o}
    # "o" or "a" in Spanish
    "overdue_in_list": {"en": "overdue", "fr": "en retard", "es": "atrasad{o}{s}"},
    "open": {"en": "open", "fr": "en cours", "es": "abiert{o}{s}"},
    "are": {"en": "is", "fr": "est", "es": "está"},
    "are_many": {"en": "are", "fr": "sont", "es": "están"},
    "leads": {
        "en": "that {entity} leads",
        "fr": "dirigé{e}{s} par {entity}",
        "es": "que dirige {entity}",
    },
    "partners": {
        "en": "where {entity} is a partner",
        "fr": "où {entity} est partenaire",
        "es": "en l{o}s que {entity} es socio",
    },
    "involving": {"en": "involving {entity}", "fr": "impliquant {entity}", "es": "con {entity}"},
    "in_group": {"en": "in {group}", "fr": "dans {group}", "es": "en {group}"},
    "mentioning": {
        "en": "mentioning “{text}”",
        "fr": "mentionnant « {text} »",
        "es": "que mencionan «{text}»",
    },
    "due_window": {
        "en": "due {window}",
        "fr": "à échéance {window}",
        "es": "con vencimiento {window}",
    },
    "in_period": {"en": "in {span}", "fr": "en {span}", "es": "en {span}"},
    "between": {
        "en": "between {a} and {b}",
        "fr": "entre le {a} et le {b}",
        "es": "entre el {a} y el {b}",
    },
    "from_day": {"en": "from {a}", "fr": "à partir du {a}", "es": "a partir del {a}"},
    "until_day": {"en": "until {b}", "fr": "jusqu'au {b}", "es": "hasta el {b}"},
    "and_more": {
        "en": "…and {n} more: {url}",
        "fr": "…et {n} de plus : {url}",
        "es": "…y {n} más: {url}",
    },
    "more_hint": {
        "en": "Say “more” for the next {n}.",
        "fr": "Dites « plus » pour les {n} suivants.",
        "es": "Diga «más» para los {n} siguientes.",
    },
    "corrected": {
        "en": "Showing results for {words}.",
        "fr": "Résultats pour {words}.",
        "es": "Resultados para {words}.",
    },
    "closed_too": {
        "en": "{n} more {are} completed or cancelled.",
        "fr": "{n} autre{s} {are} terminé{e}{s} ou annulé{e}{s}.",
        "es": "{n} más {are} terminad{o}{s} o cancelad{o}{s}.",
    },
    "closed_in_all": {
        "en": "{all} in all, counting {n} completed or cancelled.",
        "fr": "{all} en tout, dont {n} terminé{e}{s} ou annulé{e}{s}.",
        "es": "{all} en total, incluid{o}{s} {n} terminad{o}{s} o cancelad{o}{s}.",
    },
    "none_open": {
        "en": "None of them is still open: each is completed or cancelled.",
        "fr": "Aucun{e} n'est encore en cours : chacun{e} est terminé{e} ou annulé{e}.",
        "es": "Ningun{o} sigue abiert{o}: cada un{o} está terminad{o} o cancelad{o}.",
    },
    "none_open_one": {
        "en": "It is no longer open: it is completed or cancelled.",
        "fr": "{Il} n'est plus en cours : {il} est terminé{e} ou annulé{e}.",
        "es": "Ya no está abiert{o}: está terminad{o} o cancelad{o}.",
    },
    "ignored": {
        "en": "I did not use: {words}.",
        "fr": "Mots non pris en compte : {words}.",
        "es": "No tuve en cuenta: {words}.",
    },
    "not_understood": {
        "en": "Sorry, I didn't understand “{question}”.",
        "fr": "Désolé, je n'ai pas compris « {question} ».",
        "es": "Lo siento, no entendí «{question}».",
    },
    "understood_part": {
        "en": "I understood {what}, but not “{words}”.",
        "fr": "J'ai compris {what}, mais pas « {words} ».",
        "es": "Entendí {what}, pero no «{words}».",
    },
    "not_held": {
        "en": "I know the workplans (items, dates, places, leads and partners, status and "
        "progress), not “{words}”.",
        "fr": "Je connais les plans de travail (éléments, dates, lieux, entités, statut et "
        "avancement), pas « {words} ».",
        "es": "Conozco los planes de trabajo (elementos, fechas, lugares, entidades, estado y "
        "avance), no «{words}».",
    },
    "closest": {
        "en": "Closest questions I can answer:",
        "fr": "Questions proches auxquelles je sais répondre :",
        "es": "Preguntas cercanas que sé responder:",
    },
    "led_by": {
        "en": "{name} is led by {leads}.",
        "fr": "{name} est dirigé par {leads}.",
        "es": "{name} está dirigido por {leads}.",
    },
    "no_lead": {
        "en": "{name} names no lead entity.",
        "fr": "{name} ne nomme aucune entité chef de file.",
        "es": "{name} no nombra ninguna entidad responsable.",
    },
    "involved": {
        "en": "{name} is led by {leads}; partners: {who}.",
        "fr": "{name} est dirigé par {leads} ; partenaires : {who}.",
        "es": "{name} está dirigido por {leads}; socios: {who}.",
    },
    "no_lead_partners": {
        "en": "{name} names no lead entity; partners: {who}.",
        "fr": "{name} ne nomme aucune entité chef de file ; partenaires : {who}.",
        "es": "{name} no nombra ninguna entidad responsable; socios: {who}.",
    },
    "partners_of": {
        "en": "Partners of {name}: {who}.",
        "fr": "Partenaires de {name} : {who}.",
        "es": "Socios de {name}: {who}.",
    },
    "no_partners": {
        "en": "{name} names no partner (led by {leads}).",
        "fr": "{name} ne nomme aucun partenaire (dirigé par {leads}).",
        "es": "{name} no nombra socios (dirigido por {leads}).",
    },
    "status_is": {"en": "{name}: {status}.", "fr": "{name} : {status}.", "es": "{name}: {status}."},
    "due_on": {"en": "is due {date}.", "fr": "est dû {date}.", "es": "vence {date}."},
    "was_due": {
        "en": "was due {date} ({status}).",
        "fr": "était dû {date} ({status}).",
        "es": "vencía {date} ({status}).",
    },
    "was_due_overdue": {
        "en": "was due {date} and is overdue ({status}).",
        "fr": "était dû {date} et est en retard ({status}).",
        "es": "vencía {date} y está atrasado ({status}).",
    },
    "takes_place": {
        "en": "takes place {when}{place}.",
        "fr": "a lieu {when}{place}.",
        "es": "tiene lugar {when}{place}.",
    },
    "took_place": {
        "en": "took place {when}{place}; past, awaiting its report.",
        "fr": "a eu lieu {when}{place} ; passé, en attente de son rapport.",
        "es": "tuvo lugar {when}{place}; pasado, a la espera de su informe.",
    },
    "took_place_done": {
        "en": "took place {when}{place}.",
        "fr": "a eu lieu {when}{place}.",
        "es": "tuvo lugar {when}{place}.",
    },
    "ongoing_no_end": {
        "en": "is ongoing, with no end date.",
        "fr": "est en cours, sans date de fin.",
        "es": "está en curso, sin fecha de fin.",
    },
    "no_date": {
        "en": "has no date in the workplan.",
        "fr": "n'a pas de date dans le plan de travail.",
        "es": "no tiene fecha en el plan de trabajo.",
    },
    "in_place": {"en": " in {place}", "fr": " à {place}", "es": " en {place}"},
    "next_is": {
        "en": "The next {title} is {when}{place} ({label}).",
        "fr": "Le prochain {title} a lieu {when}{place} ({label}).",
        "es": "El próximo {title} es {when}{place} ({label}).",
    },
    "next_expected": {
        "en": "The next {title} is expected {when} ({rule}; place not yet known) ({label}).",
        "fr": "Le prochain {title} est prévu {when} ({rule} ; lieu pas encore connu) ({label}).",
        "es": "El próximo {title} está previsto {when} ({rule}; lugar aún no conocido) ({label}).",
    },
    "no_next": {
        "en": "{name} has no date after today; it was last on {when}.",
        "fr": "{name} n'a pas de date après aujourd'hui ; la dernière était {when}.",
        "es": "{name} no tiene fecha después de hoy; la última fue {when}.",
    },
    "time_is": {
        "en": "{name} runs {time} {zone} on {day}{converted}.",
        "fr": "{name} a lieu de {time} ({zone}) le {day}{converted}.",
        "es": "{name} es de {time} ({zone}) el {day}{converted}.",
    },
    "time_in": {
        "en": ", that is {time} in {city}",
        "fr": ", soit {time} à {city}",
        "es": ", es decir {time} en {city}",
    },
    "no_time": {
        "en": "{name} has no time in the workplan ({when}).",
        "fr": "{name} n'a pas d'heure dans le plan de travail ({when}).",
        "es": "{name} no tiene hora en el plan de trabajo ({when}).",
    },
    "count": {"en": "{n} {noun}{scope}.", "fr": "{n} {noun}{scope}.", "es": "{n} {noun}{scope}."},
    "followups": {
        "en": "Follow-up items of {name}:",
        "fr": "Suites de {name} :",
        "es": "Seguimiento de {name}:",
    },
    "no_followups": {
        "en": "{name} has no follow-up items in the workplan.",
        "fr": "{name} n'a pas de suites dans le plan de travail.",
        "es": "{name} no tiene elementos de seguimiento en el plan de trabajo.",
    },
    "not_found": {
        "en": "I couldn't find an activity or milestone “{subject}”{where}. Try its code "
        "(“status of 3.2”) or a few words of its title.",
        "fr": "Je n'ai trouvé aucune activité ni aucun jalon « {subject} »{where}. Essayez son "
        "code (« statut de 3.2 ») ou quelques mots de son titre.",
        "es": "No encontré ninguna actividad ni hito «{subject}»{where}. Pruebe con su código "
        "(«estado de 3.2») o algunas palabras de su título.",
    },
    "status": {"en": "Status", "fr": "Statut", "es": "Estado"},
    "when": {"en": "When", "fr": "Quand", "es": "Cuándo"},
    "where": {"en": "Where", "fr": "Où", "es": "Dónde"},
    "led_by_line": {"en": "Led by", "fr": "Dirigé par", "es": "Dirigido por"},
    "partners_line": {"en": "Partners", "fr": "Partenaires", "es": "Socios"},
    "group_line": {"en": "Working group", "fr": "Groupe de travail", "es": "Grupo de trabajo"},
    "about_line": {"en": "About", "fr": "Description", "es": "Descripción"},
    "last_update": {
        "en": "Last update: {status}, by {who} on {day}{note}",
        "fr": "Dernière mise à jour : {status}, par {who} le {day}{note}",
        "es": "Última actualización: {status}, por {who} el {day}{note}",
    },
    "no_update": {
        "en": "No progress reported yet.",
        "fr": "Aucun avancement signalé pour l'instant.",
        "es": "Aún no se ha informado de avances.",
    },
    "no_lead_named": {
        "en": "no lead entity named",
        "fr": "aucune entité nommée",
        "es": "ninguna entidad nombrada",
    },
    "also": {"en": "Also matching", "fr": "Correspondent aussi", "es": "También coinciden"},
    "due": {"en": "due {date}", "fr": "échéance {date}", "es": "vence {date}"},
    "no_date_short": {"en": "no date", "fr": "sans date", "es": "sin fecha"},
    "past_meeting": {
        "en": "past, awaiting its report",
        "fr": "passé, en attente du rapport",
        "es": "pasado, a la espera del informe",
    },
    "expected": {"en": "expected", "fr": "prévu", "es": "previsto"},
    "every_other_year": {
        "en": "every other year",
        "fr": "tous les deux ans",
        "es": "cada dos años",
    },
    "repeats": {"en": "repeats", "fr": "se répète", "es": "se repite"},
}

STATUS_LABELS: dict[str, dict[Language, str]] = {
    "planned": {"en": "planned", "fr": "prévu", "es": "previsto"},
    "in_progress": {"en": "in progress", "fr": "en cours", "es": "en curso"},
    "completed": {"en": "completed", "fr": "terminé", "es": "completado"},
    "delayed": {"en": "delayed", "fr": "retardé", "es": "retrasado"},
    "cancelled": {"en": "cancelled", "fr": "annulé", "es": "cancelado"},
    "not_reported": {"en": "not reported", "fr": "non signalé", "es": "sin informar"},
}


def say(key: str, language: Language, **values: object) -> str:
    return PHRASES[key][language].format(**values)


def status_label(status: str, language: Language) -> str:
    return STATUS_LABELS[status][language]


def format_date_in(value: date, precision: Precision | str | None, language: Language) -> str:
    """ "20 January 2020", "20 janvier 2020", "20 de enero de 2020" (or month / year only)."""
    if language == "en":
        from tracker.timeline import format_date

        return format_date(value, precision)
    month = _MONTH_WRITTEN[language][value.month - 1]
    of = " de " if language == "es" else " "
    if precision == Precision.YEAR:
        return str(value.year)
    if precision == Precision.MONTH:
        return f"{month}{of}{value.year}"
    day = "1er" if language == "fr" and value.day == 1 else str(value.day)
    return f"{day}{of}{month}{of}{value.year}"


def format_span_in(
    start: date | None,
    end: date | None,
    start_precision: Precision | str | None,
    end_precision: Precision | str | None,
    language: Language,
    *,
    ongoing: bool = False,
) -> str:
    """A span in the language: "20-21 janvier 2020", "de noviembre de 2019 a marzo de 2020"."""
    if language == "en":
        from tracker.timeline import format_span

        return format_span(start, end, start_precision, end_precision, ongoing=ongoing)
    words = {
        "fr": ("en cours", "sans date", "jusqu'à", "depuis"),
        "es": ("en curso", "sin fecha", "hasta", "desde"),
    }[language]
    current, none, until, since = words
    if start is None and end is None:
        return current if ongoing else none
    if start is None:
        assert end is not None
        return (
            f"{current} – {format_date_in(end, end_precision, language)}"
            if ongoing
            else (f"{until} {format_date_in(end, end_precision, language)}")
        )
    if end is None:
        written = format_date_in(start, start_precision, language)
        return f"{written} – {current}" if ongoing else f"{since} {written}"
    if start == end:
        return format_date_in(start, start_precision, language)
    sp, ep = Precision(start_precision or "day"), Precision(end_precision or "day")
    if sp == ep == Precision.DAY and (start.year, start.month) == (end.year, end.month):
        return f"{start.day}-{format_date_in(end, ep, language)}"
    if sp == ep == Precision.MONTH and (start.year, start.month) == (end.year, end.month):
        return format_date_in(start, sp, language)
    if sp == ep == Precision.YEAR and start.year == end.year:
        return str(start.year)
    return f"{format_date_in(start, sp, language)} – {format_date_in(end, ep, language)}"
