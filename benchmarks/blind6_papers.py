"""Sixth blind suite, more long pasted documents (rules in `blind6_families.py`).

Kinds of change: renews/does not renew automatically and the notice period in the middle of a
services agreement, or who the summary is for; reduced/increased and the effect size in the
middle of a trial abstract, or the outlet; what to do with a sales-call transcript, and the
budget and timeline the prospect states in its middle.
"""

from __future__ import annotations

from typing import Any

from benchmarks.blind_pool import cap, pooled

Slots = dict[str, Any]

_MSA_HEAD = (
    'MASTER SERVICES AGREEMENT between Quillfield Software Ltd ("Supplier") and the '
    'customer named in the Order Form ("Customer").\n\n'
    "1. Services. Supplier will provide the hosted document-management service described in "
    "the Order Form, with the support levels set out in Schedule 2. Supplier may update the "
    "service from time to time provided that the overall functionality is not materially "
    "reduced.\n\n"
    "2. Fees. Customer will pay the fees in the Order Form annually in advance, within 30 "
    "days of invoice. Late amounts bear interest at 4% above the base rate. Fees may be "
    "increased once a year by no more than the consumer price index plus 3%.\n\n"
    "3. Data. Customer data remains the property of Customer. Supplier processes personal "
    "data only on Customer's documented instructions, under the data processing addendum in "
    "Schedule 3, and will return or delete it within 60 days of termination.\n\n"
    "4. Term and renewal. The initial term is twelve months from the start date. "
)
_MSA_TAIL = (
    "Either party may terminate for material breach not remedied within 30 days of written "
    "notice.\n\n"
    "5. Liability. Each party's total liability in any contract year is capped at the fees "
    "paid or payable in that year. The cap does not apply to breach of confidentiality, "
    "data protection obligations or either party's indemnities.\n\n"
    "6. Confidentiality. Each party keeps the other's confidential information secret and "
    "uses it only for this agreement, during the term and for five years after it ends.\n\n"
    "7. Suspension. Supplier may suspend access if undisputed fees are more than 45 days "
    "overdue, after giving 10 days' notice, and will restore access within one working day of "
    "payment. Suspension does not extend the term or reduce the fees.\n\n"
    "8. Subcontractors. Supplier may use subcontractors, listed on its website, and remains "
    "responsible for their work. Customer may object to a new subprocessor on reasonable data "
    "protection grounds within 30 days of notice.\n\n"
    "9. General. English law governs this agreement. Notices must be "
    "in writing and sent to the addresses in the Order Form. No variation is valid unless "
    "signed by both parties."
)


def _msa(s: Slots) -> str:
    return (
        f"{_MSA_HEAD}After that, this Agreement {s['renew']} for successive twelve-month "
        f"terms; to stop it renewing when a term expires, a party must give {s['days']} days' "
        f"written notice.\n{_MSA_TAIL}"
    )


MSA = pooled(
    "msa_auto_renewal",
    (
        lambda s: (
            f"Summarise the renewal and termination terms of this agreement for {s['reader']}, "
            f"including the latest date we can act.\n\n{_msa(s)}"
        ),
        lambda s: (
            f"{_msa(s)}\n\nFor {s['reader']}: a summary of how this agreement renews and can "
            "be terminated, with the latest date we can act."
        ),
        lambda s: (
            f"Contract below. {cap(s['reader'])} needs to know how renewal and termination "
            f"work and the latest date we can act; summarise.\n\n{_msa(s)}"
        ),
    ),
    {
        "renew": ["renews automatically", "does not renew automatically"],
        "days": [30, 60, 90, 120],
        "reader": ["our CFO", "the procurement team"],
    },
)

_ABS_HEAD = (
    "Title: Magnesium glycinate for the prevention of episodic migraine in adults: a "
    "randomised, double-blind, placebo-controlled trial.\n\n"
    "Background: Magnesium deficiency has been linked to cortical spreading depression and "
    "platelet aggregation, both implicated in migraine. Previous trials used magnesium oxide "
    "or citrate, which are poorly tolerated at preventive doses, and were small.\n\n"
    "Methods: We recruited 412 adults aged 18 to 65 with 4 to 14 migraine days a month from "
    "nine outpatient clinics. After a four-week baseline, participants were randomly assigned "
    "1:1 to 600 mg magnesium glycinate daily or a matching placebo for 16 weeks. The main "
    "endpoint: change in monthly migraine days from baseline to weeks 13 to 16. "
    "Secondary outcomes were acute medication days, the proportion of participants with at "
    "least a 50% reduction in migraine days, and adverse events. Analysis was by intention to "
    "treat, with multiple imputation for missing diaries.\n\n"
    "Results: 389 participants (94%) completed the trial. "
)
_ABS_TAIL = (
    "Acute medication days followed the same pattern. Diarrhoea was reported by 9% in the "
    "magnesium group and 4% in the placebo group; no serious adverse events were judged "
    "related to treatment. Adherence by pill count was 91%.\n\n"
    "Conclusions: In adults with episodic migraine, 16 weeks of daily magnesium glycinate "
    "changed the monthly number of migraine days relative to placebo as reported above and "
    "was well tolerated. Longer trials, and trials in adolescents and in chronic migraine, "
    "are needed before it can be recommended as a first-line preventive.\n\n"
    "Limitations: Migraine days were self-reported in paper diaries, and participants with "
    "medication-overuse headache were excluded, so the results may not apply to them. The "
    "placebo contained no magnesium, and the loose stools reported by some participants may "
    "have revealed their allocation.\n\n"
    "Data sharing: De-identified participant data will be available on request after "
    "publication.\n\n"
    "Funding: National Headache Research Fund. Trial registration: ISRCTN 40217733."
)


def _abstract(s: Slots) -> str:
    return (
        f"{_ABS_HEAD}Compared with placebo, magnesium glycinate {s['dir']} monthly migraine "
        f"days by {s['pct']}% (95% CI reported in table 2).\n{_ABS_TAIL}"
    )


ABSTRACT = pooled(
    "abstract_lay_summary",
    (
        lambda s: (
            f"Turn this abstract into a plain-language piece for {s['outlet']}.\n\n" + _abstract(s)
        ),
        lambda s: (
            f"{_abstract(s)}\n\nRewrite the abstract above in plain language for {s['outlet']}."
        ),
        lambda s: (
            f"Plain-language version wanted, destined for {s['outlet']}, of the trial "
            f"abstract that follows.\n\n{_abstract(s)}"
        ),
    ),
    {
        "dir": ["reduced", "increased"],
        "pct": [12, 30, 45],
        "outlet": ["a patient newsletter", "a journal club slide", "a press release"],
    },
)

_CALL_HEAD = (
    "Call transcript, discovery call, Tuesday. Participants: Dana Okafor (account executive, "
    "Brightpath HR), Marek Nowak (head of people operations, Linfield Foods).\n\n"
    "Dana: Thanks for making time, Marek. You mentioned on the form that onboarding is the "
    "main pain point?\n"
    "Marek: Yes. We hire about 300 seasonal workers a year across four plants, and every "
    "contract, ID check and safety briefing is still on paper. Managers spend a day per hire.\n"
    "Dana: And payroll, is that connected today?\n"
    "Marek: No, HR re-keys everything into the payroll system, and we had two overpayments "
    "last quarter because of typos. Our finance director was not amused.\n"
    "Dana: Understood. Who else would be involved in choosing a tool?\n"
    "Marek: I'd lead it, but the finance director signs off anything above a certain amount, "
    "and IT has to approve the security side.\n"
    "Dana: Do you have a budget set aside for this?\n"
)
_CALL_TAIL = (
    "Dana: And on the IT side, any constraints we should know about?\n"
    "Marek: Single sign-on with our Microsoft tenant is a must, and data has to stay in the "
    "EU. The plants share tablets, so workers can't rely on their own e-mail addresses.\n"
    "Dana: We support kiosk mode with a PIN for shared devices, and SSO for office staff.\n"
    "Marek: Good. Another thing: the works council will want to see what we store about "
    "workers and the retention periods, before anything goes live.\n"
    "Dana: We have a standard pack for works councils; I'll include it.\n"
    "Dana: That helps. Are you looking at other vendors?\n"
    "Marek: We had a demo from one competitor last month. It looked fine, but their "
    "integration with our payroll provider was an extra module.\n"
    "Dana: Our payroll connector is included. I can show it next time, with a sample "
    "onboarding flow for a seasonal worker, from offer to first shift.\n"
    "Marek: Good. Please also send something on data residency; IT will ask.\n"
    "Dana: Will do. Shall we book the demo for next week with you and someone from IT?\n"
    "Marek: Yes, Thursday afternoon works. I'll bring our IT security lead.\n"
    "Dana: Perfect, I'll send an invite and the data residency document today.\n"
    "Marek: Thanks. Speak on Thursday."
)


def _call(s: Slots) -> str:
    return (
        f"{_CALL_HEAD}Marek: Roughly {s['budget']} for the first year, all in, and we'd want "
        f"it live {s['when']}.\n{_CALL_TAIL}"
    )


SALES_CALL = pooled(
    "sales_call_transcript",
    (
        lambda s: f"{s['task']}.\n\n{_call(s)}",
        lambda s: f"{_call(s)}\n\nTask, based on the call transcript above: {s['task']}.",
        lambda s: (
            f"Sales assistant request. {s['task']}; the transcript is pasted below.\n\n" + _call(s)
        ),
    ),
    {
        "task": [
            "Fill in the CRM fields (budget, timeline, decision makers) from this call",
            "Write the follow-up email to the prospect after this call",
        ],
        "budget": ["€40,000", "€140,000", "€400,000"],
        "when": ["before the end of June", "after the summer", "early next year"],
    },
)

FAMILIES = (MSA, ABSTRACT, SALES_CALL)
