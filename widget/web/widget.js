/* Keel chat widget: one script tag, no dependencies, no requests to anyone but Keel.
   Every text shown comes from textContent, so nothing a visitor, an article or the bot writes
   can become markup. */
(function () {
  'use strict';
  var script = document.currentScript;
  var base = new URL(script.src, location.href).origin;
  var title = script.getAttribute('data-title') || 'Help';
  var color = script.getAttribute('data-color') || '#1f6feb';
  var storeKey = 'keel.conversation';
  var conversation = null;

  var host = document.createElement('div');
  document.body.appendChild(host);
  var root = host.attachShadow({ mode: 'open' });
  root.innerHTML =
    '<style>' +
    ':host{all:initial}' +
    '.launcher{position:fixed;right:20px;bottom:20px;border:0;border-radius:24px;padding:12px 18px;color:#fff;font:600 15px system-ui,sans-serif;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.2)}' +
    '.panel{position:fixed;right:20px;bottom:76px;width:min(370px,calc(100vw - 40px));height:min(540px,calc(100vh - 100px));display:none;flex-direction:column;background:#fff;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.25);font:14px/1.45 system-ui,sans-serif;color:#1d2733;overflow:hidden}' +
    '.panel.open{display:flex}' +
    'header{padding:12px 16px;color:#fff;font-weight:600}' +
    '.log{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:8px}' +
    '.msg{max-width:85%;padding:8px 12px;border-radius:12px;white-space:pre-wrap;word-wrap:break-word}' +
    '.customer{align-self:flex-end;color:#fff}' +
    '.bot,.agent{align-self:flex-start;background:#eef1f5}' +
    '.notice{align-self:center;font-size:12px;color:#5b6878}' +
    '.cites{margin-top:6px;font-size:12px;color:#5b6878}' +
    'form{display:flex;border-top:1px solid #e3e7ec}' +
    'textarea{flex:1;border:0;padding:10px;font:inherit;resize:none;height:44px}' +
    'form button{border:0;background:none;padding:0 14px;font-weight:600;cursor:pointer}' +
    '.count{font-size:11px;color:#8a96a3;padding:0 10px 4px;text-align:right}' +
    '</style>' +
    '<button class="launcher" aria-expanded="false" aria-controls="keel-panel"></button>' +
    '<section class="panel" id="keel-panel" role="dialog" aria-label="">' +
    '<header></header><div class="log" role="log" aria-live="polite"></div>' +
    '<form><textarea aria-label="Your message" placeholder="Type your question" maxlength="4000"></textarea>' +
    '<button type="submit">Send</button></form><div class="count"></div></section>';

  var launcher = root.querySelector('.launcher');
  var panel = root.querySelector('.panel');
  var log = root.querySelector('.log');
  var form = root.querySelector('form');
  var input = root.querySelector('textarea');
  var count = root.querySelector('.count');
  launcher.textContent = title;
  launcher.style.background = color;
  root.querySelector('header').textContent = title;
  root.querySelector('header').style.background = color;
  panel.setAttribute('aria-label', title);

  launcher.addEventListener('click', function () {
    var open = panel.classList.toggle('open');
    launcher.setAttribute('aria-expanded', String(open));
    if (open) { input.focus(); ensureConversation(null); }
  });
  input.addEventListener('input', function () { count.textContent = input.value.length + ' / 4000'; });
  input.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); form.requestSubmit(); }
  });
  form.addEventListener('submit', function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text) { return; }
    input.value = '';
    count.textContent = '';
    send(text);
  });

  function show(role, text, citations) {
    var div = document.createElement('div');
    div.className = 'msg ' + role;
    if (role === 'customer') { div.style.background = color; }
    div.textContent = text;
    if (citations && citations.length) {
      var cites = document.createElement('div');
      cites.className = 'cites';
      cites.textContent = 'Sources: ' + citations.map(function (c) { return c.title; }).join(' · ');
      div.appendChild(cites);
    }
    log.appendChild(div);
    log.scrollTop = log.scrollHeight;
    return div;
  }

  var shown = 0;
  var polling = null;

  function roleClass(role) { return role === 'system' ? 'notice' : role; }

  /** Shows what people write (and system notices) until the conversation is back with the bot. */
  function followPerson() {
    if (polling) { return; }
    polling = setInterval(function () {
      if (!conversation) { return; }
      api('GET', '/api/v1/conversations/' + conversation.conversationId + '/messages').then(function (t) {
        t.messages.slice(shown).forEach(function (m) {
          if (m.role !== 'customer') { show(roleClass(m.role), m.text, m.citations); }
        });
        shown = t.messages.length;
        return api('GET', '/api/v1/conversations/' + conversation.conversationId + '/status');
      }).then(function (s) {
        if (s.owner === 'bot') { clearInterval(polling); polling = null; }
      }).catch(function () { /* try again on the next tick */ });
    }, 4000);
  }

  function api(method, path, body) {
    var headers = { 'Content-Type': 'application/json' };
    if (conversation) { headers.Authorization = 'Bearer ' + conversation.token; }
    return fetch(base + path, { method: method, headers: headers, body: body ? JSON.stringify(body) : undefined })
      .then(function (r) {
        return r.json().then(function (json) {
          if (!r.ok) { throw new Error((json.error && json.error.message) || ('HTTP ' + r.status)); }
          return json;
        });
      });
  }

  function ensureConversation(identity) {
    if (conversation) { return Promise.resolve(conversation); }
    var saved = null;
    try { saved = JSON.parse(sessionStorage.getItem(storeKey)); } catch (e) { saved = null; }
    if (saved && saved.conversationId) {
      conversation = saved;
      return api('GET', '/api/v1/conversations/' + conversation.conversationId + '/messages').then(function (t) {
        t.messages.forEach(function (m) { show(roleClass(m.role), m.text, m.citations); });
        shown = t.messages.length;
        return conversation;
      }).catch(function () { conversation = null; sessionStorage.removeItem(storeKey); return ensureConversation(identity); });
    }
    return api('POST', '/api/v1/conversations', identity || {}).then(function (c) {
      conversation = c;
      sessionStorage.setItem(storeKey, JSON.stringify(c));
      return c;
    });
  }

  function send(text) {
    show('customer', text);
    var clientMessageId = (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random());
    var waiting = show('notice', '…');
    ensureConversation(null).then(function (c) {
      return api('POST', '/api/v1/conversations/' + c.conversationId + '/messages', { text: text, clientMessageId: clientMessageId });
    }).then(function (r) {
      waiting.remove();
      // while a person is due or in charge the bot writes nothing; their messages arrive by polling
      if (r.reply.text) {
        show(r.reply.decision === 'HANDOFF' ? 'notice' : 'bot', r.reply.text, r.reply.citations);
      }
      shown += r.reply.text ? 2 : 1;
      if (r.reply.decision === 'HANDOFF') { followPerson(); }
    }).catch(function (err) {
      waiting.remove();
      show('notice', 'Sorry, that did not go through: ' + err.message);
    });
  }

  window.KeelWidget = {
    // identity: null for an anonymous visitor, or {identityToken: '<JWT your backend signed>'}
    restart: function (identity) {
      sessionStorage.removeItem(storeKey);
      conversation = null;
      log.textContent = '';
      panel.classList.add('open');
      launcher.setAttribute('aria-expanded', 'true');
      return ensureConversation(identity);
    }
  };
})();
