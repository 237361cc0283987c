"""The dashboard's HTML: the shell Telegram opens (no data in it, a small script) and helpers
for the fragments the script fetches and shows.

Every value put into HTML goes through ``esc`` (text and attributes alike); fragments are
built from those escaped pieces only. No front-end build step: one inline style and script.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

#: The header the page's script sends Telegram's initData in.
INIT_HEADER = "X-Telegram-Init-Data"


def esc(value: object) -> str:
    """Text or attribute value, escaped (quotes too)."""
    return html.escape(str(value), quote=True)


def attrs(**values: object) -> str:
    """`` name="value"`` pairs, escaped; ``data_x`` becomes ``data-x``; None or False left out."""
    parts = []
    for name, value in values.items():
        if value is None or value is False:
            continue
        key = name.rstrip("_").replace("_", "-")
        parts.append(f" {key}" if value is True else f' {key}="{esc(value)}"')
    return "".join(parts)


def tag(element: str, body: str = "", /, **values: object) -> str:
    """``<element …>body</element>``; ``body`` must already be HTML (escaped)."""
    return f"<{element}{attrs(**values)}>{body}</{element}>"


def link(text: str, go: str, cls: str | None = None) -> str:
    """A link the script follows by fetching the fragment ``go`` (a path under /api/)."""
    return tag("a", esc(text), href="#", data_go=go, class_=cls)


def notice(text: str, kind: str = "ok") -> str:
    return tag("p", esc(text), class_=f"notice {kind}", role="status")


def errors(problems: Iterable[str]) -> str:
    items = "".join(tag("li", esc(p)) for p in problems)
    return tag("ul", items, class_="notice error", role="alert") if items else ""


def field(
    label: str, name: str, value: object = "", *, kind: str = "text", **extra: object
) -> str:
    control = (
        tag("textarea", esc(value), name=name, **extra)
        if kind == "textarea"
        else f"<input{attrs(type=kind, name=name, value=value, **extra)}>"
    )
    return tag("label", esc(label) + control)


def select(label: str, name: str, options: Iterable[tuple[str, str]], chosen: str) -> str:
    body = "".join(
        tag("option", esc(text), value=value, selected=value == chosen) for value, text in options
    )
    return tag("label", esc(label) + tag("select", body, name=name))


def form(body: str, post: str, button: str, *, confirm: str | None = None) -> str:
    """A form the script posts (as multipart) to the fragment ``post``."""
    return tag(
        "form",
        body + tag("button", esc(button), type="submit"),
        data_post=post,
        data_confirm=confirm,
    )


def nav(tabs: Iterable[tuple[str, str, bool]]) -> str:
    """The section tabs: (label, fragment, current)."""
    links = "".join(
        tag("a", esc(label), href="#", data_go=go, class_="tab on" if on else "tab")
        for label, go, on in tabs
    )
    return tag("nav", links)


STYLE = """
:root{color-scheme:light dark}
body{margin:0;font:15px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;
background:var(--tg-theme-bg-color,#fff);color:var(--tg-theme-text-color,#111)}
main{max-width:560px;margin:0 auto;padding:8px 12px 40px}
nav{display:flex;gap:4px;overflow-x:auto;position:sticky;top:0;padding:6px 0;
background:var(--tg-theme-bg-color,#fff)}
.tab{padding:6px 10px;border-radius:8px;text-decoration:none;white-space:nowrap;
color:var(--tg-theme-link-color,#2481cc)}
.tab.on{background:var(--tg-theme-button-color,#2481cc);color:var(--tg-theme-button-text-color,#fff)}
a{color:var(--tg-theme-link-color,#2481cc)}
h1{font-size:20px;margin:10px 0}h2{font-size:17px;margin:14px 0 6px}
.hint,small{color:var(--tg-theme-hint-color,#888)}
.card{background:var(--tg-theme-secondary-bg-color,#f2f2f5);border-radius:10px;padding:8px 10px;
margin:6px 0}
.row{display:flex;justify-content:space-between;gap:8px;align-items:center}
label{display:block;margin:6px 0;font-size:13px;color:var(--tg-theme-hint-color,#666)}
input,select,textarea{display:block;width:100%;box-sizing:border-box;margin-top:2px;padding:7px;
font:inherit;border-radius:8px;border:1px solid var(--tg-theme-hint-color,#ccc);
background:var(--tg-theme-bg-color,#fff);color:var(--tg-theme-text-color,#111)}
button{margin:6px 0;padding:8px 14px;border:0;border-radius:8px;font:inherit;
background:var(--tg-theme-button-color,#2481cc);color:var(--tg-theme-button-text-color,#fff)}
form.inline{display:inline}
.notice{padding:8px 10px;border-radius:8px;margin:8px 0;list-style:none}
.notice.ok{background:#e3f6e8;color:#14532d}.notice.error{background:#fde8e8;color:#7f1d1d}
.muted{opacity:.55}
table{width:100%;border-collapse:collapse}td,th{padding:3px 4px;text-align:left;font-size:13px}
img.chart,img.thumb{max-width:100%;border-radius:8px}
"""

SCRIPT = """
(function(){
  var tg = window.Telegram && window.Telegram.WebApp;
  var base = location.pathname.replace(/\\/+$/, '');
  var app = document.getElementById('app');
  function initData(){
    if (tg && tg.initData) return tg.initData;
    var hash = new URLSearchParams(location.hash.slice(1));
    return hash.get('tgWebAppData') || '';
  }
  if (tg) {
    try { tg.ready(); tg.expand(); } catch (e) {}
    var theme = tg.themeParams || {};
    Object.keys(theme).forEach(function(k){
      document.documentElement.style.setProperty('--tg-theme-' + k.replace(/_/g, '-'), theme[k]);
    });
  }
  async function show(path, options){
    options = options || {};
    app.setAttribute('aria-busy', 'true');
    var response;
    try {
      response = await fetch(base + '/api/' + path, {
        method: options.method || 'GET', body: options.body,
        headers: {'X-Telegram-Init-Data': initData()}
      });
    } catch (e) {
      app.innerHTML = '<p class="notice error">' + String(e).replace(/[<&>]/g, '') + '</p>';
      app.removeAttribute('aria-busy');
      return;
    }
    app.innerHTML = await response.text();
    document.body.dataset.status = String(response.status);
    var at = response.headers.get('X-Dashboard-Page');
    if (at) app.dataset.page = at;
    app.removeAttribute('aria-busy');
    window.scrollTo(0, 0);
  }
  async function download(a){
    var response = await fetch(base + '/api/' + a.dataset.download,
      {headers: {'X-Telegram-Init-Data': initData()}});
    if (!response.ok) { app.insertAdjacentHTML('afterbegin', await response.text()); return; }
    var url = URL.createObjectURL(await response.blob());
    var save = document.createElement('a');
    save.href = url; save.download = a.dataset.filename || 'export.csv';
    document.body.appendChild(save); save.click(); save.remove();
    setTimeout(function(){ URL.revokeObjectURL(url); }, 10000);
  }
  document.addEventListener('click', function(ev){
    var d = ev.target.closest('a[data-download]');
    if (d) { ev.preventDefault(); download(d); return; }
    var a = ev.target.closest('a[data-go]');
    if (!a) return;
    ev.preventDefault();
    show(a.dataset.go);
  });
  function ask(text){
    return new Promise(function(answer){
      if (tg && tg.showConfirm && tg.isVersionAtLeast && tg.isVersionAtLeast('6.2')) {
        tg.showConfirm(text, answer);
      } else {
        answer(window.confirm(text));
      }
    });
  }
  document.addEventListener('submit', async function(ev){
    var f = ev.target;
    ev.preventDefault();
    if (f.dataset.confirm && !(await ask(f.dataset.confirm))) return;
    if (f.dataset.get) {
      var q = new URLSearchParams(new FormData(f)).toString();
      show(f.dataset.get + (q ? '?' + q : ''));
    } else if (f.dataset.post) {
      show(f.dataset.post, {method: 'POST', body: new FormData(f)});
    }
  });
  window.dashboard = {show: show};
  show('products');
})();
"""


def shell(title: str) -> str:
    """The page Telegram opens: no shop data, the script fetches it with initData."""
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>{esc(title)}</title>"
        "<script src='https://telegram.org/js/telegram-web-app.js'></script>"
        f"<style>{STYLE}</style></head>"
        f"<body><main id='app' aria-busy='true'>…</main><script>{SCRIPT}</script></body></html>"
    )
