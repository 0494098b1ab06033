"""Demonstration knowledge base: realistic bilingual public-service answers (two are one-language only).

`load_demo_knowledge()` is idempotent: articles are matched by key and only rewritten when they changed.
"""

from __future__ import annotations

from typing import Any


def _v(title: str, phrasings: list[str], answer: str, source_url: str) -> dict[str, Any]:
    return {"title": title, "phrasings": phrasings, "answer": answer, "source_url": source_url}


DEMO_ARTICLES: list[dict[str, Any]] = [
    {
        "id": "passport-renewal", "tags": ["passports"],
        "en": _v("How do I renew my passport?",
                 ["renew passport", "my passport is expiring", "passport renewal form",
                  "how long does it take to renew a passport", "can I renew my passport online"],
                 "You can renew your adult passport by mail or in person if your current passport was issued "
                 "in the last 15 years and you were 16 or older.\n\n"
                 "1. Fill in the **simplified renewal application** (form PPTC 054).\n"
                 "2. Include two identical passport photos and your current passport.\n"
                 "3. Pay the fee ($120 for 5 years, $160 for 10 years).\n\n"
                 "Processing takes about 10 business days in person and 20 business days by mail.",
                 "https://www.canada.ca/en/immigration-refugees-citizenship/services/canadian-passports/renew-adult-passport.html"),
        "fr": _v("Comment renouveler mon passeport?",
                 ["renouveler passeport", "mon passeport expire bientôt", "formulaire de renouvellement de passeport",
                  "délai pour renouveler un passeport", "renouveler mon passeport en ligne"],
                 "Vous pouvez renouveler votre passeport d'adulte par la poste ou en personne si votre passeport "
                 "actuel a été délivré au cours des 15 dernières années et que vous aviez 16 ans ou plus.\n\n"
                 "1. Remplissez la **demande de renouvellement simplifié** (formulaire PPTC 054).\n"
                 "2. Joignez deux photos de passeport identiques et votre passeport actuel.\n"
                 "3. Payez les frais (120 $ pour 5 ans, 160 $ pour 10 ans).\n\n"
                 "Le traitement prend environ 10 jours ouvrables en personne et 20 jours ouvrables par la poste.",
                 "https://www.canada.ca/fr/immigration-refugies-citoyennete/services/passeports-canadiens/renouveler-passeport-adulte.html"),
    },
    {
        "id": "benefit-payment-dates", "tags": ["benefits"],
        "en": _v("When will I receive my benefit payment?",
                 ["benefit payment dates", "when is the next payment", "pension payment date",
                  "I did not get my payment this month", "child benefit payment day"],
                 "Benefit payments are deposited on fixed dates each month. For 2026 the Canada Pension Plan "
                 "and Old Age Security are paid on the **third-last business day** of the month; the Canada "
                 "Child Benefit is paid around the **20th**.\n\nIf a payment is more than 10 business days "
                 "late, contact us so we can trace it.",
                 "https://www.canada.ca/en/services/benefits/calendar.html"),
        "fr": _v("Quand vais-je recevoir mon paiement de prestations?",
                 ["dates de paiement des prestations", "quand est le prochain paiement",
                  "date de versement de la pension", "je n'ai pas reçu mon paiement ce mois-ci",
                  "jour de paiement de l'allocation pour enfants"],
                 "Les prestations sont déposées à des dates fixes chaque mois. En 2026, le Régime de pensions du "
                 "Canada et la Sécurité de la vieillesse sont versés l'**avant-avant-dernier jour ouvrable** du "
                 "mois; l'Allocation canadienne pour enfants est versée vers le **20**.\n\nSi un paiement a plus "
                 "de 10 jours ouvrables de retard, communiquez avec nous pour que nous puissions le retracer.",
                 "https://www.canada.ca/fr/services/prestations/calendrier.html"),
    },
    {
        "id": "change-of-address", "tags": ["address", "flow:change-address"],
        "en": _v("How do I change my mailing address?",
                 ["I moved", "update my address", "new address", "change address for my benefits",
                  "I am moving next month"],
                 "You can update your mailing address with us in this chat, online in your account, or by "
                 "phone. Have your reference number and your new postal code ready.",
                 "https://www.canada.ca/en/services/change-address.html"),
        "fr": _v("Comment changer mon adresse postale?",
                 ["j'ai déménagé", "mettre à jour mon adresse", "nouvelle adresse",
                  "changer l'adresse pour mes prestations", "je déménage le mois prochain"],
                 "Vous pouvez mettre à jour votre adresse postale ici même dans le clavardage, en ligne dans "
                 "votre compte ou par téléphone. Ayez votre numéro de référence et votre nouveau code postal "
                 "sous la main.",
                 "https://www.canada.ca/fr/services/changement-adresse.html"),
    },
    {
        "id": "tax-refund-status", "tags": ["taxes"],
        "en": _v("Where is my tax refund?",
                 ["tax refund status", "when will I get my tax refund", "income tax refund delay",
                  "check my refund", "how long for a tax return to be processed"],
                 "If you filed online, your refund is usually issued within **2 weeks**; paper returns take "
                 "about **8 weeks**. You can check the status in My Account. Direct deposit is the fastest "
                 "way to receive it.",
                 "https://www.canada.ca/en/revenue-agency/services/e-services/digital-services-individuals/account-individuals.html"),
        "fr": _v("Où en est mon remboursement d'impôt?",
                 ["état de mon remboursement d'impôt", "quand vais-je recevoir mon remboursement",
                  "retard de remboursement d'impôt", "vérifier mon remboursement",
                  "délai de traitement de la déclaration de revenus"],
                 "Si vous avez produit votre déclaration en ligne, le remboursement est généralement émis en "
                 "**2 semaines**; une déclaration papier prend environ **8 semaines**. Vous pouvez vérifier "
                 "l'état dans Mon dossier. Le dépôt direct est le moyen le plus rapide de le recevoir.",
                 "https://www.canada.ca/fr/agence-revenu/services/services-electroniques/services-numeriques-particuliers/dossier-particuliers.html"),
    },
    {
        "id": "office-hours", "tags": ["offices"],
        "en": _v("What are your office hours?",
                 ["opening hours", "when are you open", "service centre hours", "are you open on Saturday",
                  "what time do you close"],
                 "Service Canada Centres are open **Monday to Friday, 8:30 a.m. to 4:00 p.m.** local time, "
                 "except statutory holidays. Our contact centre agents answer chats and calls Monday to Friday "
                 "from 8:30 a.m. to 5:00 p.m. Eastern time.",
                 "https://www.servicecanada.gc.ca/tbsc-fsco/sc-hme.jsp?lang=eng"),
        "fr": _v("Quelles sont vos heures d'ouverture?",
                 ["heures d'ouverture", "quand êtes-vous ouverts", "horaire du centre de service",
                  "êtes-vous ouverts le samedi", "à quelle heure fermez-vous"],
                 "Les Centres Service Canada sont ouverts du **lundi au vendredi, de 8 h 30 à 16 h**, heure "
                 "locale, sauf les jours fériés. Nos agents répondent au clavardage et au téléphone du lundi au "
                 "vendredi de 8 h 30 à 17 h, heure de l'Est.",
                 "https://www.servicecanada.gc.ca/tbsc-fsco/sc-hme.jsp?lang=fra"),
    },
    {
        "id": "accessibility-services", "tags": ["accessibility"],
        "en": _v("What accessibility services do you offer?",
                 ["sign language interpreter", "I am deaf", "large print documents", "TTY number",
                  "accessible formats", "wheelchair access"],
                 "We offer documents in large print, braille and audio, sign language (ASL and LSQ) "
                 "interpretation on request, a TTY line (1-800-926-9105) and video relay service. Every "
                 "Service Canada Centre is wheelchair accessible. Tell us what you need and we will arrange it.",
                 "https://www.canada.ca/en/employment-social-development/corporate/contact/accessibility.html"),
        "fr": _v("Quels services d'accessibilité offrez-vous?",
                 ["interprète en langue des signes", "je suis sourd", "documents en gros caractères",
                  "numéro ATS", "formats accessibles", "accès en fauteuil roulant"],
                 "Nous offrons des documents en gros caractères, en braille et en format audio, "
                 "l'interprétation en langue des signes (LSQ et ASL) sur demande, une ligne ATS "
                 "(1-800-926-9105) et le service de relais vidéo. Tous les Centres Service Canada sont "
                 "accessibles en fauteuil roulant. Dites-nous ce dont vous avez besoin.",
                 "https://www.canada.ca/fr/emploi-developpement-social/ministere/coordonnees/accessibilite.html"),
    },
    {
        "id": "covid-vaccination-proof", "tags": ["health", "covid"],
        "en": _v("How do I get proof of COVID-19 vaccination?",
                 ["covid vaccine certificate", "vaccination record", "proof of vaccination for travel",
                  "lost my vaccine card"],
                 "Proof of COVID-19 vaccination is issued by your province or territory. Download it from your "
                 "provincial health portal or ask your local public health unit for a paper copy.",
                 "https://www.canada.ca/en/public-health/services/diseases/coronavirus-disease-covid-19/vaccination-proof.html"),
        "fr": _v("Comment obtenir une preuve de vaccination contre la COVID-19?",
                 ["certificat de vaccination covid", "carnet de vaccination", "preuve de vaccination pour voyager",
                  "j'ai perdu ma preuve de vaccination"],
                 "La preuve de vaccination contre la COVID-19 est délivrée par votre province ou territoire. "
                 "Téléchargez-la sur le portail santé de votre province ou demandez une copie papier à votre "
                 "bureau de santé publique.",
                 "https://www.canada.ca/fr/sante-publique/services/maladies/maladie-coronavirus-covid-19/preuve-vaccination.html"),
    },
    {
        "id": "employment-insurance-apply", "tags": ["benefits", "employment-insurance"],
        "en": _v("How do I apply for Employment Insurance?",
                 ["apply for EI", "I lost my job", "unemployment benefits", "record of employment",
                  "EI application"],
                 "Apply online as soon as you stop working, even if you have not received your Record of "
                 "Employment. Waiting more than 4 weeks may cost you benefits. You will need your Social "
                 "Insurance Number, your banking information and the dates you worked.",
                 "https://www.canada.ca/en/services/benefits/ei/ei-regular-benefit/apply.html"),
        "fr": _v("Comment présenter une demande d'assurance-emploi?",
                 ["demander l'AE", "j'ai perdu mon emploi", "prestations de chômage", "relevé d'emploi",
                  "demande d'assurance-emploi"],
                 "Faites votre demande en ligne dès que vous cessez de travailler, même si vous n'avez pas reçu "
                 "votre relevé d'emploi. Attendre plus de 4 semaines peut vous faire perdre des prestations. "
                 "Ayez votre numéro d'assurance sociale, vos renseignements bancaires et vos dates d'emploi.",
                 "https://www.canada.ca/fr/services/prestations/ae/assurance-emploi-reguliere/demande.html"),
    },
    {
        "id": "application-status", "tags": ["applications", "flow:application-status"],
        "en": _v("What is the status of my application?",
                 ["check my application status", "where is my application", "application still processing",
                  "has my file been approved", "track my application"],
                 "You can check the status of an application here with your reference number, or in your "
                 "online account.",
                 "https://www.canada.ca/en/services/application-status.html"),
        "fr": _v("Où en est ma demande?",
                 ["vérifier l'état de ma demande", "où est rendue ma demande", "ma demande est toujours en traitement",
                  "mon dossier a-t-il été approuvé", "suivre ma demande"],
                 "Vous pouvez vérifier l'état d'une demande ici avec votre numéro de référence, ou dans votre "
                 "compte en ligne.",
                 "https://www.canada.ca/fr/services/etat-demande.html"),
    },
    {
        "id": "social-insurance-number", "tags": ["identity"],
        "en": _v("How do I get a Social Insurance Number?",
                 ["apply for a SIN", "lost my SIN", "SIN for a newcomer", "need a social insurance number to work"],
                 "Apply for a Social Insurance Number online, by mail or in person at a Service Canada Centre. "
                 "Bring an original primary identity document such as a birth certificate or a permanent "
                 "resident card. There is no fee.",
                 "https://www.canada.ca/en/employment-social-development/services/sin/apply.html"),
        "fr": _v("Comment obtenir un numéro d'assurance sociale?",
                 ["demander un NAS", "j'ai perdu mon NAS", "NAS pour un nouvel arrivant",
                  "besoin d'un numéro d'assurance sociale pour travailler"],
                 "Demandez un numéro d'assurance sociale en ligne, par la poste ou en personne dans un Centre "
                 "Service Canada. Apportez un document d'identité principal original, comme un certificat de "
                 "naissance ou une carte de résident permanent. C'est gratuit.",
                 "https://www.canada.ca/fr/emploi-developpement-social/services/numero-assurance-sociale/demande.html"),
    },
    {
        # English only: the French page has not been written yet (cross-language notice in the bot).
        "id": "winter-heating-rebate", "tags": ["benefits", "seasonal"],
        "en": _v("Am I eligible for the winter heating rebate?",
                 ["heating rebate", "help paying my heating bill", "winter energy rebate eligibility",
                  "heating assistance for seniors"],
                 "Households with a net income under $45,000 can receive a one-time heating rebate of up to "
                 "$250. It is paid automatically if you filed your taxes; no application is needed.",
                 "https://www.canada.ca/en/services/benefits/heating-rebate.html"),
        "fr": None,
    },
    {
        # French only: a Quebec-specific notice.
        "id": "quebec-parental-insurance", "tags": ["benefits", "quebec"],
        "en": None,
        "fr": _v("Comment fonctionne le Régime québécois d'assurance parentale?",
                 ["congé parental au Québec", "RQAP", "prestations de maternité au Québec",
                  "demande d'assurance parentale"],
                 "Au Québec, les prestations de maternité, de paternité et parentales sont versées par le "
                 "Régime québécois d'assurance parentale (RQAP) et non par l'assurance-emploi. Faites votre "
                 "demande en ligne auprès du RQAP dès la naissance ou l'adoption.",
                 "https://www.rqap.gouv.qc.ca/fr"),
    },
]

for _record in DEMO_ARTICLES:
    _record.setdefault("status", "published")
    _record.setdefault("audience", "public")


def load_demo_knowledge() -> int:
    """Create or refresh the demo articles; returns how many were created or changed."""
    from guichet.knowledge.actions import import_articles
    from guichet.knowledge.formats import ParsedRecord, validate

    cleaned, errors = validate([ParsedRecord(f"demo {r['id']}", r) for r in DEMO_ARTICLES])
    if errors:  # a bug in this file, not bad user input
        raise ValueError("; ".join(str(error) for error in errors))
    result = import_articles(cleaned, source="demo")
    return result.created + result.updated
