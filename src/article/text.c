/*
 * article/text: plain text scraped from a web page: find the title, source, byline, date and
 * paragraphs among page noise.  Text may be CJK (no spaces, 。).
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "arena.h"
#include "article.h"
#include "buf.h"
#include "diag.h"
#include "text.h"
#include "util.h"
#include "value.h"
#include "article_int.h"
#include "newsdate.h"

/* Lines longer than this are never searched for a date, a byline or a source. */
#define META_LINE_MAX 200
/* Words in a date ("Sunday, 19 October 2014 at 4:55 p.m. EDT" has 9). */
#define DATE_MAX_WORDS 10
/* Dates and bylines are looked for in the first and last lines of a page only. */
#define META_HEAD_UNITS 500
#define META_TAIL_UNITS 100

/*
 * Noise patterns, matched with art_glob_match() (case folded).  Whole-line patterns are
 * compared with leading and trailing punctuation removed ("Share:" is "share"); "short"
 * patterns apply to lines of at most NOISE_SHORT_WORDS words, so a paragraph that happens
 * to say "click here" survives; "any" patterns are specific enough for every line.
 */
#define NOISE_SHORT_WORDS 25
/* Lines above the text where the headline is looked for. */
#define TITLE_WINDOW 40
/* Further up, a headline still counts when a byline or date line sits right under it (the
 * header's classic shape, with a video player or share bar between it and the text). */
#define TITLE_FAR_WINDOW 200
#define TITLE_ABOVE_META 5
/* A headline scores at least this (title_score()); below, there is none. */
#define TITLE_MIN_SCORE 1
/* A tagline above a headline at the top of the text: at most this many lines and words,
 * with this many times more text below the headline. */
#define HEAD_TRIM_LINES 3
#define HEAD_TRIM_WORDS 25
#define HEAD_TRIM_RATIO 5
/* Why a line in brackets was dropped (code_candidate() may take it back as code). */
#define WHY_BRACKETED "a credit or note in brackets"
/* A table: at least this many cells of at most this many words, two in five with digits
 * and one in four of two words or more. */
#define TABLE_MIN_CELLS 6
#define TABLE_CELL_WORDS 6
/* A line cut short ("...") of at most this many words is a teaser of another story. */
#define TEASER_CUT_WORDS 10
/* A headline longer than this many words is more likely a caption or a standfirst. */
#define TITLE_LONG_WORDS 20
/* A title made from the first sentence is cut at a word boundary before this many bytes. */
#define TITLE_FALLBACK_MAX 150
/* A teaser under a headline in a list of other stories is a sentence or two. */
#define TEASER_WORDS 40
/* In a run of lines that cost, the first few cost in full, the rest this much. */
#define GAP_FULL_COST_LINES 3
#define GAP_TAIL_COST (-0.3)
/* What an end marker ("Comments", "Related") costs: a wall, but one that a long text
 * below it can cross (the word was a table heading or a label inside the article). */
#define END_COST (-10)
/* What text below an end marker ("Comments") counts for. */
#define AFTER_END_WEIGHT 0.4
/* A dateline is at the very start of the first paragraph. */
#define DATELINE_BYTES 100
/* Paragraphs of the text a headline is compared with, and what full overlap adds. */
#define TITLE_CONTEXT_LINES 3
#define TITLE_OVERLAP_BONUS 6
/* An author's bio is shorter than this (words). */
#define BIO_MAX_WORDS 40

static const char *const noise_line[] = {
    "home", "menu", "main menu", "search", "sections", "navigation", "skip to *",
    "jump to *", "advertisement", "advertisements", "advertising", "ad", "ads", "sponsored",
    "sponsored content", "paid content", "promoted", "share", "shares", "share this",
    "share this article", "share this story", "share this page", "share this post",
    "share article", "share story", "share on *", "share via *", "share with *", "tweet",
    "tweet this", "pin it", "email", "e-mail", "email this", "email this article", "print",
    "print this", "print this article", "save", "save article", "save for later",
    "copy link", "link copied", "comment", "comments", "view comments", "show comments",
    "log in", "login", "log out", "sign in", "sign out", "sign up", "register",
    "create account", "my account", "subscribe", "subscribe now", "subscribe today",
    "follow", "follow us", "follow us on *", "follow * on *", "like us on *",
    "connect with us", "back to top", "top", "read more", "read more *", "continue reading",
    "continue reading *", "next", "previous", "prev", "next article", "previous article",
    "next story", "previous story", "close", "open", "toggle *", "accept", "accept all",
    "accept cookies", "reject all", "decline", "agree", "i agree", "ok", "got it",
    "manage preferences", "manage cookies", "manage settings", "cookie settings",
    "privacy settings", "more", "more info", "learn more", "loading", "please wait",
    "related", "related: *", "see also", "see also: *", "also read: *", "also read *",
    "read also: *", "read also *", "also read", "read also", "read: *", "watch", "watch: *", "watch live", "video", "video: *",
    "listen", "listen: *", "listen to this article*", "audio", "photo", "photos", "photo: *",
    "photograph: *", "image", "image: *", "image source*", "image caption*", "photo credit*",
    "media caption*", "video caption*", "media playback is*",
    "caption: *", "getty images", "file photo", "tags", "tags: *", "tag: *", "topics",
    "topics: *", "topic: *", "categories: *", "category: *", "filed under*", "posted in *",
    "keywords: *", "* min read", "* mins read", "* minute read", "* minutes read",
    "* min. read", "reading time*", "more on this story", "more on this topic",
    "related topics", "top stories", "latest", "latest news", "breaking news", "breaking",
    "live", "updated", "newsletter", "newsletters", "podcast", "podcasts", "copyright*",
    "all rights reserved*", "terms", "terms of use", "privacy", "privacy policy",
    "cookie policy", "contact", "contact us", "about", "about us", "help", "faq", "rss",
    "site map", "sitemap", "careers", "advertise", "advertise with us", "download the app",
    "get the app", "open in app", "open app", "scroll to continue*", "story continues below*",
    "article continues below*", "continue below*", "thanks for reading*",
    "thank you for reading*", "facebook", "twitter", "x", "instagram", "linkedin",
    "whatsapp", "telegram", "reddit", "pinterest", "youtube", "tiktok", "flipboard",
    "messenger", "sms", "copy", "link", "join the mailing list*", "join our mailing list*",
    "join the conversation*", "join the discussion*",
    /* French, German, Spanish, Italian, Portuguese, Dutch, Russian, Polish, Swedish,
     * Turkish: menus, share, sign-up, ads, captions, tags */
    "accueil", "partager", "partager sur *", "imprimer", "s'abonner", "abonnez-vous",
    "se connecter", "connexion", "publicité", "lire aussi*", "à lire aussi*", "voir aussi*",
    "mots-clés*", "étiquettes*", "photo : *", "crédit photo*", "startseite", "teilen",
    "drucken", "weiterlesen*", "anmelden", "abonnieren", "werbung", "anzeige", "lesen sie auch*",
    "mehr zum thema*", "schlagwörter*", "schlagworte*", "foto: *", "bild: *", "inicio",
    "portada", "compartir", "imprimir", "suscríbete*", "iniciar sesión", "publicidad",
    "lee también*", "leer más*", "ver también*", "etiquetas*", "temas*", "foto: *",
    "condividi", "stampa", "iscriviti*", "accedi", "pubblicità", "leggi anche*",
    "leggi di più*", "argomenti*", "compartilhe", "compartilhar", "partilhar", "entrar",
    "assine*", "publicidade", "leia também*", "leia mais*", "veja também*", "delen",
    "inloggen", "abonneer*", "advertentie", "lees ook*", "lees meer*", "главная",
    "поделиться", "войти", "подписаться*", "реклама", "читайте также*", "читать далее*",
    "теги*", "фото: *", "udostępnij", "zaloguj*", "reklama", "czytaj także*", "czytaj też*",
    "dela", "logga in", "annons", "läs också*", "läs mer*", "paylaş", "giriş yap", "reklam",
    "ayrıca okuyun*", "etiketler*",
    /* Chinese, Japanese, Korean: share, log in / register, back to top, ad */
    "分享", "分享到*", "分享至*", "分享本文*", "シェア", "シェアする", "ツイート", "공유",
    "공유하기", "登录", "注册", "登录*注册", "ログイン", "会員登録", "ログイン*会員登録*",
    "로그인", "회원가입", "返回顶部", "ページの先頭へ", "广告", "広告", "광고",
};

static const char *const noise_short[] = {
    "*buy it here*", "*buy now*", "*shop now*", "*order now*", "*add to cart*",
    "*mailing list*", "*our newsletter*", "*newsletter sign*", "*sign up for our*",
    "*sign up to our*", "*subscribe to our*", "*subscribe for *", "*subscribe now*",
    "*follow us on*", "*follow us:*", "*like us on*", "*find us on*", "*share on facebook*",
    "*share on twitter*", "*share this article*", "*share this story*", "*click here*",
    "*tap here*", "*privacy policy*", "*terms of use*", "*terms of service*",
    "*terms and conditions*", "*cookie policy*", "*cookie settings*", "*accept cookies*",
    "*uses cookies*", "*use cookies*", "*getty images*", "*reuters/*", "*ap photo*",
    "*afp photo*", "*photo by *", "*photo credit*", "*image credit*", "*photograph:*",
    "*photograph by*", "*photo illustration*", "*(credit:*", "* credit: *", "*(photo:*",
    "*(foto:*", "*photo: *", "*/getty*", "*/reuters*", "*/afp*", "*/ap*", "*download the app*",
    "*download our app*", "*get the app*", "*story continues*", "*article continues*",
    "*continue reading*", "*read more:*", "*read more at*", "*read the full*",
    "*was originally published*", "*originally appeared*", "*first appeared on*", "*©*",
    "*(c) 19*", "*(c) 20*", "*all rights reserved*", "*enable javascript*",
    "*javascript is disabled*", "*your browser does not support*", "*update your browser*",
    "*ad blocker*", "*adblock*", "*support our journalism*",
    "*support independent journalism*", "*become a member*", "*become a subscriber*",
    "*already a subscriber*", "*already have an account*", "*sign in to *",
    "*to continue reading*", "*subscribers only*", "*found this helpful*",
    "*was this helpful*", "*was this article helpful*", "*did you find this*helpful*",
    "*版权所有*", "*版權所有*", "*不得转载*", "*禁止转载*", "*無断転載*", "*무단 전재*",
    "*tous droits réservés*", "*abonnez-vous à notre*", "*inscrivez-vous à notre*",
    "*alle rechte vorbehalten*", "*newsletter abonnieren*", "*melden sie sich*",
    "*todos los derechos reservados*", "*suscríbete a nuestro*", "*tutti i diritti riservati*",
    "*iscriviti alla nostra*", "*todos os direitos reservados*", "*assine a nossa*",
    "*alle rechten voorbehouden*", "*schrijf je in*", "*все права защищены*",
    "*подпишитесь на*", "*wszelkie prawa zastrzeżone*", "*tüm hakları saklıdır*",
    "*(foto:*", "*(photo:*", "*(фото:*", "*(photo :*", "*photo : *", "*foto: *",
    "*фото: *", "*bild: *", "*crédit photo*", "*crédits photo*",
    "*notre newsletter*", "*unseren newsletter*", "*nuestro boletín*",
    "*nuestra newsletter*", "*la nostra newsletter*", "*nossa newsletter*",
    "*onze nieuwsbrief*", "*на нашу рассылку*", "*sign up for the *newsletter*",
    "*inscrivez-vous*", "*abonnieren sie*", "*suscríbete*", "*iscriviti*",
    "*inscreva-se*", "*schrijf je in*",
};

static const char *const noise_any[] = {
    "*we use cookies*", "*this site uses cookies*", "*this website uses cookies*",
    "*use of cookies*", "*uses cookies to*", "*by continuing to browse*",
    "*by continuing to use this*", "*all rights reserved*", "*enable javascript*",
    "*ad blocker*", "*your browser does not support*",
    "*may not be published, broadcast, rewritten*",
    "*utilise des cookies*", "*utilisons des cookies*", "*verwendet cookies*",
    "*verwenden cookies*", "*utiliza cookies*", "*utilizamos cookies*", "*utilizza cookie*",
    "*utilizziamo i cookie*", "*utiliza cookies*", "*gebruikt cookies*",
    "*использует файлы cookie*", "*используем файлы cookie*", "*używa plików cookie*",
    "*本网站使用cookie*", "*本站使用cookie*", "*我们使用cookie*", "*当サイトでは*cookie*",
    "*cookieを使用しています*", "*クッキーを使用しています*", "*쿠키를 사용합니다*",
};

/* Whole lines after which the article is over: what follows is comments or other stories. */
static const char *const end_line[] = {
    "comments", "* comments", "comment", "leave a comment*", "post a comment*",
    "add a comment*", "join the discussion*", "join the conversation*", "related",
    "related articles", "related stories", "related posts", "related content",
    "related coverage", "related news", "related topics", "more from *", "more stories*",
    "more news*", "more on this*", "you may also like*", "you might also like*",
    "you may be interested in*", "recommended", "recommended for you", "recommended stories",
    "recommended reading", "most read", "most popular", "most viewed", "popular",
    "popular now", "popular stories", "trending", "trending now", "trending stories",
    "read next", "what to read next", "up next", "latest news", "latest stories",
    "top stories", "about the author", "about the authors",
    "commentaires", "* commentaires", "réagir", "articles liés", "sur le même sujet",
    "à lire aussi", "dans la même rubrique", "les plus lus", "kommentare", "* kommentare",
    "das könnte sie auch interessieren", "mehr zum thema", "meistgelesen", "weitere artikel",
    "comentarios", "* comentarios", "noticias relacionadas", "te puede interesar",
    "lo más leído", "commenti", "* commenti", "articoli correlati", "potrebbe interessarti",
    "i più letti", "comentários", "* comentários", "notícias relacionadas",
    "mais lidas", "reacties", "* reacties", "gerelateerde artikelen", "meest gelezen",
    "комментарии", "* комментариев", "похожие новости", "читайте также",
    "самое читаемое", "komentarze", "powiązane artykuły", "kommentarer", "relaterat",
    "yorumlar", "ilgili haberler",
    "相关新闻", "相关阅读", "相关文章", "相关报道", "相關新聞", "延伸阅读", "関連記事",
    "関連ニュース", "관련기사", "관련 기사",
};

/* An author's bio at the end of an article, after the name ("Jane Doe is a reporter at
 * ...", "Marie Dupont est journaliste au ..."): whole-line globs over the folded line,
 * asked only of a last paragraph that starts with a name (is_bio_line()). */
static const char *const bio_line[] = {
    "* is a *writer*", "* is a *reporter*", "* is a *correspondent*", "* is a *editor*",
    "* is an *editor*", "* is the *editor*", "* is a *journalist*", "* is a *columnist*",
    "* is the author of *", "* is a *contributor*", "* covers * for *",
    "* est journaliste*", "* est * journaliste*", "* est correspondant*",
    "* est correspondante*", "* est rédact*", "* est l'auteur*", "* est l'autrice*",
    "* ist redakteur*", "* ist * redakteur*", "* ist korrespondent*", "* ist journalist*",
    "* ist * journalist*", "* ist autor*", "* ist autorin*", "* es periodista*",
    "* es * periodista*", "* es corresponsal*", "* es redactor*", "* es redactora*",
    "* è giornalista*", "* è * giornalista*", "* è corrispondente*", "* è redattore*",
    "* é jornalista*", "* é * jornalista*", "* é correspondente*", "* é repórter*",
    "* is journalist*", "* is * journalist*", "* is verslaggever*", "* is redacteur*",
    "* — журналист*", "* — корреспондент*", "* — обозреватель*", "* - журналист*",
    "* - корреспондент*",
};

/* Words in the names of publications: a line next to the date with one of these is the
 * source; without, a bare "Jane Doe" there is more likely the author. */
static const char *const media_words[] = {
    "news", "times", "post", "press", "tv", "radio", "daily", "weekly", "journal", "herald",
    "tribune", "gazette", "courier", "observer", "chronicle", "guardian", "telegraph",
    "reuters", "ap", "afp", "upi", "bbc", "cnn", "agency", "wire", "media", "magazine",
    "review", "today", "ledger", "mail", "star", "express", "standard", "independent",
    "globe", "bulletin", "network", "channel", "online", "blog", "digest", "dispatch",
    "record", "register", "monitor", "examiner", "inquirer", "sentinel", "report",
    "broadcasting", "newsroom", "associated", "bloomberg", "xinhua",
};

/* Words of a byline or source that make a comma-separated part a job title, not a name. */
static const char *const role_words[] = {
    "writer", "editor", "correspondent", "reporter", "contributor", "columnist", "staff",
    "producer", "journalist", "analyst", "critic", "chief", "bureau", "senior", "associate",
    "special", "freelance", "intern",
};

/* Lowercase words allowed inside a person's name ("Ludwig van Beethoven"). */
static const char *const name_particles[] = {
    "and", "&", "de", "da", "del", "della", "der", "den", "di", "du", "la", "le", "van",
    "von", "bin", "al", "el", "y", "ten", "ter",
};

static const char *const byline_prefixes[] = {
    "by ", "by: ", "written by ", "words by ", "story by ", "posted by ", "author: ",
    "authors: ", "par ", "par : ", "auteur : ", "von ", "autor: ", "autorin: ", "por ",
    "di ", "door ", "av ", "автор: ", "текст: ",
};

/* ------------------------------------------------------------------------------------ */
/* Languages: small stop-word lists tell the language of a page and how much of a line is
 * running text (jusText's stop-word density).  CJK pages are told by their script. */

enum {
    L_EN, L_FR, L_DE, L_ES, L_IT, L_PT, L_NL, L_RU, L_PL, L_SV, L_TR, L_ID, L_NWORDS,
    L_ZH = L_NWORDS, L_JA, L_KO, L_COUNT
};
static const char *const lang_codes[L_COUNT] = {
    "en", "fr", "de", "es", "it", "pt", "nl", "ru", "pl", "sv", "tr", "id", "zh", "ja", "ko",
};
/* Languages that write numeric dates day first (10/03/2024 is 10 March). */
static const bool lang_day_first[L_COUNT] = {
    false, true, true, true, true, true, true, true, true, true, true, true, false, false,
    false,
};
/* The most frequent function words of each language, lower case. */
static const char *const stop_words[L_NWORDS] = {
    "the of and to in a is that for it was on with as he she be by at from his her this "
    "are have has had were they not but an which their been will would said who its or we "
    "there after than when into about more",
    "le la les de des du un une et est en que qui dans pour pas sur au aux il elle ne se ce "
    "plus par avec sont ont été a son sa ses mais leur nous cette ces était aussi comme",
    "der die das und ist nicht ein eine einen dem den des zu mit sich auf für von im es "
    "auch dass er sie wird wurde als bei nach noch aus sind hat haben aber wie zum zur "
    "einer werden",
    "el la los las de del que y en un una es se por con para al lo su sus como más pero "
    "fue ha han este esta son sobre también entre desde muy sin",
    "il lo la i gli le di del della che e è un una per con non si da in al alla dei delle "
    "sono ha anche come più ma nel nella questo stato degli essere",
    "o a os as de do da dos das que e em no na um uma para com não por se é ao mais foi "
    "como mas ser seu sua também pelo pela está nos são",
    "de het een en van is dat op te in zijn niet met voor er die ook aan als maar bij om "
    "door naar werd heeft hij ze wordt nog dit kan al",
    "и в не на что с по как это из за к а он она от для о но его был была были так же до "
    "также или при уже их ее её они",
    "i w na z się że nie do to jest o od po jak ale za przez dla co jego był była są "
    "także oraz tym już jak który która",
    "och att det som en på är av för med till den har inte om ett var jag men de ska från "
    "också vid kan efter sig när",
    "ve bir bu da de için ile olarak çok daha gibi ama en olan sonra kadar değil ancak her "
    "ise mi şu tarafından",
    "yang dan di ini itu dengan untuk dari dalam tidak akan pada juga ke adalah oleh telah "
    "karena bisa ada sudah mereka atau tersebut kata",
};

/* A hash set of all stop words: each entry a word and the languages it belongs to. */
#define STOP_SLOTS 2048
struct stopset {
    struct { const char *w; size_t n; unsigned langs; } slot[STOP_SLOTS];
};

static void
stopset_init(struct stopset *ss)
{
    memset(ss, 0, sizeof(*ss));
    for (unsigned l = 0; l < L_NWORDS; l++) {
        for (const char *p = stop_words[l]; *p != '\0'; ) {
            size_t n = strcspn(p, " "), i = (size_t)text_hash64(p, n) & (STOP_SLOTS - 1);

            while (ss->slot[i].w != NULL && !(ss->slot[i].n == n &&
                memcmp(ss->slot[i].w, p, n) == 0))
                i = (i + 1) & (STOP_SLOTS - 1);
            ss->slot[i].w = p;
            ss->slot[i].n = n;
            ss->slot[i].langs |= 1u << l;
            p += n;
            while (*p == ' ')
                p++;
        }
    }
}

static unsigned
stopset_find(const struct stopset *ss, const char *w, size_t n)
{
    size_t i = (size_t)text_hash64(w, n) & (STOP_SLOTS - 1);

    while (ss->slot[i].w != NULL) {
        if (ss->slot[i].n == n && memcmp(ss->slot[i].w, w, n) == 0)
            return ss->slot[i].langs;
        i = (i + 1) & (STOP_SLOTS - 1);
    }
    return 0;
}

/* Is the character at s part of a word for the stop lists: ASCII letters and digits,
 * Latin letters U+00C0..U+024F, Cyrillic U+0400..U+04FF; its length, or 0. */
static size_t
stop_char_len(const unsigned char *s, size_t n)
{
    if (IS_ALNUM(s[0]))
        return 1;
    if (n >= 2 && (s[1] & 0xc0) == 0x80 && ((s[0] >= 0xc3 && s[0] <= 0xc9) ||
        (s[0] >= 0xd0 && s[0] <= 0xd3)) && !(s[0] == 0xc3 && (s[1] == 0x97 || s[1] == 0xb7)))
        return 2;
    return 0;
}

/* Count the stop words of each language in s[0..n) into cnt[] (added). */
static void
count_stops(const struct stopset *ss, const char *s, size_t n, int cnt[L_NWORDS])
{
    const unsigned char *p = (const unsigned char *)s;
    char w[64];

    for (size_t i = 0; i < n; ) {
        size_t k = stop_char_len(p + i, n - i), wl = 0, len;
        unsigned langs;

        if (k == 0) {
            i++;
            continue;
        }
        while (i < n && (k = stop_char_len(p + i, n - i)) > 0) {
            unsigned char f[2];
            size_t fk = utf8_fold_char(p + i, n - i, &len, f);

            if (wl + fk < sizeof(w)) {
                memcpy(w + wl, f, fk);
                wl += fk;
            }
            i += k;
        }
        if (wl >= sizeof(w) - 2 || (langs = stopset_find(ss, w, wl)) == 0)
            continue;
        for (unsigned l = 0; l < L_NWORDS; l++)
            if (langs & (1u << l))
                cnt[l]++;
    }
}

enum {
    U_TERMINAL = 1 << 0,        /* ends like a sentence */
    U_PROSE = 1 << 1,           /* mostly lowercase words: running text, not a label */
    U_SENTENCE = 1 << 2,        /* a paragraph, possibly a short one */
    U_STRONG = 1 << 3,          /* surely a paragraph */
    U_NOISE = 1 << 4,           /* matched a noise pattern */
    U_END = 1 << 5,             /* the article ends before this line */
    U_DATE = 1 << 6,            /* a date line (with perhaps a byline or source) */
    U_BYLINE = 1 << 7,          /* "By Jane Doe" */
    U_SRCLABEL = 1 << 8,        /* "Source: Reuters" */
    U_CODE = 1 << 9,            /* program code or a text table: neither text nor noise */
};

#define META_FLAGS (U_DATE | U_BYLINE | U_SRCLABEL)

enum role { R_NONE, R_TITLE, R_PARA, R_SUMMARY, R_META };

/* A line's class (jusText): alone, then as its neighbours decide. */
enum { C_BAD = 1, C_SHORT, C_NEAR, C_GOOD };

struct unit {
    const char *s;              /* cleaned text (scratch arena), NUL-terminated */
    size_t n;
    int line;                   /* of its first line in the file */
    int words, caps;
    unsigned f;
    int repeat;                 /* how many units have exactly this text */
    int hrepeat;                /* the same, counting the header (before the text) only */
    enum role role;
    const char *why;            /* for the noise list */
    size_t da, db;              /* the date's span in s (U_DATE) */
    int datestat;               /* newsdate_parse(): 0 with iso, 1 without */
    char iso[NEWSDATE_ISO_MAX];
    const char *author;         /* from a byline on this line (scratch) */
    const char *src;            /* a source named on this line (scratch) */
    int cjk;                    /* CJK words among words */
    int stop[L_NWORDS];         /* stop words of each language */
    int cls, rcls;              /* C_*: the class, and the revised one while revising */
    size_t first_of;            /* the first unit with the same text */
};

/*
 * Prefix counts over the header, so that scoring every line stays linear: block[k] is the
 * number of lines among the first k that would separate a title from its anchor (text of
 * more than four words that is neither noise nor a date or byline), cand[k] the number of
 * title-like lines; prevmeta[i] and nextmeta[i] the nearest date or byline line at or
 * before i and after i (SIZE_MAX for none).
 */
struct header {
    size_t *block, *cand, *prevmeta, *nextmeta;
};

struct scrape {
    struct ctx *c;
    struct arena scratch;
    struct unit *u;
    size_t nu, cap;
    int lang;                   /* L_*, or -1 */
    int order;                  /* NEWSDATE_* for numeric dates */
    size_t rs, re;              /* the article's lines [rs, re) */
    size_t lastpara, dek, title, hdate, hbyline;    /* SIZE_MAX: none */
    const char *src, *srcunit;  /* the source, and the line that is only the source */
    int src_line;
    int lineoff;                /* lines of front matter before the text */
    struct header hdr;
};

/* HTML character references left in scraped text ("&amp;", "&#8217;"). */
static size_t
decode_entity(const char *s, size_t n, struct buf *b)
{
    char u[4];
    size_t ul, k = text_html_ref(s, n, u, &ul);

    return k > 0 && buf_add(b, u, ul) == 0 ? k : 0;
}

/* One line cleaned: entities decoded, whitespace collapsed, trimmed. */
static const char *
clean_line(struct scrape *sc, const char *s, size_t n, size_t *outlen)
{
    struct buf dec, one;
    const char *r;

    buf_init(&dec, 0);                      /* no limit: a line is below 32 MiB, the */
    buf_init(&one, 0);                      /* page's cap after conversion */
    for (size_t i = 0; i < n; ) {
        size_t k = s[i] == '&' ? decode_entity(s + i, n - i, &dec) : 0;

        if (k > 0) {
            i += k;
        } else {
            buf_putc(&dec, s[i]);
            i++;
        }
    }
    art_add_oneline(&one, buf_str(&dec), dec.len);
    *outlen = one.len;
    r = arena_strndup(&sc->scratch, buf_str(&one), one.len);
    buf_fini(&dec);
    buf_fini(&one);
    return r;
}

/* Strip trailing closing quotes and brackets; the byte offset where they start. */
static size_t
trim_closers(const char *s, size_t n)
{
    static const char *const closers[] = {
        "\"", "'", ")", "]", "\xe2\x80\x9d", "\xe2\x80\x99", "\xc2\xbb", "*",
        "\xe3\x80\x8d", "\xe3\x80\x8f", "\xef\xbc\x89", "\xe3\x80\x91",    /* 」』）】 */
        "\xe3\x80\x8b", "\xe3\x80\x89",                                  /* 》〉 */
    };
    bool again = true;

    while (again && n > 0) {
        again = false;
        for (size_t i = 0; i < ARRAY_LEN(closers); i++) {
            size_t k = strlen(closers[i]);

            if (n >= k && memcmp(s + n - k, closers[i], k) == 0) {
                n -= k;
                again = true;
                break;
            }
        }
    }
    return n;
}

/* The code point of the valid UTF-8 sequence at s (n bytes left), its length in *len;
 * 0 when it is not valid. */
static unsigned long
utf8_cp(const unsigned char *s, size_t n, size_t *len)
{
    size_t k;

    if ((*len = utf8_seq_len(s, n)) == 0)
        return 0;
    return text_utf8_next((const char *)s, (const char *)s + n, &k);
}

/* The code point of the last character of s[0..n), or 0. */
static unsigned long
last_cp(const char *s, size_t n)
{
    size_t i = n, k;
    unsigned long cp;

    while (i > 0 && n - i < 3 && ((unsigned char)s[i - 1] & 0xc0) == 0x80)
        i--;
    if (i == 0)
        return 0;
    cp = utf8_cp((const unsigned char *)s + i - 1, n - i + 1, &k);
    return k == n - i + 1 ? cp : 0;
}

/*
 * Chinese and Japanese are written without spaces between words, and Korean words
 * (Hangul) have no capitals, so the word and sentence heuristics below need to know these
 * scripts: CJK_LETTER for ideographs, kana, Hangul syllables and fullwidth letters and
 * digits, CJK_PUNCT for the CJK and fullwidth punctuation that separates them.
 */
enum { CJK_NONE, CJK_LETTER, CJK_PUNCT };

static int
cjk_of(unsigned long cp)
{
    static const struct { unsigned long lo, hi; int cls; } ranges[] = {
        { 0x3000, 0x3004, CJK_PUNCT },      /* ideographic space, 、 。 */
        { 0x3005, 0x3007, CJK_LETTER },     /* iteration mark, 〆, ideographic zero */
        { 0x3008, 0x303f, CJK_PUNCT },      /* brackets 「」【】, 〜 */
        { 0x3040, 0x30fa, CJK_LETTER },     /* Hiragana, Katakana */
        { 0x30fb, 0x30fb, CJK_PUNCT },      /* katakana middle dot */
        { 0x30fc, 0x30ff, CJK_LETTER },     /* prolonged sound mark, iteration marks */
        { 0x3400, 0x4dbf, CJK_LETTER },     /* CJK Unified Ideographs Extension A */
        { 0x4e00, 0x9fff, CJK_LETTER },     /* CJK Unified Ideographs */
        { 0xac00, 0xd7af, CJK_LETTER },     /* Hangul syllables */
        { 0xf900, 0xfaff, CJK_LETTER },     /* CJK Compatibility Ideographs */
        { 0xff01, 0xff0f, CJK_PUNCT },      /* fullwidth ！ to ／ */
        { 0xff10, 0xff19, CJK_LETTER },     /* fullwidth digits */
        { 0xff1a, 0xff20, CJK_PUNCT },
        { 0xff21, 0xff3a, CJK_LETTER },     /* fullwidth capitals (caseless here) */
        { 0xff3b, 0xff40, CJK_PUNCT },
        { 0xff41, 0xff5a, CJK_LETTER },
        { 0xff5b, 0xff65, CJK_PUNCT },      /* fullwidth ｛ to ～, halfwidth ｡｢｣､･ */
        { 0xff66, 0xff9f, CJK_LETTER },     /* halfwidth Katakana */
        { 0x20000, 0x3134f, CJK_LETTER },   /* ideographs beyond the BMP */
    };

    for (size_t i = 0; i < ARRAY_LEN(ranges) && cp >= ranges[i].lo; i++)
        if (cp <= ranges[i].hi)
            return ranges[i].cls;
    return CJK_NONE;
}

/* cjk_of() for the character at s (n bytes left); *len gets its length unless CJK_NONE. */
static int
cjk_class(const unsigned char *s, size_t n, size_t *len)
{
    size_t k;
    int cls;

    if (s[0] < 0xe3)                        /* every CJK character is U+3000 or above */
        return CJK_NONE;
    if ((cls = cjk_of(utf8_cp(s, n, &k))) != CJK_NONE)
        *len = k;
    return cls;
}

/* A full stop: . and the CJK ones (。 ． ｡). */
static bool
is_full_stop(unsigned long cp)
{
    return cp == '.' || cp == 0x3002 || cp == 0xff0e || cp == 0xff61;
}

/* Does s end like a sentence: . ! ? (or 。！？．) or an ellipsis, maybe inside quotes or
 * brackets. */
static bool
ends_sentence(const char *s, size_t n)
{
    unsigned long cp = last_cp(s, trim_closers(s, n));

    return is_full_stop(cp) || cp == '!' || cp == '?' || cp == 0x2026 ||    /* ... */
        cp == 0xff01 || cp == 0xff1f;                                       /* ！？ */
}

/*
 * Count words and capitalised ones.  A word is a space-separated token with a letter or
 * digit, except in CJK text, which has no spaces between words: there a run of CJK
 * letters counts one word per two characters (at least one), so that a 60-character
 * Chinese sentence counts like prose and a 4-character heading like a short line, and
 * CJK punctuation separates like a space; between the runs of a token, only a piece with
 * an ASCII letter or digit ("Cookie", "2024") is a word, not a lone quote.  CJK has no
 * capitals: its words never count in caps, so long CJK text reads as prose.  *cjk (may
 * be NULL) gets the number of CJK words, for the checks where a caseless word may be part
 * of a name.
 */
static void
count_words(const char *s, size_t n, int *words, int *caps, int *cjk)
{
    const unsigned char *p = (const unsigned char *)s;
    bool alnum = false, ascii = false, cap = false, first = true, mixed = false;
    int run = 0, nc = 0;

    *words = *caps = 0;
    for (size_t i = 0; i <= n; ) {
        size_t k = 1;
        int cls = i < n ? cjk_class(p + i, n - i, &k) : CJK_NONE;

        if (cls != CJK_LETTER && run > 0) {
            nc += (run + 1) / 2;
            run = 0;
        }
        if (i == n || p[i] == ' ' || cls != CJK_NONE) {
            mixed |= cls != CJK_NONE;
            if (mixed ? ascii : alnum) {
                (*words)++;
                *caps += cap;
            }
            alnum = ascii = cap = false;
            first = true;
            if (cls == CJK_NONE)
                mixed = false;              /* a space: the next token */
            run += cls == CJK_LETTER;
        } else if (IS_ALNUM(p[i]) || p[i] >= 0x80) {
            if (first)
                cap = p[i] >= 'A' && p[i] <= 'Z';
            first = false;
            alnum = true;
            ascii |= IS_ALNUM(p[i]);
        }
        i += k;
    }
    *words += nc;
    if (cjk != NULL)
        *cjk = nc;
}

static bool
match_any(const char *const *pats, size_t npats, const char *s, size_t n)
{
    for (size_t i = 0; i < npats; i++)
        if (art_glob_match(pats[i], s, n))
            return true;
    return false;
}

/* 【 】 「 」 『 』 〔 〕 ［ ］ ： at s (three bytes)? */
static bool
is_cjk_bracket(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    return (p[0] == 0xe3 && p[1] == 0x80 && (p[2] == 0x90 || p[2] == 0x91 ||
        (p[2] >= 0x8c && p[2] <= 0x8f) || p[2] == 0x94 || p[2] == 0x95)) ||
        (p[0] == 0xef && p[1] == 0xbc && (p[2] == 0xbb || p[2] == 0xbd || p[2] == 0x9a));
}

/* s without leading and trailing punctuation and symbols, for whole-line patterns. */
static void
core_span(const char *s, size_t n, size_t *a, size_t *b)
{
    static const char lead[] = " -|>*#:.\xc2\xbb\xe2\x80\xa2\xc2\xb7\xe2\x80\xba\x86\x92";
    static const char trail[] = " -|>*#:.!,;\xc2\xbb\xe2\x80\xba\x86\x92";

    *a = 0;
    *b = n;
    while (*a < *b && strchr(lead, s[*a]) != NULL && s[*a] != '\0')
        (*a)++;
    while (*b > *a && strchr(trail, s[*b - 1]) != NULL && s[*b - 1] != '\0')
        (*b)--;
    /* Do not cut a multibyte character in half.  The sets hold the bytes of » • · › →,
     * which other characters share ("闻" ends in the last byte of »): a character cut at
     * the end was not one of those, so it stays whole. */
    while (*a < *b && ((unsigned char)s[*a] & 0xc0) == 0x80)
        (*a)++;
    while (*b > *a && *b < n && ((unsigned char)s[*b] & 0xc0) == 0x80)
        (*b)++;
    /* CJK brackets and the colon around a label: 【関連記事】, ［相关新闻］, 「広告」： */
    while (*b - *a >= 3 && is_cjk_bracket(s + *a))
        *a += 3;
    while (*b - *a >= 3 && is_cjk_bracket(s + *b - 3))
        *b -= 3;
}

/* Does the user's pattern match: a glob over the whole line, else a substring. */
static bool
user_match(const char *pat, const char *s, size_t n)
{
    if (*pat == '\0')
        return false;
    if (strpbrk(pat, "*?") != NULL)
        return art_glob_match(pat, s, n);
    return art_ci_contains(s, n, pat);
}

static bool
word_in(const char *s, size_t n, const char *const *list, size_t nlist)
{
    for (size_t i = 0; i < nlist; i++)
        if (strlen(list[i]) == n && ascii_strncasecmp(s, list[i], n) == 0)
            return true;
    return false;
}

/* Separators between the parts of a meta line: | - – — · • / , ; : */
static size_t
sep_len(const char *s, size_t n)
{
    static const char *const seps[] = {
        "|", "-", "\xe2\x80\x93", "\xe2\x80\x94", "\xc2\xb7", "\xe2\x80\xa2", "/", ",", ";",
        ":", "(", ")", "[", "]",
    };

    for (size_t i = 0; i < ARRAY_LEN(seps); i++) {
        size_t k = strlen(seps[i]);

        if (n >= k && memcmp(s, seps[i], k) == 0)
            return k;
    }
    return 0;
}

/* Trim spaces and separators from both ends of s[*a..*b). */
static void
trim_seps(const char *s, size_t *a, size_t *b)
{
    size_t k;

    for (;;) {
        if (*a < *b && s[*a] == ' ')
            (*a)++;
        else if (*a < *b && (k = sep_len(s + *a, *b - *a)) > 0)
            *a += k;
        else
            break;
    }
    for (;;) {
        bool cut = false;

        if (*b > *a && s[*b - 1] == ' ') {
            (*b)--;
            continue;
        }
        for (size_t back = 1; back <= 3 && back <= *b - *a; back++) {
            if (sep_len(s + *b - back, back) == back) {
                *b -= back;
                cut = true;
                break;
            }
        }
        if (!cut)
            break;
    }
}

/* Is a word (n bytes at s) a date label ("Updated", "Posted", "on")? */
static bool
is_label_word(const char *s, size_t n)
{
    while (n > 0 && s[n - 1] == ':')
        n--;
    return newsdate_is_label(s, n);
}

/* Remove label words from the end (prefix) or start (suffix) of s[*a..*b); true if any. */
static bool
strip_labels(const char *s, size_t *a, size_t *b, bool from_end)
{
    bool any = false;

    for (;;) {
        size_t wa, wb;

        trim_seps(s, a, b);
        if (*a >= *b)
            return any;
        if (from_end) {
            wb = *b;
            wa = wb;
            while (wa > *a && s[wa - 1] != ' ')
                wa--;
        } else {
            wa = *a;
            wb = wa;
            while (wb < *b && s[wb] != ' ')
                wb++;
        }
        if (!is_label_word(s + wa, wb - wa))
            return any;
        any = true;
        if (from_end)
            *b = wa;
        else
            *a = wb;
    }
}

/* A person's name: 1..6 words, the first capitalised, the others capitalised, initials
 * or particles, no digits. */
static bool
is_name(const char *s, size_t n)
{
    int words = 0;

    for (size_t i = 0; i < n; ) {
        size_t j = i;
        unsigned char ch = (unsigned char)s[i];

        while (j < n && s[j] != ' ')
            j++;
        for (size_t k = i; k < j; k++)
            if (IS_DIGIT(s[k]))
                return false;
        if (!((ch >= 'A' && ch <= 'Z') || ch >= 0x80) &&
            (words == 0 || !word_in(s + i, j - i, name_particles, ARRAY_LEN(name_particles))))
            return false;
        words++;
        i = j + 1;
    }
    return words >= 1 && words <= 6;
}

/* Does s hold a CJK letter? */
static bool
has_cjk(const char *s, size_t n)
{
    size_t k;

    for (size_t i = 0; i < n; i++)
        if (cjk_class((const unsigned char *)s + i, n - i, &k) == CJK_LETTER)
            return true;
    return false;
}

static bool
has_role_word(const char *s, size_t n)
{
    for (size_t i = 0; i < n; ) {
        size_t j = i;

        while (j < n && IS_ALPHA((unsigned char)s[j]))
            j++;
        if (j > i && word_in(s + i, j - i, role_words, ARRAY_LEN(role_words)))
            return true;
        i = j + 1;
    }
    return false;
}

/* Does a short part of a meta line look like a source: 1..6 words, mostly capitalised
 * ("Iran Press TV", "The Daily Widget") or caseless CJK ("江南日报"), or a domain
 * ("example.com"); no sentence. */
static bool
is_source_like(const char *s, size_t n)
{
    int words, caps, cjk;
    size_t first = strcspn(s, " ");

    count_words(s, n, &words, &caps, &cjk);
    if (words < 1 || words > 6 || n > 60 || ends_sentence(s, n) || art_ci_contains(s, n, "://"))
        return false;
    /* "Updated ..." is no source; "Le Petit Courrier" may be (short words such as "le",
     * "am", "on" also join a date to its label). */
    if (first > 2 && is_label_word(s, first < n ? first : n))
        return false;
    if (words == 1 && memchr(s, '.', n) != NULL && memchr(s, ' ', n) == NULL)
        return true;
    return (caps + cjk) * 2 >= words;
}

/* The end of a name without the social handles that follow it ("Jane Doe @janedoe"). */
static size_t
drop_handles(const char *s, size_t a, size_t b)
{
    for (;;) {
        size_t w = b;

        while (w > a && s[w - 1] != ' ')
            w--;
        if (w == a || s[w] != '@' || b - w < 2)
            return b;
        b = w;
        while (b > a && s[b - 1] == ' ')
            b--;
    }
}

/*
 * A byline "By Jane Doe", "By Jane Doe and John Roe | Reuters": the name and what follows
 * a separator (a source, unless it is a job title).
 */
static const char *fold_line(struct scrape *sc, const char *s, size_t n);

static size_t source_label_len(const char *s, size_t n);
static bool has_media_word(const char *s, size_t n);

static bool
parse_byline(struct scrape *sc, const char *s, size_t n, const char **author,
    const char **src)
{
    size_t k = 0, a, b, ra, rb;

    const char *low = fold_line(sc, s, n < 40 ? n : 40);

    for (size_t i = 0; i < ARRAY_LEN(byline_prefixes); i++) {
        size_t len = strlen(byline_prefixes[i]);

        if (n > len && len <= 40 && memcmp(low, byline_prefixes[i], len) == 0) {
            k = len;
            break;
        }
    }
    if (k == 0)
        return false;
    a = k;
    for (b = a; b < n; b++) {
        if (sep_len(s + b, n - b) == 0)
            continue;
        /* A hyphen joins a name ("Jean-Pierre") unless spaced like a dash. */
        if (s[b] == '-' && !(b > a && s[b - 1] == ' ' && b + 1 < n && s[b + 1] == ' '))
            continue;
        break;
    }
    ra = b;
    rb = n;
    while (b > a && s[b - 1] == ' ')
        b--;
    b = drop_handles(s, a, b);
    /* "By JANE DOE Associated Press": a publication of two or more words after the name. */
    for (size_t i = a, words = 0; i < b; words++) {
        size_t j = i, tail = 0;

        while (j < b && s[j] != ' ')
            j++;
        if (words >= 2 && word_in(s + i, j - i, media_words, ARRAY_LEN(media_words))) {
            for (size_t x = i; x < b; x++)
                tail += s[x] == ' ';
            if (tail >= 1) {
                ra = i;
                b = i - 1;
                break;
            }
        }
        i = j + 1;
    }
    if (b == a || !is_name(s + a, b - a))
        return false;
    *author = arena_strndup(&sc->scratch, s + a, b - a);
    trim_seps(s, &ra, &rb);
    strip_labels(s, &ra, &rb, false);
    if (ra < rb && is_source_like(s + ra, rb - ra) && !has_role_word(s + ra, rb - ra))
        *src = arena_strndup(&sc->scratch, s + ra, rb - ra);
    return true;
}

/*
 * "3 hours ago", "Published an hour ago": a date line whose date we
 * cannot place without knowing when the page was saved (date kept, date_iso empty).
 */
static void
relative_date(struct unit *u)
{
    size_t start;

    if (!newsdate_is_relative(u->s, u->n, &start))
        return;
    u->f |= U_DATE;
    u->da = start;
    u->db = u->n;
    u->datestat = 1;
}

/* A reading time after a date ("Oct 15, 2015 · 18 min read"), in our languages. */
static bool
is_read_time(struct scrape *sc, const char *s, size_t n)
{
    static const char *const pats[] = { "* min read", "* minute read", "* minutes read",
        "* min de lecture", "* minutes de lecture", "* min. lesezeit", "* min lesezeit",
        "* minuten lesezeit", "* min de lectura", "* minutos de lectura", "* min di lettura",
        "* minuti di lettura", "* min leestijd", "* minuten leestijd", "* min de leitura",
        "* minutos de leitura", "* мин чтения", "* минут чтения" };
    const char *low;

    if (n == 0 || n > 40 || !IS_DIGIT(s[0]))
        return false;
    low = fold_line(sc, s, n);
    return match_any(pats, ARRAY_LEN(pats), low, strlen(low));
}

/* A person's name of two to four words alone before a date, not a publication. */
static bool
bare_name(const char *s, size_t n)
{
    int words, caps;

    while (n > 0 && s[n - 1] == ' ')
        n--;
    count_words(s, n, &words, &caps, NULL);
    return words >= 2 && words <= 4 && is_name(s, n) && !has_media_word(s, n) &&
        strncmp(s, "The ", 4) != 0;
}

/* What may follow a date on a date line: nothing, a byline ("by admin"), a source label
 * ("来源：南方晨报"), or a part after a separator (a byline or a source).  False when words
 * run on from the date: a sentence. */
static bool
date_after(struct scrape *sc, struct unit *u, size_t bestb)
{
    const char *s = u->s, *author = NULL, *src = NULL;
    size_t xa = bestb, xb = u->n, k;

    while (xa < xb && s[xa] == ' ')
        xa++;
    if (xa == xb)
        return true;
    if (xb - xa <= 4 && strspn(s + xa, "0123456789") >= xb - xa)
        return true;                        /* a count of comments or shares */
    if ((k = source_label_len(s + xa, xb - xa)) > 0) {
        xa += k;
        trim_seps(s, &xa, &xb);
        if (xa >= xb || !is_source_like(s + xa, xb - xa))
            return false;
        u->src = arena_strndup(&sc->scratch, s + xa, xb - xa);
        return true;
    }
    if (xb - xa > 3 && ascii_strncasecmp(s + xa, "by ", 3) == 0) {
        int words, caps;

        /* "Posted on October 19, 2014 by admin": blog software names the account. */
        count_words(s + xa + 3, xb - xa - 3, &words, &caps, NULL);
        if (words < 1 || words > 4)
            return false;
        if (parse_byline(sc, s + xa, xb - xa, &author, &src))
            u->author = author;
        else
            u->author = arena_strndup(&sc->scratch, s + xa + 3, xb - xa - 3);
        return true;
    }
    {
        /* A second date: "... Last modified on Wed 16 Jan 2019", "... Updated April 29". */
        size_t ra = xa, rb = xb;
        char iso[NEWSDATE_ISO_MAX];

        strip_labels(s, &ra, &rb, false);
        if (ra < rb && newsdate_parse_order(s + ra, rb - ra, sc->order, iso) >= 0)
            return true;
    }
    /* "By Jane Doe March 11, 2015 3:46 PM Good Morning America": after a byline, what
     * follows the date is the publication */
    if (u->author != NULL && u->src == NULL && is_source_like(s + xa, xb - xa) &&
        !has_role_word(s + xa, xb - xa)) {
        u->src = arena_strndup(&sc->scratch, s + xa, xb - xa);
        return true;
    }
    if (sep_len(s + xa, xb - xa) == 0)
        return false;
    strip_labels(s, &xa, &xb, false);
    if (xa >= xb || is_read_time(sc, s + xa, xb - xa))
        return true;
    if (parse_byline(sc, s + xa, xb - xa, &author, &src)) {
        if (u->author == NULL)
            u->author = author;
        if (u->src == NULL)
            u->src = src;
    } else if (is_source_like(s + xa, xb - xa)) {
        if (u->src == NULL)
            u->src = arena_strndup(&sc->scratch, s + xa, xb - xa);
    } else {
        return false;
    }
    return true;
}

/*
 * Find a date line: the longest run of words that parses as a date, with at most a label
 * ("Updated:"), a byline or a short source around it, set apart by separators.  "He
 * arrived on October 19, 2014." is a sentence, not a date line.
 */
static void
find_date(struct scrape *sc, struct unit *u)
{
    size_t ws[64], we[64], nw = 0, besta = 0, bestb = 0, pa, pb;
    char iso[NEWSDATE_ISO_MAX], bestiso[NEWSDATE_ISO_MAX] = "";
    int beststat = -1;
    const char *s = u->s;

    for (size_t i = 0; i < u->n && nw < ARRAY_LEN(ws); ) {
        while (i < u->n && s[i] == ' ')
            i++;
        if (i >= u->n)
            break;
        ws[nw] = i;
        while (i < u->n && s[i] != ' ')
            i++;
        we[nw++] = i;
    }
    for (size_t i = 0; i < nw && beststat < 0; i++) {      /* the first date */
        if (!newsdate_can_start(s + ws[i], we[i] - ws[i]))
            continue;
        for (size_t j = nw < i + DATE_MAX_WORDS ? nw : i + DATE_MAX_WORDS; j-- > i; ) {
            size_t a = ws[i], b = we[j];
            int st;

            while (a < b && (s[a] == '(' || s[a] == '['))
                a++;
            while (b > a && strchr(",;|)]", s[b - 1]) != NULL)
                b--;
            if (b - a <= bestb - besta)
                break;
            if ((st = newsdate_parse_order(s + a, b - a, sc->order, iso)) >= 0) {
                besta = a;
                bestb = b;
                beststat = st;
                memcpy(bestiso, iso, sizeof(iso));
                break;
            }
        }
    }
    if (beststat < 0) {
        relative_date(u);
        return;
    }
    /* What comes before: nothing, a label, a byline, or a part set off by a separator. */
    pa = 0;
    pb = besta;
    strip_labels(s, &pa, &pb, true);
    if (pa < pb) {
        const char *author = NULL, *src = NULL;
        bool sep = false;

        for (size_t i = pb; i < besta && !sep; i++)
            sep = s[i] != ' ' && sep_len(s + i, besta - i) > 0;
        if (parse_byline(sc, s + pa, pb - pa, &author, &src)) {
            u->author = author;
            u->src = src;
        } else if (sep && is_source_like(s + pa, pb - pa)) {
            u->src = arena_strndup(&sc->scratch, s + pa, pb - pa);
        } else if (pa == 0 && bare_name(s, pb)) {
            u->author = arena_strndup(&sc->scratch, s, pb);     /* "Jane Doe March 9, 2017" */
        } else {
            return;                                 /* words run into the date: a sentence */
        }
    }
    if (!date_after(sc, u, bestb))
        return;
    u->f |= U_DATE;
    u->da = besta;
    u->db = bestb;
    u->datestat = beststat;
    memcpy(u->iso, bestiso, sizeof(bestiso));
}

static void
push_unit(struct scrape *sc, const char *s, size_t n, int line)
{
    if (sc->nu == sc->cap) {
        sc->cap = sc->cap ? sc->cap * 2 : 64;
        sc->u = xreallocarray(sc->u, sc->cap, sizeof(*sc->u));
    }
    memset(&sc->u[sc->nu], 0, sizeof(sc->u[0]));
    sc->u[sc->nu].s = s;
    sc->u[sc->nu].n = n;
    sc->u[sc->nu].line = line;
    sc->nu++;
}

struct rawline {
    const char *s;
    size_t n;
    int line;
};

/* Columns s[0..n) takes on a terminal, as text is wrapped: CJK characters are two wide
 * (but for the halfwidth forms), others one. */
static size_t
text_cols(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t w = 0, k;

    for (size_t i = 0; i < n; ) {
        if (cjk_class(p + i, n - i, &k) != CJK_NONE) {
            unsigned long cp = utf8_cp(p + i, n - i, &k);

            w += cp >= 0xff61 && cp <= 0xff9f ? 1 : 2;
            i += k;
            continue;
        }
        w += (p[i] & 0xc0) != 0x80;
        i++;
    }
    return w;
}

/*
 * Does hard-wrapped text continue from cur to next?  Only inside a block (no blank line)
 * whose lines are 50..100 columns wide, when cur fills most of the width, does not end
 * a sentence, and next looks like a continuation.  One-paragraph-per-line text (the usual
 * scrape) has wider lines or blank lines between them and is never joined.
 */
static bool is_list_item(const char *s, size_t n);

static bool
continues(const struct rawline *cur, const struct rawline *next, size_t maxw)
{
    size_t wc = text_cols(cur->s, cur->n), wn = text_cols(next->s, next->n), k;
    char last = cur->s[cur->n - 1];

    if (maxw < 50 || maxw > 100 || wc * 10 < maxw * 7 || ends_sentence(cur->s, cur->n) ||
        is_list_item(next->s, next->n))
        return false;
    /* CJK text is wrapped between CJK characters: a CJK line does not run on into a
     * Latin one (a related headline above a copyright line). */
    if (cjk_of(last_cp(cur->s, cur->n)) != CJK_NONE &&
        cjk_class((const unsigned char *)next->s, next->n, &k) == CJK_NONE)
        return false;
    return (next->s[0] >= 'a' && next->s[0] <= 'z') || last == ',' || last == ';' ||
        last == '-' || wn * 10 >= maxw * 7 || ends_sentence(next->s, next->n);
}

/* Wrapped CJK text joins without a space where both sides of the break are CJK. */
static bool
joins_tight(const struct rawline *cur, const struct rawline *next)
{
    size_t k;

    return cjk_of(last_cp(cur->s, cur->n)) != CJK_NONE &&
        cjk_class((const unsigned char *)next->s, next->n, &k) != CJK_NONE;
}

static int
split_units(struct scrape *sc, const char *text, size_t len)
{
    struct rawline *ln = NULL;
    size_t nl = 0, lcap = 0;
    int lineno = sc->lineoff;

    for (const char *p = text, *end = text + len; p < end; ) {
        const char *nlp = memchr(p, '\n', (size_t)(end - p));
        size_t n = nlp != NULL ? (size_t)(nlp - p) : (size_t)(end - p);

        lineno++;
        if (nl == lcap) {
            lcap = lcap ? lcap * 2 : 256;
            ln = xreallocarray(ln, lcap, sizeof(*ln));
        }
        ln[nl].s = clean_line(sc, p, n, &ln[nl].n);
        ln[nl].line = lineno;
        nl++;
        p += n + 1;
    }
    for (size_t i = 0; i < nl; ) {
        size_t j = i, maxw = 0;

        if (ln[i].n == 0) {
            i++;
            continue;
        }
        for (; j < nl && ln[j].n > 0; j++) {
            size_t w = text_cols(ln[j].s, ln[j].n);

            if (w > maxw)
                maxw = w;
        }
        for (size_t k = i; k < j; ) {
            size_t m = k;

            while (m + 1 < j && continues(&ln[m], &ln[m + 1], maxw))
                m++;
            /* Wrapped prose ends a sentence; a list of headlines does not.  Every run
             * starting inside this one ends at the same line, so none of them is prose. */
            if (m > k && !ends_sentence(ln[m].s, ln[m].n)) {
                for (size_t x = k; x <= m; x++)
                    push_unit(sc, ln[x].s, ln[x].n, ln[x].line);
                k = m + 1;
                continue;
            }
            if (m == k) {
                push_unit(sc, ln[k].s, ln[k].n, ln[k].line);
            } else {
                struct buf b;

                buf_init(&b, 0);            /* no limit: the page is capped */
                for (size_t x = k; x <= m; x++) {
                    if (x > k && !joins_tight(&ln[x - 1], &ln[x]))
                        buf_putc(&b, ' ');
                    buf_put(&b, ln[x].s, ln[x].n);
                }
                push_unit(sc, arena_strndup(&sc->scratch, buf_str(&b), b.len), b.len,
                    ln[k].line);
                buf_fini(&b);
            }
            k = m + 1;
        }
        i = j;
    }
    free(ln);
    return 0;
}

/* Length of a "Source:" label at the start of s (with "来源：", "出典：" and the like on
 * CJK pages), or 0; something must follow it. */
static size_t
source_label_len(const char *s, size_t n)
{
    static const char *const labels[] = {
        "source", "\xe6\x9d\xa5\xe6\xba\x90", "\xe4\xbe\x86\xe6\xba\x90",    /* 来源 來源 */
        "\xe5\x87\xba\xe5\x85\xb8", "\xec\xb6\x9c\xec\xb2\x98",           /* 出典 출처 */
    };

    for (size_t i = 0; i < ARRAY_LEN(labels); i++) {
        size_t k = strlen(labels[i]);

        if (n <= k || ascii_strncasecmp(s, labels[i], k) != 0)
            continue;
        if (s[k] == ':' && n > k + 1)
            return k + 1;
        if (n > k + 3 && memcmp(s + k, "\xef\xbc\x9a", 3) == 0)    /* fullwidth colon */
            return k + 3;
    }
    return 0;
}

static bool
has_letter(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (IS_ALPHA((unsigned char)s[i]) || (unsigned char)s[i] >= 0x80)
            return true;
    return false;
}

/* ------------------------------------------------------------------------------------ */
/* The page's language */

/* Stop words per unit, then the page's language: the list with the most hits (at least
 * three, and a tenth of the words), or the CJK script when CJK letters dominate. */
static void
detect_language(struct scrape *sc)
{
    int total[L_NWORDS] = { 0 }, words = 0, cjk = 0, best = -1;
    size_t kana = 0, hangul = 0;
    struct stopset *ss = xmalloc(sizeof(*ss));

    stopset_init(ss);
    for (size_t i = 0; i < sc->nu; i++) {
        struct unit *u = &sc->u[i];
        int cnt[L_NWORDS] = { 0 }, w, caps, c;

        count_stops(ss, u->s, u->n, cnt);
        memcpy(u->stop, cnt, sizeof(cnt));
        count_words(u->s, u->n, &w, &caps, &c);
        words += w - c;
        cjk += c;
        for (int l = 0; l < L_NWORDS; l++)
            total[l] += cnt[l];
        for (size_t k = 0; k + 2 < u->n; k++) {
            const unsigned char *q = (const unsigned char *)u->s + k;

            kana += q[0] == 0xe3 && (q[1] == 0x81 || q[1] == 0x82 || q[1] == 0x83);
            hangul += q[0] >= 0xea && q[0] <= 0xed;
        }
    }
    free(ss);
    for (int l = 0; l < L_NWORDS; l++)
        if (total[l] >= 3 && total[l] * 10 >= words && (best < 0 || total[l] > total[best]))
            best = l;
    if (cjk > words)
        best = hangul > kana ? L_KO : kana > 0 ? L_JA : L_ZH;
    sc->lang = best;
    sc->order = best >= 0 && lang_day_first[best] ? NEWSDATE_DAY_FIRST : NEWSDATE_ANY;
}

/* Share of the words of u that are stop words of the page's language; -1 when that
 * cannot be told (no language, or a CJK one). */
static double
stop_density(const struct scrape *sc, const struct unit *u)
{
    if (sc->lang < 0 || sc->lang >= L_NWORDS || u->words == 0)
        return -1;
    return (double)u->stop[sc->lang] / u->words;
}

/* ------------------------------------------------------------------------------------ */
/* Line classes, jusText style */

/* Lower-case copy of s in the scratch arena (ASCII, Latin-1 and Cyrillic capitals), so the
 * lexicons match "À LIRE AUSSI" and "Читайте также". */
static const char *
fold_line(struct scrape *sc, const char *s, size_t n)
{
    char *r = arena_alloc(&sc->scratch, n + 1);
    size_t o = 0, len;

    for (size_t i = 0; i < n; i += len) {
        unsigned char f[2];
        size_t k = utf8_fold_char((const unsigned char *)s + i, n - i, &len, f);

        memcpy(r + o, f, k);
        o += k;
    }
    r[o] = '\0';
    return r;
}

/* A line that is a URL, an e-mail address or a handle ("@gazette"), alone. */
static bool
is_link_line(const char *s, size_t n)
{
    if (memchr(s, ' ', n) != NULL)
        return false;
    return (n > 4 && (ascii_strncasecmp(s, "http", 4) == 0 || ascii_strncasecmp(s, "www.", 4)
        == 0)) || s[0] == '@' || s[0] == '#' || memchr(s, '@', n) != NULL;
}

/* What makes a line in round brackets a credit, not an aside of the text: "(Reporting
 * by ...)", "(Photo: ...)", "(avec AFP)", "(mit Material von dpa)", "(con información de
 * EFE)". */
static const char *const credit_cues[] = {
    "* by *", "*reporting*", "*editing*", "*photo*", "*foto*", "*source*", "*credit*",
    "*\xc2\xa9*", "*(c) *", "*avec *", "*mit material*", "*quelle*", "*con informaci*",
    "*fuente*", "*fonte*", "*afp*", "*reuters*", "*dpa*", "*ansa*", "*efe*", "*(ap)*",
    "*compiled*", "*contributed*", "*translated*",
};

/* A line wholly in brackets: "(Reporting by ...; Editing by ...)", "[Photo: ...]". */
static bool
is_bracketed(const char *s, size_t n)
{
    return n > 2 && ((s[0] == '(' && s[n - 1] == ')') || (s[0] == '[' && s[n - 1] == ']'));
}

/* Share of the characters that are digits or symbols (scores, prices, tables). */
static bool
mostly_digits(const char *s, size_t n)
{
    size_t d = 0, l = 0;

    for (size_t i = 0; i < n; i++) {
        d += IS_DIGIT(s[i]);
        l += IS_ALPHA((unsigned char)s[i]) || (unsigned char)s[i] >= 0xc0;
    }
    return d > l;
}

/* A list item: "- ", "* ", "+ ", "• ", "· ", "1. ", "2) ". */
static bool
is_list_item(const char *s, size_t n)
{
    size_t k = 0;

    if (n > 2 && (s[0] == '-' || s[0] == '*' || s[0] == '+') && s[1] == ' ')
        return true;
    if (n > 4 && (memcmp(s, "\xe2\x80\xa2 ", 4) == 0))
        return true;
    if (n > 3 && memcmp(s, "\xc2\xb7 ", 3) == 0)
        return true;
    while (k < n && k < 3 && IS_DIGIT(s[k]))
        k++;
    return k > 0 && k + 1 < n && (s[k] == '.' || s[k] == ')') && s[k + 1] == ' ';
}

/* The meta part of classify: a date, a byline, a "Source:" label. */
static void
classify_meta(struct scrape *sc, struct unit *u)
{
    size_t k;

    if (u->n > META_LINE_MAX)
        return;
    if (strpbrk(u->s, "0123456789") != NULL)
        find_date(sc, u);                   /* every date we read has a digit */
    else
        relative_date(u);
    if (!(u->f & U_DATE) && parse_byline(sc, u->s, u->n, &u->author, &u->src))
        u->f |= U_BYLINE;
    if (!(u->f & (U_DATE | U_BYLINE)) && (k = source_label_len(u->s, u->n)) > 0) {
        size_t a = k, b = u->n;

        trim_seps(u->s, &a, &b);
        if (a < b && is_source_like(u->s + a, b - a)) {
            u->f |= U_SRCLABEL;
            u->src = arena_strndup(&sc->scratch, u->s + a, b - a);
        }
    }
}

/*
 * A photo caption of any length: it ends with a credit in brackets that names an agency
 * or a photographer ("(Thomas Coex/AFP/Getty Images)", "(Photo: Jane Doe)"), or carries a
 * credit glued on by the page's markup ("...in 2023.CreditJeon Heon-Kyun/EPA").
 */
static bool
is_caption(struct scrape *sc, const char *s, size_t n)
{
    static const char *const cues[] = { "*/*", "*photo*", "*foto*", "*getty*", "*reuters*",
        "*afp*", "*credit*", "*image*", "*picture*", "*archiv*" };
    const char *low;
    size_t open = n;

    for (size_t i = 0; i + 6 < n; i++)
        if (memcmp(s + i, "Credit", 6) == 0 && s[i + 6] >= 'A' && s[i + 6] <= 'Z' &&
            (i == 0 || !IS_ALPHA(s[i - 1])))
            return true;
    if (n < 4 || s[n - 1] != ')')
        return false;
    while (open > 0 && s[open - 1] != '(')
        open--;
    if (open <= 1)
        return false;
    low = fold_line(sc, s + open, n - 1 - open);
    return match_any(cues, ARRAY_LEN(cues), low, strlen(low));
}

/* A headline cut short by the page ("19 reactions that everyone who has…"): a link to
 * another story; a sentence that trails off is longer. */
static bool
is_cut_teaser(const struct unit *u)
{
    size_t n = u->n;

    if (u->words > TEASER_CUT_WORDS || u->words < 2)
        return false;
    return (n > 3 && memcmp(u->s + n - 3, "\xe2\x80\xa6", 3) == 0) ||
        (n > 3 && memcmp(u->s + n - 3, "...", 3) == 0);
}

/* The boilerplate lexicons; the reason, or NULL. */
static const char *
lexicon_match(struct scrape *sc, struct unit *u)
{
    const char *low = fold_line(sc, u->s, u->n);
    size_t ca, cb;

    core_span(low, u->n, &ca, &cb);
    if (ca == cb || !has_letter(u->s, u->n))
        return "no words";
    if (match_any(end_line, ARRAY_LEN(end_line), low + ca, cb - ca)) {
        u->f |= U_END;
        return "end of the article (comments, related stories)";
    }
    if (match_any(noise_line, ARRAY_LEN(noise_line), low + ca, cb - ca))
        return "boilerplate (menu, share, sign-up, caption line)";
    if (u->words <= NOISE_SHORT_WORDS && match_any(noise_short, ARRAY_LEN(noise_short), low,
        u->n))
        return "boilerplate phrase (call to action, credit, copyright)";
    if (match_any(noise_any, ARRAY_LEN(noise_any), low, u->n))
        return "boilerplate phrase (cookies, rights)";
    if (is_link_line(u->s, u->n))
        return "a link, address or handle alone";
    if (is_cut_teaser(u))
        return "a teaser cut short (a link to another story)";
    if (u->words >= 6 && is_caption(sc, u->s, u->n))
        return "a photo caption (credit)";
    if (is_bracketed(u->s, u->n) && u->words <= 40 && (u->s[0] == '[' || u->words <= 3 ||
        match_any(credit_cues, ARRAY_LEN(credit_cues), low, u->n)))
        return WHY_BRACKETED;
    if (mostly_digits(u->s, u->n) && u->words <= 12)
        return "numbers, not text";
    return NULL;
}

/*
 * Soft features of one line and its class alone: bad (boilerplate, meta), good (a long
 * sentence of running text: stop words, few capitals, a full stop), near-good (a shorter
 * sentence, a lead-in ending in ":", a list item with stop words) or short.
 */
static void
classify(struct scrape *sc, struct unit *u, bool meta)
{
    const struct article_opts *o = sc->c->o;
    double sd;

    count_words(u->s, u->n, &u->words, &u->caps, &u->cjk);
    if (ends_sentence(u->s, u->n))
        u->f |= U_TERMINAL;
    if (u->words >= 3 && u->caps * 10 <= u->words * 6)
        u->f |= U_PROSE;
    u->cls = C_SHORT;
    for (size_t i = 0; i < o->ndrop; i++) {
        if (o->drop_patterns[i] != NULL && user_match(o->drop_patterns[i], u->s, u->n)) {
            u->f |= U_NOISE;
            u->why = "user pattern";
            u->cls = C_BAD;
            return;
        }
    }
    if (meta)
        classify_meta(sc, u);
    if (u->f & (U_DATE | U_BYLINE | U_SRCLABEL)) {
        u->cls = C_BAD;
        return;
    }
    if ((u->why = lexicon_match(sc, u)) != NULL) {
        u->f |= U_NOISE;
        u->cls = C_BAD;
        return;
    }
    sd = stop_density(sc, u);
    if ((u->f & U_PROSE) && sd != 0 && (((u->f & U_TERMINAL) && (u->words >= 12 ||
        u->n >= 80)) || (u->words >= 30 && (sd < 0 || sd >= 0.2))) && (sd < 0 || sd >= 0.08))
        u->cls = C_GOOD;
    else if ((u->f & U_PROSE) && ((u->f & U_TERMINAL) || last_cp(u->s, u->n) == ':'))
        u->cls = C_NEAR;
    else if (is_list_item(u->s, u->n) && u->words >= 5 && sd != 0)
        u->cls = C_NEAR;                /* a list item that says something */
    if (u->cls != C_SHORT && (sd < 0 || sd > 0 || u->words < 12))
        u->f |= U_SENTENCE;
    if (u->cls == C_GOOD)
        u->f |= U_STRONG;
}

/* The class of the nearest line before (dir -1) or after (+1) i that is not short,
 * at most max lines away; C_BAD at the edges. */
static int
neighbour(const struct scrape *sc, size_t i, int dir, size_t max, bool skip_near)
{
    for (size_t k = 1; k <= max; k++) {
        size_t j = i + (size_t)dir * k;

        if ((dir < 0 && k > i) || j >= sc->nu)
            return C_BAD;
        if (sc->u[j].cls == C_SHORT || (skip_near && sc->u[j].cls == C_NEAR))
            continue;
        return sc->u[j].cls;
    }
    return C_BAD;
}

/* Is there a good line at most max lines before or after i, with only boilerplate
 * between (a date or byline line between separates the header from the text)? */
static bool
near_good(const struct scrape *sc, size_t i, size_t max)
{
    for (int dir = -1; dir <= 1; dir += 2) {
        for (size_t k = 1; k <= max; k++) {
            size_t j = i + (size_t)dir * k;

            if ((dir < 0 && k > i) || j >= sc->nu || (sc->u[j].f & META_FLAGS))
                break;
            if (sc->u[j].cls == C_GOOD)
                return true;
        }
    }
    return false;
}

/*
 * Neighbours decide the borderline lines (jusText): a near-good line next to good text
 * is good; a short line (a subheading, a list item, a lead-in) between good text on both
 * sides is good, and a lead-in ending in ":" before good text or a list is good; a lone
 * sentence among menus stays what it is and the region below decides.
 */
static void
revise_classes(struct scrape *sc)
{
    struct unit *u = sc->u;

    for (size_t i = 0; i < sc->nu; i++)
        if (u[i].cls == C_NEAR && (neighbour(sc, i, -1, 3, true) == C_GOOD ||
            neighbour(sc, i, 1, 3, true) == C_GOOD || near_good(sc, i, 2)))
            u[i].rcls = C_GOOD;
    for (size_t i = 0; i < sc->nu; i++) {
        if (u[i].rcls == C_GOOD)
            u[i].cls = C_GOOD;
        u[i].rcls = 0;
    }
    for (size_t i = 0; i < sc->nu; i++) {
        unsigned long last = last_cp(u[i].s, u[i].n);

        if (u[i].cls != C_SHORT && u[i].cls != C_NEAR)
            continue;
        /* Sentences and list items between text are text; a subheading is not. */
        if (neighbour(sc, i, -1, 12, false) == C_GOOD && neighbour(sc, i, 1, 12, false) ==
            C_GOOD && u[i].repeat <= 1 && (u[i].cls == C_NEAR || (u[i].f & U_TERMINAL) ||
            is_list_item(u[i].s, u[i].n)))
            u[i].rcls = C_GOOD;
        else if ((last == ':' || last == 0xff1a) && u[i].words >= 2 && i + 1 < sc->nu &&
            (u[i + 1].cls == C_GOOD || is_list_item(u[i + 1].s, u[i + 1].n)) &&
            neighbour(sc, i, -1, 12, false) == C_GOOD)
            u[i].rcls = C_GOOD;
    }
    for (size_t i = 0; i < sc->nu; i++)
        if (u[i].rcls == C_GOOD)
            u[i].cls = C_GOOD;
}

/*
 * Is the short line i part of an alternation of short lines and single good ones
 * (headline, teaser, headline, teaser: a list of other stories), rather than a
 * subheading between paragraphs?
 */
static bool
in_teaser_list(const struct scrape *sc, size_t i)
{
    const struct unit *u = sc->u;
    int alt = 0;

    for (size_t k = i; k + 2 < sc->nu && k < i + 8; k += 2)
        if (u[k].cls == C_SHORT && u[k + 1].cls == C_GOOD && u[k + 1].words < TEASER_WORDS &&
            u[k + 2].cls == C_SHORT)
            alt++;
        else
            break;
    for (size_t k = i; k >= 2 && k + 8 > i; k -= 2)
        if (u[k].cls == C_SHORT && u[k - 1].cls == C_GOOD && u[k - 1].words < TEASER_WORDS &&
            u[k - 2].cls == C_SHORT)
            alt++;
        else
            break;
    return alt >= 3;
}

/* The score of a line for the region: good text pays by its length, the rest costs. */
static double
line_score(const struct scrape *sc, size_t i)
{
    const struct unit *u = &sc->u[i];

    if (u->cls == C_SHORT && in_teaser_list(sc, i))
        return -3;
    if (u->cls == C_GOOD && i > 0 && i + 1 < sc->nu && u[-1].cls == C_SHORT &&
        u[1].cls == C_SHORT && (in_teaser_list(sc, i - 1) || in_teaser_list(sc, i + 1)))
        return 0.5;                                     /* a teaser in that list */
    if (u->f & U_END)
        return END_COST;
    if ((u->f & U_CODE) || (u->cls == C_SHORT && is_list_item(u->s, u->n) &&
        ((i > 0 && is_list_item(u[-1].s, u[-1].n)) ||
        (i + 1 < sc->nu && is_list_item(u[1].s, u[1].n)))))
        return 0;                       /* code, or an item of a list: neither */
    switch (u->cls) {
    case C_GOOD:
        return 1.0 + (u->words < 50 ? u->words : 50) / 10.0;
    case C_NEAR:
        return 0.5;
    case C_SHORT:
        return -0.5;
    default:
        return u->f & (U_DATE | U_BYLINE | U_SRCLABEL) ? -1.5 : -1.0;
    }
}

/* The article: the contiguous run of lines with the highest total score (maximum
 * subarray, Kadane), so short gaps (an ad, a caption) are crossed and long ones are not.
 * [*start, *end) or false when no line scores above zero. */
static bool
best_region(const struct scrape *sc, size_t *start, size_t *end)
{
    double best = 0, run = 0;
    size_t rs = 0;
    bool found = false;

    int gap = 0, goods = 0;
    bool after_end = false;

    for (size_t i = 0; i < sc->nu; i++) {
        double v = line_score(sc, i);

        /* Text below "Comments" or "Related stories", once there was text above, is
         * comments or other stories: it counts for less than the article above. */
        if (sc->u[i].f & U_END)
            after_end |= goods >= 2;
        goods += sc->u[i].cls == C_GOOD;
        if (after_end && v > 0)
            v *= AFTER_END_WEIGHT;

        /* A long run of boilerplate costs little more than a short one: a list of links
         * or a gallery inside an article is one gap, not twenty. */
        gap = v < 0 ? gap + 1 : 0;
        if (v < 0 && v > -2 && gap > GAP_FULL_COST_LINES)
            v = GAP_TAIL_COST;
        if (run <= 0) {
            run = 0;
            rs = i;
        }
        run += v;
        if (run > best) {
            best = run;
            *start = rs;
            *end = i + 1;
            found = true;
        }
    }
    return found;
}

static int
cmp_unit_text(const void *a, const void *b)
{
    const struct unit *x = *(const struct unit *const *)a, *y = *(const struct unit *const *)b;

    return strcmp(x->s, y->s);
}

/* How many of the first n units have exactly the same text (a source or a menu repeats;
 * text does not): into repeat (and the first such unit into first_of), or into hrepeat
 * for the header. */
static void
count_repeats(struct scrape *sc, size_t n, bool header)
{
    struct unit **v = xreallocarray(NULL, n ? n : 1, sizeof(*v));

    for (size_t i = 0; i < n; i++)
        v[i] = &sc->u[i];
    qsort(v, n, sizeof(*v), cmp_unit_text);
    for (size_t i = 0; i < n; ) {
        size_t j = i;

        while (j < n && strcmp(v[i]->s, v[j]->s) == 0)
            j++;
        size_t first = SIZE_MAX;

        for (size_t k = i; k < j; k++)
            if ((size_t)(v[k] - sc->u) < first)
                first = (size_t)(v[k] - sc->u);
        for (size_t k = i; k < j; k++) {
            if (header) {
                v[k]->hrepeat = (int)(j - i);
            } else {
                v[k]->repeat = (int)(j - i);
                v[k]->first_of = first;
            }
        }
        i = j;
    }
    free(v);
}


static bool
is_para(const struct unit *u)
{
    return (u->f & U_SENTENCE) && !(u->f & (U_NOISE | META_FLAGS));
}

static void
header_init(struct header *h, const struct scrape *sc, size_t body)
{
    h->block = xreallocarray(NULL, body + 1, sizeof(size_t));
    h->cand = xreallocarray(NULL, body + 1, sizeof(size_t));
    h->prevmeta = xreallocarray(NULL, body + 1, sizeof(size_t));
    h->nextmeta = xreallocarray(NULL, body + 1, sizeof(size_t));
    h->block[0] = h->cand[0] = 0;
    for (size_t k = 0; k < body; k++) {
        const struct unit *u = &sc->u[k];
        bool meta = (u->f & (U_DATE | U_BYLINE)) != 0;

        h->block[k + 1] = h->block[k] + (u->words > 4 && !(u->f & (U_NOISE | META_FLAGS)));
        h->cand[k + 1] = h->cand[k] + (u->words >= 3 && !(u->f & (U_NOISE | META_FLAGS)) &&
            !is_list_item(u->s, u->n));
        h->prevmeta[k] = meta ? k : (k > 0 ? h->prevmeta[k - 1] : SIZE_MAX);
    }
    h->nextmeta[body] = SIZE_MAX;
    for (size_t k = body; k-- > 0; ) {
        bool meta = (sc->u[k].f & (U_DATE | U_BYLINE)) != 0;

        h->nextmeta[k] = meta ? k : h->nextmeta[k + 1];
    }
}

static void
header_fini(struct header *h)
{
    free(h->block);
    free(h->cand);
    free(h->prevmeta);
    free(h->nextmeta);
}

/* Separating lines strictly between i and j. */
static size_t
between(const struct header *h, size_t i, size_t j)
{
    if (i > j) {
        size_t t = i;

        i = j;
        j = t;
    }
    return j > i ? h->block[j] - h->block[i + 1] : 0;
}

/* A trail of links ("News > 2015 > Title", "Home » Sport", "« Previous | Next »"). */
static bool
is_breadcrumb(const char *s, size_t n)
{
    static const char *const seps[] = { " > ", " \xe2\x80\xba ", " \xc2\xbb ", "\xc2\xab " };

    for (size_t i = 0; i < ARRAY_LEN(seps); i++) {
        size_t k = strlen(seps[i]);

        for (size_t j = 0; j + k <= n; j++)
            if (memcmp(s + j, seps[i], k) == 0)
                return true;
    }
    return n >= 2 && memcmp(s + n - 2, "\xc2\xbb", 2) == 0;
}

/*
 * Score a header line as the title.  A headline is a line of a few words to a couple
 * of dozen, without a full stop, next to the byline/date block or right above the text;
 * short lines (sections, sources) and repeated ones (sources, menus) are unlikely.
 */
static int
title_score(const struct scrape *sc, const struct header *h, size_t i, size_t body)
{
    const struct unit *u = &sc->u[i];
    size_t n = trim_closers(u->s, u->n), dist, cands, m;
    unsigned long last = last_cp(u->s, n);
    int score = u->words < 14 ? u->words : 14;

    if (u->words <= 3)
        score -= 4;
    if (u->words == 1)
        score -= 4;
    if (u->repeat > 1 && u->words <= 5)
        score -= 6;
    else if (u->repeat > 1)
        score += 2;                 /* a headline the page repeats (teaser, image link) */
    if (is_full_stop(last) && !(n >= 3 && memcmp(u->s + n - 3, "...", 3) == 0))
        score -= 4;
    if (last == ':' || last == ',' || last == ';' || last == 0xff1a || last == 0xff0c ||
        last == 0xff1b || last == 0x3001)                          /* ： ， ； 、 */
        score -= 8;
    if (u->s[0] >= 'a' && u->s[0] <= 'z')
        score -= 4;
    if (u->f & U_SENTENCE)
        score -= 2;
    dist = between(h, i, body);
    if ((m = h->prevmeta[i]) != SIZE_MAX && between(h, m, i) < dist)
        dist = between(h, m, i);
    if ((m = h->nextmeta[i]) != SIZE_MAX && between(h, i, m) < dist)
        dist = between(h, i, m);
    if (dist == 0)
        score += 6;
    else if (dist == 1)
        score += 2;
    /* lines between the date block under a headline and the text do not compete */
    m = h->nextmeta[i] != SIZE_MAX && h->nextmeta[i] < body ? h->nextmeta[i] : body;
    cands = h->cand[m] - h->cand[i + 1];
    score -= (int)(cands < 6 ? cands : 6);
    if (u->words > TITLE_LONG_WORDS)
        score -= u->words - TITLE_LONG_WORDS;       /* a caption or a standfirst */
    if (is_breadcrumb(u->s, u->n))
        score -= 8;
    return score;
}

/* Does s contain one of the media words as a word? */
static bool
has_media_word(const char *s, size_t n)
{
    for (size_t i = 0; i < n; ) {
        size_t j = i;

        while (j < n && IS_ALPHA((unsigned char)s[j]))
            j++;
        if (j > i && word_in(s + i, j - i, media_words, ARRAY_LEN(media_words)))
            return true;
        i = j + 1;
    }
    return false;
}

/* A line next to the date that names the source: "Iran Press TV", "The Valley Courier",
 * "AP", "example.com", or any short line the page's header repeats (a category repeated
 * in the footer's topic list does not count). */
static bool
source_candidate(const struct unit *u, bool need_repeat)
{
    if (u->role != R_NONE || (u->f & (U_NOISE | META_FLAGS | U_TERMINAL)))
        return false;
    if (!is_source_like(u->s, u->n))
        return false;
    if (u->hrepeat > 1)
        return true;
    if (need_repeat)
        return false;
    return has_media_word(u->s, u->n) || strncmp(u->s, "The ", 4) == 0 ||
        (memchr(u->s, '.', u->n) != NULL && memchr(u->s, ' ', u->n) == NULL) ||
        (u->caps == u->words && u->n <= 6 && u->words == 1);
}

/* "LONDON (Reuters) - ...", "GRINDAVIK, Iceland (Reuters) - ..." at the start of the
 * first paragraph: the agency.  The dateline opens with the city in capitals. */
static const char *
dateline_source(struct scrape *sc, const char *p)
{
    const char *open = strchr(p, '('), *close;
    size_t k, caps = 0;

    if (open == NULL || open - p > 60)
        return NULL;
    for (const char *q = p; q < open && *q != ' ' && *q != ','; q++) {
        if (*q >= 'a' && *q <= 'z')
            return NULL;
        caps += *q >= 'A' && *q <= 'Z';
    }
    for (const char *q = p; q < open; q++)
        if (*q == '.' || *q == '!' || *q == '?')
            return NULL;
    if (caps < 2 || (close = strchr(open, ')')) == NULL || close - open > 40)
        return NULL;
    k = close[1] == ' ' ? 2 : 1;
    if (!(close[k] == '-' || strncmp(close + k, "\xe2\x80\x93", 3) == 0 ||
        strncmp(close + k, "\xe2\x80\x94", 3) == 0))
        return NULL;
    if (!is_source_like(open + 1, (size_t)(close - open - 1)))
        return NULL;
    return arena_strndup(&sc->scratch, open + 1, (size_t)(close - open - 1));
}

/* The article's end of a " | Site" or " - Site" title suffix; 0 when there is none. */
static size_t
title_suffix(const char *s, size_t n, const char *source, const char **site, size_t *sitelen)
{
    for (size_t i = n; i-- > 1; ) {
        size_t k;

        if (s[i - 1] != ' ' || (k = sep_len(s + i, n - i)) == 0 || i + k >= n ||
            s[i + k] != ' ' || s[i] == ',' || s[i] == ':' || s[i] == '(' || s[i] == '/')
            continue;
        *site = s + i + k + 1;
        *sitelen = n - (i + k + 1);
        if (s[i] == '|' ? is_source_like(*site, *sitelen) : (source != NULL &&
            strlen(source) == *sitelen && ascii_strncasecmp(*site, source, *sitelen) == 0)) {
            int words, caps;

            count_words(s, i - 1, &words, &caps, NULL);
            return words >= 3 ? i - 1 : 0;
        }
        return 0;
    }
    return 0;
}

/* ------------------------------------------------------------------------------------ */
/* The article: region, header, fields */

/*
 * A short line inside the text that is part of it: code, a table, a list item (one of a
 * run) or a sentence that lacks its full stop (five words or more), not a lone
 * subheading.
 */
static bool
inner_line(const struct scrape *sc, size_t i)
{
    const struct unit *u = &sc->u[i];

    if ((u->cjk == 0 && u->words >= 5) || (u->f & U_CODE))
        return true;
    if (is_list_item(u->s, u->n) && ((i > sc->rs && is_list_item(u[-1].s, u[-1].n)) ||
        (i + 1 < sc->re && is_list_item(u[1].s, u[1].n))))
        return true;
    /* one of a run of short lines: a list */
    return u->words >= 2 && ((i > sc->rs && u[-1].cls == C_SHORT && !(u[-1].f & U_NOISE)) ||
        (i + 1 < sc->re && u[1].cls == C_SHORT && !(u[1].f & U_NOISE)));
}

/* Mark the paragraphs of the region [rs, re): good and near-good lines, and the short
 * lines that belong to the text (inner_line()). */
static void
mark_paragraphs(struct scrape *sc)
{
    struct unit *u = sc->u;

    sc->lastpara = sc->rs;
    for (size_t i = sc->rs; i < sc->re; i++) {
        if (u[i].cls == C_BAD || (u[i].f & (U_NOISE | META_FLAGS)) ||
            (u[i].cls == C_SHORT && !inner_line(sc, i)))
            continue;
        /* A paragraph the scraper repeated from above the text (the standfirst). */
        if (u[i].repeat > 1 && (u[i].first_of < sc->rs || u[i].first_of == sc->dek) &&
            !(u[i].f & U_CODE)) {
            u[i].why = "repeated line";
            continue;
        }
        u[i].role = R_PARA;
        sc->lastpara = i;
    }
}

/* Could u be a headline: a short line of a few words, no sentence, no list item? */
static bool
headline_like(const struct unit *u)
{
    unsigned long last = last_cp(u->s, u->n);

    return u->cls == C_SHORT && u->words >= 3 && u->words <= TITLE_LONG_WORDS &&
        !(u->f & (U_TERMINAL | U_CODE | U_NOISE | META_FLAGS)) && last != ':' &&
        !(u->s[0] >= 'a' && u->s[0] <= 'z') && !is_list_item(u->s, u->n) && u->repeat <= 1;
}

/*
 * A region that opens with a line or two of short text and then a headline ("Hi, I'm
 * Nicolas." and "I code stuff." above "Get your Frontend JavaScript Code Covered") starts
 * below the headline when the text below is many times longer: the opening lines are the
 * site's tagline, and the headline is the title.
 */
static void
trim_head(struct scrape *sc)
{
    const struct unit *u = sc->u;
    size_t before = 0, after = 0;

    for (size_t j = sc->rs; j < sc->re && j < sc->rs + HEAD_TRIM_LINES; j++) {
        if (j > sc->rs && headline_like(&u[j])) {
            size_t k = j + 1;

            for (size_t x = j + 1; x < sc->re; x++)
                after += u[x].cls == C_GOOD ? (size_t)u[x].words : 0;
            while (k < sc->re && u[k].cls != C_GOOD)
                k++;
            if (k < sc->re && before <= HEAD_TRIM_WORDS && after >= HEAD_TRIM_RATIO * before)
                sc->rs = k;
            return;
        }
        before += (size_t)u[j].words;
    }
}

/*
 * A standfirst above the byline/date block: when the region opens with one or two
 * sentences, then a date or byline line, then more text, the opening is the summary.
 */
static void
find_dek(struct scrape *sc)
{
    struct unit *u = sc->u;
    size_t goods = 0;

    for (size_t i = sc->rs; i < sc->re && i < sc->rs + 5; i++) {
        if (u[i].f & (U_DATE | U_BYLINE)) {
            size_t j = i + 1;

            while (j < sc->re && u[j].cls != C_GOOD)
                j++;
            if (goods == 0 || goods > 2 || j >= sc->re)
                return;
            sc->dek = sc->rs;
            sc->rs = j;
            return;
        }
        goods += u[i].cls == C_GOOD;
    }
}

/*
 * The words of the text's first paragraphs: a headline is about what the text says, so
 * the share of a candidate's words (four letters or more, case folded) found there counts.
 */
struct wordset {
    uint64_t *h;                /* open addressing over word hashes; 0 empty */
    size_t cap, n;
};

static void
wordset_init(struct wordset *ws)
{
    ws->cap = 4096;
    ws->n = 0;
    ws->h = xcalloc(ws->cap, sizeof(*ws->h));
}

static void
wordset_fini(struct wordset *ws)
{
    free(ws->h);
}

/* Call fn on each word of s[0..n) of four characters or more, case folded. */
static void
each_word(const char *s, size_t n, void (*fn)(void *, uint64_t), void *ctx)
{
    const unsigned char *p = (const unsigned char *)s;

    for (size_t i = 0; i < n; ) {
        uint64_t h = TEXT_HASH64_INIT;
        size_t chars = 0, len, k;

        while (i < n && stop_char_len(p + i, n - i) == 0)
            i++;
        while (i < n && (k = stop_char_len(p + i, n - i)) > 0) {
            unsigned char f[2];
            size_t fk = utf8_fold_char(p + i, n - i, &len, f);

            h = text_hash64_add(h, f, fk);
            chars++;
            i += k;
        }
        if (chars >= 4)
            fn(ctx, h | 1);
    }
}

static void
wordset_put(void *ctx, uint64_t h)
{
    struct wordset *ws = ctx;
    size_t i = (size_t)h & (ws->cap - 1);

    if (ws->n * 2 >= ws->cap)
        return;                                 /* enough words to judge by */
    while (ws->h[i] != 0 && ws->h[i] != h)
        i = (i + 1) & (ws->cap - 1);
    if (ws->h[i] == 0) {
        ws->h[i] = h;
        ws->n++;
    }
}

static void
wordset_add_line(struct wordset *ws, const char *s, size_t n)
{
    each_word(s, n, wordset_put, ws);
}

struct overlap {
    const struct wordset *ws;
    int words, found;
};

static void
overlap_one(void *ctx, uint64_t h)
{
    struct overlap *o = ctx;
    size_t i = (size_t)h & (o->ws->cap - 1);

    o->words++;
    while (o->ws->h[i] != 0) {
        if (o->ws->h[i] == h) {
            o->found++;
            return;
        }
        i = (i + 1) & (o->ws->cap - 1);
    }
}

/* 0..TITLE_OVERLAP_BONUS by the share of the line's words that the text uses. */
static int
wordset_overlap(const struct wordset *ws, const char *s, size_t n)
{
    struct overlap o = { ws, 0, 0 };

    each_word(s, n, overlap_one, &o);
    return o.words > 0 ? TITLE_OVERLAP_BONUS * o.found / o.words : 0;
}

/* A line that starts like a byline or a credit ("By ...", "Reviewed by ...") but was
 * not read as one: no headline either way. */
static bool
byline_like(struct scrape *sc, const struct unit *u)
{
    static const char *const starts[] = { "reviewed by ", "edited by ", "photos by ",
        "photographs by ", "updated " };
    const char *low = fold_line(sc, u->s, u->n < 40 ? u->n : 40);
    size_t n = u->n < 40 ? u->n : 40;

    for (size_t i = 0; i < ARRAY_LEN(byline_prefixes); i++)
        if (n > strlen(byline_prefixes[i]) &&
            memcmp(low, byline_prefixes[i], strlen(byline_prefixes[i])) == 0)
            return true;
    for (size_t i = 0; i < ARRAY_LEN(starts); i++)
        if (n >= strlen(starts[i]) && memcmp(low, starts[i], strlen(starts[i])) == 0)
            return true;
    return false;
}

/*
 * Is i a headline over a byline or date line ("Headline" over "By Jane Doe, May 5"), with
 * perhaps a standfirst between them (one line that ends with a full stop, which a headline
 * does not)?  Not when i is one of a list of other stories, each with its date
 * ("Headline" / "May 4" / "Headline" / "May 3"), nor a menu ("Home | World").
 */
static bool
above_meta(const struct scrape *sc, size_t i)
{
    const struct unit *u = sc->u;
    unsigned meta = U_DATE | U_BYLINE;
    size_t m = i + 1, n;

    if (m >= sc->rs || memchr(u[i].s, '|', u[i].n) != NULL)
        return false;
    n = trim_closers(u[i].s, u[i].n);
    if (is_full_stop(last_cp(u[i].s, n)))
        return false;
    if (!(u[m].f & meta) && m + 1 < sc->rs && (u[m + 1].f & meta) &&
        is_full_stop(last_cp(u[m].s, trim_closers(u[m].s, u[m].n))))
        m++;                                    /* over a standfirst */
    if (!(u[m].f & meta))
        return false;
    return !(i > 0 && (u[i - 1].f & meta)) &&
        !(m + 2 < sc->rs && !(u[m + 1].f & meta) && (u[m + 2].f & meta));
}

/*
 * Two sentences on one line ("Companies talk about sharing. Uber is just ..."): a
 * standfirst or a teaser, not a headline.  The full stop ends a lowercase word of three
 * letters or more, so "Mr. Smith", "U.S. Army" and "J. Doe" stay one sentence.
 */
static bool
two_sentences(const char *s, size_t n)
{
    for (size_t i = 3; i + 2 < n; i++) {
        if (s[i] != '.' || s[i + 1] != ' ' || !(s[i + 2] >= 'A' && s[i + 2] <= 'Z'))
            continue;
        size_t w = i;

        while (w > 0 && s[w - 1] >= 'a' && s[w - 1] <= 'z')
            w--;
        if (i - w >= 3 && (w == 0 || s[w - 1] == ' '))
            return true;
    }
    return false;
}

/*
 * Lines of a header that are never its headline, whatever their shape: a photo caption
 * that says where people stand ("Jane Doe (left) and ..."), in any of our languages, a
 * video player's captions ("Up next ...", "Your video will play in 0:25"), and two
 * sentences on one line (a standfirst or a teaser).
 */
static bool
not_headline(struct scrape *sc, const struct unit *u)
{
    static const char *const where[] = { "*(left)*", "*(right)*", "*(center)*",
        "*(centre)*", "*(l-r)*", "*(from left)*", "*(à gauche)*", "*(à droite)*",
        "*(au centre)*", "*(links)*", "*(rechts)*", "*(mitte)*", "*(izquierda)*",
        "*(derecha)*", "*(al centro)*", "*(en el centro)*", "*(ao centro)*",
        "*(à esquerda)*", "*(à direita)*", "*(a sinistra)*", "*(a destra)*", "*(links)*",
        "*(midden)*", "*(слева)*", "*(справа)*", "*(в центре)*" };
    static const char *const player[] = { "up next *", "your video will play*",
        "next video*", "now playing*", "now watching*", "the video will play*",
        "vidéo suivante*", "nächstes video*", "siguiente video*", "próximo vídeo*" };
    const char *low = fold_line(sc, u->s, u->n);
    size_t n = strlen(low);

    return match_any(where, ARRAY_LEN(where), low, n) ||
        match_any(player, ARRAY_LEN(player), low, n) || two_sentences(u->s, u->n);
}

/*
 * No headline-shaped line: the text may name its subject first, as an encyclopedia does
 * ("New Zealand" above "New Zealand (Maori: Aotearoa) is a country ..."): the header line
 * nearest the text that the first paragraph opens with, followed by " ", "(" or ",".
 */
static size_t
subject_line(const struct scrape *sc)
{
    const struct unit *u = sc->u, *first = NULL;

    for (size_t i = sc->rs; i < sc->re && first == NULL; i++)
        if (u[i].cls == C_GOOD)
            first = &u[i];
    if (first == NULL)
        return SIZE_MAX;
    for (size_t i = sc->rs; i-- > 0; ) {
        size_t n = u[i].n;

        if ((u[i].f & (U_NOISE | META_FLAGS)) || n < 4 || n >= first->n ||
            u[i].words > TITLE_LONG_WORDS || (u[i].s[0] >= 'a' && u[i].s[0] <= 'z') ||
            memcmp(first->s, u[i].s, n) != 0 || strchr(" (,", first->s[n]) == NULL)
            continue;
        return i;
    }
    return SIZE_MAX;
}

/*
 * A page that shows its headline twice often shows it once with a kicker before a colon
 * ("Students abroad: What changed" and later "What changed"): an earlier header line that
 * ends with the chosen one after a colon is the full headline.
 */
static size_t
fuller_line(const struct scrape *sc, size_t t)
{
    const struct unit *u = sc->u;
    size_t n = u[t].n;

    for (size_t i = t > TITLE_WINDOW ? t - TITLE_WINDOW : 0; i < t; i++) {
        const char *tail = u[i].s + u[i].n - n;
        size_t k = (size_t)(tail - u[i].s);

        if (u[i].n <= n + 2 || (u[i].f & (U_NOISE | META_FLAGS)) ||
            u[i].words > TITLE_LONG_WORDS || memcmp(tail, u[t].s, n) != 0)
            continue;
        while (k > 0 && u[i].s[k - 1] == ' ')
            k--;
        if ((k > 0 && u[i].s[k - 1] == ':') ||
            (k >= 3 && memcmp(u[i].s + k - 3, "\xef\xbc\x9a", 3) == 0))       /* ： */
            return i;
    }
    return t;
}

/* The title: the best headline-like line in a window above the text; optional. */
static void
find_title(struct scrape *sc)
{
    struct unit *u = sc->u;
    size_t body = sc->rs, from = body > TITLE_WINDOW ? body - TITLE_WINDOW : 0;
    size_t far = body > TITLE_FAR_WINDOW ? body - TITLE_FAR_WINDOW : 0, subj;
    int best = 0;

    struct wordset ws;

    wordset_init(&ws);
    for (size_t i = body, k = 0; i < sc->re && k < TITLE_CONTEXT_LINES; i++)
        if (u[i].cls == C_GOOD) {
            wordset_add_line(&ws, u[i].s, u[i].n);
            k++;
        }
    for (size_t i = far; i < body; i++) {
        int sco;

        if ((u[i].f & (U_NOISE | META_FLAGS | U_STRONG | U_CODE)) || i == sc->dek ||
            u[i].n > 300 || u[i].words < 1 || is_list_item(u[i].s, u[i].n) ||
            byline_like(sc, &u[i]) || (i < from && !above_meta(sc, i)) ||
            not_headline(sc, &u[i]))
            continue;
        sco = title_score(sc, &sc->hdr, i, body) + wordset_overlap(&ws, u[i].s, u[i].n);
        if (above_meta(sc, i))
            sco += TITLE_ABOVE_META;
        if (sco >= TITLE_MIN_SCORE && (sc->title == SIZE_MAX || sco >= best)) {
            best = sco;
            sc->title = i;
        }
    }
    wordset_fini(&ws);
    if ((subj = subject_line(sc)) != SIZE_MAX)
        sc->title = subj;
    if (sc->title == SIZE_MAX)
        return;
    sc->title = fuller_line(sc, sc->title);
    /* A long line right under a shorter headline-like one is the standfirst. */
    {
        size_t p = sc->title, t = sc->title;

        while (p > 0 && (u[p - 1].f & U_NOISE))
            p--;
        if (p > 0 && !(u[p - 1].f & (META_FLAGS | U_TERMINAL | U_STRONG)) &&
            u[p - 1].words >= 4 && u[t].words >= 12 &&
            u[t].words > u[p - 1].words && sc->dek == SIZE_MAX) {
            sc->dek = t;
            sc->title = p - 1;
        }
    }
}

/* The first sentence between the title and the text is the standfirst. */
static void
find_summary(struct scrape *sc)
{
    struct unit *u = sc->u;

    if (sc->dek != SIZE_MAX || sc->title == SIZE_MAX)
        return;
    for (size_t i = sc->title + 1; i < sc->rs; i++) {
        if (is_para(&u[i]) && u[i].words >= 5 && u[i].cls != C_BAD) {
            sc->dek = i;
            return;
        }
    }
}

/*
 * Score a date line as the article's date: its shape (alone, with a byline or source,
 * labelled, relative; "Updated" loses to "Published"), its distance to the headline (or
 * to the text when there is none), and where it is (a date below the text belongs to the
 * footer or a list of other stories).
 */
static int
date_score(const struct scrape *sc, size_t i)
{
    const struct unit *u = &sc->u[i];
    size_t anchor = sc->title != SIZE_MAX ? sc->title : sc->rs;
    size_t dist = i > anchor ? i - anchor : anchor - i;
    int score = 20;
    const char *low = fold_line((struct scrape *)sc, u->s, u->da);

    if (i < sc->rs && sc->rs - i < dist)
        dist = sc->rs - i;                  /* right above the text, below a far headline */

    if (u->da > 0)
        score -= 1;                                     /* a label or a byline before */
    if (u->iso[0] == '\0')
        score -= 5;                                     /* "3 hours ago" */
    if (strstr(low, "updat") != NULL || strstr(low, "modif") != NULL ||
        strstr(low, "aktualisiert") != NULL || strstr(low, "mis à jour") != NULL ||
        strstr(low, "actualiz") != NULL || strstr(low, "aggiorn") != NULL ||
        strstr(low, "обновл") != NULL)
        score -= 3;
    score -= (int)(dist < 15 ? dist : 15);
    if (i >= sc->re)
        score -= 8;
    else if (i >= sc->rs)
        score -= 4;
    return score;
}

static void
find_date_line(struct scrape *sc)
{
    int best = 0;

    for (size_t i = 0; i < sc->nu; i++) {
        int s;

        if (!(sc->u[i].f & U_DATE) || (i > sc->lastpara && sc->nu - i > META_TAIL_UNITS &&
            i >= META_HEAD_UNITS))
            continue;
        s = date_score(sc, i);
        if (sc->hdate == SIZE_MAX || s > best) {
            best = s;
            sc->hdate = i;
        }
    }
}
/*
 * Without a date line: a dateline at the start of the first paragraph, "PARIS, 5 mars 2024
 * (AFP) -", "Berlin, 5. März 2024 -": a place of a few capitalised words, the date, then
 * a separator or a bracket.  A date inside a sentence is not the article's date.
 */
static bool
dateline_date(struct scrape *sc, const struct unit *u, size_t *da, size_t *db,
    char iso[NEWSDATE_ISO_MAX])
{
    const char *s = u->s;
    size_t n = u->n < DATELINE_BYTES ? u->n : DATELINE_BYTES, ws[16], we[16], nw = 0;

    for (size_t i = 0; i < n && nw < ARRAY_LEN(ws); ) {
        while (i < n && s[i] == ' ')
            i++;
        ws[nw] = i;
        while (i < n && s[i] != ' ')
            i++;
        we[nw++] = i;
    }
    for (size_t i = 1; i < nw && i <= 4; i++) {
        unsigned char c0 = (unsigned char)s[ws[i - 1]];

        if (!(c0 >= 'A' && c0 <= 'Z') && c0 < 0xc0)
            return false;                       /* the place is capitalised */
        if (!newsdate_can_start(s + ws[i], we[i] - ws[i]))
            continue;
        for (size_t j = nw < i + DATE_MAX_WORDS ? nw : i + DATE_MAX_WORDS; j-- > i; ) {
            size_t a = ws[i], b = we[j], k;

            while (b > a && strchr(",;|)]:", s[b - 1]) != NULL)
                b--;
            k = b;
            while (k < u->n && (s[k] == ' ' || s[k] == ','))
                k++;
            if (k < u->n && !(s[k] == '(' || s[k] == '-' || s[k] == ':' ||
                sep_len(s + k, u->n - k) > 0 || strncmp(s + k, "\xe2\x80\x94", 3) == 0 ||
                strncmp(s + k, "\xe2\x80\x93", 3) == 0))
                continue;
            if (newsdate_parse_order(s + a, b - a, sc->order, iso) >= 0) {
                *da = a;
                *db = b;
                return true;
            }
        }
    }
    return false;
}

static void
find_dateline(struct scrape *sc)
{
    struct ctx *c = sc->c;
    char iso[NEWSDATE_ISO_MAX];
    size_t da, db;

    if (sc->hdate != SIZE_MAX || c->a->date != NULL)
        return;
    for (size_t i = sc->rs; i < sc->re; i++) {
        const struct unit *u = &sc->u[i];

        if (u->role != R_PARA)
            continue;
        if (dateline_date(sc, u, &da, &db, iso)) {
            c->a->date = art_oneline(c, u->s + da, db - da);
            memcpy(c->a->date_iso, iso, sizeof(c->a->date_iso));
            c->a->from.date = art_fmt(c, "text line %d (dateline of the first paragraph)",
                u->line);
        }
        return;
    }
}

/* The source: a "Source:" label, a part of the date or byline line, a line next to the
 * date, a line the header repeats, a "Headline | Site" line, a dateline's agency. */
static void
find_source(struct scrape *sc)
{
    struct unit *u = sc->u;
    size_t body = sc->rs, hdate = sc->hdate;

    for (size_t i = 0; i < sc->nu && sc->src == NULL; i++)
        if (u[i].f & U_SRCLABEL)
            sc->src = u[i].src;
    if (sc->src == NULL && hdate != SIZE_MAX)
        sc->src = u[hdate].src;
    if (sc->src == NULL && sc->hbyline != SIZE_MAX)
        sc->src = u[sc->hbyline].src;
    if (sc->src == NULL && hdate != SIZE_MAX && hdate < body) {
        static const int near[] = { -1, 1, -2, 2 };

        for (int pass = 0; pass < 2 && sc->src == NULL; pass++) {
            for (size_t k = 0; k < ARRAY_LEN(near) && sc->src == NULL; k++) {
                size_t j = hdate + (size_t)near[k], mid = hdate + (size_t)(near[k] / 2);

                if ((near[k] < 0 && hdate < (size_t)-near[k]) || j >= body || j == sc->title)
                    continue;
                if ((near[k] == -2 || near[k] == 2) && u[mid].role == R_NONE &&
                    !(u[mid].f & (U_NOISE | META_FLAGS)) && mid != sc->title)
                    continue;
                if (source_candidate(&u[j], pass == 0))
                    sc->src = sc->srcunit = u[j].s;
            }
        }
    }
    for (size_t i = 0; i < body && sc->src == NULL; i++)
        if (i != sc->title && source_candidate(&u[i], true) && u[i].words <= 6)
            sc->src = sc->srcunit = u[i].s;
    /* A publication's name at the top of the page that the footer repeats. */
    for (size_t i = 0; i < body && sc->src == NULL; i++)
        if (i != sc->title && u[i].repeat > 1 && u[i].words <= 6 &&
            has_media_word(u[i].s, u[i].n) && is_source_like(u[i].s, u[i].n))
            sc->src = sc->srcunit = u[i].s;
}

/* "Headline | Site" elsewhere in the header, or as the title itself. */
static void
title_and_site(struct scrape *sc)
{
    struct ctx *c = sc->c;
    const struct unit *t = &sc->u[sc->title];
    const char *site;
    size_t sitelen, cut;

    for (size_t i = 0; i < sc->rs && sc->src == NULL; i++) {
        const struct unit *v = &sc->u[i];
        size_t k;

        if (i == sc->title || v->n <= t->n + 2 || memcmp(v->s, t->s, t->n) != 0 ||
            v->s[t->n] != ' ' || (k = sep_len(v->s + t->n + 1, v->n - t->n - 1)) == 0)
            continue;
        k += t->n + 1;
        while (k < v->n && v->s[k] == ' ')
            k++;
        if (is_source_like(v->s + k, v->n - k)) {
            sc->src = arena_strndup(&sc->scratch, v->s + k, v->n - k);
            sc->src_line = v->line;
        }
    }
    cut = title_suffix(t->s, t->n, sc->src, &site, &sitelen);
    if (cut > 0 && sc->src == NULL) {
        sc->src = arena_strndup(&sc->scratch, site, sitelen);
        sc->src_line = t->line;
    }
    c->a->title = art_oneline(c, t->s, cut > 0 ? cut : t->n);
    c->a->from.title = art_fmt(c, "text line %d (headline%s)", t->line,
        cut > 0 ? ", site name cut" : "");
}

/* No headline: the first sentence of the text, else the file name; never lose the text. */
static void
fallback_title(struct scrape *sc)
{
    struct ctx *c = sc->c;
    struct article *a = c->a;
    const char *base;

    for (size_t i = 0; i < sc->nu; i++) {
        const struct unit *u = &sc->u[i];
        size_t end = u->n;
        int words = 0;

        if (u->role != R_PARA)
            continue;
        for (size_t k = 0; k + 1 < u->n; k++) {
            words += u->s[k] == ' ';
            if ((u->s[k] == '.' || u->s[k] == '!' || u->s[k] == '?') && u->s[k + 1] == ' ' &&
                words >= 3) {
                end = k + (u->s[k] != '.');
                break;
            }
        }
        if (end == u->n && ends_sentence(u->s, u->n) && u->s[u->n - 1] == '.')
            end--;
        a->title = art_oneline(c, u->s, end);
        if (end > TITLE_FALLBACK_MAX) {
            end = TITLE_FALLBACK_MAX;
            while (end > 0 && u->s[end] != ' ')
                end--;
            a->title = art_fmt(c, "%.*s\xe2\x80\xa6", (int)end, u->s);     /* … */
        }
        a->from.title = art_fmt(c, "text line %d (first sentence: no headline found)",
            u->line);
        art_warn(c, "no headline found; the title is the first sentence of the text");
        return;
    }
    base = strrchr(c->name, '/');
    base = base != NULL ? base + 1 : c->name;
    a->title = art_oneline(c, base, strcspn(base, "."));
    if (a->title == NULL)
        a->title = "Untitled";
    a->from.title = "file name (no headline found)";
    art_warn(c, "no headline found; the title is the file name");
}

/* The author: a byline, a part of the date line, a bare name next to the date. */
static void
find_author(struct scrape *sc)
{
    struct ctx *c = sc->c;
    struct article *a = c->a;
    struct unit *u = sc->u;
    size_t hdate = sc->hdate, body = sc->rs;

    if (sc->hbyline != SIZE_MAX && u[sc->hbyline].author != NULL) {
        a->author = art_oneline(c, u[sc->hbyline].author, strlen(u[sc->hbyline].author));
        a->from.author = art_fmt(c, "text line %d (byline)", u[sc->hbyline].line);
    } else if (hdate != SIZE_MAX && hdate < body && u[hdate].author != NULL) {
        a->author = art_oneline(c, u[hdate].author, strlen(u[hdate].author));
        a->from.author = art_fmt(c, "text line %d (byline on the date line)", u[hdate].line);
    }
    /* A bare name right next to the date, which is not a publication: the author.  CJK
     * has no capitals, so a short CJK line there ("国内新闻") may as well be a label. */
    for (int k = -1; k <= 1 && a->author == NULL && hdate != SIZE_MAX && hdate < body; k += 2) {
        size_t j = hdate + (size_t)k;
        struct unit *n;

        if ((k < 0 && hdate == 0) || j >= body || j == sc->title)
            continue;
        n = &u[j];
        if (n->role != R_NONE || n->repeat > 1 ||
            (n->f & (U_NOISE | META_FLAGS | U_TERMINAL)) || n->words < 2 || n->words > 4 ||
            !is_name(n->s, n->n) || has_cjk(n->s, n->n) || has_media_word(n->s, n->n) ||
            strncmp(n->s, "The ", 4) == 0 || (sc->src != NULL && strcmp(sc->src, n->s) == 0))
            continue;
        a->author = art_oneline(c, n->s, n->n);
        a->from.author = art_fmt(c, "text line %d (a name next to the date)", n->line);
        n->role = R_META;
        n->why = "byline";
    }
}

/* A line that is the page's address, as a person pastes it above or below the text:
 * "https://...", or "URL: https://..." / "Source: https://..." (one short label). */
static void
find_url_line(struct scrape *sc)
{
    struct ctx *c = sc->c;

    for (size_t i = 0; i < sc->nu && c->a->url == NULL; i++) {
        struct unit *u = &sc->u[i];
        const char *p = u->s, *colon;

        if (u->role != R_NONE || (i >= sc->rs && i + 3 < sc->nu))
            continue;                       /* above the text, or among the last lines */
        if ((colon = strstr(p, ": http")) != NULL && memchr(p, ' ', (size_t)(colon - p)) ==
            NULL && colon - p <= 12)
            p = colon + 2;
        if (memchr(p, ' ', u->n - (size_t)(p - u->s)) != NULL || !text_is_web_address(p))
            continue;
        c->a->url = art_oneline(c, p, strlen(p));
        c->a->from.url = art_fmt(c, "text line %d", u->line);
        u->role = R_META;
        u->why = "the page's address";
    }
}

/* The fields from the lines chosen. */
static void
set_fields(struct scrape *sc)
{
    struct ctx *c = sc->c;
    struct article *a = c->a;
    struct unit *u = sc->u;

    if (sc->title != SIZE_MAX) {
        u[sc->title].role = R_TITLE;
        title_and_site(sc);
    }
    for (size_t i = sc->rs; i < sc->nu && sc->src == NULL; i++)
        if (u[i].role == R_PARA) {
            if ((sc->src = dateline_source(sc, u[i].s)) != NULL)
                sc->src_line = u[i].line;
            break;
        }
    if (sc->src != NULL) {
        a->source = art_oneline(c, sc->src, strlen(sc->src));
        for (size_t i = 0; i < sc->nu && sc->src_line == 0; i++)
            if (u[i].src == sc->src || u[i].s == sc->src)
                sc->src_line = u[i].line;
        a->from.source = art_fmt(c, "text line %d", sc->src_line);
    }
    if (sc->srcunit != NULL)
        for (size_t i = 0; i < sc->nu; i++)
            if (u[i].role == R_NONE && strcmp(u[i].s, sc->srcunit) == 0) {
                u[i].role = R_META;
                u[i].why = "source";
            }
    find_author(sc);
    find_url_line(sc);
    find_dateline(sc);
    if (sc->hdate != SIZE_MAX) {
        const struct unit *d = &u[sc->hdate];

        a->date = art_oneline(c, d->s + d->da, d->db - d->da);
        memcpy(a->date_iso, d->iso, sizeof(a->date_iso));
        a->from.date = art_fmt(c, "text line %d (date line)", d->line);
    }
    if (sc->dek != SIZE_MAX) {
        u[sc->dek].role = R_SUMMARY;
        a->summary = art_oneline(c, u[sc->dek].s, u[sc->dek].n);
        a->from.summary = art_fmt(c, "text line %d (standfirst)", u[sc->dek].line);
    }
    if (sc->lang >= 0)
        a->language = lang_codes[sc->lang];
}

/* A short paragraph that reads like an author's bio: a name (two words), then one of the
 * bio_line phrases ("Jane Doe is a reporter at ..."). */
static bool
is_bio_line(struct scrape *sc, const struct unit *u)
{
    size_t sp1, sp2;
    const char *low;

    if (u->words < 4 || u->words >= BIO_MAX_WORDS)
        return false;
    sp1 = strcspn(u->s, " ");
    if (sp1 >= u->n)
        return false;
    sp2 = sp1 + 1 + strcspn(u->s + sp1 + 1, " ");
    if (sp2 > u->n || !is_name(u->s, sp2))
        return false;
    low = fold_line(sc, u->s, u->n);
    return match_any(bio_line, ARRAY_LEN(bio_line), low, strlen(low));
}

/* A last paragraph that starts with the author's name ("Rachel Okafor is a former
 * editor...") or reads like a bio is the author's bio, not the article. */
static void
trim_bio(struct scrape *sc)
{
    const char *au = sc->c->a->author;
    size_t k = au != NULL ? strlen(au) : 0;

    for (size_t i = sc->nu; i-- > sc->rs; ) {
        struct unit *u = &sc->u[i];

        if (u->role != R_PARA)
            continue;
        if (((k > 0 && u->n > k + 1 && memcmp(u->s, au, k) == 0 && u->s[k] == ' ' &&
            u->words < BIO_MAX_WORDS) || is_bio_line(sc, u)) && i != sc->rs) {
            u->role = R_NONE;
            u->why = "author bio";
        }
        return;
    }
}

/* Why a line that is not part of the article was dropped. */
static const char *
drop_reason(const struct scrape *sc, size_t i)
{
    const struct unit *u = &sc->u[i];

    if (u->why != NULL)
        return u->why;
    if (u->f & U_DATE)
        return i == sc->hdate ? "date" : "another date";
    if (u->f & U_BYLINE)
        return "byline";
    if (u->f & U_SRCLABEL)
        return "source";
    if (i < sc->rs)
        return u->cls == C_SHORT ? "header: short line above the text" :
            "header: text above the article";
    if (i >= sc->re)
        return u->cls == C_SHORT ? "footer: short line below the text" :
            "footer: text below the article";
    return "inside the text: a short line not between paragraphs";
}

static void
emit(struct scrape *sc)
{
    struct ctx *c = sc->c;

    for (size_t i = 0; i < sc->nu; i++) {
        const struct unit *u = &sc->u[i];

        if (u->role == R_PARA)
            art_add_para(c, u->s, u->n);
        else if (u->role != R_TITLE && u->role != R_SUMMARY)
            art_add_noise(c, u->s, u->n, u->line, drop_reason(sc, i));
    }
}

/*
 * A line of program code or of a text table: brackets, operators and box-drawing
 * characters make up a good share of it ("SELECT avg(n)", "});", "──┼──").  Menus and
 * breadcrumbs use | > and / and are not code.
 */
static bool
is_code_line(const char *s, size_t n)
{
    size_t sym = 0, chars = 0;

    if (n > 2 && s[0] == '$' && s[1] == ' ')
        return true;                                    /* a shell prompt */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == ' ' || (c & 0xc0) == 0x80)
            continue;
        chars++;
        if (strchr("{}[]();=_\\", c) != NULL && c != '\0')
            sym++;
        else if (c == 0xe2 && i + 1 < n && ((unsigned char)s[i + 1] == 0x94 ||
            (unsigned char)s[i + 1] == 0x95))
            sym++;                                      /* U+2500..U+257F */
    }
    return sym > 0 && sym * 16 >= chars;
}

/* Can line i be code?  Not text, not boilerplate a lexicon named. */
static bool
code_candidate(const struct unit *u)
{
    return u->cls != C_GOOD && !(u->f & META_FLAGS) && (u->why == NULL ||
        strcmp(u->why, "no words") == 0 || strcmp(u->why, "numbers, not text") == 0 ||
        strcmp(u->why, WHY_BRACKETED) == 0);
}

/*
 * The cells of a table, one per line: a run of at least TABLE_MIN_CELLS short lines of
 * which many hold numbers ("4.2.3", "April 2014", "63").  Like code, neither text nor
 * noise.
 */
static void
mark_tables(struct scrape *sc)
{
    struct unit *u = sc->u;

    for (size_t i = 0; i < sc->nu; ) {
        size_t j = i, digits = 0, phrases = 0;

        while (j < sc->nu && code_candidate(&u[j]) && u[j].words <= TABLE_CELL_WORDS) {
            phrases += u[j].words >= 2;
            /* a bare "3." numbers a list (of links, often), it is no datum */
            digits += strpbrk(u[j].s, "0123456789") != NULL && u[j].s[u[j].n - 1] != '.';
            j++;
        }
        /* the labels of a chart ("$900", "600", "'17") are single words */
        if (j - i >= TABLE_MIN_CELLS && digits * 5 >= (j - i) * 2 && phrases * 4 >= j - i)
            for (size_t k = i; k < j; k++)
                u[k].f |= U_CODE;
        i = j > i ? j : i + 1;
    }
}

/* Code lines, and the short lines between them ("SELECT", "FROM"): out of the classes. */
static void
mark_code(struct scrape *sc)
{
    struct unit *u = sc->u;

    for (size_t i = 0; i < sc->nu; i++)
        if (code_candidate(&u[i]) && is_code_line(u[i].s, u[i].n))
            u[i].f |= U_CODE;
    /* a keyword or a column name next to code is code; a Title Case label is not */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < sc->nu; i++)
            if (!(u[i].f & U_CODE) && code_candidate(&u[i]) && u[i].words <= 3 &&
                (u[i].words <= 1 || u[i].caps < u[i].words) && ((i > 0 &&
                (u[i - 1].f & U_CODE)) || (i + 1 < sc->nu && (u[i + 1].f & U_CODE))))
                u[i].f |= U_CODE;
    mark_tables(sc);
    for (size_t i = 0; i < sc->nu; i++)
        if (u[i].f & U_CODE) {
            u[i].f &= ~(unsigned)U_NOISE;
            u[i].why = NULL;
            u[i].cls = C_SHORT;
        }
}

/* The page read into classified lines. */
static int
scrape_lines(struct scrape *sc, const char *text, size_t len)
{
    struct buf utf;

    buf_init(&utf, ARTICLE_MAX_BYTES * 4);
    /* scraped pages are not always UTF-8: read invalid sequences as Windows-1252 */
    if (text_utf8_repair(&utf, text, len, false) == -1) {
        buf_fini(&utf);
        diag_set(sc->c->d, EX_DATAERR, "the text is too large");
        return -1;
    }
    split_units(sc, buf_str(&utf), utf.len);
    buf_fini(&utf);
    detect_language(sc);
    for (size_t i = 0; i < sc->nu; i++)
        classify(sc, &sc->u[i], i < META_HEAD_UNITS || sc->nu - i <= META_TAIL_UNITS);
    mark_code(sc);
    count_repeats(sc, sc->nu, false);
    for (size_t i = 0; i < sc->nu; i++) {
        struct unit *u = &sc->u[i];

        /* A short line the page repeats is a menu or a label; a long one stays text. */
        if (u->repeat > 1 && u->words < 12 && u->cls != C_BAD && !(u->f & U_CODE)) {
            u->cls = C_BAD;
            u->why = "repeated line (menu, label)";
        }
    }
    revise_classes(sc);
    return 0;
}

/* Without any paragraph: every line of three words or more that is not boilerplate; on
 * a page of shorter lines, every line that is not boilerplate. */
static bool
fallback_region(struct scrape *sc)
{
    bool any = false;
    int min = 3;

    for (size_t i = 0; i < sc->nu && min > 1; i++)
        if (sc->u[i].cls != C_BAD && sc->u[i].words >= 3)
            break;
        else if (i + 1 == sc->nu)
            min = 1;
    for (size_t i = 0; i < sc->nu; i++) {
        struct unit *u = &sc->u[i];

        if (u->cls == C_BAD || u->words < min)
            continue;
        if (!any)
            sc->rs = i;
        sc->re = i + 1;
        u->cls = C_GOOD;
        any = true;
    }
    if (any)
        art_warn(sc->c, "no line reads like running text; kept every line that is not "
            "boilerplate");
    return any;
}

int
art_parse_text(struct ctx *c, const char *text, size_t len)
{
    struct scrape sc = { .c = c, .scratch = ARENA_INIT, .lang = -1, .dek = SIZE_MAX,
        .title = SIZE_MAX, .hdate = SIZE_MAX, .hbyline = SIZE_MAX };
    bool have_hdr = false;
    struct value *fm = NULL;
    size_t skip;
    int rc = -1;

    /* Front matter pasted above the page corrects what extraction finds. */
    if (art_text_front_matter(c, text, len, &fm, &skip, &sc.lineoff) == -1)
        goto out;
    if (scrape_lines(&sc, text + skip, len - skip) == -1)
        goto out;
    if (!best_region(&sc, &sc.rs, &sc.re) && !fallback_region(&sc)) {
        diag_set(c->d, EX_DATAERR, "no article text found: no line reads like text "
            "(sentences ending in . ! ? or 。)");
        goto out;
    }
    trim_head(&sc);
    find_dek(&sc);
    mark_paragraphs(&sc);
    count_repeats(&sc, sc.rs, true);
    header_init(&sc.hdr, &sc, sc.rs);
    have_hdr = true;
    for (size_t i = sc.rs > TITLE_WINDOW ? sc.rs - TITLE_WINDOW : 0; i < sc.rs &&
        sc.hbyline == SIZE_MAX; i++)
        if (sc.u[i].f & U_BYLINE)
            sc.hbyline = i;
    find_title(&sc);
    find_summary(&sc);
    find_date_line(&sc);
    find_source(&sc);
    set_fields(&sc);
    trim_bio(&sc);
    if (fm != NULL && art_apply_front_matter(c, fm) == -1)
        goto out;
    if (c->a->title == NULL)
        fallback_title(&sc);
    emit(&sc);
    rc = art_plain_bodies(c);
out:
    value_free(fm);
    if (have_hdr)
        header_fini(&sc.hdr);
    free(sc.u);
    arena_fini(&sc.scratch);
    return rc;
}

/* ------------------------------------------------------------------------------------ */
/* The classifier as the HTML reader asks it: one block of text at a time. */

struct art_lines {
    struct scrape sc;
    struct ctx c;
    struct article_opts o;
    struct stopset ss;
};

struct art_lines *
art_lines_new(const char *lang)
{
    struct art_lines *l = xcalloc(1, sizeof(*l));

    l->c.o = &l->o;
    l->sc.c = &l->c;
    l->sc.scratch = (struct arena)ARENA_INIT;
    l->sc.lang = -1;
    for (int i = 0; lang != NULL && i < L_COUNT; i++)
        if (ascii_strncasecmp(lang, lang_codes[i], 2) == 0 && !IS_ALPHA(lang[2]))
            l->sc.lang = i;
    l->sc.order = l->sc.lang >= 0 && lang_day_first[l->sc.lang] ? NEWSDATE_DAY_FIRST :
        NEWSDATE_ANY;
    stopset_init(&l->ss);
    return l;
}

void
art_lines_free(struct art_lines *l)
{
    if (l == NULL)
        return;
    arena_fini(&l->sc.scratch);
    free(l);
}

void
art_lines_classify(struct art_lines *l, const char *s, size_t n, struct art_line *out)
{
    struct unit u = { 0 };

    u.s = arena_strndup(&l->sc.scratch, s, n);
    u.n = n;
    count_stops(&l->ss, u.s, u.n, u.stop);
    classify(&l->sc, &u, true);
    memset(out, 0, sizeof(*out));
    out->cls = u.cls;
    out->words = u.words;
    out->terminal = (u.f & U_TERMINAL) != 0;
    out->prose = (u.f & U_PROSE) != 0;
    out->meta = (u.f & META_FLAGS) != 0;
    out->end = (u.f & U_END) != 0;
    out->bio = is_bio_line(&l->sc, &u);
    out->why = u.why != NULL ? u.why : out->meta ? "date, byline or source line" :
        out->bio ? "author bio" : NULL;
}
