"""Fixture sites built on a FixtureServer: a newspaper (feeds, sitemaps, article
pages, hostile pages, robots.txt) and the social-platform shapes."""

from __future__ import annotations

import gzip
import html
import json
import unicodedata
from datetime import datetime
from email.utils import format_datetime

from tests.crawlers.content import POSTS_EN, POSTS_VI, STORIES, Story
from tests.crawlers.server import FixtureServer, Route

ROBOTS = b"User-agent: *\nDisallow: /private/\n"
NAV = ("<nav class='menu'><a href='/'>Trang chủ</a> <a href='/thoi-su/'>Thời sự</a> "
       "<a href='/kinh-te/'>Kinh tế</a> <a href='/du-lich/'>Du lịch</a></nav>")
AD = "<div class='ads'>QUẢNG CÁO: Mua đất nền giá rẻ, gọi ngay 0909 000 000!</div>"
COMMENTS = ("<section class='comments'><h3>Bình luận</h3><div class='comment'>Bạn đọc "
            "Tư Sang: Bài viết quá hay, cảm ơn phóng viên!</div></section>")


def article_path(story: Story, section: str = "thoi-su") -> str:
    return f"/{section}/{story.slug}.html"


def article_html(base: str, story: Story, *, canonical: str | None = None,
                 section: str = "thoi-su") -> str:
    canon = canonical or base + article_path(story, section)
    paras = "\n".join(f"<p>{html.escape(p)}</p>" for p in story.paragraphs)
    lang = story.lang
    return f"""<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8">
<title>{html.escape(story.title)} | Báo Phù Sa Cần Thơ</title>
<link rel="canonical" href="{canon}">
<meta property="og:type" content="article">
<meta property="og:title" content="{html.escape(story.title)}">
<meta property="og:image" content="{base}/img/{story.slug}.jpg">
<meta property="article:published_time" content="{story.published}">
<meta name="author" content="{html.escape(story.author)}">
</head><body>
<header><div class="logo">Báo Phù Sa Cần Thơ</div>{NAV}</header>
{AD}
<main><article>
<h1>{html.escape(story.title)}</h1>
<div class="byline">{html.escape(story.author)} — <time datetime="{story.published}">{story.published[:10]}</time></div>
<figure><img src="/img/{story.slug}.jpg" alt="ảnh minh họa"><figcaption>Ảnh: PS</figcaption></figure>
{paras}
</article></main>
{COMMENTS}
<aside class="related"><h3>Tin liên quan</h3><ul><li><a href="/thoi-su/">Xem thêm</a></li></ul></aside>
<footer>© Báo Phù Sa Cần Thơ (hư cấu). Địa chỉ: đường Hòa Bình, Ninh Kiều.</footer>
</body></html>"""


def rfc822(iso: str) -> str:
    return format_datetime(datetime.fromisoformat(iso))


def rss(base: str, title: str, stories: list[tuple[str, Story]]) -> bytes:
    items = "".join(
        f"<item><title>{html.escape(s.title)}</title><link>{base}{path}?utm_source=rss</link>"
        f"<guid>{base}{path}</guid><pubDate>{rfc822(s.published)}</pubDate>"
        f"<description>{html.escape(s.paragraphs[0])}</description></item>"
        for path, s in stories)
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>{html.escape(title)}</title><link>{base}/</link>{items}"
            f"</channel></rss>").encode()


def atom(base: str, stories: list[tuple[str, Story]]) -> bytes:
    entries = "".join(
        f"<entry><title>{html.escape(s.title)}</title><link href='{base}{path}'/>"
        f"<id>{base}{path}</id><updated>{s.published}</updated>"
        f"<author><name>{html.escape(s.author)}</name></author>"
        f"<summary>{html.escape(s.paragraphs[0])}</summary></entry>"
        for path, s in stories)
    return (f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>Phù Sa English</title><id>{base}/en/</id><updated>2026-11-24T00:00:00Z"
            f"</updated>{entries}</feed>").encode()


def urlset(base: str, entries: list[tuple[str, str]], news: bool = False) -> bytes:
    ns = ' xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"' if news else ""
    body = []
    for path, when in entries:
        if news:
            body.append(f"<url><loc>{base}{path}</loc><news:news><news:publication>"
                        f"<news:name>Phù Sa</news:name><news:language>vi</news:language>"
                        f"</news:publication><news:publication_date>{when}"
                        f"</news:publication_date><news:title>x</news:title></news:news></url>")
        else:
            body.append(f"<url><loc>{base}{path}</loc><lastmod>{when}</lastmod></url>")
    return (f'<?xml version="1.0" encoding="UTF-8"?><urlset '
            f'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"{ns}>{"".join(body)}'
            f"</urlset>").encode()


def newspaper(srv: FixtureServer) -> dict[str, str]:
    """Install the newspaper; returns named URLs the tests use."""
    base = srv.base
    r = srv.routes
    r["/robots.txt"] = Route(ROBOTS, "text/plain")
    vi = [s for s in STORIES if s.lang == "vi"]
    en = [s for s in STORIES if s.lang == "en"]
    for i, s in enumerate(STORIES):
        section = "thoi-su" if s.lang == "vi" else "en"
        r[article_path(s, section)] = Route(
            article_html(base, s, section=section).encode(), etag=f'"{s.slug}-v1"',
            last_modified=rfc822(s.published) if i % 2 else None)
    # A page disallowed by robots.txt, linked from the feed.
    secret = Story("bao-cao-noi-bo", "vi", "Báo cáo nội bộ không công khai", "Ẩn danh",
                   "2026-11-24T10:00:00+07:00",
                   ("Trang này bị robots.txt chặn và không được phép thu thập." * 3,))
    r["/private/bao-cao-noi-bo.html"] = Route(article_html(base, secret).encode())
    feed_items = [(article_path(s), s) for s in vi] + [("/private/bao-cao-noi-bo.html", secret)]
    r["/rss/thoi-su.rss"] = Route(rss(base, "Phù Sa — Thời sự", feed_items),
                                  "application/rss+xml; charset=utf-8", etag='"feed-v1"')
    r["/en/atom.xml"] = Route(atom(base, [(article_path(s, "en"), s) for s in en]),
                              "application/atom+xml")
    # Search feed: answers only for the query "Cần Thơ" (URL-encoded by the source).
    r["/search/rss?q=C%E1%BA%A7n+Th%C6%A1"] = Route(
        rss(base, "Tìm kiếm: Cần Thơ", [(article_path(vi[0]), vi[0]), (article_path(en[1], "en"), en[1])]),
        "application/rss+xml")
    # Sitemaps: an index → a news sitemap (recent) + a monthly sitemap with an old page.
    old = Story("le-hoi-banh-dan-gian-2019", "vi", "Lễ hội bánh dân gian Nam Bộ năm 2019",
                "Võ Minh", "2019-04-02T08:00:00+07:00",
                ("Lễ hội bánh dân gian Nam Bộ được tổ chức tại công viên sông Hậu." * 3,))
    r[article_path(old, "luu-tru")] = Route(article_html(base, old, section="luu-tru").encode())
    r["/sitemap.xml"] = Route(
        (f'<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/'
         f'schemas/sitemap/0.9"><sitemap><loc>{base}/sitemap-news.xml</loc></sitemap>'
         f"<sitemap><loc>{base}/sitemap-2019.xml.gz</loc><lastmod>2019-05-01</lastmod></sitemap>"
         f"<sitemap><loc>{base}/sitemap-pages.xml</loc></sitemap></sitemapindex>").encode(),
        "application/xml")
    r["/sitemap-news.xml"] = Route(urlset(base, [(article_path(s), s.published) for s in vi[:2]],
                                          news=True), "application/xml")
    r["/sitemap-pages.xml"] = Route(urlset(base, [
        (article_path(vi[2]), "2026-11-22"), (article_path(old, "luu-tru"), "2019-04-02")]),
        "application/xml")
    r["/sitemap-2019.xml.gz"] = Route(gzip.compress(urlset(base, [
        (article_path(old, "luu-tru"), "2019-04-02")])), "application/x-gzip")
    # Home and section pages for generic discovery.
    links = "".join(f"<li><a href='{article_path(s)}?utm_medium=home'>{html.escape(s.title)}</a></li>"
                    for s in vi)
    r["/"] = Route(f"<html><head><title>Phù Sa</title></head><body>{NAV}<ul>{links}</ul>"
                   f"<a href='/private/bao-cao-noi-bo.html'>nội bộ</a>"
                   f"<a href='https://example.com/elsewhere'>ngoài</a>"
                   f"<a href='/thoi-su/'>Thời sự</a></body></html>".encode())
    r["/thoi-su/"] = Route(f"<html><body>{NAV}<ul>{links}</ul></body></html>".encode())
    return {
        "feed": base + "/rss/thoi-su.rss", "atom": base + "/en/atom.xml",
        "search": base + "/search/rss?q={query}", "sitemap": base + "/sitemap.xml",
        "home": base + "/",
    }


def duplicates(srv: FixtureServer) -> str:
    """One story four ways: plain, with tracking parameters, an AMP page whose
    rel=canonical names the original, and a syndicated copy under its own URL."""
    base, r = srv.base, srv.routes
    story = STORIES[0]
    path = article_path(story)
    r[path] = Route(article_html(base, story).encode())
    r["/amp/ngap-nuoc-ninh-kieu.html"] = Route(article_html(base, story, canonical=base + path)
                                               .encode())
    r["/copy/ngap-nuoc-ninh-kieu.html"] = Route(article_html(
        base, story, canonical=base + "/copy/ngap-nuoc-ninh-kieu.html").encode())
    items = [(path, story), (path + "?utm_campaign=x&amp;fbclid=abc", story),
             ("/amp/ngap-nuoc-ninh-kieu.html", story), ("/copy/ngap-nuoc-ninh-kieu.html", story)]
    r["/rss/dup.rss"] = Route(rss(base, "dup", items), "application/rss+xml")
    return base + "/rss/dup.rss"


_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def to_cp1258(text: str) -> bytes:
    """Text as Windows-1258 writes Vietnamese: letters with their vowel marks
    precomposed, tone marks as separate combining characters."""
    out = []
    for ch in text:
        parts = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in _TONES))
        out.append(base + "".join(c for c in parts if c in _TONES))
    return "".join(out).encode("cp1258")


def hostile(srv: FixtureServer) -> dict[str, str]:
    """Bad pages linked from one feed: each must become a dead letter."""
    base, r = srv.base, srv.routes
    good = STORIES[0]
    # Windows-1258 page, declared: must be stored, NFC, found by Match.
    cp = Story("tin-windows-1258", "vi", "Người dân Cần Thơ dọn dẹp sau mưa lớn", "Đỗ Văn An",
               "2026-11-25T08:00:00+07:00",
               ("Người dân phường Hưng Lợi cùng nhau dọn dẹp rác và bùn đất sau trận mưa lớn "
                "kéo dài suốt đêm qua ở thành phố Cần Thơ.",
                "Chính quyền phường đã huy động xe chuyên dụng hỗ trợ người dân."))
    r["/old/windows-1258.html"] = Route(
        to_cp1258(article_html(base, cp, canonical=base + "/old/windows-1258.html")
                  .replace('charset="utf-8"', 'charset="windows-1258"')),
        "text/html; charset=windows-1258")
    # Mojibake: UTF-8 bytes declared as Latin-1.
    r["/bad/mojibake.html"] = Route(article_html(base, STORIES[1]).replace(
        'charset="utf-8"', 'charset="iso-8859-1"').encode("utf-8"),
        "text/html; charset=iso-8859-1")
    r["/bad/report.pdf"] = Route(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n",
                                 "application/pdf")
    r["/bad/empty.html"] = Route("<html><head><title>Trang trống</title></head><body>"
                                 "<nav>Menu</nav></body></html>".encode())
    r["/bad/error500.html"] = Route(b"server error", status=500)
    r["/bad/loop-a.html"] = Route(b"", status=302, headers={"Location": "/bad/loop-b.html"})
    r["/bad/loop-b.html"] = Route(b"", status=302, headers={"Location": "/bad/loop-a.html"})
    r["/bad/huge.html"] = Route(b"<html><body>" + "<p>ruộng lúa</p>".encode() * 30000 + b"</body></html>")
    r["/bad/slow.html"] = Route(article_html(base, STORIES[2]).encode(), delay=8.0)
    r["/thoi-su/ok.html"] = Route(article_html(base, good, canonical=base + "/thoi-su/ok.html")
                                  .encode())
    paths = ["/old/windows-1258.html", "/bad/mojibake.html", "/bad/report.pdf",
             "/bad/empty.html", "/bad/error500.html", "/bad/loop-a.html", "/bad/huge.html",
             "/bad/slow.html",
             "/thoi-su/ok.html"]
    items = "".join(f"<item><title>t{i}</title><link>{base}{p}</link>"
                    f"<pubDate>Tue, 24 Nov 2026 10:00:00 +0700</pubDate></item>"
                    for i, p in enumerate(paths))
    r["/rss/hostile.rss"] = Route(
        f"<?xml version='1.0'?><rss version='2.0'><channel><title>h</title>{items}"
        f"</channel></rss>".encode(), "application/rss+xml")
    r["/rss/not-a-feed.rss"] = Route(b"\x00\x01\x02 binary junk", "application/rss+xml")
    return {"feed": base + "/rss/hostile.rss", "not_feed": base + "/rss/not-a-feed.rss"}


def telegram(srv: FixtureServer) -> str:
    base = srv.base

    def message(n: int, text: str, views: str, when: str) -> str:
        return (f"<div class='tgme_widget_message_wrap'><div class='tgme_widget_message' "
                f"data-post='canthotin/{n}'><div class='tgme_widget_message_author'>"
                f"<a class='tgme_widget_message_owner_name'><span>Cần Thơ Tin Nhanh</span></a>"
                f"</div><div class='tgme_widget_message_text'>{html.escape(text)}</div>"
                f"<div class='tgme_widget_message_footer'><span class='tgme_widget_message_views'>"
                f"{views}</span><a class='tgme_widget_message_date' href='{base}/canthotin/{n}'>"
                f"<time datetime='{when}'>{when[11:16]}</time></a></div></div></div>")

    page1 = "".join(message(100 + i, t, v, f"2026-11-2{i + 2}T0{i}:10:00+00:00")
                    for i, (t, v) in enumerate(zip(POSTS_VI[2:], ["1.2K", "845"], strict=True)))
    page2 = "".join(message(90 + i, t, "3", f"2026-11-2{i}T05:00:00+00:00")
                    for i, t in enumerate(POSTS_VI[:2]))
    head = ("<div class='tgme_channel_info_header_title'><span>Cần Thơ Tin Nhanh</span></div>")
    srv.routes["/s/canthotin"] = Route(
        f"<html><body>{head}<a class='tme_messages_more' href='/s/canthotin?before=100'>"
        f"</a>{page1}</body></html>".encode())
    srv.routes["/s/canthotin?before=100"] = Route(f"<html><body>{page2}</body></html>".encode())
    return base + "/s/canthotin"


def forum(srv: FixtureServer) -> str:
    base = srv.base

    def post(n: int, author: str, text: str, reactions: str) -> str:
        return (f"<article class='message' data-author='{author}' data-content='post-{n}' "
                f"id='js-post-{n}'><div class='message-attribution'><ul "
                f"class='message-attribution-main'><li><a href='/threads/ngap-nuoc.12/post-{n}'>"
                f"<time class='u-dt' datetime='2026-11-20T0{n % 10}:00:00+0700'>x</time></a>"
                f"</li></ul></div><div class='message-content'><div class='message-body'>"
                f"<div class='bbWrapper'>{html.escape(text)}</div></div></div>"
                f"<div class='reactionsBar'><a class='reactionsBar-link'>{reactions}</a></div>"
                f"</article>")

    title = "<h1 class='p-title-value'>Ngập nước ở Ninh Kiều sáng nay</h1>"
    canon = f"<link rel='canonical' href='{base}/threads/ngap-nuoc.12/'>"
    srv.routes["/forums/cantho.5/"] = Route(
        b"<html><body><div class='structItem-title'><a href='/threads/ngap-nuoc.12/'>"
        b"Ngap nuoc</a></div></body></html>")
    srv.routes["/threads/ngap-nuoc.12/"] = Route(
        f"<html><head>{canon}</head><body>{title}"
        f"{post(501, 'minhtuan', POSTS_VI[1], 'An, Bình and 3 others')}"
        f"{post(502, 'thuhuong', POSTS_VI[2], 'Lan')}"
        f"<a class='pageNav-jump pageNav-jump--next' href='/threads/ngap-nuoc.12/page-2'>Tiếp</a>"
        f"</body></html>".encode())
    srv.routes["/threads/ngap-nuoc.12/page-2"] = Route(
        f"<html><head>{canon}</head><body>{title}"
        f"{post(503, 'kevin_ct', POSTS_EN[0], '')}</body></html>".encode())
    return base + "/forums/cantho.5/"


def mastodon(srv: FixtureServer) -> str:
    base = srv.base

    def status(n: int, text: str, lang: str, when: str) -> dict:
        return {"id": str(n), "created_at": when, "url": f"{base}/@phusa/{n}",
                "uri": f"{base}/users/phusa/statuses/{n}", "language": lang,
                "content": f"<p>{html.escape(text)} <a href='{base}/tags/cantho'>#cantho</a></p>",
                "account": {"acct": "phusa@127.0.0.1", "username": "phusa"},
                "replies_count": n % 3, "reblogs_count": n % 5, "favourites_count": n % 7,
                "in_reply_to_id": None, "tags": [{"name": "cantho"}], "reblog": None}

    page1 = [status(2001, POSTS_VI[0], "vi", "2026-11-24T01:00:00.000Z"),
             status(2000, POSTS_EN[1], "en", "2026-11-23T23:00:00.000Z")]
    page2 = [status(1999, POSTS_VI[3], "vi", "2026-11-23T12:00:00.000Z")]
    srv.routes["/api/v1/timelines/tag/cantho"] = Route(
        json.dumps(page1).encode(), "application/json",
        headers={"Link": f'<{base}/api/v1/timelines/tag/cantho?max_id=2000>; rel="next"'})
    srv.routes["/api/v1/timelines/tag/cantho?max_id=2000"] = Route(
        json.dumps(page2).encode(), "application/json")
    return base + "/api/v1/timelines/tag/cantho"


def youtube(srv: FixtureServer) -> str:
    base = srv.base
    videos = [("vid001", "Toàn cảnh chợ nổi Cái Răng lúc bình minh", "12,345", "321",
               "2026-11-21T00:00:00+00:00"),
              ("vid002", "Flooding on Tran Hung Dao Street, Can Tho", "987", "45",
               "2026-11-20T03:00:00+00:00")]
    entries = "".join(
        f"<entry><id>yt:video:{v}</id><yt:videoId>{v}</yt:videoId>"
        f"<yt:channelId>UCphusa</yt:channelId><title>{html.escape(t)}</title>"
        f"<link rel='alternate' href='{base}/watch?v={v}'/><author><name>Phù Sa TV</name>"
        f"</author><published>{when}</published><updated>{when}</updated>"
        f"<media:group><media:title>{html.escape(t)}</media:title><media:description>"
        f"{html.escape(t)}. Video của Phù Sa TV về thành phố Cần Thơ.</media:description>"
        f"<media:community><media:starRating count='{likes}' average='5.00' min='1' max='5'/>"
        f"<media:statistics views='{views}'/></media:community></media:group></entry>"
        for v, t, views, likes, when in videos)
    srv.routes["/feeds/videos.xml?channel_id=UCphusa"] = Route(
        (f"<?xml version='1.0' encoding='UTF-8'?><feed xmlns:yt='http://www.youtube.com/xml/"
         f"schemas/2015' xmlns:media='http://search.yahoo.com/mrss/' "
         f"xmlns='http://www.w3.org/2005/Atom'><title>Phù Sa TV</title>{entries}</feed>").encode(),
        "application/atom+xml")
    return base + "/feeds/videos.xml?channel_id=UCphusa"


def reddit(srv: FixtureServer) -> str:
    base = srv.base

    def child(n: str, title: str, text: str, ts: int) -> dict:
        return {"kind": "t3", "data": {
            "name": f"t3_{n}", "id": n, "title": title, "selftext": text, "author": f"user_{n}",
            "created_utc": ts, "permalink": f"/r/cantho/comments/{n}/post/", "score": 42,
            "num_comments": 7, "subreddit": "cantho", "url": f"{base}/r/cantho/comments/{n}/"}}

    page1 = {"kind": "Listing", "data": {"after": "t3_b2", "children": [
        child("a1", "Best banh xeo in Ninh Kieu?", POSTS_EN[0], 1795000000),
        child("b2", "Kẹt xe cầu Hưng Lợi", POSTS_VI[0], 1794990000)]}}
    page2 = {"kind": "Listing", "data": {"after": None, "children": [
        child("c3", "Chợ nổi sáng nay", POSTS_VI[3], 1794900000)]}}
    srv.routes["/r/cantho/new.json"] = Route(json.dumps(page1).encode(), "application/json")
    srv.routes["/r/cantho/new.json?after=t3_b2"] = Route(json.dumps(page2).encode(),
                                                         "application/json")
    return base + "/r/cantho/new.json"
