// ccmon live dashboard: keeps a server-rendered page current without reloading it.
// One EventSource per page, closed on pagehide (a page kept in the back/forward cache
// must not hold a connection) and reopened on pageshow. Records go straight into the
// live feed and the run terminal; the rest of the page (#view) is fetched again and
// swapped in place when an aggregate changes.
(function () {
  'use strict';
  var STREAMS = ['skill-invocations', 'cuj-metrics', 'progress', 'provider-health', 'notifications'];
  var source = null;
  var timer = null;
  var busy = false;
  var again = false;

  function setLive(on) {
    var dot = document.getElementById('live');
    if (!dot) return;
    dot.className = on ? 'live on' : 'live';
    dot.title = on ? 'live updates: connected' : 'live updates: not connected';
  }

  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(location.href, { headers: { 'Accept': 'text/html' }, credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (text) {
        if (text === null) return;
        var doc = new DOMParser().parseFromString(text, 'text/html');
        var fresh = doc.getElementById('view');
        var current = document.getElementById('view');
        if (fresh && current) current.replaceWith(document.importNode(fresh, true));
      })
      .catch(function () { /* the next event tries again */ })
      .then(function () {
        busy = false;
        if (again) { again = false; schedule(); }
      });
  }

  function schedule() {
    if (timer !== null) return;
    timer = setTimeout(function () { timer = null; refresh(); }, 80);
  }

  // Control characters and bidirectional overrides from records are shown escaped, as
  // the server's pages show them; newlines and tabs stay.
  var HIDDEN = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
  function visible(s) {
    return s.replace(HIDDEN, function (c) {
      return c === '\u001b' ? '\\e' : '\\u{' + c.charCodeAt(0).toString(16) + '}';
    });
  }

  function text(value) {
    if (value === null || value === undefined) return '';
    if (typeof value === 'object') return visible(value.message ? String(value.message) : JSON.stringify(value));
    return visible(String(value));
  }

  function summary(stream, r) {
    switch (stream) {
      case 'skill-invocations':
        return (r.skill || '') + ' ' + (r.result || 'success') + (r.duration !== undefined ? ' ' + r.duration + ' ms' : '');
      case 'cuj-metrics':
        return (r.cujId || '') + ' ' + (r.success ? 'succeeded' : 'failed') + ' ' + r.duration + ' ms';
      case 'progress':
        if (r.output) return (r.runId || '') + ' output: ' + text(r.output.text).slice(0, 120);
        return (r.runId || '') + ' ' + (r.status || '') + (r.message ? ': ' + text(r.message) : '');
      case 'provider-health':
        return (r.provider || '') + ' ' + (r.success ? 'ok' : 'failed') + ' ' + r.latency + ' ms' + (r.error ? ': ' + text(r.error) : '');
      default:
        return (r.type || '') + (r.message ? ': ' + text(r.message) : '');
    }
  }

  function feed(stream, r) {
    var list = document.getElementById('feed');
    if (!list) return;
    var placeholder = list.querySelector('.empty');
    if (placeholder) placeholder.remove();
    var li = document.createElement('li');
    li.className = 'rec';
    var tag = document.createElement('span');
    tag.className = 'badge';
    tag.textContent = stream;
    var time = document.createElement('span');
    time.className = 'sub';
    time.textContent = text(r.timestamp || r.ts).replace('T', ' ').replace(/\.\d+Z$/, 'Z');
    var body = document.createElement('span');
    body.className = 'msg';
    body.textContent = visible(summary(stream, r));
    li.append(tag, ' ', time, ' ', body);
    list.prepend(li);
    while (list.children.length > 30) list.lastElementChild.remove();
  }

  function terminal(r) {
    var term = document.getElementById('term');
    if (!term || !r.output || r.runId !== term.dataset.run) return;
    var placeholder = term.querySelector('.empty');
    if (placeholder) placeholder.remove();
    var span = document.createElement('span');
    span.className = 'o-' + String(r.output.stream || 'stdout').replace(/[^a-z]/g, '');
    span.textContent = text(r.output.text);
    var atBottom = term.scrollTop + term.clientHeight >= term.scrollHeight - 4;
    term.append(span);
    if (atBottom) term.scrollTop = term.scrollHeight;
  }

  function open() {
    if (source || typeof EventSource === 'undefined') return;
    source = new EventSource('/events');
    source.addEventListener('ready', function () { setLive(true); });
    source.addEventListener('error', function () { setLive(source && source.readyState === 1); });
    STREAMS.forEach(function (name) {
      source.addEventListener(name, function (e) {
        var r;
        try { r = JSON.parse(e.data); } catch (err) { return; }
        feed(name, r);
        terminal(r);
      });
    });
    source.addEventListener('dashboard', schedule);
    source.addEventListener('lagged', schedule);
  }

  function close() {
    if (source) { source.close(); source = null; }
    setLive(false);
  }

  window.addEventListener('pagehide', close);
  window.addEventListener('pageshow', function (e) {
    open();
    // Back from the cache: what happened meanwhile was not streamed.
    if (e.persisted) schedule();
  });

  // Mark read, dismiss, mark all read: posted without leaving the page.
  document.addEventListener('submit', function (e) {
    var form = e.target;
    if (!form.matches || !form.matches('form[data-action]')) return;
    e.preventDefault();
    var button = form.querySelector('button');
    if (button) button.disabled = true;
    fetch(form.action, { method: 'POST', headers: { 'Accept': 'application/json' }, credentials: 'same-origin' })
      .then(function () { refresh(); })
      .catch(function () { if (button) button.disabled = false; });
  });
})();
