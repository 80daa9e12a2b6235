"""Fifth blind suite, front-end, query and text-processing tasks (rules in `blind5_families.py`).

Kinds of change: the Vue API style, the language and the styling of a Vue 2 -> 3 port; the
collection, the field, a comparison phrase (greater than/at least/at most/less than) and its
bound in a MongoDB filter; the field printed, the separator and empty/not empty in awk; exactly/
anything except, the status and the output field in jq; the element, the axis and the layout
method in CSS centering; the focus, the Python version and the shape of a code review.
"""

from __future__ import annotations

from benchmarks.blind_pool import pooled

_VUE = (
    '```vue\n<template>\n  <button @click="count++">Clicked {{ count }} times</button>\n'
    "</template>\n<script>\nexport default {\n  data() { return { count: 0 } },\n"
    "  watch: { count(n) { this.$emit('changed', n) } }\n}\n</script>\n```"
)
VUE = pooled(
    "vue_component_port",
    (
        lambda s: (
            f"Rewrite this Vue 2 component for Vue 3 with the {s['api']}, in {s['lang']}, "
            f"and use {s['style']} for styling.\n\n{_VUE}"
        ),
        lambda s: (
            f"{_VUE}\n\nPort the component above to Vue 3. Requirements: {s['api']}; "
            f"{s['lang']}; styling via {s['style']}."
        ),
        lambda s: (
            f"I'm upgrading our app to Vue 3. Can you convert this component to the {s['api']}, "
            f"written in {s['lang']}, with {s['style']} for the look?\n\n{_VUE}"
        ),
    ),
    {
        "api": [
            "composition API with script setup",
            "composition API without script setup",
            "options API",
        ],
        "lang": ["TypeScript", "JavaScript"],
        "style": ["scoped styles", "utility classes", "inline styles"],
    },
)
MONGO = pooled(
    "mongo_filter_bound",
    (
        lambda s: (
            f"Write a MongoDB query on the {s['coll']} collection that finds documents where "
            f"{s['field']} is {s['op']} {s['n']}."
        ),
        lambda s: (
            f"Give me a find() filter for the {s['coll']} collection in MongoDB: {s['field']} "
            f"{s['op']} {s['n']}."
        ),
        lambda s: (
            f"In MongoDB, how would I fetch every document of {s['coll']} whose {s['field']} "
            f"is {s['op']} {s['n']}?"
        ),
    ),
    {
        "coll": ["listings", "reviews"],
        "field": ["rating", "stock"],
        "op": ["greater than", "at least", "at most", "less than"],
        "n": ["3", "5"],
    },
)
AWK = pooled(
    "awk_field_condition",
    (
        lambda s: (
            f"Write an awk one-liner that prints the {s['col']} field of each {s['sep']}-separated "
            f"line whose third field is {s['cond']}."
        ),
        lambda s: (
            f"awk: for a {s['sep']}-separated file, output the {s['col']} field, but only on "
            f"lines where field three is {s['cond']}."
        ),
        lambda s: (
            f"I have a {s['sep']}-separated file. Which awk command shows the {s['col']} field "
            f"whenever the third field is {s['cond']}?"
        ),
    ),
    {
        "col": ["first", "second", "last"],
        "sep": ["comma", "tab", "semicolon"],
        "cond": ["empty", "not empty"],
    },
)
JQ = pooled(
    "jq_status_select",
    (
        lambda s: (
            f"Write a jq filter that keeps the users whose status is {s['pol']} "
            f'"{s["status"]}" and prints only their {s["out"]}.'
        ),
        lambda s: (
            f'Using jq, print the {s["out"]} of users with status {s["pol"]} "{s["status"]}".'
        ),
        lambda s: (
            f"From a JSON array of users I want just the {s['out']} for those whose status is "
            f'{s["pol"]} "{s["status"]}". What\'s the jq expression?'
        ),
    ),
    {
        "pol": ["exactly", "anything except"],
        "status": ["active", "suspended", "pending"],
        "out": ["ids", "email addresses", "signup dates"],
    },
)
CSS = pooled(
    "css_center_axis",
    (
        lambda s: f"How do I center {s['el']} {s['axis']} inside its parent using {s['how']}?",
        lambda s: f"Using {s['how']}, what CSS centers {s['el']} {s['axis']} within its parent?",
        lambda s: (
            f"CSS question: I want {s['el']} centred {s['axis']} in the parent container, "
            f"done with {s['how']}. How?"
        ),
    ),
    {
        "el": ["a div", "an image", "a button"],
        "axis": ["horizontally", "vertically", "both horizontally and vertically"],
        "how": ["flexbox", "grid", "absolute positioning"],
    },
)
_VIEW = (
    '```python\n@app.route("/search")\ndef search():\n    q = request.args.get("q", "")\n'
    "    rows = db.execute(f\"SELECT * FROM items WHERE name LIKE '%{q}%'\").fetchall()\n"
    "    result = []\n    for r in rows:\n        result.append(dict(r))\n"
    "    return jsonify(result)\n```"
)
REVIEW = pooled(
    "flask_review_focus",
    (
        lambda s: (
            f"Review this Flask view for {s['focus']} problems only. We deploy on {s['ver']}. "
            f"Reply {s['shape']}.\n\n{_VIEW}"
        ),
        lambda s: (
            f"{_VIEW}\n\nThis Flask view runs on {s['ver']}. Look only at {s['focus']}, and give "
            f"your review {s['shape']}."
        ),
        lambda s: (
            f"Code review request ({s['ver']}, Flask). Focus: {s['focus']}. Format: "
            f"{s['shape']}.\n\n{_VIEW}"
        ),
    ),
    {
        "focus": ["security", "performance", "readability"],
        "ver": ["Python 3.8", "Python 3.12"],
        "shape": ["line by line", "in three bullet points"],
    },
)

FAMILIES = (VUE, MONGO, AWK, JQ, CSS, REVIEW)
