"""Rule patterns in the classroom languages (data only; appended to patterns.RULES).

Same format and weight scale as patterns.py. Family names repeat the English ones, so the
evidence label (``rule:secrecy`` ...) means the same thing in every language; within a
family the engine keeps the highest weight that fired. Written by the team from general
knowledge of how each harm is phrased, never from user content; each pattern aims at a
phrase that is harmful on its own (a game's "I beat you" is left out on purpose).
Languages: da, de, es, it, fr, nl, sv, nb, pl, pt, tr, uk (+ English gaps).
"""

from __future__ import annotations

from .patterns import RuleSpec

# Apps as written inside other languages, with their case endings (pl "na Snapchacie",
# tr "Instagram'dan", uk "в Телеграмі").
APPS_ANY = (r"(?:snap\w*|snapchat\w*|whats\s?app\w*|telegram\w*|insta\w*|discord\w*|kik|signal|"
            r"tiktok\w*|messenger\w*|skype|viber\w*|телеграм\w*|вайбер\w*|інстаграм\w*|снеп\w*|ватсап\w*)")

RULES_LANGUAGES: list[RuleSpec] = [
    # ------------------------------------------------------------ grooming: flattery about maturity
    ("grooming", "special_bond", 0.6, "adult-style flattery about age or a special bond", [
        r"\bmore\s+mature\s+than\s+(?:the\s+)?(?:other|most)\s+(?:kids|girls|boys|people)\b",
        r"\bmature\s+than\s+(?:kids|girls|boys)\s+(?:your|ur)\s+age\b",
        r"\bmoden\s+for\s+(?:din\s+)?alder(?:en\s+din)?\b|\bmere\s+moden\s+end\b|\bikke\s+som\s+et\s+barn\b",
        r"\breif\s+für\s+dein\s+alter\b|\breifer\s+als\s+die\s+anderen\b",
        r"\bmadur[oa]\s+para\s+(?:tu|la\s+tua|a\s+tua|sua)\s+idade\b|\bmadur[oa]\s+para\s+tu\s+edad\b|"
        r"\bmás\s+madur[oa]\s+que\b|\bmais\s+madur[oa]\s+(?:que|do\s+que)\b",
        r"\bmatur[oa]\s+per\s+la\s+tua\s+età\b|\bpiù\s+matur[oa]\s+(?:di|delle|degli|dei)\b",
        r"\bmature\s+pour\s+ton\s+âge\b|\bplus\s+mature\s+que\b",
        r"\bvolwassen\s+voor\s+je\s+leeftijd\b|\bvolwassener\s+dan\b",
        r"\bmogen\s+för\s+din\s+ålder\b|\bmognare\s+än\b",
        r"\bmoden\s+for\s+alderen\s+din\b|\bmer\s+moden\s+enn\b",
        r"\bdojrzał[aey]\s+jak\s+na\s+swój\s+wiek\b",
        r"\byaşına\s+göre\s+(?:çok\s+)?olgun\w*",
        r"\bдоросл\w*\s+як\s+на\s+свій\s+вік\b",
        r"\b(?:not\s+like|nicht\s+wie|no\s+eres\s+como|non\s+sei\s+come|pas\s+comme|niet\s+zoals|"
        r"inte\s+som|ikke\s+som|nie\s+jak|não\s+és\s+como|не\s+так[аи]\s+як)\s+(?:the\s+|die\s+|las\s+|"
        r"los\s+|le\s+|les\s+|de\s+|andre\s+|inne\s+|as\s+|os\s+|інші\s+)?(?:other|anderen|otras|otros|"
        r"altre|altri|autres|andere|andra|andre|inne|outras|outros|інші)\s+(?:kids|kinder|chicas|"
        r"chicos|niñ[oa]s|ragazz[ei]|bambini|filles|enfants|kinderen|barnen|barna|dzieci|diet)?",
    ]),
    # ------------------------------------------------------------ grooming: secrecy
    ("grooming", "secrecy", 0.45, "asks to keep a secret / not tell adults", [
        r"\b(?:lad\s+være\s+med\s+at|du\s+må\s+ikke)\s+fortælle\b|\bfortæl\s+(?:det\s+)?ikke\s+(?:til\s+)?"
        r"(?:dine\s+forældre|nogen|din\s+mor|din\s+far)\b",
        r"\b(?:erzähl|sag)\s+(?:es\s+|das\s+)?(?:niemandem|keinem|deinen\s+eltern\s+nichts|deiner\s+mutter\s+nichts)\b|"
        r"\b(?:muss|soll)\s+(?:aber\s+)?unser\s+geheimnis\b",
        r"\bno\s+(?:se\s+lo\s+|le\s+|les\s+)?(?:digas|cuentes)\s+(?:nada\s+)?(?:a\s+)?(?:tus\s+padres|nadie|"
        r"tu\s+madre|tu\s+padre|tu\s+profe)\b|\b(?:nuestro|un)\s+secreto\b",
        r"\bnon\s+(?:dirlo|dire\s+niente|lo\s+dire|raccontarlo|dirai\s+niente)\s+(?:a\s+)?(?:nessuno|ai\s+tuoi|"
        r"tuoi\s+genitori|tua\s+madre|tuo\s+padre)\b|\b(?:il\s+)?nostro\s+(?:piccolo\s+)?segreto\b",
        r"\bne\s+(?:le\s+)?dis\s+rien\b",
        r"\b(?:vertel|zeg)\s+(?:het\s+)?(?:niet|niks|niets)\s+(?:tegen|aan)\s+(?:je\s+ouders|iemand|je\s+moeder|"
        r"je\s+vader)\b|\bons\s+(?:kleine\s+)?geheim(?:pje)?\b",
        r"\bsäg\s+(?:inget|ingenting|inte\s+det)\s+(?:till|åt)\s+(?:dina\s+föräldrar|någon|nån|din\s+mamma)\b|"
        r"\bvår\s+(?:lilla\s+)?hemlighet\b",
        r"\bikke\s+si\s+(?:noe|det)\s+til\s+(?:foreldrene\s+dine|noen|mora\s+di|faren\s+din)\b|"
        r"\bvår\s+(?:lille\s+)?hemmelighet\b",
        r"\bnie\s+mów\s+(?:nic\s+)?(?:nikomu|rodzicom|mamie|tacie)\b|\bnasz[aey]?\s+tajemnic\w*",
        r"\bnão\s+(?:contes|digas|conte|diga|contes\s+nada|digas\s+nada)\s+(?:nada\s+)?(?:aos\s+teus\s+pais|"
        r"aos\s+seus\s+pais|a\s+ninguém|pra\s+ninguém|para\s+ninguém)\b|\bnosso\s+segredo\b",
        r"\b(?:ailene|annene|babana|kimseye|öğretmenine)\s+(?:hiçbir\s+şey\s+|bir\s+şey\s+)?söyleme\b|"
        r"\bbizim\s+sırrımız\b",
        r"\b(?:нічого\s+)?не\s+кажи\s+(?:нічого\s+)?(?:батькам|мамі|татові|нікому)\b|\bнаш\s+секрет\b|"
        r"\bнаша\s+таємниця\b",
    ]),
    # ------------------------------------------------------------ grooming: moving to another app
    ("grooming", "private_channel", 0.35, "moves the chat to a private app or channel", [
        rf"\b(?:skriv|snak|tal)\s+(?:til|med)\s+mig\s+på\s+{APPS_ANY}",
        rf"\blass\s+uns\s+(?:lieber\s+|doch\s+)?(?:auf|über|bei|in)\s+{APPS_ANY}\s+(?:schreiben|reden|weiter)",
        rf"\b(?:háblame|escríbeme|agrégame|añádeme|hablemos|sígueme)\s+(?:por|en)\s+{APPS_ANY}|"
        rf"\bmejor\s+(?:por|en)\s+{APPS_ANY}",
        rf"\b(?:scrivimi|aggiungimi|parliamo|sentiamoci|seguimi)\s+(?:su|in|per)\s+{APPS_ANY}|\bin\s+privato\b",
        rf"\b(?:viens|passe|parlons|on\s+parle|on\s+continue)\s+(?:plutôt\s+)?sur\s+{APPS_ANY}|\ben\s+privé\b",
        rf"\b(?:stuur|app|schrijf|voeg)\s+(?:me|mij)\s+(?:toe\s+)?(?:op|via)\s+{APPS_ANY}|"
        rf"\b(?:op|via)\s+{APPS_ANY}\s+(?:verder|praten|chatten)",
        rf"\b(?:skriv|snacka|lägg\s+till)\s+(?:till\s+|med\s+)?mig\s+på\s+{APPS_ANY}",
        rf"\b(?:skriv|snakk|legg\s+til)\s+(?:til\s+|med\s+)?meg\s+på\s+{APPS_ANY}",
        rf"\b(?:napisz|pisz|dodaj)\s+(?:do\s+)?mnie\s+na\s+{APPS_ANY}|\bprywatnie\b",
        rf"\b(?:fala|fale|escreve|escreva|adiciona|adicione)[- ]?(?:me|comigo)?\s+(?:no|pelo|por|na)\s+{APPS_ANY}",
        rf"\b{APPS_ANY}['’]?\w{{0,4}}\s+(?:yaz|ekle|konuşalım|gel)\b",
        rf"(?:напиши|пиши|додай)\s+(?:мені|мене)\s+(?:в|у|на)\s+{APPS_ANY}",
        rf"\b(?:let'?s\s+)?(?:move|take)\s+(?:this|it)\s+to\s+{APPS_ANY}",
    ]),
    # ------------------------------------------------------------ threats
    ("threat", "violent_threat", 0.9, "explicit threat to kill or seriously hurt someone", [
        r"\b(?:te\s+voy\s+a\s+matar|te\s+mato)\b",
        r"\bti\s+(?:ammazzo|uccido)\b",
        r"\bik\s+maak\s+(?:je|jou)\s+(?:af|dood)\b|\bmaak\s+ik\s+(?:je|jou)\s+(?:af|dood)\b",
        r"\b(?:jag\s+ska\s+döda\s+dig|dödar\s+(?:jag\s+)?dig)\b",
        r"\b(?:jeg\s+skal\s+drepe\s+deg|dreper\s+(?:jeg\s+)?deg)\b",
        r"\bzabiję\s+cię\b(?!\s+w\s)|\bcię\s+zabiję\b",
        r"\b(?:vou[- ]te\s+matar|vou\s+te\s+matar|eu\s+mato[- ]te|te\s+mato)\b",
        r"\bseni\s+(?:\w+\s+){0,3}?öldür\w*",
        r"(?:вб'ю|уб'ю)\s+тебе|тебе\s+(?:вб'ю|уб'ю)",
    ]),
    ("threat", "physical_threat", 0.65, "threat to hit or hurt someone", [
        r"\b(?:tæsk\w*|bank\w*|smadr\w*|tæver?)\s+(?:jeg\s+|vi\s+)?dig\b|\bslå[r]?\s+(?:jeg\s+)?dig\s+"
        r"(?:efter\s+skole|ned|i\s+hovedet|til\s+plukfisk)\b",
        r"\b(?:schlag|schlage|verprügel|verprügle|box|hau)\s+(?:ich\s+)?dich\s+(?:\w+\s+){0,4}?"
        r"(?:zusammen|kaputt|krankenhaus|windelweich)\b|\b(?:verprüg\w*|box)\s+(?:ich\s+)?dich\b",
        r"\bte\s+voy\s+a\s+(?:pegar|partir|reventar|romper|dar\s+una\s+paliza)\b|\bte\s+(?:parto|reviento)\b",
        r"\bti\s+(?:spacco|meno|picchio|gonfio|rompo|sfondo)\b",
        r"\b(?:sla|sloop|mep|schop)\s+(?:ik\s+)?(?:je|jou)\s+(?:\w+\s+){0,3}?(?:in\s+elkaar|kapot|verrot)\b",
        r"\bslår\s+(?:jag\s+)?dig\s+(?:efter\s+skolan|på\s+käften|sönder|gul\s+och\s+blå)\b|"
        r"\bjag\s+ska\s+(?:spöa|slå)\s+(?:upp\s+)?dig\b",
        r"\b(?:banker|juler|slår)\s+(?:jeg\s+)?deg\s+(?:opp|helseløs|etter\s+skolen)\b|"
        r"\bjeg\s+skal\s+(?:banke|jule)\s+deg\b",
        # "pobiję cię w Minecrafcie" is a game: not followed by "w".
        r"\b(?:pobiję|zleję|rozwalę|stłukę)\s+cię\b(?!\s+w\s)|\bcię\s+(?:pobiję|zleję|rozwalę)\b",
        r"\b(?:vou[- ]te|vou\s+te|te\s+vou)\s+(?:bater|partir|dar\s+(?:uma\s+tareia|porrada))\b",
        r"\bseni\s+(?:\w+\s+){0,3}?(?:döv\w*|gebert\w*|dağıt\w*|parçala\w*)",
        r"(?:поб'ю|відлуплю|наб'ю)\s+(?:тебе|тобі)|тебе\s+(?:поб'ю|відлуплю)",
    ]),
    # ------------------------------------------------------------ self-harm
    ("self_harm", "ideation", 0.85, "talks about wanting to die or hurt themselves", [
        r"\b(?:skære|skade|slå)\s+(?:i\s+)?mig\s+selv\b|\blyst\s+til\s+at\s+dø\b|\bvil\s+ikke\s+leve\s+mere\b|"
        r"\btage\s+livet\s+af\s+mig\b",
        r"\b(?:me\s+quiero\s+morir|quiero\s+(?:morir\w*|matarme|suicidarme|hacerme\s+daño|desaparecer))\b|"
        r"\bhacerme\s+daño\b|\bcortarme\b|\bno\s+quiero\s+(?:seguir\s+)?vivir\b",
        r"\bvoglio\s+(?:morire|farla\s+finita|uccidermi|ammazzarmi)\b|\bfarmi\s+del\s+male\b|\btagliarmi\b|"
        r"\bnon\s+voglio\s+più\s+vivere\b",
        r"\bik\s+wil\s+(?:dood|niet\s+meer\s+leven)\b|\bmezelf\s+(?:pijn\s+doen|iets\s+aandoen|snijden|doden)\b|"
        r"\bwil\s+er\s+niet\s+meer\s+zijn\b",
        r"\bjag\s+vill\s+(?:dö|inte\s+leva)\b|\bskada\s+mig\s+själv\b|\bta\s+livet\s+av\s+mig\b",
        r"\bjeg\s+vil\s+(?:dø|ikke\s+leve)\b|\bta\s+livet\s+(?:mitt|av\s+meg)\b|\bskade\s+meg\s+selv\b",
        r"\bchcę\s+(?:umrzeć|się\s+zabić|zrobić\s+sobie\s+krzywdę)\b|\bzrobić\s+sobie\s+krzywdę\b|"
        r"\bnie\s+chcę\s+(?:już\s+)?żyć\b",
        r"\bquero\s+(?:morrer|me\s+matar|matar[- ]me|magoar[- ]me|me\s+magoar)\b|\b(?:magoar|cortar)[- ]me\b|"
        r"\bnão\s+quero\s+(?:mais\s+)?viver\b",
        r"\bölmek\s+istiyorum\b|\bkendimi\s+(?:öldür|kes|yarala)\w*|\bkendime\s+zarar\b",
        r"(?:хочу|хочеться)\s+(?:померти|вмерти|вбити\s+себе|себе\s+вбити)|зробити\s+собі\s+боляче|"
        r"не\s+хочу\s+жити|накласти\s+на\s+себе\s+руки",
    ]),
    ("self_harm", "mention", 0.45, "mentions suicide or self-harm", [
        r"\b(?:suicidio|suicidarme|suicidarse|zelfmoord|självmord|samobój\w*|suicídio|intihar\w*)\b|самогубств\w*",
    ]),
    # ------------------------------------------------------------ exclusion bullying
    ("harassment", "exclusion", 0.7, "bullying: says nobody likes them / shuts them out", [
        r"\b(?:group|group\s?chat|gc|chat|team)\s+without\s+(?:you|u|her|him|\w+)\b[^.!?\n]{0,30}"
        r"\b(?:nobody|no\s?one)\s+wants\b|\b(?:nobody|no\s?one)\s+wants\s+(?:her|him)\b",
        r"\b(?:you\s+)?can'?t\s+sit\s+with\s+us\b|\bnot\s+allowed\s+to\s+sit\s+with\s+us\b",
        r"\bingen\s+(?:i\s+klassen\s+)?(?:kan\s+lide|gider|vil\s+være\s+(?:sammen\s+)?med|vil\s+lege\s+med)\s+dig\b|"
        r"\bdu\s+er\s+ikke\s+med\b|\bdu\s+må\s+ikke\s+være\s+med\b|\bingen\s+gider\b[^.!?\n]{0,30}\bdig\b",
        r"\b(?:keiner|niemand)\s+mag\s+dich\b|\bgehörs?t\s+nicht\s+(?:zu\s+uns|dazu)\b|"
        r"\bals\s+ob\s+\w+\s+nicht\s+da\s+(?:ist|wäre)\b|\bdu\s+darfst\s+nicht\s+(?:mehr\s+)?(?:mit|in\s+unsere)",
        r"\bnadie\s+(?:te\s+quiere|quiere\s+estar\s+contigo|te\s+soporta|quiere\s+estar\s+en\s+tu)\b|"
        r"\bno\s+(?:invitéis|invitemos|invites|invitéis)\s+a\b|\bque\s+se\s+quede\s+sol[oa]\b|\bno\s+te\s+queremos\b",
        r"\bnessuno\s+(?:ti\s+vuole|vuole\s+stare\s+con\s+te|ti\s+sopporta)\b|\bnon\s+ti\s+vogliamo\b|"
        r"\btutti\s+ridono\s+di\s+te\b",
        r"\bpersonne\s+(?:ne\s+)?(?:t'aime|veut\s+de\s+toi|veut\s+être\s+avec\s+toi)\b|"
        r"\b(?:qu'?elle|qu'?il)\s+(?:a\s+qu'à\s+)?rest\w*\s+tout\w*\s+seul\w*",
        r"\bniemand\s+(?:vindt\s+(?:je|jou)\s+leuk|wil\s+(?:met\s+)?(?:jou|je))\b|\bhoort\s+niet\s+bij\s+ons\b|"
        r"\bdoen\s+alsof\s+\w+\s+er\s+niet\s+is\b|\bmag\s+niet\s+meer\s+bij\s+ons\b",
        r"\bingen\s+(?:vill\s+vara\s+med\s+dig|gillar\s+dig|tycker\s+om\s+dig)\b|\bny\s+grupp\s+utan\s+\w+\b|"
        r"\bfår\s+vara\s+ensam\b|\bdu\s+får\s+inte\s+vara\s+med\b",
        r"\bingen\s+(?:vil\s+være\s+med\s+deg|liker\s+deg)\b|\bny\s+gruppe\s+uten\s+\w+\b|"
        r"\bdu\s+får\s+ikke\s+være\s+med\b",
        r"\bnikt\s+(?:cię\s+nie\s+lubi|nie\s+chce\s+z\s+tobą)\b|\bnie\s+zapraszajcie\b|"
        r"\bniech\s+(?:siedzi|zostanie)\s+sam[a]?\b|\bnie\s+możesz\s+(?:już\s+)?być\s+w\s+naszej\b",
        r"\bninguém\s+(?:gosta\s+de\s+(?:ti|você)|quer\s+(?:ficar|estar)\s+(?:contigo|no\s+teu))\b|"
        r"\bnão\s+(?:chamem|convidem)\b|\bfique\s+sozinh[ao]\b|\bjá\s+não\s+podes\s+estar\b",
        r"\bkimse\s+seni(?:nle)?\s+(?:sevmiyor|istemiyor|\w+\s+olmak\s+istemiyor|oynamak\s+istemiyor)\b|"
        r"\bgruba\s+almayın\b|\byalnız\s+kalsın\b|\bgrubumuzda\s+olamazsın\b",
        r"ніхто\s+(?:тебе\s+не\s+любить|не\s+хоче\s+з\s+тобою)|не\s+беріть\s+\w+\s+в\s+групу|"
        r"хай\s+(?:сидить|буде)\s+сам|не\s+можеш\s+бути\s+в\s+нашій",
    ]),
    ("harassment", "direct_insult", 0.6, "direct insult aimed at someone", [
        r"\beres\s+(?:un\s+|una\s+|muy\s+|tan\s+)?(?:inútil|idiota|tont[oa]|estúpid[oa]|fe[oa]|gord[oa]|"
        r"asqueros[oa]|imbécil|subnormal|pringad[oa])\b|\bdas\s+asco\b",
        r"\bsei\s+(?:proprio\s+|così\s+|un\s+|una\s+)?(?:sfigat[oa]|stupid[oa]|brutt[oa]|grass[oa]|idiota|"
        r"scem[oa]|cretin[oa]|inutile)\b|\bfai\s+schifo\b",
        r"\b(?:je|jij)\s+bent\s+(?:echt\s+|zo\s+|een\s+)*(?:dom|lelijk|dik|stom|vies|sukkel|loser)\b",
        r"\bdu\s+är\s+(?:så\s+)?(?:äcklig|ful|dum|tjock|värdelös|patetisk)\b",
        r"\bdu\s+er\s+(?:så\s+)?(?:teit|stygg|tjukk|ekkel|patetisk)\b",
        r"\bjesteś\s+(?:taki\s+|taka\s+|strasznie\s+)?(?:głupi|głupia|brzydki|brzydka|gruby|gruba|"
        r"beznadziejn\w+|żałosn\w+)\b",
        r"\b(?:és|você\s+é|tu\s+és)\s+(?:muito\s+|tão\s+|um\s+|uma\s+)?(?:burr[oa]|estúpid[oa]|fei[oa]|"
        r"gord[oa]|idiota|nojent[oa]|inútil)\b",
        r"\b(?:aptal|salak|gerizekalı|çirkin|şişko)s[ıu]n\b",
        r"ти\s+(?:такий\s+|така\s+|дуже\s+)?(?:тупий|тупа|дурний|дурна|потворн\w+|жирн\w+)",
    ]),
]
