#!/usr/bin/env bash
# serve_attach.sh - attachments in the browser (capa serve): several files in one
# multipart/form-data upload (read by libmicrohttpd's post processor), the case page's
# thumbnails and download links (Content-Type from the engine's sniffing, Content-Disposition
# with the original name, RFC 5987 for non-ASCII), the store's limit shown before upload; the
# engine's checks as `capa attach` has them (capa_case_attach_all_bound: all files or none),
# each refusal a page with the reason and the store exactly as before: a role that may not attach (403), no or a
# wrong CSRF token (403), no session (sign-in), a closed case, an empty file, a file over the
# limit, a body over twice the limit (413 before it is read), no boundary, too many parts,
# a name with a directory or markup; and verify replaying it all.
source "$(dirname "$0")/common.bash"
source "$(dirname "$0")/serve.bash"
PY=/usr/bin/python3 # Debian's, with python3-pil
serve_init_users
as li 0 open customer=华东汽车 part_no=P-1 description=连锡 severity=major qty_affected=5
N1=$OUT
as li 0 open customer=南方家电 part_no=P-2 description=d severity=general qty_affected=1
N2=$OUT
$PY - "$T" <<'PY'
import sys
from PIL import Image
Image.new("RGB", (640, 480), (200, 30, 30)).save(sys.argv[1] + "/photo.jpg", quality=80)
Image.new("RGB", (64, 48), (30, 30, 200)).save(sys.argv[1] + "/blue.png")
open(sys.argv[1] + "/8d.pdf", "wb").write(b"%PDF-1.4\n" + bytes(range(256)) * 4)
open(sys.argv[1] + "/empty.jpg", "wb").close()
PY
run 0 "$(pw admin)" config attach-limit 100000 --as admin --password-stdin
serve_start
state() { # the store's attachments and audit trail, to show a refusal changed nothing
    "$CAPA" show "$N1" --json >"$T/state.json"
    "$CAPA" log "$N1" >>"$T/state.json" 2>&1 || true
    sha256sum <"$T/state.json"
}
page_csrf() { req "$2" -b "$1" "$B/cases/$N1"; want 200 "$2"; CS=$(csrf "$2"); }

login li "$T/li.jar"
page_csrf "$T/li.jar" c0
# The form: camera and files, the stages li may attach to, the limit before any upload.
has c0 'enctype="multipart/form-data"'
has c0 "action=\"/cases/$N1/attachments\""
has c0 'accept="image/*" capture="environment" multiple'
has c0 'name="stage"'
has c0 '97.7 KiB'
has c0 'data-limit="100000"'

# -- several files in one upload -----------------------------------------------------------
req up1 -b "$T/li.jar" -F "csrf=$CS" -F stage=intake -F 'note=来料 <b>照片</b>' \
    -F "files=@$T/photo.jpg;filename=现场 照片.jpg" -F "files=@$T/blue.png" \
    -F "files=@$T/8d.pdf;filename=C:\\fakepath\\<img src=x onerror=alert(1)>.pdf" \
    -F "files=;filename=" "$B/cases/$N1/attachments"
want 303 up1
has up1.h "Location: /cases/$N1#attachments"
run 0 "" show "$N1" --json
json "[(a['name'], a['mime'], a['stage'], a['user'], a['note']) for a in d['attachments']] == [
    ('现场 照片.jpg', 'image/jpeg', 'intake', 'li', '来料 <b>照片</b>'),
    ('blue.png', 'image/png', 'intake', 'li', '来料 <b>照片</b>'),
    ('<img src=x onerror=alert(1)>.pdf', 'application/pdf', 'intake', 'li', '来料 <b>照片</b>')]"
JPG=$(sha256sum <"$T/photo.jpg" | cut -d' ' -f1)
PNG=$(sha256sum <"$T/blue.png" | cut -d' ' -f1)
PDF=$(sha256sum <"$T/8d.pdf" | cut -d' ' -f1)

# The case page: a thumbnail of each image, a link for every file, names escaped.
req c1 -b "$T/li.jar" "$B/cases/$N1"; want 200 c1
has c1 "<img class=\"app-thumb\" src=\"/cases/$N1/attachments/$JPG?inline=1\" alt=\"现场 照片.jpg\""
has c1 "src=\"/cases/$N1/attachments/$PNG?inline=1\""
has c1 "href=\"/cases/$N1/attachments/$PDF\""
has c1 '&lt;img src=x onerror=alert(1)&gt;.pdf'
lacks c1 '<img src=x'
has c1 '来料 &lt;b&gt;照片&lt;/b&gt;'

# Downloads: the same bytes, the engine's type, the original name (RFC 5987 when not ASCII).
req d1 -b "$T/li.jar" "$B/cases/$N1/attachments/$JPG"; want 200 d1
cmp -s "$T/d1" "$T/photo.jpg" || fail "downloaded JPEG differs"
has d1.h 'Content-Type: image/jpeg'
has d1.h "Content-Disposition: attachment; filename=\"______ ______.jpg\"; filename*=UTF-8''%E7%8E%B0%E5%9C%BA%20%E7%85%A7%E7%89%87.jpg"
req d2 -b "$T/li.jar" "$B/cases/$N1/attachments/$PNG?inline=1"; want 200 d2
has d2.h 'Content-Type: image/png'
has d2.h 'Content-Disposition: inline; filename="blue.png"'
has d2.h 'X-Content-Type-Options: nosniff'
req d3 -b "$T/li.jar" "$B/cases/$N1/attachments/$PDF?inline=1"; want 200 d3
cmp -s "$T/d3" "$T/8d.pdf" || fail "downloaded PDF differs"
has d3.h 'Content-Disposition: attachment; filename="<img src=x onerror=alert(1)>.pdf"'
req d4 -b "$T/li.jar" "$B/cases/$N1/attachments/$(printf '%064d' 0)"; want 404 d4
req d5 -b "$T/li.jar" "$B/cases/$N1/attachments/nothex"; want 400 d5
req d6 "$B/cases/$N1/attachments/$JPG"; want 303 d6 # no session: sign in
req d7 -b "$T/li.jar" -X DELETE "$B/cases/$N1/attachments/$JPG"; want 405 d7
has d7.h 'Allow: GET, HEAD'

# -- refusals: a page with the reason, the store as before ---------------------------------
BEFORE=$(state)
refused() { # NAME STATUS TEXT: the page says TEXT, nothing changed
    want "$2" "$1"
    has "$1" "$3"
    [[ $(state) == "$BEFORE" ]] || fail "$1: the store changed"
}
login zhou "$T/zhou.jar"
req cz -b "$T/zhou.jar" "$B/cases/$N1"; want 200 cz
lacks cz 'app-upload' # an auditor is offered no upload
req r1 -b "$T/zhou.jar" -F "csrf=$(csrf cz)" -F "files=@$T/blue.png" "$B/cases/$N1/attachments"
refused r1 403 '您的角色（审核员）不能向“品质异常反馈”阶段添加附件：附件由填写或签核该阶段的人添加'
has r1 'may not attach files to the stage Quality complaint intake: attachments come from those who fill it in or sign it'
req r2 -b "$T/li.jar" -F "files=@$T/blue.png" "$B/cases/$N1/attachments"
refused r2 403 '页面已过期（安全令牌不符）：请刷新页面后重试 / Missing or wrong CSRF token'
req r3 -b "$T/li.jar" -F "csrf=$(printf '%064d' 0)" -F "files=@$T/blue.png" "$B/cases/$N1/attachments"
refused r3 403 '页面已过期（安全令牌不符）：请刷新页面后重试 / Missing or wrong CSRF token'
req r4 -F "csrf=$CS" -F "files=@$T/blue.png" "$B/cases/$N1/attachments"
want 303 r4
has r4.h 'Location: /login'
[[ $(state) == "$BEFORE" ]] || fail "r4: the store changed"
req r5 -b "$T/li.jar" -F "csrf=$CS" -F "files=@$T/empty.jpg" "$B/cases/$N1/attachments"
refused r5 400 "文件“empty.jpg”是空的（0 字节） / The file 'empty.jpg' is empty (0 bytes)"
# A good file before an empty one: refused before anything is attached.
req r6 -b "$T/li.jar" -F "csrf=$CS" -F "files=@$T/blue.png;filename=ok.png" -F "files=@$T/empty.jpg" "$B/cases/$N1/attachments"
refused r6 400 '是空的（0 字节）'
head -c 100001 /dev/urandom >"$T/big.bin"
req r7 -b "$T/li.jar" -F "csrf=$CS" -F "files=@$T/blue.png;filename=ok.png" -F "files=@$T/big.bin" "$B/cases/$N1/attachments"
refused r7 413 "文件“big.bin”过大（100001 字节），附件上限为 100000 字节：请联系系统管理员调整上限"
has r7 "The file 'big.bin' is too large (100001 bytes); the limit is 97.7 KiB (100000 bytes): ask the administrator to raise it（所有文件均未添加 / nothing was attached）"
head -c 500000 /dev/urandom >"$T/huge.bin" # over 2 x limit + 256 KiB: answered from Content-Length
req r8 -b "$T/li.jar" -F "csrf=$CS" -F "files=@$T/huge.bin" "$B/cases/$N1/attachments"
refused r8 413 '请求内容超过 462144 字节，未处理 / Request body over 462144 bytes'
# ... and while reading when chunked (no Content-Length)
req r9 -b "$T/li.jar" -H 'Transfer-Encoding: chunked' -F "csrf=$CS" -F "files=@$T/huge.bin" "$B/cases/$N1/attachments"
refused r9 413 '请求内容超过 462144 字节，未处理 / Request body over 462144 bytes'
req r10 -b "$T/li.jar" -H 'Content-Type: multipart/form-data' --data-binary "csrf=$CS" "$B/cases/$N1/attachments"
refused r10 400 '需要通过上传表单提交文件：请在页面上选择文件后再提交 / Expected a file upload (multipart/form-data)'
req r11 -b "$T/li.jar" -H 'Content-Type: application/x-www-form-urlencoded' --data-binary "csrf=$CS" "$B/cases/$N1/attachments"
refused r11 400 '需要通过上传表单提交文件：请在页面上选择文件后再提交 / Expected a file upload (multipart/form-data)'
args=()
for i in $(seq 70); do args+=(-F "f$i=x"); done
req r12 -b "$T/li.jar" -F "csrf=$CS" "${args[@]}" "$B/cases/$N1/attachments"
refused r12 413 '上传表单的部分超过 64 个 / More than 64 form parts'
args=()
for i in $(seq 17); do args+=(-F "files=@$T/blue.png;filename=b$i.png"); done
req r13 -b "$T/li.jar" -F "csrf=$CS" "${args[@]}" "$B/cases/$N1/attachments"
refused r13 413 '一次最多上传 16 个文件 / More than 16 files in one upload'
req r14 -b "$T/li.jar" -F "csrf=$CS" -F "note=$(head -c 9000 /dev/zero | tr '\0' n)" -F "files=@$T/blue.png" "$B/cases/$N1/attachments"
refused r14 413 "表单项“note”超过 8192 字节 / The form field 'note' is longer than 8192 bytes"
req r15 -b "$T/li.jar" -F "csrf=$CS" -F "files=;filename=" "$B/cases/$N1/attachments"
refused r15 400 '请选择要上传的文件 / Please choose a file to upload'
req r16 -b "$T/li.jar" -F "csrf=$CS" -F stage=nowhere -F "files=@$T/blue.png" "$B/cases/$N1/attachments"
refused r16 400 "“nowhere”不是本案流程中的阶段 / 'nowhere' is not a stage of the case's workflow"
lacks r16 '--stage' # a page names no command-line option
req r17 -b "$T/li.jar" -F "csrf=$CS" -F stage=analysis -F "files=@$T/blue.png" "$B/cases/$N1/attachments"
refused r17 409 '本案尚未到达“原因分析”阶段，不能向该阶段添加附件'
# A body cut off inside a part: malformed, nothing attached.
BOUND=xyzBOUNDARY
printf -- "--$BOUND\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n$CS\r\n--$BOUND\r\nContent-Disposition: form-data; name=\"files\"; filename=\"cut.png\"\r\n\r\n" >"$T/cut.body"
cat "$T/blue.png" >>"$T/cut.body"
req r18 -b "$T/li.jar" -H "Content-Type: multipart/form-data; boundary=$BOUND" --data-binary "@$T/cut.body" "$B/cases/$N1/attachments"
refused r18 400 '上传的内容不完整或格式有误：请重新上传 / The upload is not a well-formed multipart/form-data body'
# A name with control characters: the engine's rule, as `capa attach` says it.
req r19 -b "$T/li.jar" -F "csrf=$CS" -F "files=@$T/blue.png;filename=a$(printf '\033')b.png" "$B/cases/$N1/attachments"
want 400 r19
has r19 '「文件名」含有不允许的控制字符或隐藏字符'; has r19 'File name contains a character that is not allowed'
[[ $(state) == "$BEFORE" ]] || fail "r19: the store changed"
# Several files, the engine refusing a later one (a name over 255 bytes, or with a control
# character): all or none - the good ones before it are not attached either.
LONG=$(printf 'n%.0s' $(seq 300)).png
req r19b -b "$T/li.jar" -F "csrf=$CS" -F "files=@$T/blue.png;filename=first.png" \
    -F "files=@$T/photo.jpg;filename=second.jpg" -F "files=@$T/blue.png;filename=$LONG" "$B/cases/$N1/attachments"
refused r19b 400 '1 to 255 bytes, without a directory（所有文件均未添加 / nothing was attached）'
req r19c -b "$T/li.jar" -F "csrf=$CS" -F "files=@$T/photo.jpg;filename=first.jpg" \
    -F "files=@$T/blue.png;filename=a$(printf '\033')b.png" "$B/cases/$N1/attachments"
want 400 r19c; has r19c 'nothing was attached'
[[ $(state) == "$BEFORE" ]] || fail "r19c: the store changed"

# A closed case takes none (the engine's rule); its page offers no upload.
as li 0 set "$N2" validity=invalid containment=无
as wang 0 sign "$N2" --meaning reviewed
as wang 0 set "$N2" customer_reply=已回复 lessons_learned=无
as chen 0 sign "$N2" --meaning closed
run 0 "" show "$N2" --json
json "d['closed']"
req cc -b "$T/li.jar" "$B/cases/$N2"; want 200 cc
lacks cc 'app-upload'
req r20 -b "$T/li.jar" -F "csrf=$CS" -F "files=@$T/blue.png" "$B/cases/$N2/attachments"
want 409 r20
has r20 '本案已于'; has r20 '结案，归档后只读'

# Everything attached replays.
run 0 "" verify
echo "serve_attach: ok"
