/* A small Markdown renderer for chat messages that builds DOM nodes and sets text with
   textContent only, so nothing in a message can become markup: paragraphs, line breaks, bullet and
   numbered lists, **bold**, *italic*, `code` and [links](https://...). Anything else stays text. */
(function () {
  'use strict';

  var INLINE = /\*\*([^*\n]+?)\*\*|`([^`\n]+)`|\[([^\]\n]+)\]\((https?:\/\/[^\s)]+)\)|\*([^*\s][^*\n]*?)\*|_([^_\s][^_\n]*?)_/g;

  function inline(parent, text) {
    var last = 0;
    var match;
    INLINE.lastIndex = 0;
    while ((match = INLINE.exec(text)) !== null) {
      if (match.index > last) {
        parent.appendChild(document.createTextNode(text.slice(last, match.index)));
      }
      var node;
      if (match[1] !== undefined) {
        node = element('strong', match[1]);
      } else if (match[2] !== undefined) {
        node = element('code', match[2]);
      } else if (match[3] !== undefined) {
        node = element('a', match[3]);
        node.href = match[4];
        node.rel = 'noopener noreferrer';
        node.target = '_blank';
      } else {
        node = element('em', match[5] !== undefined ? match[5] : match[6]);
      }
      parent.appendChild(node);
      last = INLINE.lastIndex;
    }
    if (last < text.length) {
      parent.appendChild(document.createTextNode(text.slice(last)));
    }
  }

  function element(tag, text) {
    var node = document.createElement(tag);
    node.textContent = text;
    return node;
  }

  /** Appends the rendered text to parent. */
  function render(parent, text) {
    var lines = String(text || '').replace(/\r\n?/g, '\n').split('\n');
    var paragraph = null;
    var list = null;
    lines.forEach(function (line) {
      var bullet = /^\s*[-*+]\s+(.*)$/.exec(line);
      var numbered = /^\s*\d{1,3}[.)]\s+(.*)$/.exec(line);
      var heading = /^\s*#{1,6}\s+(.*)$/.exec(line);
      if (bullet || numbered) {
        var tag = bullet ? 'ul' : 'ol';
        if (!list || list.tagName.toLowerCase() !== tag) {
          list = parent.appendChild(document.createElement(tag));
        }
        paragraph = null;
        var item = list.appendChild(document.createElement('li'));
        inline(item, (bullet || numbered)[1]);
      } else if (line.trim() === '') {
        paragraph = null;
        list = null;
      } else if (heading) {
        list = null;
        paragraph = null;
        var strong = parent.appendChild(document.createElement('p')).appendChild(document.createElement('strong'));
        inline(strong, heading[1]);
      } else {
        list = null;
        if (paragraph) {
          paragraph.appendChild(document.createElement('br'));
        } else {
          paragraph = parent.appendChild(document.createElement('p'));
        }
        inline(paragraph, line);
      }
    });
    return parent;
  }

  window.KeelMarkdown = { render: render };
})();
