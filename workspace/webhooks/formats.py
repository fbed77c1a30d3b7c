"""Request bodies per endpoint format.

`standard` posts `{"type", "timestamp", "data": <envelope>}` with the Standard
Webhooks headers. The chat bots get readable text in the workspace's
language in each platform's incoming-webhook shape:
- DingTalk: `{"msgtype": "markdown", "markdown": {"title", "text"}}`, signed
  in the query string (`&timestamp=<ms>&sign=`);
- Feishu: `{"msg_type": "post", "content": {"post": {"zh_cn"|"en_us":
  {"title", "content": [[{"tag": "text"|"a", ...}]]}}}}` with `timestamp`
  (seconds) and `sign` in the body;
- WeCom: `{"msgtype": "markdown", "markdown": {"content"}}`, unsigned (the
  key is in the URL).
Several events may share one bot message when the rate limit is near.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from workspace.events.presentation import present
from workspace.fields import iso_utc
from workspace.i18n import gettext as _
from workspace.i18n import in_locale
from workspace.safe_text import for_markdown, one_line
from workspace.webhooks.signing import dingtalk_query, feishu_sign, standard_headers

BOT_FORMATS = ("dingtalk", "feishu", "wecom")
# Platforms' documented limit per bot per minute (DingTalk, WeCom: 20).
RATE_LIMITS = {"dingtalk": 20, "wecom": 20, "feishu": 100}


@dataclass
class Request:
    url: str
    body: bytes
    headers: dict[str, str]


def standard_request(
    url: str, message_id: str, envelope: dict[str, Any], secrets_: list[str]
) -> Request:
    now = datetime.now(UTC)
    payload = {
        "type": envelope["type"],
        "timestamp": iso_utc(now, timespec="seconds"),
        "data": envelope,
    }
    body = _json(payload, separators=(",", ":"))
    return Request(url, body.encode(), standard_headers(message_id, body, secrets_, now))


def bot_request(
    fmt: str,
    url: str,
    secret: str | None,
    envelopes: list[dict[str, Any]],
    workspace_title: str,
    locale: str,
    public_url: str,
) -> Request:
    with in_locale(locale):
        title = one_line(f"{workspace_title} · JointLab")
        lines = [present(e, public_url)[:2] for e in envelopes]
        open_label = _("Open in JointLab")
    # People's text goes into Markdown escaped and on one line: a title cannot
    # become a link, a heading or a quote in the group chat.
    md_title = for_markdown(title)
    md_lines = [(for_markdown(s), u) for s, u in lines]
    if fmt == "dingtalk":
        text = f"#### {md_title}\n\n" + "\n\n".join(
            f"- {s} [{open_label}]({u})" for s, u in md_lines
        )
        body: dict[str, Any] = {
            "msgtype": "markdown",
            "markdown": {"title": lines[0][0][:64], "text": text},
        }
        if secret:
            url += ("&" if "?" in url else "?") + dingtalk_query(secret, int(time.time() * 1000))
    elif fmt == "feishu":
        content = [
            [{"tag": "text", "text": f"{s} "}, {"tag": "a", "text": open_label, "href": u}]
            for s, u in lines
        ]
        lang = "zh_cn" if locale == "zh-CN" else "en_us"
        body = {
            "msg_type": "post",
            "content": {"post": {lang: {"title": title, "content": content}}},
        }
        if secret:
            ts = int(time.time())
            body = {"timestamp": str(ts), "sign": feishu_sign(secret, ts), **body}
    elif fmt == "wecom":
        text = f"**{md_title}**\n" + "\n".join(f"> {s} [{open_label}]({u})" for s, u in md_lines)
        body = {"msgtype": "markdown", "markdown": {"content": text}}
    else:  # pragma: no cover - formats are validated at creation
        raise ValueError(f"unknown format {fmt}")
    return Request(url, _json(body).encode(), {})


def _json(payload: Any, **options: Any) -> str:
    """Readable UTF-8 JSON; text that is not valid Unicode (a lone surrogate
    stored by an older version) is sent \\u-escaped instead of failing."""
    text = json.dumps(payload, ensure_ascii=False, **options)
    try:
        text.encode()
    except UnicodeEncodeError:
        text = json.dumps(payload, ensure_ascii=True, **options)
    return text


def bot_error(fmt: str, response_body: str) -> str | None:
    """Bots answer 200 with an error code in the body (bad signature, too
    fast, keyword missing); that is a failed delivery."""
    try:
        answer = json.loads(response_body)
    except ValueError:
        return None
    if not isinstance(answer, dict):
        return None
    code = answer.get("errcode", answer.get("code", answer.get("StatusCode", 0)))
    if code in (0, None, "0"):
        return None
    message = answer.get("errmsg") or answer.get("msg") or answer.get("StatusMessage") or ""
    return f"{fmt} answered error {code}: {message}"[:500]
