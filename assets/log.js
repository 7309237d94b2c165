// Live stage log: appends what the runner writes, from the page's Server-Sent Events stream
// (data: the appended bytes as a JSON string; id: the byte offset reached). The terminal
// rules are those of renderer/log_html.cc (SGR colours as classes, a line rewritten after \r
// keeps its last rewrite, other escapes dropped); keep the two in step. Text is only ever
// inserted as text nodes, never as HTML.
(function () {
  'use strict';
  var pre = document.getElementById('log');
  if (!pre || !pre.dataset.events || !window.EventSource) return;
  var live = document.getElementById('live');
  var say = function (text) { if (live) live.textContent = text; };

  var palette = [[0, 0, 0], [205, 0, 0], [0, 205, 0], [205, 205, 0], [0, 0, 238],
    [205, 0, 205], [0, 205, 205], [229, 229, 229], [127, 127, 127], [255, 0, 0], [0, 255, 0],
    [255, 255, 0], [92, 92, 255], [255, 0, 255], [0, 255, 255], [255, 255, 255]];
  function nearest(r, g, b) {
    var best = 0, bestD = -1;
    for (var i = 0; i < 16; i++) {
      var p = palette[i], d = (r - p[0]) * (r - p[0]) + (g - p[1]) * (g - p[1]) + (b - p[2]) * (b - p[2]);
      if (bestD < 0 || d < bestD) { best = i; bestD = d; }
    }
    return best;
  }
  function of256(n) {
    if (n < 16) return n;
    if (n >= 232) { var l = 8 + 10 * (n - 232); return nearest(l, l, l); }
    var cube = [0, 95, 135, 175, 215, 255], i = n - 16;
    return nearest(cube[Math.floor(i / 36)], cube[Math.floor(i / 6) % 6], cube[i % 6]);
  }

  var style = {fg: -1, bg: -1, bold: false, dim: false, italic: false, underline: false};
  var mode = 'text', params = '', oscBytes = 0, pendingCr = false;
  var line = [];  // [{cls, text}] of the unfinished line
  // The unfinished line the server rendered comes again from the stream (which starts at the
  // last whole line), so it goes.
  var partial = document.getElementById('partial');
  if (partial) partial.parentNode.removeChild(partial);
  var cur = document.createElement('span');  // shows the unfinished line
  pre.appendChild(cur);

  function cls() {
    var c = [];
    if (style.bold) c.push('ansi-bold');
    if (style.dim) c.push('ansi-dim');
    if (style.italic) c.push('ansi-italic');
    if (style.underline) c.push('ansi-underline');
    if (style.fg >= 0) c.push('ansi-fg' + style.fg);
    if (style.bg >= 0) c.push('ansi-bg' + style.bg);
    return c.join(' ');
  }
  function render(segments, into) {
    segments.forEach(function (s) {
      if (!s.cls) { into.appendChild(document.createTextNode(s.text)); return; }
      var span = document.createElement('span');
      span.className = s.cls;
      span.textContent = s.text;
      into.appendChild(span);
    });
  }
  function endLine() {
    var frag = document.createDocumentFragment();
    render(line, frag);
    frag.appendChild(document.createTextNode('\n'));
    pre.insertBefore(frag, cur);
    line = [];
    pendingCr = false;
  }
  function sgr(p) {
    for (var i = 0; i < p.length; i++) {
      var n = p[i];
      if (n === 0) style = {fg: -1, bg: -1, bold: false, dim: false, italic: false, underline: false};
      else if (n === 1) style.bold = true;
      else if (n === 2) style.dim = true;
      else if (n === 3) style.italic = true;
      else if (n === 4) style.underline = true;
      else if (n === 21 || n === 22) style.bold = style.dim = false;
      else if (n === 23) style.italic = false;
      else if (n === 24) style.underline = false;
      else if (n >= 30 && n <= 37) style.fg = n - 30;
      else if (n === 39) style.fg = -1;
      else if (n >= 40 && n <= 47) style.bg = n - 40;
      else if (n === 49) style.bg = -1;
      else if (n >= 90 && n <= 97) style.fg = n - 82;
      else if (n >= 100 && n <= 107) style.bg = n - 92;
      else if (n === 38 || n === 48) {
        var color;
        if (i + 2 < p.length && p[i + 1] === 5) { color = of256(p[i + 2]); i += 2; }
        else if (i + 4 < p.length && p[i + 1] === 2) { color = nearest(p[i + 2], p[i + 3], p[i + 4]); i += 4; }
        else return;
        if (n === 38) style.fg = color; else style.bg = color;
      }
    }
  }
  function csi(final) {
    if (params.length > 64) return;
    if (params && (params[0] < '0' || params[0] > ';')) return;
    var p = params.split(/[;:]/).map(function (x) { return x === '' ? 0 : Math.min(parseInt(x, 10), 99999); });
    if (final === 'm') sgr(p);
    else if (final === 'K' && (p[0] === 2 || (p[0] === 0 && pendingCr))) line = [];
    else if (final === 'G' && p[0] <= 1) pendingCr = true;
  }
  function put(c) {
    var code = c.charCodeAt(0);
    if (mode === 'esc') {
      if (c === '[') { mode = 'csi'; params = ''; }
      else if (c === ']') { mode = 'osc'; oscBytes = 0; }
      else if ('()*+'.indexOf(c) >= 0) mode = 'skip';
      else mode = 'text';
      return;
    }
    if (mode === 'skip') { mode = 'text'; return; }
    if (mode === 'csi') {
      if (code >= 0x30 && code <= 0x3f) params += c;
      else if (code >= 0x40 && code <= 0x7e) { mode = 'text'; csi(c); }
      else if (code < 0x20 || code === 0x7f) { mode = 'text'; put(c); }
      return;
    }
    if (mode === 'osc') {
      if (c === '\x07') mode = 'text';
      else if (c === '\x1b') mode = 'oscesc';
      else if (c === '\n' || ++oscBytes > 4096) { mode = 'text'; if (c === '\n') put(c); }
      return;
    }
    if (mode === 'oscesc') { mode = 'text'; return; }
    if (c === '\x1b') { mode = 'esc'; return; }
    if (c === '\n') { endLine(); return; }
    if (c === '\r') { pendingCr = true; return; }
    if (c === '\b') {
      if (line.length) {
        var last = line[line.length - 1];
        last.text = Array.from(last.text).slice(0, -1).join('');
        if (!last.text) line.pop();
      }
      return;
    }
    if (c !== '\t' && (code < 0x20 || code === 0x7f)) return;
    if (pendingCr) { line = []; pendingCr = false; }
    var k = cls();
    if (line.length && line[line.length - 1].cls === k) line[line.length - 1].text += c;
    else line.push({cls: k, text: c});
  }
  function feed(text) {
    var atBottom = window.innerHeight + window.scrollY >= document.body.scrollHeight - 40;
    for (var i = 0; i < text.length; i++) put(text[i]);
    cur.textContent = '';
    render(line, cur);
    if (atBottom) window.scrollTo(0, document.body.scrollHeight);
  }

  // The style the shown log ends in (it comes after the log, which is sent as it renders).
  var state = document.getElementById('log-state');
  if (state) {
    if (state.dataset.sgr) feed('\x1b[' + state.dataset.sgr + 'm');
    state.parentNode.removeChild(state);
  }
  var url = pre.dataset.events + (pre.dataset.events.indexOf('?') < 0 ? '?' : '&') +
      'from=' + encodeURIComponent(pre.dataset.offset || '0');
  var source = new EventSource(url);
  say('Live: new output appears as the stage writes it.');
  source.onmessage = function (e) { feed(JSON.parse(e.data)); };
  source.addEventListener('reset', function () {
    while (pre.firstChild !== cur) pre.removeChild(pre.firstChild);
    line = [];
    feed('');
  });
  source.addEventListener('end', function (e) {
    source.close();
    say('The stage ended: ' + e.data + '.');
  });
  source.onerror = function () {
    // A dropped stream is retried by the browser from the last offset; a refused one
    // (too many viewers) is not.
    if (source.readyState === EventSource.CLOSED) say('Live view unavailable: reload the page to see newer output.');
  };
})();
