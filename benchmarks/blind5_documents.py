"""Fifth blind suite, instructions over long pasted documents (rules in `blind5_families.py`).

Each document is over 2,000 characters; the instruction comes before it, after it, or as a
labelled header. Kinds of change: the audience and the shape of an outage update, and how long
the outage lasted or what triggered it, both inside the post-mortem; the reader and the format
of a privacy-policy summary, and never/may share location data or how long recordings are kept,
inside the policy; how many and which kind of interview questions (after a line summing up the
experience and on-call duty asked for), and the years of experience or the on-call duty inside
a job posting.
"""

from __future__ import annotations

from benchmarks.blind_pool import cap, pooled
from benchmarks.heldout_families import Slots


def _postmortem(s: Slots) -> str:
    return (
        "Post-incident review: checkout unavailable in the EU region\n\n"
        "Summary. On Tuesday at 09:14 UTC, card payments started failing for shoppers served "
        "from our Frankfurt cluster. Orders could still be browsed and placed in the basket, "
        "but the final payment step returned an error page. The incident lasted "
        f"{s['duration']} in total, from the first failed payment to the moment the success "
        "rate was back above 99.5 percent.\n\n"
        "Detection. The on-call engineer was paged by the payment success-rate alert nine "
        "minutes after the first failures, because the alert waits for two consecutive "
        "five-minute windows below target. Customer support had already received a handful "
        "of chats by then and opened an internal ticket.\n\n"
        f"Trigger. The failures were caused by {s['cause']}. Requests from the checkout "
        "service to the payment gateway timed out, retries piled up, and the connection pool "
        "of the checkout service was exhausted within a few minutes, which is why even "
        "customers paying by bank transfer saw the error.\n\n"
        "Timeline. 09:14 first failed payment; 09:23 page sent; 09:31 incident channel opened "
        "and the status page set to investigating; shortly after, the payment provider "
        "confirmed that their side was healthy; the trigger was then found in our own "
        "infrastructure and fixed, and traffic was restored region by region.\n\n"
        "Response. The team first suspected the payment provider and spent time on a call with "
        "them before looking at our own dependency graph. Once the trigger was found, the fix "
        "itself took less than ten minutes, and traffic was drained back gradually to avoid a "
        "thundering herd of retries.\n\n"
        "Impact. Roughly 3,800 payment attempts failed. No card was charged twice, and no "
        "personal data was exposed. Orders left in a basket during the incident were kept, so "
        "customers could complete them afterwards.\n\n"
        "What went well. The rollback runbook was accurate, and support published a banner on "
        "the site within twenty minutes.\n\n"
        "What we will change. Alert on a single bad window for payments, add the trigger to "
        "the weekly dependency health review, cap retries in the checkout service, and "
        "rehearse this scenario in the next game day."
    )


OUTAGE = pooled(
    "outage_update_audience",
    (
        lambda s: (
            f"Turn this post-incident review into an update for {s['aud']}, written "
            f"{s['shape']}.\n\n{_postmortem(s)}"
        ),
        lambda s: (
            f"{_postmortem(s)}\n\nUsing the review above, write an update {s['shape']} that "
            f"is meant for {s['aud']}."
        ),
        lambda s: (
            f"Audience: {s['aud']}\nShape: {s['shape']}\nTask: summarise the incident below "
            f"as an update for that audience.\n\n{_postmortem(s)}"
        ),
    ),
    {
        "aud": ["our customers", "the engineering team"],
        "shape": ["in three sentences", "as five bullet points"],
        "duration": ["47 minutes", "3 hours and 12 minutes"],
        "cause": [
            "an expired TLS certificate on the internal load balancer",
            "a full disk on the primary database replica",
        ],
    },
)


def _policy(s: Slots) -> str:
    return (
        "Pocketsprout privacy notice (version 4, effective 1 March)\n\n"
        "1. Who we are. Pocketsprout is a budgeting and savings app for families. This notice "
        "explains what we collect when you or your children use the app, why we collect it, "
        "who we share it with and how long we keep it.\n\n"
        "2. What we collect. Account details (name, e-mail address, date of birth of each "
        "family member), the transactions you import from your bank, savings goals, device "
        "identifiers, approximate location from your IP address, precise location if you turn "
        "on nearby offers, and voice recordings when you use the spoken assistant.\n\n"
        "3. Why we use it. To show your budgets and goals, to detect fraud, to improve the "
        "categorisation of transactions, to send reminders you have asked for, and to answer "
        "questions you ask the spoken assistant.\n\n"
        f"4. Sharing. We {s['share']} precise location data with advertising partners. We use "
        "processors for hosting, e-mail delivery and customer support; they act only on our "
        "instructions. We disclose data to authorities when the law requires it.\n\n"
        "5. Children. Accounts for children under 13 are created and controlled by a parent. "
        "Children cannot turn on nearby offers, and their transactions are never used to "
        "improve our models.\n\n"
        f"6. Retention. Transaction history is kept while your account is open. Voice "
        f"recordings are kept for {s['keep']} and then deleted. Device identifiers are deleted "
        "90 days after your last sign-in.\n\n"
        "7. Your rights. You can access, correct, export or delete your data from the settings "
        "page, object to processing for marketing, and complain to your data protection "
        "authority. We answer requests within one month.\n\n"
        "8. Cookies and similar tools. The website uses strictly necessary cookies and, only "
        "with your consent, analytics cookies. The app itself does not use advertising "
        "identifiers.\n\n"
        "9. Changes. We will tell you in the app at least two weeks before a change to this "
        "notice takes effect, and keep earlier versions available on our website.\n\n"
        "10. Contact. Write to privacy@pocketsprout.example or to our data protection officer "
        "at the postal address in the app."
    )


PRIVACY = pooled(
    "privacy_notice_summary",
    (
        lambda s: (
            f"Summarise what this app collects, who gets the data and how long it is kept, for "
            f"{s['reader']}, as {s['fmt']}.\n\n{_policy(s)}"
        ),
        lambda s: (
            f"{_policy(s)}\n\nExplain the notice above to {s['reader']}: what is collected, "
            f"who receives it, and for how long it is kept. Present it as {s['fmt']}."
        ),
        lambda s: (
            f"Reader: {s['reader']}. Output: {s['fmt']}. Cover collection, sharing and "
            f"retention in the privacy notice pasted below.\n\n{_policy(s)}"
        ),
    ),
    {
        "reader": ["a twelve-year-old", "a privacy lawyer"],
        "fmt": ["a table", "a bulleted list"],
        "share": ["never share", "may share"],
        "keep": ["30 days", "18 months"],
    },
)


def _posting(s: Slots) -> str:
    return (
        "Senior site reliability engineer, payments platform (Lisbon or remote within the "
        "EU)\n\n"
        "About the team. We run the services that move money for 40,000 small businesses: card "
        "acquiring, payouts, and the ledger that reconciles them every night. The team is "
        "seven engineers and one manager, and we work closely with the security and finance "
        "operations groups.\n\n"
        "What you will do. Own the reliability of the ledger and payout services; design and "
        "run capacity tests before each peak season; improve our alerting so that pages are "
        "rare and actionable; lead incident reviews and follow the actions through; automate "
        "the yearly disaster-recovery exercise; mentor two engineers who are new to "
        "production operations.\n\n"
        f"What we are looking for. At least {s['years']} years of experience running "
        "production systems on Linux; solid knowledge of PostgreSQL, including replication and "
        "failover; experience with Kubernetes and Terraform; comfort reading Go or Java code "
        "well enough to debug it; a habit of writing things down.\n\n"
        "Your first three months. Pair with each engineer on the team, take part in the "
        "on-call handover as a shadow, and ship one improvement to the payout alerts.\n\n"
        "Nice to have. Experience with card networks or banking regulation, with event "
        "sourcing, or with running Kafka at scale.\n\n"
        f"On-call. {cap(s['oncall'])}. Incidents outside working hours are compensated with "
        "time off or extra pay, at your choice.\n\n"
        "Salary and benefits. A salary band from 78,000 to 96,000 euros depending on "
        "experience, a yearly bonus tied to company results, private health insurance for you "
        "and your family, a pension contribution matched up to five percent, and a home-office "
        "allowance for equipment in your first year.\n\n"
        "How we work. Mostly asynchronous, with two fixed meeting days a week; a yearly "
        "budget for training and conferences; four weeks of paid holiday plus public holidays; "
        "a laptop of your choice.\n\n"
        "Hiring process. A 30-minute call with the manager, a take-home exercise of about three "
        "hours that we pay for, a systems design conversation with two engineers, and a final "
        "chat about values and ways of working."
    )


POSTING = pooled(
    "job_posting_questions",
    (
        lambda s: (
            f"Open with a one-line summary of the experience and on-call duty this job posting "
            f"asks for, then write {s['n']} {s['kind']} interview questions based on it.\n\n"
            f"{_posting(s)}"
        ),
        lambda s: (
            f"{_posting(s)}\n\nWe're interviewing for the role above. Give me {s['n']} "
            f"{s['kind']} questions to ask the candidates, preceded by one line that sums up "
            f"the required experience and the on-call duty."
        ),
        lambda s: (
            f"Interview prep. First line: the experience and on-call duty required. Then: "
            f"{s['n']} questions, {s['kind']}, based on the posting pasted here.\n\n"
            f"{_posting(s)}"
        ),
    ),
    {
        "n": ["five", "eight"],
        "kind": ["behavioural", "technical"],
        "years": ["two", "seven"],
        "oncall": ["one week in every four", "not required for this role"],
    },
)

FAMILIES = (OUTAGE, PRIVACY, POSTING)
