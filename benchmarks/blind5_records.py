"""Fifth blind suite, more long pasted texts: a study protocol, a changelog and a support chat
(rules in `blind5_families.py`).

Each text is over 2,000 characters. Kinds of change: who critiques a study and what they return,
and the sample size or randomised/observational inside the protocol; the tone, the limit and
the readers of app-store release notes, and whether offline mode is free inside the changelog;
the label set and the output of a chat classification, and whether the agent issued or refused
the refund and how the customer's last message ends inside the transcript.
"""

from __future__ import annotations

from benchmarks.blind_pool import pooled
from benchmarks.heldout_families import Slots


def _protocol(s: Slots) -> str:
    return (
        "Study protocol summary: morning light exposure and sleep onset in shift workers\n\n"
        "Background. Workers who rotate between day and night shifts often take a long time "
        "to fall asleep on their days off. Bright light in the morning shifts the body clock "
        "earlier in healthy adults, but evidence in shift workers is thin and mostly comes "
        "from small laboratory studies.\n\n"
        f"Design and participants. This {s['design']} study enrolled {s['n']} adults aged 25 "
        "to 60 who had worked rotating shifts for at least a year, recruited from three "
        "hospitals and two distribution warehouses. People with a diagnosed sleep disorder, "
        "an eye condition, or who took sleep medication were excluded.\n\n"
        "Exposure. The light group used a 10,000 lux lamp for 30 minutes within an hour of "
        "waking on each day off, for eight weeks. The comparison group continued their usual "
        "routine. Adherence was recorded by a sensor in the lamp.\n\n"
        "Outcomes. The primary outcome was the time taken to fall asleep, measured with a "
        "wrist actigraph on days off in weeks seven and eight. Secondary outcomes were total "
        "sleep time, a daytime sleepiness score, mood, and sick days taken during the study.\n\n"
        "Analysis. Outcomes were compared between groups with a mixed model adjusting for age, "
        "sex, workplace and baseline sleep onset. Missing actigraphy nights were treated as "
        "missing at random. No correction was made for the number of secondary outcomes.\n\n"
        "Sample size. The target was set before recruitment from the smallest difference in "
        "sleep onset that participants in a pilot survey said would matter to them.\n\n"
        "Results in brief. Sleep onset was 14 minutes shorter in the light group on average, "
        "with a confidence interval that did not include zero. Total sleep time and mood did "
        "not differ. Nine participants stopped using the lamp, most of them in the first "
        "fortnight, and their data were kept in the analysis.\n\n"
        "Ethics and registration. The study was approved by the research ethics committee of "
        "the lead hospital and registered before recruitment began. Participants gave written "
        "consent and received a shopping voucher once the eight weeks were over.\n\n"
        "Funding. The lamp manufacturer supplied the lamps and funded the actigraphs."
    )


CRITIQUE = pooled(
    "study_protocol_critique",
    (
        lambda s: f"Act as {s['who']} and give {s['out']} for the study below.\n\n{_protocol(s)}",
        lambda s: (
            f"{_protocol(s)}\n\nRead this protocol the way {s['who']} would, then reply with "
            f"{s['out']}."
        ),
        lambda s: (
            f"Reviewer persona: {s['who']}. Expected reply: {s['out']}. The study to review "
            f"follows.\n\n{_protocol(s)}"
        ),
    ),
    {
        "who": ["a sceptical statistician", "a patient advocate"],
        "out": ["three weaknesses", "a score out of ten with reasons"],
        "design": ["randomised", "observational"],
        "n": ["48", "1,200"],
    },
)


def _changelog(s: Slots) -> str:
    return (
        "Fieldnote 6.4.0 changelog (internal)\n\n"
        "New\n"
        "- Shared notebooks: invite up to ten people by e-mail; each invitee can be an editor "
        "or a reader, and the owner can change roles at any time.\n"
        f"- Offline mode is now {s['offline']}. Notes, photos and sketches are stored on the "
        "device and synced when the connection returns; conflicts are shown side by side.\n"
        "- Handwriting search on iPad now also finds words in sketches made with a finger, not "
        "only with a pencil.\n"
        "- A new widget shows today's notes on the home screen.\n"
        "- Templates: start a note from a meeting, journal or checklist template, or save "
        "your own.\n\n"
        "Improved\n"
        "- Sync starts about twice as fast on accounts with more than 5,000 notes.\n"
        "- Export to PDF keeps the page size chosen in the notebook settings.\n"
        "- The tag picker remembers the last five tags you used.\n"
        "- Dark mode colours were adjusted for better contrast in tables and code blocks.\n\n"
        "Fixed\n"
        "- Photos taken in portrait mode no longer appear rotated after sync on Android.\n"
        "- Long notes no longer jump to the top when a photo finishes uploading.\n"
        "- Reminders set for the last day of a month now fire on time.\n"
        "- The app no longer signs people out after changing their password on another "
        "device.\n"
        "- Pasting a table from a spreadsheet keeps the header row.\n"
        "- Fixed a crash when opening a notebook that had been deleted on another device.\n\n"
        "Removed\n"
        "- The legacy Evernote importer; the new importer handles the same files.\n"
        "- The option to store attachments on a personal WebDAV server, used by fewer than "
        "one percent of accounts, who were contacted in advance.\n\n"
        "Under the hood\n"
        "- The minimum supported versions are now iOS 16 and Android 10.\n"
        "- Images are compressed on the device before upload, which saves data on mobile "
        "networks.\n"
        "- Crash reports no longer include the title of the open note.\n"
        "- Translations were updated for Polish, Turkish and Brazilian Portuguese.\n\n"
        "Known issues\n"
        "- Shared notebooks cannot yet be opened from the widget.\n"
        "- On some Android tablets the keyboard covers the last line while typing in a table."
    )


STORE_NOTES = pooled(
    "store_release_notes",
    (
        lambda s: (
            f"Rewrite this changelog as app-store release notes for {s['readers']}, in a "
            f"{s['tone']} tone, within {s['limit']}.\n\n{_changelog(s)}"
        ),
        lambda s: (
            f'{_changelog(s)}\n\nFrom the changelog above, write the app-store "What\'s new" '
            f"text. Keep it {s['tone']}, aim it at {s['readers']}, and stay within "
            f"{s['limit']}."
        ),
        lambda s: (
            f"Tone: {s['tone']}. Readers: {s['readers']}. Limit: {s['limit']}. Produce the "
            f"store listing's release notes from this changelog.\n\n{_changelog(s)}"
        ),
    ),
    {
        "readers": ["existing users", "new users"],
        "tone": ["playful", "plain"],
        "limit": ["80 words", "170 characters"],
        "offline": ["available on the free plan", "limited to paid plans"],
    },
)


def _transcript(s: Slots) -> str:
    return (
        "Chat transcript, order 58-33107\n\n"
        "Customer: Hi, my robot vacuum stopped charging two days ago. The light on the dock "
        "blinks orange and the vacuum says the battery is at 3 percent.\n"
        "Agent: I'm sorry to hear that. Could you tell me when you bought it and whether the "
        "dock is plugged directly into a wall socket?\n"
        "Customer: Bought it in January from your website. Yes, directly into the wall, no "
        "extension lead.\n"
        "Agent: Thanks. Please clean the two metal contacts under the vacuum and on the dock "
        "with a dry cloth, then place it back on the dock and wait five minutes.\n"
        "Customer: Done. Still blinking orange and still 3 percent. I also tried another "
        "socket in the hallway, same thing.\n"
        "Agent: Understood. Next, hold the power button for fifteen seconds to reset it, then "
        "put it back on the dock.\n"
        "Customer: I did that too. Nothing changes. I have already spent an hour on this "
        "over two days and the floors are a mess with the dog.\n"
        "Agent: Thank you for trying that. May I also ask whether the vacuum was dropped or "
        "got wet at any point, and whether the dock's cable looks damaged anywhere?\n"
        "Customer: No to both. It has only ever been used on the ground floor, and the cable "
        "is fine.\n"
        "Agent: I understand, and I'm sorry for the trouble. The blinking orange light after a "
        "reset usually means the battery has failed. Your vacuum is under warranty, so we can "
        "send a replacement battery, which arrives in three to five working days, or you can "
        "return the whole unit for an inspection.\n"
        "Customer: A battery is fine, but I paid extra for next-day delivery on the original "
        "order and it came four days late. I asked about that in March and nobody replied.\n"
        f"Agent: I can see that request in your history. I {s['refund']} the delivery "
        "charge refund for the late order. The replacement battery is ordered and you will "
        "receive tracking details by e-mail today.\n"
        f"Customer: {s['last']}\n"
        "Agent: Is there anything else I can help you with today?\n"
        "Customer: No. Just make sure the battery actually arrives this time.\n"
        "Agent: Thank you for contacting us, and have a good evening."
    )


CHAT = pooled(
    "chat_outcome_classify",
    (
        lambda s: (
            f"Classify how the customer feels at the end of this chat, using only the labels "
            f"{s['labels']}, and say whether a refund was granted. Answer {s['out']}.\n\n"
            f"{_transcript(s)}"
        ),
        lambda s: (
            f"{_transcript(s)}\n\nWas a refund granted in the chat above, and how does the "
            f"customer feel by the end ({s['labels']})? Answer {s['out']}."
        ),
        lambda s: (
            f"Labels allowed: {s['labels']}. Output: {s['out']}. Tasks: the customer's final "
            f"sentiment and whether a refund was granted.\n\n{_transcript(s)}"
        ),
    ),
    {
        "labels": ["positive, neutral or negative", "satisfied or dissatisfied"],
        "out": ["as JSON", "in one line"],
        "refund": ["have issued", "am not able to issue"],
        "last": [
            "Fine. Thanks, I suppose.",
            "That is not acceptable, I will write a review about this.",
        ],
    },
)

FAMILIES = (CRITIQUE, STORE_NOTES, CHAT)
