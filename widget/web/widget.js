/* Keel chat widget: one script tag, no dependencies, no requests to anyone but Keel (its origin is
   the origin of this script's own src).
     <script src="https://keel.example/widget.js" data-keel-title="Help" data-keel-color="#1f6feb"
             data-keel-lang="en" data-keel-identity-token="<JWT>" data-keel-allowed-link-hosts="example.com" async></script>
   Safety: every text a visitor, an agent, an article or the model wrote becomes DOM text through
   textContent and a few elements made here (p, br, strong, em, ul, ol, li, a); never innerHTML, never
   an image. Links are kept only for http(s) addresses on the allowed hosts or Keel's own.
   Styles live in a constructed stylesheet of a shadow root: the host page's CSS cannot reach in, and
   a strict Content-Security-Policy (no 'unsafe-inline') does not block them. */
(function () {
  'use strict';
  var script = document.currentScript;
  if (!script || !script.src || window.KeelWidget) { return; }
  var ORIGIN = new URL(script.src, location.href).origin;
  var API = ORIGIN + '/api/v1/conversations';
  var MAX_CHARS = 4000;
  var STORE_KEY = 'keel:' + ORIGIN;

  /* Every string the customer sees, in English and German. */
  var STRINGS = {
    en: {
      open: 'Open chat', close: 'Close chat', unread: 'new message', send: 'Send', input: 'Your message',
      placeholder: 'Type your question', welcome: 'Hi! Ask us anything, or ask for a person at any time.',
      log: 'Chat messages', you: 'You', bot: 'Assistant', agent: 'Agent', notice: 'Notice',
      typing: 'The assistant is writing…', agentTyping: '{name} is typing…', sources: 'Sources:',
      failed: 'The reply did not come through.', retry: 'Retry', tooLong: 'message too long (max 4000 characters)',
      tooMany: 'Too many messages at once. Wait a moment, then retry.', count: '{n} / 4000 characters',
      queue: 'You are number {position} in the queue. Expected wait: about {wait} min.',
      waiting: 'Waiting for a person to join.', away: 'Nobody from our team can answer right now; leave your email address in the chat.',
      withAgent: 'You are chatting with {name}.', reconnecting: 'Connection lost. Reconnecting…',
      expired: 'Your earlier chat has ended; this is a new one.', endChat: 'End chat',
      rateTitle: 'How was this chat? (1 = poor, 5 = excellent)', star: '{n} of 5', comment: 'Comment (optional)',
      rate: 'Send rating', skip: 'Not now', thanks: 'Thank you for your feedback.', newChat: 'Start a new chat',
      pickScore: 'Choose a score from 1 to 5.', rateFailed: 'The rating could not be sent. Try again.'
    },
    de: {
      open: 'Chat öffnen', close: 'Chat schließen', unread: 'neue Nachricht', send: 'Senden', input: 'Ihre Nachricht',
      placeholder: 'Ihre Frage', welcome: 'Hallo! Fragen Sie uns, was Sie möchten, oder verlangen Sie jederzeit einen Menschen.',
      log: 'Chatnachrichten', you: 'Sie', bot: 'Assistent', agent: 'Mitarbeiter', notice: 'Hinweis',
      typing: 'Der Assistent schreibt…', agentTyping: '{name} schreibt…', sources: 'Quellen:',
      failed: 'Die Antwort ist nicht angekommen.', retry: 'Erneut versuchen', tooLong: 'Nachricht zu lang (höchstens 4000 Zeichen)',
      tooMany: 'Zu viele Nachrichten auf einmal. Warten Sie kurz und versuchen Sie es erneut.', count: '{n} / 4000 Zeichen',
      queue: 'Sie sind Nummer {position} in der Warteschlange. Wartezeit: etwa {wait} Min.',
      waiting: 'Gleich ist ein Mensch für Sie da.', away: 'Gerade kann niemand aus unserem Team antworten; hinterlassen Sie Ihre E-Mail-Adresse im Chat.',
      withAgent: 'Sie chatten mit {name}.', reconnecting: 'Verbindung unterbrochen. Neuer Versuch…',
      expired: 'Ihr früherer Chat ist beendet; dies ist ein neuer.', endChat: 'Chat beenden',
      rateTitle: 'Wie war dieser Chat? (1 = schlecht, 5 = sehr gut)', star: '{n} von 5', comment: 'Kommentar (freiwillig)',
      rate: 'Bewertung senden', skip: 'Später', thanks: 'Danke für Ihre Rückmeldung.', newChat: 'Neuen Chat beginnen',
      pickScore: 'Wählen Sie eine Bewertung von 1 bis 5.', rateFailed: 'Die Bewertung wurde nicht gesendet. Bitte erneut versuchen.'
    }
  };

  function attr(name) { return (script.getAttribute('data-keel-' + name) || '').trim(); }
  var strings = STRINGS[attr('lang').slice(0, 2).toLowerCase() === 'de' ? 'de' : 'en'];
  function t(key, vars) {
    return strings[key].replace(/\{(\w+)\}/g, function (all, name) { return vars && vars[name] != null ? String(vars[name]) : ''; });
  }
  var title = attr('title') || 'Help';
  var color = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.test(attr('color')) ? attr('color') : '#1f6feb';
  var linkHosts = attr('allowed-link-hosts').toLowerCase().split(',').map(function (h) { return h.trim(); }).filter(Boolean);
  linkHosts.push(new URL(ORIGIN).host);
  var identity = attr('identity-token') ? { identityToken: attr('identity-token') } : {};

  /** Black or white, whichever reads better on the brand colour. */
  function textOn(hex) {
    var h = hex.length === 4 ? hex.replace(/[0-9a-f]/gi, '$&$&') : hex;
    var rgb = [1, 3, 5].map(function (i) { var c = parseInt(h.substr(i, 2), 16) / 255; return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); });
    return 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2] > 0.36 ? '#111' : '#fff';
  }

  var FONT = 'system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif';
  /* !important on :host because, across a shadow boundary, the inner context wins only for
     important declarations: a hostile page rule on keel-chat cannot hide or move the widget. */
  var CSS = ':host{all:initial!important;display:block!important;--k:' + color + '!important;--kf:' + textOn(color) + '!important}' +
    '*,*::before,*::after{box-sizing:border-box}' +
    '.l,.p{position:fixed;z-index:2147483000;font:14px/1.45 ' + FONT + ';color:#1d2733;letter-spacing:normal;text-align:left}' +
    '.l{right:20px;bottom:20px;display:flex;align-items:center;gap:8px;border:0;border-radius:28px;padding:12px 18px;background:var(--k);color:var(--kf);font-weight:600;font-size:15px;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25)}' +
    '.dot{display:none;width:10px;height:10px;border-radius:50%;background:#e5484d;border:2px solid #fff}.unread .dot{display:block}' +
    '.p{right:20px;bottom:80px;width:380px;max-width:calc(100vw - 40px);height:580px;max-height:calc(100vh - 110px);display:flex;flex-direction:column;background:#fff;border-radius:14px;box-shadow:0 10px 34px rgba(0,0,0,.28);overflow:hidden}' +
    '[hidden]{display:none!important}' +
    'header{display:flex;align-items:center;gap:8px;padding:10px 10px 10px 16px;background:var(--k);color:var(--kf)}' +
    'h2{flex:1;margin:0;font-size:16px;font-weight:600;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}' +
    'button{font:inherit;cursor:pointer}' +
    'header button{background:transparent;color:inherit;border:1px solid currentColor;border-radius:6px;padding:4px 9px;font-size:12.5px}' +
    'header .x{border:0;font-size:22px;line-height:1;width:34px;height:34px;padding:0}' +
    '.st{padding:8px 14px;background:#fff6d6;color:#4d3d00;font-size:13px;border-bottom:1px solid #eedd9a}.st:empty{display:none}' +
    '.log{flex:1;overflow-y:auto;padding:14px;display:flex;flex-direction:column;gap:8px;background:#f6f8fa}' +
    '.m{max-width:85%;padding:8px 12px;border-radius:14px;overflow-wrap:anywhere}' +
    '.m p,.m ul,.m ol{margin:0}.m *+p,.m *+ul,.m *+ol{margin-top:6px}.m ul,.m ol{padding-left:20px}' +
    '.customer{align-self:flex-end;background:var(--k);color:var(--kf);border-bottom-right-radius:4px}' +
    '.bot,.agent{align-self:flex-start;background:#fff;border:1px solid #dfe4ea;border-bottom-left-radius:4px}.agent{border-color:#b9c9f5;background:#f3f6ff}' +
    '.who{display:block;font-size:12px;font-weight:600;color:#3d4955;margin-bottom:2px}' +
    '.system,.intro{align-self:center;text-align:center;font-size:12.5px;color:#46525e;max-width:92%}' +
    '.incomplete{opacity:.55}' +
    'a{color:#0b57d0}.customer a{color:inherit}' +
    '.cites{margin-top:6px;padding-top:6px;border-top:1px solid #e6eaef;font-size:12px;color:#505c68}' +
    '.err{align-self:stretch;display:flex;gap:8px;align-items:center;justify-content:space-between;background:#fdecec;color:#86181d;border-radius:8px;padding:8px 10px;font-size:13px}' +
    '.b{background:var(--k);color:var(--kf);border:0;border-radius:8px;padding:9px 14px;font-weight:600}' +
    '.b2{background:#fff;color:#1d2733;border:1px solid #b8c1cb;border-radius:8px;padding:8px 12px}' +
    '.ty{align-self:flex-start;color:#46525e;font-size:12.5px;display:flex;gap:4px;align-items:center;padding:6px 2px}' +
    '.ty i{width:7px;height:7px;border-radius:50%;background:#8a96a3;animation:k 1.2s infinite ease-in-out}.ty i:nth-child(2){animation-delay:.2s}.ty i:nth-child(3){animation-delay:.4s}' +
    '@keyframes k{0%,80%,100%{opacity:.3}40%{opacity:1}}' +
    'form{margin:0}.c{display:flex;align-items:flex-end;gap:8px;border-top:1px solid #e3e7ec;padding:8px 10px 4px}' +
    'textarea{flex:1;min-height:42px;max-height:130px;resize:none;border:1px solid #c3ccd5;border-radius:8px;padding:10px;font:inherit;color:#1d2733;background:#fff}' +
    '.cnt{font-size:11px;color:#5f6b78;text-align:right;padding:0 12px 6px}.cnt.over{color:#b42318;font-weight:600}' +
    '.rt{padding:12px 14px;border-top:1px solid #e3e7ec;background:#fff}fieldset{border:0;margin:0 0 8px;padding:0}legend{font-weight:600;padding:0;margin-bottom:8px}' +
    '.sc{display:flex;gap:6px}.sc label{position:relative}.sc input{position:absolute;opacity:0;width:1px;height:1px;margin:0}' +
    '.sc span{display:block;cursor:pointer;min-width:40px;text-align:center;border:1px solid #b8c1cb;border-radius:8px;padding:7px 0;font-weight:600}' +
    '.sc input:checked+span{background:var(--k);color:var(--kf);border-color:var(--k)}.sc input:focus-visible+span{outline:3px solid #ffbf47;outline-offset:2px}' +
    '.rt textarea{width:100%;min-height:56px;margin-bottom:8px}.row{display:flex;gap:8px;align-items:center;flex-wrap:wrap}' +
    ':focus-visible{outline:3px solid #ffbf47;outline-offset:2px}textarea:focus-visible{outline:2px solid var(--k);outline-offset:0}' +
    '.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}' +
    '@media (max-width:480px){.p{inset:0;width:auto;max-width:none;height:auto;max-height:none;border-radius:0}.l.on{display:none}textarea{font-size:16px}}' +
    '@media (prefers-reduced-motion:reduce){*{animation:none!important}}';

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text != null) { e.textContent = text; }
    return e;
  }
  function add(parent) { for (var i = 1; i < arguments.length; i++) { parent.appendChild(arguments[i]); } return parent; }

  /* ---- Markdown subset: bold, italics, line breaks, lists, links; anything else stays text ---- */

  function safeHref(href) {
    if (!/^https?:\/\//i.test(href)) { return null; }
    var u;
    try { u = new URL(href); } catch (e) { return null; }
    return linkHosts.indexOf(u.host.toLowerCase()) >= 0 || linkHosts.indexOf(u.hostname.toLowerCase()) >= 0 ? u.href : null;
  }
  function link(parent, label, href) {
    var safe = safeHref(href);
    if (!safe) { parent.appendChild(document.createTextNode(label)); return; }
    var a = el('a', null, label);
    a.href = safe;
    a.target = '_blank';
    a.rel = 'noopener noreferrer nofollow';
    parent.appendChild(a);
  }
  function inline(text, parent) {
    // 1-2 image or link, 3 link text, 4 link address, 5 bold, 6 italic, 7 bare address
    var re = /(!?)(\[([^\]\n]{1,500})\]\(([^()\s]{1,2000})\))|\*\*([^*\n]+)\*\*|\*([^*\s](?:[^*\n]*[^*\s])?)\*|(https?:\/\/[^\s<>()"']*[^\s<>()"'.,;:!?])/g;
    var last = 0, m;
    while ((m = re.exec(text))) {
      parent.appendChild(document.createTextNode(text.slice(last, m.index)));
      if (m[2]) {
        if (m[1]) { parent.appendChild(document.createTextNode(m[0])); } else { link(parent, m[3], m[4]); }
      } else if (m[5] || m[6]) {
        inline(m[5] || m[6], parent.appendChild(el(m[5] ? 'strong' : 'em')));
      } else {
        link(parent, m[7], m[7]);
      }
      last = re.lastIndex;
    }
    parent.appendChild(document.createTextNode(text.slice(last)));
  }
  function markdown(text, parent) {
    var list = null, kind = null, para = null;
    String(text).replace(/\r\n?/g, '\n').split('\n').forEach(function (line) {
      var item = /^\s{0,3}([-*+•]|(\d{1,4})[.)])\s+(.*)$/.exec(line);
      if (item) {
        var type = item[2] ? 'ol' : 'ul';
        if (!list || kind !== type) {
          list = parent.appendChild(el(type));
          kind = type;
          if (item[2] && item[2] !== '1') { list.start = Number(item[2]); }
        }
        inline(item[3], list.appendChild(el('li')));
        para = null;
        return;
      }
      list = null;
      if (!line.trim()) { para = null; return; }
      if (para) { para.appendChild(el('br')); } else { para = parent.appendChild(el('p')); }
      inline(line, para);
    });
  }

  /* ---- The DOM, in a shadow root ---- */

  var host = document.createElement('keel-chat');
  var root = host.attachShadow({ mode: 'open' });
  try {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
  } catch (e) {
    root.appendChild(el('style', null, CSS)); // browsers without constructed stylesheets
  }
  var wrap = root.appendChild(el('div'));
  var launcher = add(el('button', 'l'), el('span', 'dot'), el('span', null, title));
  launcher.type = 'button';
  launcher.setAttribute('aria-expanded', 'false');
  launcher.setAttribute('aria-controls', 'keel-panel');
  var panel = el('section', 'p');
  panel.id = 'keel-panel';
  panel.hidden = true;
  panel.setAttribute('role', 'dialog');
  panel.setAttribute('aria-labelledby', 'keel-title');
  var heading = el('h2', null, title);
  heading.id = 'keel-title';
  var endButton = el('button', 'end', t('endChat'));
  var closeButton = el('button', 'x', '×');
  endButton.type = closeButton.type = 'button';
  endButton.hidden = true;
  closeButton.setAttribute('aria-label', t('close'));
  var statusBar = el('div', 'st');
  statusBar.setAttribute('role', 'status');
  var connection = el('div', 'st', t('reconnecting'));
  connection.setAttribute('role', 'status');
  connection.hidden = true;
  var log = el('div', 'log');
  log.setAttribute('role', 'log');
  log.setAttribute('aria-live', 'polite');
  log.setAttribute('aria-label', t('log'));
  log.tabIndex = 0;
  var compose = el('form', 'c');
  var input = el('textarea');
  input.rows = 1;
  input.placeholder = t('placeholder');
  input.setAttribute('aria-label', t('input'));
  input.setAttribute('aria-describedby', 'keel-count');
  var sendButton = el('button', 'b', t('send'));
  sendButton.type = 'submit';
  var counter = el('div', 'cnt');
  counter.id = 'keel-count';
  var rating = el('form', 'rt');
  rating.hidden = true;
  add(compose, input, sendButton);
  add(panel, add(el('header'), heading, endButton, closeButton), statusBar, connection, log, compose, counter, rating);
  add(wrap, panel, launcher);
  log.appendChild(el('div', 'intro', t('welcome')));

  /* ---- State ---- */

  var conversation = null;   // {conversationId, token, tokenExpiresAt, open, rated}
  var opening = null;        // the promise of a conversation being opened
  var seen = {};             // seq -> true: every message shown, from whatever source
  var lastSeq = -1;          // the newest seq delivered in order (transcript or events stream)
  var pending = {};          // clientMessageId -> turn, for the customer's own messages
  var turning = 0;           // turns in flight; bot and system messages of the events stream wait for them
  var deferred = [];
  var events = null;         // AbortController of the events stream
  var eventsTimer = null, attempt = 0, heard = 0, resumed = false, typingTimer = null, agentTyping = null;

  function save() {
    try {
      if (conversation) { localStorage.setItem(STORE_KEY, JSON.stringify(conversation)); } else { localStorage.removeItem(STORE_KEY); }
    } catch (e) { /* storage off: the chat lasts as long as the page */ }
  }
  function load() {
    try {
      var c = JSON.parse(localStorage.getItem(STORE_KEY));
      return c && c.conversationId && c.token && !(c.tokenExpiresAt && c.tokenExpiresAt < Date.now()) ? c : null;
    } catch (e) { return null; }
  }
  function uuid() {
    if (crypto.randomUUID) { return crypto.randomUUID(); }
    var b = crypto.getRandomValues(new Uint8Array(16));
    return Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join('');
  }
  function headers(json) {
    var h = {};
    if (json) { h['Content-Type'] = 'application/json'; }
    if (conversation) { h.Authorization = 'Bearer ' + conversation.token; }
    return h;
  }
  /** A failed HTTP answer as an Error with the status and Keel's error code. */
  function httpError(response) {
    return response.json().catch(function () { return {}; }).then(function (body) {
      var e = new Error((body.error && body.error.message) || 'HTTP ' + response.status);
      e.status = response.status;
      e.code = body.error && body.error.code;
      throw e;
    });
  }
  function api(method, path, body) {
    return fetch(API + path, { method: method, headers: headers(body), body: body ? JSON.stringify(body) : undefined, cache: 'no-store' })
      .then(function (r) { return r.ok ? r.json() : httpError(r); });
  }
  /** The conversation token is gone (expired, or the conversation is): a wrong one would fail forever. */
  function isGone(e) { return e.status === 401 || /^(token_expired|invalid_token|conversation_not_found)$/.test(e.code); }
  function ensureConversation() {
    if (conversation) { return Promise.resolve(conversation); }
    if (!opening) {
      opening = api('POST', '', identity).catch(function (e) {
        // an identity token Keel refuses still leaves the visitor a chat, unverified
        if (e.status === 401 && identity.identityToken) { identity = {}; return api('POST', '', {}); }
        throw e;
      }).then(function (c) {
        conversation = { conversationId: c.conversationId, token: c.token, tokenExpiresAt: c.tokenExpiresAt, open: !panel.hidden };
        save();
        endButton.hidden = false;
        resumed = true;
        connectEvents();
        return conversation;
      });
      opening.then(function () { opening = null; }, function () { opening = null; });
    }
    return opening;
  }

  /* ---- Showing messages ---- */

  function scroll() { log.scrollTop = log.scrollHeight; }
  function speaker(role, m) {
    return role === 'customer' ? t('you') : role === 'agent' ? (m.agentName || t('agent')) : role === 'bot' ? title : t('notice');
  }
  /** One message bubble; the speaker is said to screen readers, and shown for agents. */
  function bubble(m) {
    var role = m.role === 'system' ? 'system' : m.role === 'agent' ? 'agent' : m.role === 'customer' ? 'customer' : 'bot';
    var b = el('div', 'm ' + role);
    b.appendChild(el('span', role === 'agent' ? 'who' : 'sr', speaker(role, m) + (role === 'agent' ? '' : ': ')));
    b.body = b.appendChild(el('div'));
    fill(b, m.text || '', m.citations);
    return b;
  }
  function fill(b, text, citations) {
    b.body.textContent = '';
    markdown(text, b.body);
    if (b.cites) { b.cites.remove(); b.cites = null; }
    if (citations && citations.length) {
      b.cites = b.appendChild(el('div', 'cites', t('sources') + ' '));
      citations.forEach(function (c, i) {
        if (i) { b.cites.appendChild(document.createTextNode(' · ')); }
        if (c.url) { link(b.cites, c.title || c.url, c.url); } else { b.cites.appendChild(document.createTextNode(c.title || '')); }
      });
    }
  }
  function append(node) { log.appendChild(node); scroll(); return node; }
  function notice(text) { return append(el('div', 'm system', text)); }
  function markUnread() {
    if (panel.hidden) {
      launcher.classList.add('unread');
      launcher.setAttribute('aria-label', title + ' (' + t('unread') + ')');
    }
  }

  /** A transcript message from the transcript or the events stream: shown once, whatever the order. */
  function accept(m, live) {
    var seq = m.seq;
    if (typeof seq !== 'number' || seen[seq]) { return; }
    if (m.role === 'customer' && pending[m.clientMessageId]) {
      seen[seq] = true; // the customer's own message, already on screen
      return;
    }
    if (turning && (m.role === 'bot' || m.role === 'system')) {
      deferred.push(m); // perhaps the reply being streamed: wait for its seq from the stream's end
      return;
    }
    seen[seq] = true;
    append(bubble(m));
    if (m.role === 'agent') { stopAgentTyping(); }
    if (m.role === 'system' && m.kind === 'resolved') { offerRating(); }
    if (live) { markUnread(); }
  }
  function settled() {
    var waiting = deferred;
    deferred = [];
    waiting.forEach(function (m) { accept(m, true); });
  }
  function showStatus(s) {
    var text = '';
    if (s.owner === 'queue') {
      text = s.askForContact ? t('away') : s.position ? t('queue', { position: s.position, wait: s.expectedWaitMinutes }) : t('waiting');
    } else if (s.owner === 'agent') {
      text = t('withAgent', { name: s.agentName || t('agent') });
    }
    if (statusBar.textContent !== text) { statusBar.textContent = text; }
  }
  function stopAgentTyping() {
    clearTimeout(typingTimer);
    if (agentTyping) { agentTyping.remove(); agentTyping = null; }
  }
  function showAgentTyping(d) {
    if (!agentTyping) { agentTyping = el('div', 'ty'); }
    agentTyping.textContent = t('agentTyping', { name: d.agentName || t('agent') });
    append(agentTyping);
    clearTimeout(typingTimer);
    typingTimer = setTimeout(stopAgentTyping, 6000);
  }

  /* ---- Server-Sent Events, read from a fetch() body by hand ---- */

  function readEvents(response, onEvent) {
    var reader = response.body.getReader(), decoder = new TextDecoder(), buffer = '', ev = {};
    function pump() {
      return reader.read().then(function (chunk) {
        if (chunk.done) { return; }
        buffer += decoder.decode(chunk.value, { stream: true });
        var lines = buffer.split(/\r\n|\r|\n/);
        buffer = lines.pop();
        lines.forEach(function (line) {
          if (line === '') {
            if (ev.data != null) {
              var data;
              try { data = JSON.parse(ev.data); } catch (e) { data = null; }
              if (data) { onEvent(ev.event || 'message', data, ev.id); }
            }
            ev = {};
          } else if (line.charAt(0) === ':') {
            onEvent('ping');
          } else {
            var i = line.indexOf(':'), field = i < 0 ? line : line.slice(0, i), value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
            if (field === 'data') { ev.data = ev.data == null ? value : ev.data + '\n' + value; } else { ev[field] = value; }
          }
        });
        return pump();
      });
    }
    return pump();
  }

  /* ---- The customer's turn, streamed ---- */

  function submit(text) {
    var turn = { text: text, clientMessageId: uuid() };
    turn.mine = append(bubble({ role: 'customer', text: text }));
    pending[turn.clientMessageId] = turn;
    run(turn);
  }
  function run(turn) {
    var reply = null, text = '', citations = [], finished = false;
    var typing = append(add(el('div', 'ty'), el('span', 'sr', t('typing')), el('i'), el('i'), el('i')));
    turning++;
    function shown() {
      if (!reply) {
        typing.remove();
        reply = append(bubble({ role: 'bot', text: '' }));
        reply.setAttribute('aria-busy', 'true');
      }
      return reply;
    }
    function done() {
      finished = true;
      typing.remove();
      if (reply) { reply.removeAttribute('aria-busy'); }
      turning--;
      settled();
    }
    function failed(message, retryable) {
      if (finished) { return; }
      if (reply) { reply.classList.add('incomplete'); }
      var error = append(add(el('div', 'err'), el('span', null, message)));
      if (retryable !== false) {
        var again = error.appendChild(el('button', 'b2', t('retry')));
        again.type = 'button';
        again.addEventListener('click', function () {
          error.remove();
          if (reply) { reply.remove(); }
          run(turn);
        });
        if (!panel.hidden) { again.focus(); }
      }
      done();
    }
    function onEvent(name, d) {
      if (finished) { return; }
      if (name === 'delta') {
        text += d.text || '';
        if (text) { fill(shown(), text, citations); scroll(); }
      } else if (name === 'incomplete') {
        text = ''; // what was shown is not the reply; the stored one follows
        if (reply) { fill(reply, '', null); }
      } else if (name === 'citations') {
        citations = d.citations || [];
      } else if (name === 'end') {
        var r = d.reply || {};
        var customerSeq = d.customerSeq != null ? d.customerSeq : r.customerSeq;
        var replySeq = d.replySeq != null ? d.replySeq : r.replySeq;
        if (typeof customerSeq === 'number') { seen[customerSeq] = true; }
        if (r.status) { showStatus(r.status); }
        if (!r.text || (typeof replySeq === 'number' && seen[replySeq])) {
          if (reply) { reply.remove(); reply = null; } // nothing to say, or already shown from the events stream
        } else {
          var b = shown();
          if (r.decision === 'HANDOFF') {
            // Keel stores the hand-off notice as a system message: shown as the transcript shows it after a reload
            reply = bubble({ role: 'system', text: r.text, citations: r.citations });
            log.replaceChild(reply, b);
          } else {
            fill(b, r.text, r.citations);
          }
          if (typeof replySeq === 'number') { seen[replySeq] = true; }
        }
        done();
        scroll();
      } else if (name === 'error') {
        failed(t('failed') + (d.message ? ' ' + d.message : ''));
      }
    }
    ensureConversation().then(function (c) {
      return fetch(API + '/' + c.conversationId + '/messages/stream', {
        method: 'POST', headers: headers(true), cache: 'no-store',
        body: JSON.stringify({ text: turn.text, clientMessageId: turn.clientMessageId })
      });
    }).then(function (response) {
      if (!response.ok) { return httpError(response); }
      return readEvents(response, onEvent).then(function () { failed(t('failed')); }); // ended without end or error
    }).catch(function (e) {
      if (finished) { return; }
      if (e.status === 413) {
        failed(t('tooLong'), false);
        turn.mine.remove();
        delete pending[turn.clientMessageId];
        if (!input.value) { input.value = turn.text; count(); }
      } else if (e.status === 429) {
        failed(t('tooMany'));
      } else if (isGone(e) && !turn.again) {
        turn.again = true; // once: a fresh conversation's token is good
        done();
        fresh();
        turn.mine = append(bubble({ role: 'customer', text: turn.text }));
        pending[turn.clientMessageId] = turn;
        run(turn);
      } else {
        failed(t('failed'));
      }
    });
  }

  /* ---- The events stream: agents, notices, status and typing, live; resumed from the last seq ---- */

  function connectEvents() {
    if (!conversation || events) { return; }
    var controller = events = new AbortController();
    heard = Date.now();
    // ?after= rather than Last-Event-ID: a header CORS grants on other sites' pages too
    fetch(API + '/' + conversation.conversationId + '/events' + (lastSeq >= 0 ? '?after=' + lastSeq : ''),
      { headers: headers(false), signal: controller.signal, cache: 'no-store' })
      .then(function (response) {
        if (!response.ok) { return httpError(response); }
        attempt = 0;
        return readEvents(response, function (name, d, id) {
          if (controller.signal.aborted) { return; } // the rest of a chunk read before the abort
          heard = Date.now();
          if (name === 'message') {
            if (typeof d.seq !== 'number' && id) { d.seq = Number(id); }
            accept(d, true);
            lastSeq = Math.max(lastSeq, d.seq);
          } else if (name === 'status') {
            showStatus(d);
          } else if (name === 'typing') {
            showAgentTyping(d);
          } else if (name === 'error') {
            // Keel ends the stream after an error; a token that expired while it was open would only fail again
            controller.abort();
            if (isGone(d) && events === controller) { events = null; fresh(); }
          } else if (name === 'reconnect') {
            controller.abort(); // the node is going away; another answers at once
            attempt = -1;
          }
          connection.hidden = true;
        });
      })
      .catch(function (e) {
        if (e && isGone(e) && events === controller) { events = null; fresh(); return; }
      })
      .then(function () {
        if (events !== controller) { return; }
        events = null;
        // back off 1, 2, 4 ... 30 s, with jitter, so that a restarted node is not stormed
        var delay = attempt < 0 ? 300 : Math.min(30000, 1000 * Math.pow(2, attempt)) * (0.8 + Math.random() * 0.4);
        if (attempt++ >= 1) { connection.hidden = false; }
        eventsTimer = setTimeout(connectEvents, delay);
      });
  }
  /* a stream that hears nothing (not even the 15-second ping) is a dead connection */
  setInterval(function () { if (events && Date.now() - heard > 40000) { events.abort(); } }, 5000);
  window.addEventListener('online', function () {
    if (!events && conversation) { clearTimeout(eventsTimer); attempt = 0; connectEvents(); }
  });
  function stopEvents() {
    clearTimeout(eventsTimer);
    if (events) { var e = events; events = null; e.abort(); }
  }

  /** Reload after a page load: the transcript, then the events stream from its last seq. */
  function resume() {
    if (resumed || !conversation) { return; }
    resumed = true;
    endButton.hidden = false;
    api('GET', '/' + conversation.conversationId + '/messages').then(function (transcript) {
      transcript.messages.forEach(function (m, i) {
        if (typeof m.seq !== 'number') { m.seq = i; }
        accept(m);
        lastSeq = Math.max(lastSeq, m.seq);
      });
      if (conversation.rated === false) { offerRating(); }
    }).catch(function (e) {
      if (isGone(e)) { fresh(); }
    }).then(function () { connectEvents(); });
  }
  /** Starts over: a new conversation is opened with the next message. */
  function fresh(quiet) {
    stopEvents();
    conversation = null;
    save();
    seen = {};
    lastSeq = -1;
    pending = {};
    deferred = [];
    resumed = false;
    statusBar.textContent = '';
    connection.hidden = true;
    log.textContent = '';
    endButton.hidden = true;
    rating.hidden = true;
    compose.hidden = false;
    log.appendChild(el('div', 'intro', quiet ? t('welcome') : t('expired')));
  }

  /* ---- Rating ---- */

  function offerRating() {
    if (!conversation || conversation.rated === true || !rating.hidden) { return; }
    conversation.rated = false;
    save();
    rating.textContent = '';
    var set = rating.appendChild(el('fieldset'));
    set.appendChild(el('legend', null, t('rateTitle')));
    var scores = set.appendChild(el('div', 'sc'));
    for (var n = 1; n <= 5; n++) {
      var radio = el('input');
      radio.type = 'radio';
      radio.name = 'score';
      radio.value = String(n);
      radio.setAttribute('aria-label', t('star', { n: n }));
      add(scores, add(el('label'), radio, el('span', null, String(n))));
    }
    var comment = el('textarea');
    comment.maxLength = 1000;
    comment.setAttribute('aria-label', t('comment'));
    comment.placeholder = t('comment');
    var submitRating = el('button', 'b', t('rate'));
    submitRating.type = 'submit';
    var skip = el('button', 'b2', t('skip'));
    skip.type = 'button';
    var problem = el('span', 'sr');
    problem.setAttribute('role', 'alert');
    add(rating, comment, add(el('div', 'row'), submitRating, skip, problem));
    skip.addEventListener('click', function () { rating.hidden = true; input.focus(); });
    rating.hidden = false;
    scroll();
  }
  rating.addEventListener('submit', function (e) {
    e.preventDefault();
    var picked = rating.querySelector('input:checked');
    var problem = rating.querySelector('[role=alert]');
    if (!picked) { problem.className = ''; problem.textContent = t('pickScore'); return; }
    var body = { score: Number(picked.value) };
    var comment = rating.querySelector('textarea').value.trim();
    if (comment) { body.comment = comment; }
    api('POST', '/' + conversation.conversationId + '/rating', body).then(function () {
      conversation.rated = true;
      save();
      rating.textContent = '';
      var again = el('button', 'b2', t('newChat'));
      again.type = 'button';
      again.addEventListener('click', function () { fresh(true); rating.hidden = true; input.focus(); });
      add(rating, add(el('div', 'row'), el('span', null, t('thanks')), again));
      again.focus();
    }).catch(function (err) {
      if (isGone(err)) { fresh(); return; }
      problem.className = '';
      problem.textContent = t('rateFailed');
    });
  });
  endButton.addEventListener('click', function () {
    offerRating();
    var first = rating.querySelector('input');
    if (first) { first.focus(); }
  });

  /* ---- Opening, closing, typing ---- */

  function openPanel() {
    panel.hidden = false;
    launcher.classList.add('on');
    launcher.classList.remove('unread');
    launcher.removeAttribute('aria-label');
    launcher.setAttribute('aria-expanded', 'true');
    if (conversation) { conversation.open = true; save(); }
    resume();
    scroll();
    input.focus();
  }
  function closePanel() {
    panel.hidden = true;
    launcher.classList.remove('on');
    launcher.setAttribute('aria-expanded', 'false');
    if (conversation) { conversation.open = false; save(); }
    launcher.focus();
  }
  launcher.addEventListener('click', function () { if (panel.hidden) { openPanel(); } else { closePanel(); } });
  closeButton.addEventListener('click', closePanel);
  panel.addEventListener('keydown', function (e) {
    if (e.key === 'Escape') { e.preventDefault(); closePanel(); }
  });
  function count() {
    var n = Array.from(input.value).length; // code points, as Keel counts them
    counter.textContent = n ? t('count', { n: n }) : '';
    counter.classList.toggle('over', n > MAX_CHARS);
    input.style.height = 'auto';
    input.style.height = Math.min(input.scrollHeight + 2, 130) + 'px';
  }
  input.addEventListener('input', count);
  input.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); compose.requestSubmit(sendButton); }
  });
  compose.addEventListener('submit', function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text) { return; }
    input.value = '';
    count();
    submit(text);
  });

  window.KeelWidget = {
    open: openPanel,
    close: closePanel,
    /** A new conversation; identity: {identityToken: '<JWT your backend signed>'}, or null for an anonymous visitor. */
    restart: function (who) {
      identity = who || {};
      fresh(true);
      openPanel();
    }
  };

  conversation = load();
  function mount() {
    document.body.appendChild(host);
    if (conversation && conversation.open) { openPanel(); } else if (conversation) { resume(); }
  }
  if (document.body) { mount(); } else { document.addEventListener('DOMContentLoaded', mount); }
})();
