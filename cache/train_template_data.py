"""The word lists and template families behind ``cache/train_templates.py`` (training only).

Contract: data, no code. ``FAMILIES``: template tuples whose members are true rewordings of each
other, with their slot pools (a slot changed = a different question); ``COMPARE`` with
``THINGS`` / ``USES`` / ``DIRECTIONS``: comparisons that flip with the direction word or the
order of the two things; ``WORD_CLASSES`` / ``OPPOSITES``: words whose swap changes the meaning;
``SYNONYMS``: swaps that keep it. Written for training: neither correctness suite
(``benchmarks/adversarial_families.py``, ``benchmarks/heldout_families.py``) shares a template
(``tests/test_train_templates.py`` checks).
"""

from __future__ import annotations

Pools = dict[str, list[str]]

# fmt: off
FAMILIES: tuple[tuple[tuple[str, ...], Pools], ...] = (
    (
        (
            "Give me a {diet} recipe for {dish} with {food}.",
            "What's a good {diet} {dish} recipe that uses {food}?",
            "I want to cook {dish} with {food}; suggest a {diet} recipe.",
            "Suggest a recipe for a {diet} {dish} made with {food}.",
        ),
        {
            "diet": "vegan vegetarian gluten-free low-carb dairy-free spicy quick cheap".split(),
            "dish": "soup salad curry pasta stew stir-fry risotto omelette pie sandwich".split(),
            "food": "mushrooms chickpeas spinach salmon tofu lentils pumpkin chicken eggplant "
            "shrimp potatoes beans".split(),
        },
    ),
    (
        (
            "Plan a {level} workout for my {muscle} using only {gear}.",
            "What {level} exercises can I do for my {muscle} with just {gear}?",
            "Using only {gear}, design a {level} workout for my {muscle}.",
            "I have {gear} at home. Suggest a {level} routine for my {muscle}.",
        ),
        {
            "level": "beginner intermediate advanced gentle intense short".split(),
            "muscle": "legs shoulders back chest arms core glutes hamstrings".split(),
            "gear": ["dumbbells", "a kettlebell", "resistance bands", "a chair", "a pull-up bar",
                     "a jump rope", "a yoga mat", "a barbell"],
        },
    ),
    (
        (
            "Suggest a gift for my {person} who loves {hobby}, for a {occasion}.",
            "What should I buy my {person} for a {occasion}? They love {hobby}.",
            "Gift ideas for a {occasion} for my {person}, who is into {hobby}?",
            "My {person} is into {hobby}. What could I give them for a {occasion}?",
        ),
        {
            "person": "sister brother father mother boss teacher neighbor grandmother colleague "
            "son daughter wife husband".split(),
            "hobby": "gardening cycling chess photography knitting fishing cooking hiking "
            "painting jazz astronomy surfing".split(),
            "occasion": "birthday graduation anniversary retirement housewarming wedding".split(),
        },
    ),
    (
        (
            "Explain {concept} to a {audience}.",
            "How would you explain {concept} to a {audience}?",
            "Can you describe {concept} so that a {audience} understands it?",
            "I need to explain {concept} to a {audience}. How should I put it?",
        ),
        {
            "concept": ["photosynthesis", "inflation", "gravity", "recursion", "vaccination",
                        "compound interest", "evolution", "democracy", "encryption",
                        "climate change", "supply and demand", "plate tectonics"],
            "audience": "child teenager grandparent beginner physicist banker nurse lawyer "
            "farmer student".split(),
        },
    ),
    (
        (
            "Rewrite my {doc} about {topic} to sound more {tone}.",
            "Make my {doc} about {topic} sound more {tone}.",
            "Can you edit my {doc} on {topic} so it sounds more {tone}?",
            "My {doc} about {topic} should sound more {tone}; please rewrite it.",
        ),
        {
            "doc": ["cover letter", "blog post", "speech", "newsletter", "product description",
                    "apology", "toast", "bio", "announcement"],
            "topic": ["the new library", "our bakery", "remote work", "the charity run",
                      "the school trip", "the garden club", "the product launch",
                      "customer service"],
            "tone": "formal friendly confident playful persuasive polite urgent humble "
            "enthusiastic".split(),
        },
    ),
    (
        (
            "My {pet} keeps {habit}. What should I do?",
            "What can I do about my {pet} {habit}?",
            "How do I stop my {pet} from {habit}?",
            "Any advice? My {pet} has been {habit} a lot.",
        ),
        {
            "pet": "dog cat puppy kitten parrot rabbit hamster horse".split(),
            "habit": ["scratching the sofa", "barking at night", "chewing shoes",
                      "biting visitors", "hiding under the bed", "refusing food",
                      "pulling on the leash", "digging in the garden"],
        },
    ),
    (
        (
            "When should I plant {plant} in a {climate} climate?",
            "What's the best time to plant {plant} if I live in a {climate} climate?",
            "In a {climate} climate, when do I plant {plant}?",
            "I live somewhere with a {climate} climate. When should {plant} go in the ground?",
        ),
        {
            "plant": "tomatoes tulips garlic roses potatoes lettuce sunflowers strawberries "
            "carrots lavender".split(),
            "climate": "dry humid cold mild tropical rainy windy coastal".split(),
        },
    ),
    (
        (
            "How do I fix a {appliance} that {symptom}?",
            "My {appliance} {symptom}. How can I fix it?",
            "What should I check when a {appliance} {symptom}?",
            "Troubleshooting help: the {appliance} {symptom}. What do I do?",
        ),
        {
            "appliance": ["dishwasher", "washing machine", "fridge", "oven", "microwave",
                          "dryer", "toaster", "kettle", "vacuum cleaner", "printer"],
            "symptom": ["makes a loud noise", "won't turn on", "leaks water",
                        "smells like burning", "keeps beeping", "stops halfway",
                        "gets too hot", "trips the breaker"],
        },
    ),
    (
        (
            "What skills do I need to become a {job} in the {field} industry?",
            "To work as a {job} in {field}, which skills matter most?",
            "I want to be a {job} in the {field} sector. What should I learn?",
            "Which skills does a {job} need in the {field} industry?",
        ),
        {
            "job": ["data analyst", "project manager", "nurse", "accountant", "designer",
                    "electrician", "recruiter", "copywriter", "pilot", "chef"],
            "field": "healthcare banking retail gaming energy aviation fashion logistics "
            "education insurance".split(),
        },
    ),
    (
        (
            "What should I pack for a {season} trip to the {place} with {company}?",
            "Packing list for a {season} trip to the {place} with {company}?",
            "I'm going to the {place} in {season} with {company}. What do I need to pack?",
            "Heading to the {place} with {company} in {season}: what should I bring?",
        ),
        {
            "season": "winter summer spring autumn".split(),
            "place": "mountains beach desert countryside jungle lake city islands".split(),
            "company": ["kids", "my dog", "a baby", "friends", "my parents", "coworkers"],
        },
    ),
    (
        (
            "How do I practice {skill} on the {instrument} as a {level} player?",
            "As a {level} {instrument} player, how should I practice {skill}?",
            "What's a good way for a {level} player to work on {skill} on the {instrument}?",
            "Tips for practicing {skill} on the {instrument} at a {level} level?",
        ),
        {
            "instrument": "guitar piano violin drums cello flute trumpet saxophone ukulele "
            "bass".split(),
            "skill": "vibrato scales sight-reading rhythm improvisation chords arpeggios "
            "dynamics".split(),
            "level": "beginner intermediate advanced".split(),
        },
    ),
    (
        (
            "Come up with a {adj} tagline for a {product} brand aimed at {audience}.",
            "I need a {adj} slogan for my {product} brand; the audience is {audience}.",
            "Suggest a {adj} tagline for a brand that sells {product} to {audience}.",
            "For {audience}, what would be a {adj} tagline for a {product} brand?",
        ),
        {
            "adj": "catchy elegant funny bold minimalist warm".split(),
            "product": "coffee sneakers skincare furniture bicycles tea candles backpacks "
            "headphones".split(),
            "audience": "students parents athletes retirees gamers nurses travelers "
            "artists".split(),
        },
    ),
    (
        (
            "What's the best way to learn {subject} for {goal}?",
            "How should I learn {subject} if my goal is {goal}?",
            "I want to learn {subject} for {goal}. Where do I start?",
            "For {goal}, what's the most effective way to study {subject}?",
        ),
        {
            "subject": ["calculus", "photography", "woodworking", "accounting", "chemistry",
                        "negotiation", "public speaking", "typing", "sign language", "drawing"],
            "goal": ["a job interview", "a trip abroad", "passing an exam",
                     "starting a business", "fun", "teaching kids", "a promotion"],
        },
    ),
    (
        (
            "My {device} {problem} after {event}. What could cause this?",
            "After {event}, my {device} {problem}. Why might that be?",
            "Possible reasons my {device} {problem} after {event}?",
            "What would explain why my {device} {problem} after {event}?",
        ),
        {
            "device": ["browser", "email client", "music player", "photo editor",
                       "calendar app", "banking app", "laptop", "router", "smartwatch"],
            "problem": ["crashes", "freezes", "runs slowly", "drains the battery",
                        "loses my settings", "shows a blank screen", "disconnects from wifi"],
            "event": ["an update", "a restart", "waking from sleep", "a power cut",
                      "installing a plugin", "changing the password"],
        },
    ),
)
# Comparisons: the direction word flips the question, so does swapping the two things.
COMPARE = (
    "Why is {a} {cmp} than {b} for {use}?",
    "For {use}, why is {a} {cmp} than {b}?",
    "What makes {a} {cmp} than {b} when it comes to {use}?",
    "Explain why {a} is {cmp} than {b} for {use}.",
)
THINGS = "wool cotton steel aluminum glass plastic bamboo leather copper wood".split()
USES = ["winter clothing", "boat building", "kitchen tools", "roofing", "furniture",
        "packaging", "bike frames"]
DIRECTIONS = [("better", "worse"), ("cheaper", "more expensive"), ("stronger", "weaker"),
              ("lighter", "heavier"), ("warmer", "colder"), ("safer", "riskier"),
              ("more durable", "less durable"), ("easier to clean", "harder to clean")]
WORD_CLASSES = [
    "red blue green yellow black white grey purple orange pink brown".split(),
    "apple banana orange mango grape strawberry pear peach cherry lemon".split(),
    "dog cat horse rabbit cow pig sheep goat lion tiger wolf bear".split(),
    "football basketball tennis cricket baseball hockey golf swimming rugby".split(),
    "guitar piano violin drums flute trumpet cello saxophone".split(),
    "physics chemistry biology mathematics history geography economics "
    "philosophy psychology".split(),
    "breakfast lunch dinner".split(),
    "phone laptop tablet desktop smartwatch".split(),
    "car bike bus train plane boat truck motorcycle".split(),
    "doctor lawyer engineer teacher nurse pilot chef accountant".split(),
    "python java javascript ruby php swift kotlin".split(),
    "winter summer spring autumn".split(),
    "coffee tea beer wine milk juice".split(),
    "essay poem story letter speech report email".split(),
    "cheaper faster slower bigger smaller older younger heavier lighter".split(),
    "husband wife boyfriend girlfriend father mother son daughter brother sister".split(),
]
OPPOSITES = [("better", "worse"), ("best", "worst"), ("more", "less"), ("increase", "decrease"),
             ("cheaper", "more expensive"), ("faster", "slower"), ("easier", "harder"),
             ("bigger", "smaller"), ("strong", "weak"), ("rich", "poor")]
SYNONYMS = [("big", "large"), ("buy", "purchase"), ("begin", "start"), ("movie", "film"),
            ("kids", "children"), ("fix", "repair"), ("pick", "choose"), ("smart", "intelligent"),
            ("happy", "glad"), ("rich", "wealthy"), ("pictures", "photos"), ("easy", "simple"),
            ("hard", "difficult"), ("mistake", "error"), ("sick", "ill"), ("shop", "store"),
            ("quickly", "fast"), ("help", "assist"), ("car", "automobile"), ("tips", "advice"),
            ("improve", "enhance"), ("way", "method"), ("use", "utilize"),
            ("little", "small"), ("job", "occupation"), ("near", "close to"),
            ("funny", "humorous"), ("scared", "afraid"), ("angry", "mad")]
# fmt: on
