"""Transparent rule patterns (data only; the engine lives in rules.py).

Every entry is (category, family, weight, reason, [regex, ...]).

* Patterns run on lower-cased, normalised text (and on a copy with simple
  leetspeak folded: "s3nd n00ds" -> "send noods").
* Weights are on a fixed "rule scale": >= 0.5 means "this alone deserves
  high review priority"; below 0.5 means "worth noting, not alone".
  rules.py maps that scale onto each category's review threshold.
* Within one category, fired *families* combine by noisy-OR
  (1 - prod(1 - w)), so two independent weak grooming signals (e.g. asks
  for photos + moves chat to Snapchat) together cross 0.5, while one
  ambiguous signal ("how old are you?" between pen pals) does not.
* Non-English patterns (da/de/fr) are a small bonus, not coverage.

All example phrases were written by the team; none come from user content.
"""

from __future__ import annotations

RuleSpec = tuple[str, str, float, str, list[str]]

YOU = r"(?:you|u|ya|yu)"
YOUR = r"(?:your|ur|yur)"
APPS = (
    r"(?:snap|snapchat|sc|whats ?app|telegram|insta|instagram|ig|discord|kik|"
    r"wickr|signal|tiktok|facebook|fb|messenger|skype|line|viber|wechat)"
)
# Verbs of violence, split by severity.
SEVERE = r"(?:kill|murder|stab|shoot|strangle|choke|rape|slit|behead|butcher)"
MODERATE = r"(?:hurt|punch|slap|kick|smash|beat up|beat|batter|break)"
WILL = r"(?:i\s*(?:'m|am)?\s*(?:gonna|going to|will|'ll|wanna|want to|shall|am going to)|i'll|ima|imma)"
WEAPON = r"(?:gun|guns|knife|knives|weapon|weapons|rifle|pistol|bomb|bombs|explosives?|machete)"
SCHOOL = r"(?:school|class|classroom|campus|the gym|the cafeteria)"

RULES: list[RuleSpec] = [
    # ------------------------------------------------------------ grooming
    ("grooming", "secrecy", 0.45, "asks to keep a secret / not tell adults", [
        r"\b(?:don'?t|do not|never|dont)\s+(?:tell|show|say\s+(?:it|this|anything)\s+to)\s+"
        r"(?:your\s+|ur\s+|the\s+|any\s+)?(?:mom|mum|mother|dad|father|parents?|family|"
        r"teachers?|anyone|anybody|any one|nobody|friends?|adults?)",
        r"\b(?:our|a)\s+(?:little\s+|special\s+)?secret\s+(?:between|just)",
        r"\bour\s+(?:little\s+|special\s+)?secret\b",
        r"\b(?:just\s+)?between\s+(?:you and me|us two|the two of us)\b",
        r"\bkeep\s+(?:it|this|that|us)\s+(?:a\s+)?secret\b",
        r"\bkeep\s+(?:it|this|that)\s+between\s+(?:us|you\s+and\s+me)\b",
        r"\b(?:your|ur)\s+(?:mom|mum|dad|parents?|teachers?)\s+(?:wouldn'?t|won'?t|don'?t|doesn'?t|"
        r"would\s+not|will\s+not)\s+(?:need\s+to\s+)?(?:understand|know|find\s+out)\b",
        r"\bdelete\s+(?:this|these|the|our|all)\s+(?:chat|messages?|conversation|texts?|dms?)",
        r"\b(?:sig|fortæl)\s+det\s+ikke\s+til\s+(?:dine forældre|nogen|din mor|din far|læreren)",
        r"\bvores\s+(?:lille\s+)?hemmelighed\b",
        r"\bsag\s+(?:es\s+)?(?:niemandem|nicht\s+deinen\s+eltern|deinen\s+eltern\s+nichts)",
        r"\bunser\s+(?:kleines\s+)?geheimnis\b",
        r"\bne\s+(?:le\s+)?dis\s+(?:rien|pas)\s+(?:à|a)\s+(?:tes\s+parents|personne)",
        r"\bnotre\s+(?:petit\s+)?secret\b",
    ]),
    ("grooming", "private_channel", 0.35, "moves the chat to a private app or channel", [
        rf"\badd\s+me\s+(?:on|in)\s+{APPS}\b",
        rf"\b(?:what'?s|whats|wats|what is|give me|send me|drop)\s+{YOUR}\s+"
        rf"(?:{APPS}|number|phone number|phone|cell)\b",
        rf"\b(?:talk|chat|text|message|dm|write)\s+(?:me\s+)?(?:on|in|over)\s+{APPS}\b",
        r"\b(?:talk|chat|continue|text|message)\b[^.!?\n]{0,20}\b(?:in\s+private|privately|"
        r"somewhere\s+(?:private|else)|another\s+app|where\s+no\s?one\s+can\s+see)",
        r"\b(?:let'?s|we (?:can|should)|wanna|want to)\s+(?:go|move|talk|chat)\s+"
        r"(?:somewhere\s+)?(?:private|privately|in private)",
        rf"\b(?:tilføj|skriv til)\s+mig\s+på\s+{APPS}\b",
        rf"\b(?:add(?:e)?\s+mich|schreib\s+mir)\s+(?:auf|bei|in|über)\s+{APPS}\b",
        rf"\b(?:ajoute|écris|ecris)[- ]moi\s+sur\s+{APPS}\b",
    ]),
    # Same family twice: the engine keeps the higher weight, so a photo
    # request counts once. Generic requests ("send us a picture of your
    # poster") are everyday classroom talk; photos *of the child* less so.
    ("grooming", "photo_request", 0.3, "asks for photos or video", [
        r"\b(?:send|show|give|snap)\s+(?:me\s+|us\s+)?(?:a\s+|an\s+|some\s+|more\s+|another\s+|"
        r"ur\s+|your\s+|a\s+few\s+)?(?:cute\s+|new\s+|private\s+)?"
        r"(?:pic|pics|picture|pictures|photo|photos|pix|vid|vids|video|videos)\b",
        r"\b(?:turn|switch)\s+on\s+(?:your\s+|ur\s+|the\s+)?(?:cam|camera|webcam)\b",
        r"\bsend\s+(?:mig\s+)?(?:et\s+|nogle\s+)?(?:billede|billeder|foto|fotos)\b",
        r"\bschick\s+(?:mir\s+)?(?:ein\s+|mal\s+ein\s+)?(?:bild|foto|bilder|fotos|selfie)\b",
        r"\benvoie[- ]moi\s+(?:une\s+|des\s+|ta\s+)?(?:photo|photos|selfie)\b",
    ]),
    ("grooming", "photo_request", 0.45, "asks for photos of the child", [
        r"\b(?:pic|pics|picture|pictures|photo|photos|pix|vid|video|snap)s?\s+of\s+"
        r"(?:you|u|yourself|urself|your\s*self|your\s+(?:face|body))\b",
        r"\b(?:send|show|snap)\b[^.!?\n]{0,15}\bselfies?\b",
        r"\bpics?\s+or\s+it\s+didn'?t\s+happen\b",
    ]),
    ("grooming", "explicit_photo_request", 0.9, "asks for nude or intimate images", [
        r"\b(?:send|show|snap|see)\b[^.!?\n]{0,25}\b(?:nudes?|nudez|noods|noodz|naked|"
        r"without\s+(?:your\s+|ur\s+|any\s+)?clothes|topless|in\s+(?:your|ur)\s+underwear)\b",
        r"\b(?:nøgenbilleder|nacktbilder|nacktfotos|photos?\s+nue?s?)\b",
    ]),
    ("grooming", "body_talk", 0.5, "asks about the child's body or clothing", [
        rf"\bwhat\s+(?:are|r)\s+{YOU}\s+wearing\b",
        rf"\bshow\s+me\s+{YOUR}\s+(?:body|chest|boobs|butt|privates|legs)\b",
    ]),
    ("grooming", "personal_info", 0.25, "asks for age, address, school or location", [
        rf"\bhow\s+old\s+(?:are|r)\s+{YOU}\b",
        rf"\bwhat'?s\s+{YOUR}\s+age\b",
        rf"\bwhere\s+do\s+{YOU}\s+live\b",
        rf"\b(?:what'?s|whats|give me|send me|tell me)\s+{YOUR}\s+(?:home\s+)?address\b",
        rf"\bwhat\s+school\s+do\s+{YOU}\s+go\b",
        r"\b(?:hvor gammel er du|hvor bor du|hvilken skole går du på)\b",
        r"\b(?:wie alt bist du|wo wohnst du|auf welche schule gehst du)\b",
        r"\b(?:quel\s+(?:â|a)ge\s+as[- ]tu|tu\s+as\s+quel\s+(?:â|a)ge|o(?:ù|u)\s+habites[- ]tu|"
        r"tu\s+habites\s+o(?:ù|u))\b",
    ]),
    ("grooming", "isolation", 0.4, "checks whether the child is alone / unsupervised", [
        rf"\b(?:are|r)\s+{YOU}\s+(?:home\s+)?alone\b",
        rf"\b(?:are|r)\s+{YOUR}\s+(?:parents|mom|mum|dad)\s+(?:home|around|there|away|out|asleep)\b",
        r"\bis\s+any\s?one\s+(?:else\s+)?(?:home|with\s+you|around)\b",
        r"\b(?:er du alene|bist du allein|es[- ]tu\s+seule?)\b",
    ]),
    ("grooming", "meeting", 0.35, "proposes to meet in person", [
        r"\b(?:let'?s|we\s+should|we\s+could|wanna|want\s+to|do\s+you\s+want\s+to|can\s+we|"
        r"we\s+can)\s+(?:meet|meet\s+up|hang\s+out)\b",
        r"\bmeet\s+me\s+(?:at|after|in|outside|behind|tonight|tomorrow|alone)\b",
        rf"\bi(?:'ll|\s+will|\s+can|\s+could)\s+(?:pick\s+{YOU}\s+up|come\s+(?:to|over\s+to)\s+"
        rf"{YOUR}\s+(?:house|place|home))",
        r"\bcome\s+(?:over\s+)?to\s+my\s+(?:house|place|car|flat|apartment)\b",
        r"\b(?:where|when)\s+can\s+(?:we|i)\s+meet\b",
        r"\b(?:skal vi mødes|mød mig)\b",
        r"\b(?:wollen|sollen|können)\s+wir\s+uns\s+treffen\b|\btriff\s+mich\b",
        r"\b(?:on\s+(?:peut\s+)?se\s+voir|rejoins[- ]moi)\b",
    ]),
    ("grooming", "gifts", 0.35, "offers gifts, money or game currency", [
        rf"\bi(?:'ll|\s+will|\s+can|\s+could|'d)?\s+(?:give|buy|send|get)\s+{YOU}\s+"
        r"(?:\w+\s+)?(?:money|cash|gifts?|presents?|robux|v-?bucks|gift\s?cards?|skins?|"
        r"a\s+phone|an?\s+iphone|credits?)\b",
        r"\bfree\s+(?:robux|v-?bucks|skins)\b",
        rf"\b(?:robux|v-?bucks|money|cash)\s+(?:if|for)\s+{YOU}\b",
    ]),
    ("grooming", "special_bond", 0.6, "adult-style flattery about age or a special bond", [
        rf"\b(?:mature|grown[- ]up)\s+for\s+{YOUR}\s+age\b",
        r"\bage\s+is\s+(?:just|only)\s+a\s+number\b",
        rf"\b{YOU}(?:'re|\s+are|\s+r)\s+(?:not\s+like|different\s+from)\s+(?:other|the\s+other)\s+"
        r"(?:kids|girls|boys)\b",
        rf"\bno\s?one\s+(?:understands|gets)\s+{YOU}\s+like\s+i\s+do\b",
        rf"\b(?:are|r)\s+{YOU}\s+(?:a\s+)?virgin\b",
        rf"\bhave\s+{YOU}\s+(?:ever\s+)?(?:kissed|had\s+sex|touched)\b",
        r"\b(?:alder er bare et tal|alter ist nur eine zahl)\b",
    ]),
    # ------------------------------------------------------------ sexual
    ("sexual", "explicit", 0.8, "explicit sexual term", [
        r"\b(?:porn|porno|pornhub|xvideos|onlyfans|blowjob|blow\s+job|handjob|hand\s+job|"
        r"dick\s?pics?|nudes|nudez|noods|noodz|masturbat\w*|jerk(?:ing)?\s+off|horny|cum(?:ming|shot)?|"
        r"sexting|boobs|tits|titties|pussy|cock|blow\s+me|suck\s+my\s+\w+|"
        r"have\s+sex|had\s+sex|sex\s+with|fuck\s+(?:me|her|him)\s+(?:hard|tonight))\b",
        r"\b(?:kneppe|fisse|ficken|muschi|titten|baiser\s+avec|sucer|à\s+poil)\b",
    ]),
    ("sexual", "suggestive", 0.4, "sexual or suggestive term", [
        r"\b(?:sex|sexy|naked|nude|nsfw|strip|lingerie|undress\w*)\b",
        rf"\b{YOU}(?:'re|\s+are|\s+r|\s+look)\s+(?:so\s+|really\s+)?(?:hot|sexy)\b",
    ]),
    ("sexual", "explicit_photo_request", 0.9, "asks for nude or intimate images", [
        r"\b(?:send|show|snap)\b[^.!?\n]{0,25}\b(?:nudes?|nudez|noods|noodz|naked|topless)\b",
    ]),
    # ------------------------------------------------------------ threat
    ("threat", "violent_threat", 0.9, "explicit threat to kill or seriously hurt someone", [
        rf"\b{WILL}\s+(?:\w+\s+)?{SEVERE}\s+(?:{YOU}|him|her|them|{YOUR}|everyone|everybody|all\s+of\s+you)\b",
        rf"\b{YOU}(?:'re|\s+are|\s+r)\s+(?:so\s+)?(?:dead|gonna\s+die|going\s+to\s+die)\b",
        rf"\b{YOU}(?:'ll|\s+will)\s+(?:die|be\s+dead)\b",
        # "jeg slår dig" alone is also winning a game ("i skak"): only "slå ... ihjel" counts.
        r"\bjeg\s+(?:vil\s+)?(?:slår|slå)\s+dig\s+ihjel\b|\bjeg\s+(?:vil\s+)?(?:dræber|dræbe)\s+dig\b|"
        r"\bdu\s+er\s+død\b",
        r"\bich\s+(?:werde\s+dich\s+(?:umbringen|töten|abstechen)|bring\s+dich\s+um|"
        r"töte\s+dich|stech\s+dich\s+ab)\b|\bdu\s+bist\s+tot\b",
        r"\bje\s+vais\s+te\s+(?:tuer|buter|crever|planter)\b|\bt'es\s+mort\b",
    ]),
    ("threat", "physical_threat", 0.65, "threat to hit or hurt someone", [
        rf"\b{WILL}\s+(?:\w+\s+)?{MODERATE}\s+(?:{YOU}|him|her|them|{YOUR})\b",
        rf"\bwatch\s+{YOUR}\s+back\b",
        rf"\bi\s+know\s+where\s+{YOU}\s+live\b",
        rf"\b(?:i'll|i\s+will|gonna)\s+find\s+{YOU}\b",
        r"\bje\s+vais\s+te\s+(?:frapper|défoncer|casser)\b|\bich\s+verprügel\w*\s+dich\b",
    ]),
    ("threat", "school_violence", 0.95, "threat of weapons or violence at school", [
        rf"\b(?:bring|bringing|brings|take|taking|carry|carrying)\s+(?:\w+\s+){{0,3}}?{WEAPON}\s+"
        rf"(?:to|into|in)\s+{SCHOOL}\b",
        rf"\b(?:shoot|shooting|blow|blowing|bomb|bombing)\s+(?:up\s+)?(?:the|this|our|my)\s+{SCHOOL}\b",
        rf"\b{WILL}\s+(?:\w+\s+)?(?:shoot|stab|kill|bomb)\s+(?:\w+\s+){{0,4}}?(?:at|in)\s+{SCHOOL}\b",
    ]),
    # ------------------------------------------------------------ self-harm
    ("self_harm", "ideation", 0.85, "talks about wanting to die or hurt themselves", [
        r"\bi\s*(?:'m|am)?\s*(?:want|wanna|going to|gonna|will|'ll|might|should|feel like|"
        r"am going to|plan to|planning to)\s+(?:just\s+)?(?:to\s+)?(?:kill|hurt|cut|harm|end|hang)"
        r"\s+myself\b",
        r"\b(?:killing|hurting|cutting|harming|hanging|starving)\s+myself\b",
        r"\bi\s+(?:want|wanna)\s+(?:to\s+)?die\b|\bi\s+wish\s+i\s+(?:was|were)\s+dead\b",
        r"\bi\s+don'?t\s+want\s+to\s+(?:live|be\s+alive|exist|wake\s+up)\s+any\s?more\b",
        r"\b(?:end|take)\s+my\s+(?:own\s+)?life\b",
        r"\b(?:no\s+reason\s+to\s+live|better\s+off\s+dead|"
        r"(?:everyone|everybody|they)(?:'d|\s+would)\s+be\s+better\s+off\s+without\s+me)\b",
        r"\bjeg\s+vil\s+(?:gerne\s+)?(?:dø|slå\s+mig\s+selv\s+ihjel|ikke\s+leve\s+mere)\b|"
        r"\btage\s+mit\s+(?:eget\s+)?liv\b|\bskade\s+mig\s+selv\b",
        r"\bich\s+(?:will|möchte)\s+(?:sterben|nicht\s+mehr\s+leben|mich\s+umbringen)\b|"
        r"\bmich\s+(?:selbst\s+)?(?:umbringen|verletzen|ritzen)\b",
        r"\bje\s+veux\s+mourir\b|\bme\s+(?:suicider|tuer)\b|\bje\s+(?:ne\s+)?veux\s+plus\s+vivre\b|"
        r"\bme\s+faire\s+du\s+mal\b",
    ]),
    ("self_harm", "mention", 0.45, "mentions suicide or self-harm", [
        r"\b(?:suicid(?:e|al)|self[- ]?harm\w*|kms|selbstmord|suizid\w*|selvmord\w*)\b",
    ]),
    # ------------------------------------------------------------ harassment
    ("harassment", "tells_to_die", 0.9, "tells someone to kill themselves or die", [
        rf"\b(?:kill|hang|neck)\s+{YOU}r?self\b|\bkys\b|\bgo\s+(?:and\s+)?die\b",
        rf"\b{YOU}\s+should\s+(?:just\s+)?(?:die|kill\s+{YOU}r?self)\b",
        r"\bdrink\s+bleach\b",
    ]),
    ("harassment", "exclusion", 0.7, "bullying: says nobody likes / everyone hates them", [
        rf"\b(?:nobody|no\s?one|no1)\s+(?:likes|loves|wants|cares\s+about)\s+{YOU}\b",
        rf"\b(?:everyone|everybody|we\s+all)\s+hates?\s+{YOU}\b",
        rf"\b{YOU}\s+have\s+no\s+friends\b",
    ]),
    ("harassment", "direct_insult", 0.6, "direct insult aimed at someone", [
        rf"\b{YOU}(?:'re|\s+are|\s+r)\s+(?:so\s+|such\s+an?\s+|an?\s+|a\s+fucking\s+|fucking\s+)?"
        r"(?:ugly|fat|stupid|dumb|worthless|pathetic|disgusting|loser|idiot|moron|retard(?:ed)?|"
        r"freak|failure|useless|trash|garbage|bitch|slut|whore)\b",
        rf"\b(?:fuck|f\*+k|screw)\s+(?:{YOU}|off)\b|\bstfu\b|\bshut\s+up\s+(?:you|u)\s+\w+",
        r"\bdu\s+(?:bist|er)\s+(?:so\s+|så\s+)?(?:dumm|hässlich|fett|blöd|dum|grim|fed|klam)\b",
        r"\bt'es\s+(?:trop\s+)?(?:con|conne|moche|nul|nulle|grosse?)\b",
    ]),
    # ------------------------------------------------------------ profanity
    ("profanity", "strong", 0.6, "strong swear word", [
        r"\b(?:fuck\w*|f[u*]ck\w*|motherfuck\w*|shit\w*|sh\*t|bullshit|bitch\w*|"
        r"asshole|arsehole|bastard|dickhead|cunt|wtf|stfu|piss\s+off)\b",
        r"\b(?:scheiße|scheisse|scheiß\w*|fick\w*|arschloch|putain|merde|bordel|"
        r"kraftedeme|lort|pis)\b",
    ]),
    ("profanity", "mild", 0.3, "mild swear word", [
        r"\b(?:damn|crap|hell|piss\w*|bloody|verdammt|for\s+helvede|zut)\b",
    ]),
]
