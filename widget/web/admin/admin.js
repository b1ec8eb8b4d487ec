/*
 * Keel's admin console: articles (search, edit with a sanitized preview, drafts and publishing,
 * revisions with a diff, import), try the bot, escalation settings, prompt templates and reports.
 *
 * Everything that comes from the server (article text, questions, customer ids, reasons) is put
 * on the page with textContent. The one exception is the article preview, which is HTML that the
 * server rendered and sanitized, shown only inside a sandboxed iframe that may run no script.
 */
(function () {
  'use strict';

  var csrf = null;
  var page = 1;
  var PAGE_SIZE = 15;
  /** The article in the editor as last loaded or saved: null for a new one. */
  var current = null;
  var previewTimer = null;
  var settingsVersion = 0;
  var loaded = {};

  function $(id) { return document.getElementById(id); }

  function text(node, value) { node.textContent = value === null || value === undefined ? '' : String(value); return node; }

  function make(tag, className, value) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (value !== undefined) { text(node, value); }
    return node;
  }

  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } return node; }

  var issued = {};

  /**
   * Answers can arrive out of order (a slow preview of the text before the last keystroke, say), so
   * each kind of request takes a ticket, and an answer is shown only while its ticket is the latest:
   * an older result must never replace a newer one.
   */
  function ticket(kind) {
    var mine = issued[kind] = (issued[kind] || 0) + 1;
    return function () { return issued[kind] === mine; };
  }

  /** An API call; resolves to {status, body, etag} and never rejects on an HTTP error status. */
  async function api(method, path, body, headers) {
    var init = { method: method, credentials: 'same-origin', headers: Object.assign({}, headers || {}) };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    if (method !== 'GET' && csrf) { init.headers['X-CSRF-Token'] = csrf; }
    var response = await fetch(path, init);
    var data = null;
    if (response.status !== 204) {
      try { data = await response.json(); } catch (e) { data = null; }
    }
    if (response.status === 401 && path.indexOf('/api/v1/auth/') !== 0) { showSignIn('Your session has ended; sign in again.'); }
    return { status: response.status, body: data, etag: response.headers.get('ETag') };
  }

  /** A change based on an old version: Keel answers 409; 412 is what an If-Match mismatch means in HTTP. */
  function conflicted(result) { return result.status === 409 || result.status === 412; }

  function errorText(result) {
    var error = result.body && result.body.error;
    return error ? error.message + ' (' + error.code + ')' : 'Keel answered ' + result.status;
  }

  function flash(message) {
    var node = $('flash');
    text(node, message);
    node.hidden = false;
    clearTimeout(flash.timer);
    flash.timer = setTimeout(function () { node.hidden = true; }, 4000);
  }

  // ---- sign-in -------------------------------------------------------------------------------

  function showSignIn(message) {
    csrf = null;
    $('sign-in').hidden = false;
    $('tabs').hidden = true;
    $('who').hidden = true;
    document.querySelectorAll('.panel').forEach(function (p) { p.hidden = true; });
    text($('sign-in-error'), message || '');
  }

  function signedIn(account) {
    csrf = account.csrfToken;
    $('sign-in').hidden = true;
    $('tabs').hidden = false;
    $('who').hidden = false;
    text($('who-name'), account.name);
    loaded = {};
    showTab('articles');
  }

  async function signIn(event) {
    event.preventDefault();
    var result = await api('POST', '/api/v1/auth/login', { name: $('sign-in-name').value, password: $('sign-in-password').value });
    if (result.status !== 200) { text($('sign-in-error'), errorText(result)); return; }
    if (result.body.role !== 'admin') {
      csrf = result.body.csrfToken;
      await api('POST', '/api/v1/auth/logout', {});
      text($('sign-in-error'), 'This console is for admins; your account has the ' + result.body.role + ' role.');
      csrf = null;
      return;
    }
    $('sign-in-password').value = '';
    signedIn(result.body);
  }

  async function signOut() {
    await api('POST', '/api/v1/auth/logout', {});
    showSignIn('Signed out.');
  }

  // ---- tabs ----------------------------------------------------------------------------------

  var loaders = {
    articles: function () { return loadArticles(); },
    try: function () { return Promise.resolve(); },
    escalation: function () { return loadSettings(); },
    prompts: function () { return loadPrompts(); },
    reports: function () { return loadReports(); }
  };

  function showTab(name) {
    document.querySelectorAll('.panel').forEach(function (p) { p.hidden = p.id !== 'panel-' + name; });
    document.querySelectorAll('.tab').forEach(function (b) { b.classList.toggle('active', b.dataset.tab === name); });
    if (!loaded[name]) {
      loaded[name] = true;
      loaders[name]();
    }
  }

  // ---- articles ------------------------------------------------------------------------------

  async function loadArticles() {
    var query = new URLSearchParams({ page: String(page), size: String(PAGE_SIZE) });
    if ($('filter-text').value.trim()) { query.set('text', $('filter-text').value.trim()); }
    if ($('filter-tag').value.trim()) { query.set('tag', $('filter-tag').value.trim()); }
    if ($('filter-status').value) { query.set('status', $('filter-status').value); }
    var latest = ticket('articles');
    var result = await api('GET', '/api/v1/admin/articles?' + query);
    if (!latest()) { return; }
    var rows = clear($('article-rows'));
    if (result.status !== 200) { flash(errorText(result)); return; }
    result.body.articles.forEach(function (a) {
      var row = make('tr', 'clickable');
      row.dataset.id = a.id;
      var title = make('td');
      title.appendChild(make('span', 'title', a.title));
      title.appendChild(make('span', 'sub', a.id));
      row.appendChild(title);
      row.appendChild(make('td', 'status-' + a.status, a.status));
      row.appendChild(make('td', '', a.version));
      row.addEventListener('click', function () { openArticle(a.id); });
      rows.appendChild(row);
    });
    var pages = Math.max(1, Math.ceil(result.body.total / PAGE_SIZE));
    text($('page-info'), 'page ' + page + ' of ' + pages + ' · ' + result.body.total + ' articles');
    $('page-prev').disabled = page <= 1;
    $('page-next').disabled = page >= pages;
  }

  function fill(article) {
    $('editor').hidden = false;
    $('conflict').hidden = true;
    text($('editor-error'), '');
    $('article-id').value = article ? article.id : '';
    $('article-id').readOnly = !!article;
    $('article-title').value = article ? article.title : '';
    $('article-locale').value = article ? article.locale : 'en';
    $('article-tags').value = article ? article.tags.join(', ') : '';
    $('article-url').value = article && article.url ? article.url : '';
    $('article-body').value = article ? article.body : '';
    text($('article-status'), article ? article.status : 'new');
    text($('article-version'), article ? article.version : '–');
    text($('editor-heading'), article ? article.title : 'New article');
    $('article-delete').hidden = !article;
    $('diff-box').hidden = true;
    preview();
  }

  async function openArticle(id) {
    var result = await api('GET', '/api/v1/admin/articles/' + encodeURIComponent(id));
    if (result.status !== 200) { flash(errorText(result)); return; }
    current = result.body;
    fill(current);
    loadRevisions();
  }

  function newArticle() {
    current = null;
    fill(null);
    clear($('revision-rows'));
    $('article-id').focus();
  }

  function edited(status) {
    return {
      id: $('article-id').value.trim(),
      title: $('article-title').value.trim(),
      locale: $('article-locale').value.trim() || 'en',
      tags: $('article-tags').value.split(',').map(function (t) { return t.trim(); }).filter(Boolean),
      url: $('article-url').value.trim() || null,
      status: status,
      body: $('article-body').value
    };
  }

  /** Saves the editor as a draft or published; basedOn overrides the version the change is based on. */
  async function save(status, basedOn) {
    text($('editor-error'), '');
    var article = edited(status);
    var result;
    if (current) {
      var version = basedOn || current.version;
      result = await api('PUT', '/api/v1/admin/articles/' + encodeURIComponent(current.id), article,
        { 'If-Match': '"' + version + '"' });
    } else {
      result = await api('POST', '/api/v1/admin/articles', article);
    }
    if (conflicted(result) && current) { showConflict(article); return; }
    if (result.status !== 200 && result.status !== 201) { text($('editor-error'), errorText(result)); return; }
    current = result.body;
    fill(current);
    flash('Saved ' + current.id + ' as version ' + current.version + ' (' + current.status + ').');
    loadRevisions();
    loadArticles();
  }

  /** Someone saved first: say who won and let the admin choose, keeping their own text meanwhile. */
  async function showConflict(mine) {
    var latest = await api('GET', '/api/v1/admin/articles/' + encodeURIComponent(current.id));
    var box = $('conflict');
    box.hidden = false;
    if (latest.status !== 200) {
      text($('conflict-text'), 'The article was deleted meanwhile.');
      $('conflict-mine').hidden = true;
      return;
    }
    $('conflict-mine').hidden = false;
    text($('conflict-text'), ' You edited version ' + current.version + '; version ' + latest.body.version
      + ' was saved at ' + new Date(latest.body.saved).toLocaleString() + '. Nothing of yours was saved yet.');
    box.dataset.latest = String(latest.body.version);
    box.dataset.status = mine.status;
  }

  async function deleteArticle() {
    if (!current || !window.confirm('Delete ' + current.id + '? Its versions stay restorable.')) { return; }
    var result = await api('DELETE', '/api/v1/admin/articles/' + encodeURIComponent(current.id), undefined,
      { 'If-Match': '"' + current.version + '"' });
    if (conflicted(result)) { showConflict(edited(current.status)); return; }
    if (result.status !== 204) { text($('editor-error'), errorText(result)); return; }
    flash('Deleted ' + current.id + '.');
    current = null;
    $('editor').hidden = true;
    loadArticles();
  }

  function schedulePreview() {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(preview, 500);
  }

  /** Shows the server's sanitized HTML in the sandboxed iframe (no scripts may run there). */
  async function preview() {
    var body = $('article-body').value;
    var latest = ticket('preview');
    var result = await api('POST', '/api/v1/admin/articles/preview', { body: body });
    if (!latest()) { return; }
    if (result.status !== 200) { text($('editor-error'), errorText(result)); return; }
    $('article-preview').srcdoc = '<!doctype html><html><head><meta charset="utf-8"><style>'
      + 'body{font:15px/1.5 system-ui,sans-serif;color:#1d2733;margin:12px}'
      + 'pre,code{background:#f0f2f5;border-radius:3px}img{max-width:100%}table{border-collapse:collapse}'
      + 'td,th{border:1px solid #ccd;padding:2px 6px}</style></head><body>' + result.body.html + '</body></html>';
  }

  async function loadRevisions() {
    var rows = clear($('revision-rows'));
    if (!current) { return; }
    var id = current.id;
    var latest = ticket('revisions');
    var result = await api('GET', '/api/v1/admin/articles/' + encodeURIComponent(id) + '/revisions');
    if (!latest() || result.status !== 200) { return; }
    result.body.revisions.forEach(function (r) {
      var row = make('tr');
      row.appendChild(make('td', '', r.version));
      row.appendChild(make('td', '', new Date(r.saved).toLocaleString()));
      row.appendChild(make('td', '', r.title));
      row.appendChild(make('td', 'status-' + r.status, r.status));
      var actions = make('td', 'row-actions');
      var diff = make('button', '', 'Diff');
      diff.type = 'button';
      diff.addEventListener('click', function () { showDiff(id, r.version); });
      var revert = make('button', '', 'Revert to this');
      revert.type = 'button';
      revert.addEventListener('click', function () { revertTo(id, r.version); });
      actions.appendChild(diff);
      actions.appendChild(revert);
      row.appendChild(actions);
      rows.appendChild(row);
    });
    if (!result.body.revisions.length) {
      var empty = make('tr');
      var cell = make('td', 'hint', 'No earlier versions.');
      cell.colSpan = 5;
      empty.appendChild(cell);
      rows.appendChild(empty);
    }
  }

  async function showDiff(id, version) {
    var result = await api('GET', '/api/v1/admin/articles/' + encodeURIComponent(id) + '/revisions/' + version);
    if (result.status !== 200) { flash(errorText(result)); return; }
    var old = result.body;
    var before = ['title: ' + old.title, 'status: ' + old.status, ''].concat(old.body.split('\n'));
    var now = edited(current.status);
    var after = ['title: ' + now.title, 'status: ' + now.status, ''].concat(now.body.split('\n'));
    var box = clear($('diff'));
    diffLines(before, after).forEach(function (line) {
      box.appendChild(make('span', 'diff-' + line.kind, (line.kind === 'add' ? '+ ' : line.kind === 'del' ? '- ' : '  ') + line.text + '\n'));
    });
    text($('diff-heading'), 'Changes from version ' + version + ' to the editor');
    $('diff-box').hidden = false;
  }

  /** A line diff by longest common subsequence: [{kind: same|add|del, text}]. */
  function diffLines(a, b) {
    if (a.length * b.length > 4000000) {
      return a.map(function (t) { return { kind: 'del', text: t }; }).concat(b.map(function (t) { return { kind: 'add', text: t }; }));
    }
    var n = a.length;
    var m = b.length;
    var lcs = [];
    for (var i = 0; i <= n; i++) { lcs.push(new Int32Array(m + 1)); }
    for (i = n - 1; i >= 0; i--) {
      for (var j = m - 1; j >= 0; j--) {
        lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
      }
    }
    var out = [];
    i = 0;
    j = 0;
    while (i < n && j < m) {
      if (a[i] === b[j]) { out.push({ kind: 'same', text: a[i] }); i++; j++; }
      else if (lcs[i + 1][j] >= lcs[i][j + 1]) { out.push({ kind: 'del', text: a[i] }); i++; }
      else { out.push({ kind: 'add', text: b[j] }); j++; }
    }
    for (; i < n; i++) { out.push({ kind: 'del', text: a[i] }); }
    for (; j < m; j++) { out.push({ kind: 'add', text: b[j] }); }
    return out;
  }

  async function revertTo(id, version) {
    if (!window.confirm('Restore version ' + version + ' of ' + id + ' as a new version?')) { return; }
    var result = await api('POST', '/api/v1/admin/articles/' + encodeURIComponent(id) + '/revert', { toVersion: version },
      { 'If-Match': '"' + current.version + '"' });
    if (conflicted(result)) { showConflict(edited(current.status)); return; }
    if (result.status !== 200) { text($('editor-error'), errorText(result)); return; }
    current = result.body;
    fill(current);
    flash('Restored version ' + version + ' as version ' + current.version + '.');
    loadRevisions();
    loadArticles();
  }

  async function importFiles() {
    var list = clear($('import-result'));
    var files = Array.prototype.slice.call($('import-files').files);
    if (!files.length) { list.appendChild(make('li', 'error', 'Choose one or more .md files first.')); return; }
    var contents = await Promise.all(files.map(function (f) {
      return f.text().then(function (content) { return { name: f.name, content: content }; });
    }));
    var result = await api('POST', '/api/v1/admin/articles/import', { files: contents });
    if (result.status !== 200) {
      // "nothing was imported; 2 files are invalid: a.md: field 'title': ...; b.md: ..." becomes one line per file
      var message = result.body && result.body.error ? result.body.error.message : errorText(result);
      var split = message.indexOf(' invalid: ');
      list.appendChild(make('li', 'error', split < 0 ? message : message.slice(0, split + 8)));
      if (split >= 0) {
        message.slice(split + 10).split('; ').forEach(function (e) { list.appendChild(make('li', 'error', e)); });
      }
      return;
    }
    result.body.imported.forEach(function (i) {
      list.appendChild(make('li', 'ok', i.file + ' → ' + i.id + ' version ' + i.version + ' (' + (i.created ? 'new' : 'updated')
        + ', ' + i.status + ')'));
    });
    flash('Imported ' + result.body.imported.length + ' articles.');
    loadArticles();
  }

  // ---- try the bot ---------------------------------------------------------------------------

  async function tryBot(event) {
    event.preventDefault();
    text($('try-error'), '');
    var body = { question: $('try-question').value };
    if ($('try-customer').value.trim()) { body.customerId = $('try-customer').value.trim(); }
    var latest = ticket('try');
    var result = await api('POST', '/api/v1/admin/try', body);
    if (!latest()) { return; }
    if (result.status !== 200) { text($('try-error'), errorText(result)); $('try-result').hidden = true; return; }
    var r = result.body;
    text($('try-decision'), r.decision).className = 'decision-' + r.decision;
    var reasons = clear($('try-reasons'));
    r.reasons.forEach(function (reason) { reasons.appendChild(make('span', 'chip', reason)); });
    text($('try-reply'), r.reply.text || '(the bot writes nothing)');
    var signals = clear($('try-signals'));
    var s = r.signals;
    [['Answerability', r.answerability.toFixed(3) + (r.answerable ? ' (covered)' : ' (not covered)')],
      ['Intent', s.intent + ' (' + Math.round(s.intentConfidence * 100) + ' %' + (s.intentByRule ? ', by rule' : '') + ')'],
      ['Frustration', Math.round(s.frustration * 100) + ' %'],
      ['Off-topic', s.offTopic ? 'yes' : 'no'],
      ['Churn risk', s.riskBand + (s.churnProbability === null || s.churnProbability === undefined ? ''
        : ' (' + Math.round(s.churnProbability * 100) + ' %)')],
      ['Customer', r.customerId || 'anonymous'],
      ['Template', r.reply.template || '']].forEach(function (pair) {
      var row = make('tr');
      row.appendChild(make('th', '', pair[0]));
      row.appendChild(make('td', '', pair[1]));
      signals.appendChild(row);
    });
    var passages = clear($('try-passages'));
    r.passages.forEach(function (p) {
      var item = make('li', 'passage');
      var head = make('div', 'passage-head');
      head.appendChild(make('strong', '', p.title));
      head.appendChild(make('span', 'sub', p.articleId + (p.heading ? ' › ' + p.heading : '')));
      head.appendChild(make('span', 'score', 'score ' + p.score.toFixed(4)));
      item.appendChild(head);
      item.appendChild(make('p', 'passage-text', p.text));
      passages.appendChild(item);
    });
    if (!r.passages.length) { passages.appendChild(make('li', 'hint', 'Retrieval found nothing.')); }
    $('try-result').hidden = false;
  }

  // ---- escalation settings -------------------------------------------------------------------

  var THRESHOLDS = [
    ['minAnswerability', 'Covered from answerability', 0.01],
    ['offTopicBelow', 'Off-topic below answerability', 0.01],
    ['frustrationThreshold', 'Frustration that offers a person', 0.01],
    ['frustrationHighRisk', 'Frustration threshold, high churn risk', 0.01],
    ['repeatsBeforeHandoff', 'Repeats before a hand-off', 1],
    ['failuresBeforeHandoff', 'Unanswered in a row before a hand-off', 1],
    ['failuresHighRisk', 'Unanswered in a row, high churn risk', 1]];

  function showSettings(view) {
    settingsVersion = view.version;
    var box = clear($('threshold-fields'));
    THRESHOLDS.forEach(function (t) {
      var label = make('label', 'threshold');
      label.appendChild(make('span', '', t[1]));
      var input = make('input');
      input.type = 'number';
      input.step = String(t[2]);
      input.id = 'threshold-' + t[0];
      input.value = String(view.thresholds[t[0]]);
      label.appendChild(input);
      label.appendChild(make('span', 'sub', 'configured: ' + view.defaults.thresholds[t[0]]));
      box.appendChild(label);
    });
    $('playbooks').value = JSON.stringify(view.playbooks, null, 2);
    text($('settings-info'), view.version ? 'Version ' + view.version + ', changed by ' + view.updatedBy + ' at '
      + new Date(view.updatedAt).toLocaleString() + '.' : 'The configured values are in force.');
  }

  async function loadSettings() {
    var result = await api('GET', '/api/v1/admin/settings/escalation');
    if (result.status !== 200) { text($('settings-error'), errorText(result)); return; }
    showSettings(result.body);
  }

  async function saveSettings(event) {
    event.preventDefault();
    text($('settings-error'), '');
    var thresholds = {};
    THRESHOLDS.forEach(function (t) { thresholds[t[0]] = Number($('threshold-' + t[0]).value); });
    var playbooks;
    try {
      playbooks = JSON.parse($('playbooks').value);
    } catch (e) {
      text($('settings-error'), 'The playbooks are not valid JSON: ' + e.message);
      return;
    }
    var result = await api('PUT', '/api/v1/admin/settings/escalation', { version: settingsVersion, thresholds: thresholds, playbooks: playbooks });
    if (conflicted(result)) {
      text($('settings-error'), 'Someone else changed the settings meanwhile. Reload them (switch tabs) and apply your change again.');
      loaded.escalation = false;
      return;
    }
    if (result.status !== 200) { text($('settings-error'), errorText(result)); return; }
    showSettings(result.body);
    flash('Escalation settings saved; every node applies them within a few seconds.');
  }

  async function resetSettings() {
    if (!window.confirm('Go back to the configured thresholds and playbooks?')) { return; }
    var result = await api('DELETE', '/api/v1/admin/settings/escalation');
    if (result.status !== 200) { text($('settings-error'), errorText(result)); return; }
    showSettings(result.body);
    flash('Back to the configured values.');
  }

  // ---- prompts -------------------------------------------------------------------------------

  async function loadPrompts() {
    var result = await api('GET', '/api/v1/admin/prompts');
    var box = clear($('prompt-list'));
    if (result.status !== 200) { box.appendChild(make('p', 'error', errorText(result))); return; }
    result.body.prompts.forEach(function (p) {
      var item = make('details', 'prompt');
      var summary = make('summary');
      summary.appendChild(make('strong', '', p.name));
      summary.appendChild(make('span', 'sub', p.version + (p.placeholders.length ? ' · {' + p.placeholders.join('}, {') + '}' : '')));
      item.appendChild(summary);
      item.appendChild(make('pre', 'prompt-text', p.text));
      box.appendChild(item);
    });
  }

  // ---- reports -------------------------------------------------------------------------------

  function chart(id, svg) {
    var figure = $(id);
    Array.prototype.slice.call(figure.querySelectorAll('svg, .chart-note')).forEach(function (n) { figure.removeChild(n); });
    figure.appendChild(svg);
    return figure;
  }

  function note(figure, value) { figure.appendChild(make('p', 'chart-note', value)); }

  async function loadReports(event) {
    if (event) { event.preventDefault(); }
    text($('reports-error'), '');
    var latest = ticket('reports');
    var result = await api('GET', '/api/v1/admin/reports?days=' + $('reports-days').value);
    if (!latest()) { return; }
    if (result.status !== 200) { text($('reports-error'), errorText(result)); return; }
    var r = result.body;
    var C = window.KeelCharts;
    text($('reports-info'), r.entriesRead + ' decision-stream entries read' + (r.truncated ? ' (older ones left out)' : '')
      + ', from ' + new Date(r.from).toLocaleString() + '.');
    chart('chart-resolved', C.share(r.resolvedByBot, r.conversations,
      { label: 'Resolved by the bot', legend: r.handedOff + ' handed to a person' }));
    chart('chart-reasons', C.horizontalBars(r.handoffsByReason.map(function (h) { return { label: h.reason, value: h.count }; }),
      { label: 'Hand-offs by reason' }));
    var satisfaction = chart('chart-satisfaction', C.columns(r.satisfaction.byScore.map(function (s) {
      return { label: s.score + '★', value: s.count, tone: s.score >= 4 ? 'good' : s.score <= 2 ? 'bad' : '' };
    }), { label: 'Satisfaction' }));
    note(satisfaction, r.satisfaction.ratings ? r.satisfaction.ratings + ' ratings, average ' + r.satisfaction.average : 'No ratings yet.');
    var wait = chart('chart-wait', C.columns(r.timeToAgent.buckets.map(function (b) { return { label: b.label, value: b.count }; }),
      { label: 'Time to an agent' }));
    note(wait, r.timeToAgent.claimed ? 'median ' + minutes(r.timeToAgent.medianSeconds) + ', 90th percentile '
      + minutes(r.timeToAgent.p90Seconds) + ' · ' + r.timeToAgent.waiting + ' still waiting'
      : r.timeToAgent.waiting + ' waiting, none claimed yet.');
    var churn = chart('chart-churn', C.columns(r.churnRisk.histogram.map(function (b) {
      return { label: Math.round(b.from * 100) + '', value: b.count, tone: b.from >= 0.5 ? 'bad' : '' };
    }), { label: 'Churn risk of chatting customers' }));
    note(churn, r.churnRisk.customers + ' customers · ' + r.churnRisk.byBand.map(function (b) { return b.band.toLowerCase() + ' ' + b.count; }).join(', ')
      + ' (bars: churn probability in %, customers with a score)');
    var rows = clear($('failed-rows'));
    r.failedQuestions.forEach(function (q) {
      var row = make('tr');
      row.appendChild(make('td', 'question', q.question));
      row.appendChild(make('td', '', q.customers));
      row.appendChild(make('td', '', q.asked));
      row.appendChild(make('td', '', q.churnRisk.toFixed(2)));
      row.appendChild(make('td', 'sub', q.reasons.join(', ')));
      rows.appendChild(row);
    });
    if (!r.failedQuestions.length) {
      var empty = make('tr');
      var cell = make('td', 'hint', 'No failed questions in this period.');
      cell.colSpan = 5;
      empty.appendChild(cell);
      rows.appendChild(empty);
    }
  }

  function minutes(seconds) {
    return seconds < 90 ? Math.round(seconds) + ' s' : (seconds / 60).toFixed(1) + ' min';
  }

  // ---- wiring --------------------------------------------------------------------------------

  document.addEventListener('DOMContentLoaded', async function () {
    $('sign-in-form').addEventListener('submit', signIn);
    $('sign-out').addEventListener('click', signOut);
    document.querySelectorAll('.tab').forEach(function (b) { b.addEventListener('click', function () { showTab(b.dataset.tab); }); });
    $('article-filter').addEventListener('submit', function (e) { e.preventDefault(); page = 1; loadArticles(); });
    $('page-prev').addEventListener('click', function () { page = Math.max(1, page - 1); loadArticles(); });
    $('page-next').addEventListener('click', function () { page += 1; loadArticles(); });
    $('article-new').addEventListener('click', newArticle);
    $('article-body').addEventListener('input', schedulePreview);
    $('article-preview-run').addEventListener('click', preview);
    $('article-save-draft').addEventListener('click', function () { save('draft'); });
    $('article-publish').addEventListener('click', function () { save('published'); });
    $('article-delete').addEventListener('click', deleteArticle);
    $('conflict-theirs').addEventListener('click', function () { openArticle(current.id); });
    $('conflict-mine').addEventListener('click', function () {
      var box = $('conflict');
      save(box.dataset.status, Number(box.dataset.latest));
    });
    $('import-run').addEventListener('click', importFiles);
    $('try-form').addEventListener('submit', tryBot);
    $('thresholds-form').addEventListener('submit', saveSettings);
    $('settings-reset').addEventListener('click', resetSettings);
    $('reports-form').addEventListener('submit', loadReports);

    var me = await api('GET', '/api/v1/auth/me');
    if (me.status === 200 && me.body.role === 'admin' && me.body.csrfToken) { signedIn(me.body); } else { showSignIn(''); }
  });
}());
