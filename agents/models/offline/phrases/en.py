"""English: cues and sentences of the offline model."""

from __future__ import annotations

from agents.models.offline.phrases.table import Phrases, SectionHint

__all__ = ["PHRASES"]

# names in any Latin script ("Tomás", "Zoë", "Anne-Marie")
_NAME = (
    r"(?P<{group}>[A-ZÀ-Þ][^\W\d_]{{1,30}}(?:-[^\W\d_]{{1,30}})?"
    r"|[a-z][^\W\d_]{{1,30}}(?:-[^\W\d_]{{1,30}})?(?=\s*(?:$|[.,!?;]|\band\b)))"
)

PHRASES = Phrases(
    language="en",
    small_talk=(
        r"^\W*(?:(?:hi|hello|hey|hiya|howdy|yo|greetings|good (?:morning|afternoon|evening)"
        r"|(?:thanks?|thx|thnx|thanx|ty|tysm)(?: you)?"
        r"(?: (?:a lot|so much|very much|again|for (?:the|your) help))?"
        r"|that (?:helped|helps|was (?:very |really |super )?(?:helpful|useful|clear))"
        r"(?: (?:a lot|me|so much))?"
        r"|thank you(?: (?:so|very) much)?|cheers|ok(?:ay)?|cool|great|nice|awesome|got it|bye|goodbye"
        r"|see you|how are you(?: doing)?(?: today)?|who are you|what are you|are you there|you there"
        r"|nice to meet you)(?:\W+(?:there|again|all|everyone|protoplay|bot|buddy|friend))?\W*)+$"
    ),
    capabilities=(
        r"\bwhat (?:can|could|do) you (?:do|help|know|offer)|\bhow can you help|\bwhat are you (?:able|good)"
        r"|\bwhat (?:kind|sort) of (?:questions|things)|^\W*(?:help|menu|examples?|capabilities)\W*$"
        r"|\bwhat (?:should|can) i ask\b"
    ),
    name_intro=(
        rf"\bmy name(?:'s| is)\s+{_NAME.format(group='name')}|\bcall me\s+{_NAME.format(group='name1')}"
        r"|\bi(?: a|['’])?m\s+(?P<name2>[A-ZÀ-Þ][^\W\d_]{1,20})(?![\w\-])"
    ),
    preference=(
        r"\bi (?:(?:would|'d) )?(?:prefer|like|want)\s+(?:my |the )?(?:answers?|results?|it|things|"
        r"numbers|values)?\s*(?:to be |expressed |given |shown )?(?:in|as|using)\s+(?P<value>[a-z][\w\-]*)"
        r"|\b(?:always |please )?(?:answer|reply|respond|give (?:me )?(?:answers|results))\s+(?:me\s+)?in\s+"
        r"(?P<value2>[a-z][\w\-]*)|\bi prefer\s+(?P<value3>[a-z][\w\-]*)"
        r"|\bi (?:always )?(?:use|work (?:in|with)|think in|count in)\s+(?P<value4>bits?|nats?)\b"
        # "I always want information measures in bits": a unit after a few words saying what it is for
        r"|\bi (?:always |usually )?(?:prefer|like|want|need)\b[^.?!]{0,40}?\b(?:in|as)\s+"
        r"(?P<value5>bits?|nats?)\b"
    ),
    remember=(
        r"^\W*(?:(?:please|pls|plz)\s+|can (?:you|u)\s+|could (?:you|u)\s+)?"
        r"(?:remember|memori[sz]e|note down|keep in mind|"
        r"don't forget|save (?:this|that)|store (?:this|that))\b[\s:,]*(?:that\s+)?(?P<fact>.*)$"
    ),
    recall_self=(
        r"\bwhat(?:'?s| is| do (?:you|u) (?:remember|know|recall)(?: about)?| have i told (?:you|u))"
        r"\s+(?:about\s+)?"
        r"(?:me|myself)\b|\bwho am i\b|\bdo you (?:remember|know) (?:me|who i am|anything about me)"
        r"|\bwhat do you remember\??$|\bwhat have you (?:remembered|stored|saved)"
    ),
    recall_topic=(
        r"\b(?:do you (?:remember|recall)|what did i (?:say|tell you|mention)|recall|what do you remember)"
        r"\s+(?:what i (?:said|told you) )?(?:about\s+)?(?P<topic>[^?.!]{2,80})"
        # "which framework do I use?", "what gpu have I got?": a fact about the user, asked back
        r"|^\W*(?:which|what)\s+(?P<topic2>[a-z][\w\- ]{1,30}?)\s+(?:(?:do|did)\s+i\s+"
        r"(?:use|have|prefer|work with|like|own|run)|am i\s+(?:on|using|running)|have i got)\b"
        # "what's my thesis about?", "what was my gpu again?"
        r"|^\W*what(?:'?s| is| was)\s+my\s+(?P<topic3>[a-z][\w\- ]{1,30}?)"
        r"\s*(?:about|again|called)?\s*\??\W*$"
    ),
    name_question=r"\bwhat(?:'?s| is) my name\b|\bwho am i\b|\bdo you (?:know|remember) my name\b",
    forget=r"\b(?:forget|delete|remove)\s+(?:memory\s+)?(?:#|id\s*|number\s*)?(?P<id>\d{1,12})\b",
    concept=(
        r"^\W*(?:does|do|did|is|are|was|were|can|could|should|would|will|has|have)\b"
        r"|\b(?:what|whats|which|who|when|where|why|how(?! (?:many|much)\b)"
        r"|explain|describe|tell me about|define|definition|meaning of|stand for|differences?|differ"
        r"|different from|intuition|in (?:plain|simple) (?:terms|english"
        r"|words)|what makes|when (?:should|would|do|to)|should i use|pros and cons|advantages?"
        r"|disadvantages?|trade-?offs?|idea behind|overview|walk me through|help me understand|eli5"
        r"|purpose of|role of|what happens|is it (?:true|better)|which is better|how come"
        r"|usually|typically|(?:the )?same thing"
        r"|(?:aren't|are|is|isn't) (?:they|these|those|it) (?:the same|related|different))\b"
    ),
    explanatory=(
        r"\b(?:why|how come|what makes|explain|intuition|how (?:does|do|did|is|are|can|could|would)\b"
        r"(?! .{0,30}\b(?:compute|calculate|count)\b))"
    ),
    quantity=(
        r"\b(?:how (?:many|much|big|large|long)|number of|count|compute|calculate|estimate|evaluate|"
        r"work out|figure out|total|size of|value of|give me the|what would .{0,30} be|fits?|"
        r"bigger|smaller|larger|heavier|lighter|fewer|more (?:parameters|params|flops|macs|memory)|"
        r"will it fit|can i (?:fine-?tune|train|fit|run|q?lora|dora|peft)"
        # a list of what is available ("which detection models do you have?")
        r"|(?:which|what) (?:\w+ ){0,3}(?:do you have|are (?:there|available)|can you list)"
        r"|\blist (?:all|every)"
        r"|can\b.{0,40}\b(?:run|serve|host|fit|handle|load|fine-?tun(?:e|ing)|train(?:ing)?)"
        r"|enough (?:memory|vram|gpu)|vram|tokens?/s|tokens? per second|latency|throughput|memory[- ]bound"
        r"|ms (?:per|/|a) token|ms/token|tok/s|ttft|tpot|time (?:per|to first) (?:output )?token"
        r"|compute[- ]bound)\b"
    ),
    comparison=(
        r"\b(?:vs\.?|versus|differences?|differ(?:s|ent)?|compared? (?:to|with)|or|better than|instead of"
        r"|rather than|over|both|than)\b"
    ),
    follow_up=(
        r"^\W*(?:and|now|then|also|ok(?:ay)?|so|but|what about|how about|same (?:for|with|but|thing)"
        r"|instead|again|redo|repeat|try|with|in|for|using|make it|change|switch|give (?:me )?(?:that|it)"
        r"|show (?:me )?(?:that|it)|that|it)\b|\b(?:instead|as well|too|that one|the same)\W*$"
    ),
    demand=(
        r"\b(?:compute|calculate|work out|figure out|check|diagnose|evaluate|measure|run)(?![\w\-])"
        r"(?! (?:the )?(?:idea|intuition|concept)\b)"
    ),
    section_hints=(
        SectionHint(
            r"\bhow (?:does|do|is|are|can|did)\b|\bwork(?:s|ing)?\b|\blearn(?:s|ed)?\b|mechanism|\bprocess"
            r"|\bsteps?\b",
            (
                "method",
                "how",
                "work",
                "training",
                "process",
                "loop",
                "idea",
                "mechanism",
                "equation",
                "update",
                "rule",
                "objective",
                "forward",
                "module",
                "block",
            ),
        ),
        SectionHint(
            r"\bwhy\b|\breason|motivation|\bproblem\b|\bneeded\b|\bmatter",
            ("why", "problem", "observation", "motivation", "matter", "needed", "enough"),
        ),
        SectionHint(
            r"\bdiffer|difference|\bvs\.?\b|versus|\bcompar|better than|relation",
            ("differ", "comparison", "compared", "vs", "table", "relation", "relative"),
        ),
        SectionHint(
            r"\bwhen (?:should|would|to|do|does|is|are|can)\b|\bwhich (?:one|should)|\bchoos|\bpick\b"
            r"|\brecommend|\bselect|\bor\b.{1,40}\?",
            ("choosing", "when", "practical", "choice", "use", "order"),
        ),
        SectionHint(
            r"limitation|weakness|drawback|downside|disadvantage|pitfall|caveat|\bfail|\bwrong\b|\bcons\b"
            r"|\bbad (?:at|for)\b|\bstruggles?\b|\bweak (?:at|on)\b|not good (?:at|for)",
            ("limitations", "weaknesses", "trade", "caveats", "pitfalls", "failure", "strengths"),
        ),
        SectionHint(r"\bresults?\b|performance|accuracy|benchmark|how well", ("results",)),
        SectionHint(
            r"\bparameters?\b|\bcost\b|flops|\bmacs\b|\bmemory\b|\bsize\b|arithmetic",
            ("cost", "parameters", "memory", "arithmetic", "count", "size"),
        ),
        SectionHint(
            r"\bused\b|use cases?|applications?|\bwhere\b|in practice|today",
            ("used", "where", "practice", "legacy", "today", "fits"),
        ),
        SectionHint(
            r"\bkinds? of\b|\btypes? of\b|\bfamil(?:y|ies)\b|\bvariants?\b|\bversions?\b"
            r"|what .{1,30} are there",
            ("families", "family", "kinds", "variants", "series"),
        ),
        SectionHint(
            r"\bremed|\bfix|\bprevent|\bavoid|\bcure|\bdeal with|\bsolve|\bhelps? (?:with|against)\b",
            ("remedies", "fix"),
        ),
        SectionHint(
            r"\bspeed (?:it )?up|\bfaster\b|\bimprove|\bshrink|\bsmaller\b|\breduce|\bcut (?:down|the)",
            ("remedies", "fix", "shrinking", "move", "reduce"),
        ),
        SectionHint(
            r"\btips?\b|\badvice\b|best practices?|\breliabl|\brobust|\bstabl|\bgotchas?\b",
            ("practical", "tips", "practice", "reliable", "choices"),
        ),
        SectionHint(r"\bcause|\bwhy does .{0,40} happen|\bsymptom|\bsigns?\b", ("causes", "symptoms", "why")),
        SectionHint(
            r"\bwhich (?:layers?|parts?|blocks?|stages?)\b|\blayers? (?:by|one by one|in order)\b"
            r"|\beach layer|\barchitecture\b|\bstructure\b"
            r"|\bwhere .{0,30}\b(?:weights|parameters|params) (?:sit|live|are)\b",
            ("architecture", "layer", "structure", "cost"),
        ),
    ),
    hello="Hi! I'm protoplay's built-in offline model: I explain ML and agent ideas from the project's notes "
    "and compute exact numbers with its tools.",
    hello_named="Hi {name}! I'm protoplay's built-in offline model: I explain ML and agent ideas from the "
    "project's notes and compute exact numbers with its tools.",
    thanks="You're welcome — ask me anything else about the notes or the tools.",
    examples_intro="Try, for example:",
    examples=(
        ("explain", "What is the difference between LoRA and QLoRA?"),
        ("entropy", "Entropy of [0.5, 0.25, 0.25] in bits"),
        ("model_complexity", "How many parameters and FLOPs does ResNet-50 have?"),
        ("finetune_memory", "Can I fine-tune llama-7b with QLoRA on a 24 GB GPU?"),
        (
            "diagnose_training",
            "Train loss 2.0, 1.4, 0.9, 0.5, 0.3 and val loss 2.1, 1.6, 1.4, 1.6, 1.9: what's wrong?",
        ),
        ("kl_divergence", "KL divergence between p = [0.5, 0.5] and q = [0.9, 0.1]"),
    ),
    capabilities_reply="I answer two kinds of questions offline: ideas, from the project's {notes} notes "
    "(MCP and A2A, losses, backbones, fine-tuning, optimizers, training problems, OOD), and exact numbers, "
    "from its {tools} tools (entropy and KL, parameters and FLOPs, GPU memory, loss curves, gradients).",
    cannot="I can't help with that offline: I explain ML and agent ideas from the notes and compute exact "
    "numbers with the tools — for example “{first}” or “{second}”.",
    noted_name="Nice to meet you, {name}!",
    noted_preference="Noted: I'll give answers in {value} in this conversation (say “remember that I prefer "
    "{value}” to keep it for later ones).",
    applied_preference="in {value}, as you prefer",
    name_known="Your name is {name} — you told me earlier in this conversation.",
    name_unknown="I don't know your name yet — tell me (“my name is …”) and I'll use it.",
    remembered="Noted — I'll remember that: “{text}” (memory {id}).",
    recalled="Here is what I remember{about}: {items}.",
    recalled_none="I don't remember anything{about} yet — tell me and say “remember …” to keep it.",
    recalled_other="Nothing I remember is{about} exactly; what I do remember about you: {items}.",
    forgotten="Done — I forgot memory {id}.",
    ask_head="To run `{tool}` I need:",
    ask_tail_one="Please give it, e.g. `{example}`",
    ask_tail_many="Please give them, e.g. `{example}`",
    result_of="**{tool}** result:",
    could_not_run="`{tool}` could not run: {reason}",
    fix_and_retry="Correct the request and ask again.",
    from_notes="from the notes",
    full_note="Full note: `{uri}`",
    one_section="one section: `{call}`",
    sections="Sections",
    also_see="See also",
    more_fields="{what} in the structured result.",
    yes="yes",
    no="no",
    equivalents={
        "layer": ("depth", "block"),
        "hidden": ("model",),
        "hidden size": ("model", "width"),
        "feature map": ("input", "size"),
        "conv": ("kernel",),
        "convolution": ("kernel",),
        "ffn": ("ff", "feed", "forward"),
        "feedforward": ("ff", "feed", "forward"),
        "deep": ("depth",),
        "unit": ("width",),
        "neuron": ("width",),
        "wide": ("width",),
        "lr": ("learning", "rate"),
        "card": ("gpu",),
        "vram": ("gpu", "memory"),
        "image": ("input",),
        "resolution": ("input", "size"),
        "px": ("input", "size"),
        "pixel": ("input", "size"),
        "class": ("label",),
        "epoch": ("step",),
        "token": ("context",),
        "ctx": ("context",),
        "concurrent": ("batch",),
        "concurrency": ("batch",),
        "user": ("batch",),
        "parallel": ("batch",),
        "simultaneous": ("batch",),
        "request": ("batch",),
    },
    flags={
        "fits": ("fits", "does not fit"),
        "converged": ("converged", "did not converge"),
        "diverged": ("diverged", "did not diverge"),
        "flagged": ("flagged", "not flagged"),
        "infinite": ("infinite", "finite"),
    },
)
