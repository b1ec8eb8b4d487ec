/*
 * Hand-made SVG charts for the admin console's reports. Every label is set with textContent, so
 * question texts or reason codes can never become markup.
 */
(function () {
  'use strict';
  var NS = 'http://www.w3.org/2000/svg';

  function el(name, attrs, text) {
    var node = document.createElementNS(NS, name);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, String(attrs[key])); });
    if (text !== undefined) { node.textContent = String(text); }
    return node;
  }

  function svg(width, height, label) {
    var root = el('svg', { viewBox: '0 0 ' + width + ' ' + height, width: width, height: height,
      role: 'img', 'class': 'chart-svg' });
    root.appendChild(el('title', {}, label));
    return root;
  }

  function empty(width, label) {
    var root = svg(width, 60, label);
    root.appendChild(el('text', { x: 8, y: 34, 'class': 'chart-empty' }, 'No data in this period'));
    return root;
  }

  /** Horizontal bars: items [{label, value}], values shown at the bar's end. */
  function horizontalBars(items, options) {
    var opts = options || {};
    var width = opts.width || 420;
    var row = 26;
    var labelWidth = opts.labelWidth || 170;
    if (!items.length || items.every(function (i) { return !i.value; })) { return empty(width, opts.label || 'chart'); }
    var max = Math.max.apply(null, items.map(function (i) { return i.value; }));
    var root = svg(width, items.length * row + 8, opts.label || 'chart');
    items.forEach(function (item, index) {
      var y = 4 + index * row;
      var barWidth = max ? Math.max(2, (width - labelWidth - 50) * item.value / max) : 0;
      root.appendChild(el('text', { x: labelWidth - 6, y: y + 16, 'text-anchor': 'end', 'class': 'chart-label' }, item.label));
      root.appendChild(el('rect', { x: labelWidth, y: y + 3, width: barWidth, height: row - 8, rx: 3,
        'class': 'bar ' + (item.tone || '') }));
      root.appendChild(el('text', { x: labelWidth + barWidth + 6, y: y + 16, 'class': 'chart-value' },
        opts.format ? opts.format(item.value) : item.value));
    });
    return root;
  }

  /** Vertical bars: items [{label, value}] along the x axis. */
  function columns(items, options) {
    var opts = options || {};
    var width = opts.width || 420;
    var height = opts.height || 170;
    var bottom = 28;
    if (!items.length || items.every(function (i) { return !i.value; })) { return empty(width, opts.label || 'chart'); }
    var max = Math.max.apply(null, items.map(function (i) { return i.value; }));
    var root = svg(width, height, opts.label || 'chart');
    var slot = (width - 10) / items.length;
    root.appendChild(el('line', { x1: 5, y1: height - bottom, x2: width - 5, y2: height - bottom, 'class': 'axis' }));
    items.forEach(function (item, index) {
      var barHeight = max ? (height - bottom - 20) * item.value / max : 0;
      var x = 5 + index * slot + slot * 0.15;
      var y = height - bottom - barHeight;
      root.appendChild(el('rect', { x: x, y: y, width: slot * 0.7, height: barHeight, rx: 2, 'class': 'bar ' + (item.tone || '') }));
      root.appendChild(el('text', { x: x + slot * 0.35, y: y - 4, 'text-anchor': 'middle', 'class': 'chart-value' }, item.value));
      root.appendChild(el('text', { x: x + slot * 0.35, y: height - 10, 'text-anchor': 'middle', 'class': 'chart-label' }, item.label));
    });
    return root;
  }

  /** One bar split in two parts (e.g. resolved by the bot vs handed over), with the share written large. */
  function share(part, whole, options) {
    var opts = options || {};
    var width = opts.width || 420;
    if (!whole) { return empty(width, opts.label || 'share'); }
    var root = svg(width, 92, opts.label || 'share');
    var fraction = part / whole;
    var barWidth = width - 20;
    root.appendChild(el('text', { x: 10, y: 30, 'class': 'chart-big' }, Math.round(fraction * 100) + ' %'));
    root.appendChild(el('text', { x: 90, y: 30, 'class': 'chart-label' }, part + ' of ' + whole + ' conversations'));
    root.appendChild(el('rect', { x: 10, y: 44, width: barWidth, height: 22, rx: 4, 'class': 'bar muted' }));
    root.appendChild(el('rect', { x: 10, y: 44, width: Math.max(fraction ? 2 : 0, barWidth * fraction), height: 22, rx: 4, 'class': 'bar good' }));
    root.appendChild(el('text', { x: 10, y: 84, 'class': 'chart-label' }, opts.legend || ''));
    return root;
  }

  window.KeelCharts = { horizontalBars: horizontalBars, columns: columns, share: share };
}());
