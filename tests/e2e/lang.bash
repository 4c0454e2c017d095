# lang.bash - sourced by the e2e tests of wording (lang_words.sh, serve_words.sh): whether a
# sentence is 中文 only or English only, and a page's alert text (lang_errors.sh too).
# zh_text TEXT: Chinese, and no English word once the quoted values (“…”), options with their
# placeholders (--map MAPPING, -o FILE) and a marked technical detail are set aside.
zh_text() {
    python3 - "$1" <<'PY' || fail "not 中文 only: $1"
import re, sys
t = sys.argv[1]
t = re.sub(r"技术细节（英文原文）：[^；]*", "", t)
t = re.sub(r"“[^”]*”", "", t)
t = re.sub(r"(?<![A-Za-z])--?[a-z][a-z-]*( [A-Z][A-Za-z.|-]*)?", "", t)
t = re.sub(r"\bcapa( [a-z]+)+|\b(recurrence-days|attach-limit)\b", "", t)  # command words
ok = {"UTF", "SHA", "Excel", "xlsx", "csv", "json", "pdf", "ISO", "DOCTYPE", "XML", "http",
      "https", "CAPA_PG", "capa"}  # capa: the product's name
words = [w for w in re.findall(r"[A-Za-z_]{2,}", t) if w not in ok]
sys.exit(0 if re.search(r"[\u4e00-\u9fff]", t) and not words else 1)
PY
}
# en_text TEXT: English, and no Chinese outside the quoted values and names.
en_text() {
    python3 - "$1" <<'PY' || fail "not English: $1"
import re, sys
t = re.sub(r"'[^']*'", "", sys.argv[1])
sys.exit(0 if re.search(r"[A-Za-z]{3,}", t) and not re.search(r"[\u4e00-\u9fff]", t) else 1)
PY
}
# alert NAME: the text of each error alert of the page $T/NAME
alert() {
    python3 - "$T/$1" <<'PY'
import html, re, sys
page = open(sys.argv[1], encoding="utf-8").read()
for m in re.finditer(r'<div class="alert alert-danger[^"]*"[^>]*>(.*?)</div>', page, re.S):
    print(html.unescape(re.sub(r"<[^>]+>", "", m.group(1))).strip())
PY
}
