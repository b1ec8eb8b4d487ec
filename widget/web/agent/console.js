/* Keel's agent console. Talks to the agent API of the server that serves it: updates arrive over
   the agent WebSocket, and the console polls the REST routes whenever the socket is not there.
   Every text that comes from a customer, the bot, an agent or an article is set with textContent
   (or through KeelMarkdown, which does the same), never as HTML. */
(function () {
  'use strict';

  var API = '/api/v1';
  var HEARTBEAT_MS = 20000;
  var LEASE_MS = 30000;
  var QUEUE_POLL_MS = 4000;
  var CONVERSATION_POLL_MS = 3000;
  var TYPING_EVERY_MS = 2500;
  var MAX_TEXT = 4000;

  var REASONS = {
    INTENT_HUMAN: 'Asked for a person',
    INTENT_CHURN: 'Wants to cancel or leave',
    INTENT_COMPLAINT: 'Has a complaint',
    FRUSTRATED: 'Frustrated',
    REPEATED_QUESTION: 'Asked the same thing again and again',
    FAILED_ANSWERS: 'The bot could not answer several times',
    EARLIER_ANSWERS_FAILED: 'Earlier answers did not help',
    NOT_IN_KNOWLEDGE_BASE: 'Not covered by the help articles',
    CHURN_RISK_HIGH: 'High churn risk',
    CHURN_RISK_MEDIUM: 'Medium churn risk',
    CHURN_RISK_LOW: 'Low churn risk',
    CHURN_RISK_UNKNOWN: 'Churn risk unknown'
  };
  var NO_SCORE = {
    NO_CUSTOMER: 'No known customer, so no churn score.',
    NO_RECORD: 'No customer record, so no churn score.',
    SCORE_UNAVAILABLE: 'The churn score could not be read just now.'
  };
  var BANDS = { HIGH: 'High risk', MEDIUM: 'Medium risk', LOW: 'Low risk', UNKNOWN: 'Risk unknown' };

  var state = {
    me: null,
    csrf: null,
    online: false,
    queue: [],
    agents: [],
    open: {},        // conversation id -> {id, view, messages (by seq), seqs, unread}
    order: [],       // open conversation ids, in the order they were claimed
    active: null,
    ws: null,
    live: false,
    timers: [],
    pollers: [],
    lastTyping: 0,
    backoff: 1000
  };

  function $(id) { return document.getElementById(id); }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } }

  function randomId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
  }

  // --- the API

  function ApiError(status, code, message) {
    this.status = status;
    this.code = code;
    this.message = message;
  }

  function api(method, path, body) {
    var headers = { 'Accept': 'application/json' };
    if (body !== undefined) { headers['Content-Type'] = 'application/json'; }
    if (method !== 'GET' && state.csrf) { headers['X-CSRF-Token'] = state.csrf; }
    return fetch(API + path, {
      method: method,
      headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store'
    }).then(function (response) {
      return response.text().then(function (text) {
        var json = null;
        try { json = text ? JSON.parse(text) : {}; } catch (e) { json = {}; }
        if (!response.ok) {
          var error = (json && json.error) || {};
          if (response.status === 401 && state.me && path !== '/auth/login') { signedOut('Your session has ended. Sign in again.'); }
          throw new ApiError(response.status, error.code || 'http_' + response.status, error.message || response.statusText);
        }
        return json;
      });
    });
  }

  function every(ms, work) { state.timers.push(setInterval(work, ms)); }

  function stopTimers() {
    state.timers.forEach(clearInterval);
    state.timers = [];
    stopPolling();
  }

  // --- sign-in and sign-out

  function showSignIn(message) {
    $('console').hidden = true;
    $('signin').hidden = false;
    $('signin-error').textContent = message || '';
    $('signin-name').focus();
  }

  function signedOut(message) {
    stopTimers();
    if (state.ws) { state.ws.onclose = null; state.ws.close(); state.ws = null; }
    state.me = null;
    state.csrf = null;
    state.online = false;
    state.open = {};
    state.order = [];
    state.active = null;
    sessionStorage.removeItem('keel.agent.open');
    sessionStorage.removeItem('keel.agent.online');
    showSignIn(message);
  }

  $('signin').addEventListener('submit', function (e) {
    e.preventDefault();
    var name = $('signin-name').value.trim();
    var password = $('signin-password').value;
    $('signin-error').textContent = '';
    api('POST', '/auth/login', { name: name, password: password }).then(function (me) {
      $('signin-password').value = '';
      start(me);
    }).catch(function (err) {
      $('signin-error').textContent = err.code === 'invalid_credentials' ? 'Wrong name or password.'
        : err.code === 'too_many_sign_in_attempts' ? 'Too many attempts. Wait a few minutes and try again.'
          : 'Sign-in failed: ' + err.message;
    });
  });

  $('signout').addEventListener('click', function () {
    var off = state.online ? api('POST', '/agent/presence', { online: false }).catch(function () { }) : Promise.resolve();
    off.then(function () { return api('POST', '/auth/logout', {}); })
      .catch(function () { })
      .then(function () { signedOut('You have signed out.'); });
  });

  function start(me) {
    state.me = me;
    state.csrf = me.csrfToken;
    $('signin').hidden = true;
    $('console').hidden = false;
    $('whoami').textContent = 'Signed in as ' + me.name + ' (' + me.role + ')';
    every(1000, tickWaits);
    every(LEASE_MS, renewLeases);
    every(HEARTBEAT_MS, function () { if (state.online) { heartbeat(); } });
    if (sessionStorage.getItem('keel.agent.online') === 'yes') { setOnline(true); } else { renderPresence(); }
    loadQueue();
    restoreOpen();
    connect();
    nextStep();
  }

  // --- presence

  function renderPresence() {
    var button = $('presence');
    button.setAttribute('aria-pressed', state.online ? 'true' : 'false');
    button.textContent = state.online ? 'Online · go offline' : 'Go online';
    renderTransferTargets();
    nextStep();
  }

  function heartbeat() {
    return api('POST', '/agent/presence', { name: state.me.name, capacity: Number($('capacity').value), online: true })
      .then(function (r) { state.agents = r.agents || []; renderTransferTargets(); })
      .catch(function () { });
  }

  function setOnline(online) {
    state.online = online;
    sessionStorage.setItem('keel.agent.online', online ? 'yes' : 'no');
    renderPresence();
    if (online) { return heartbeat(); }
    return api('POST', '/agent/presence', { online: false })
      .then(function (r) { state.agents = r.agents || []; renderTransferTargets(); })
      .catch(function () { });
  }

  $('presence').addEventListener('click', function () { setOnline(!state.online); });

  // closing the page signs the agent off at once rather than when the heartbeat runs out
  // (a reload goes online again, since the choice is kept for the tab)
  window.addEventListener('pagehide', function () {
    if (!state.online || !state.csrf) { return; }
    fetch(API + '/agent/presence', {
      method: 'POST',
      keepalive: true,
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': state.csrf },
      body: JSON.stringify({ online: false })
    }).catch(function () { });
  });
  // a page brought back from the browser's back-forward cache was signed off when it was hidden
  window.addEventListener('pageshow', function (e) {
    if (e.persisted && state.online && state.me) { heartbeat(); }
  });
  $('capacity').addEventListener('change', function () { if (state.online) { heartbeat(); } });

  function renderTransferTargets() {
    var select = $('transfer-to');
    var chosen = select.value;
    clear(select);
    select.appendChild(el('option', null, 'the queue')).value = '';
    state.agents.forEach(function (a) {
      if (state.me && a.agentId === state.me.name) { return; }
      var option = el('option', null, a.name + ' (online)');
      option.value = a.agentId;
      select.appendChild(option);
    });
    select.value = Array.prototype.some.call(select.options, function (o) { return o.value === chosen; }) ? chosen : '';
  }

  // --- the queue

  function loadQueue() {
    return api('GET', '/agent/queue').then(function (r) { renderQueue(r.handoffs || []); }).catch(function () { });
  }

  function renderQueue(items) {
    var now = Date.now();
    state.queue = items.slice().sort(function (a, b) { return (a.position || 0) - (b.position || 0); });
    var list = $('queue');
    // the list is rebuilt on every update: a keyboard user's place in it must survive that
    var focused = list.contains(document.activeElement) ? document.activeElement.closest('li.ticket') : null;
    var focusedId = focused ? focused.dataset.conversationId : null;
    clear(list);
    state.queue.forEach(function (t, i) {
      var band = BANDS[t.riskBand] ? t.riskBand : 'UNKNOWN';
      var li = el('li', 'ticket band-' + band + (i === 0 ? ' first' : ''));
      li.dataset.conversationId = t.conversationId;

      var head = li.appendChild(el('div', 'ticket-head'));
      head.appendChild(el('span', 'position', '#' + (t.position || i + 1)));
      head.appendChild(el('span', 'badge band-' + band, BANDS[band]));
      if (t.identity !== 'verified') {
        head.appendChild(el('span', 'badge unverified', 'unverified'))
          .title = 'The visitor did not prove who they are: no account data or churn score is shown.';
      }
      head.appendChild(el('span', 'who', t.identity === 'verified' && t.customerId ? 'Customer ' + t.customerId : 'Visitor'));

      var reasons = li.appendChild(el('ul', 'reasons'));
      (t.reasons || []).forEach(function (code) {
        if (/^CHURN_RISK_/.test(code)) { return; }
        reasons.appendChild(el('li', null, reasonText(code)));
      });
      if (!reasons.firstChild) { reasons.appendChild(el('li', null, 'Handed over by the bot')); }

      var foot = li.appendChild(el('div', 'ticket-foot'));
      var since = t.createdAt || now - (t.waitedMinutes || 0) * 60000;
      var wait = foot.appendChild(el('span', 'wait'));
      wait.dataset.since = String(since);
      if (t.monthlyCharges !== null && t.monthlyCharges !== undefined) {
        foot.appendChild(el('span', 'muted', '$' + Number(t.monthlyCharges).toFixed(2) + ' / month'));
      }
      foot.appendChild(el('span', 'spacer'));
      var claim = foot.appendChild(el('button', i === 0 ? 'primary claim' : 'claim', 'Claim'));
      claim.type = 'button';
      claim.addEventListener('click', function () { claimConversation(t, claim); });
      list.appendChild(li);
    });
    $('queue-count').textContent = state.queue.length ? '(' + state.queue.length + ')' : '';
    $('queue-empty').hidden = state.queue.length > 0;
    if (focusedId) {
      var same = Array.prototype.filter.call(list.children, function (li) { return li.dataset.conversationId === focusedId; })[0];
      var again = (same && same.querySelector('button.claim')) || list.querySelector('button.claim');
      if (again) { again.focus(); }
    }
    tickWaits();
    nextStep();
  }

  function reasonText(code) {
    return REASONS[code] || String(code).toLowerCase().replace(/_/g, ' ');
  }

  function waitText(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    if (s < 60) { return 'waiting ' + s + ' s'; }
    var m = Math.floor(s / 60);
    if (m < 60) { return 'waiting ' + m + ' min ' + (s % 60) + ' s'; }
    return 'waiting ' + Math.floor(m / 60) + ' h ' + (m % 60) + ' min';
  }

  function tickWaits() {
    var now = Date.now();
    Array.prototype.forEach.call(document.querySelectorAll('.wait[data-since]'), function (node) {
      node.textContent = waitText(now - Number(node.dataset.since));
    });
  }

  function claimConversation(ticket, button) {
    button.disabled = true;
    api('POST', '/agent/conversations/' + ticket.conversationId + '/claim', {}).then(function (view) {
      openConversation(view);
      loadQueue();
    }).catch(function (err) {
      button.disabled = false;
      say(err.code === 'not_allowed' ? 'Someone else took that conversation.' : 'Could not claim: ' + err.message);
      loadQueue();
    });
  }

  // --- open conversations

  function saveOpen() {
    sessionStorage.setItem('keel.agent.open', JSON.stringify(state.order));
  }

  function restoreOpen() {
    var ids = [];
    try { ids = JSON.parse(sessionStorage.getItem('keel.agent.open') || '[]'); } catch (e) { ids = []; }
    ids.forEach(function (id) {
      if (!/^[0-9a-f-]{36}$/.test(id)) { return; }
      api('GET', '/agent/conversations/' + id).then(function (view) {
        if (view.yours) { openConversation(view); }
      }).catch(function () { });
    });
  }

  function openConversation(view) {
    var id = view.conversationId;
    var c = state.open[id];
    if (!c) {
      c = state.open[id] = { id: id, view: view, messages: [], seqs: {}, unread: 0 };
      state.order.push(id);
      saveOpen();
      // the outcome chosen for the last conversation is no guess for this one
      $('disposition').value = 'resolved';
    }
    c.view = view;
    addMessages(c, view.messages || []);
    watch(id);
    activate(id);
    awaitSummary(c);
  }

  /** The model's summary is written in the background; read the briefing again until it is there. */
  function awaitSummary(c) {
    if (!c.view.summaryPending || c.summaryTimer) { return; }
    c.summaryTimer = setTimeout(function () {
      c.summaryTimer = null;
      syncConversation(c.id).then(function () { if (state.open[c.id]) { awaitSummary(state.open[c.id]); } });
    }, 3000);
  }

  function activate(id) {
    var c = state.open[id];
    state.active = id;
    c.unread = 0;
    renderTabs();
    renderChat();
    renderTranscript(c);
    renderBriefing(c.view);
    loadSuggestions(id);
    $('reply').focus();
  }

  function closeConversation(id, notice) {
    var c = state.open[id];
    if (!c) { return; }
    delete state.open[id];
    state.order = state.order.filter(function (x) { return x !== id; });
    saveOpen();
    unwatch(id);
    if (state.active === id) {
      state.active = null;
      if (state.order.length) {
        activate(state.order[state.order.length - 1]);
      }
    }
    renderTabs();
    renderChat();
    if (notice) { say(notice); }
    loadQueue();
  }

  function renderTabs() {
    var tabs = $('tabs');
    clear(tabs);
    if (state.order.length < 2) { return; }
    state.order.forEach(function (id, i) {
      var c = state.open[id];
      var button = tabs.appendChild(el('button', null, 'Conversation ' + (i + 1)));
      button.type = 'button';
      button.setAttribute('aria-current', id === state.active ? 'true' : 'false');
      if (c.unread) { button.appendChild(el('span', 'unread', ' · ' + c.unread + ' new')); }
      button.addEventListener('click', function () { activate(id); });
    });
  }

  function renderChat() {
    var c = state.active && state.open[state.active];
    $('chat').hidden = !c;
    $('chat-empty').hidden = !!c;
    $('briefing').hidden = !c;
    $('action-error').textContent = '';
    $('send-error').textContent = '';
    if (!c) {
      clear($('transcript'));
      nextStep();
      return;
    }
    var identity = $('chat-identity');
    clear(identity);
    if (c.view.identity !== 'verified') {
      identity.appendChild(el('span', 'badge unverified', 'unverified'))
        .title = 'The visitor did not prove who they are: treat account claims with care.';
    } else if (c.view.customerId) {
      identity.appendChild(el('span', 'muted', 'Customer ' + c.view.customerId));
    }
    $('chat-title').textContent = 'Conversation ' + c.id.slice(0, 8);
    $('chat-owner').textContent = '';
    nextStep();
  }

  var ROLE_NAMES = { customer: 'Customer', bot: 'Bot', system: 'Notice' };

  /**
   * Adds the messages not seen yet, known by their sequence number (a message's place in the
   * transcript), so a message that arrives over the socket and in a poll is shown once.
   */
  function addMessages(c, messages) {
    var added = 0;
    messages.forEach(function (m, i) {
      var seq = typeof m.seq === 'number' ? m.seq : i;
      if (c.seqs[seq]) { return; }
      c.seqs[seq] = true;
      c.messages.push({ seq: seq, message: m });
      c.messages.sort(function (a, b) { return a.seq - b.seq; });
      if (c.id === state.active) { showMessage(m, seq); }
      added++;
    });
    if (added && c.id !== state.active) {
      c.unread += added;
      renderTabs();
    }
    if (added && c.id === state.active) {
      var list = $('transcript');
      list.scrollTop = list.scrollHeight;
      nextStep();
    }
    return added;
  }

  function renderTranscript(c) {
    var list = $('transcript');
    clear(list);
    c.messages.forEach(function (entry) { showMessage(entry.message, entry.seq); });
    list.scrollTop = list.scrollHeight;
  }

  function showMessage(m, seq) {
    var list = $('transcript');
    var role = (ROLE_NAMES[m.role] || m.role === 'agent') ? m.role : 'system';
    var li = el('li', 'msg ' + role);
    li.dataset.seq = String(seq);
    li.dataset.role = role;
    var who = role === 'agent' ? (m.agentName || 'Agent') : ROLE_NAMES[role];
    var when = m.at ? new Date(m.at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : '';
    li.appendChild(el('span', 'who', who + (when ? ' · ' + when : '')));
    var body = li.appendChild(el('div', 'body'));
    if (role === 'system') {
      body.textContent = m.text || '';
    } else {
      window.KeelMarkdown.render(body, m.text || '');
    }
    if (m.citations && m.citations.length) {
      li.appendChild(el('div', 'cites', 'Sources: ' + m.citations.map(function (x) { return x.title; }).join(' · ')));
    }
    // keep the order by sequence number even when a late message arrives
    var after = null;
    Array.prototype.some.call(list.children, function (node) {
      if (Number(node.dataset.seq) > seq) { after = node; return true; }
      return false;
    });
    list.insertBefore(li, after);
  }

  function syncConversation(id) {
    return api('GET', '/agent/conversations/' + id).then(function (view) {
      var c = state.open[id];
      if (!c) { return; }
      var messages = view.messages || [];
      c.view = view;
      if (!view.yours) {
        closeConversation(id, 'A conversation is no longer yours (it was moved or its lease ran out).');
        return;
      }
      var before = latestCustomerSeq(c);
      addMessages(c, messages);
      awaitSummary(c);
      if (id === state.active) {
        renderBriefing(c.view);
        if (latestCustomerSeq(c) !== before) { loadSuggestions(id); }
      }
    }).catch(function (err) {
      if (err.status === 404) { closeConversation(id, 'A conversation no longer exists.'); }
    });
  }

  function latestCustomerSeq(c) {
    var latest = -1;
    c.messages.forEach(function (entry) {
      if (entry.message.role === 'customer') { latest = entry.seq; }
    });
    return latest;
  }

  function renewLeases() {
    state.order.forEach(function (id) {
      api('POST', '/agent/conversations/' + id + '/lease', {}).catch(function (err) {
        if (err.status === 409 || err.status === 404) {
          closeConversation(id, 'A conversation is no longer yours (it was moved or its lease ran out).');
        }
      });
    });
  }

  // --- the composer

  var reply = $('reply');

  reply.addEventListener('input', function () {
    $('reply-count').textContent = reply.value.length + ' / ' + MAX_TEXT;
    var now = Date.now();
    if (state.live && state.active && now - state.lastTyping > TYPING_EVERY_MS) {
      state.lastTyping = now;
      sendFrame({ type: 'typing', conversationId: state.active });
    }
  });

  reply.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      send();
    }
  });

  $('composer').addEventListener('submit', function (e) {
    e.preventDefault();
    send();
  });

  function send() {
    var id = state.active;
    var text = reply.value.trim();
    if (!id || !text) { return; }
    if (text.length > MAX_TEXT) {
      $('send-error').textContent = 'The reply is longer than ' + MAX_TEXT + ' characters.';
      return;
    }
    $('send').disabled = true;
    $('send-error').textContent = '';
    api('POST', '/agent/conversations/' + id + '/messages', { text: text, clientMessageId: randomId() }).then(function () {
      if (reply.value.trim() === text) { reply.value = ''; }
      $('reply-count').textContent = reply.value.length + ' / ' + MAX_TEXT;
      return syncConversation(id);
    }).catch(function (err) {
      $('send-error').textContent = err.code === 'not_allowed'
        ? 'This conversation is no longer yours.' : 'Not sent: ' + err.message;
    }).then(function () {
      $('send').disabled = false;
      reply.focus();
    });
  }

  // --- hand back, transfer, resolve

  function act(action, body, done) {
    var id = state.active;
    if (!id) { return; }
    $('action-error').textContent = '';
    api('POST', '/agent/conversations/' + id + '/' + action, body).then(function () {
      closeConversation(id, done);
    }).catch(function (err) {
      $('action-error').textContent = err.code === 'agent_offline' ? 'That agent is no longer online.'
        : err.code === 'not_allowed' ? 'This conversation is no longer yours.' : err.message;
    });
  }

  $('handback').addEventListener('click', function () {
    act('handback', {}, 'Handed back to the bot.');
  });

  $('transfer').addEventListener('click', function () {
    var to = $('transfer-to').value;
    act('transfer', to ? { toAgentId: to } : {}, to ? 'Transferred.' : 'Put back in the queue.');
  });

  $('resolve').addEventListener('click', function () {
    var disposition = $('disposition').value;
    act('resolve', { disposition: disposition }, 'Resolved as ' + disposition + '.');
  });

  // --- the briefing

  function renderBriefing(view) {
    $('summary').textContent = view.summary || '';
    $('summary-source').textContent = view.summarySource === 'model' ? 'Summary written by the language model.'
      : view.summaryPending ? 'A fuller summary is being written…' : '';

    var risk = $('risk');
    clear(risk);
    var card = view.riskCard || {};
    var band = BANDS[card.band] ? card.band : 'UNKNOWN';
    var line = risk.appendChild(el('p'));
    if (typeof card.probability === 'number') {
      line.appendChild(el('span', 'score', Math.round(card.probability * 100) + ' %'));
    }
    line.appendChild(el('span', 'badge band-' + band, BANDS[band]));
    if (view.identity !== 'verified') {
      risk.appendChild(el('p', 'muted', 'The visitor is unverified, so no account data or churn score is shown.'));
    } else if (typeof card.scoreAgeMinutes === 'number') {
      risk.appendChild(el('p', 'muted', card.scoreAgeMinutes < 1 ? 'Scored just now.' : 'Scored ' + card.scoreAgeMinutes + ' min ago.'));
    }
    if (card.factors && card.factors.length) {
      var factors = risk.appendChild(el('ul'));
      card.factors.slice(0, 5).forEach(function (f) { factors.appendChild(el('li', null, f)); });
    }
    if (card.why && view.identity === 'verified') { risk.appendChild(el('p', 'muted', NO_SCORE[card.why] || card.why)); }
    if (typeof card.monthlyCharges === 'number') {
      risk.appendChild(el('p', 'muted', 'Pays $' + card.monthlyCharges.toFixed(2) + ' a month.'));
    }

    var playbook = $('playbook');
    clear(playbook);
    var steps = (view.playbook && view.playbook.steps) || [];
    steps.forEach(function (s) { playbook.appendChild(el('li', null, s)); });
    if (!steps.length) { playbook.appendChild(el('li', 'muted', 'No playbook for this case.')); }
    var offer = view.playbook && view.playbook.offer;
    $('offer').hidden = !offer;
    $('offer').textContent = offer ? 'Offer you may make: ' + offer : '';

    var tried = $('bot-tried');
    clear(tried);
    (view.botTried || []).forEach(function (a) { tried.appendChild(el('li', null, a.title || a.articleId)); });
    if (!tried.firstChild) { tried.appendChild(el('li', 'muted', 'No article.')); }
  }

  function loadSuggestions(id) {
    var list = $('suggestions');
    api('GET', '/agent/conversations/' + id + '/suggestions').then(function (r) {
      if (state.active !== id) { return; }
      clear(list);
      (r.suggestions || []).forEach(function (s) {
        var li = list.appendChild(el('li', 'suggestion'));
        li.appendChild(el('div', 'text', s.text));
        var titles = (s.citations || []).map(function (c) { return c.title; }).join(' · ');
        li.appendChild(el('div', 'source', 'From: ' + titles));
        var use = li.appendChild(el('button', 'small use-suggestion', 'Use this reply'));
        use.type = 'button';
        use.addEventListener('click', function () {
          reply.value = s.text;
          $('reply-count').textContent = reply.value.length + ' / ' + MAX_TEXT;
          reply.focus();
        });
      });
      if (!list.firstChild) { list.appendChild(el('li', 'muted', 'No article matches the latest messages.')); }
    }).catch(function () {
      clear(list);
      list.appendChild(el('li', 'muted', 'Suggestions are not available right now.'));
    });
  }

  $('refresh-suggestions').addEventListener('click', function () { if (state.active) { loadSuggestions(state.active); } });

  // --- what to do next

  function nextStep() {
    var text;
    var c = state.active && state.open[state.active];
    if (c) {
      var last = null;
      for (var i = c.messages.length - 1; i >= 0; i--) {
        if (c.messages[i].message.role !== 'system') { last = c.messages[i].message; break; }
      }
      text = last && last.role === 'customer' ? 'The customer is waiting for your reply.'
        : 'Waiting for the customer. Resolve the conversation when it is done.';
    } else if (!state.online) {
      text = state.queue.length ? state.queue.length + ' waiting. Go online, then claim the first conversation.'
        : 'You are offline. Go online to take conversations.';
    } else if (state.queue.length) {
      text = 'Claim #1 in the queue: ' + BANDS[BANDS[state.queue[0].riskBand] ? state.queue[0].riskBand : 'UNKNOWN'].toLowerCase() + '.';
    } else {
      text = 'All caught up. New hand-offs appear in the queue as they arrive.';
    }
    $('next-step').textContent = text;
  }

  var notice = null;
  function say(text) {
    clearTimeout(notice);
    $('next-step').textContent = text;
    notice = setTimeout(nextStep, 5000);
  }

  // --- live updates: the agent WebSocket, polling when it is not there

  function setConnection(mode) {
    var badge = $('connection');
    badge.className = 'badge ' + mode;
    badge.textContent = mode === 'live' ? 'live' : 'polling';
  }

  function connect() {
    if (!state.me) { return; }
    var ws;
    try {
      ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + API + '/agent/ws');
    } catch (e) {
      startPolling();
      return;
    }
    state.ws = ws;
    ws.onopen = function () {
      state.live = true;
      state.backoff = 1000;
      setConnection('live');
      stopPolling();
      state.order.forEach(function (id) { watch(id); syncConversation(id); });
    };
    ws.onmessage = function (e) {
      var frame;
      try { frame = JSON.parse(e.data); } catch (err) { return; }
      onFrame(frame);
    };
    ws.onclose = function () {
      state.live = false;
      state.ws = null;
      setConnection('polling');
      startPolling();
      setTimeout(connect, state.backoff);
      state.backoff = Math.min(state.backoff * 2, 30000);
    };
  }

  function onFrame(frame) {
    if (frame.type === 'queue') {
      renderQueue(frame.items || []);
    } else if (frame.type === 'message' && state.open[frame.conversationId] && frame.message) {
      var c = state.open[frame.conversationId];
      var before = latestCustomerSeq(c);
      addMessages(c, [frame.message]);
      if (frame.conversationId === state.active && latestCustomerSeq(c) !== before) { loadSuggestions(c.id); }
    } else if (frame.type === 'status' && state.open[frame.conversationId]) {
      syncConversation(frame.conversationId);
    } else if (frame.type === 'presence') {
      state.agents = frame.agents || [];
      renderTransferTargets();
    }
  }

  function sendFrame(frame) {
    if (state.ws && state.live) {
      try { state.ws.send(JSON.stringify(frame)); } catch (e) { /* the close handler falls back to polling */ }
    }
  }

  /** Watches a conversation from the last message shown, so the socket sends what came after it. */
  function watch(id) {
    var c = state.open[id];
    var frame = { type: 'watch', conversationId: id };
    if (c && c.messages.length) { frame.after = c.messages[c.messages.length - 1].seq; }
    sendFrame(frame);
  }
  function unwatch(id) { sendFrame({ type: 'unwatch', conversationId: id }); }

  function startPolling() {
    if (state.pollers.length || !state.me) { return; }
    state.pollers.push(setInterval(loadQueue, QUEUE_POLL_MS));
    state.pollers.push(setInterval(function () { state.order.forEach(syncConversation); }, CONVERSATION_POLL_MS));
    loadQueue();
  }

  function stopPolling() {
    state.pollers.forEach(clearInterval);
    state.pollers = [];
  }

  // --- start

  api('GET', '/auth/me').then(start).catch(function () { showSignIn(''); });
})();
